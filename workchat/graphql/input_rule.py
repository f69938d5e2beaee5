"""The text rule (``workchat.text``) at the GraphQL boundary, for every string a client sends.

A schema extension checks, before execution, every string that reaches an argument or an
input field of the operation about to run: inline literals and variable values alike, in
queries, mutations and subscriptions, through fragments and directives. It walks the
document with graphql-core's ``TypeInfo``, so the kind of each string comes from the schema
position it fills, and a new field or argument is covered without being registered.

The first string that breaks the rule fails the whole request with a top-level error
``extensions: {code: INVALID_INPUT, field}``; nothing runs, so nothing changes. ``field``
is the path of input field names from the argument (``filter.nameContains``), without the
``input`` argument every mutation takes — so it matches the ``field`` of a ``UserError``
for the same field (``body``, ``name``).

The walk's result (whether a literal breaks the rule, where each variable is used) is cached
per document text, so a request usually costs only the check of its variable values.

Strings the parser meets first are not seen here: a lone surrogate inside a literal in the
document is already a syntax error (GRAPHQL_PARSE_FAILED); as a variable value it is not.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    SKIP,
    ArgumentNode,
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    StringValueNode,
    TypeInfo,
    TypeInfoVisitor,
    ValueNode,
    VariableNode,
    Visitor,
    get_operation_ast,
    visit,
)
from strawberry.extensions import SchemaExtension
from strawberry.types.graphql import OperationType

from workchat.errors import RequestError, RequestErrorCode
from workchat.text import TextKind, kind_of, violation

# Where a string breaks the rule: (field path, reason).
Violation = tuple[str, str]
_MISSING = object()


def _nullable(type_: GraphQLInputType) -> GraphQLInputType:
    return type_.of_type if isinstance(type_, GraphQLNonNull) else type_


def _field_path(path: tuple[str, ...]) -> str:
    return ".".join(path) or "input"


def _check(value: str, path: tuple[str, ...]) -> Violation | None:
    kind = kind_of(path[-1]) if path else TextKind.GENERAL
    reason = violation(value, kind)
    return None if reason is None else (_field_path(path), reason)


# Called for a variable found inside a literal; the planner records it, defaults have none.
OnVariable = Callable[[str, GraphQLInputType, tuple[str, ...]], None]


def _in_value(
    node: ValueNode, type_: GraphQLInputType, path: tuple[str, ...], on_variable: OnVariable
) -> Violation | None:
    """The first violation in a literal filling a position of ``type_``; variables inside
    it go to ``on_variable`` (their values are checked per request)."""
    type_ = _nullable(type_)
    if isinstance(node, VariableNode):
        on_variable(node.name.value, type_, path)
        return None
    if isinstance(type_, GraphQLList):
        items = node.values if isinstance(node, ListValueNode) else (node,)
        for item in items:
            if found := _in_value(item, type_.of_type, path, on_variable):
                return found
        return None
    if isinstance(type_, GraphQLInputObjectType):
        if not isinstance(node, ObjectValueNode):
            return None  # validation already refused it
        for field in node.fields:
            definition = type_.fields.get(field.name.value)
            if definition is None:
                continue
            found = _in_value(field.value, definition.type, (*path, field.name.value), on_variable)
            if found:
                return found
        return None
    if isinstance(node, StringValueNode):
        return _check(node.value, path)
    return None


def _no_variables(name: str, type_: GraphQLInputType, path: tuple[str, ...]) -> None:
    """Default values are constants: they hold no variables."""


def _in_raw(value: Any, type_: GraphQLInputType, path: tuple[str, ...]) -> Violation | None:
    """The first violation in a variable's JSON value filling a position of ``type_``.

    Follows the type, not the value: a value nested deeper than its type is left to
    variable coercion, which refuses it.
    """
    type_ = _nullable(type_)
    if isinstance(value, str):
        return _check(value, path)
    if isinstance(type_, GraphQLList):
        items = value if isinstance(value, list) else (value,)
        for item in items:
            if found := _in_raw(item, type_.of_type, path):
                return found
        return None
    if isinstance(type_, GraphQLInputObjectType) and isinstance(value, Mapping):
        for key, child in value.items():
            key_text = str(key)
            if (reason := violation(key_text, TextKind.GENERAL)) is not None:
                return _field_path(path), f"has a field name that {reason}"
            definition = type_.fields.get(key_text)
            if definition is not None and (
                found := _in_raw(child, definition.type, (*path, key_text))
            ):
                return found
    return None


VariableUse = tuple[str, GraphQLInputType, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class _Plan:
    """What one document's operation needs checked: its literals' verdict (fixed), and
    where each variable is used (checked against each request's values)."""

    literal: Violation | None
    uses: tuple[VariableUse, ...]
    defaults: Mapping[str, ValueNode]


class _Planner(Visitor):
    def __init__(self, type_info: TypeInfo, operation: OperationDefinitionNode) -> None:
        super().__init__()
        self.type_info = type_info
        self.operation = operation
        self.literal: Violation | None = None
        self.uses: list[VariableUse] = []

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: object) -> object:
        # Only the operation that runs; fragments are visited once each wherever they are.
        return None if node is self.operation else SKIP

    def enter_argument(self, node: ArgumentNode, *_: object) -> object:
        argument = self.type_info.get_argument()
        if argument is not None and self.literal is None:
            name = node.name.value
            path = () if name == "input" else (name,)
            self.literal = _in_value(node.value, argument.type, path, self._record)
        return SKIP

    def _record(self, name: str, type_: GraphQLInputType, path: tuple[str, ...]) -> None:
        self.uses.append((name, type_, path))


