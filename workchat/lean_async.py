"""``asyncio.Event`` and a bounded ``asyncio.Queue`` without their idle cost.

Every live socket holds a few of these for as long as it is connected (uvicorn's receive
queue and back-pressure flag, the session guard's hub listener, a subscription's group
membership), and almost all of the time they sit empty. An ``asyncio.Event`` allocates a
deque for its waiters (about 700 bytes before anything waits) and an ``asyncio.Queue``
three. With thousands of sockets that was about a fifth of an idle subscriber's memory.
These keep the same interface (what the callers use of it) and allocate only while
something waits or is queued. docs/adr/0020-subscription-fan-out.md.

Like asyncio's, they belong to the running loop and are not thread-safe.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


Waiters = list[asyncio.Future[None]] | None  # None while nobody waits


async def _wait(owner: object, slot: str) -> None:
    """Wait on a new future added to the waiter list in ``owner``'s ``slot``."""
    waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    waiters: Waiters = getattr(owner, slot)
    if waiters is None:
        setattr(owner, slot, [waiter])
    else:
        waiters.append(waiter)
    try:
        await waiter
    finally:
        # Still listed only when cancelled (a wake-up takes the whole list away).
        current: Waiters = getattr(owner, slot)
        if current is not None and waiter in current:
            current.remove(waiter)
            if not current:
                setattr(owner, slot, None)


def _wake(waiters: Waiters) -> None:
    for waiter in waiters or ():
        if not waiter.done():
            waiter.set_result(None)


class LeanEvent:
    """``asyncio.Event``: ``set`` wakes every task waiting at that moment."""

    __slots__ = ("_flag", "_waiters")

    def __init__(self) -> None:
        self._flag = False
        self._waiters: Waiters = None

    def is_set(self) -> bool:
        return self._flag

    def set(self) -> None:
        if not self._flag:
            self._flag = True
            waiters, self._waiters = self._waiters, None
            _wake(waiters)

    def clear(self) -> None:
        self._flag = False

    async def wait(self) -> bool:
        if self._flag:
            return True
        await _wait(self, "_waiters")
        return True


class LeanQueue(Generic[T]):
    """A FIFO ``asyncio.Queue`` (``maxsize`` 0: unbounded): ``put_nowait`` raises
    ``asyncio.QueueFull`` when full; there is no waiting ``put``."""

    __slots__ = ("_getters", "_items", "maxsize")

    def __init__(self, maxsize: int = 0) -> None:
        self.maxsize = maxsize
        self._items: deque[T] | None = None  # None while empty
        self._getters: Waiters = None

    def qsize(self) -> int:
        return len(self._items) if self._items is not None else 0

    def empty(self) -> bool:
        return self._items is None

    def full(self) -> bool:
        return 0 < self.maxsize <= self.qsize()

    def put_nowait(self, item: T) -> None:
        if self.full():
            raise asyncio.QueueFull
        if self._items is None:
            self._items = deque()
        self._items.append(item)
        getters, self._getters = self._getters, None
        _wake(getters)

    def get_nowait(self) -> T:
        items = self._items
        if items is None:
            raise asyncio.QueueEmpty
        item = items.popleft()
        if not items:
            self._items = None  # an empty deque still holds a block of 64 slots
        return item

    async def get(self) -> T:
        while self._items is None:
            await _wait(self, "_getters")
        return self.get_nowait()
