"""Write docs/reference/api.md from schema.graphql (itself exported from the code): every root
operation, type, field, argument and enum value with its description, and every error code
from workchat/errors.py. ``--check`` only compares (CI's drift check). Anything without a
description is refused, so the reference never has holes."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
    build_schema,
    get_named_type,
    print_ast,
)
from graphql.utilities import ast_from_value

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from source_comments import comments_above, generator_main  # noqa: E402

from workchat.errors import ErrorCode, RequestErrorCode  # noqa: E402

TARGET = ROOT / "docs" / "reference" / "api.md"
COMMAND = "python scripts/gen_api_reference.py"
ROOTS = ("Query", "Mutation", "Subscription")
KINDS: tuple[tuple[str, type], ...] = (
    ("Objects", GraphQLObjectType),
    ("Interfaces", GraphQLInterfaceType),
    ("Unions", GraphQLUnionType),
    ("Input objects", GraphQLInputObjectType),
    ("Enums", GraphQLEnumType),
    ("Scalars", GraphQLScalarType),
)
BUILTIN_SCALARS = {"String", "Int", "Float", "Boolean", "ID"}

missing: list[str] = []


def describe(where: str, description: str | None) -> str:
    if not description or not description.strip():
        missing.append(where)
        return ""
    return description.strip()


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def type_link(type_: object) -> str:
    named = get_named_type(type_)  # type: ignore[arg-type]
    text = str(type_)
    if named.name in BUILTIN_SCALARS or named.name.startswith("__"):
        return f"`{text}`"
    return f"[`{text}`](#{named.name.lower()})"


def default(arg: GraphQLArgument | GraphQLInputField) -> str:
    if arg.default_value is None or arg.default_value is ...:
        return ""
    node = ast_from_value(arg.default_value, arg.type)
    return f" = `{print_ast(node)}`" if node is not None else ""


def arguments(where: str, args: dict[str, GraphQLArgument]) -> list[str]:
    return [
        f"`{name}`: {type_link(arg.type)}{default(arg)} — "
        + cell(describe(f"{where}({name}:)", arg.description))
        for name, arg in args.items()
    ]


def fields_table(owner: str, fields: dict[str, GraphQLField] | dict[str, GraphQLInputField]) -> str:
    rows = ["| Field | Type | Description |", "|---|---|---|"]
    for name, field in fields.items():
        text = cell(describe(f"{owner}.{name}", field.description))
        if isinstance(field, GraphQLField) and field.args:
            text += "<br>**Arguments:**<br>" + "<br>".join(arguments(f"{owner}.{name}", field.args))
        if isinstance(field, GraphQLField) and field.deprecation_reason:
            text += f"<br>**Deprecated:** {cell(field.deprecation_reason)}"
        extra = default(field) if isinstance(field, GraphQLInputField) else ""
        rows.append(f"| `{name}` | {type_link(field.type)}{extra} | {text} |")
    return "\n".join(rows)


def root_section(schema_type: GraphQLObjectType | None) -> list[str]:
    if schema_type is None:
        return []
    out = [f"## {schema_type.name}", ""]
    for name, field in schema_type.fields.items():
        where = f"{schema_type.name}.{name}"
        root = schema_type.name.lower()
        out += [
            f"### {root}.{name} {{ #{root}-{name.lower()} }}",
            "",
        ]
        out += [describe(where, field.description), ""]
        if field.args:
            out += ["| Argument | Type | Description |", "|---|---|---|"]
            for arg_name, arg in field.args.items():
                text = cell(describe(f"{where}({arg_name}:)", arg.description))
                out.append(f"| `{arg_name}` | {type_link(arg.type)}{default(arg)} | {text} |")
            out.append("")
        out += [f"Returns {type_link(field.type)}.", ""]
    return out


def type_section(named: GraphQLNamedType) -> list[str]:
    out = [
        f"### {named.name} {{ #{named.name.lower()} }}",
        "",
        describe(named.name, named.description),
        "",
    ]
    if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
        if named.interfaces:
            out += ["Implements " + ", ".join(type_link(i) for i in named.interfaces) + ".", ""]
        out += [fields_table(named.name, named.fields), ""]
    elif isinstance(named, GraphQLInputObjectType):
        out += [fields_table(named.name, named.fields), ""]
    elif isinstance(named, GraphQLUnionType):
        out += ["One of " + ", ".join(type_link(t) for t in named.types) + ".", ""]
    elif isinstance(named, GraphQLEnumType):
        out += ["| Value | Description |", "|---|---|"]
        for value_name, value in named.values.items():
            text = cell(describe(f"{named.name}.{value_name}", value.description))
            out.append(f"| `{value_name}` | {text} |")
        out.append("")
    return out


def error_codes(
    schema_enum: GraphQLEnumType | None, mutation: GraphQLObjectType | None
) -> list[str]:
    if schema_enum is None:
        raise SystemExit("schema.graphql has no ErrorCode enum")
    in_code = {code.value for code in ErrorCode}
    if set(schema_enum.values) != in_code:
        raise SystemExit(
            "schema.graphql's ErrorCode differs from workchat/errors.py: run "
            "workchat export-schema -o schema.graphql"
        )
    out = [
        "## Error codes",
        "",
        "Two kinds, both defined in `workchat/errors.py`. A mutation's expected failures are",
        "**data**: its payload's `errors: [UserError!]!` carries `code`, `message` and `field`",
        "and nothing was changed. Failures of the whole request are top-level GraphQL `errors`",
        "with `extensions.code` (and no data for that field).",
        "",
        "### Payload error codes (`UserError.code`) { #payload-error-codes }",
        "",
        "| Code | Meaning | Returned by |",
        "|---|---|---|",
    ]
    mutations = mutation.fields if mutation else {}
    for code in ErrorCode:
        users = [
            f"[`{name}`](#mutation-{name.lower()})"
            for name, field in mutations.items()
            if re.search(rf"\b{code.value}\b", field.description or "")
        ]
        meaning = cell(
            describe(f"ErrorCode.{code.value}", schema_enum.values[code.value].description)
        )
        out.append(
            f"| `{code.value}` | {meaning} | {', '.join(users) or 'several (see the mutations)'} |"
        )
    comments = comments_above(ROOT / "workchat" / "errors.py", "RequestErrorCode")
    out += [
        "",
        "### Request error codes (`extensions.code`) { #request-error-codes }",
        "",
        "| Code | Meaning |",
        "|---|---|",
    ]
    for request_code in RequestErrorCode:
        meaning = describe(
            f"RequestErrorCode.{request_code.name} (a comment in workchat/errors.py)",
            comments.get(request_code.name),
        )
        out.append(f"| `{request_code.value}` | {cell(meaning)} |")
    return [*out, ""]


def render() -> str:
    schema = build_schema((ROOT / "schema.graphql").read_text(encoding="utf-8"))
    out = [
        "# GraphQL API reference",
        "",
        "<!-- Generated by scripts/gen_api_reference.py from schema.graphql and",
        "     workchat/errors.py:",
        "     do not edit. Change the descriptions in the code, export the schema, re-run. -->",
        "",
        "One schema at `POST /graphql` (queries and mutations) and over WebSocket",
        "(`graphql-transport-ws`, subscriptions too). The SDL is `schema.graphql` in the",
        "repository (`workchat export-schema`). Conventions (Relay ids and connections, payloads",
        "with `errors`) are in [ADR 0005](../adr/0005-api-contract.md).",
        "",
    ]
    out += error_codes(schema.get_type("ErrorCode"), schema.mutation_type)  # type: ignore[arg-type]
    for root in (schema.query_type, schema.mutation_type, schema.subscription_type):
        out += root_section(root)
    types = sorted(
        (
            t
            for name, t in schema.type_map.items()
            if not name.startswith("__") and name not in ROOTS and name not in BUILTIN_SCALARS
        ),
        key=lambda t: t.name,
    )
    for title, kind in KINDS:
        chosen = [t for t in types if isinstance(t, kind)]
        if chosen:
            out += [f"## {title}", ""]
            for named in chosen:
                out += type_section(named)
    if missing:
        raise SystemExit(
            "no description for: " + ", ".join(missing[:40]) + (" ..." if len(missing) > 40 else "")
        )
    return "\n".join(out).rstrip() + "\n"


def main() -> int:
    return generator_main(__doc__, TARGET, render, COMMAND)


if __name__ == "__main__":
    raise SystemExit(main())
