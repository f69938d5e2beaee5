"""What the tools return: their structured output schemas, and the mapping from the
operations' GraphQL results (camelCase) to them (snake_case, flat where an LLM reads best)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class User(BaseModel):
    id: str = Field(description="The user's global id.")
    display_name: str = Field(description="The name others see; @mentions use it.")
    email: str
    role: str = Field(description="ADMIN or MEMBER.")
    presence: str = Field(description="ONLINE, AWAY or OFFLINE.")


class Whoami(BaseModel):
    user: User = Field(description="The user the API token acts as.")
    org_id: str
    org_name: str


class Channel(BaseModel):
    id: str = Field(description="The channel's global id; pass it as `channel`.")
    name: str = Field(description="Without the #; `#name` also works as `channel`.")
    description: str
    is_private: bool
    is_archived: bool = Field(description="Archived channels are read-only.")
    is_member: bool = Field(description="Whether you are in it (needed to post).")
    member_count: int
    unread_count: int = Field(description="Messages after your read marker, not yours.")
    mention_count: int = Field(description="Unread messages that mention you.")


class Reaction(BaseModel):
    emoji: str
    count: int
    mine: bool = Field(description="Whether you reacted with it.")


class Message(BaseModel):
    id: str = Field(description="The message's global id; pass it as `message`.")
    body: str = Field(description="The text; empty once deleted.")
    version: int = Field(description="Pass as `expected_version` to edit_message.")
    created_at: str = Field(description="UTC, ISO 8601.")
    edited_at: str | None
    is_deleted: bool
    is_reply: bool
    thread_id: str = Field(description="The thread root's id (its own id for a root).")
    reply_count: int = Field(description="Replies in its thread (roots only).")
    author_id: str
    author: str = Field(description="The author's display name.")
    channel_id: str
    channel: str = Field(description="The channel's name.")
    reactions: list[Reaction]


class ChannelList(BaseModel):
    channels: list[Channel]


class ChannelPage(BaseModel):
    channel: Channel
    messages: list[Message] = Field(description="Thread roots, oldest first.")
    before: str | None = Field(
        description="Pass as `before` to read the page of older messages; null at the start."
    )


class Thread(BaseModel):
    root: Message
    replies: list[Message] = Field(description="Oldest first (up to 100).")


class SearchHit(BaseModel):
    message_id: str
    thread_id: str = Field(description="Pass to read_thread for the whole conversation.")
    is_reply: bool
    channel_id: str
    channel: str
    author: str
    created_at: str
    snippet: str = Field(description="Text around the match; matches are wrapped in <mark>.")


class SearchResults(BaseModel):
    total_count: int = Field(description="Matches, counted up to 500.")
    results: list[SearchHit]


class UserList(BaseModel):
    users: list[User]


class Update(BaseModel):
    type: str = Field(
        description="MessagePosted, MessageEdited, MessageDeleted, ReactionAdded, "
        "ReactionRemoved, MemberJoined, MemberLeft, ChannelUpdated or ChannelArchived."
    )
    cursor: str = Field(description="This event's position in the log.")
    message: Message | None = Field(default=None, description="For message and reaction events.")
    emoji: str | None = Field(default=None, description="For reaction events.")
    user: str | None = Field(default=None, description="Who reacted, joined or left.")
    channel_id: str | None = None
    channel: str | None = Field(default=None, description="The channel's name.")
    changes: list[str] | None = Field(default=None, description="For ChannelUpdated.")


class Updates(BaseModel):
    cursor: str = Field(description="Pass as `after` to the next get_updates call.")
    events: list[Update] = Field(description="New events in log order; empty on timeout.")
    resync_required: str | None = Field(
        default=None,
        description="Set when `after` was not usable (malformed or too old): events may have "
        "been missed; re-read the channels you follow, then go on from `cursor`.",
    )


def user(node: dict[str, Any]) -> User:
    return User(
        id=node["id"],
        display_name=node["displayName"],
        email=node["email"],
        role=node["role"],
        presence=node["presence"],
    )


def channel(node: dict[str, Any]) -> Channel:
    return Channel(
        id=node["id"],
        name=node["name"],
        description=node["description"],
        is_private=node["isPrivate"],
        is_archived=node["isArchived"],
        is_member=node["viewerIsMember"],
        member_count=node["memberCount"],
        unread_count=node["unreadCount"],
        mention_count=node["mentionCount"],
    )


def message(node: dict[str, Any]) -> Message:
    return Message(
        id=node["id"],
        body=node["body"],
        version=node["version"],
        created_at=node["createdAt"],
        edited_at=node["editedAt"],
        is_deleted=node["isDeleted"],
        is_reply=node["isReply"],
        thread_id=node["threadId"],
        reply_count=node["replyCount"],
        author_id=node["author"]["id"],
        author=node["author"]["displayName"],
        channel_id=node["channel"]["id"],
        channel=node["channel"]["name"],
        reactions=[
            Reaction(emoji=r["emoji"], count=r["count"], mine=r["viewerHasReacted"])
            for r in node["reactions"]
        ],
    )


def search_hit(node: dict[str, Any]) -> SearchHit:
    found = node["message"]
    return SearchHit(
        message_id=found["id"],
        thread_id=found["threadId"],
        is_reply=found["isReply"],
        channel_id=node["channel"]["id"],
        channel=node["channel"]["name"],
        author=found["author"]["displayName"],
        created_at=found["createdAt"],
        snippet=node["snippet"],
    )


def update(node: dict[str, Any]) -> Update:
    who = node.get("user")
    where = node.get("channel") or (node.get("message") or {}).get("channel")
    return Update(
        type=node["__typename"],
        cursor=node["cursor"],
        message=message(node["message"]) if node.get("message") else None,
        emoji=node.get("emoji"),
        user=who["displayName"] if who else None,
        channel_id=where["id"] if where else None,
        channel=where["name"] if where else None,
        changes=node.get("changes"),
    )


def message_lines(messages: list[Message]) -> str:
    """Messages as plain text, one per line: what a resource shows an LLM."""
    lines = []
    for item in messages:
        text = "(deleted)" if item.is_deleted else item.body
        replies = f" [{item.reply_count} replies]" if item.reply_count else ""
        lines.append(f"[{item.created_at}] {item.author}: {text}{replies} (id {item.id})")
    return "\n".join(lines)
