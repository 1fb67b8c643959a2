"""Credential patterns, shared by the secrets check and the packer's redaction."""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass

# What a redacted value is replaced by (spec SEC-04); a validator never judges it a secret.
REDACTED = "[REDACTED]"

# The patterns of spec/v1/secrets.md (SEC-01), then a few more. A match must not continue a
# longer word: a letter or digit before it, or after a bounded pattern, rules it out.
# Every regex starts with a literal: `re` then searches with a fast substring scan. A leading
# look-behind or alternation would make it test every position (measured: 40x slower on a
# 25 MB manifest), so the character before a match is checked in Python instead.

_WORD = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_")
_ALNUM = _WORD - {"_"}
_TOKEN_CHARS = _WORD | {"-"}


@dataclass(frozen=True)
class _Pattern:
    kind: str
    regex: re.Pattern[str]
    before: frozenset[str]  # a match preceded by one of these is part of a longer word
    accept: Callable[[str], bool] | None = None  # a last test on the matched text


def _mixed(token: str) -> bool:
    # random tokens mix cases and digits; identifiers and prose rarely do all three
    return (any(c.isdigit() for c in token) and any(c.isupper() for c in token)
            and any(c.islower() for c in token))


def _has_digit(token: str) -> bool:
    return any(c.isdigit() for c in token)


def _not_example(token: str) -> bool:
    # AWS documentation's sample keys end in EXAMPLE and are published placeholders
    return "EXAMPLE" not in token


_PATTERNS: tuple[_Pattern, ...] = (
    _Pattern("AWS access key ID",
             re.compile(r"A(?:KIA|SIA|BIA|CCA)[A-Z0-9]{16}(?![A-Za-z0-9])"), _ALNUM, _not_example),
    _Pattern("GitHub token", re.compile(r"gh[pousr]_[A-Za-z0-9]{36,255}(?![A-Za-z0-9])"), _ALNUM),
    _Pattern("GitHub token", re.compile(r"github_pat_[A-Za-z0-9_]{60,255}"), _ALNUM),
    _Pattern("GitLab token", re.compile(r"glpat-[A-Za-z0-9_-]{20,64}"), _ALNUM),
    _Pattern("Slack token", re.compile(r"xox[abposr]-[A-Za-z0-9-]{10,250}"), _ALNUM, _has_digit),
    _Pattern("Stripe live key", re.compile(r"sk_live_[A-Za-z0-9]{20,247}"), _ALNUM),
    _Pattern("Stripe live key", re.compile(r"rk_live_[A-Za-z0-9]{20,247}"), _ALNUM),
    _Pattern("Google API key", re.compile(r"AIza[A-Za-z0-9_-]{35}(?![A-Za-z0-9])"), _ALNUM),
    _Pattern("Hugging Face token", re.compile(r"hf_[A-Za-z0-9]{34,40}(?![A-Za-z0-9_])"), _WORD,
             lambda t: _mixed(t[3:]) or (t[3:].isalpha() and not t[3:].islower()
                                         and not t[3:].isupper())),
    _Pattern("API key (sk-)", re.compile(r"sk-[A-Za-z0-9_-]{32,300}"), _TOKEN_CHARS,
             lambda t: _mixed(t)),
    _Pattern("JSON Web Token",
             re.compile(r"eyJ[A-Za-z0-9_-]{8,1024}\.eyJ[A-Za-z0-9_-]{8,4096}\.[A-Za-z0-9_-]{10,1024}"),
             _TOKEN_CHARS),
)

PEM_HEADER = re.compile(r"-----BEGIN (?:[A-Z0-9]+ ){0,4}PRIVATE KEY(?: BLOCK)?-----")
_PEM_END_WITHIN = 64 * 1024  # a private key block is a few KiB; look no further for its end

# scheme://user:password@host: search the literal "://" and check the scheme by looking back
_URL_CREDS = re.compile(r"://([^\s:/@\"'<>]{1,256}):([^\s/@\"'<>]{1,256})@[A-Za-z0-9\[]")
_SCHEME_CHARS = _ALNUM | {"+", ".", "-"}

