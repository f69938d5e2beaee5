"""The schema extension that gives every GraphQL operation its own DataLoaders."""

from __future__ import annotations

from collections.abc import Iterator

from strawberry.extensions import SchemaExtension

from workchat.graphql.context import Context


class OperationLoaders(SchemaExtension):
    """Wraps each operation — an HTTP request, or one query, mutation or subscription on a
    WebSocket — in ``Context.operation()``, so no cached row outlives the operation that
    read it. Subscriptions also call ``Context.fresh_loaders()`` per event."""

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context.context
        if not isinstance(context, Context):
            yield
            return
        with context.operation():
            yield
