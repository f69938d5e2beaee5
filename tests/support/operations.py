"""GraphQL operations of the chat core (channels, messages, reactions, read state), and
running them as a persona."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support.graphql_client import GraphQLClient, gid
from tests.support.personas import Persona
from workchat.db.models import Channel, Message

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


async def login_all(gql: GraphQLClient, *personas: Persona) -> None:
    """Log in up front: logging in writes audit rows and refresh tokens of its own."""
    for persona in personas:
        await gql.token_for(persona)


def cid(channel: Channel | uuid.UUID) -> str:
    return gid("Channel", channel if isinstance(channel, uuid.UUID) else channel.id)


def mid(message: Message | uuid.UUID) -> str:
    return gid("Message", message if isinstance(message, uuid.UUID) else message.id)
