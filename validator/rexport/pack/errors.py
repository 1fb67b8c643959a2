"""Errors the packer raises: a refused input, or a credential found in a file to embed."""

from __future__ import annotations


class PackError(Exception):
    """The export cannot be written as asked; the message says why and what to change."""

    exit_code = 2


class SecretsFound(PackError):
    """A file to embed holds a credential; the pack stops unless secrets are explicitly allowed."""

    exit_code = 1

    def __init__(self, hits: list[tuple[str, str]]) -> None:
        self.hits = sorted(set(hits))
        listing = "; ".join(f"{path}: {reason}" for path, reason in self.hits[:20])
        more = f" (and {len(self.hits) - 20} more)" if len(self.hits) > 20 else ""
        super().__init__(
            f"refusing to embed files that hold credentials: {listing}{more}. "
            "Remove and rotate the credentials, or pass --allow-secrets (allow_secrets=True) "
            "to embed them anyway."
        )
