"""Each tool over an in-memory MCP client: happy path, its main error codes, what it wrote
(rows, audit entries), on every backend."""

from __future__ import annotations

import pytest

from tests.support.chat import general, make_channel, post
from tests.support.db import audit_entries, count_rows, snapshot
from tests.support.graphql_client import gid
from tests.support.mcp import agent, api_token, call, error
from tests.support.personas import Personas, as_user
from workchat.actions.channels import archive_channel
from workchat.actions.messages import MAX_CLIENT_MUTATION_ID, delete_message
from workchat.db.models import Message, Reaction
from workchat.mcp import server
from workchat.services import Services


@pytest.fixture
async def alice_token(services: Services, personas: Personas) -> str:
    return await api_token(services, personas.alice, personas.alice)


@pytest.fixture
async def bob_token(services: Services, personas: Personas) -> str:
    return await api_token(services, personas.alice, personas.bob)


async def test_whoami_names_the_tokens_user(
    services: Services, personas: Personas, bob_token: str
) -> None:
    async with agent(services, bob_token) as client:
        me = await call(client, "whoami")
    assert me["user"]["id"] == gid("User", personas.bob.id)
    assert me["user"]["display_name"] == "Bob"
    assert me["org_name"] == "Acme"


async def test_list_channels_all_or_joined_only(
    services: Services, personas: Personas, bob_token: str
) -> None:
    await make_channel(services, personas.alice, "ops")
    await make_channel(services, personas.alice, "design", members=(personas.bob,))
    async with agent(services, bob_token) as client:
        everything = await call(client, "list_channels")
        joined = await call(client, "list_channels", joined_only=True)
    assert {c["name"] for c in everything["channels"]} == {"general", "ops", "design"}
    assert {c["name"] for c in joined["channels"]} == {"general", "design"}
    assert all(c["is_member"] for c in joined["channels"])


async def test_read_channel_by_name_pages_back_with_before(
    services: Services, personas: Personas, bob_token: str
) -> None:
    channel = await general(services, personas.alice)
    for n in range(5):
        await post(services, personas.alice, channel, f"message {n}")
    async with agent(services, bob_token) as client:
        newest = await call(client, "read_channel", channel="#General", limit=3)
        older = await call(
            client,
            "read_channel",
            channel=newest["channel"]["id"],
            limit=3,
            before=newest["before"],
        )
    assert [m["body"] for m in newest["messages"]] == ["message 2", "message 3", "message 4"]
    assert [m["body"] for m in older["messages"]] == ["message 0", "message 1"]
    assert older["before"] is None
    assert newest["messages"][0]["author"] == "Alice"
    assert newest["messages"][0]["channel"] == "general"


async def test_read_channel_unknown_is_not_found(
    services: Services, personas: Personas, bob_token: str
) -> None:
    secret = await make_channel(services, personas.alice, "secret", private=True)
    async with agent(services, bob_token) as client:
        by_name = await error(client, "read_channel", channel="#nope")
        by_id = await error(client, "read_channel", channel=gid("Channel", secret.id))
        private_by_name = await error(client, "read_channel", channel="#secret")
        bad_limit = await client.call_tool(
            "read_channel", {"channel": "#general", "limit": 500}, raise_on_error=False
        )
    assert by_name.startswith("NOT_FOUND: ")
    assert by_id.startswith("NOT_FOUND: ")
    assert private_by_name.startswith("NOT_FOUND: ")
    assert bad_limit.is_error  # the input schema bounds it (1-100)


async def test_post_message_is_audited_as_the_tool_via_mcp(
    services: Services, personas: Personas, bob_token: str
) -> None:
    async with agent(services, bob_token) as client:
        posted = await call(client, "post_message", channel="#general", body="hello from a bot")
    assert posted["body"] == "hello from a bot"
    assert posted["author_id"] == gid("User", personas.bob.id)
    assert await count_rows(services, Message, body="hello from a bot") == 1
    entry = (await audit_entries(services, personas.bob.org_id))[-1]
    assert (entry.action, entry.via, entry.operation) == ("message.post", "mcp", "post_message")
    assert entry.actor_id == personas.bob.id


async def test_post_message_with_idempotency_key_posts_once(
    services: Services, personas: Personas, bob_token: str
) -> None:
    async with agent(services, bob_token) as client:
        first = await call(
            client, "post_message", channel="#general", body="once", idempotency_key="k-1"
        )
        again = await call(
            client, "post_message", channel="#general", body="once", idempotency_key="k-1"
        )
    assert first["id"] == again["id"]
    assert await count_rows(services, Message, body="once") == 1


