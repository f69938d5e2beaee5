"""The extension runner works out each extension's stage hooks once per class and runs them
with Strawberry's semantics; per stream result it skips only work that cannot change a
result: a result without errors, when ErrorCodes (which rewrites errors only) is the only
stream hook."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from workchat.graphql.errors import ErrorCodes
from workchat.graphql.extension_runner import LeanRunner


class _Seen(SchemaExtension):
    def __init__(self) -> None:
        self.seen: list[object] = []

    def on_stream_result(self, result: object) -> Iterator[None]:
        self.seen.append(result)
        yield None

    def get_results(self) -> dict[str, Any]:
        return {"seen": len(self.seen)}


class _Context:
    extensions_results: dict[str, Any] = {}
    context = None


async def _stream(runner: LeanRunner, result: ExecutionResult) -> None:
    async with runner.on_stream_result(result):
        pass


async def test_errors_still_get_their_code() -> None:
    codes = ErrorCodes()
    codes.execution_context = _Context()  # type: ignore[assignment]
    runner = LeanRunner(_Context(), [codes])  # type: ignore[arg-type]
    result = ExecutionResult(data=None, errors=[GraphQLError("boom")])
    await _stream(runner, result)
    assert result.errors is not None
    assert result.errors[0].extensions == {"code": "GRAPHQL_VALIDATION_FAILED"}


async def test_a_clean_result_skips_error_codes_only() -> None:
    seen = _Seen()
    alone = LeanRunner(_Context(), [ErrorCodes()])  # type: ignore[arg-type]
    assert alone.on_stream_result(ExecutionResult(data={}, errors=None)).__class__.__name__ == (
        "nullcontext"
    )
    with_other = LeanRunner(_Context(), [ErrorCodes(), seen])  # type: ignore[arg-type]
    clean = ExecutionResult(data={"a": 1}, errors=None)
    await _stream(with_other, clean)
    assert seen.seen == [clean]
    assert await with_other.get_extensions_results(_Context()) == {"seen": 1}  # type: ignore[arg-type]


# --- the four stages: hooks found once per class, entered in order, exited in reverse ---


class _Log:
    entries: list[str] = []


class _GeneratorHooks(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        _Log.entries.append("gen enter")
        try:
            yield None
        finally:
            _Log.entries.append("gen exit")


class _AsyncGeneratorHooks(SchemaExtension):
    async def on_operation(self) -> AsyncIterator[None]:
        _Log.entries.append("agen enter")
        yield None
        _Log.entries.append("agen exit")


class _CallableHooks(SchemaExtension):
    def on_parse(self) -> None:  # type: ignore[override]
        _Log.entries.append("parse called")

    async def on_validate(self) -> None:  # type: ignore[override]
        _Log.entries.append("validate awaited")


def _runner(*extensions: SchemaExtension) -> LeanRunner:
    return LeanRunner(_Context(), list(extensions))  # type: ignore[arg-type]


async def test_hooks_enter_in_extension_order_and_exit_in_reverse() -> None:
    _Log.entries = []
    runner = _runner(_GeneratorHooks(), _CallableHooks(), _AsyncGeneratorHooks())
    async with runner.operation():
        async with runner.parsing():
            pass
        async with runner.validation():
            pass
        async with runner.executing():  # nobody hooks it
            pass
    assert _Log.entries == [
        "gen enter",
        "agen enter",
        "parse called",
        "validate awaited",
        "agen exit",
        "gen exit",
    ]


async def test_an_exception_reaches_every_hook_and_is_not_swallowed() -> None:
    _Log.entries = []
    runner = _runner(_GeneratorHooks(), _AsyncGeneratorHooks())
    with pytest.raises(ValueError, match="inside"):
        async with runner.operation():
            raise ValueError("inside")
    # The async generator is closed with the exception at its yield: no normal exit line.
    assert _Log.entries == ["gen enter", "agen enter", "gen exit"]


async def test_a_synchronous_stage_refuses_an_async_hook_and_runs_sync_ones() -> None:
    _Log.entries = []
    with _runner(_GeneratorHooks()).operation():
        pass
    assert _Log.entries == ["gen enter", "gen exit"]
    stage = _runner(_AsyncGeneratorHooks()).operation()
    with pytest.raises(RuntimeError, match="failed to complete synchronously"), stage:
        pass


async def test_the_schema_runs_a_request_through_every_stage() -> None:
    """Our nine extensions through the lean runner: an operation and its errors still work."""
    from workchat.graphql.schema import create_schema

    schema = create_schema()
    ok = await schema.execute("{ __typename }")
    assert ok.errors is None and ok.data == {"__typename": "Query"}
    bad = await schema.execute("{ nope }")
    assert bad.errors is not None
    assert bad.errors[0].extensions == {"code": "GRAPHQL_VALIDATION_FAILED"}


class _Swallows(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        try:
            yield None
        except ValueError:
            _Log.entries.append("swallowed")


class _Replaces(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        try:
            yield None
        except ValueError as exc:
            raise KeyError("replaced") from exc


class _FailsToEnter(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        raise LookupError("no entry")
        yield None  # a generator all the same


async def test_a_swallowed_exception_is_not_seen_by_outer_hooks_but_still_propagates() -> None:
    """As with Strawberry's runner: the stage never swallows, its hooks may."""
    _Log.entries = []
    runner = _runner(_GeneratorHooks(), _Swallows())
    with pytest.raises(ValueError, match="inside"):
        async with runner.operation():
            raise ValueError("inside")
    assert _Log.entries == ["gen enter", "swallowed", "gen exit"]


async def test_an_exception_a_hook_raises_instead_replaces_the_original() -> None:
    _Log.entries = []
    runner = _runner(_GeneratorHooks(), _Replaces())
    with pytest.raises(KeyError, match="replaced"):
        async with runner.operation():
            raise ValueError("inside")
    assert _Log.entries == ["gen enter", "gen exit"]


async def test_hooks_already_entered_exit_when_a_later_one_fails_to_enter() -> None:
    _Log.entries = []
    with pytest.raises(LookupError, match="no entry"):
        async with _runner(_GeneratorHooks(), _FailsToEnter()).operation():
            pass
    assert _Log.entries == ["gen enter", "gen exit"]
