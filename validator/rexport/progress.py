"""A progress bar of bytes on stderr (tqdm), safe to tick from the hashing threads."""

from __future__ import annotations

import sys
import threading


class ProgressBar:
    """Bytes hashed so far out of ``total``; ``tick(n)`` from any thread, ``close()`` once."""

    def __init__(self, total: int, description: str = "hashing") -> None:
        from tqdm import tqdm  # only paid for when a bar is shown

        class _Bar(tqdm):  # type: ignore[misc, type-arg, unused-ignore]
            # no monitor thread: it would outlive the bar, and a process with a second thread
            # no longer forks its read-ahead child (rexport.sources.readahead)
            monitor_interval = 0

        self.bar = _Bar(total=total, unit="B", unit_scale=True, unit_divisor=1024,
                        desc=description, file=sys.stderr, leave=False)
        self.lock = threading.Lock()

    def tick(self, n: int) -> None:
        with self.lock:
            self.bar.update(n)

    def close(self) -> None:
        self.bar.close()
