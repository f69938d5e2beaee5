"""The tool contract: the exact tool set with descriptions and schemas, operations that
validate against schema.graphql, the README's tool list, resources and the prompt."""

from __future__ import annotations

from pathlib import Path

from graphql import build_schema, parse, validate

from tests.support.chat import general, post
from tests.support.graphql_client import gid
from tests.support.mcp import agent, api_token
from tests.support.personas import Personas
from workchat.mcp.operations import document, operation_names, source
from workchat.mcp.toollist import END, START, tool_list
from workchat.services import Services

REPO = Path(__file__).resolve().parents[2]
TOOLS = {
    "whoami",
    "list_channels",
    "read_channel",
    "read_thread",
    "post_message",
    "reply_to_thread",
    "edit_message",
    "delete_message",
    "add_reaction",
    "remove_reaction",
    "search",
    "list_users",
    "mark_read",
    "get_updates",
}


def test_every_operation_validates_against_schema_graphql() -> None:
    schema = build_schema((REPO / "schema.graphql").read_text())
    assert validate(schema, parse(document())) == []
    for name in operation_names():
        # What a tool sends: one operation and the fragments it uses.
        assert validate(schema, parse(source(name))) == [], name


async def test_list_tools_is_exactly_the_chat_tool_set(
    services: Services, personas: Personas
) -> None:
    async with agent(services, None) as client:
        tools = {tool.name: tool for tool in await client.list_tools()}
    assert set(tools) == TOOLS
    for name, tool in tools.items():
        assert tool.description and len(tool.description) > 40, name
        assert tool.input_schema["type"] == "object", name
        assert tool.output_schema is not None and tool.output_schema["type"] == "object", name
        for param, spec in tool.input_schema.get("properties", {}).items():
            assert spec.get("description"), (name, param)
    post_input = tools["post_message"].input_schema
    assert set(post_input["required"]) == {"channel", "body"}
    assert post_input["properties"]["body"]["maxLength"] == 40000
    assert tools["read_channel"].input_schema["properties"]["limit"]["maximum"] == 100
    assert tools["get_updates"].input_schema["properties"]["timeout_seconds"]["maximum"] == 60
    assert set(tools["edit_message"].input_schema["required"]) == {
        "message",
        "body",
        "expected_version",
    }
    assert "cursor" in tools["get_updates"].output_schema["properties"]
    assert tools["read_channel"].annotations.read_only_hint is True
    assert tools["delete_message"].annotations.destructive_hint is True


async def test_readme_lists_the_tools_list_tools_returns() -> None:
    readme = (REPO / "README.md").read_text()
    block = readme.split(START, 1)[1].split(END, 1)[0].strip()
    assert block == await tool_list(), "run: python -m workchat.mcp.toollist --write README.md"
    assert block.count("\n- `") + 1 == len(TOOLS)


async def test_resources_and_prompt(services: Services, personas: Personas) -> None:
    channel = await general(services, personas.alice)
    await post(services, personas.alice, channel, "release is on friday")
    token = await api_token(services, personas.alice, personas.bob)
    async with agent(services, token) as client:
        resources = {str(r.uri) for r in await client.list_resources()}
        templates = {t.uri_template for t in await client.list_resource_templates()}
        listing = (await client.read_resource("workchat://channels"))[0].text  # type: ignore[union-attr]
        history = (
            await client.read_resource(f"workchat://channels/{gid('Channel', channel.id)}/messages")
        )[0].text  # type: ignore[union-attr]
        prompts = {p.name: p for p in await client.list_prompts()}
        prompt = await client.get_prompt(
            "summarize_channel", {"channel": "#general", "since": "2026-01-01"}
        )
    assert resources == {"workchat://channels"}
    assert templates == {"workchat://channels/{id}/messages"}
    assert listing.startswith(f"#general (id {gid('Channel', channel.id)}; member;")
    assert history.startswith("#general")
    assert "Alice: release is on friday" in history
    assert {a.name for a in prompts["summarize_channel"].arguments or []} == {"channel", "since"}
    text = prompt.messages[0].content.text  # type: ignore[union-attr]
    assert "read_channel" in text and "2026-01-01" in text and "#general" in text
