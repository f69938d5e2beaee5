"""The tools' contract: the named operations of ``operations.graphql``.

Each tool sends one operation with the fragments it uses (and only those: a server counts a
document's tokens and validates every operation in it), by name.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    Node,
    OperationDefinitionNode,
    parse,
    print_ast,
    visit,
)
from graphql.language import Visitor

OPERATIONS_FILE = Path(__file__).with_name("operations.graphql")


@cache
def document() -> str:
    return OPERATIONS_FILE.read_text(encoding="utf-8")


@cache
def _parsed() -> DocumentNode:
    return parse(document())


@cache
def operation_names() -> frozenset[str]:
    return frozenset(
        definition.name.value
        for definition in _parsed().definitions
        if isinstance(definition, OperationDefinitionNode) and definition.name is not None
    )


class _Spreads(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: object) -> None:
        self.names.add(node.name.value)


def _spreads(node: Node) -> set[str]:
    visitor = _Spreads()
    visit(node, visitor)
    return visitor.names


@cache
def source(name: str) -> str:
    """The operation ``name`` and the fragments it uses, transitively, as one document."""
    fragments = {
        definition.name.value: definition
        for definition in _parsed().definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    (operation,) = (
        definition
        for definition in _parsed().definitions
        if isinstance(definition, OperationDefinitionNode)
        and definition.name is not None
        and definition.name.value == require(name)
    )
    needed: list[str] = []
    pending = sorted(_spreads(operation))
    while pending:
        fragment = pending.pop()
        if fragment not in needed:
            needed.append(fragment)
            pending.extend(sorted(_spreads(fragments[fragment])))
    parts = [print_ast(operation), *(print_ast(fragments[f]) for f in sorted(needed))]
    return "\n\n".join(parts)


def require(name: str) -> str:
    """The operation's name, checked against the file: a typo fails loudly at import."""
    if name not in operation_names():
        raise KeyError(f"{name} is not an operation of {OPERATIONS_FILE.name}")
    return name
