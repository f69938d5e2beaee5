"""Agents and the web client learn the API from the SDL: every type, field, argument, enum
value and input field of the schema carries a description."""

from __future__ import annotations

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    build_schema,
    is_introspection_type,
    is_specified_scalar_type,
)

from workchat.graphql.schema import schema


def undescribed(graphql_schema: GraphQLSchema) -> list[str]:
    """Coordinates (``Type.field(arg)``, ``Enum.VALUE``) of everything without a description,
    skipping introspection types and the built-in scalars."""
    missing: list[str] = []

    def check(coordinate: str, description: str | None) -> None:
        if not (description and description.strip()):
            missing.append(coordinate)

    for name, named in graphql_schema.type_map.items():
        if is_introspection_type(named) or is_specified_scalar_type(named):
            continue
        check(name, named.description)
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in named.fields.items():
                check(f"{name}.{field_name}", field.description)
                for arg_name, arg in field.args.items():
                    check(f"{name}.{field_name}({arg_name})", arg.description)
        elif isinstance(named, GraphQLInputObjectType):
            for field_name, input_field in named.fields.items():
                check(f"{name}.{field_name}", input_field.description)
        elif isinstance(named, GraphQLEnumType):
            for value_name, value in named.values.items():
                check(f"{name}.{value_name}", value.description)
        else:
            assert isinstance(named, GraphQLScalarType | GraphQLUnionType), named
    return missing


def test_everything_in_the_schema_is_described() -> None:
    assert undescribed(schema._schema) == []


def test_the_walk_finds_what_is_missing() -> None:
    """The check itself: a schema with undescribed parts is reported part by part."""
    bare = build_schema(
        """
        "Root." type Query { "Field." f(a: Int): E, g: I }
        enum E { "Value." X Y }
        "Input." input I2 { "Set." x: Int, y: Int }
        type I { "Also." z(b: I2): Int }
        """
    )
    assert sorted(undescribed(bare)) == sorted(
        ["Query.f(a)", "Query.g", "E", "E.Y", "I", "I.z(b)", "I2.y"]
    )
