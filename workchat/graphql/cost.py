"""What one GraphQL document costs once its fragments are expanded, computed in one pass
whose work is linear in the document's size.

Every fragment is summarised once (its selections, aliases, directives and depth) and a
spread adds the summary instead of walking the fragment again. A document whose fragments
each spread the next one twice therefore costs a few hundred steps to measure, not 2^n, and
is refused before any other validation rule (some of which walk every path) sees it.
Fragment cycles, duplicate and unused fragments are found on the way. Only a document whose
expanded size is within the selection limit is then walked literally, to count repeated
response paths and a mutation's root fields. Nothing here recurses, so no nesting depth can
exhaust the Python stack.

docs/adr/0011-dos-request-limits.md says why these measures and limits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
)

from workchat.errors import RequestErrorCode

# Expanded counts can grow as 2^n; past this they are only "too many".
SATURATED = 1 << 40


@dataclass(frozen=True, slots=True)
class CostLimits:
    max_depth: int
    max_selections: int
    max_aliases: int
    max_directives: int
    max_mutation_fields: int
    max_repeated_fields: int


@dataclass(frozen=True, slots=True)
class Refusal:
    code: RequestErrorCode
    message: str


@dataclass(slots=True)
class _Spread:
    name: str
    level: int
    counts_depth: bool  # False inside an introspection field (the depth rule ignores those)


@dataclass(slots=True)
class _Summary:
    """One operation or fragment before its spreads are resolved."""

    selections: int = 0
    aliases: int = 0
    directives: int = 0
    depth: int = 0
    spreads: list[_Spread] = field(default_factory=list)


@dataclass(slots=True)
class _Expanded:
    selections: int
    aliases: int
    directives: int
    depth: int


@dataclass(slots=True)
class Analysis:
    """The outcome, and how many steps it took (tests check that is linear)."""

    refusal: Refusal | None = None
    steps: int = 0


def _too_complex(message: str) -> Refusal:
    return Refusal(RequestErrorCode.QUERY_TOO_COMPLEX, message)


def _summarise(selection_set: SelectionSetNode, analysis: Analysis) -> _Summary:
    summary = _Summary()
    # (selection set, level of its fields, whether depth counts there)
    stack: list[tuple[SelectionSetNode, int, bool]] = [(selection_set, 0, True)]
    while stack:
        selections, level, counts_depth = stack.pop()
        for selection in selections.selections:
            analysis.steps += 1
            summary.selections += 1
            summary.directives += len(selection.directives or ())
            if isinstance(selection, FieldNode):
                if selection.alias is not None:
                    summary.aliases += 1
                # Introspection fields do not count towards depth (as Strawberry's rule).
                field_counts = counts_depth and not selection.name.value.startswith("__")
                if field_counts:
                    summary.depth = max(summary.depth, level)
                if selection.selection_set is not None:
                    stack.append((selection.selection_set, level + 1, field_counts))
            elif isinstance(selection, InlineFragmentNode):
                stack.append((selection.selection_set, level, counts_depth))
            elif isinstance(selection, FragmentSpreadNode):
                summary.spreads.append(_Spread(selection.name.value, level, counts_depth))
    return summary


def _order(summaries: dict[str, _Summary], analysis: Analysis) -> tuple[list[str], Refusal | None]:
    """Fragments so that each comes after the ones it spreads (an iterative depth-first
    search); a cycle is refused."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    order: list[str] = []
    for root in summaries:
        if root in state:
            continue
        state[root] = 1
        stack: list[tuple[str, int]] = [(root, 0)]
        while stack:
            name, index = stack[-1]
            spreads = summaries[name].spreads
            if index < len(spreads):
                stack[-1] = (name, index + 1)
                analysis.steps += 1
                target = spreads[index].name
                if target not in summaries:
                    continue  # unknown fragment: the validation rules report it
                if state.get(target) == 1:
                    return order, Refusal(
                        RequestErrorCode.GRAPHQL_VALIDATION_FAILED,
                        f'Cannot spread fragment "{target}" within itself.',
                    )
                if target not in state:
                    state[target] = 1
                    stack.append((target, 0))
            else:
                state[name] = 2
                order.append(name)
                stack.pop()
    return order, None


def _used(
    fragments: dict[str, _Summary],
    operations: list[tuple[OperationDefinitionNode, _Summary]],
    analysis: Analysis,
) -> set[str]:
    """The fragments some operation reaches."""
    used: set[str] = set()
    stack = [spread.name for _, summary in operations for spread in summary.spreads]
    while stack:
        analysis.steps += 1
        name = stack.pop()
        if name in fragments and name not in used:
            used.add(name)
            stack.extend(spread.name for spread in fragments[name].spreads)
    return used


def _expand(summary: _Summary, expanded: dict[str, _Expanded], analysis: Analysis) -> _Expanded:
    result = _Expanded(summary.selections, summary.aliases, summary.directives, summary.depth)
    for spread in summary.spreads:
        analysis.steps += 1
        inner = expanded.get(spread.name)
        if inner is None:
            continue
        result.selections = min(result.selections + inner.selections, SATURATED)
        result.aliases = min(result.aliases + inner.aliases, SATURATED)
        result.directives = min(result.directives + inner.directives, SATURATED)
        if spread.counts_depth:
            result.depth = max(result.depth, spread.level + inner.depth)
    return result


