"""Mentions: ``@Display Name`` resolved to users when a message is written.

Resolving in Python at write time matches names case-insensitively in any script (SQLite's
lower() only folds ASCII) and needs a word boundary after the name, so "@Al" is not "@Alice".

Only candidates are read: a mention starts with the case-folded first word of a display name,
stored as ``users.mention_key`` (indexed per org), so a body's "@words" select the few users
they could name, not every member of a channel that may hold the whole org.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict

from sqlalchemy import and_, bindparam, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from workchat.db.base import table_of
from workchat.db.models import Membership, Mention, User

WORD_AFTER_AT = re.compile(r"@([^\W_]+)")
# Keys per candidate query: well under every backend's limit on bound parameters.
KEYS_PER_QUERY = 500


def _first_word(folded_name: str) -> str:
    first = WORD_AFTER_AT.match("@" + folded_name)
    return first.group(1) if first else ""


def mention_key(display_name: str) -> str:
    """What an "@" must be followed by for a mention of this name to start there: its
    case-folded first word; "" for a name no mention can start (it begins with "_" or a
    symbol)."""
    return _first_word(display_name.casefold().strip())


def words_after_at(body: str) -> set[str]:
    """The case-folded words that follow an "@" in ``body``: the mention keys it may name."""
    return {match.group(1) for match in WORD_AFTER_AT.finditer(body.casefold())}


def find_mentions(body: str, people: list[tuple[uuid.UUID, str]]) -> set[uuid.UUID]:
    """The ids among ``people`` (id, display name) whose name follows an "@" in ``body``."""
    folded = body.casefold()
    by_first_word: dict[str, list[tuple[str, uuid.UUID]]] = defaultdict(list)
    for user_id, name in people:
        folded_name = name.casefold().strip()
        key = _first_word(folded_name)
        if key:
            by_first_word[key].append((folded_name, user_id))
    found: set[uuid.UUID] = set()
    for match in WORD_AFTER_AT.finditer(folded):
        start = match.start() + 1
        for name, user_id in by_first_word.get(match.group(1), ()):
            end = start + len(name)
            if not folded.startswith(name, start):
                continue
            if end == len(folded) or not (folded[end].isalnum() or folded[end] == "_"):
                found.add(user_id)
    return found


# Driven by the (org_id, mention_key) index; membership is then one primary-key probe per
# candidate.
_CANDIDATES = (
    select(User.id, User.display_name)
    .join(
        Membership,
        and_(Membership.user_id == User.id, Membership.channel_id == bindparam("channel_id")),
    )
    .where(
        User.org_id == bindparam("org_id"),
        User.mention_key.in_(bindparam("keys", expanding=True)),
    )
)
_MENTIONS = table_of(Mention)
_DELETE_MENTIONS = delete(_MENTIONS).where(_MENTIONS.c.message_id == bindparam("message_id"))
_INSERT_MENTIONS = insert(_MENTIONS)


def may_mention(body: str) -> bool:
    """Whether ``body`` can name anyone: every mention follows an "@"."""
    return "@" in body


async def _candidates(
    session: AsyncSession, org_id: uuid.UUID, channel_id: uuid.UUID, keys: set[str]
) -> list[tuple[uuid.UUID, str]]:
    """The channel's members whose mention key is one of ``keys``: (id, display name)."""
    ordered = sorted(keys)
    people: list[tuple[uuid.UUID, str]] = []
    for start in range(0, len(ordered), KEYS_PER_QUERY):
        params = {
            "org_id": org_id,
            "channel_id": channel_id,
            "keys": ordered[start : start + KEYS_PER_QUERY],
        }
        people.extend(
            (user_id, name) for user_id, name in await session.execute(_CANDIDATES, params)
        )
    return people


async def record_mentions(
    session: AsyncSession,
    message_id: uuid.UUID,
    org_id: uuid.UUID,
    channel_id: uuid.UUID,
    body: str,
    *,
    had_mentions: bool = True,
) -> set[uuid.UUID]:
    """Replace the message's mentions with the channel members its body names. Where the
    message has none to replace (``had_mentions`` false: a new message, or a body that
    could name nobody), no DELETE."""
    if had_mentions:
        await session.execute(_DELETE_MENTIONS, {"message_id": message_id})
    keys = words_after_at(body) if may_mention(body) else set()
    if not keys:
        return set()
    mentioned = find_mentions(body, await _candidates(session, org_id, channel_id, keys))
    if mentioned:
        await session.execute(
            _INSERT_MENTIONS,
            [{"message_id": message_id, "user_id": user_id} for user_id in sorted(mentioned)],
        )
    return mentioned
