"""Every string a client can send, found by walking the schema, and a document for each.

``string_inputs(schema)`` lists each (field, argument, path to a String/ID leaf) of every
field that takes arguments, on the root types and on the object types reachable from
``Query`` (``Channel.messages`` through ``channel(id:)``). ``operation_for`` writes one
operation that fills every required argument with a harmless value and puts the given
text at the leaf, once with variables and once as inline literals.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    Undefined,
    get_named_type,
)

ROOTS = ("Query", "Mutation", "Subscription")
HARMLESS = {"ID": "x", "String": "x", "Int": 1, "Float": 1.0, "Boolean": False}
HARMLESS_DATETIME = "2026-01-01T00:00:00+00:00"


class EnumName(str):
    """An enum value: a bare name in a literal, a string in variables."""


@dataclass(frozen=True)
class StringInput:
    operation: str  # query | mutation | subscription
    route: tuple[str, ...]  # root fields leading to the field's parent (with literals)
    parent: str
    field: str
    argument: str
    leaf: tuple[str, ...]  # input field names below the argument, to the string
    scalar: str  # String, ID, or a custom scalar written as a string (DateTime)

    @property
    def expected_field(self) -> str:
        """The ``extensions.field`` the server names: no ``input.`` prefix."""
        path = self.leaf if self.argument == "input" else (self.argument, *self.leaf)
        return ".".join(path)

    @property
    def leaf_name(self) -> str:
        return (self.argument, *self.leaf)[-1]

    def __str__(self) -> str:
        return f"{self.parent}.{self.field}({self.argument}{''.join('.' + p for p in self.leaf)})"


def _nullable(type_: Any) -> Any:
    return type_.of_type if isinstance(type_, GraphQLNonNull) else type_


def _string_leaves(
    type_: GraphQLInputType, path: tuple[str, ...]
) -> list[tuple[tuple[str, ...], str]]:
    named = get_named_type(type_)
    if isinstance(named, GraphQLInputObjectType):
        leaves: list[tuple[tuple[str, ...], str]] = []
        for name, field in named.fields.items():
            leaves.extend(_string_leaves(field.type, (*path, name)))
        return leaves
    if isinstance(named, GraphQLScalarType) and named.name not in ("Int", "Float", "Boolean"):
        return [(path, named.name)]  # String, ID and string-encoded custom scalars
    return []


def _routes(schema: GraphQLSchema) -> dict[str, tuple[str, ...]]:
    """For each object type reachable from Query, the root-field route to one of it."""
    query = schema.query_type
    assert query is not None
    routes: dict[str, tuple[str, ...]] = {"Query": ()}
    pending: deque[GraphQLObjectType] = deque([query])
    while pending:
        parent = pending.popleft()
        for name, field in parent.fields.items():
            target = get_named_type(field.type)
            if not isinstance(target, GraphQLObjectType) or target.name in routes:
                continue
            required = {n: a for n, a in field.args.items() if isinstance(a.type, GraphQLNonNull)}
            if any(_nullable(a.type) is not schema.type_map["ID"] for a in required.values()):
                continue
            args = ", ".join(f'{n}: "x"' for n in required)
            step = f"{name}({args})" if args else name
            routes[target.name] = (*routes[parent.name], step)
            pending.append(target)
    return routes


def string_inputs(schema: GraphQLSchema) -> list[StringInput]:
    routes = _routes(schema)
    found: list[StringInput] = []
    for type_name, type_ in schema.type_map.items():
        if type_name.startswith("__") or not isinstance(type_, GraphQLObjectType):
            continue
        for field_name, field in type_.fields.items():
            for arg_name, arg in field.args.items():
                for leaf, scalar in _string_leaves(arg.type, ()):
                    if type_name in ROOTS:
                        operation, route = type_name.lower(), ()
                    else:
                        assert type_name in routes, f"no route from Query to {type_name}"
                        operation, route = "query", routes[type_name]
                    found.append(
                        StringInput(operation, route, type_name, field_name, arg_name, leaf, scalar)
                    )
    return found


def _harmless(type_: GraphQLInputType) -> Any:
    type_ = _nullable(type_)
    if isinstance(type_, GraphQLList):
        return [_harmless(type_.of_type)]
    named: GraphQLNamedType = type_
    if isinstance(named, GraphQLEnumType):
        return EnumName(next(iter(named.values)))
    if isinstance(named, GraphQLInputObjectType):
        return {
            name: _harmless(field.type)
            for name, field in named.fields.items()
            if isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined
        }
    if named.name == "DateTime":
        return HARMLESS_DATETIME
    return HARMLESS[named.name]


def _with_text(type_: GraphQLInputType, leaf: tuple[str, ...], text: str) -> Any:
    """A value of ``type_`` with ``text`` at ``leaf`` (lists get it as their one item)."""
    type_ = _nullable(type_)
    if isinstance(type_, GraphQLList):
        return [_with_text(type_.of_type, leaf, text)]
    if not leaf:
        return text
    assert isinstance(type_, GraphQLInputObjectType)
    value = _harmless(type_)
    value[leaf[0]] = _with_text(type_.fields[leaf[0]].type, leaf[1:], text)
    return value


def _literal(value: Any) -> str:
    if isinstance(value, EnumName):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        # JSON's string escapes are GraphQL's; a lone surrogate stays a raw character.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_literal(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_literal(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


def _type_ref(type_: GraphQLInputType) -> str:
    if isinstance(type_, GraphQLNonNull):
        return _type_ref(type_.of_type) + "!"
    if isinstance(type_, GraphQLList):
        return "[" + _type_ref(type_.of_type) + "]"
    return type_.name


def _selection(schema: GraphQLSchema, target: StringInput) -> str:
    field = schema.type_map[target.parent].fields[target.field]  # type: ignore[union-attr]
    named = get_named_type(field.type)
    return "" if isinstance(named, GraphQLScalarType | GraphQLEnumType) else " { __typename }"


def operation_for(
    schema: GraphQLSchema, target: StringInput, text: str, *, inline: bool
) -> tuple[str, dict[str, Any]]:
    """(document, variables) that send ``text`` at the target leaf."""
    parent = schema.type_map[target.parent]
    assert isinstance(parent, GraphQLObjectType)
    args: dict[str, GraphQLArgument] = parent.fields[target.field].args
    values: dict[str, Any] = {}
    for name, arg in args.items():
        if name == target.argument:
            values[name] = _with_text(arg.type, target.leaf, text)
        elif isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined:
            values[name] = _harmless(arg.type)
    if inline:
        call = ", ".join(f"{n}: {_literal(v)}" for n, v in values.items())
        definitions, variables = "", {}
    else:
        call = ", ".join(f"{n}: ${n}" for n in values)
        definitions = "(" + ", ".join(f"${n}: {_type_ref(args[n].type)}" for n in values) + ")"
        variables = {n: _plain(v) for n, v in values.items()}
    inner = f"{target.field}({call}){_selection(schema, target)}"
    for step in reversed(target.route):
        inner = f"{step} {{ {inner} }}"
    return f"{target.operation} Probe{definitions} {{ {inner} }}", variables


def _plain(value: Any) -> Any:
    if isinstance(value, EnumName):
        return str(value)
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
