"""Cases of secrets.md: credentials in the manifest and in files, secret names, redaction."""

from __future__ import annotations

import hashlib
from typing import Any

from bases import full, minimal
from registry import Expect, case, dotted
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
          ["SEC-01"],
          mutation=f"The full export with a credential ({kind}) at {dotted(where)}; re-sealed.")
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
    """The full export with the two credentials of the SEC-01 example in code.vcs.repository and
    hyperparameters; re-sealed."""
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
    """The full export with AWS's documentation placeholder key (it holds EXAMPLE) in
    narrative.notes; re-sealed."""
    e = full()
    e.m["narrative"]["notes"] = f"credentials are read from the profile, never {AWS_DOCS}"
    x.never("REX-K101")
    return e.seal()


@case("invalid", "secrets", "manifest-credential-in-annotations", "a credential in "
      "annotations, outside the digest", ["SEC-01", "NAR-04"])
def _annotations(x: Expect) -> Export:
    """The full export with an AWS key in the text of an annotations review; export digest kept."""
    e = full()
    e.m["annotations"]["reviews"][0]["text"] = f"replayed with key {AWS}"
    x.find("REX-K101", "/annotations/reviews/0/text")
    return e


@case("valid", "secrets", "user-name-only-url", "a URL with a user name alone is no credential",
      ["SEC-01"])
def _user_only(x: Expect) -> Export:
    """The full export with code.vcs.repository an ssh URL with the user git and no password; re-
    sealed."""
    e = full()
    e.m["code"]["vcs"]["repository"] = "ssh://git@example.org/lab/iris.git"
    x.never("REX-K101")
    return e.seal()


def _file_credential(name: str, description: str, path: str, text: bytes,
                     media: str = "text/plain") -> None:
    @case("invalid", "secrets", name, description, ["SEC-02", "VAL-07"],
          mutation=f"The full export plus {path} ({media}), a file holding a credential, "
                   "indexed; re-sealed.")
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
          f"a key across byte {boundary} of a large text file", ["SEC-02"],
          mutation="The minimal export as a tar.gz plus code/notes.txt, varied comment lines "
                   f"with an AWS key across byte {boundary}, indexed; re-sealed.")
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


# --- the closed lists of SEC-05 and SEC-06 -----------------------------------------------------

# the words before "token" that name tokenizer and counting settings (SEC-06), all of them
TOKENIZER_WORDS = ("pad", "eos", "bos", "unk", "sep", "cls", "mask", "start", "end", "special",
                   "max", "min", "num", "n", "total", "first", "last", "next", "prev", "per",
                   "sos", "eot", "bot", "image", "audio", "video", "vision", "text", "word",
                   "sub", "chat", "system", "user", "assistant")


@case("valid", "secrets", "tokenizer-setting-names", "every word of SEC-06's list before token",
      ["SEC-06", "SEC-03"])
def _tokenizer_names(x: Expect) -> Export:
    """The full export with a hyperparameter <word>_token for each word of the SEC-06 list;
    re-sealed."""
    e = full()
    e.m["config"]["hyperparameters"].update({f"{w}_token": f"<{w}>" for w in TOKENIZER_WORDS})
    x.never("REX-K103")
    return e.seal()


@case("warning", "secrets", "token-after-another-word", "vocab_token: a word not in SEC-06's "
      "list", ["SEC-06", "SEC-03"])
def _vocab_token(x: Expect) -> Export:
    """The full export with a hyperparameter vocab_token; re-sealed."""
    e = full()
    e.m["config"]["hyperparameters"]["vocab_token"] = "tok-4711"
    x.find("REX-K103", "/config/hyperparameters/vocab_token")
    return e.seal()


@case("valid", "secrets", "url-placeholder-passwords", "URLs whose passwords are placeholders",
      ["SEC-05", "SEC-01"])
def _placeholders(x: Expect) -> Export:
    """The full export with narrative.notes listing URLs whose passwords are placeholders of the
    SEC-05 list; re-sealed."""
    e = full()
    e.m["narrative"]["notes"] = "\n".join(
        f"clone with https://ci:{word}@git.example.org/lab.git"
        for word in ("${CI_PASSWORD}", "%(password)s", "changeme", "Your-Token", "xxxxxxxx",
                     "abc", "zzzz", "hidden...", "[REDACTED]"))
    x.never("REX-K101")
    return e.seal()


