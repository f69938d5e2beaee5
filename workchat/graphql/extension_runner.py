"""Strawberry's extension runner without the work that cannot change a result.

Every operation enters four hook stages (operation, parsing, validation, execution) over
every schema extension. Strawberry finds each stage's hooks anew for every operation: per
extension and stage it inspects the hook and wraps it with ``contextlib.contextmanager``
(``functools.wraps`` each time), then enters them on an exit stack — with our nine
extensions about a third of the cost of an authenticated ``{ __typename }``
(docs/adr/0021-write-throughput.md). Here what each hook is, is worked out once per
extension class and stage (``_stage_hook``), and generator hooks are driven directly
(``_Stage``). Semantics are Strawberry's: hooks enter in extension order and exit in
reverse, a synchronous stage refuses an async hook, and the stage never swallows an
exception.

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
import inspect
from collections.abc import Callable
from types import TracebackType
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext
from strawberry.utils.await_maybe import await_maybe

from workchat.graphql.errors import ErrorCodes

# How an extension takes part in a stage (Strawberry accepts these four shapes of hook).
GENERATOR, ASYNC_GENERATOR, CALL, ASYNC_CALL = range(4)
Hook = tuple[int, Callable[[SchemaExtension], Any]]


def _overrides(extension_class: type[SchemaExtension], hook: str) -> bool:
    return getattr(extension_class, hook) is not getattr(SchemaExtension, hook)


_known: dict[tuple[type[SchemaExtension], str], Hook | None] = {}


def _stage_hook(extension_class: type[SchemaExtension], stage: str) -> Hook | None:
    """How an extension class takes part in a stage, worked out once (Strawberry's
    ``ExtensionContextManagerBase.get_hook`` does it per operation)."""
    key = (extension_class, stage)
    if key not in _known:
        _known[key] = _find_stage_hook(extension_class, stage)
    return _known[key]


def _find_stage_hook(extension_class: type[SchemaExtension], stage: str) -> Hook | None:
    if not _overrides(extension_class, stage):
        return None
    hook = getattr(extension_class, stage)
    if inspect.isgeneratorfunction(hook):
        return GENERATOR, hook
    if inspect.isasyncgenfunction(hook):
        return ASYNC_GENERATOR, hook
    if inspect.iscoroutinefunction(hook):
        return ASYNC_CALL, hook
    if callable(hook):
        return CALL, hook
    raise ValueError(f"Hook {stage} on {extension_class} must be callable, received {hook!r}")


def _stream_hook_needs_errors(extension_class: type[SchemaExtension]) -> bool:
    """ErrorCodes' stream hook acts on errors only; any other stream hook always runs."""
    return issubclass(extension_class, ErrorCodes) or not _overrides(
        extension_class, "on_stream_result"
    )


class _Stage:
    """One stage's hooks for one operation. A generator hook is driven directly (what
    ``contextlib.contextmanager`` and an exit stack would do, without building either):
    entered in extension order, exited in reverse; an exception is thrown into each
    generator in turn, one that a generator swallows is not seen by the ones after it, one
    it raises instead replaces it. As in Strawberry the stage itself never swallows an
    exception. Hooks already entered are exited when a later one fails to enter (Strawberry
    leaves them to the garbage collector)."""

    __slots__ = ("_entered", "_hooks", "_stage")

    def __init__(self, extensions: list[SchemaExtension], stage: str) -> None:
        self._stage = stage
        self._hooks: list[tuple[int, Callable[[SchemaExtension], Any], SchemaExtension]] = []
        for extension in extensions:
            found = _stage_hook(type(extension), stage)
            if found is not None:
                self._hooks.append((found[0], found[1], extension))
        self._entered: list[tuple[bool, Any]] = []  # (is async, generator)

    async def __aenter__(self) -> None:
        try:
            for kind, hook, extension in self._hooks:
                if kind == GENERATOR:
                    generator = hook(extension)
                    self._entered.append((False, generator))
                    _first(generator)
                elif kind == ASYNC_GENERATOR:
                    agen = hook(extension)
                    self._entered.append((True, agen))
                    await _afirst(agen)
                elif kind == ASYNC_CALL:
                    await hook(extension)
                else:
                    hook(extension)
        except BaseException as exc:
            await self.__aexit__(type(exc), exc, exc.__traceback__)
            raise

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        raised = exc
        while self._entered:
            is_async, generator = self._entered.pop()
            raised = (
                await _aexit_hook(generator, raised) if is_async else _exit_hook(generator, raised)
            )
        _propagate(raised, exc)

    def __enter__(self) -> None:
        try:
            for kind, hook, extension in self._hooks:
                if kind in (ASYNC_GENERATOR, ASYNC_CALL):
                    raise RuntimeError(
                        f"SchemaExtension hook {extension}.{self._stage} "
                        "failed to complete synchronously."
                    )
                if kind == GENERATOR:
                    generator = hook(extension)
                    self._entered.append((False, generator))
                    _first(generator)
                else:
                    hook(extension)
        except BaseException as exc:
            self.__exit__(type(exc), exc, exc.__traceback__)
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        raised = exc
        while self._entered:
            _, generator = self._entered.pop()
            raised = _exit_hook(generator, raised)
        _propagate(raised, exc)


def _exit_hook(generator: Any, raised: BaseException | None) -> BaseException | None:
    """Exit one entered generator hook with ``raised`` (None: normally); the exception
    that goes on to the hooks after it (None when it swallowed ``raised``)."""
    try:
        if raised is None:
            _last(generator)
        else:
            generator.throw(raised)
            raise RuntimeError("generator didn't stop after throw()")
    except StopIteration:
        return None
    except BaseException as new:
        return new
    return None


async def _aexit_hook(generator: Any, raised: BaseException | None) -> BaseException | None:
    """``_exit_hook`` for an async generator hook."""
    try:
        if raised is None:
            await _alast(generator)
        else:
            await generator.athrow(raised)
            raise RuntimeError("generator didn't stop after athrow()")
    except StopAsyncIteration:
        return None
    except BaseException as new:
        return new
    return None


def _propagate(raised: BaseException | None, original: BaseException | None) -> None:
    """The stage never swallows: only an exception a hook raised instead is raised here
    (the original one goes on by itself)."""
    if raised is not None and raised is not original:
        raise raised


def _first(generator: Any) -> None:
    try:
        next(generator)
    except StopIteration:
        raise RuntimeError("generator didn't yield") from None


async def _afirst(generator: Any) -> None:
    try:
        await generator.__anext__()
    except StopAsyncIteration:
        raise RuntimeError("generator didn't yield") from None


def _last(generator: Any) -> None:
    try:
        next(generator)
    except StopIteration:
        return
    raise RuntimeError("generator didn't stop")


async def _alast(generator: Any) -> None:
    try:
        await generator.__anext__()
    except StopAsyncIteration:
        return
    raise RuntimeError("generator didn't stop")


class LeanRunner(SchemaExtensionsRunner):
    def __init__(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension] | None = None
    ) -> None:
        super().__init__(execution_context, extensions)
        self._with_results = [e for e in self.extensions if _overrides(type(e), "get_results")]
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