def _shown(value: int) -> str:
    return f"more than {SATURATED}" if value >= SATURATED else str(value)


def _check(what: str, cost: _Expanded, limits: CostLimits) -> Refusal | None:
    checks = (
        (cost.selections, limits.max_selections, "selections"),
        (cost.depth, limits.max_depth, "levels of depth"),
        (cost.aliases, limits.max_aliases, "aliases"),
        (cost.directives, limits.max_directives, "directives"),
    )
    for value, limit, unit in checks:
        if value > limit:
            shown = f"more than {SATURATED}" if value >= SATURATED else str(value)
            return _too_complex(
                f"{what} has {shown} {unit} once fragments are expanded (limit {limit})"
            )
    return None


def analyse(document: DocumentNode, limits: CostLimits) -> Analysis:
    """Measure every operation and fragment of ``document``; the first limit it breaks is the
    refusal."""
    analysis = Analysis()
    fragments: dict[str, _Summary] = {}
    definitions: dict[str, FragmentDefinitionNode] = {}
    operations: list[tuple[OperationDefinitionNode, _Summary]] = []
    for definition in document.definitions:
        analysis.steps += 1
        if isinstance(definition, FragmentDefinitionNode):
            name = definition.name.value
            if name in fragments:
                analysis.refusal = Refusal(
                    RequestErrorCode.GRAPHQL_VALIDATION_FAILED,
                    f'There can be only one fragment named "{name}".',
                )
                return analysis
            fragments[name] = _summarise(definition.selection_set, analysis)
            fragments[name].directives += len(definition.directives or ())
            definitions[name] = definition
        elif isinstance(definition, OperationDefinitionNode):
            summary = _summarise(definition.selection_set, analysis)
            summary.directives += len(definition.directives or ()) + sum(
                len(variable.directives or ()) for variable in definition.variable_definitions or ()
            )
            operations.append((definition, summary))
    order, cycle = _order(fragments, analysis)
    if cycle is not None:
        analysis.refusal = cycle
        return analysis
    unused = fragments.keys() - _used(fragments, operations, analysis)
    if unused:
        # Never executed, yet the validation rules would walk it in full: refuse it first.
        analysis.refusal = Refusal(
            RequestErrorCode.GRAPHQL_VALIDATION_FAILED,
            f'Fragment "{min(unused)}" is never used.',
        )
        return analysis
    expanded: dict[str, _Expanded] = {}
    for name in order:
        expanded[name] = _expand(fragments[name], expanded, analysis)
    total = 0
    for operation, summary in operations:
        what = f'operation "{operation.name.value}"' if operation.name else "the operation"
        cost = _expand(summary, expanded, analysis)
        total = min(total + cost.selections, SATURATED)
        refusal = _check(what, cost, limits) or _check(
            "the document", _Expanded(total, 0, 0, 0), limits
        )
        if refusal is not None:
            analysis.refusal = refusal
            return analysis
    # Only now, with the expanded size known to be small, is walking it literally cheap.
    for operation, _ in operations:
        analysis.refusal = _check_repeats(operation, definitions, limits, analysis)
        if analysis.refusal is not None:
            return analysis
    return analysis


def _check_repeats(
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    limits: CostLimits,
    analysis: Analysis,
) -> Refusal | None:
    """Walk the expanded operation counting how often each response path (``viewer.org.id``)
    is selected; field merging compares those copies pairwise, so each is limited. The
    number of root fields of a mutation (the writes it makes) is limited too."""
    root = _PathNode()
    stack: list[tuple[SelectionSetNode, _PathNode]] = [(operation.selection_set, root)]
    while stack:
        selections, node = stack.pop()
        for selection in selections.selections:
            analysis.steps += 1
            if isinstance(selection, FieldNode):
                name = (selection.alias or selection.name).value
                child = node.children.get(name)
                if child is None:
                    child = node.children[name] = _PathNode()
                child.count += 1
                if child.count > limits.max_repeated_fields:
                    return _too_complex(
                        f'"{name}" is selected more than {limits.max_repeated_fields} times '
                        "at one place once fragments are expanded"
                    )
                if selection.selection_set is not None:
                    stack.append((selection.selection_set, child))
            elif isinstance(selection, InlineFragmentNode):
                stack.append((selection.selection_set, node))
            elif isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is not None:
                    stack.append((fragment.selection_set, node))
    if operation.operation is OperationType.MUTATION:
        root_fields = sum(child.count for child in root.children.values())
        if root_fields > limits.max_mutation_fields:
            return _too_complex(
                f"the mutation has {root_fields} root fields "
                f"(limit {limits.max_mutation_fields} per request)"
            )
    return None


@dataclass(slots=True)
class _PathNode:
    count: int = 0
    children: dict[str, _PathNode] = field(default_factory=dict)
