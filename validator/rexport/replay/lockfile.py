"""Read a pip requirements lockfile as pip does, keep only what installs pinned packages."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

MAX_LOCKFILE_BYTES = 16 << 20

# pip's own rules (pip/_internal/req/req_file.py): a comment starts at a "#" that opens the line
# or follows white space; a line ending in a backslash continues on the next one.
_COMMENT = re.compile(r"(^|\s+)#.*$")

# A registry requirement: a PEP 508 name, extras, version specifiers and markers. No "@" (a
# direct reference), no "/", "\\" or ":" (a path or a URL), no "$" or "%" (expansions).
_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_REQUIREMENT = re.compile(
    rf"{_NAME}\s*(?:\[\s*(?:{_NAME}(?:\s*,\s*{_NAME})*)?\s*\])?"
    r"[A-Za-z0-9_.*+!<>=~,;'\"() \t-]*")
# pip takes a name ending so for a local archive (pip/_internal/utils/filetypes.py)
_ARCHIVES = (".whl", ".zip", ".tar.gz", ".tgz", ".tar", ".tar.bz2", ".tbz", ".tar.xz", ".txz",
             ".tlz", ".tar.lz", ".tar.lzma")
_URL = re.compile(r"https?://[A-Za-z0-9\[][^\s'\"\\<>`]*", re.IGNORECASE)
_HASH = re.compile(r"(sha256|sha384|sha512):[0-9a-fA-F]+")
_PACKAGES = re.compile(r":all:|:none:|[A-Za-z0-9._-]+(?:,[A-Za-z0-9._-]+)*")

# Every option pip accepts in a requirements file, long name first; optparse also takes a
# unique prefix of a long name (--index for --index-url), so names are matched the same way.
_OPTIONS = {
    "--index-url": "-i", "--extra-index-url": "", "--no-index": "", "--constraint": "-c",
    "--requirement": "-r", "--editable": "-e", "--find-links": "-f", "--no-binary": "",
    "--only-binary": "", "--prefer-binary": "", "--require-hashes": "", "--pre": "",
    "--trusted-host": "", "--use-feature": "", "--global-option": "", "--hash": "",
    "--config-settings": "-C",
}
_FLAGS = frozenset({"--no-index", "--prefer-binary", "--require-hashes", "--pre"})
# Where pip downloads from: the export may choose it only when the person allows it.
SOURCES = frozenset({"--index-url", "--extra-index-url", "--find-links", "--trusted-host"})
_HARMLESS = frozenset({"--no-index", "--no-binary", "--only-binary", "--prefer-binary",
                       "--require-hashes", "--pre"})


class LockfileError(ValueError):
    """A line of a lockfile that replay does not pass to pip; the message names the line."""


@dataclass
class Lockfile:
    """A checked lockfile: its export path, the lines pip is given, whether it pins hashes."""

    path: str
    lines: list[str] = field(default_factory=list)
    hashes: bool = False

    def checked_text(self) -> str:
        """The checked lines as the installer is given them, one a line."""
        return "".join(f"{line}\n" for line in self.lines)

    @property
    def requirements(self) -> bool:
        """True when the lockfile names at least one package to install."""
        return any(not line.startswith("-") for line in self.lines)


def logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Yield (first physical line number, logical line) as pip reads them: continuations
    joined, comments removed, blank lines left out."""
    joined: list[str] = []
    first = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line.endswith("\\") and not _COMMENT.match(line):
            if not joined:
                first = number
            joined.append(line.strip("\\"))
            continue
        if _COMMENT.match(line):
            line = " " + line
        if joined:
            line, number = "".join([*joined, line]), first
            joined = []
        line = _COMMENT.sub("", line).strip()
        if line:
            yield number, line
    if joined:
        line = _COMMENT.sub("", "".join(joined)).strip()
        if line:
            yield first, line


def _option(token: str) -> tuple[str, str | None]:
    """(long option name, value attached to the token) for an option token, as optparse."""
    if token.startswith("--"):
        name, eq, value = token.partition("=")
        matches = [o for o in _OPTIONS if o == name] or [o for o in _OPTIONS
                                                         if o.startswith(name)]
        if len(matches) != 1:
            raise LockfileError(f"unknown or ambiguous option {name}")
        return matches[0], value if eq else None
    short = token[:2]
    long = next((o for o, s in _OPTIONS.items() if s == short), None)
    if long is None:
        raise LockfileError(f"unknown option {short}")
    return long, token[2:] or None