def _plan(
    schema: GraphQLSchema, document: DocumentNode, operation: OperationDefinitionNode
) -> _Plan:
    type_info = TypeInfo(schema)
    planner = _Planner(type_info, operation)
    visit(document, TypeInfoVisitor(type_info, planner))
    defaults = {
        definition.variable.name.value: definition.default_value
        for definition in operation.variable_definitions or ()
        if definition.default_value is not None
    }
    return _Plan(planner.literal, tuple(planner.uses), defaults)


class _PlanCache:
    """Plans by (schema, document text, operation name): walking a large document costs
    a few hundred microseconds, and clients send the same few documents again and again."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._plans: OrderedDict[tuple[int, str, str | None], _Plan] = OrderedDict()

    def get(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        key: tuple[int, str, str | None] | None,
    ) -> _Plan:
        if key is None:
            return _plan(schema, document, operation)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._plans[key] = _plan(schema, document, operation)
            if len(self._plans) > self.size:
                self._plans.popitem(last=False)
        else:
            self._plans.move_to_end(key)
        return plan


PLAN_CACHE_SIZE = 256
_plans = _PlanCache(PLAN_CACHE_SIZE)


def first_violation(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    *,
    source: str | None = None,
) -> Violation | None:
    """The first string of the operation to run that breaks the text rule, if any.

    ``source`` (the document's text) lets the walk over the document be cached.
    """
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return None  # execution reports the unknown or ambiguous operation
    key = None if source is None else (id(schema), source, operation_name)
    plan = _plans.get(schema, document, operation, key)
    if plan.literal is not None:
        return plan.literal
    values = variables or {}
    for name, type_, path in plan.uses:
        value = values.get(name, _MISSING)
        if value is not _MISSING:
            found = _in_raw(value, type_, path)
        elif (default := plan.defaults.get(name)) is not None:
            found = _in_value(default, type_, path, _no_variables)
        else:
            continue
        if found is not None:
            return found
    return None


class InputRule(SchemaExtension):
    """Refuse an operation whose arguments hold text that breaks the rule (INVALID_INPUT)."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        variables = context.variables if isinstance(context.variables, Mapping) else None
        found = (
            None
            if document is None
            else first_violation(
                context.schema._schema,
                document,
                context.operation_name,
                variables,
                # The text keys the cached walk: a client repeats the same few documents.
                source=context.query,
            )
        )
        if found is not None:
            field, reason = found
            error = RequestError(f"{field} {reason}", RequestErrorCode.INVALID_INPUT, field=field)
            if context.operation_type is OperationType.SUBSCRIPTION:
                # Strawberry reports an exception from here as the stream's one result.
                raise error
            # A result set before execution replaces it (Strawberry skips executing), and
            # goes through every extension's post-processing, ErrorCodes included.
            context.result = ExecutionResult(
                data=None, errors=[GraphQLError(error.message, original_error=error)]
            )
        yield
