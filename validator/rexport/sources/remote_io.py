"""URLs through fsspec: the file system of a URL, its failures as one-line input codes, and two
readers: one streaming GET, and exact ranged reads.

fsspec is imported only when a URL is read: a local validation never loads it, and the
validator touches the network only when its user names a URL or asks for remote checks.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, BinaryIO, cast

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# the package each protocol needs, and the extra of rexport that installs it
EXTRAS = {"s3": ("s3fs", "s3"), "s3a": ("s3fs", "s3"), "gs": ("gcsfs", "gcs"),
          "gcs": ("gcsfs", "gcs"), "http": ("aiohttp", "remote"),
          "https": ("aiohttp", "remote")}

# botocore's and aiohttp's exception names, matched by name so that neither is imported here
_TLS_NAMES = ("SSLError", "ClientSSLError", "ClientConnectorCertificateError",
              "SSLCertVerificationError")
_NO_CREDENTIALS = ("NoCredentialsError", "PartialCredentialsError", "CredentialRetrievalError",
                   "DefaultCredentialsError", "RefreshError")
_REFUSED_CODES = ("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken",
                  "InvalidToken", "AllAccessDisabled", "403", "401")
STREAM_CHUNK = 1 << 20


def is_url(path: object) -> bool:
    """True when ``path`` is a string naming a URL (``scheme://...``), not a local path."""
    return isinstance(path, str) and _URL.match(path) is not None


def protocol(url: str) -> str:
    """The URL's scheme in lower case: ``s3`` for ``s3://bucket/key``."""
    return url.split("://", 1)[0].lower()


class RemoteError(OSError):
    """A URL that cannot be used or read: ``code`` is an input code (REX-U101..U106).

    An OSError, so that every reader that survives a failed read survives this one.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __str__(self) -> str:
        return self.message


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _names(exc: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(exc).__mro__}


def classify(exc: BaseException, url: str) -> RemoteError:
    """The input finding an exception met while reading ``url`` stands for, in one line."""
    for link in _chain(exc):
        names = _names(link)
        if names & set(_TLS_NAMES):  # ssl.SSLError and its kinds among them
            return RemoteError("REX-U105", f"{url}: TLS failed ({_reason(link)}); trust the "
                               "server's certificate authority with SSL_CERT_FILE (https) or "
                               "AWS_CA_BUNDLE (s3), or fix the address")
        if names & set(_NO_CREDENTIALS):
            return RemoteError("REX-U106", f"{url}: no credentials found; give them in the "
                               "provider's usual way (environment, profile) or as "
                               "--storage-option, or anon=true for a public bucket")
        status = getattr(link, "status", None) or getattr(link, "code", None)
        error = getattr(link, "response", None)
        code = error.get("Error", {}).get("Code") if isinstance(error, dict) else None
        if isinstance(link, PermissionError) or status in (401, 403) \
                or (code is not None and str(code) in _REFUSED_CODES):
            return RemoteError("REX-U106", f"{url}: access refused ({_reason(link)}); check "
                               "the credentials and their rights on this object")
    for link in _chain(exc):
        if isinstance(link, FileNotFoundError):
            return RemoteError("REX-U101", f"{url} does not exist")
    return RemoteError("REX-U103", f"{url} cannot be read: {_reason(exc)}")


def _reason(exc: BaseException) -> str:
    text = str(getattr(exc, "reason", "") or exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def filesystem(url: str, options: Mapping[str, Any]) -> tuple[Any, str]:
    """(fsspec file system, path within it) for ``url``; raise RemoteError.

    A missing package is REX-U108 naming the extra that brings it.
    """
    scheme = protocol(url)
    package, extra = EXTRAS.get(scheme, ("fsspec", "remote"))
    hint = f"pip install 'rexport[{extra}]'"
    try:
        import fsspec
        from fsspec.core import strip_protocol
    except ImportError:
        raise RemoteError("REX-U108", f"{url}: reading URLs needs fsspec and {package}: "
                          f"{hint}") from None
    try:
        cls = fsspec.get_filesystem_class(scheme)
    except ImportError:
        raise RemoteError("REX-U108", f"{url}: reading {scheme}:// needs {package}: "
                          f"{hint}") from None
    except ValueError:
        raise RemoteError("REX-U102", f"{url}: {scheme}:// is not a protocol fsspec "
                          "knows") from None
    options = dict(options)
    # a fresh instance that lists afresh: an export may change between two validations in
    # one process, and a cached listing would hide it
    options.setdefault("skip_instance_cache", True)
    if scheme in EXTRAS:
        options.setdefault("use_listings_cache", False)
    if scheme in ("s3", "s3a"):
        # botocore checks a full-object checksum a server may send with a ranged read
        # against the range alone, and fails; the bytes are hashed here anyway
        config = dict(options.get("config_kwargs") or {})
        config.setdefault("response_checksum_validation", "when_required")
        options["config_kwargs"] = config
    try:
        fs = cls(**options)
    except ImportError:
        raise RemoteError("REX-U108", f"{url}: reading {scheme}:// needs {package}: "
                          f"{hint}") from None
    except Exception as exc:  # a storage option the file system refuses
        raise RemoteError("REX-U103", f"{url}: the storage options are refused: "
                          f"{_reason(exc)}") from None
    path = url if scheme in ("http", "https") else strip_protocol(url)
    return fs, path


def run(fs: Any, function: Any, *args: Any, **kwargs: Any) -> Any:
    """Call the coroutine function of an async file system and wait for its result."""
    from fsspec.asyn import sync

    return sync(fs.loop, function, *args, **kwargs)


class Stream(io.RawIOBase):
    """One object read front to back through a single streaming GET (or a local file)."""

    def __init__(self, fs: Any, path: str) -> None:
        super().__init__()
        self._fs = fs
        self._url = path
        self._async: Any = None
        self._file: Any = None
        try:
            if getattr(fs, "async_impl", False):
                try:
                    self._async = run(fs, fs.open_async, path, "rb")
                except NotImplementedError:
                    self._async = None
            if self._async is None:
                self._file = fs.open(path, "rb", block_size=STREAM_CHUNK, cache_type="none")
        except Exception as exc:
            raise classify(exc, path) from None

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        if self.closed:
            return b""
        n = STREAM_CHUNK if size is None or size < 0 else size
        try:
            if self._async is not None:
                return cast(bytes, run(self._fs, self._async.read, n))
            return cast(bytes, self._file.read(n))
        except Exception as exc:
            raise classify(exc, self._url) from None

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self.read(len(view))
        view[:len(data)] = data
        return len(data)

    def close(self) -> None:
        if self.closed:
            return
        try:
            if self._async is not None:
                body = getattr(self._async, "r", None)  # s3fs: the response body
                if body is not None and hasattr(body, "close"):
                    body.close()
                closer = getattr(self._async, "close", None)
                if closer is not None and body is None:
                    run(self._fs, closer)
            elif self._file is not None:
                self._file.close()
        except Exception:  # closing a half-read response may fail: it is dropped anyway
            pass
        super().close()


class RangeFile(io.RawIOBase):
    """Random access to an object of known ``size`` by exact ranged reads: every read is one
    request for the bytes asked for, never more (a zip's directory, then its members)."""

    def __init__(self, fs: Any, path: str, size: int,
                 fetch: Callable[[int, int], bytes] | None = None) -> None:
        super().__init__()
        self._fs = fs
        self._path = path
        self._size = size
        self._pos = 0
        self._fetch = fetch or self._get

    def _get(self, start: int, end: int) -> bytes:
        try:
            return cast(bytes, self._fs.cat_file(self._path, start=start, end=end))
        except Exception as exc:
            raise classify(exc, self._path) from None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        end = min(self._size, self._pos + len(view))
        if end <= self._pos:
            return 0
        data = self._fetch(self._pos, end)
        if len(data) != end - self._pos:
            raise RemoteError("REX-U103", f"{self._path}: asked for {end - self._pos} bytes at "
                              f"{self._pos}, got {len(data)}: the server does not honour "
                              "range requests")
        view[:len(data)] = data
        self._pos = end
        return len(data)


def open_stream(fs: Any, path: str) -> BinaryIO:
    """The object at ``path`` as a forward-only binary stream (one GET)."""
    return cast(BinaryIO, Stream(fs, path))


def open_range(fs: Any, path: str, size: int, *, buffer: int = 0,
               fetch: Callable[[int, int], bytes] | None = None) -> BinaryIO:
    """The object at ``path`` (``size`` bytes) as a seekable stream of ranged reads; with
    ``buffer``, reads are gathered into requests of that many bytes; ``fetch(start, end)``,
    when given, gets the bytes instead of one request each."""
    raw = RangeFile(fs, path, size, fetch)
    if buffer:
        return cast(BinaryIO, io.BufferedReader(raw, buffer_size=buffer))
    return cast(BinaryIO, raw)