def _options(text: str, *, requirement: bool, allow_sources: bool) -> list[str]:
    """The options of one line, checked and written back as pip reads them."""
    try:
        tokens = shlex.split(text)
    except ValueError as exc:
        raise LockfileError(f"cannot split the options: {exc}") from None
    out: list[str] = []
    while tokens:
        token = tokens.pop(0)
        if not token.startswith("-"):
            raise LockfileError(f"{token!r} is neither an option nor part of a requirement")
        name, value = _option(token)
        if name not in _FLAGS and value is None:
            if not tokens:
                raise LockfileError(f"{name} needs a value")
            value = tokens.pop(0)
        if requirement and name != "--hash":
            raise LockfileError(f"{name} on a requirement line; only --hash is allowed there")
        if name == "--hash":
            if not requirement or value is None or not _HASH.fullmatch(value):
                raise LockfileError("--hash needs sha256:, sha384: or sha512: and hex digits, "
                                    "on a requirement line")
        elif name in SOURCES:
            if not allow_sources:
                raise LockfileError(f"{name} chooses where pip downloads from; replay uses "
                                    "the default index unless --allow-export-index is given")
            if value is None or not (_URL.fullmatch(value) or (
                    name == "--trusted-host" and re.fullmatch(r"[A-Za-z0-9.:\[\]-]+", value))):
                raise LockfileError(f"{name} must be an http:// or https:// URL")
        elif name not in _HARMLESS:
            raise LockfileError(f"{name} is not allowed: a lockfile pins packages from an "
                                "index, it does not read files, folders or build settings")
        elif value is not None and not _PACKAGES.fullmatch(value):
            raise LockfileError(f"{name} takes :all:, :none: or package names")
        out.append(name if value is None else f"{name}={value}")
    return out


def _requirement(text: str, *, allow_sources: bool) -> str:
    name = re.split(r"[\s\[<>=!~;@]", text, maxsplit=1)[0]
    if "@" in text or _URL.match(text):
        url = text.split("@", 1)[1].strip() if "@" in text else text
        url = url.split(" ; ", 1)[0].split("; ", 1)[0].strip()
        if not allow_sources:
            raise LockfileError("a direct reference (NAME @ URL or a URL) chooses where pip "
                                "downloads from; replay installs from the default index "
                                "unless --allow-export-index is given")
        if not _URL.fullmatch(url):
            raise LockfileError("a direct reference must be an http:// or https:// URL")
        return text
    if not _REQUIREMENT.fullmatch(text) or name.lower().endswith(_ARCHIVES):
        raise LockfileError("not a requirement from an index: paths, URLs and archive names "
                            "make pip read files or folders")
    return text


def check_line(line: str, *, allow_sources: bool = False) -> str:
    """The logical ``line`` as pip will be given it, or LockfileError saying why it is refused."""
    # pip's own split (break_args_options): arguments up to the first token starting with "-"
    tokens = line.split(" ")
    cut = next((i for i, t in enumerate(tokens) if t.startswith("-")), len(tokens))
    args, rest = " ".join(tokens[:cut]).strip(), " ".join(tokens[cut:])
    options = _options(rest, requirement=bool(args), allow_sources=allow_sources)
    if not args:
        return " ".join(options)
    return " ".join([_requirement(args, allow_sources=allow_sources), *options])


def read_lockfile(path: Path, name: str, *, allow_sources: bool = False) -> Lockfile:
    """Read and check a requirements file; LockfileError names the first line refused.

    pip would expand ``${VAR}`` from the caller's environment: such a lockfile is refused, as
    is anything that is not a pinned requirement, --hash or a harmless option (RPL-06).
    """
    with open(path, "rb") as fp:
        data = fp.read(MAX_LOCKFILE_BYTES + 1)
    if len(data) > MAX_LOCKFILE_BYTES:
        raise LockfileError(f"{name}: larger than {MAX_LOCKFILE_BYTES} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LockfileError(f"{name}: not UTF-8 text (byte {exc.start})") from None
    for number, physical in enumerate(text.splitlines(), start=1):
        if "${" in physical:
            raise LockfileError(f"{name}:{number}: '${{' would make pip read a variable of "
                                "the caller's environment; lockfiles must not use ${...}")
    lock = Lockfile(name)
    for number, line in logical_lines(text):
        if not line.isascii() or not line.replace("\t", " ").isprintable():
            raise LockfileError(f"{name}:{number}: {line[:200]!r}: only printable ASCII "
                                "is allowed outside comments")
        try:
            lock.lines.append(check_line(line, allow_sources=allow_sources))
        except LockfileError as exc:
            raise LockfileError(f"{name}:{number}: {line[:200]!r}: {exc}") from None
    lock.hashes = any(" --hash=" in line for line in lock.lines)
    return lock
