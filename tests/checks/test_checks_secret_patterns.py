"""The shared credential patterns: each found where it is, none in ordinary text or data."""

from __future__ import annotations

import base64
import hashlib
import os
import random
import string
import uuid

import pytest
from rexport.checks.secret_patterns import REDACTED, find_secrets, is_secret_name

# Built from parts so that no complete credential-like literal sits in the repository.
GH = "gh" + "p_" + "Zq3" * 12
POSITIVE = [
    ("AWS access key ID", "key id: " + "AKIA" + "Z7Q2W3E4R5T6Y7U8", "AKIA" + "Z7Q2W3E4R5T6Y7U8"),
    ("AWS access key ID", "ASIA" + "Q7W2E3R4T5Y6U7I8", "ASIA" + "Q7W2E3R4T5Y6U7I8"),
    ("AWS secret access key", "aws_secret_access_key = " + "wJal/K7MDENGbPxRfiCY" * 2,
     "wJal/K7MDENGbPxRfiCY" * 2),
    ("AWS secret access key", 'AWS_SECRET_ACCESS_KEY="' + "Tz9+Qm4LpV2xN8rK1sWd" * 2 + '"',
     "Tz9+Qm4LpV2xN8rK1sWd" * 2),
    ("GitHub token", "export GITHUB=" + GH, GH),
    ("GitHub token", "gho_" + "aB1" * 12, "gho_" + "aB1" * 12),
    ("GitHub token", "github_pat_" + "11ABCDE0" * 3 + "_" + "xYz9" * 15,
     "github_pat_" + "11ABCDE0" * 3 + "_" + "xYz9" * 15),
    ("GitLab token", "token glpat-" + "xY7_zQ2-mN4pL8kR3sT1", "glpat-" + "xY7_zQ2-mN4pL8kR3sT1"),
    ("Slack token", "xoxb-" + "123456789012-1234567890123-aBcDeFgHiJkLmNoPqRsT",
     "xoxb-" + "123456789012-1234567890123-aBcDeFgHiJkLmNoPqRsT"),
    ("Stripe live key", "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
     "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"),
    ("Google API key", "maps=" + "AIza" + "SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
     "AIza" + "SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"),
    ("Hugging Face token", "hf_" + "aBcDeFgHiJkLmNoPqRsTuVwXyZaBcDeFgH",
     "hf_" + "aBcDeFgHiJkLmNoPqRsTuVwXyZaBcDeFgH"),
    ("OpenAI API key", "sk-" + "proj-" + "Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78",
     "sk-" + "proj-" + "Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78"),
    ("OpenAI API key", "sk-" + "T3BlbkFJ" + "a1B2c3D4" * 5, "sk-" + "T3BlbkFJ" + "a1B2c3D4" * 5),
    ("JSON Web Token", "Bearer eyJ" + "hbGciOiJIUzI1NiJ9.eyJ" + "zdWIiOiIxMjM0NTY3ODkwIn0."
     + "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
     "eyJ" + "hbGciOiJIUzI1NiJ9.eyJ" + "zdWIiOiIxMjM0NTY3ODkwIn0."
     + "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"),
    ("URL with credentials", "db = postgres://alice:Xy7-pQ2z@db.example.org:5432/prod",
     "Xy7-pQ2z"),
    ("URL with credentials", "https://user:t0k3nV4lue@git.example.org/x.git", "t0k3nV4lue"),
    ("password or secret assignment", 'password = "correct horse battery"',
     "correct horse battery"),
    ("password or secret assignment", "db_password: hunter2hunter2", "hunter2hunter2"),
    ("password or secret assignment", '{"client_secret": "9f8e7d6c5b4a"}', "9f8e7d6c5b4a"),
    ("password or secret assignment", "  - api_key: 'Zx81-qq0p'", "Zx81-qq0p"),
    ("password or secret assignment", "export DB_PASSWORD=Pa55w0rd!", "Pa55w0rd!"),
    ("password or secret assignment", "HF_TOKEN=abcdefgh12345678", "abcdefgh12345678"),
]


@pytest.mark.parametrize(("kind", "text", "secret"), POSITIVE,
                         ids=[f"{i}-{k}" for i, (k, _, _) in enumerate(POSITIVE)])
def test_each_pattern_finds_its_credential_and_spans_the_value(kind: str, text: str,
                                                                secret: str) -> None:
    found = find_secrets(text)
    assert [(k, text[s:e]) for k, s, e in found] == [(kind, secret)]


def test_a_private_key_block_spans_to_its_end_line() -> None:
    block = ("-----BEGIN RSA " "PRIVATE KEY-----\nMIIEowIBAAKCAQEA1234\nabcd==\n"
             "-----END RSA " "PRIVATE KEY-----")
    text = "key:\n" + block + "\ntrailing"
    assert [(k, text[s:e]) for k, s, e in find_secrets(text)] == [("private key block", block)]


@pytest.mark.parametrize("header", ["PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY",
                                    "ENCRYPTED PRIVATE KEY", "PGP PRIVATE KEY BLOCK"])
def test_every_private_key_header_is_found(header: str) -> None:
    text = f"-----BEGIN {header}-----\nAAAA\n"
    assert [k for k, _, _ in find_secrets(text)] == ["private key block"]


