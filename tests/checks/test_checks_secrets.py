"""The secrets check: K101/K103 in the manifest, K102 in embedded text files, values never shown."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import pytest
from helpers.exports import build_manifest
from hypothesis import given, settings
from hypothesis import strategies as st
from rexport.checks.secret_patterns import REDACTED
from rexport.checks.secrets import TextScanner, scan_manifest

GH = "gh" + "p_" + "Zq3" * 12
AWS_ID = "AKIA" + "Z7Q2W3E4R5T6Y7U8"
URL_PASS = "Xy7-pQ2zW"
PEM = "-----BEGIN OPENSSH " "PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH " \
      "PRIVATE KEY-----\n"


def clean() -> dict[str, Any]:
    """A valid manifest with values near secrets: names, flags, a redacted variable."""
    return build_manifest(
        {"code/train.py": b"print('training')\n"},
        code={"snapshot": {"root": "code/"},
              "vcs": {"type": "git", "repository": "https://example.org/lab/iris.git",
                      "commit": "a" * 40}},
        environment={"os": {"name": "Linux"}, "architecture": "x86_64",
                     "variables": [{"name": "OMP_NUM_THREADS", "value": "1"},
                                   {"name": "AWS_SECRET_ACCESS_KEY", "redacted": True}]},
        config={"hyperparameters": {"C": 1.0, "max_tokens": 512, "pad_token": "<pad>",
                                    "db_password": REDACTED, "use_token": True},
                "seeds": {"python": 0}},
        replay={"command": ["python", "code/train.py"], "environment": {"PYTHONHASHSEED": "0"},
                "metrics": [{"name": "accuracy", "split": "test",
                             "tolerance": {"absolute": 0.01}}]},
        redactions=[{"pointer": "/config/hyperparameters/db_password",
                     "reason": "secret-name"}])


def where(found: list[Any]) -> list[tuple[str, str]]:
    return [(f.code, f.pointer) for f in found]


def test_a_clean_manifest_has_no_finding() -> None:
    assert scan_manifest(clean()) == []


def test_credentials_anywhere_in_the_manifest_are_k101_with_pointer() -> None:
    m = clean()
    m["code"]["vcs"]["repository"] = f"https://bob:{URL_PASS}@example.org/x.git"
    m["config"]["hyperparameters"]["note"] = "token " + GH
    m["narrative"] = {"notes": ["fine", "key " + AWS_ID]}
    m["x-extra"] = {"deploy": PEM}
    found = scan_manifest(m)
    assert where(found) == [("REX-K101", "/code/vcs/repository"),
                            ("REX-K101", "/config/hyperparameters/note"),
                            ("REX-K101", "/narrative/notes/1"),
                            ("REX-K101", "/x-extra/deploy")]
    assert all(f.severity.value == "error" for f in found)


def test_secret_named_values_that_are_set_are_k103_warnings() -> None:
    m = clean()
    m["config"]["hyperparameters"]["api_key"] = "abc123"
    m["config"]["hyperparameters"]["db"] = {"password": 1234, "user": "x"}
    m["environment"]["variables"].append({"name": "GITHUB_TOKEN", "value": "x"})
    m["replay"]["environment"]["HF_TOKEN"] = "y"
    found = scan_manifest(m)
    assert sorted(where(found)) == [("REX-K103", "/config/hyperparameters/api_key"),
                                    ("REX-K103", "/config/hyperparameters/db/password"),
                                    ("REX-K103", "/environment/variables/2/value"),
                                    ("REX-K103", "/replay/environment/HF_TOKEN")]
    assert all(f.severity.value == "warning" for f in found)


@pytest.mark.parametrize("value", [REDACTED, "", "   ", None, True, False, {}, []])
def test_empty_redacted_or_flag_values_are_not_k103(value: Any) -> None:
    m = clean()
    m["config"]["hyperparameters"]["secret"] = value
    m["environment"]["variables"].append({"name": "DB_PASSWORD", "value": value})
    assert scan_manifest(m) == []


def test_a_credential_under_a_secret_name_is_reported_once_as_k101() -> None:
    m = clean()
    m["config"]["hyperparameters"]["token"] = GH
    m["environment"]["variables"].append({"name": "GITHUB_TOKEN", "value": GH})
    assert where(scan_manifest(m)) == [("REX-K101", "/environment/variables/2/value"),
                                       ("REX-K101", "/config/hyperparameters/token")]


def test_a_key_that_is_a_credential_is_reported_without_repeating_it() -> None:
    m = clean()
    m["config"]["hyperparameters"][GH] = {"nested": AWS_ID}
    found = scan_manifest(m)
    assert where(found) == [("REX-K101", "/config/hyperparameters"),
                            ("REX-K101", "/config/hyperparameters/[REDACTED]/nested")]
    for f in found:
        assert GH not in f.pointer + f.message + f.hint


SECRETS = [GH, AWS_ID, URL_PASS, "b3BlbnNzaC1rZXktdjEAAAAA", "hunter2hunter2"]


def test_no_finding_ever_shows_the_value() -> None:
    m = clean()
    m["code"]["vcs"]["repository"] = f"https://bob:{URL_PASS}@example.org/x.git"
    m["config"]["hyperparameters"].update(note=GH, aws=AWS_ID, password="hunter2hunter2")
    m["environment"]["variables"].append({"name": "SSH_KEY", "value": PEM})
    found = scan_manifest(m)
    assert len(found) == 5
    text = json.dumps([f.to_json() for f in found])
    for secret in SECRETS:
        assert secret not in text


def test_many_strings_map_back_to_the_right_pointers() -> None:
    rng = random.Random(5)
    m: dict[str, Any] = {"files": [{"path": f"data/{i}.bin", "digests": {"sha256": "0" * 64},
                                    "tags": ["a", "b\nc"]} for i in range(3000)]}
    chosen = sorted(rng.sample(range(3000), 12))
    for i in chosen:
        m["files"][i]["tags"][1] = "note: " + AWS_ID
    assert where(scan_manifest(m)) == [("REX-K101", f"/files/{i}/tags/1") for i in chosen]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=10) | st.sampled_from([GH, AWS_ID, REDACTED, "password: abcd1234"]),
    lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(st.text(max_size=6) | st.sampled_from(["token", "api_key", GH]), inner,
                      max_size=3),
    max_leaves=25,
)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_any_json_value_is_scanned_without_error_and_without_echo(value: Any) -> None:
    for found in (scan_manifest(value), scan_manifest({"config": copy.deepcopy(value)})):
        for f in found:
            assert f.code in {"REX-K101", "REX-K103"}
            assert GH not in f.pointer + f.message and AWS_ID not in f.pointer + f.message


# --- embedded text files ----------------------------------------------------------------------

def scan(data: bytes, chunk: int) -> list[tuple[str, int | None]]:
    scanner = TextScanner("config/settings.env")
    for i in range(0, len(data), chunk):
        scanner.feed(data[i:i + chunk])
    found = scanner.finish()
    assert all(f.file == "config/settings.env" and f.pointer == "" for f in found)
    return [(f.code, f.line) for f in found]


def sample() -> tuple[bytes, list[int]]:
    lines = [f"line {i}: nothing to see, the model token count is {i}" for i in range(30_000)]
    places = {1200: "DB_PASSWORD=Pa55w0rd-x9", 9000: f"url = https://ci:{URL_PASS}@example.org",
              17_000: "auth: " + GH, 29_999: "id " + AWS_ID}
    for n, text in places.items():
        lines[n] = text
    lines.insert(20_000, PEM.rstrip("\n"))
    data = "\n".join(lines).encode()
    return data, [1201, 9001, 17_001, 20_001, 30_003]  # the key block adds two lines


@pytest.mark.parametrize("chunk", [1, 7, 4096, 65_536, 1 << 22])
def test_text_files_report_each_credential_once_with_its_line(chunk: int) -> None:
    data, lines = sample()
    if chunk == 1:
        data = data[: data.index(b"line 1300:")]  # byte-by-byte is slow: a prefix is enough
        lines = lines[:1]
    assert scan(data, chunk) == [("REX-K102", n) for n in lines]


def test_tiny_windows_keep_the_name_before_a_value(monkeypatch: pytest.MonkeyPatch) -> None:
    # each window ends near a value whose name must still be in the next window
    monkeypatch.setattr(TextScanner, "WINDOW", 1)
    lines = [f"line {i}: nothing here" for i in range(2500)]
    lines[1200] = "DB_PASSWORD=Pa55w0rd-x9"
    lines[1600] = f"url = https://ci:{URL_PASS}@example.org"
    lines[2000] = "x" * 20_000 + " password = 'qwerty12345'"
    assert scan("\n".join(lines).encode(), 64) == [("REX-K102", n) for n in (1201, 1601, 2001)]


def test_a_credential_cut_by_every_possible_boundary_is_found() -> None:
    data = ("x" * 9000 + "\npassword = 'abcd-1234-efgh'\n" + "y" * 100).encode()
    start = data.index(b"password")
    for cut in range(start - 3, start + 30):
        scanner = TextScanner("f.txt")
        scanner.feed(data[:cut])
        scanner.feed(data[cut:])
        assert [(f.code, f.line) for f in scanner.finish()] == [("REX-K102", 2)]


def test_a_multibyte_character_cut_by_a_chunk_is_decoded_whole() -> None:
    data = ("é" * 5000 + " key " + AWS_ID).encode()
    assert scan(data, 3) == [("REX-K102", 1)]


def test_binary_and_invalid_utf8_do_not_raise() -> None:
    rng = random.Random(1)
    data = bytes(rng.getrandbits(8) for _ in range(200_000)) + b"\n" + AWS_ID.encode()
    assert ("REX-K102", data.count(b"\n") + 1) in scan(data, 10_000)


def test_findings_are_capped_for_a_hostile_file() -> None:
    data = ("\n".join([AWS_ID] * 3000)).encode()
    found = scan(data, 1 << 16)
    assert len(found) == 1001
    assert found[-1] == ("REX-K102", None)


def test_messages_never_show_the_value() -> None:
    scanner = TextScanner("f.txt")
    scanner.feed(f"token = '{GH}'\nurl: https://a:{URL_PASS}@h\n".encode())
    found = scanner.finish()
    assert len(found) == 2
    assert not any(s in f.message + f.hint for f in found for s in (GH, URL_PASS))


def test_an_empty_file() -> None:
    assert TextScanner("empty.txt").finish() == []


# --- the examples of spec/v1/secrets.md --------------------------------------------------------

def test_the_spec_example_of_sec_01() -> None:
    m = clean()
    m["code"]["vcs"]["repository"] = "https://ada:hunter2secret@git.example.org/lab/iris.git"
    m["config"]["hyperparameters"]["aws_key"] = "AKIA" + "2E0A8F3B244C9986"
    assert where(scan_manifest(m)) == [("REX-K101", "/code/vcs/repository"),
                                       ("REX-K101", "/config/hyperparameters/aws_key")]


def test_the_spec_example_of_sec_02() -> None:
    text = ('# code/upload.py\nimport boto3\ns3 = boto3.client("s3", aws_access_key_id="AKIA'
            + '2E0A8F3B244C9986")\n')
    assert scan(text.encode(), 1 << 16) == [("REX-K102", 3)]


def test_the_spec_example_of_sec_03() -> None:
    m = {"environment": {"variables": [{"name": "DB_PASSWORD", "value": "correct horse"}]},
         "config": {"hyperparameters": {"db_password": "correct horse", "max_tokens": 512}}}
    assert sorted(where(scan_manifest(m))) == [("REX-K103", "/config/hyperparameters/db_password"),
                                               ("REX-K103", "/environment/variables/0/value")]


def test_a_string_under_a_private_key_block_is_judged_on_its_own() -> None:
    # joined for one scan, a block's span runs over the strings after its header; each of
    # them is still judged as if scanned alone, wherever it sits in the document
    block = ["-----BEGIN RSA " "PRIVATE KEY-----", "password: hunter2-secret",
             "-----END RSA " "PRIVATE KEY-----"]
    m = clean()
    m["x-notes"] = block
    m["x-deeper"] = {"a": {"b": ["password: hunter2-secret"]}}
    assert where(scan_manifest(m)) == [("REX-K101", "/x-notes/0"), ("REX-K101", "/x-notes/1"),
                                       ("REX-K101", "/x-deeper/a/b/0")]


def test_many_entries_are_scanned_and_located() -> None:
    m = clean()
    m["files"] = [{"path": f"data/{i:05d}.bin", "digests": {"sha256": f"{i:064x}"}}
                  for i in range(5000)]
    m["files"][4321]["note"] = "key " + AWS_ID
    assert where(scan_manifest(m)) == [("REX-K101", "/files/4321/note")]