# Keyword-led assignments: `password = "..."`, `api_key: ...`, `"token": "..."`, `SECRET=...`.
# Each keyword is searched as a literal in the lower-cased text; the name around it is then
# judged by is_secret_name(), the one rule for secret-looking names.
_NAME_CHARS = _WORD | {".", "-"}
_KEYWORDS = ("pass(?:word|wd|phrase)", "secret", "token", "credential", "key", "authorization")
_ASSIGN = [re.compile(kw + r"[a-z0-9_.-]{0,40}[\"']?[ \t]*(=>|:=|=|:)[ \t]*") for kw in _KEYWORDS]
_UNQUOTED = re.compile(r"[^\s\"',;#()\[\]{}]{1,256}")  # brackets: code, not a value
_AWS_SECRET = re.compile(r"[A-Za-z0-9/+]{40}")
_PLACEHOLDERS = frozenset({
    "[redacted]", "redacted", "none", "null", "nil", "true", "false", "undefined", "password",
    "passwd", "secret", "token", "changeme", "example", "dummy", "placeholder", "your_password",
    "your-password", "yourpassword", "your_token", "your-token", "your_api_key", "xxx",
})


def find_secrets(text: str) -> list[tuple[str, int, int]]:
    """Return ``(kind, start, end)`` for each credential found in ``text``, sorted by start.

    ``text[start:end]`` is the secret value itself (the part a redaction replaces); for a private
    key block it runs to the block's END line when that is near. Matches never cross a newline
    except a private key block's span, so texts may be joined with ``"\\n"`` and scanned at once.
    """
    if not text:
        return []
    found: list[tuple[str, int, int]] = []
    for pat in _PATTERNS:
        for m in pat.regex.finditer(text):
            start, end = m.span()
            if start and text[start - 1] in pat.before:
                continue
            if pat.accept is None or pat.accept(m.group()):
                found.append((_kind(pat.kind, m.group()), start, end))
    found.extend(_private_keys(text))
    found.extend(_url_credentials(text))
    found.sort(key=lambda f: (f[1], f[2]))
    # a generic assignment whose value a specific pattern already named adds nothing
    starts = [f[1] for f in found]
    extra = []
    for hit in _assignments(text):
        i = bisect.bisect_right(starts, hit[1])
        if (i and found[i - 1][2] > hit[1]) or (i < len(found) and starts[i] < hit[2]):
            continue
        extra.append(hit)
    if extra:
        found = sorted(found + extra, key=lambda f: (f[1], f[2]))
    return found


def _kind(kind: str, token: str) -> str:
    if kind == "API key (sk-)":
        return "Anthropic API key" if token.startswith("sk-ant-") else "OpenAI API key"
    return kind


def _private_keys(text: str) -> list[tuple[str, int, int]]:
    out = []
    # Many headers may share one search: remember the END line found ahead, and how far
    # none was found, so that the text is searched once whatever the number of headers.
    known_end, searched_to = -1, -1
    for m in PEM_HEADER.finditer(text):
        end = m.end()
        limit = end + _PEM_END_WITHIN
        if end <= known_end < limit:
            stop = known_end
        else:
            low = max(end, searched_to)
            stop = text.find("-----END ", low, limit) if low < limit else -1
            if stop >= 0:
                known_end = stop
            else:
                searched_to = limit
        if stop >= 0:
            close = text.find("-----", stop + 9, stop + 200)
            end = close + 5 if close >= 0 else end
        out.append(("private key block", m.start(), end))
    return out


def _url_credentials(text: str) -> list[tuple[str, int, int]]:
    out = []
    for m in _URL_CREDS.finditer(text):
        i = m.start()
        while i > 0 and text[i - 1] in _SCHEME_CHARS and m.start() - i < 32:
            i -= 1
        if i == m.start() or not text[i].isalpha():
            continue
        if _placeholder(m.group(2)):
            continue
        out.append(("URL with credentials", m.start(2), m.end(2)))
    return out


def _placeholder(value: str) -> bool:
    v = value.strip().lower()
    if len(v) < 4 or v in _PLACEHOLDERS or len(set(v)) == 1:
        return True
    # template references ($VAR, ${VAR}, {{ var }}, <password>, %(pw)s) and elided values
    return v[0] in "$%<{[(!*&" or "..." in v or "xxxx" in v or "****" in v


