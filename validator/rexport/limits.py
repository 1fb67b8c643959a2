"""The limits an export must stay within (spec EXP-04): the caps every reader enforces."""

from __future__ import annotations

# A validator's default caps, which its user may raise for an export they trust
# (--max-files, --max-bytes).
MAX_FILES = 200_000  # entries of the tree, each archive member once (REX-X113)
MAX_BYTES = 2**40  # files' total uncompressed size, as declared before reading (REX-X114)

# Fixed by the format.
MANIFEST_CAP = 128 << 20  # bytes of rex.json (REX-P107)
CONFIG_CAP = 16 << 20  # bytes of a configuration file that is parsed, CFG-02 (REX-P107)
MAX_DEPTH = 64  # nesting of rex.json and of a parsed configuration file (REX-P106)
MAX_PATH_BYTES = 1024  # a path's length in UTF-8 (REX-X119)
MAX_SEGMENTS = 64  # a path's segments (REX-X119)
RATIO_LIMIT = 1000  # decompressed:compressed (REX-X115) ...
RATIO_MIN_SIZE = 1 << 20  # ... judged on members larger than this, once read whole, ...
# ... and on each prefix of a tar member this long or longer while it is read: that bounds the
# time a bomb can take without judging a file on a short prefix (it may begin with zeros)
RATIO_PREFIX = 64 << 20
