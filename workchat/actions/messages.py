"""Message actions: post (roots and replies, idempotent per clientMutationId), edit with
optimistic versioning and revisions, soft delete; and the thread reads."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from workchat.access import (
    access_channel,
    access_message,
    preload_channel_and_membership,
    require_user,
)
from workchat.actions.channels import require_member, require_writable
from workchat.actions.mentions import may_mention, record_mentions
from workchat.actions.unit import unit_of_work
from workchat.actions.validation import check_text
from workchat.auth.viewer import Viewer
from workchat.db.base import table_of, utcnow
from workchat.db.direct_write import execute_write
from workchat.db.models import Channel, Message, MessageRevision
from workchat.errors import ActionError, ErrorCode, Forbidden
from workchat.events import catalogue as ev
from workchat.search.keys import search_key
from workchat.search.query import index_text
from workchat.services import Services

MAX_BODY = 40_000
MAX_CLIENT_MUTATION_ID = 64


def clean_body(body: str) -> str:
    cleaned = body.strip()
    if not 1 <= len(cleaned) <= MAX_BODY:
        raise ActionError(
            ErrorCode.INVALID_INPUT, f"body must be 1-{MAX_BODY} characters", field="body"
        )
    return check_text(cleaned, "body")


Changed = TypeVar("Changed", ev.MessageEdited, ev.MessageDeleted)


def message_changed(kind: type[Changed], message: Message) -> Changed:
    return kind(
        org_id=message.org_id,
        channel_id=message.channel_id,
        message_id=message.id,
        thread_id=message.thread_id,
        author_id=message.author_id,
        seq=message.seq,
        version=message.version,
    )


async def _earlier_post(
    session: AsyncSession, author_id: uuid.UUID, client_mutation_id: str
) -> uuid.UUID | None:
    return await session.scalar(
        select(Message.id).where(
            Message.author_id == author_id, Message.client_mutation_id == client_mutation_id
        )
    )


# The post hot path's statements, built once: each one's cache key is computed once, not
# per post.
_EARLIER_POST = (
    select(Message.id)
    .where(
        Message.author_id == bindparam("user_id"), Message.client_mutation_id == bindparam("key")
    )
    .scalar_subquery()
)
_MESSAGES = table_of(Message)
_CHANNELS = table_of(Channel)
_NEXT_SEQ = (
    update(_CHANNELS)
    .where(_CHANNELS.c.id == bindparam("channel_id"))
    .values(last_seq=_CHANNELS.c.last_seq + 1)
    .returning(_CHANNELS.c.last_seq)
)
_INSERT_MESSAGE = insert(_MESSAGES)
_INSERT_REVISION = insert(table_of(MessageRevision))
_EDIT_MESSAGE = (
    update(_MESSAGES)
    .where(_MESSAGES.c.id == bindparam("message_id"))
    .values(
        body=bindparam("body"),
        version=bindparam("version"),
        edited_at=bindparam("edited_at"),
        search_text=bindparam("search_text"),
    )
)
# In SQL, not from the loaded row: concurrent replies must not lose a count.
_COUNT_REPLY = (
    update(_MESSAGES)
    .where(_MESSAGES.c.id == bindparam("root_id"))
    .values(
        reply_count=_MESSAGES.c.reply_count + 1,
        last_reply_at=bindparam("now", type_=_MESSAGES.c.last_reply_at.type),
    )
)


def _key_reused() -> ActionError:
    return ActionError(
        ErrorCode.INVALID_INPUT,
        "clientMutationId was already used for a different message",
        field="clientMutationId",
    )


def _check_replay(
    original: Message, *, channel_id: uuid.UUID, thread_id: uuid.UUID | None, body: str
) -> Message:
    """``original`` (the message an earlier call with the same key created), if this call
    asks for the same post: same channel and thread, and (while the message is unedited) the
    same body. Anything else reusing the key is INVALID_INPUT: a key names one post, never
    two."""
    replied_to = original.thread_id if original.thread_id != original.id else None
    same_thread = replied_to == thread_id
    unedited = original.version == 1 and original.deleted_at is None
    if original.channel_id != channel_id or not same_thread or (unedited and original.body != body):
        raise _key_reused()
    return original


async def post_message(
    services: Services,
    viewer: Viewer,
    *,
    channel_id: uuid.UUID,
    body: str,
    thread_id: uuid.UUID | None = None,
    client_mutation_id: str | None = None,
) -> Message:
    """Post a root message, or a reply when ``thread_id`` names a root of the same channel.

    ``client_mutation_id`` is an idempotency key, unique per author in the database: a
    retry with the same key returns the message the first call created and writes nothing
    (agents and flaky networks retry), even when the calls run at the same time on
    different connections or processes; a key reused for a different post is INVALID_INPUT
    (see ``_check_replay``).
    """
    author_id = require_user(viewer)
    body = clean_body(body)
    if client_mutation_id is not None and len(client_mutation_id) > MAX_CLIENT_MUTATION_ID:
        raise ActionError(
            ErrorCode.INVALID_INPUT, "clientMutationId is too long", field="clientMutationId"
        )
    try:
        async with unit_of_work(services, viewer) as unit:
            session = unit.session
            # One statement: the channel and membership the checks below find in the
            # session, and the message an earlier call with this key created, if any.
            earlier = await preload_channel_and_membership(
                session,
                viewer,
                channel_id,
                also=_EARLIER_POST if client_mutation_id is not None else None,
                params={"key": client_mutation_id},
            )
            channel = await access_channel(session, viewer, channel_id)
            require_writable(channel)
            await require_member(session, viewer, channel)
            root = None
            if thread_id is not None:
                root = await session.get(Message, thread_id)
                if root is None or root.channel_id != channel.id or root.deleted_at is not None:
                    raise ActionError(
                        ErrorCode.THREAD_NOT_FOUND,
                        "no such thread in this channel",
                        field="threadId",
                    )
                if root.thread_id != root.id:
                    raise ActionError(
                        ErrorCode.THREAD_NOT_FOUND,
                        "replies cannot be replied to: use the thread's root",
                        field="threadId",
                    )
            if earlier is not None:
                # A retry: answer with the earlier post and write nothing. Read in this
                # transaction, so an earlier post still waiting for its group commit counts
                # (and this answer, too, waits for that commit). Calls that race on separate
                # transactions meet the unique index on (author_id, client_mutation_id).
                original = await session.get(Message, earlier)
                assert original is not None
                return _check_replay(
                    original, channel_id=channel_id, thread_id=thread_id, body=body
                )
            # Taking the next seq locks the channel row: posts to one channel serialize here,
            # so seqs have no gaps.
            ((seq,),) = await execute_write(session, _NEXT_SEQ, {"channel_id": channel.id})
            now = utcnow()
            message_id = uuid.uuid4()
            values = {
                "id": message_id,
                "org_id": channel.org_id,
                "channel_id": channel.id,
                "thread_id": root.id if root else message_id,
                "author_id": author_id,
                "body": body,
                "version": 1,
                "seq": seq,
                "created_at": now,
                "edited_at": None,
                "deleted_at": None,
                "reply_count": 0,
                "reaction_count": 0,
                "last_reply_at": None,
                "client_mutation_id": client_mutation_id,
                "search_key": search_key(now),  # the same instant as created_at
                "search_text": index_text(body),
            }
            # Core, not a session flush: the row is complete here. The answer is the same
            # values as a (transient) Message.
            await execute_write(session, _INSERT_MESSAGE, values)
            message = Message(**values)
            mentioned = await record_mentions(
                session, message.id, channel.org_id, channel.id, body, had_mentions=False
            )
            if root is not None:
                # In SQL, not from the loaded row: concurrent replies must not lose a count.
                await execute_write(session, _COUNT_REPLY, {"root_id": root.id, "now": now})
            unit.audit(
                channel.org_id,
                "message.post",
                "message",
                message.id,
                after={
                    "body": body,
                    "channel_id": str(channel.id),
                    "thread_id": str(message.thread_id),
                },
            )
            unit.emit(
                ev.MessagePosted(
                    org_id=channel.org_id,
                    channel_id=channel.id,
                    message_id=message.id,
                    thread_id=message.thread_id,
                    author_id=message.author_id,
                    seq=message.seq,
                    version=message.version,
                    mentions=tuple(sorted(mentioned)),
                )
            )
    except IntegrityError:
        if client_mutation_id is None:
            raise
        # A concurrent call with the same key committed first (our transaction waited on
        # its index entry, then was refused and rolled back, seq included).
        async with services.db.read_session() as session:
            found = await _earlier_post(session, author_id, client_mutation_id)
            original = await session.get(Message, found) if found is not None else None
        if original is None:
            raise  # some other constraint: not ours to explain
        return _check_replay(original, channel_id=channel_id, thread_id=thread_id, body=body)
    return message


async def edit_message(
    services: Services,
    viewer: Viewer,
    *,
    message_id: uuid.UUID,
    body: str,
    expected_version: int | None = None,
) -> Message:
    """Replace the body; a stale ``expected_version`` is a VERSION_CONFLICT (callers show the
    current message beside it). The previous body is kept as a revision."""
    body = clean_body(body)
    async with unit_of_work(services, viewer) as unit:
        message, channel = await access_message(unit.session, viewer, message_id, for_update=True)
        if message.author_id != viewer.user_id:
            raise Forbidden("only the author may edit a message")
        if message.deleted_at is not None:
            raise ActionError(
                ErrorCode.MESSAGE_DELETED, "the message was deleted", field="messageId"
            )
        require_writable(channel)
        if expected_version is not None and expected_version != message.version:
            raise ActionError(
                ErrorCode.VERSION_CONFLICT,
                f"the message is at version {message.version}, not {expected_version}",
                field="expectedVersion",
            )
        if body == message.body:
            return message
        now = utcnow()
        old_body, old_version = message.body, message.version
        session = unit.session
        # Core statements, not a session flush; the loaded row then takes the new values as
        # stored (nothing left for a flush to write).
        await execute_write(
            session,
            _INSERT_REVISION,
            {
                "message_id": message.id,
                "version": old_version,
                "body": old_body,
                "edited_by": viewer.user_id,
                "edited_at": now,
            },
        )
        edited = {
            "body": body,
            "version": old_version + 1,
            "edited_at": now,
            "search_text": index_text(body),
        }
        await execute_write(session, _EDIT_MESSAGE, {"message_id": message.id, **edited})
        for name, value in edited.items():
            set_committed_value(message, name, value)
        # Mentions come only from an "@" in the body: a body without one left none.
        await record_mentions(
            session,
            message.id,
            message.org_id,
            message.channel_id,
            body,
            had_mentions=may_mention(old_body),
        )
        before = {"body": old_body, "version": old_version}
        unit.audit(
            message.org_id,
            "message.edit",
            "message",
            message.id,
            before=before,
            after={"body": message.body, "version": message.version},
        )
        unit.emit(message_changed(ev.MessageEdited, message))
    return message


async def delete_message(services: Services, viewer: Viewer, message_id: uuid.UUID) -> Message:
    """Soft delete (author or admin): the body is cleared, replies stay."""
    async with unit_of_work(services, viewer) as unit:
        message, channel = await access_message(unit.session, viewer, message_id, for_update=True)
        if message.author_id != viewer.user_id and not viewer.is_admin:
            raise Forbidden("only the author or an admin may delete a message")
        if message.deleted_at is not None:
            return message
        require_writable(channel)
        before = {"body": message.body, "deleted": False}
        message.body, message.deleted_at, message.search_text = "", utcnow(), ""
        message.version += 1
        unit.audit(
            message.org_id,
            "message.delete",
            "message",
            message.id,
            before=before,
            after={"body": "", "deleted": True},
        )
        unit.emit(message_changed(ev.MessageDeleted, message))
    return message


# Reads ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SeqWindow:
    """A keyset page by seq: ``first`` after a seq, or ``last`` before one."""

    limit: int
    after: int | None = None
    before: int | None = None
    from_end: bool = False


async def list_roots(
    session: AsyncSession, channel: Channel, window: SeqWindow
) -> tuple[list[Message], bool]:
    """Thread roots of a channel, oldest first; also whether more exist in the page's
    direction. Keyset by seq, so concurrent posts never shift a page."""
    query = select(Message).where(Message.channel_id == channel.id, Message.thread_id == Message.id)
    return await _seq_page(session, query, window)


async def list_replies(
    session: AsyncSession, root: Message, window: SeqWindow
) -> tuple[list[Message], bool]:
    query = select(Message).where(Message.thread_id == root.id, Message.id != root.id)
    return await _seq_page(session, query, window)


async def _seq_page(
    session: AsyncSession, query: Any, window: SeqWindow
) -> tuple[list[Message], bool]:
    if window.after is not None:
        query = query.where(Message.seq > window.after)
    if window.before is not None:
        query = query.where(Message.seq < window.before)
    if window.from_end:
        rows = list(
            await session.scalars(query.order_by(Message.seq.desc()).limit(window.limit + 1))
        )
        return list(reversed(rows[: window.limit])), len(rows) > window.limit
    rows = list(await session.scalars(query.order_by(Message.seq).limit(window.limit + 1)))
    return rows[: window.limit], len(rows) > window.limit


async def list_revisions(session: AsyncSession, message_id: uuid.UUID) -> list[MessageRevision]:
    """Earlier bodies of a message, oldest first (callers check who may see them)."""
    rows = await session.scalars(
        select(MessageRevision)
        .where(MessageRevision.message_id == message_id)
        .order_by(MessageRevision.version)
    )
    return list(rows)
