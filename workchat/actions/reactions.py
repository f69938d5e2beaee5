"""Reactions: add and remove (both idempotent), members only; and the summaries read."""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from workchat.access import access_message, require_user
from workchat.actions.channels import require_member, require_writable
from workchat.actions.unit import unit_of_work
from workchat.auth.viewer import Viewer
from workchat.db.base import table_of, utcnow
from workchat.db.direct_write import execute_write
from workchat.db.models import Message, Reaction
from workchat.errors import ActionError, ErrorCode
from workchat.events import catalogue as ev
from workchat.services import Services

SHORT_NAME = re.compile(r"^:[a-z0-9_+\-]{1,62}:$")
MAX_EMOJI_CODEPOINTS = 16
# Joiners and modifiers that appear inside emoji sequences.
EMOJI_GLUE = {0x200D, 0xFE0E, 0xFE0F, 0x20E3}
SUMMARY_USERS = 3


def _is_emoji_codepoint(cp: int) -> bool:
    return (
        0x1F000 <= cp <= 0x1FAFF  # pictographs, emoticons, transport, flags, supplements
        or 0x2600 <= cp <= 0x27BF  # misc symbols, dingbats
        or 0x2300 <= cp <= 0x23FF  # technical (watch, hourglass, …)
        or 0x2B00 <= cp <= 0x2BFF  # arrows, stars
        or 0xE0020 <= cp <= 0xE007F  # tag sequences (subdivision flags)
        or cp in (0x00A9, 0x00AE, 0x203C, 0x2049, 0x2122, 0x2139, 0x3030, 0x303D, 0x3297, 0x3299)
        or 0x2194 <= cp <= 0x21AA
        or 0x25AA <= cp <= 0x25FE
    )


def clean_emoji(emoji: str) -> str:
    """A Unicode emoji (sequence) or a ``:short_name:``; anything else is INVALID_EMOJI."""
    value = unicodedata.normalize("NFC", emoji.strip())
    if SHORT_NAME.match(value):
        return value
    codepoints = [ord(ch) for ch in value]
    keycap = len(codepoints) >= 2 and codepoints[-1] == 0x20E3 and value[0] in "0123456789#*"
    if (
        value
        and len(codepoints) <= MAX_EMOJI_CODEPOINTS
        and (keycap or _is_emoji_codepoint(codepoints[0]))
        and all(
            _is_emoji_codepoint(cp) or cp in EMOJI_GLUE or (keycap and i == 0)
            for i, cp in enumerate(codepoints)
        )
    ):
        return value
    raise ActionError(
        ErrorCode.INVALID_EMOJI, "emoji must be a Unicode emoji or a :short_name:", field="emoji"
    )


async def _reactable(session: AsyncSession, viewer: Viewer, message_id: uuid.UUID) -> Message:
    message, channel = await access_message(session, viewer, message_id)
    await require_member(session, viewer, channel)
    require_writable(channel)
    if message.deleted_at is not None:
        raise ActionError(ErrorCode.MESSAGE_DELETED, "the message was deleted", field="messageId")
    return message


_REACTIONS = table_of(Reaction)
_MESSAGES = table_of(Message)
# Add a reaction unless it is there (also when a concurrent call just added it: that one
# wins, this one writes nothing); a row back means this call added it. Built once per
# dialect.
_ADD = {
    "sqlite": sqlite_insert(_REACTIONS).on_conflict_do_nothing().returning(_REACTIONS.c.message_id),
    "postgresql": postgresql_insert(_REACTIONS)
    .on_conflict_do_nothing()
    .returning(_REACTIONS.c.message_id),
}
_REMOVE = (
    delete(_REACTIONS)
    .where(_REACTIONS.c.message_id == bindparam("message_id"))
    .where(_REACTIONS.c.user_id == bindparam("user_id"))
    .where(_REACTIONS.c.emoji == bindparam("emoji"))
    .returning(_REACTIONS.c.message_id)
)
# In SQL, not from the loaded row: concurrent reactions must not lose a count.
_COUNT = (
    update(_MESSAGES)
    .where(_MESSAGES.c.id == bindparam("message_id"))
    .values(reaction_count=_MESSAGES.c.reaction_count + bindparam("change"))
)


async def add_reaction(
    services: Services, viewer: Viewer, message_id: uuid.UUID, emoji: str
) -> Message:
    emoji = clean_emoji(emoji)
    async with unit_of_work(services, viewer) as unit:
        session = unit.session
        message = await _reactable(session, viewer, message_id)
        user_id = require_user(viewer)
        row = {
            "message_id": message.id,
            "user_id": user_id,
            "emoji": emoji,
            "created_at": utcnow(),
        }
        if not await execute_write(session, _ADD[session.get_bind().dialect.name], row):
            return message  # already there: nothing to write
        await execute_write(session, _COUNT, {"message_id": message.id, "change": 1})
        unit.audit(message.org_id, "reaction.add", "message", message.id, after={"emoji": emoji})
        unit.emit(
            ev.ReactionAdded(
                org_id=message.org_id,
                channel_id=message.channel_id,
                message_id=message.id,
                user_id=user_id,
                emoji=emoji,
            )
        )
    return message


async def remove_reaction(
    services: Services, viewer: Viewer, message_id: uuid.UUID, emoji: str
) -> Message:
    emoji = clean_emoji(emoji)
    async with unit_of_work(services, viewer) as unit:
        session = unit.session
        message = await _reactable(session, viewer, message_id)
        user_id = require_user(viewer)
        key = {"message_id": message.id, "user_id": user_id, "emoji": emoji}
        if not await execute_write(session, _REMOVE, key):
            return message  # not there: nothing to write
        await execute_write(session, _COUNT, {"message_id": message.id, "change": -1})
        unit.audit(
            message.org_id, "reaction.remove", "message", message.id, before={"emoji": emoji}
        )
        unit.emit(
            ev.ReactionRemoved(
                org_id=message.org_id,
                channel_id=message.channel_id,
                message_id=message.id,
                user_id=user_id,
                emoji=emoji,
            )
        )
    return message


@dataclass
class Summary:
    emoji: str
    count: int = 0
    viewer_has_reacted: bool = False
    user_ids: list[uuid.UUID] = field(default_factory=list)


async def reaction_summaries(
    session: AsyncSession, viewer_id: uuid.UUID | None, message_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Summary]]:
    """Per message, one summary per emoji in order of first use: one query for all."""
    rows = await session.execute(
        select(Reaction.message_id, Reaction.emoji, Reaction.user_id)
        .where(Reaction.message_id.in_(message_ids))
        .order_by(Reaction.created_at, Reaction.emoji, Reaction.user_id)
    )
    result: dict[uuid.UUID, dict[str, Summary]] = {}
    for message_id, emoji, user_id in rows:
        summary = result.setdefault(message_id, {}).setdefault(emoji, Summary(emoji))
        summary.count += 1
        summary.viewer_has_reacted |= user_id == viewer_id
        if len(summary.user_ids) < SUMMARY_USERS:
            summary.user_ids.append(user_id)
    return {message_id: list(by_emoji.values()) for message_id, by_emoji in result.items()}
