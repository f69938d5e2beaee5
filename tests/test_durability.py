"""kill -9 durability: concurrent posters keep posting (each message with its own
clientMutationId, retried until acknowledged) while the server process is killed with SIGKILL
twice and started again. Afterwards: every acknowledged message is stored, each channel's seqs
run 1..n without a gap, no message is stored twice, and the audit chain verifies.

Slow-ish (real server processes, a few seconds per backend): marked ``slow``; deselect with
``-m "not slow"`` while iterating.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tests.support.personas import Persona, Personas, as_user
from tests.support.process import free_port
from tests.support.settings import PASSWORD, SECRET
from workchat.actions import channels as ch
from workchat.audit import verify_chain
from workchat.db.models import Channel, Message
from workchat.graphql.ids import to_global_id
from workchat.services import Services

pytestmark = pytest.mark.slow

POSTERS = 4
PER_POSTER = 30
KILL_AFTER = (30, 75)  # acknowledged posts (of 120) after which the server is killed
MAX_ATTEMPTS = 200  # per message: a poster that cannot get an answer fails the test
DEADLINE = 90.0

POST = """mutation($input: PostMessageInput!) {
    postMessage(input: $input) { errors { code field } message { id seq } }
}"""
LOGIN = """mutation($email: String!, $password: String!) {
    login(input: {email: $email, password: $password}) { accessToken errors { code } }
}"""


class Server:
    """``workchat serve`` as a child process that can be killed and started again."""

    def __init__(self, database_url: str, data_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/graphql"
        self.up = asyncio.Event()  # set while a started server is listening
        self.kills = 0
        self._process: asyncio.subprocess.Process | None = None
        self._drain: asyncio.Task[None] | None = None
        self._env = {
            key: value for key, value in os.environ.items() if not key.startswith("WORKCHAT_")
        } | {
            "WORKCHAT_ENV": "dev",
            "WORKCHAT_DATA_DIR": str(data_dir),
            "WORKCHAT_DATABASE_URL": database_url,
            "WORKCHAT_SECRET_KEY": SECRET,  # tokens issued before a kill stay valid after it
            "WORKCHAT_CREATE_DEMO_ORG": "false",
            "WORKCHAT_EVENT_PRUNE_INTERVAL_SECONDS": "0",
            "WORKCHAT_ARGON2_TIME_COST": "1",
            "WORKCHAT_ARGON2_MEMORY_KIB": "8",
            "WORKCHAT_ARGON2_PARALLELISM": "1",
        }

    async def start(self) -> None:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "workchat",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--log-level",
            "info",
            env=self._env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        self._process = process
        assert process.stderr is not None
        # uvicorn says so on stderr once its socket listens.
        while b"Uvicorn running on" not in (line := await process.stderr.readline()):
            if not line:
                raise RuntimeError(f"server exited with {await process.wait()} before listening")
        self._drain = asyncio.create_task(self._read_rest(process))
        self.up.set()

    @staticmethod
    async def _read_rest(process: asyncio.subprocess.Process) -> None:
        assert process.stderr is not None
        while await process.stderr.readline():
            pass  # keep the pipe from filling up

    async def kill(self) -> None:
        """SIGKILL: no shutdown handler, no flush; whatever was in flight is cut off."""
        assert self._process is not None
        self.up.clear()
        self._process.send_signal(signal.SIGKILL)
        await self._process.wait()
        if self._drain is not None:
            await self._drain
        self.kills += 1

    async def stop(self) -> None:
        if self._process is not None and self._process.returncode is None:
            await self.kill()


@asynccontextmanager
async def running(database_url: str, data_dir: Path) -> AsyncIterator[Server]:
    server = Server(database_url, data_dir)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def _login(client: httpx.AsyncClient, server: Server, persona: Persona) -> str:
    response = await client.post(
        server.url,
        json={"query": LOGIN, "variables": {"email": persona.email, "password": PASSWORD}},
    )
    payload = response.json()["data"]["login"]
    assert payload["errors"] == [], payload
    return str(payload["accessToken"])


class Run:
    """The posters' shared record: acknowledgements, and when to kill the server."""

    def __init__(self) -> None:
        self.acked: dict[str, tuple[str, str]] = {}  # key -> (message global id, body)
        self.kill_now = [asyncio.Event() for _ in KILL_AFTER]
        self.retries = 0

    def ack(self, key: str, message_id: str, body: str) -> None:
        self.acked[key] = (message_id, body)
        for threshold, event in zip(KILL_AFTER, self.kill_now, strict=True):
            if len(self.acked) >= threshold:
                event.set()


