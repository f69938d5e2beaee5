"""The one rule every client-supplied string meets, and the look-alike key of a name.

Three kinds of text, by the input field that carries it (``kind_of``):

- ``BODY`` (message bodies, descriptions): any Unicode scalar value except NUL and control
  characters; newline and tab are allowed.
- ``GENERAL`` (everything else: passwords, tokens, ids, cursors, search text, emoji): the
  same, without newline or tab.
- ``IDENTIFIER`` (names, display names, emails): ``GENERAL`` and no invisible characters —
  zero-width characters and bidirectional controls could make two names that look the same
  differ, or make a name render as something else.

All three must be in NFC: two spellings of "é" are one name, and a client that sends
decomposed text gets a clear error instead of a silently different string.

Why refuse rather than clean up: a changed value is a surprise (a password that no longer
matches, a name that differs from what was typed), and the database backends disagree on
some of these characters (PostgreSQL refuses NUL in text; SQLite stores it).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterator, Mapping
from typing import Any

from disarm import skeleton_key


class TextKind(enum.Enum):
    BODY = "body"
    GENERAL = "general"
    IDENTIFIER = "identifier"


# Input field names (camelCase, as in the schema) whose text is a body or an identifier;
# any other string field is GENERAL, so a new field is covered without being listed.
BODY_FIELDS = frozenset({"body", "description", "topic"})
IDENTIFIER_FIELDS = frozenset({"name", "displayName", "email", "slug", "orgName", "orgSlug"})

_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 controls and DEL, and the C1 controls (U+0080-U+009F): none is text.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_BODY_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Zero-width characters, bidi marks, embeddings, overrides and isolates, word joiner and
# invisible operators, the Arabic letter mark, the Mongolian vowel separator, and BOM.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\u061c\u180e\ufeff]")


def kind_of(field: str) -> TextKind:
    if field in BODY_FIELDS:
        return TextKind.BODY
    if field in IDENTIFIER_FIELDS:
        return TextKind.IDENTIFIER
    return TextKind.GENERAL


def _code_point(char: str) -> str:
    return f"U+{ord(char):04X}"


def violation(value: str, kind: TextKind) -> str | None:
    """Why ``value`` breaks the rule for ``kind`` (a short phrase), or None if it is fine.

    The phrase never repeats the value: it names the offending code point only.
    """
    if (found := _SURROGATE.search(value)) is not None:
        return f"contains a lone surrogate ({_code_point(found.group())}), not Unicode text"
    controls = _BODY_CONTROL if kind is TextKind.BODY else _CONTROL
    if (found := controls.search(value)) is not None:
        if found.group() == "\x00":
            return "contains a NUL character"
        return f"contains a control character ({_code_point(found.group())})"
    if kind is TextKind.IDENTIFIER and (found := _INVISIBLE.search(value)) is not None:
        return f"contains an invisible or text-direction character ({_code_point(found.group())})"
    if not value.isascii() and not unicodedata.is_normalized("NFC", value):
        return "is not in Unicode normalization form NFC (send composed characters)"
    return None


def payload_violations(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every (path, reason) where a JSON-like value breaks the GENERAL rule, keys included.

    For payloads without a schema (the WebSocket ``connection_init`` payload). Iterative,
    so a deeply nested payload cannot exhaust the stack.
    """
    pending: list[tuple[str, Any]] = [(path, value)]
    while pending:
        where, item = pending.pop()
        if isinstance(item, str):
            if (reason := violation(item, TextKind.GENERAL)) is not None:
                yield where, reason
        elif isinstance(item, Mapping):
            for key, child in item.items():
                key_text = str(key)
                if (reason := violation(key_text, TextKind.GENERAL)) is not None:
                    yield where, f"a key {reason}"
                    continue
                pending.append((f"{where}.{key_text}" if where else key_text, child))
        elif isinstance(item, list | tuple):
            pending.extend((where, child) for child in item)


def lookalike_key(name: str) -> str:
    """A key equal for names that look alike: the Unicode TR39 skeleton, case-folded.

    ``skeleton_key`` maps each character to its confusable prototype (Cyrillic U+0430 to
    Latin "a", "I" and "1" to "l", "0" to "O"), drops invisible characters, applies NFKC and
    case folding, and repeats until nothing changes. A name made only of characters that
    fold to nothing keys as itself, so such names are not all one another's look-alikes.
    """
    return skeleton_key(name, digit_policy="tr39") or name.casefold()