async def test_idempotency_key_length_is_the_apis(
    services: Services, personas: Personas, bob_token: str
) -> None:
    """The schema an agent sees bounds the key as the API does: the longest key works, a
    longer one is refused by the input schema before anything runs."""
    channel = await general(services, personas.alice)
    root = await post(services, personas.alice, channel, "root")
    async with agent(services, bob_token) as client:
        tools = {tool.name: tool for tool in await client.list_tools()}
        longest = "k" * MAX_CLIENT_MUTATION_ID
        posted = await call(
            client, "post_message", channel="#general", body="long key", idempotency_key=longest
        )
        replied = await call(
            client,
            "reply_to_thread",
            message=gid("Message", root.id),
            body="long key reply",
            idempotency_key="r" * MAX_CLIENT_MUTATION_ID,
        )
        before = await snapshot(services)
        too_long = await client.call_tool(
            "post_message",
            {"channel": "#general", "body": "x", "idempotency_key": longest + "k"},
            raise_on_error=False,
        )
        after = await snapshot(services)
    for name in ("post_message", "reply_to_thread"):
        key = tools[name].input_schema["properties"]["idempotency_key"]
        assert key["anyOf"][0]["maxLength"] == MAX_CLIENT_MUTATION_ID, name
    assert posted["body"] == "long key" and replied["is_reply"]
    assert too_long.is_error
    assert after == before


async def test_post_message_errors_change_nothing(
    services: Services, personas: Personas, bob_token: str
) -> None:
    await make_channel(services, personas.alice, "ops")  # bob is not in it
    before = await snapshot(services)
    async with agent(services, bob_token) as client:
        not_member = await error(client, "post_message", channel="#ops", body="hi")
        blank = await error(client, "post_message", channel="#general", body="   ")
        missing = await error(client, "post_message", channel="#nowhere", body="hi")
    assert not_member.startswith("NOT_A_MEMBER: ")
    assert blank.startswith("INVALID_INPUT: ") and "field body" in blank
    assert missing.startswith("NOT_FOUND: ")
    assert await snapshot(services) == before


async def test_reply_to_thread_and_read_thread(
    services: Services, personas: Personas, bob_token: str
) -> None:
    channel = await general(services, personas.alice)
    root = await post(services, personas.alice, channel, "lunch?")
    async with agent(services, bob_token) as client:
        reply = await call(client, "reply_to_thread", message=gid("Message", root.id), body="yes")
        # Replying to a reply continues the same thread.
        second = await call(client, "reply_to_thread", message=reply["id"], body="12:30?")
        thread = await call(client, "read_thread", message=gid("Message", root.id))
        missing = await error(client, "read_thread", message=gid("Message", channel.id))
    assert reply["is_reply"] and reply["thread_id"] == gid("Message", root.id)
    assert second["thread_id"] == gid("Message", root.id)
    assert thread["root"]["body"] == "lunch?"
    assert thread["root"]["reply_count"] == 2
    assert [r["body"] for r in thread["replies"]] == ["yes", "12:30?"]
    assert missing.startswith("NOT_FOUND: ")


async def test_edit_message_and_version_conflict(
    services: Services, personas: Personas, bob_token: str, alice_token: str
) -> None:
    channel = await general(services, personas.alice)
    mine = await post(services, personas.bob, channel, "draft")
    theirs = await post(services, personas.alice, channel, "alice's")
    async with agent(services, bob_token) as client:
        edited = await call(
            client,
            "edit_message",
            message=gid("Message", mine.id),
            body="final",
            expected_version=1,
        )
        stale = await error(
            client, "edit_message", message=gid("Message", mine.id), body="x", expected_version=1
        )
        not_mine = await error(
            client, "edit_message", message=gid("Message", theirs.id), body="x", expected_version=1
        )
    assert (edited["body"], edited["version"]) == ("final", 2)
    assert stale.startswith("VERSION_CONFLICT: ") and "at version 2" in stale
    assert not_mine.startswith("FORBIDDEN: ")
    entry = (await audit_entries(services, personas.bob.org_id))[-1]
    assert (entry.action, entry.via, entry.operation) == ("message.edit", "mcp", "edit_message")


async def test_delete_message(services: Services, personas: Personas, bob_token: str) -> None:
    channel = await general(services, personas.alice)
    mine = await post(services, personas.bob, channel, "oops")
    theirs = await post(services, personas.alice, channel, "keep")
    async with agent(services, bob_token) as client:
        deleted = await call(client, "delete_message", message=gid("Message", mine.id))
        refused = await error(client, "delete_message", message=gid("Message", theirs.id))
    assert deleted["is_deleted"] and deleted["body"] == ""
    assert refused.startswith("FORBIDDEN: ")
    entry = (await audit_entries(services, personas.bob.org_id))[-1]
    assert (entry.via, entry.operation) == ("mcp", "delete_message")


async def test_add_and_remove_reaction(
    services: Services, personas: Personas, bob_token: str
) -> None:
    channel = await general(services, personas.alice)
    message = await post(services, personas.alice, channel, "shipped")
    message_id = gid("Message", message.id)
    async with agent(services, bob_token) as client:
        added = await call(client, "add_reaction", message=message_id, emoji="🎉")
        rows_after_add = await count_rows(services, Reaction, message_id=message.id)
        removed = await call(client, "remove_reaction", message=message_id, emoji="🎉")
        invalid = await error(client, "add_reaction", message=message_id, emoji="not an emoji")
    assert added["reactions"] == [{"emoji": "🎉", "count": 1, "mine": True}]
    assert rows_after_add == 1
    assert removed["reactions"] == []
    assert invalid.startswith("INVALID_EMOJI: ")
    assert await count_rows(services, Reaction, message_id=message.id) == 0


