"""``workchat serve --workers N``: refused where workers cannot share state (SQLite, the
memory bus, in-memory rate limits); on PostgreSQL + Redis, N processes behind one port whose
metrics add up and whose sockets all get events posted through any of them."""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.chat import make_channel
from tests.support.operations import POST_MESSAGE, cid
from tests.support.personas import Personas
from tests.support.process import ServerProcess, free_port, server_env
from tests.support.settings import PASSWORD, POSTGRES_URL, REDIS_URL
from tests.support.subscriptions import CHANNEL_EVENTS, Subscriptions
from tests.support.websocket import connected, socket
from workchat.cli import main
from workchat.services import Services

LOGIN = """mutation($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { accessToken }
}"""


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "--workers needs PostgreSQL"),
        ({"WORKCHAT_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x"}, "shared event bus"),
        (
            {
                "WORKCHAT_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/x",
                "WORKCHAT_BROADCAST_URL": "postgresql://nobody@127.0.0.1:1/x",
            },
            "shared rate-limit counters",
        ),
    ],
    ids=["sqlite", "memory-bus", "memory-rate-limits"],
)
def test_workers_are_refused_where_they_would_not_share_state(
    env: dict[str, str],
    expected: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name in list(os.environ):
        if name.startswith("WORKCHAT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no .env, and the data folder stays here
    monkeypatch.setenv("WORKCHAT_DATA_DIR", str(tmp_path / "data"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["serve", "--workers", "2"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    [line] = err.splitlines()
    assert line.startswith("error: ") and expected in line
    assert not (tmp_path / "data" / "workchat.db").exists()  # refused before migrating


def test_at_least_one_worker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WORKCHAT_DATA_DIR", str(tmp_path / "data"))
    assert main(["serve", "--workers", "0"]) == 2


def alive(pids: set[int]) -> bool:
    return any(os.path.exists(f"/proc/{pid}") for pid in pids)


def worker_pids(parent: int) -> set[int]:
    """The parent's worker children (multiprocessing also starts a resource tracker)."""
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return {
        int(pid) for pid in children if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    }


@pytest.mark.skipif(
    not (POSTGRES_URL and REDIS_URL), reason="needs WORKCHAT_TEST_POSTGRES_URL and _REDIS_URL"
)
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_two_workers_share_events_and_metrics(
    database_url: str, services: Services, personas: Personas, tmp_path: Path
) -> None:
    assert REDIS_URL is not None
    samples = tmp_path / "prometheus"
    metrics_port = free_port()
    env = server_env(
        database_url,
        tmp_path / "data",
        WORKCHAT_BROADCAST_URL=REDIS_URL,
        WORKCHAT_METRICS_PORT=str(metrics_port),
        PROMETHEUS_MULTIPROC_DIR=str(samples),
    )
    channel = await make_channel(services, personas.alice, "workers", members=(personas.bob,))
    server = ServerProcess(env, "--workers", "2", log=tmp_path / "server.log")
    try:
        await server.start()
        assert server.process is not None
        workers = worker_pids(server.process.pid)
        assert len(workers) == 2
        # Each worker wrote its own sample files (into the folder the command prepared).
        pids = {
            int(m.group(1)) for f in samples.iterdir() if (m := re.search(r"_(\d+)\.db$", f.name))
        }
        assert workers <= pids

        async with httpx.AsyncClient(base_url=f"http://{server.address}") as client:
            tokens = {}
            for persona in (personas.alice, personas.bob):
                variables = {"email": persona.email, "password": PASSWORD}
                result = await client.post(
                    "/graphql", json={"query": LOGIN, "variables": variables}
                )
                tokens[persona.name] = result.json()["data"]["login"]["accessToken"]
            cursor = (
                await client.post(
                    "/graphql",
                    json={"query": "{ eventCursor }"},
                    headers={"authorization": f"Bearer {tokens['bob']}"},
                )
            ).json()["data"]["eventCursor"]

            # Several sockets (the kernel spreads connections over the workers) all get the
            # message posted through yet another connection.
            async with (
                socket(server.address) as one,
                socket(server.address) as two,
                socket(server.address) as three,
            ):
                followers = []
                for ws in (one, two, three):
                    await connected(ws, tokens["bob"])
                    subs = Subscriptions(ws)
                    variables = {"channelId": cid(channel), "after": cursor}
                    await subs.start("c", CHANNEL_EVENTS, variables)
                    followers.append(subs)
                posted = await client.post(
                    "/graphql",
                    json={
                        "query": POST_MESSAGE,
                        "variables": {"input": {"channelId": cid(channel), "body": "to all"}},
                    },
                    headers={"authorization": f"Bearer {tokens['alice']}", "connection": "close"},
                )
                message_id = posted.json()["data"]["postMessage"]["message"]["id"]
                for subs in followers:
                    event = await subs.event("c", wait=15)
                    assert event["message"]["id"] == message_id

            def readyz_count(text: str) -> float:
                for family in text_string_to_metric_families(text):
                    if family.name == "workchat_http_requests":
                        return sum(
                            s.value
                            for s in family.samples
                            if s.name.endswith("_total") and s.labels["route"] == "readyz"
                        )
                return 0.0

            scrape = f"http://127.0.0.1:{metrics_port}/metrics"
            before = readyz_count((await client.get(scrape)).text)
            for _ in range(20):  # new connections: both workers answer some
                async with httpx.AsyncClient() as fresh:
                    await fresh.get(f"http://{server.address}/readyz")
            after = readyz_count((await client.get(scrape)).text)
            assert after == before + 20  # every worker's samples, added up
        server.terminate()
        await server.wait(60)
        for _ in range(100):  # the workers end with the parent (reaped by init)
            if not alive(workers):
                break
            await asyncio.sleep(0.1)
        assert not alive(workers)
    finally:
        server.kill()
