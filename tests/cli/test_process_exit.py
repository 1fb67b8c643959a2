"""The console entry point leaves its process ready to end at once."""

from __future__ import annotations

import gc

import pytest
from rexport.cli import main


@pytest.mark.parametrize(("args", "code"), [(["--version"], 0), (["no-such-command"], 2)])
def test_the_collector_is_spared_its_walk_over_every_object_at_exit(args: list[str],
                                                                    code: int) -> None:
    # at exit Python collects every generation but the frozen one: after a pack, a walk over
    # all that the imports made took some 30 ms
    gc.unfreeze()
    try:
        with pytest.raises(SystemExit) as ended:
            main(args)
        assert ended.value.code == code  # the exit code is the command's
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
