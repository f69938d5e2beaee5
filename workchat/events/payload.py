"""Turning a typed event's fields into a JSON payload and back.

The stored payload is plain JSON (UUIDs as strings, tuples as lists, enums as their values),
so rows stay readable by SQL and by older code. One codec per annotation keeps every event
type's ``to_payload``/``from_payload`` the same few lines.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
import uuid
from collections.abc import Callable, Mapping
from typing import Any


class EventDecodeError(ValueError):
    """A stored event that cannot be turned back into its typed event."""


Encode = Callable[[Any], Any]
Decode = Callable[[Any], Any]


def _check(kind: type, value: Any) -> Any:
    # bool is an int in Python; a stored true must not pass as a count.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")
    return value


def _uuid(value: Any) -> uuid.UUID:
    return uuid.UUID(_check(str, value))


def _codec(annotation: Any) -> tuple[Encode, Decode]:
    """How one field annotation is written to JSON and read back."""
    if annotation is uuid.UUID:
        return str, _uuid
    if annotation in (str, int, bool):
        return (lambda value: value), functools.partial(_check, annotation)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        enum_type = annotation
        return (lambda value: value.value), enum_type
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (types.UnionType, typing.Union) and len(args) == 2 and type(None) in args:
        inner_encode, inner_decode = _codec(next(a for a in args if a is not type(None)))
        return (
            lambda value: None if value is None else inner_encode(value),
            lambda value: None if value is None else inner_decode(value),
        )
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        item_encode, item_decode = _codec(args[0])
        return (
            lambda value: [item_encode(item) for item in value],
            lambda value: tuple(item_decode(item) for item in _check(list, value)),
        )
    raise TypeError(f"no payload codec for {annotation!r}")


_CODECS: dict[type, tuple[tuple[str, Encode, Decode], ...]] = {}


def field_codecs(cls: type) -> tuple[tuple[str, Encode, Decode], ...]:
    """(name, encode, decode) for each dataclass field of ``cls``, in declaration order."""
    codecs = _CODECS.get(cls)
    if codecs is None:
        hints = typing.get_type_hints(cls)
        codecs = tuple((f.name, *_codec(hints[f.name])) for f in dataclasses.fields(cls))
        _CODECS[cls] = codecs
    return codecs


def encode_fields(obj: Any) -> dict[str, Any]:
    return {name: encode(getattr(obj, name)) for name, encode, _ in field_codecs(type(obj))}


def decode_fields(cls: type, type_name: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """Constructor arguments for ``cls``; keys the type does not know are ignored (older
    rows may carry fields that were dropped since)."""
    values: dict[str, Any] = {}
    for name, _, decode in field_codecs(cls):
        if name not in payload:
            raise EventDecodeError(f"{type_name} event: payload has no {name!r}")
        try:
            values[name] = decode(payload[name])
        except (TypeError, ValueError) as exc:
            raise EventDecodeError(f"{type_name} event: field {name!r}: {exc}") from None
    return values
