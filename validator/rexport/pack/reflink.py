"""A new file made a reflink of another where the file system can: a copy without copying."""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path
from typing import BinaryIO

# FICLONE: the new file shares the blocks of the old one (a reflink; btrfs, xfs)
_FICLONE = 0x40049409
# the errors that say a pair of file systems cannot clone at all, and the pairs (devices of
# the source and the target) that said so: each later file is written without asking again
_NEVER_CLONES = frozenset({errno.EOPNOTSUPP, errno.EXDEV, errno.EINVAL, errno.ENOTTY,
                           errno.ENOSYS})
_no_clone: set[tuple[int, int]] = set()


def clone(source: Path, dst: BinaryIO) -> bool:
    """Make the empty file ``dst`` a reflink of ``source`` where the file system allows it
    (Linux, btrfs or xfs: no byte is copied); False when it does not, and nothing done.

    (copy_file_range would copy in the kernel, no cheaper than the write of a buffer the
    packer reads anyway to hash and scan it.)
    """
    if not sys.platform.startswith("linux"):
        return False
    import fcntl

    try:
        devices = (os.stat(source, follow_symlinks=False).st_dev, os.fstat(dst.fileno()).st_dev)
        if devices in _no_clone:
            return False
        src = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.ioctl(dst.fileno(), _FICLONE, src)
    except OSError as exc:  # EOPNOTSUPP (ext4, tmpfs), EXDEV (another file system), ...
        if exc.errno in _NEVER_CLONES:
            _no_clone.add(devices)
        return False
    finally:
        os.close(src)
    return True
