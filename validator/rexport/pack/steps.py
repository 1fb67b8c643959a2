"""Lineage steps: a context manager and decorator recording inputs, outputs, code and times."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from rexport.pack.clock import rfc3339
from rexport.pack.errors import PackError
from rexport.pack.record import Record

F = TypeVar("F", bound=Callable[..., Any])


class Step:
    """One transformation of the lineage; recorded when its body ends without an error."""

    def __init__(self, capture: Record, id: str, *, inputs: Sequence[str | os.PathLike[str]],
                 outputs: Sequence[str | os.PathLike[str]], code: str | os.PathLike[str] | None,
                 caller: str | None, symbol: str | None, parameters: dict[str, Any],
                 description: str | None) -> None:
        self.capture, self.id = capture, id
        self.inputs, self.outputs = list(inputs), list(outputs)
        self.code, self.caller, self.symbol = code, caller, symbol
        self.parameters, self.description = parameters, description
        self._started: float | None = None
        self._input_refs: list[dict[str, str]] = []

    def __enter__(self) -> Step:
        if any(s["id"] == self.id for s in self.capture.steps):
            raise PackError(f"lineage step {self.id!r} is recorded twice")
        self._input_refs = [self.capture.ref(item) for item in self.inputs]
        self._started = self.capture.clock()
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if kind is not None or self._started is None:
            return  # a failed step is not part of what produced the results
        ended = max(self.capture.clock(), self._started)
        source = self.code if self.code is not None else self.caller
        if source is None:
            raise PackError(f"step {self.id!r}: give the code that runs it (code=)")
        code: dict[str, Any] = {"path": self.capture.code_path(source)}
        if self.symbol:
            code["symbol"] = self.symbol
        entry: dict[str, Any] = {
            "id": self.id, "inputs": self._input_refs,
            "outputs": [self.capture.ref(item) for item in self.outputs],
            "code": code, "started": rfc3339(self._started), "ended": rfc3339(ended),
        }
        if self.description:
            entry["description"] = self.description
        if self.parameters:
            entry["parameters"] = self.parameters
        self.capture.steps.append(entry)

    def __call__(self, func: F) -> F:
        """Use the step as a decorator: each call of ``func`` is the step (record it once)."""
        if self.code is None:
            self.code = Path(func.__code__.co_filename)
        if self.symbol is None:
            self.symbol = func.__qualname__

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]
