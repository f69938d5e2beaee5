"""Strawberry's extension runner without per-result work that cannot change a result.

Every result of every subscription goes through the runner twice: ``get_extensions_results``
awaits each extension's ``get_results`` (none of ours has one), and ``on_stream_result``
builds a context manager over every extension to find the one hook there is (``ErrorCodes``,
which only rewrites errors). With thousands of subscribers that is per subscriber per event
work for nothing (docs/adr/0020-subscription-fan-out.md). This runner asks only the
extensions that define ``get_results``, and skips ``on_stream_result`` for a result without
errors when ``ErrorCodes`` is the only extension hooking it.
"""

from __future__ import annotations

import contextlib
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext
from strawberry.utils.await_maybe import await_maybe

from workchat.graphql.errors import ErrorCodes


def _overrides(extension: SchemaExtension, hook: str) -> bool:
    return getattr(type(extension), hook) is not getattr(SchemaExtension, hook)


class StreamRunner(SchemaExtensionsRunner):
    def __init__(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension] | None = None
    ) -> None:
        super().__init__(execution_context, extensions)
        self._with_results = [e for e in self.extensions if _overrides(e, "get_results")]
        # ErrorCodes' hook acts on errors only; any other stream hook always runs.
        self._stream_hooks_need_errors = all(
            isinstance(e, ErrorCodes) or not _overrides(e, "on_stream_result")
            for e in self.extensions
        )

    def on_stream_result(self, result: Any) -> Any:
        if self._stream_hooks_need_errors and not getattr(result, "errors", None):
            return contextlib.nullcontext()
        return super().on_stream_result(result)

    async def get_extensions_results(self, ctx: ExecutionContext) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for extension in self._with_results:
            data.update(await await_maybe(extension.get_results()))
        data.update(ctx.extensions_results)
        return data
