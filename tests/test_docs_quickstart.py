"""The quick start's steps work as written: the demo org's admin logs in with the login
mutation from docs/quickstart.md, finds #general with its query and posts with its
mutation (the GraphQL is read from the page, so an edit that breaks it fails here)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.support.graphql_client import GraphQLClient
from workchat.cli import DEMO_EMAIL, ensure_demo_org
from workchat.services import Services

PAGE = Path(__file__).resolve().parents[1] / "docs" / "quickstart.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", PAGE.read_text(), flags=re.S)


async def test_quickstart_login_and_first_message(services: Services, gql: GraphQLClient) -> None:
    demo = await ensure_demo_org(services)
    assert demo is not None
    email, password = demo
    assert email == DEMO_EMAIL

    # Step 2: the curl command's JSON body, with the printed password filled in.
    [curl] = [block for block in blocks("sh") if "login(input" in block]
    body = json.loads(curl[curl.index("-d '") + 4 : curl.rindex("'")])
    assert body["variables"]["e"] == DEMO_EMAIL
    body["variables"]["p"] = password
    login = (await gql.execute(body["query"], body["variables"]))["data"]["login"]
    assert login["errors"] == []
    token = login["accessToken"]

    # Step 3: who am I and where is #general, then the first message.
    query, mutation = blocks("graphql")
    found = (await gql.execute(query, token=token))["data"]
    assert found["viewer"] == {"displayName": "Demo Admin", "org": {"name": "Demo"}}
    [general] = [e["node"] for e in found["channels"]["edges"] if e["node"]["name"] == "general"]
    posted = (await gql.execute(mutation, {"c": general["id"]}, token=token))["data"]
    payload = posted["postMessage"]
    assert payload["errors"] == []
    assert payload["message"]["seq"] == 1
    assert payload["message"]["body"] == "hello, workchat"
    assert payload["message"]["author"] == {"displayName": "Demo Admin"}