@case("invalid", "secrets", "url-password-not-a-placeholder", "changeme2 is not in SEC-05's "
      "list of placeholders", ["SEC-05", "SEC-01"])
def _not_placeholder(x: Expect) -> Export:
    """The full export with code.vcs.repository holding the password changeme2; re-sealed."""
    e = full()
    e.m["code"]["vcs"]["repository"] = "https://ci:changeme2@git.example.org/lab/iris.git"
    x.find("REX-K101", "/code/vcs/repository")
    return e.seal()


@case("invalid", "secrets", "credential-after-underscore", "an underscore before a key ends a "
      "word", ["SEC-05", "SEC-01"])
def _after_underscore(x: Expect) -> Export:
    """The full export with a hyperparameter key_ref holding an AWS key after id_; re-sealed."""
    e = full()
    e.m["config"]["hyperparameters"]["key_ref"] = "id_" + AWS
    x.find("REX-K101", "/config/hyperparameters/key_ref")
    return e.seal()


@case("valid", "secrets", "credential-inside-a-word", "a key pattern continuing a longer word is "
      "no credential", ["SEC-05"])
def _inside_word(x: Expect) -> Export:
    """The full export with narrative.notes holding an AWS key pattern right after a letter;
    re-sealed."""
    e = full()
    e.m["narrative"]["notes"] = "build tag b" + AWS
    x.never("REX-K101")
    return e.seal()


@case("warning", "secrets", "secret-named-value", "a value under a secret-looking name",
      ["SEC-03"])
def _named(x: Expect) -> Export:
    """The full export with db_password in hyperparameters and DB_PASSWORD among the variables,
    both set; re-sealed."""
    e = full()
    e.m["config"]["hyperparameters"]["db_password"] = "correct horse"
    e.m["environment"]["variables"][0] = {"name": "DB_PASSWORD", "value": "correct horse"}
    x.find("REX-K103", "/config/hyperparameters/db_password")
    x.find("REX-K103", "/environment/variables/0/value")
    return e.seal()


@case("invalid", "secrets", "credential-in-extension", "a credential inside an x- extension",
      ["SEC-01", "VER-05"])
def _in_extension(x: Expect) -> Export:
    """The full export with an x-lab extension whose ci.push_url holds a user and password;
    re-sealed."""
    e = full()
    e.m["x-lab"] = {"ci": {"push_url": "https://ci:" + "hunter2secret" + "@git.example.org/x"}}
    x.find("REX-K101", "/x-lab/ci/push_url")
    return e.seal()


@case("warning", "secrets", "secret-named-extension", "a secret-named value inside an extension",
      ["SEC-03", "VER-05"])
def _named_in_extension(x: Expect) -> Export:
    """The full export with an x-lab extension holding db_password; re-sealed."""
    e = full()
    e.m["x-lab"] = {"queue": "gpu-long", "db_password": "correct horse"}
    x.find("REX-K103", "/x-lab/db_password")
    return e.seal()


@case("warning", "secrets", "secret-named-camel-case", "apiKey and clientSecret look secret",
      ["SEC-03"])
def _camel(x: Expect) -> Export:
    """The full export with apiKey and clientSecret added to hyperparameters; re-sealed."""
    e = full()
    e.m["config"]["hyperparameters"].update({"apiKey": "abc", "clientSecret": "def"})
    x.find("REX-K103", "/config/hyperparameters/apiKey")
    x.find("REX-K103", "/config/hyperparameters/clientSecret")
    return e.seal()


@case("invalid", "secrets", "secret-named-value-strict", "a secret-named value under --strict",
      ["SEC-03"], strict=True)
def _named_strict(x: Expect) -> Export:
    """The full export with db_password added to hyperparameters; re-sealed."""
    e = full()
    e.m["config"]["hyperparameters"]["db_password"] = "correct horse"
    x.find("REX-K103", "/config/hyperparameters/db_password")
    return e.seal()


@case("valid", "secrets", "harmless-names", "max_tokens and tokenizer do not look secret",
      ["SEC-03"])
def _harmless(x: Expect) -> Export:
    """The full export with max_tokens, tokenizer and an empty db_password added to
    hyperparameters; re-sealed."""
    e = full()
    e.m["config"]["hyperparameters"].update({"max_tokens": "512", "tokenizer": "bpe",
                                             "db_password": ""})
    x.never("REX-K103")
    return e.seal()


