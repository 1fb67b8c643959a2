"""The package's version and the REX specification version it reads and writes."""

from __future__ import annotations

# The package and the spec are versioned separately (spec/versioning.md); the build takes
# the package's version from here.
__version__ = "0.1.0"
SPEC_VERSION = "1.1"