def _lowered(text: str) -> str:
    low = text.lower()
    if len(low) == len(text):
        return low
    # a few characters (e.g. U+0130) lengthen when lowered; keep offsets by lowering ASCII only
    return "".join(c.lower() if c.isascii() else c for c in text)


def _assignments(text: str) -> list[tuple[str, int, int]]:
    low = _lowered(text)
    out: list[tuple[str, int, int]] = []
    names_done: set[int] = set()
    for regex in _ASSIGN:
        for m in regex.finditer(low):
            hit = _assignment(text, m.start(), m, names_done)
            if hit is not None:
                out.append(hit)
    return out


def _assignment(text: str, kw_at: int, m: re.Match[str],
                names_done: set[int]) -> tuple[str, int, int] | None:
    begin = kw_at
    while begin > 0 and kw_at - begin < 80 and text[begin - 1] in _NAME_CHARS:
        begin -= 1
    if begin in names_done:
        return None
    names_done.add(begin)
    name_end = kw_at
    while name_end < m.end() and text[name_end] in _NAME_CHARS:
        name_end += 1
    name = text[begin:name_end]
    named = _name_kind(name)
    if named is None:
        return None
    sep, pos = m.group(1), m.end()
    if pos < len(text) and text[pos] in "\"'":
        close = text.find(text[pos], pos + 1, pos + 258)
        if close < 0 or "\n" in text[pos:close]:
            return None
        value_start, value_end = pos + 1, close
    else:
        um = _UNQUOTED.match(text, pos)
        if um is None or not _unquoted_ok(text, begin, sep, m, um.end()):
            return None
        value_start, value_end = um.span()
    value = text[value_start:value_end]
    if _placeholder(value) or value[0] in ":=":
        return None
    if named == "key" and not _generated(value):
        # code is full of `METADATA_KEY = "metadata"`: names of dictionary keys. In text a
        # plain ``*_key`` counts only with a value that looks generated, not written
        return None
    kind = "password or secret assignment"
    if "aws" in _words(name) and _AWS_SECRET.fullmatch(value):
        kind = "AWS secret access key"
    return kind, value_start, value_end


def _unquoted_ok(text: str, begin: int, sep: str, m: re.Match[str], value_end: int) -> bool:
    # Unquoted values are config, dotenv and INI syntax (`password: x`, `SECRET=x`), not code,
    # where `password = other_variable` is common: the name must open its line, the value end
    # it, and a spaced `=` must not be followed by what reads as a variable name.
    # Look a bounded distance either way: a long line must not make each hit cost its length.
    low = max(0, begin - 64)
    newline = text.rfind("\n", low, begin)
    if newline < 0 and low > 0:
        return False  # the name is far from its line's start
    if text[newline + 1:begin].strip(" \t\"'") not in ("", "-", "export"):
        return False
    rest = text[value_end:value_end + 256]
    newline = rest.find("\n")
    if newline >= 0:
        rest = rest[:newline]
    elif value_end + 256 < len(text) and not rest.lstrip().startswith("#"):
        return False  # the value does not end its line
    rest = rest.strip()
    if rest and not rest.startswith("#"):
        return False
    if sep == ":":
        return True
    spaced = m.group().endswith((" ", "\t")) or " =" in m.group() or "\t=" in m.group()
    return sep == "=" and not (spaced and _IDENTIFIER.fullmatch(text, m.end(), value_end))


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_TOKEN_VALUE = re.compile(r"[A-Za-z0-9_+=/.:-]{16,256}")


def _generated(value: str) -> bool:
    # a generated token has a long stretch that mixes letters and digits (hex, base64, a UUID);
    # written identifiers ("aardvark-py-2014", "Content-Length") have none
    return bool(_TOKEN_VALUE.fullmatch(value)) and any(
        len(part) >= 8 and not part.isalpha() and not part.isdigit()
        for part in re.split(r"[-_.:]", value))


