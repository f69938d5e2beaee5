"""Execute a subscription event once per group of identical subscribers.

Every subscriber keeps its own source stream (its own authorization, cursor, replay,
re-checks and slow-consumer rule: ``subscriptions.py``); only the step after it, running
the selection set on the event and encoding the result, is shared. Subscribers are in one
group when these are equal (``group_key``):

- the operation: its printed document (the operation and its fragments);
- its variables, except one used only as the root field's ``after`` (which picks where the
  stream starts, not what an event looks like);
- the permission scope: org, role and token scopes, plus the user when the selection asks
  for anything that depends on who is looking (``is_viewer_dependent``).

The first subscriber of a group to reach an event executes it and encodes ``{"data": …}``
once; the rest of the group awaits the same result (``workchat.events.fanout``) and the
WebSocket handler splices each operation's id into the pre-encoded frame.
docs/adr/0020-subscription-fan-out.md.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLField,
    GraphQLObjectType,
    GraphQLResolveInfo,
    OperationType,
    VariableNode,
    Visitor,
    print_ast,
    visit,
)
from graphql.execution import Executor
from graphql.pyutils import Path
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from workchat.events.fanout import Fanout, Shared
from workchat.graphql.events import types as gql

# Fields whose value depends on who is looking (beyond org and role): any ``viewer…`` field,
# and these. A selection with one of them is executed per viewer.
VIEWER_DEPENDENT_FIELDS = frozenset({"unreadCount", "mentionCount", "revisions"})
# Root values built from the committed event alone (channel_stream.channel_event), the same
# for every subscriber who receives them. Anything else (viewerEvents' counts, typing,
# ResyncRequired) is executed per subscriber.
SHARED_ROOTS = (
    gql.MessagePosted,
    gql.MessageEdited,
    gql.MessageDeleted,
    gql.ReactionAdded,
    gql.ReactionRemoved,
    gql.MemberJoined,
    gql.MemberLeft,
    gql.ChannelUpdated,
    gql.ChannelArchived,
)
STREAM_START_ARGUMENT = "after"
# The executor of the subscription whose root resolver is running, set in the operation's
# own task: a group's delivery task executes events through it
# (``workchat.graphql.events.delivery``).
SUBSCRIBING_EXECUTOR: ContextVar[SharedEventExecutor | None] = ContextVar(
    "workchat_subscribing_executor", default=None
)


def is_viewer_dependent(field_name: str) -> bool:
    return field_name.startswith("viewer") or field_name in VIEWER_DEPENDENT_FIELDS


class SharedData(dict[str, Any]):
    """A result's ``data`` with ``{"data": …}`` already encoded (``payload``, UTF-8)."""

    __slots__ = ("payload",)

    def __init__(self, data: dict[str, Any], payload: bytes) -> None:
        super().__init__(data)
        self.payload = payload


class _Scan(Visitor):
    """Variable uses and viewer-dependent fields of a document."""

    def __init__(self) -> None:
        super().__init__()
        self.variable_uses: dict[str, int] = {}
        self.viewer_dependent = False

    def enter_variable(self, node: VariableNode, *_: Any) -> None:
        self.variable_uses[node.name.value] = self.variable_uses.get(node.name.value, 0) + 1

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        if is_viewer_dependent(node.name.value):
            self.viewer_dependent = True


def group_key(executor: Executor[Any]) -> tuple[Any, ...]:
    """Who may share this subscription's event results (see the module docstring)."""
    operation = executor.operation
    fragments = sorted(executor.fragment_definitions.values(), key=lambda f: f.name.value)
    document = DocumentNode(definitions=(operation, *fragments))
    scan = _Scan()
    visit(document, scan)
    # Variable definitions count as uses too: a variable used once in the body appears twice.
    start_only: set[str] = set()
    root = operation.selection_set.selections[0]
    if isinstance(root, FieldNode):
        for argument in root.arguments or ():
            value = argument.value
            if (
                argument.name.value == STREAM_START_ARGUMENT
                and isinstance(value, VariableNode)
                and scan.variable_uses.get(value.name.value) == 2
            ):
                start_only.add(value.name.value)
    variables = {
        name: value
        for name, value in executor.variable_values.coerced.items()
        if name not in start_only
    }
    viewer = executor.context_value.viewer
    scope: tuple[Any, ...] = (viewer.org_id, viewer.role, tuple(sorted(viewer.scopes)))
    if scan.viewer_dependent:
        scope = (*scope, viewer.user_id)
    # Decoded: every subscriber keeps its key, and orjson's bytes hold a 4 KiB buffer each.
    encoded = orjson.dumps(variables, option=orjson.OPT_SORT_KEYS, default=repr).decode()
    return (print_ast(document), encoded, scope)


class SharedEventExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, with each subscription event executed once per group."""

    _fanout_group: tuple[Any, ...] | None = None
    _fanout_event = False

    @property
    def fanout_group(self) -> tuple[Any, ...]:
        if self._fanout_group is None:
            self._fanout_group = group_key(self)
        return self._fanout_group

    def build_resolve_info(
        self,
        field_def: GraphQLField,
        field_nodes: list[FieldNode],
        parent_type: GraphQLObjectType,
        path: Path,
    ) -> GraphQLResolveInfo[Any]:
        if not self._fanout_event and self.operation.operation is OperationType.SUBSCRIPTION:
            SUBSCRIBING_EXECUTOR.set(self)  # the root field of a subscription, at subscribe
        return super().build_resolve_info(field_def, field_nodes, parent_type, path)

    def build_per_event_executor(self, payload: Any) -> Executor[Any]:
        if self._fanout_group is None:
            self._fanout_group = group_key(self)
        executor = super().build_per_event_executor(payload)
        executor._fanout_event = True  # type: ignore[attr-defined]
        return executor

    def execute_operation(self, serially: bool | None = None) -> Any:
        if not self._fanout_event:
            return super().execute_operation(serially)
        root = self.root_value
        if not isinstance(root, SHARED_ROOTS):
            return super().execute_operation(serially)
        fanout: Fanout = self.context_value.services.fanout
        if not fanout.enabled:
            fanout.stats.executed(root.cursor)
            return super().execute_operation(serially)
        return self._shared(fanout, root.cursor)

    async def _shared(self, fanout: Fanout, cursor: str) -> ExecutionResult:
        key = (self._fanout_group, cursor)
        shared = fanout.results.get(key)
        if shared is not None:
            try:
                result: ExecutionResult = await shared.wait()
            except Shared.Failed:
                pass  # the executing subscriber went away: execute for ourselves
            else:
                fanout.stats.reused()
                return result
        shared = Shared()
        fanout.results.put(key, shared)
        try:
            result = await self._execute(cursor, fanout)
        except BaseException:
            fanout.results.discard(key, shared)
            shared.fail()
            raise
        shared.finish(result)
        return result

    async def _execute(self, cursor: str, fanout: Fanout) -> ExecutionResult:
        fanout.stats.executed(cursor)
        result = super().execute_operation(False)
        if self.is_awaitable(result):
            result = await result
        assert isinstance(result, ExecutionResult)
        if result.errors or result.data is None:
            return result  # formatted per subscriber, as errors always were
        payload = orjson.dumps({"data": result.data})
        return ExecutionResult(SharedData(result.data, payload), None)
