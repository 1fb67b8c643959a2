"""The producer: capture an experiment (Python API or files) and pack it deterministically."""

from __future__ import annotations

from rexport.pack.build import Written
from rexport.pack.capture import Capture
from rexport.pack.clock import FALLBACK_EPOCH, fixed_clock
from rexport.pack.environment import EnvironmentOptions
from rexport.pack.errors import PackError, SecretsFound
from rexport.pack.writers import FORMATS

__all__ = ["FALLBACK_EPOCH", "FORMATS", "Capture", "EnvironmentOptions", "PackError",
           "SecretsFound", "Written", "fixed_clock"]
