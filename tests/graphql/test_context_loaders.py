"""``Context.loaders`` exists only inside an operation, belongs to that operation, and
``fresh_loaders()`` replaces it for the rest of the operation."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from workchat.graphql.context import Context
from workchat.graphql.loaders import Loaders
from workchat.services import Services


def make_context(services: Services) -> Context:
    return Context(request=None, response=None, services=services)  # type: ignore[arg-type]


def test_no_loaders_outside_an_operation(services: Services) -> None:
    context = make_context(services)
    with pytest.raises(RuntimeError, match="only while an operation"):
        _ = context.loaders
    with context.operation():
        assert isinstance(context.loaders, Loaders)
    with pytest.raises(RuntimeError):
        _ = context.loaders


def test_loaders_last_one_operation_unless_refreshed(services: Services) -> None:
    context = make_context(services)
    with context.operation():
        first = context.loaders
        assert context.loaders is first  # batching and caching within the operation
        fresh = context.fresh_loaders()
        assert fresh is not first and context.loaders is fresh
    with context.operation():
        assert context.loaders not in (first, fresh)


def test_another_contexts_operation_gives_no_loaders(services: Services) -> None:
    mine, other = make_context(services), make_context(services)
    with other.operation(), pytest.raises(RuntimeError):
        _ = mine.loaders


async def test_concurrent_operations_on_one_context_do_not_share(services: Services) -> None:
    """As on one WebSocket: each operation's task has its own loaders, and refreshing in one
    leaves the other's alone."""
    context = make_context(services)
    both_started = asyncio.Barrier(2)
    seen: dict[str, Any] = {}

    async def operation(name: str, refresh: bool) -> None:
        with context.operation():
            start = context.loaders
            await both_started.wait()
            if refresh:
                context.fresh_loaders()
            await both_started.wait()
            seen[name] = (start, context.loaders)

    await asyncio.gather(operation("a", refresh=True), operation("b", refresh=False))
    (a_start, a_end), (b_start, b_end) = seen["a"], seen["b"]
    assert a_start is not b_start
    assert a_end is not a_start
    assert b_end is b_start