async def test_search_finds_messages_and_reports_bad_queries(
    services: Services, personas: Personas, bob_token: str
) -> None:
    channel = await general(services, personas.alice)
    await post(services, personas.alice, channel, "the deploy pipeline is green")
    await post(services, personas.alice, channel, "unrelated chatter")
    async with agent(services, bob_token) as client:
        found = await call(client, "search", query="pipeline", limit=5)
        bad = await error(client, "search", query='"unclosed')
    assert found["total_count"] == 1
    [hit] = found["results"]
    assert hit["channel"] == "general" and hit["author"] == "Alice"
    assert "<mark>pipeline</mark>" in hit["snippet"]
    assert bad.startswith("INVALID_QUERY: ")


async def test_list_users_filters_by_query(
    services: Services, personas: Personas, bob_token: str
) -> None:
    async with agent(services, bob_token) as client:
        everyone = await call(client, "list_users")
        alices = await call(client, "list_users", query="ALI")
    assert {u["display_name"] for u in everyone["users"]} == {"Alice", "Bob"}
    assert [u["display_name"] for u in alices["users"]] == ["Alice"]


async def test_mark_read_clears_unread(
    services: Services, personas: Personas, bob_token: str
) -> None:
    channel = await general(services, personas.alice)
    first = await post(services, personas.alice, channel, "one")
    await post(services, personas.alice, channel, "two")
    ops = await make_channel(services, personas.alice, "ops")
    await post(services, personas.alice, ops, "bob is not here")
    async with agent(services, bob_token) as client:
        partly = await call(
            client, "mark_read", channel="#general", message=gid("Message", first.id)
        )
        fully = await call(client, "mark_read", channel="#general")
        not_member = await error(client, "mark_read", channel="#ops")
    assert partly["unread_count"] == 1
    assert fully["unread_count"] == 0
    assert not_member.startswith("NOT_A_MEMBER: ")


async def test_channel_by_name_finds_archived_channels_past_the_first_page(
    services: Services, personas: Personas, bob_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    ops = await make_channel(services, personas.alice, "ops", members=(personas.bob,))
    await post(services, personas.alice, ops, "the runbook")
    await archive_channel(services, as_user(personas.alice), ops.id)
    for n in range(3):  # names containing "ops" that sort before it
        await make_channel(services, personas.alice, f"devops-{n}")
    monkeypatch.setattr(server, "CHANNEL_PAGE", 2)  # so #ops is on the second page
    before = await snapshot(services)
    async with agent(services, bob_token) as client:
        read = await call(client, "read_channel", channel="#OPS")
        refused = await error(client, "post_message", channel="#ops", body="hi")
    assert read["channel"]["id"] == gid("Channel", ops.id) and read["channel"]["is_archived"]
    assert [m["body"] for m in read["messages"]] == ["the runbook"]
    assert refused.startswith("CHANNEL_ARCHIVED: ")
    assert await snapshot(services) == before


async def test_writes_refused_in_archived_channels_deleted_threads_and_unjoined_channels(
    services: Services, personas: Personas, bob_token: str
) -> None:
    channel = await general(services, personas.alice)
    ops = await make_channel(services, personas.alice, "ops", members=(personas.bob,))
    archived_root = await post(services, personas.alice, ops, "old news")
    await archive_channel(services, as_user(personas.alice), ops.id)
    gone = await post(services, personas.alice, channel, "gone soon")
    await delete_message(services, as_user(personas.alice), gone.id)
    design = await make_channel(services, personas.alice, "design")  # bob is not in it
    elsewhere = await post(services, personas.alice, design, "mockups")
    before = await snapshot(services)
    async with agent(services, bob_token) as client:
        archived_post = await error(client, "post_message", channel="#ops", body="hi")
        archived_reply = await error(
            client, "reply_to_thread", message=gid("Message", archived_root.id), body="hi"
        )
        archived_react = await error(
            client, "add_reaction", message=gid("Message", archived_root.id), emoji="👍"
        )
        deleted_thread = await error(
            client, "reply_to_thread", message=gid("Message", gone.id), body="hi"
        )
        deleted_react = await error(
            client, "add_reaction", message=gid("Message", gone.id), emoji="👍"
        )
        not_member = await error(
            client, "reply_to_thread", message=gid("Message", elsewhere.id), body="hi"
        )
    assert archived_post.startswith("CHANNEL_ARCHIVED: ")
    assert archived_reply.startswith("CHANNEL_ARCHIVED: ")
    assert archived_react.startswith("CHANNEL_ARCHIVED: ")
    assert deleted_thread.startswith("THREAD_NOT_FOUND: ")
    assert deleted_react.startswith("MESSAGE_DELETED: ")
    assert not_member.startswith("NOT_A_MEMBER: ")
    assert await snapshot(services) == before
