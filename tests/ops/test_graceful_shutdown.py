"""SIGTERM during write traffic: no acknowledged ``postMessage`` is lost, WebSockets are
closed with 1012, and a subscriber resuming from its cursor on the restarted server sees every
message exactly once. A real ``workchat serve`` process on each backend (PostgreSQL with the
Redis bus when configured)."""

from __future__ import annotations

import asyncio
import json
import signal
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from websockets.exceptions import ConnectionClosed

from tests.support.chat import make_channel
from tests.support.graphql_client import gid
from tests.support.operations import POST_MESSAGE, cid
from tests.support.personas import Persona, Personas
from tests.support.process import ServerProcess, server_env
from tests.support.settings import PASSWORD, REDIS_URL
from tests.support.subscriptions import CHANNEL_EVENTS
from tests.support.websocket import connected, send, socket
from workchat.db.models import Message
from workchat.services import Services

LOGIN = """mutation($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { accessToken }
}"""
WRITERS = 4
ACKS_BEFORE_SIGTERM = 30


async def login(server: str, persona: Persona) -> str:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"http://{server}/graphql",
            json={"query": LOGIN, "variables": {"email": persona.email, "password": PASSWORD}},
        )
    return str(response.json()["data"]["login"]["accessToken"])


async def head_cursor(server: str, token: str) -> str:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"http://{server}/graphql",
            json={"query": "{ eventCursor }"},
            headers={"authorization": f"Bearer {token}"},
        )
    return str(response.json()["data"]["eventCursor"])


class Subscriber:
    """Follows the channel, remembering each message id seen and the last cursor."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.cursor: str | None = None
        self.close_code: int | None = None

    async def follow(self, server: str, token: str, channel_id: str, until: int | None) -> None:
        async with socket(server) as ws:
            await connected(ws, token)
            variables = {"channelId": channel_id, "after": self.cursor}
            payload = {"query": CHANNEL_EVENTS, "variables": variables}
            await send(ws, {"id": "c", "type": "subscribe", "payload": payload})
            try:
                while until is None or len(set(self.seen)) < until:
                    message = json.loads(await asyncio.wait_for(ws.recv(), timeout=30))
                    if message.get("type") == "ping":
                        await send(ws, {"type": "pong"})
                        continue
                    assert message["type"] == "next", message
                    event = message["payload"]["data"]["channelEvents"]
                    assert event["__typename"] == "MessagePosted", event
                    self.seen.append(event["message"]["id"])
                    self.cursor = event["cursor"]
            except ConnectionClosed:
                self.close_code = ws.close_code


async def writer(server: str, token: str, channel_id: str, acked: list[str]) -> None:
    """Post until the server stops answering; keep the ids the server acknowledged."""
    async with httpx.AsyncClient(timeout=30) as client:
        while True:
            variables: dict[str, Any] = {
                "input": {
                    "channelId": channel_id,
                    "body": f"write {uuid.uuid4().hex[:8]}",
                    "clientMutationId": uuid.uuid4().hex,
                }
            }
            try:
                response = await client.post(
                    f"http://{server}/graphql",
                    json={"query": POST_MESSAGE, "variables": variables},
                    headers={"authorization": f"Bearer {token}"},
                )
            except httpx.TransportError:
                return  # the server stopped accepting
            if response.status_code != 200:
                return
            payload = response.json()["data"]["postMessage"]
            assert not payload["errors"], payload
            acked.append(payload["message"]["id"])


async def test_sigterm_loses_no_acknowledged_write_and_subscribers_resume(
    database_url: str,
    backend: str,
    services: Services,
    personas: Personas,
    tmp_path: Path,
) -> None:
    extra = {"WORKCHAT_BROADCAST_URL": REDIS_URL} if backend == "postgres" and REDIS_URL else {}
    env = server_env(database_url, tmp_path / "data", **extra)
    channel = await make_channel(services, personas.alice, "restart", members=(personas.bob,))
    channel_id = cid(channel)
    log = tmp_path / "server.log"

    first = ServerProcess(env, log=log)
    restarted = ServerProcess(env, log=log)
    try:
        await first.start()
        alice = await login(first.address, personas.alice)
        bob = await login(first.address, personas.bob)
        subscriber = Subscriber()
        subscriber.cursor = await head_cursor(first.address, bob)
        following = asyncio.create_task(subscriber.follow(first.address, bob, channel_id, None))
        acked: list[str] = []
        writers = [
            asyncio.create_task(writer(first.address, alice, channel_id, acked))
            for _ in range(WRITERS)
        ]
        while len(acked) < ACKS_BEFORE_SIGTERM or not subscriber.seen:
            assert not any(task.done() for task in writers), [t.exception() for t in writers]
            await asyncio.sleep(0.01)
        first.terminate()
        await asyncio.wait_for(asyncio.gather(*writers), timeout=60)
        await asyncio.wait_for(following, timeout=60)
        # uvicorn re-raises the SIGTERM it handled once the shutdown is complete.
        assert await first.wait() in (0, -signal.SIGTERM), log.read_text()[-3000:]
        assert "Application shutdown complete" in log.read_text()
        assert subscriber.close_code == 1012  # "service restart": reconnect and resume

        async with services.db.read_session() as session:
            stored = set(
                await session.scalars(select(Message.id).where(Message.channel_id == channel.id))
            )
        stored_ids = {gid("Message", raw) for raw in stored}
        acked_ids = set(acked)
        assert len(acked_ids) == len(acked)
        assert acked_ids <= stored_ids, f"lost {len(acked_ids - stored_ids)} acknowledged posts"

        await restarted.start()
        bob_again = await login(restarted.address, personas.bob)
        before_resume = len(subscriber.seen)
        await asyncio.wait_for(
            subscriber.follow(restarted.address, bob_again, channel_id, len(stored_ids)),
            timeout=60,
        )
        assert sorted(subscriber.seen) == sorted(stored_ids)  # each exactly once
        assert len(subscriber.seen) == len(set(subscriber.seen))
        assert before_resume > 0  # some came before the restart, the rest after it
    finally:
        for server in (first, restarted):
            server.kill()
