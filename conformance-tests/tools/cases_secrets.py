"""Cases of secrets.md: credentials in the manifest and in files, secret names, redaction."""

from __future__ import annotations

import hashlib
from typing import Any

from bases import full, minimal
from registry import Expect, case
from rexgen import Export, gzip_bytes, tar_of

# Credentials are assembled from parts so that this generator's own source holds none whole;
# every one is a documented example value or made up, and grants access to nothing.
AWS = "AKIA" + "Q3ZT7N2XK5VR8WJM"
AWS_SPEC = "AKIA" + "2E0A8F3B244C9986"  # the key of the spec's SEC-01 and SEC-02 examples
AWS_DOCS = "AKIA" + "IOSFODNN7EXAMPLE"  # AWS's documentation placeholder, exempt by SEC-01
PEM = "-----BEGIN " + "RSA PRIVATE KEY-----"
GITHUB = "ghp_" + "0123456789abcdefghijABCDEFGHIJ012345"  # 36 characters, the least allowed
GITHUB_PAT = "github_pat_" + "0123456789abcdefABCDEF_" * 2 + "0123456789abcd"  # 60, the least
GITLAB = "glpat-" + "0123456789abcdefghij"
SLACK = "xoxb-" + "0123456789"
GOOGLE = "AIza" + "SyA0123456789abcdefghijABCDEFGHIJ_-"
STRIPE = "sk_live_" + "0123456789abcdefABCD"  # 20 characters, the least allowed


def _manifest_credential(kind: str, where: tuple[str | int, ...], value: str) -> None:
    @case("invalid", "secrets", f"manifest-{kind}", f"a {kind} credential in the manifest",
          ["SEC-01"])
    def build(x: Expect) -> Export:
        e = full()
        holder: Any = e.m
        for token in where[:-1]:
            holder = holder[token] if isinstance(token, int) else holder.setdefault(token, {})
        holder[where[-1]] = value
        x.find("REX-K101", "".join(f"/{t}" for t in where))
        return e.seal()


_manifest_credential("aws-access-key-id", ("config", "hyperparameters", "aws_key"), AWS)
_manifest_credential("private-key", ("narrative", "notes"), f"key:\n{PEM}\nMIIEow...\n")
_manifest_credential("github-token", ("description",), f"pushed with {GITHUB} by CI")
_manifest_credential("github-fine-grained-token", ("config", "logging", "auth"), GITHUB_PAT)
_manifest_credential("gitlab-token", ("config", "logging", "sink"), GITLAB)
_manifest_credential("slack-token", ("config", "logging", "webhook"), SLACK)
_manifest_credential("google-api-key", ("narrative", "limitations", 0), GOOGLE)
_manifest_credential("stripe-key", ("title",), f"billing run {STRIPE}")
_manifest_credential("url-credentials", ("data", "datasets", 1, "reference", "uri"),
                     "s3://ada:" + "hunter2secret" + "@example-bucket/iris-extra.csv")


@case("invalid", "secrets", "manifest-spec-example", "the credentials of the SEC-01 example",
      ["SEC-01"])
def _spec_example(x: Expect) -> Export:
    e = full()
    e.m["code"]["vcs"]["repository"] = "https://ada:" + "hunter2secret" + \
        "@git.example.org/lab/iris.git"
    e.m["config"]["hyperparameters"]["aws_key"] = AWS_SPEC
    x.find("REX-K101", "/code/vcs/repository")
    x.find("REX-K101", "/config/hyperparameters/aws_key")
    return e.seal()


@case("valid", "secrets", "aws-documentation-placeholder",
      "AWS's documentation key, with EXAMPLE, is no credential", ["SEC-01"])
def _aws_placeholder(x: Expect) -> Export:
    e = full()
    e.m["narrative"]["notes"] = f"credentials are read from the profile, never {AWS_DOCS}"
    x.never("REX-K101")
    return e.seal()


@case("invalid", "secrets", "manifest-credential-in-annotations", "a credential in "
      "annotations, outside the digest", ["SEC-01", "NAR-04"])
def _annotations(x: Expect) -> Export:
    e = full()
    e.m["annotations"]["reviews"][0]["text"] = f"replayed with key {AWS}"
    x.find("REX-K101", "/annotations/reviews/0/text")
    return e


@case("valid", "secrets", "user-name-only-url", "a URL with a user name alone is no credential",
      ["SEC-01"])
def _user_only(x: Expect) -> Export:
    e = full()
    e.m["code"]["vcs"]["repository"] = "ssh://git@example.org/lab/iris.git"
    x.never("REX-K101")
    return e.seal()


