"""The FastMCP server: chat tools, two resources and a prompt, each a thin shell around named
operations of ``operations.graphql`` run by an ``Executor`` (in process or remote).

Tools never touch models or actions: what an agent may do, what is audited and which errors
it sees are exactly what the GraphQL API does for the token's user.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastmcp import FastMCP
from fastmcp.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field

from workchat.mcp import models as m
from workchat.mcp.executor import Data, Executor, failure
from workchat.mcp.resources import add_resources
from workchat.mcp.updates import collect_updates

INSTRUCTIONS = (
    "workchat is a team chat. You act as the user of your API token, with their permissions. "
    "Start with whoami and list_channels; read with read_channel, read_thread and search; "
    "write with post_message and reply_to_thread (pass an idempotency_key so a retry never "
    "posts twice). To follow the conversation call get_updates in a loop, passing back the "
    "cursor it returns. Errors start with a stable code, e.g. NOT_A_MEMBER: ..."
)

ChannelRef = Annotated[
    str,
    Field(
        description="The channel: its id (from list_channels) or its name as #name.",
        min_length=1,
        max_length=200,
    ),
]
MessageRef = Annotated[
    str,
    Field(description="The message's id (from read_channel, search, ...).", min_length=1),
]
Body = Annotated[
    str,
    Field(
        description="The text, 1-40000 characters; mention people as @Display Name.",
        min_length=1,
        max_length=40000,
    ),
]
IdempotencyKey = Annotated[
    str | None,
    Field(
        description="Any unique string (e.g. a UUID). Retrying with the same key within 24 h "
        "returns the first result instead of posting again.",
        max_length=64,  # the API's limit for clientMutationId
    ),
]
Emoji = Annotated[
    str,
    Field(
        description="A Unicode emoji such as 👍, or a :short_name: such as :tada:.", min_length=1
    ),
]

# Channels per lookup of a #name (the API's page size limit).
CHANNEL_PAGE = 100

READ = ToolAnnotations(read_only_hint=True, open_world_hint=False)
WRITE = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False)
IDEMPOTENT_WRITE = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
DESTRUCTIVE = ToolAnnotations(read_only_hint=False, destructive_hint=True, open_world_hint=False)


def _payload(data: Data, field: str) -> dict[str, Any]:
    """A mutation's payload, or its first UserError as a tool error ``CODE: message``."""
    payload: dict[str, Any] = data[field]
    errors = payload.get("errors") or []
    if errors:
        error = errors[0]
        text = f"{error['code']}: {error['message']}"
        current = payload.get("message")
        if error["code"] == "VERSION_CONFLICT" and current:
            version = f"version {current['version']}"
            if version not in text:
                text += f"; current {version}"
        if error.get("field"):
            text += f" (field {error['field']})"
        raise failure(text)
    return payload


def _not_found(what: str) -> ToolError:
    return failure(f"NOT_FOUND: no {what} with that id is visible to you")


