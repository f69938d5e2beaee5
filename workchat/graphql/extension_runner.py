"""Strawberry's extension runner without the work that cannot change a result.

Every operation enters four hook stages (operation, parsing, validation, execution) over
every schema extension. Strawberry finds each stage's hooks anew for every operation: per
extension and stage it inspects the hook and wraps it with ``contextlib.contextmanager``
(``functools.wraps`` each time) — with our nine extensions about a fifth of the cost of
an authenticated ``{ __typename }`` (docs/adr/0021-write-throughput.md). Here what a hook
is and its context-manager factory are worked out once per extension class and stage
(``_stage_hook``); per operation only the factories are called. Semantics are Strawberry's:
hooks enter in extension order and exit in reverse on one exit stack, a synchronous stage
refuses an async hook, and the stage never swallows an exception.

Every result of every subscription also goes through the runner twice:
``get_extensions_results`` awaits each extension's ``get_results`` (none of ours has one),
and ``on_stream_result`` builds a context manager over every extension to find the one hook
there is (``ErrorCodes``, which only rewrites errors). With thousands of subscribers that is
per subscriber per event work for nothing (docs/adr/0020-subscription-fan-out.md). This
runner asks only the extensions that define ``get_results``, and skips ``on_stream_result``
for a result without errors when ``ErrorCodes`` is the only extension hooking it.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import AsyncIterator, Callable, Iterator
from types import TracebackType
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext
from strawberry.utils.await_maybe import await_maybe

from workchat.graphql.errors import ErrorCodes

# A stage's hook of one extension: whether it is async, and what makes its context manager.
HookFactory = Callable[[SchemaExtension], Any]


def _overrides(extension_class: type[SchemaExtension], hook: str) -> bool:
    return getattr(extension_class, hook) is not getattr(SchemaExtension, hook)


@functools.cache
def _stage_hook(
    extension_class: type[SchemaExtension], stage: str
) -> tuple[bool, HookFactory] | None:
    """How an extension class takes part in a stage, worked out once (as Strawberry's
    ``ExtensionContextManagerBase.get_hook`` does per operation)."""
    if not _overrides(extension_class, stage):
        return None
    hook = getattr(extension_class, stage)
    if inspect.isgeneratorfunction(hook):
        return False, contextlib.contextmanager(hook)
    if inspect.isasyncgenfunction(hook):
        return True, contextlib.asynccontextmanager(hook)
    if inspect.iscoroutinefunction(hook):

        @contextlib.asynccontextmanager
        async def awaited(extension: SchemaExtension) -> AsyncIterator[None]:
            await hook(extension)
            yield

        return True, awaited
    if callable(hook):

        @contextlib.contextmanager
        def called(extension: SchemaExtension) -> Iterator[None]:
            hook(extension)
            yield

        return False, called
    raise ValueError(f"Hook {stage} on {extension_class} must be callable, received {hook!r}")


@functools.cache
def _has_results(extension_class: type[SchemaExtension]) -> bool:
    return _overrides(extension_class, "get_results")


@functools.cache
def _stream_hook_needs_errors(extension_class: type[SchemaExtension]) -> bool:
    """ErrorCodes' stream hook acts on errors only; any other stream hook always runs."""
    return issubclass(extension_class, ErrorCodes) or not _overrides(
        extension_class, "on_stream_result"
    )


class _Stage:
    """One stage's hooks for one operation, entered and exited on one exit stack."""

    __slots__ = ("_hooks", "_stack", "_stage")

    def __init__(self, extensions: list[SchemaExtension], stage: str) -> None:
        self._stage = stage
        self._hooks: list[tuple[bool, HookFactory, SchemaExtension]] = []
        for extension in extensions:
            found = _stage_hook(type(extension), stage)
            if found is not None:
                self._hooks.append((found[0], found[1], extension))

    async def __aenter__(self) -> None:
        stack = self._stack = contextlib.AsyncExitStack()
        await stack.__aenter__()
        for is_async, factory, extension in self._hooks:
            if is_async:
                await stack.enter_async_context(factory(extension))
            else:
                stack.enter_context(factory(extension))

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._stack.__aexit__(exc_type, exc, traceback)

    def __enter__(self) -> None:
        stack = self._stack = contextlib.ExitStack()  # type: ignore[assignment]
        stack.__enter__()
        for is_async, factory, extension in self._hooks:
            if is_async:
                raise RuntimeError(
                    f"SchemaExtension hook {extension}.{self._stage} "
                    "failed to complete synchronously."
                )
            stack.enter_context(factory(extension))

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stack.__exit__(exc_type, exc, traceback)  # type: ignore[union-attr]


class LeanRunner(SchemaExtensionsRunner):
    def __init__(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension] | None = None
    ) -> None:
        super().__init__(execution_context, extensions)
        self._with_results = [e for e in self.extensions if _has_results(type(e))]
        self._stream_hooks_need_errors = all(
            _stream_hook_needs_errors(type(e)) for e in self.extensions
        )

    def operation(self) -> Any:
        return _Stage(self.extensions, "on_operation")

    def validation(self) -> Any:
        return _Stage(self.extensions, "on_validate")

    def parsing(self) -> Any:
        return _Stage(self.extensions, "on_parse")

    def executing(self) -> Any:
        return _Stage(self.extensions, "on_execute")

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