def _file_credential(name: str, description: str, path: str, text: bytes,
                     media: str = "text/plain") -> None:
    @case("invalid", "secrets", name, description, ["SEC-02", "VAL-07"])
    def build(x: Expect) -> Export:
        e = full()
        e.add(path, text, media, "code")
        x.find("REX-K102", "", path)
        return e.index().seal()


_file_credential("file-aws-key", "an AWS key in a Python file", "code/upload.py",
                 b'# code/upload.py\nimport boto3\ns3 = boto3.client("s3", '
                 b'aws_access_key_id="' + AWS.encode() + b'")\n', "text/x-python")
_file_credential("file-private-key-by-name", "a private key in id_rsa, by its name",
                 "environment/id_rsa", PEM.encode() + b"\nMIIEowIBAAKCAQEA\n",
                 "application/octet-stream")
_file_credential("file-dotenv", "a token in a .env file", "config/.env",
                 b"GITHUB_TOKEN=" + GITHUB.encode() + b"\n", "application/octet-stream")
_file_credential("file-diff", "a token in the uncommitted diff", "code/leak.diff",
                 b"+SLACK = '" + SLACK.encode() + b"'\n", "text/x-diff")


def _spanning(boundary: int) -> None:
    @case("invalid", "secrets", f"file-credential-across-{boundary // 1024}k",
          f"a key across byte {boundary} of a large text file", ["SEC-02"])
    def build(x: Expect) -> dict[str, bytes]:
        e = minimal()
        # padding of 32 varied lines, repeated: small once compressed, far from the bomb cap
        block = b"".join(b"# " + hashlib.sha256(b"%d" % n).hexdigest().encode() + b"\n"
                         for n in range(32))
        lines = block * (boundary // len(block) + 2)
        head = lines[: boundary - 11] + b" "
        text = head + AWS.encode() + b"\n" + lines[:4096]
        e.add("code/notes.txt", text, "text/plain", "narrative")
        x.find("REX-K102", "", "code/notes.txt")
        return {"export.tar.gz": gzip_bytes(tar_of(e.index().seal()))}


for _boundary in (8 << 10, 64 << 10, 1 << 20):
    _spanning(_boundary)


@case("warning", "secrets", "secret-named-value", "a value under a secret-looking name",
      ["SEC-03"])
def _named(x: Expect) -> Export:
    e = full()
    e.m["config"]["hyperparameters"]["db_password"] = "correct horse"
    e.m["environment"]["variables"][0] = {"name": "DB_PASSWORD", "value": "correct horse"}
    x.find("REX-K103", "/config/hyperparameters/db_password")
    x.find("REX-K103", "/environment/variables/0/value")
    return e.seal()


@case("warning", "secrets", "secret-named-camel-case", "apiKey and clientSecret look secret",
      ["SEC-03"])
def _camel(x: Expect) -> Export:
    e = full()
    e.m["config"]["hyperparameters"].update({"apiKey": "abc", "clientSecret": "def"})
    x.find("REX-K103", "/config/hyperparameters/apiKey")
    x.find("REX-K103", "/config/hyperparameters/clientSecret")
    return e.seal()


@case("invalid", "secrets", "secret-named-value-strict", "a secret-named value under --strict",
      ["SEC-03"], strict=True)
def _named_strict(x: Expect) -> Export:
    e = full()
    e.m["config"]["hyperparameters"]["db_password"] = "correct horse"
    x.find("REX-K103", "/config/hyperparameters/db_password")
    return e.seal()


@case("valid", "secrets", "harmless-names", "max_tokens and tokenizer do not look secret",
      ["SEC-03"])
def _harmless(x: Expect) -> Export:
    e = full()
    e.m["config"]["hyperparameters"].update({"max_tokens": "512", "tokenizer": "bpe",
                                             "db_password": ""})
    x.never("REX-K103")
    return e.seal()


# the marker in a `uri` member is exempt for a REX validator (SEC-04), not for a plain JSON
# Schema validator with format assertion: schema_valid is what such a validator says
@case("valid", "secrets", "redacted", "redaction markers with their entries", ["SEC-04",
                                                                              "SEC-03"],
      strict=True, schema_valid=False)
def _redacted(x: Expect) -> Export:
    e = full()
    e.m["config"]["hyperparameters"]["db_password"] = "[REDACTED]"
    e.m["code"]["vcs"]["repository"] = "[REDACTED]"
    e.m["redactions"] = [{"pointer": "/code/vcs/repository", "reason": "url-credentials"},
                         {"pointer": "/config/hyperparameters/db_password",
                          "reason": "secret-name"}]
    x.never("REX-K101")
    x.never("REX-K103")
    return e.seal()


@case("valid", "secrets", "redacted-variable", "a variable redacted by its flag", ["SEC-04",
                                                                                  "ENV-07"],
      strict=True)
def _redacted_variable(x: Expect) -> Export:
    e = full()
    x.never("REX-K103")
    return e
