"""The server's resources (recent history as text an LLM reads well) and its prompt."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastmcp import FastMCP
from fastmcp.exceptions import ResourceError, ToolError
from pydantic import Field

from workchat.mcp import models as m
from workchat.mcp.executor import Data

Run = Callable[..., Awaitable[Data]]


def add_resources(mcp: FastMCP, run: Run) -> None:
    """``workchat://channels``, ``workchat://channels/{id}/messages`` and
    ``summarize_channel``; ``run(operation, name, **variables)`` runs an operation."""

    @mcp.resource(
        "workchat://channels",
        mime_type="text/plain",
        description="The channels you can see, one per line, with id and unread counts.",
    )
    async def channels_resource() -> str:
        try:
            data = await run("ListChannels", "workchat://channels", joined=None)
        except ToolError as exc:
            raise ResourceError(str(exc), log_level=logging.INFO) from None
        lines = []
        for node in data["channels"]["nodes"]:
            item = m.channel(node)
            member = "member" if item.is_member else "not a member"
            lines.append(
                f"#{item.name} (id {item.id}; {member}; {item.unread_count} unread) "
                f"{item.description}".rstrip()
            )
        return "\n".join(lines) or "(no channels)"

    @mcp.resource(
        "workchat://channels/{id}/messages",
        mime_type="text/plain",
        description="A channel's 50 newest thread roots as text, oldest first.",
    )
    async def channel_messages_resource(id: str) -> str:
        try:
            data = await run("ReadChannel", "workchat://channels/messages", channel=id, last=50)
        except ToolError as exc:
            raise ResourceError(str(exc), log_level=logging.INFO) from None
        node = data["channel"]
        if node is None:
            raise ResourceError(
                "NOT_FOUND: no channel with that id is visible to you", log_level=logging.INFO
            )
        messages = [m.message(item) for item in node["messages"]["nodes"]]
        header = f"#{node['name']}: {node['description']}".rstrip(": ")
        return header + "\n" + (m.message_lines(messages) or "(no messages)")

    @mcp.prompt
    def summarize_channel(
        channel: Annotated[str, Field(description="The channel's id or #name.")],
        since: Annotated[str, Field(description="A date, YYYY-MM-DD (UTC).")],
    ) -> str:
        """Summarize what was discussed in a channel since a date."""
        return (
            f"Summarize the discussion in workchat channel {channel} since {since}.\n"
            f"1. Call read_channel with channel={channel!r} and limit=100; while the oldest "
            f"message is newer than {since} and `before` is set, call it again with that "
            "`before`.\n"
            "2. For each message with reply_count > 0, call read_thread with its id.\n"
            f"3. Ignore messages created before {since}.\n"
            "Write a short summary grouped by topic: decisions made, open questions, and "
            "action items with their owners. Cite message ids in brackets."
        )
