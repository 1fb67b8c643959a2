"""Secrets never reach an export: redaction in the manifest, refusal for embedded files."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from rexport.cli import cli
from rexport.pack import Capture, EnvironmentOptions, SecretsFound
from rexport.pack.files import Request, pack
from rexport.validation import validate

AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ9aBcDeFgH"
GITHUB_TOKEN = "ghp_" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv1Wx2"
PASSWORD = "hunter2-correct-horse"
DB_PASSWORD = "s3cr3t-db-pw"
SECRETS = (AWS_SECRET, GITHUB_TOKEN, PASSWORD, DB_PASSWORD)
PRIVATE_KEY = ("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7b2\n"
               "-----END RSA PRIVATE KEY-----\n")


@pytest.fixture(autouse=True)
def _secret_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
    monkeypatch.setenv("GITHUB_TOKEN", GITHUB_TOKEN)


def project(root: Path) -> Path:
    (root / "code").mkdir(parents=True)
    (root / "code/train.py").write_text("import os\nprint(os.environ['GITHUB_TOKEN'])\n")
    (root / "config.yaml").write_text(
        f"seed: 1\nlr: 0.01\npassword: {PASSWORD}\n"
        f"database:\n  url: postgres://admin:{DB_PASSWORD}@db.example.org/runs\n")
    (root / "metrics.json").write_text('{"accuracy": 0.9}')
    return root


def every_byte(path: Path) -> bytes:
    """All bytes of an export: the archive itself and every member decompressed."""
    if path.is_dir():
        return b"".join(p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file())
    data = path.read_bytes()
    if path.name.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            return data + b"".join(archive.read(name) for name in archive.namelist())
    if path.name.endswith(".tar.gz"):
        return data + gzip.decompress(data)
    return data


@pytest.mark.parametrize("name", ["out", "out.tar.gz", "out.zip", "out.tar"])
def test_no_secret_value_appears_anywhere(tmp_path: Path, name: str) -> None:
    root = project(tmp_path / "p")
    written = pack(Request(out=tmp_path / name, code=root / "code", config=root / "config.yaml",
                           metrics=root / "metrics.json", git=False))
    blob = every_byte(written.path)
    assert b"[REDACTED]" in blob
    for secret in SECRETS:
        assert secret.encode() not in blob, secret
    pointers = {r["pointer"]: r["reason"] for r in written.manifest["redactions"]}
    assert pointers["/config/hyperparameters/password"] == "secret-name"
    assert pointers["/config/hyperparameters/database/url"] == "url-credentials"
    hyper = written.manifest["config"]["hyperparameters"]
    assert hyper["password"] == hyper["database"]["url"] == "[REDACTED]"
    assert hyper["lr"] == 0.01  # everything else is kept


def test_embedded_config_is_the_redacted_document(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    out = pack(Request(out=tmp_path / "out", code=root / "code", config=root / "config.yaml",
                       metrics=root / "metrics.json", git=False)).path
    import yaml

    embedded = yaml.safe_load((out / "config/config.yaml").read_text())
    assert embedded["password"] == "[REDACTED]"
    assert embedded["seed"] == 1


def test_allowlisted_secret_variables_are_recorded_redacted(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    (tmp_path / "code").mkdir()
    (tmp_path / "code/a.py").write_text("pass\n")
    options = EnvironmentOptions(variables=("AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN",
                                            "OMP_NUM_THREADS"))
    cap = Capture(tmp_path / "code", git=False, environment=options)
    cap.metric("accuracy", 0.5)
    written = cap.write(tmp_path / "out.zip")
    variables = {v["name"]: v for v in written.manifest["environment"]["variables"]}
    assert variables["OMP_NUM_THREADS"] == {"name": "OMP_NUM_THREADS", "value": "3"}
    for name in ("AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN"):
        assert variables[name]["redacted"] is True
        assert "value" not in variables[name]
    blob = every_byte(written.path)
    assert AWS_SECRET.encode() not in blob and GITHUB_TOKEN.encode() not in blob


def test_private_key_in_a_file_stops_the_pack(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    (root / "code/deploy_key.pem").write_text(PRIVATE_KEY)
    with pytest.raises(SecretsFound) as caught:
        pack(Request(out=tmp_path / "out.zip", code=root / "code",
                     metrics=root / "metrics.json", git=False))
    assert {path for path, _ in caught.value.hits} == {"code/deploy_key.pem"}
    assert not (tmp_path / "out.zip").exists()
    assert list(tmp_path.glob(".out.zip*")) == []


def test_value_of_a_secret_variable_in_a_file_stops_the_pack(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    (root / "code/settings.py").write_text(f"TOKEN = {AWS_SECRET!r}[::-1][::-1]\n")
    with pytest.raises(SecretsFound) as caught:
        pack(Request(out=tmp_path / "out", code=root / "code", metrics=root / "metrics.json",
                     git=False))
    assert {path for path, _ in caught.value.hits} == {"code/settings.py"}


def test_allow_secrets_embeds_the_file_but_keeps_the_manifest_clean(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    (root / "code/deploy_key.pem").write_text(PRIVATE_KEY)
    written = pack(Request(out=tmp_path / "out", code=root / "code",
                           config=root / "config.yaml", metrics=root / "metrics.json",
                           git=False, allow_secrets=True))
    assert (written.path / "code/deploy_key.pem").read_text() == PRIVATE_KEY
    assert any("deploy_key.pem" in w for w in written.warnings)
    assert PASSWORD not in (written.path / "rex.json").read_text()


def test_cli_refusal_names_the_file_without_a_traceback(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    (root / "code/id_rsa").write_text(PRIVATE_KEY)
    runner = CliRunner()
    result = runner.invoke(cli, ["pack", "-o", str(tmp_path / "out.tgz"), "--code",
                                 str(root / "code"), "--metrics", str(root / "metrics.json"),
                                 "--no-git"])
    assert result.exit_code == 1
    assert "code/id_rsa" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out.tgz").exists()
    allowed = runner.invoke(cli, ["pack", "-o", str(tmp_path / "out.tgz"), "--code",
                                  str(root / "code"), "--metrics", str(root / "metrics.json"),
                                  "--no-git", "--allow-secrets"])
    assert allowed.exit_code == 0, allowed.output


def test_git_remote_credentials_are_stripped(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("config", "user.email", "a@example.org")
    git("config", "user.name", "A")
    (repo / "a.py").write_text("pass\n")
    git("add", "a.py")
    git("commit", "-q", "-m", "one")
    git("remote", "add", "origin", f"https://user:{GITHUB_TOKEN}@example.org/lab/repo.git")
    cap = Capture(repo)
    cap.metric("accuracy", 1.0)
    written = cap.write(tmp_path / "out.tar.gz")
    assert written.manifest["code"]["vcs"]["repository"] == "https://example.org/lab/repo.git"
    assert GITHUB_TOKEN.encode() not in every_byte(written.path)
    assert any("remote" in w for w in written.warnings)


def test_manifest_redaction_entries_point_at_the_marker(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    written = pack(Request(out=tmp_path / "out", code=root / "code", config=root / "config.yaml",
                           metrics=root / "metrics.json", git=False))
    manifest = json.loads((written.path / "rex.json").read_text())
    for redaction in manifest["redactions"]:
        node = manifest
        for token in redaction["pointer"].split("/")[1:]:
            node = node[int(token)] if isinstance(node, list) else node[token]
        assert node == "[REDACTED]"


def test_cli_runs_as_a_module(tmp_path: Path) -> None:
    root = project(tmp_path / "p")
    done = subprocess.run([sys.executable, "-m", "rexport", "pack", "-o", str(tmp_path / "o"),
                           "--code", str(root / "code"), "--metrics",
                           str(root / "metrics.json"), "--no-git"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "sha256:" in done.stdout


@pytest.mark.parametrize("where", [0, (1 << 20) - 20, 3 << 20])
def test_private_key_in_a_large_binary_file(tmp_path: Path, where: int) -> None:
    root = project(tmp_path / "p")
    blob = bytearray(4 << 20)
    header = b"-----BEGIN OPENSSH PRIVATE KEY-----"
    blob[where:where + len(header)] = header
    (root / "weights.bin").write_bytes(bytes(blob))
    with pytest.raises(SecretsFound) as caught:
        pack(Request(out=tmp_path / "o", code=root / "code", metrics=root / "metrics.json",
                     artifacts=[root / "weights.bin"], git=False))
    assert {path for path, _ in caught.value.hits} == {"results/weights.bin"}


def test_redaction_keeps_what_is_no_credential() -> None:
    from rexport.pack.redact import redact

    document = {"remote": "ssh://git@example.org/lab/repo.git", "max_tokens": 512,
                "pad_token": "<pad>", "password_file": "/run/secrets/db",
                "api_key": 12345, "use_token": True,
                "hosts": [{"url": f"https://bot:{PASSWORD}@example.org"}]}
    cleaned, found = redact(document, ("config", "hyperparameters"))
    assert {r.pointer: r.reason for r in found} == {
        "/config/hyperparameters/api_key": "secret-name",
        "/config/hyperparameters/hosts/0/url": "url-credentials"}
    assert cleaned["remote"] == document["remote"] and cleaned["use_token"] is True
    assert cleaned["api_key"] == "[REDACTED]"
    assert document["api_key"] == 12345  # the input is not changed


@pytest.mark.parametrize("kind", [bytes, bytearray])  # read-only and writable buffers
@pytest.mark.parametrize("step", [1, 3, 7, 64])
def test_a_known_value_is_found_wherever_the_chunks_cut_it(step: int, kind: type) -> None:
    from rexport.pack.hashing import ValueTap

    values = {b"s3cr3t-" + bytes([65 + i]) * i: f"value {i}" for i in range(1, 6)}
    for start in range(0, 40, 3):
        data = bytearray(b"." * 60)
        value = list(values)[start % 5]
        data[start:start + len(value)] = value
        tap = ValueTap(values)
        for at in range(0, len(data), step):
            tap(memoryview(kind(data))[at:at + step])
        assert tap.found == {values[value]}, (start, step)


def test_a_credential_in_the_environment_is_redacted_with_its_pointer(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the environment section is redacted while the files are hashed, the rest after
    from rexport.pack import environment

    model = "Example CPU https://bot:hunter2-cpu@cpu.example.org/x"  # as a hostile host says
    monkeypatch.setattr(environment, "_cpu_model", lambda: model)
    (tmp_path / "code").mkdir()
    (tmp_path / "code/a.py").write_text("pass\n")
    cap = Capture(tmp_path / "code", git=False)
    cap.metric("accuracy", 0.5)
    cap.config(hyperparameters={"mirror": "https://bot:hunter2-config@pypi.example.org/simple"})
    written = cap.write(tmp_path / "out")
    assert written.manifest["environment"]["hardware"]["cpu"]["model"] == "[REDACTED]"
    assert [(r["pointer"], r["reason"]) for r in written.manifest["redactions"]] == [
        ("/config/hyperparameters/mirror", "url-credentials"),
        ("/environment/hardware/cpu/model", "url-credentials")]
    assert b"hunter2" not in every_byte(written.path)
    assert validate(written.path).valid