@case("warning", "secrets", "secret-named-with-suffix",
      "db_secret_v2 and api_key2: a version after the secret word", ["SEC-03", "SEC-06"])
def _named_suffix(x: Expect) -> Export:
    """The full export with hyperparameters `db_secret_v2` and `api_key2` holding plain words."""
    e = full()
    e.m["config"]["hyperparameters"].update({"db_secret_v2": "correct horse",
                                             "api_key2": "battery staple"})
    x.find("REX-K103", "/config/hyperparameters/db_secret_v2")
    x.find("REX-K103", "/config/hyperparameters/api_key2")
    return e.seal()


@case("warning", "secrets", "secret-named-key-and-creds", "aws_key and db_creds look secret",
      ["SEC-03", "SEC-06"])
def _named_key(x: Expect) -> Export:
    """The full export with hyperparameters `aws_key` and `db_creds` holding plain words."""
    e = full()
    e.m["config"]["hyperparameters"].update({"aws_key": "correct horse", "db_creds": "staple"})
    x.find("REX-K103", "/config/hyperparameters/aws_key")
    x.find("REX-K103", "/config/hyperparameters/db_creds")
    return e.seal()


@case("warning", "secrets", "secret-named-word-splits", "my_svc_key in any spelling looks "
      "secret", ["SEC-03", "SEC-06"])
def _word_splits(x: Expect) -> Export:
    """The full export with hyperparameters `my_svc_key`, `my-svc-key`, `mySvcKey` and
    `svc_key_v2` holding plain words."""
    e = full()
    names = ("my_svc_key", "my-svc-key", "mySvcKey", "svc_key_v2")
    e.m["config"]["hyperparameters"].update(dict.fromkeys(names, "staple"))
    for name in names:  # key after a word on none of the data-word lists, however split
        x.find("REX-K103", f"/config/hyperparameters/{name}")
    return e.seal()


@case("valid", "secrets", "harmless-key-names", "sort_key, label_key and public_key name data",
      ["SEC-03", "SEC-06"])
def _harmless_keys(x: Expect) -> Export:
    """The full export with hyperparameters `sort_key`, `label_key`, `public_key` and `key`."""
    e = full()
    e.m["config"]["hyperparameters"].update({"sort_key": "date", "label_key": "label",
                                             "public_key": "ssh-ed25519 AAAAC3Nz",
                                             "key": "value"})
    x.never("REX-K103")
    return e.seal()


# the marker in a `uri` member is exempt for a REX validator (SEC-04), not for a plain JSON
# Schema validator with format assertion: schema_valid is what such a validator says
@case("valid", "secrets", "redacted", "redaction markers with their entries", ["SEC-04",
                                                                              "SEC-03"],
      strict=True, schema_valid=False)
def _redacted(x: Expect) -> Export:
    """The full export with db_password and code.vcs.repository replaced by the marker, each listed
    in redactions; re-sealed."""
    e = full()
    e.m["config"]["hyperparameters"]["db_password"] = "[REDACTED]"
    e.m["code"]["vcs"]["repository"] = "[REDACTED]"
    e.m["redactions"] = [{"pointer": "/code/vcs/repository", "reason": "url-credentials"},
                         {"pointer": "/config/hyperparameters/db_password",
                          "reason": "secret-name"}]
    x.never("REX-K101")
    x.never("REX-K103")
    return e.seal()


@case("invalid", "secrets", "marker-without-entry", "a marker that redactions does not list is "
      "judged as a value", ["SEC-04", "EXP-05"])
def _marker_without_entry(x: Expect) -> Export:
    """The full export with the creator's email replaced by the marker, not listed in
    redactions; re-sealed."""
    e = full()
    e.m["governance"]["creators"][0]["email"] = "[REDACTED]"
    x.find("REX-S101", "/governance/creators/0/email")  # only a listed marker is exempt
    x.find("REX-R113", "/governance/creators/0/email")  # and every marker is listed (SEC-04)
    return e.seal()


@case("valid", "secrets", "redacted-variable", "a variable redacted by its flag", ["SEC-04",
                                                                                  "ENV-07"],
      strict=True)
def _redacted_variable(x: Expect) -> Export:
    """The full export as it is: its AWS_SECRET_ACCESS_KEY variable is redacted by its flag."""
    e = full()
    x.never("REX-K103")
    return e