NEGATIVE = [
    "sha256:" + hashlib.sha256(b"x").hexdigest(),
    hashlib.sha512(b"y").hexdigest(),
    str(uuid.UUID(int=0x1234567890ABCDEF1234567890ABCDEF)),
    "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----",
    "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
    "The password must be rotated every 90 days; see the token policy.",
    "password = os.environ['DB_PASSWORD']",
    "password = get_password()",
    'password = ""',
    "password: ${DB_PASSWORD}",
    "password: <your-password>",
    "token: null",
    'api_key = "[REDACTED]"',
    REDACTED,
    "pad_token: '<pad>'",
    "eos_token = '</s>'",
    "max_tokens: 4096",
    "tokenizer: bert-base-uncased",
    "password_file: /run/secrets/db",
    "secret_name: my-k8s-secret",
    "if password == expected:",
    "https://github.com/org/repo.git",
    "ssh://git@github.com/org/repo.git",
    "postgres://user:password@localhost/db",
    "mailto:ada@example.org",
    "task-specific-fine-tuning-with-a-really-long-descriptive-name-v2",
    "scikit-learn==1.5.0",
    "AKIAIOSFODNN7EXAMPLE",
    "my_hf_model_name_for_the_classifier_experiment_v2",
    "xoxo-goodbye-and-thanks-for-all",
    "AIzaSho",
]


@pytest.mark.parametrize("text", NEGATIVE)
def test_no_false_positive_on_ordinary_text(text: str) -> None:
    assert find_secrets(text) == []


def test_no_false_positive_on_random_base64_or_hex_data() -> None:
    rng = random.Random(7)
    blob = bytes(rng.getrandbits(8) for _ in range(1 << 20))
    b64 = base64.b64encode(blob).decode()
    text = "\n".join(b64[i:i + 76] for i in range(0, len(b64), 76))
    assert find_secrets(text) == []
    assert find_secrets(base64.b16encode(blob[:300_000]).decode().lower()) == []


def test_no_false_positive_on_prose() -> None:
    rng = random.Random(3)
    words = ["model", "accuracy", "the", "token", "key", "secret", "pass", "data", "split", "of",
             "learning", "rate", "password", "credential", "API", "access", "private"]
    text = "\n".join(" ".join(rng.choice(words) for _ in range(14)) + "." for _ in range(20_000))
    assert find_secrets(text) == []


def test_joined_texts_never_match_across_the_newline() -> None:
    parts = ["password", "= 'abcdefgh'", "postgres://u", ":pw123456@h", "AKIA", "Z7Q2W3E4R5T6Y7U8"]
    assert find_secrets("\n".join(parts)) == []


def test_non_ascii_text_keeps_offsets() -> None:
    text = "İİİ café password = 'Zx81-qq0pÅ'"
    [(_, start, end)] = find_secrets(text)
    assert text[start:end] == "Zx81-qq0pÅ"


@pytest.mark.parametrize("name", [
    "password", "db_password", "DB_PASSWORD", "passwd", "secret", "client_secret", "token",
    "GITHUB_TOKEN", "hf_token", "access_token", "api_key", "apiKey", "APIKey", "x-api-key",
    "apikey", "private_key", "privateKey", "AWS_SECRET_ACCESS_KEY", "aws_access_key",
    "credentials", "credential", "passphrase", "Authorization", "ssh_key", "secrets",
    # a number, version, stage or encoding after the credential word
    "db_secret_v2", "api_key2", "apiKeyV2", "SECRET_KEY_OLD", "client_secret_2", "token_b64",
    "password1", "DB_PASSWORD_PROD",
    # creds, and "key" after any word that names no data
    "db_creds", "aws_creds", "aws_key", "openai_key", "WANDB_KEY", "stripeKey", "license_key",
])
def test_secret_names(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize("name", [
    "path", "tokenizer", "max_tokens", "max_new_tokens", "num_tokens", "pad_token", "eos_token",
    "bos_token", "unk_token", "token_id", "pad_token_id", "token_type", "password_file",
    "secret_name", "private_key_path", "key", "keys", "primary_key", "sort_key", "monkey",
    "passes", "bypass", "PWD", "access", "author", "", "_", "aws_access_key_id",
    "label_key", "public_key", "rng_key", "metadata_key", "key_2", "v2", "api_key_path",
    "keys_v2", "max_tokens_2", "pad_token_v2", "secret_name_v2",
])
def test_ordinary_names(name: str) -> None:
    assert not is_secret_name(name)


@pytest.mark.parametrize(("text", "found"), [
    ('wandb_key = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"', True),
    ('METADATA_KEY = "metadata"', False),
    ('CONTENT_KEY = "Content-Length-Header"', False),
    ('"license_key": "aardvark-py-2014"', False),
    ('db_secret_v2: "correct horse battery"', True),
])
def test_a_plain_key_name_in_text_needs_a_generated_value(text: str, found: bool) -> None:
    assert bool(find_secrets(text)) is found


@pytest.mark.parametrize("size", [0, 1, 10, 1000])
def test_random_printable_text_never_raises(size: int) -> None:
    rng = random.Random(size)
    for _ in range(50):
        text = "".join(rng.choice(string.printable + "éİ€") for _ in range(size))
        for kind, start, end in find_secrets(text):
            assert 0 <= start < end <= len(text) and kind


HOSTILE = {
    "base64": base64.b64encode(os.urandom(1_500_000)).decode(),
    "assignments-on-one-line": "api_key:x1234567 " * 120_000,
    "key-headers-without-end": "-----BEGIN RSA " "PRIVATE KEY-----\n" * 65_000,
    "schemes": "https://a:" + "b" * 300 + "://x:y" * 300_000,
    "keywords": "key" * 700_000,
    "spaces-after-a-keyword": ("password" + " " * 1000) * 2000,
}


# a hang guard: each takes about a second here; a quadratic path would take hours
@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", HOSTILE)
def test_two_mebibytes_of_hostile_text_are_scanned_in_linear_time(name: str) -> None:
    find_secrets(HOSTILE[name])
