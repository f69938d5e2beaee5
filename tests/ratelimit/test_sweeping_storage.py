"""The in-process rate-limit storage sweeps expired entries at most once per second and
still counts every hit."""

from __future__ import annotations

from workchat.ratelimit.limiter import SweepingMemoryStorage


async def test_one_sweep_per_second_and_limits_still_hold() -> None:
    storage = SweepingMemoryStorage()
    assert await storage.acquire_entry("k0", limit=2, expiry=60)
    first = storage.timer
    assert first is not None
    await first
    for index in range(1, 10):
        assert await storage.acquire_entry(f"k{index}", limit=2, expiry=60)
    assert storage.timer is first  # no new sweep within the second
    assert await storage.acquire_entry("k0", limit=2, expiry=60)
    assert not await storage.acquire_entry("k0", limit=2, expiry=60)  # third hit refused
    assert await storage.incr("fixed", expiry=60) == 1
    assert await storage.incr("fixed", expiry=60) == 2
    storage._next_sweep = 0.0  # a second later
    await storage.incr("fixed", expiry=60)
    assert storage.timer is not first
    await storage.timer