_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_SECRET_LAST = frozenset({
    "password", "passwords", "passwd", "passphrase", "secret", "secrets", "credential",
    "credentials", "cred", "creds", "apikey", "accesskey", "secretkey", "privatekey",
    "authorization",
})
_KEY_QUALIFIERS = frozenset({"api", "private", "access", "secret", "ssh", "encryption", "signing",
                             "master", "auth"})
# Words a name may add after the word that says "credential": a number or version
# (db_secret_v2, api_key2), a stage (SECRET_KEY_OLD, token_prod) or an encoding (key_b64).
_SUFFIXES = frozenset({"v", "old", "new", "prod", "production", "dev", "test", "staging", "b",
                       "base", "hex", "raw", "enc", "encoded", "value"})
# "sort_key", "label_key", "public_key", "rng_key": a key that names data, or that may be
# published, not a credential; any other word before "key" (aws_key, openai_key) makes one
_NOT_CREDENTIAL_KEY = frozenset({
    "public", "pub", "verify", "verification", "host", "sort", "primary", "foreign",
    "partition", "hash", "range", "cluster", "join", "group", "lookup", "index", "idx", "dict",
    "map", "cache", "random", "rng", "prng", "jax", "seed", "label", "labels", "text", "image",
    "img", "audio", "video", "input", "inputs", "output", "outputs", "target", "targets",
    "feature", "features", "column", "col", "field", "id", "name", "metric", "monitor", "split",
    "batch", "state", "model", "config", "data", "dataset", "class", "sample", "attribute",
    "attr", "prompt", "response", "answer", "question", "context", "query", "document", "doc",
    "row", "record", "item", "entry", "object", "obj", "path", "file", "log", "event", "node",
    "edge", "message", "task", "loss", "score", "eval", "train", "valid", "validation", "time",
    "type", "kind", "category", "tag", "hot", "short", "music", "musical", "lock", "unique",
    "composite", "natural", "search", "match", "filter", "order", "merge", "shard", "bucket",
    "s3", "blob", "mask", "sequence", "seq", "layer", "weight", "param", "checkpoint", "run",
    "experiment", "default", "first", "last", "parent", "child", "root", "dim", "axis", "cv",
    "fold", "stratify", "json", "yaml", "env", "dictionary", "mapping", "result", "results",
    "meta", "metadata",
})
# "pad_token", "max_tokens", "eos_token" are tokenizer settings in ML configs, not credentials
_NOT_CREDENTIAL_TOKEN = frozenset({
    "pad", "eos", "bos", "unk", "sep", "cls", "mask", "start", "end", "special", "max", "min",
    "num", "n", "total", "first", "last", "next", "prev", "per", "sos", "eot", "bot", "image",
    "audio", "video", "vision", "text", "word", "sub", "chat", "system", "user", "assistant",
})


def _words(name: str) -> list[str]:
    return [w.lower() for w in _WORDS.findall(name)]


def _name_kind(key: str) -> str | None:
    """"named" when the name says credential outright, "key" when only its last word ``key``
    after a word that names no data does (aws_key), else None."""
    words = _words(key)
    while len(words) > 1 and (words[-1].isdigit() or words[-1] in _SUFFIXES):
        words.pop()
    last = words[-1] if words else ""
    prev = words[-2] if len(words) > 1 else ""
    if last in _SECRET_LAST:
        return "named"
    if last == "token":
        return "named" if prev not in _NOT_CREDENTIAL_TOKEN else None
    if last not in ("key", "keys") or not prev or prev.isdigit():
        return None
    if prev in _KEY_QUALIFIERS:
        return "named"
    return "key" if prev not in _NOT_CREDENTIAL_KEY else None


def is_secret_name(key: str) -> bool:
    """Tell whether a key or variable name suggests its value is a credential.

    The name's last word decides (``db_password``, ``GITHUB_TOKEN``, ``OpenAIApiKey``), so that
    ``password_file`` or ``secret_name`` are not flagged; a number, version, stage or encoding
    after it is passed over (``db_secret_v2``, ``api_key2``, ``SECRET_KEY_OLD``). ``key`` is a
    credential after any word but those naming data (``aws_key``, not ``sort_key``), and
    ``token`` after any word but tokenizer settings (``pad_token``, ``max_tokens``).
    """
    return _name_kind(key) is not None
