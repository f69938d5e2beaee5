"""Mentions: ``@Display Name`` resolved to users when a message is written.

Resolving in Python at write time matches names case-insensitively in any script (SQLite's
lower() only folds ASCII) and needs a word boundary after the name, so "@Al" is not "@Alice".
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

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


async def record_mentions(
    session: AsyncSession,
    message_id: uuid.UUID,
    channel_id: uuid.UUID,
    body: str,
    *,
    new_message: bool = False,
) -> set[uuid.UUID]:
    """Replace the message's mentions with the channel members its body names (a
    ``new_message`` has none to replace: no DELETE)."""
    if not new_message:
        await session.execute(delete(Mention).where(Mention.message_id == message_id))
    if "@" not in body:
        return set()
    rows = await session.execute(
        select(User.id, User.display_name)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.channel_id == channel_id)
    )
    mentioned = find_mentions(body, [(user_id, name) for user_id, name in rows])
    session.add_all(Mention(message_id=message_id, user_id=user_id) for user_id in mentioned)
    return mentioned
