"""Relay building blocks: the Node interface, PageInfo, connections and keyset cursors."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import strawberry

from workchat.errors import RequestError, RequestErrorCode

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50

T = TypeVar("T")


# Descriptions of the Relay pagination arguments, shared by every connection field.
FIRST = "Page size from the start or from `after` (1-100)."
AFTER = "Return items after this cursor (an edge's `cursor`)."
LAST = "Page size from the end or from `before` (1-100)."
BEFORE = "Return items before this cursor (an edge's `cursor`)."
NODE_ID = "The object's global ID: opaque, stable, usable with `node(id:)`."


@strawberry.interface(description="An object with a globally unique, opaque ID.")
class Node:
    id: strawberry.ID = strawberry.field(description=NODE_ID)


@strawberry.type(description="Where a page sits in its list (Relay).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow `endCursor`.")
    has_previous_page: bool = strawberry.field(description="Items precede `startCursor`.")
    start_cursor: str | None = strawberry.field(
        description="The first edge's cursor; null on an empty page."
    )
    end_cursor: str | None = strawberry.field(
        description="The last edge's cursor; null on an empty page."
    )


@strawberry.type(description="One item of a page and its cursor.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Pass as `after` or `before` to page from here.")
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="One page of a list (Relay connection).")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The page's items with cursors.")
    page_info: PageInfo = strawberry.field(description="Whether more pages exist.")
    total_count: int | None = strawberry.field(
        default=None, description="How many items the whole list has, where cheap; else null."
    )

    @strawberry.field(description="The page's items without cursors.")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]


def page_size(first: int | None, *, argument: str = "first") -> int:
    if first is None:
        return DEFAULT_PAGE_SIZE
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise RequestError(
            f"{argument} must be between 1 and {MAX_PAGE_SIZE}", RequestErrorCode.INVALID_INPUT
        )
    return first


def encode_cursor(*key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


# Our cursors hold a few short keys (a channel name of up to 80 characters, a time, a seq,
# a UUID): under 1,500 characters even when every character is escaped. Anything longer is
# refused undecoded; a shorter one nested deeply ends in RecursionError, caught below.
MAX_CURSOR_LENGTH = 4096


def decode_cursor(cursor: str, *, arity: int, argument: str = "after") -> list[Any]:
    key: Any = None
    if len(cursor) <= MAX_CURSOR_LENGTH and cursor.isascii():
        try:
            raw = base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4))
            key = json.loads(raw)
        except (binascii.Error, UnicodeDecodeError, ValueError, RecursionError):
            key = None
    if not isinstance(key, list) or len(key) != arity:
        raise RequestError(f"{argument} is not a valid cursor", RequestErrorCode.INVALID_INPUT)
    return key


def build_connection(
    nodes: list[T],
    cursor: Callable[[T], str],
    *,
    has_next_page: bool,
    has_previous_page: bool,
    total_count: int | None = None,
) -> Connection[T]:
    edges = [Edge(cursor=cursor(node), node=node) for node in nodes]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next_page,
            has_previous_page=has_previous_page,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        total_count=total_count,
    )


def decode_int_cursor(cursor: str, *, argument: str) -> int:
    """A cursor holding one integer key (a seq)."""
    [value] = decode_cursor(cursor, arity=1, argument=argument)
    if not isinstance(value, int) or isinstance(value, bool):
        raise RequestError(f"{argument} is not a valid cursor", RequestErrorCode.INVALID_INPUT)
    return value