def create_server(executor: Executor, *, lifespan: Any = None) -> FastMCP:
    """The workchat MCP server over ``executor``. ``lifespan`` (stdio) starts what the
    executor needs, e.g. the database and event bus."""
    mcp: FastMCP = FastMCP(
        "workchat", instructions=INSTRUCTIONS, mask_error_details=True, lifespan=lifespan
    )

    async def run(operation: str, tool: str, **variables: Any) -> Data:
        return await executor.execute(operation, variables, tool=tool)

    async def channel_id(ref: str, tool: str) -> str:
        """A global id as given; ``#name`` looked up among the channels the viewer sees,
        archived ones too (they are readable, and a write then says CHANNEL_ARCHIVED)."""
        ref = ref.strip()
        if not ref.startswith("#"):
            return ref
        name = ref[1:].strip()
        after = None
        while True:  # more than a page of names may contain this one ("ops" in "devops-1")
            found = (await run("FindChannel", tool, name=name, first=CHANNEL_PAGE, after=after))[
                "channels"
            ]
            for node in found["nodes"]:
                if node["name"].casefold() == name.casefold():
                    return str(node["id"])
            if not found["pageInfo"]["hasNextPage"]:
                raise failure(f"NOT_FOUND: no channel named #{name} is visible to you")
            after = found["pageInfo"]["endCursor"]

    @mcp.tool(annotations=READ)
    async def whoami() -> m.Whoami:
        """Who you are in workchat: the user your API token acts as, and their org."""
        viewer = (await run("Whoami", "whoami"))["viewer"]
        return m.Whoami(
            user=m.user(viewer), org_id=viewer["org"]["id"], org_name=viewer["org"]["name"]
        )

    @mcp.tool(annotations=READ)
    async def list_channels(
        joined_only: Annotated[
            bool, Field(description="Only channels you are in (you can post only there).")
        ] = False,
    ) -> m.ChannelList:
        """List the channels you can see (up to 100, by name) with unread and mention counts.
        Use a channel's id or #name with read_channel and post_message."""
        data = await run("ListChannels", "list_channels", joined=True if joined_only else None)
        return m.ChannelList(channels=[m.channel(c) for c in data["channels"]["nodes"]])

    @mcp.tool(annotations=READ)
    async def read_channel(
        channel: ChannelRef,
        limit: Annotated[int, Field(description="How many messages (1-100).", ge=1, le=100)] = 20,
        before: Annotated[
            str | None,
            Field(description="The `before` of a previous read_channel: older messages."),
        ] = None,
    ) -> m.ChannelPage:
        """Read a channel's newest messages (thread roots, oldest first); page back with
        `before`. A message with reply_count > 0 has a thread: read it with read_thread."""
        tool = "read_channel"
        found = await run(
            "ReadChannel", tool, channel=await channel_id(channel, tool), last=limit, before=before
        )
        node = found["channel"]
        if node is None:
            raise _not_found("channel")
        page = node["messages"]
        return m.ChannelPage(
            channel=m.channel(node),
            messages=[m.message(item) for item in page["nodes"]],
            before=page["pageInfo"]["startCursor"] if page["pageInfo"]["hasPreviousPage"] else None,
        )

    @mcp.tool(annotations=READ)
    async def read_thread(message: MessageRef) -> m.Thread:
        """Read a thread: its root message and the replies, oldest first. Pass any message of
        the thread (a root or a reply's thread_id)."""
        node = (await run("ReadThread", "read_thread", message=message))["message"]
        if node is None:
            raise _not_found("message")
        return m.Thread(
            root=m.message(node), replies=[m.message(r) for r in node["replies"]["nodes"]]
        )

    @mcp.tool(annotations=WRITE)
    async def post_message(
        channel: ChannelRef, body: Body, idempotency_key: IdempotencyKey = None
    ) -> m.Message:
        """Post a new message (a thread root) in a channel you are a member of. Errors:
        NOT_FOUND, NOT_A_MEMBER (join first), CHANNEL_ARCHIVED, INVALID_INPUT."""
        tool = "post_message"
        data = await run(
            "PostMessage",
            tool,
            input={
                "channelId": await channel_id(channel, tool),
                "body": body,
                "clientMutationId": idempotency_key,
            },
        )
        return m.message(_payload(data, "postMessage")["message"])

    @mcp.tool(annotations=WRITE)
    async def reply_to_thread(
        message: MessageRef, body: Body, idempotency_key: IdempotencyKey = None
    ) -> m.Message:
        """Reply in the thread of a message (a root, or any reply of the thread). Errors:
        NOT_FOUND, NOT_A_MEMBER, CHANNEL_ARCHIVED, THREAD_NOT_FOUND (root deleted),
        INVALID_INPUT."""
        tool = "reply_to_thread"
        node = (await run("MessageThread", tool, message=message))["message"]
        if node is None:
            raise _not_found("message")
        data = await run(
            "PostMessage",
            tool,
            input={
                "channelId": node["channel"]["id"],
                "threadId": node["threadId"],
                "body": body,
                "clientMutationId": idempotency_key,
            },
        )
        return m.message(_payload(data, "postMessage")["message"])

    @mcp.tool(annotations=IDEMPOTENT_WRITE)
    async def edit_message(
        message: MessageRef,
        body: Body,
        expected_version: Annotated[
            int,
            Field(description="The message's `version` as you last read it.", ge=1),
        ],
    ) -> m.Message:
        """Edit your own message. If someone changed it since you read it you get
        VERSION_CONFLICT with the current version: re-read, merge, retry. Errors: NOT_FOUND,
        FORBIDDEN (not yours), VERSION_CONFLICT, MESSAGE_DELETED, CHANNEL_ARCHIVED."""
        data = await run(
            "EditMessage",
            "edit_message",
            input={"messageId": message, "body": body, "expectedVersion": expected_version},
        )
        return m.message(_payload(data, "editMessage")["message"])

    @mcp.tool(annotations=DESTRUCTIVE)
    async def delete_message(message: MessageRef) -> m.Message:
        """Delete a message (yours, or any as an admin): its text is cleared, replies stay.
        Errors: NOT_FOUND, FORBIDDEN, CHANNEL_ARCHIVED."""
        data = await run("DeleteMessage", "delete_message", input={"messageId": message})
        return m.message(_payload(data, "deleteMessage")["message"])

    @mcp.tool(annotations=IDEMPOTENT_WRITE)
    async def add_reaction(message: MessageRef, emoji: Emoji) -> m.Message:
        """React to a message with an emoji (again is a no-op). Errors: NOT_FOUND,
        NOT_A_MEMBER, MESSAGE_DELETED, INVALID_EMOJI, CHANNEL_ARCHIVED."""
        data = await run(
            "AddReaction", "add_reaction", input={"messageId": message, "emoji": emoji}
        )
        return m.message(_payload(data, "addReaction")["message"])

    @mcp.tool(annotations=IDEMPOTENT_WRITE)
    async def remove_reaction(message: MessageRef, emoji: Emoji) -> m.Message:
        """Take back your reaction (no-op if you had none). Errors: NOT_FOUND, NOT_A_MEMBER,
        MESSAGE_DELETED, INVALID_EMOJI, CHANNEL_ARCHIVED."""
        data = await run(
            "RemoveReaction", "remove_reaction", input={"messageId": message, "emoji": emoji}
        )
        return m.message(_payload(data, "removeReaction")["message"])

    @mcp.tool(annotations=READ)
    async def search(
        query: Annotated[
            str,
            Field(
                description='Words, "phrases", prefix*, -excluded, from:name, in:#channel, '
                "before:/after:/on:YYYY-MM-DD, has:reaction, has:link, is:thread, is:reply.",
                min_length=1,
                max_length=500,
            ),
        ],
        limit: Annotated[int, Field(description="How many results (1-100).", ge=1, le=100)] = 20,
    ) -> m.SearchResults:
        """Search messages in the channels you can read, best matches first, with a snippet,
        the message and thread ids, channel, author and time. Error: INVALID_QUERY (says
        where the query is malformed)."""
        data = (await run("Search", "search", query=query, first=limit))["search"]
        return m.SearchResults(
            total_count=data["totalCount"], results=[m.search_hit(n) for n in data["nodes"]]
        )

    @mcp.tool(annotations=READ)
    async def list_users(
        query: Annotated[
            str | None,
            Field(description="Only names or emails containing this (any case).", max_length=200),
        ] = None,
    ) -> m.UserList:
        """List people in your org (up to 100) with their presence; mention one in a message
        as @Display Name."""
        data = await run("ListUsers", "list_users", query=query)
        return m.UserList(users=[m.user(u) for u in data["users"]["nodes"]])

    @mcp.tool(annotations=IDEMPOTENT_WRITE)
    async def mark_read(
        channel: ChannelRef,
        message: Annotated[
            str | None,
            Field(description="The last message you read; default: the newest in the channel."),
        ] = None,
    ) -> m.Channel:
        """Move your read marker in a channel forward (never back), clearing unread counts up
        to that message. Errors: NOT_FOUND, NOT_A_MEMBER."""
        tool = "mark_read"
        target = await channel_id(channel, tool)
        if message is None:
            node = (await run("LatestMessage", tool, channel=target))["channel"]
            if node is None:
                raise _not_found("channel")
            roots = node["messages"]["nodes"]
            if not roots:
                return m.channel(node)  # nothing posted yet: nothing to mark
            root = roots[-1]
            replies = root["replies"]["nodes"]
            message = (
                replies[-1]["id"] if replies and replies[-1]["seq"] > root["seq"] else root["id"]
            )
        data = await run("MarkRead", tool, input={"channelId": target, "upToMessageId": message})
        return m.channel(_payload(data, "markChannelRead")["channel"])

    @mcp.tool(annotations=READ)
    async def get_updates(
        after: Annotated[
            str | None,
            Field(
                description="The `cursor` of your previous get_updates; omit on the first "
                "call to start from now.",
                max_length=128,
            ),
        ] = None,
        timeout_seconds: Annotated[
            int, Field(description="How long to wait when nothing is new (0-60).", ge=0, le=60)
        ] = 25,
    ) -> m.Updates:
        """Wait for what happens in the channels you are in: new messages and replies, edits,
        deletions, reactions, members, channel changes. Returns at once when events are
        waiting after `after` (up to 100), else waits up to timeout_seconds. Call it again
        with the returned cursor: every event arrives exactly once, none is skipped."""
        tool = "get_updates"
        if after is None:
            after = str((await run("EventCursor", tool))["eventCursor"])
        return await collect_updates(executor, after, timeout_seconds, tool)

    add_resources(mcp, run)
    return mcp
