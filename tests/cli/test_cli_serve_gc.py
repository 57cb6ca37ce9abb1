"""``madoguchi serve`` freezes its start-up objects out of the garbage collector's way."""

from __future__ import annotations

import gc

from madoguchi.cli.serve import tune_gc


def test_tune_gc_freezes_start_up_objects_and_keeps_the_thresholds() -> None:
    thresholds = gc.get_threshold()
    frozen_before = gc.get_freeze_count()
    long_lived = [{"queue": i} for i in range(1000)]
    try:
        tune_gc()
        assert gc.get_freeze_count() >= frozen_before + len(long_lived)
        assert gc.get_threshold() == thresholds
    finally:
        gc.unfreeze()