async def _post_until_acknowledged(
    client: httpx.AsyncClient, server: Server, run: Run, token: str, variables: dict[str, Any]
) -> None:
    for _ in range(MAX_ATTEMPTS):
        await server.up.wait()
        try:
            response = await client.post(
                server.url,
                json={"query": POST, "variables": {"input": variables}},
                headers={"authorization": f"Bearer {token}"},
            )
        except httpx.TransportError:
            run.retries += 1  # cut off by the kill, or the server is not back yet
            continue
        payload = (
            (response.json().get("data") or {}).get("postMessage") if response.is_success else None
        )
        if payload is None:
            run.retries += 1
            continue
        assert payload["errors"] == [], (variables, payload)
        run.ack(variables["clientMutationId"], payload["message"]["id"], variables["body"])
        return
    raise AssertionError(f"no answer for {variables} after {MAX_ATTEMPTS} attempts")


async def _poster(server: Server, run: Run, persona: Persona, index: int, channel_gid: str) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        token = await _login(client, server, persona)
        for n in range(PER_POSTER):
            await _post_until_acknowledged(
                client,
                server,
                run,
                token,
                {
                    "channelId": channel_gid,
                    "body": f"poster {index} message {n}",
                    "clientMutationId": f"p{index}-{n}",
                },
            )


async def _killer(server: Server, run: Run) -> None:
    for event in run.kill_now:
        await event.wait()
        await server.kill()
        await server.start()


async def test_no_acknowledged_write_is_lost_across_kill_9(
    services: Services, personas: Personas, database_url: str, tmp_path: Path
) -> None:
    alice, bob = personas.alice, personas.bob
    channels = []
    for name in ("durable-a", "durable-b"):
        channel = await ch.create_channel(services, as_user(alice), name=name)
        await ch.join_channel(services, as_user(bob), channel.id)
        channels.append(channel)

    run = Run()
    async with running(database_url, tmp_path / "server") as server:
        posters = [
            _poster(
                server,
                run,
                (alice, bob)[index % 2],
                index,
                to_global_id("Channel", channels[(index // 2) % 2].id),
            )
            for index in range(POSTERS)
        ]
        await asyncio.wait_for(asyncio.gather(_killer(server, run), *posters), DEADLINE)
        assert server.kills == len(KILL_AFTER)

    total = POSTERS * PER_POSTER
    assert len(run.acked) == total
    async with services.db.read_session() as session:
        stored = {
            row.client_mutation_id: row
            for row in await session.scalars(
                select(Message).where(Message.channel_id.in_([c.id for c in channels]))
            )
        }
        # 0 acknowledged writes lost: each acknowledged id is stored with its body.
        for key, (message_gid, body) in run.acked.items():
            row = stored.get(key)
            assert row is not None, key
            assert (to_global_id("Message", row.id), row.body) == (message_gid, body)
        # No duplicates: one message per key, and nothing else.
        count = await session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.channel_id.in_([c.id for c in channels]))
        )
        assert count == total
        # Gapless per-channel seqs, and the channel's counter agrees.
        for channel in channels:
            seqs = list(
                await session.scalars(
                    select(Message.seq)
                    .where(Message.channel_id == channel.id)
                    .order_by(Message.seq)
                )
            )
            assert seqs == list(range(1, len(seqs) + 1)), channel.name
            last = await session.scalar(select(Channel.last_seq).where(Channel.id == channel.id))
            assert last == len(seqs)
        check = await verify_chain(session, alice.org_id)
        assert check.first_bad is None, check.reason
        assert check.checked > total  # every post audited, in one unbroken chain
    print(f"durability: {total} posts, {run.retries} retries, {server.kills} kills")
