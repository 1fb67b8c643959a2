"""Which embedded files the secrets check scans for credentials (REX-K102): text-like, and
small enough; the packer asks the same question."""

from __future__ import annotations

import functools

TEXT_SCAN_MAX = 2 << 20  # embedded files scanned for credentials: text-like, at most 2 MiB

# spec SEC-02 names these media types and names; "it MAY scan more": code and
# configuration formats are added, data formats (csv, logs) are not
_TEXT_MEDIA = frozenset({
    "application/json", "application/yaml", "application/x-yaml", "application/toml",
    "application/xml", "application/javascript", "application/x-sh", "application/x-python",
    "application/sql", "application/x-ipynb+json"})
_TEXT_SUFFIXES = frozenset({
    ".py", ".ipynb", ".sh", ".txt", ".md", ".json", ".yaml", ".yml", ".toml", ".ini", ".cfg",
    ".env", ".pem", ".key", ".diff", ".patch",
    ".pyi", ".r", ".jl", ".m", ".bash", ".zsh", ".ps1", ".bat", ".js", ".ts", ".java",
    ".scala", ".go", ".rs", ".c", ".h", ".cc", ".cpp", ".hpp", ".sql", ".rst", ".tex",
    ".conf", ".properties", ".xml", ".html", ".netrc", ".npmrc", ".pypirc"})
_TEXT_NAMES = frozenset({
    ".env", ".netrc", ".pypirc", ".npmrc", ".git-credentials", "credentials", "id_rsa",
    "id_ecdsa", "id_ed25519", "dockerfile", "makefile"})


@functools.lru_cache(maxsize=256)
def _text_media(media_type: str) -> bool:
    media = media_type.split(";", 1)[0].strip().lower()
    return media.startswith("text/") or media in _TEXT_MEDIA or media.endswith(
        ("+json", "+xml", "+yaml"))


# what a text-like name ends with: a quick "no" for all others, without taking the path apart
_TEXT_ENDINGS = tuple(sorted(_TEXT_SUFFIXES | {"/" + name for name in _TEXT_NAMES}))


def scanned_for_secrets(path: str, media_type: str | None, size: int) -> bool:
    """Whether an embedded file of ``size`` bytes at ``path``, of ``media_type`` as indexed
    (None: unknown), is scanned for credentials (REX-K102): text-like and at most TEXT_SCAN_MAX
    bytes. The packer asks the same question, so that it refuses exactly what would make its
    export fail validation."""
    return size <= TEXT_SCAN_MAX and _text_like(path, media_type)


def scanned_paths(paths: list[str], media_types: list[str], sizes: list[int]) -> set[str]:
    """The paths of a file index (as columns) that scanned_for_secrets says yes to."""
    text_media = {media for media in set(media_types) if _text_media(media)}
    return {path for path, media, size in zip(paths, media_types, sizes, strict=True)
            if size <= TEXT_SCAN_MAX and (media in text_media or _text_like(path, None))}


def _text_like(path: str, media_type: str | None) -> bool:
    """Whether to scan a file for credentials: its media type or its name says text.

    Either suffices, so that a wrong media type does not hide a key in train.py.
    """
    if media_type and _text_media(media_type):
        return True
    lowered = path.lower()
    if not lowered.endswith(_TEXT_ENDINGS) and lowered not in _TEXT_NAMES:
        return False
    name = path[path.rfind("/") + 1:].lower()
    if name in _TEXT_NAMES:
        return True
    dot = name.rfind(".")
    return dot > 0 and name[dot:] in _TEXT_SUFFIXES
