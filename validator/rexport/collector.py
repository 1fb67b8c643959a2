"""The cyclic garbage collector held off while large JSON values are built and checked."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Hold off the cyclic garbage collector while a manifest (or its index) is built.

    A manifest of 100,000 files is some 200,000 containers, and building them triggers
    dozens of passes of the collector over all built so far; JSON values hold no cycles,
    so nothing waits for it meanwhile. On the way out what was built goes straight to the
    oldest generation (frozen, then unfrozen): else the next young pass would walk it all.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if not gc.get_freeze_count():  # else the program froze objects of its own
                gc.freeze()
                gc.unfreeze()
            gc.enable()


@contextlib.contextmanager
def collector_frozen() -> Iterator[None]:
    """Keep what exists now (the manifest, its index) out of the collector's passes.

    The checks and the payload pass allocate as they go, and each full pass of the
    collector would walk the manifest's containers again. They are frozen (gc.freeze)
    meanwhile and unfrozen after; left alone when the program froze objects of its own,
    which unfreezing would undo.
    """
    if gc.get_freeze_count() or not gc.isenabled():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
