"""The server's collector policy: start-up's objects frozen, young collections spaced out."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from workchat import collector


@pytest.fixture
def restored_collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("restored_collector")
def test_settle_freezes_start_up_and_spaces_out_young_collections() -> None:
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    built_at_start_up = [object() for _ in range(10)]
    assert gc.get_freeze_count() == 0
    collector.settle()
    assert gc.get_threshold() == (collector.YOUNG_THRESHOLD, 10, 10)
    assert gc.get_freeze_count() > len(built_at_start_up)
    # A delivery-sized burst of young containers no longer triggers a collection.
    counts: list[int] = []
    gc.callbacks.append(lambda phase, info: counts.append(info["generation"]))
    try:
        gc.collect(0)
        counts.clear()
        burst = [[index] for index in range(5_000)]
        assert counts == []
    finally:
        gc.callbacks.pop()
    assert len(burst) == 5_000
