"""The extension runner skips only per-result work that cannot change a result: a stream
result without errors, when ErrorCodes (which rewrites errors only) is the only stream hook."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from workchat.graphql.errors import ErrorCodes
from workchat.graphql.stream_runner import StreamRunner


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


async def _stream(runner: StreamRunner, result: ExecutionResult) -> None:
    async with runner.on_stream_result(result):
        pass


async def test_errors_still_get_their_code() -> None:
    codes = ErrorCodes()
    codes.execution_context = _Context()  # type: ignore[assignment]
    runner = StreamRunner(_Context(), [codes])  # type: ignore[arg-type]
    result = ExecutionResult(data=None, errors=[GraphQLError("boom")])
    await _stream(runner, result)
    assert result.errors is not None
    assert result.errors[0].extensions == {"code": "GRAPHQL_VALIDATION_FAILED"}


async def test_a_clean_result_skips_error_codes_only() -> None:
    seen = _Seen()
    alone = StreamRunner(_Context(), [ErrorCodes()])  # type: ignore[arg-type]
    assert alone.on_stream_result(ExecutionResult(data={}, errors=None)).__class__.__name__ == (
        "nullcontext"
    )
    with_other = StreamRunner(_Context(), [ErrorCodes(), seen])  # type: ignore[arg-type]
    clean = ExecutionResult(data={"a": 1}, errors=None)
    await _stream(with_other, clean)
    assert seen.seen == [clean]
    assert await with_other.get_extensions_results(_Context()) == {"seen": 1}  # type: ignore[arg-type]
