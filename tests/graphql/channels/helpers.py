"""Shared by the chat-core GraphQL tests: operations, setup through actions, and checks of
the audit entries and event-log rows a mutation wrote."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from tests.actions.helpers import as_user, new_member
from tests.conftest import GraphQLClient, Persona, Personas, audit_entries, events
from tests.graphql.conftest import gid
from workchat.actions import channels as ch
from workchat.actions import messages as msg
from workchat.db.models import Channel, Message
from workchat.services import Services

ERRORS = "clientMutationId errors { code message field }"
CHANNEL_FIELDS = """id name description isPrivate isSystem isArchived archivedAt createdAt
    memberCount viewerIsMember unreadCount mentionCount createdBy { id displayName }"""
MESSAGE_FIELDS = """id body version seq threadId isReply isDeleted replyCount lastReplyAt
    createdAt editedAt deletedAt author { id displayName } channel { id name }"""


def channel_mutation(name: str, input_type: str, fields: str = CHANNEL_FIELDS) -> str:
    return f"""mutation($input: {input_type}!) {{
        {name}(input: $input) {{ {ERRORS} channel {{ {fields} }} }}
    }}"""


def message_mutation(name: str, input_type: str, fields: str = MESSAGE_FIELDS) -> str:
    return f"""mutation($input: {input_type}!) {{
        {name}(input: $input) {{ {ERRORS} message {{ {fields} }} }}
    }}"""


CREATE_CHANNEL = channel_mutation("createChannel", "CreateChannelInput")
UPDATE_CHANNEL = channel_mutation("updateChannel", "UpdateChannelInput")
ARCHIVE_CHANNEL = channel_mutation("archiveChannel", "ArchiveChannelInput")
JOIN_CHANNEL = channel_mutation("joinChannel", "JoinChannelInput")
LEAVE_CHANNEL = channel_mutation("leaveChannel", "LeaveChannelInput")
INVITE_TO_CHANNEL = channel_mutation("inviteToChannel", "InviteToChannelInput")
MARK_CHANNEL_READ = channel_mutation("markChannelRead", "MarkChannelReadInput")
POST_MESSAGE = message_mutation("postMessage", "PostMessageInput")
EDIT_MESSAGE = message_mutation(
    "editMessage",
    "EditMessageInput",
    MESSAGE_FIELDS + " revisions { version body editedAt editedBy { id } }",
)
DELETE_MESSAGE = message_mutation("deleteMessage", "DeleteMessageInput")
REACTION_FIELDS = "id reactions { emoji count viewerHasReacted users { id displayName } }"
ADD_REACTION = message_mutation("addReaction", "AddReactionInput", REACTION_FIELDS)
REMOVE_REACTION = message_mutation("removeReaction", "RemoveReactionInput", REACTION_FIELDS)


async def run(
    gql: GraphQLClient, query: str, input: dict[str, Any], persona: Persona
) -> dict[str, Any]:
    """Run a mutation; return its payload after checking there is no top-level error."""
    result = await gql.execute(query, {"input": input}, as_=persona)
    assert not result.get("errors"), result
    [payload] = result["data"].values()
    return payload  # type: ignore[no-any-return]


def error_codes(payload: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(error["code"], error["field"]) for error in payload["errors"]]


def top_codes(result: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in result.get("errors") or []]


async def query_data(
    gql: GraphQLClient, query: str, persona: Persona, **variables: Any
) -> dict[str, Any]:
    result = await gql.execute(query, variables, as_=persona)
    assert not result.get("errors"), result
    return result["data"]  # type: ignore[no-any-return]


# --- setup through actions -------------------------------------------------------------------


async def make_channel(
    services: Services,
    creator: Persona,
    name: str,
    *,
    private: bool = False,
    members: tuple[Persona, ...] = (),
) -> Channel:
    channel = await ch.create_channel(services, as_user(creator), name=name, is_private=private)
    for member in members:
        if private:
            await ch.invite_to_channel(services, as_user(creator), channel.id, member.id)
        else:
            await ch.join_channel(services, as_user(member), channel.id)
    return channel


async def post(
    services: Services,
    author: Persona,
    channel: Channel,
    body: str,
    *,
    thread: Message | None = None,
) -> Message:
    return await msg.post_message(
        services,
        as_user(author),
        channel_id=channel.id,
        body=body,
        thread_id=thread.id if thread else None,
    )


async def general(services: Services, persona: Persona) -> Channel:
    async with services.db.read_session() as session:
        rows, _ = await ch.list_channels(
            session,
            as_user(persona),
            limit=100,
            after=None,
            filter=ch.ChannelFilter(name_contains="general"),
        )
    [channel] = [row for row in rows if row.is_system]
    return channel


async def another_member(services: Services, personas: Personas, name: str) -> Persona:
    """A fresh Acme member who can log in like the fixture personas."""
    viewer = await new_member(services, personas.alice.org_id, name)
    assert viewer.user_id is not None and viewer.org_id is not None
    return Persona(name, viewer.user_id, viewer.org_id, f"{name}@example.com", "member")


async def login_all(gql: GraphQLClient, *personas: Persona) -> None:
    """Log in up front: logging in writes audit rows and refresh tokens of its own."""
    for persona in personas:
        await gql.token_for(persona)


def cid(channel: Channel | uuid.UUID) -> str:
    return gid("Channel", channel if isinstance(channel, uuid.UUID) else channel.id)


def mid(message: Message | uuid.UUID) -> str:
    return gid("Message", message if isinstance(message, uuid.UUID) else message.id)


# --- what a mutation wrote -------------------------------------------------------------------


@dataclass
class LogMark:
    """How far the org's audit chain and event log were before a call."""

    org_id: uuid.UUID
    audit: int
    events: int


async def mark(services: Services, org_id: uuid.UUID) -> LogMark:
    return LogMark(
        org_id, len(await audit_entries(services, org_id)), len(await events(services, org_id))
    )


async def assert_logged(
    services: Services,
    since: LogMark,
    *,
    action: str,
    operation: str,
    actor: Persona,
    target_id: uuid.UUID | None,
    events_: list[tuple[str, uuid.UUID | None, uuid.UUID | None]],
) -> None:
    """Exactly one audit entry (via graphql, named after the mutation) and exactly these
    events, as (type, channel_id, user_id), were written since ``since``."""
    entries = (await audit_entries(services, since.org_id))[since.audit :]
    assert [(e.action, e.via, e.operation, e.actor_id, e.target_id) for e in entries] == [
        (action, "graphql", operation, actor.id, str(target_id) if target_id else None)
    ]
    assert entries[0].request_id
    written = (await events(services, since.org_id))[since.events :]
    assert [(e.type, e.channel_id, e.user_id) for e in written] == events_
