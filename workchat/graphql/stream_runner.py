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
from strawberry.extensions.context import OperationContextManager
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext
from strawberry.utils.await_maybe import await_maybe

from workchat.graphql.errors import ErrorCodes


def _overrides(extension: SchemaExtension, hook: str) -> bool:
    return getattr(type(extension), hook) is not getattr(SchemaExtension, hook)


class _ListExitStack(contextlib.AsyncExitStack):
    """An exit stack on a list: its callbacks are only appended and popped from the end,
    and an empty deque costs a 64-slot block (about 700 bytes) for as long as the stack
    lives, which for a subscription's operation hooks is the subscription's life."""

    def __init__(self) -> None:
        super().__init__()
        self._exit_callbacks: Any = []


class _OperationHooks(OperationContextManager):
    async def __aenter__(self) -> None:
        # Strawberry's __aenter__, on the list-backed stack.
        self.async_exit_stack = _ListExitStack()
        await self.async_exit_stack.__aenter__()
        for hook in self.hooks:
            if hook.is_async:
                await self.async_exit_stack.enter_async_context(hook.hook())  # type: ignore[arg-type]
            else:
                self.async_exit_stack.enter_context(hook.hook())  # type: ignore[arg-type]


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

    def operation(self) -> OperationContextManager:
        return _OperationHooks(self.extensions)

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
