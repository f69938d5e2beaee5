"""Mentions: ``@Display Name`` resolved to users when a message is written.

Resolving in Python at write time matches names case-insensitively in any script (SQLite's
lower() only folds ASCII) and needs a word boundary after the name, so "@Al" is not "@Alice".
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict

from sqlalchemy import bindparam, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from workchat.db.base import table_of
from workchat.db.models import Membership, Mention, User

WORD_AFTER_AT = re.compile(r"@([^\W_]+)")


def find_mentions(body: str, people: list[tuple[uuid.UUID, str]]) -> set[uuid.UUID]:
    """The ids among ``people`` (id, display name) whose name follows an "@" in ``body``."""
    folded = body.casefold()
    by_first_word: dict[str, list[tuple[str, uuid.UUID]]] = defaultdict(list)
    for user_id, name in people:
        name = name.casefold().strip()
        first = WORD_AFTER_AT.match("@" + name)
        if first:
            by_first_word[first.group(1)].append((name, user_id))
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


_NAMES_OF_MEMBERS = (
    select(User.id, User.display_name)
    .join(Membership, Membership.user_id == User.id)
    .where(Membership.channel_id == bindparam("channel_id"))
)
_MENTIONS = table_of(Mention)
_DELETE_MENTIONS = delete(_MENTIONS).where(_MENTIONS.c.message_id == bindparam("message_id"))
_INSERT_MENTIONS = insert(_MENTIONS)


def may_mention(body: str) -> bool:
    """Whether ``body`` can name anyone: every mention follows an "@"."""
    return "@" in body


async def record_mentions(
    session: AsyncSession,
    message_id: uuid.UUID,
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
    if not may_mention(body):
        return set()
    rows = await session.execute(_NAMES_OF_MEMBERS, {"channel_id": channel_id})
    mentioned = find_mentions(body, [(user_id, name) for user_id, name in rows])
    if mentioned:
        await session.execute(
            _INSERT_MENTIONS,
            [{"message_id": message_id, "user_id": user_id} for user_id in sorted(mentioned)],
        )
    return mentioned
