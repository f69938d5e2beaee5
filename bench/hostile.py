"""Send every hostile request to a live server while a second client polls /healthz; print a
table and JSON.

    .venv/bin/python bench/hostile.py                 # SQLite, 10 rounds per document
    .venv/bin/python bench/hostile.py --rounds 30

Starts ``workchat serve`` on a free loopback port against a new SQLite database (like
bench/load_smoke.py), logs in as an org's admin (the requests marked ``as_member`` carry that
token, to show nothing is written), then sends each request of
``tests/support/hostile.py`` ``--rounds`` times in a row while a concurrent client requests
/healthz back to back. Per document: the status and code it got, the refusal time (median and
maximum of the rounds), and the /healthz latencies measured meanwhile (p50, p99, max).

Exits 1 when a request is not refused with its expected status and code, when a channel was
created, or when a refusal or a /healthz answer takes longer than 1 s: a coarse guard that
catches exponential validation again on any machine. The target is 50 ms; rows over it are
flagged but do not fail the run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # for tests.support.hostile (standard library only)
sys.path.insert(0, str(HERE))

from load_smoke import (  # noqa: E402
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    RESULTS,
    free_port,
    server_env,
    stop_server,
    wait_ready,
    workchat,
)

from tests.support.hostile import Hostile, hostile_requests  # noqa: E402

GUARD_MS = 1000.0
TARGET_MS = 50.0
CONTROL = Hostile("control: { __typename }", b'{"query": "{ __typename }"}', 200, "")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


async def poll_health(client: httpx.AsyncClient, stop: asyncio.Event, out: list[float]) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        response = await client.get("/healthz")
        out.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"hostile: /healthz answered {response.status_code}")


async def measure(base: str, hostile: Hostile, token: str, rounds: int) -> dict[str, Any]:
    headers = {"content-type": "application/json", **hostile.headers}
    if hostile.as_member:
        headers["authorization"] = f"Bearer {token}"
    health: list[float] = []
    refusals: list[float] = []
    outcomes: set[tuple[int, str]] = set()
    stop = asyncio.Event()
    timeout = httpx.Timeout(30.0)
    async with (
        httpx.AsyncClient(base_url=base, timeout=timeout) as sender,
        httpx.AsyncClient(base_url=base, timeout=timeout) as poller,
    ):
        polling = asyncio.create_task(poll_health(poller, stop, health))
        try:
            for _ in range(rounds):
                started = time.perf_counter()
                response = await sender.post("/graphql", content=hostile.body, headers=headers)
                refusals.append((time.perf_counter() - started) * 1000)
                try:
                    errors = response.json().get("errors") or []
                    code = errors[0]["extensions"]["code"] if errors else ""
                except ValueError:
                    code = "(not JSON)"
                outcomes.add((response.status_code, code))
        finally:
            stop.set()
            await polling
    [(status, code)] = outcomes if len(outcomes) == 1 else [(0, repr(sorted(outcomes)))]
    ok = (status, code) == (hostile.status, hostile.code)
    return {
        "document": hostile.name,
        "bytes": len(hostile.body) + sum(len(k) + len(v) for k, v in hostile.headers.items()),
        "expected": f"{hostile.status} {hostile.code}".strip(),
        "got": f"{status} {code}".strip(),
        "ok": ok,
        "refusal_ms_p50": statistics.median(refusals),
        "refusal_ms_max": max(refusals),
        "healthz_samples": len(health),
        "healthz_ms_p50": percentile(health, 0.5),
        "healthz_ms_p99": percentile(health, 0.99),
        "healthz_ms_max": max(health, default=0.0),
    }


async def count_channels(base: str, token: str) -> int:
    async with httpx.AsyncClient(base_url=base) as client:
        response = await client.post(
            "/graphql",
            json={"query": "{ channels(first: 100) { edges { node { id } } } }"},
            headers={"authorization": f"Bearer {token}"},
        )
    return len(response.json()["data"]["channels"]["edges"])


async def login(base: str) -> str:
    async with httpx.AsyncClient(base_url=base) as client:
        response = await client.post(
            "/graphql",
            json={
                "query": "mutation($e: String!, $p: String!) { login(input: "
                "{email: $e, password: $p}) { accessToken errors { code } } }",
                "variables": {"e": ADMIN_EMAIL, "p": ADMIN_PASSWORD},
            },
        )
    return str(response.json()["data"]["login"]["accessToken"])


def print_table(rows: list[dict[str, Any]]) -> None:
    header = (
        f"{'document':<40} {'bytes':>8} {'status/code':<30} {'refuse p50':>10} "
        f"{'max':>7} {'healthz p50':>11} {'p99':>7} {'max':>7}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        flag = "" if row["ok"] else f"  EXPECTED {row['expected']}"
        slow = max(row["refusal_ms_max"], row["healthz_ms_max"]) > TARGET_MS
        print(
            f"{row['document'][:40]:<40} {row['bytes']:>8} {row['got'][:30]:<30} "
            f"{row['refusal_ms_p50']:>10.1f} {row['refusal_ms_max']:>7.1f} "
            f"{row['healthz_ms_p50']:>11.1f} {row['healthz_ms_p99']:>7.1f} "
            f"{row['healthz_ms_max']:>7.1f}{' *' if slow else ''}{flag}"
        )
    print(
        f"(milliseconds; target {TARGET_MS:.0f} ms, * marks a row over it; the run fails over "
        f"{GUARD_MS:.0f} ms. Client and server share this machine's cores.)"
    )


async def run(base: str, rounds: int) -> list[dict[str, Any]]:
    token = await login(base)
    channels_before = await count_channels(base, token)
    rows = [await measure(base, CONTROL, token, rounds)]
    for hostile in hostile_requests():
        rows.append(await measure(base, hostile, token, rounds))
    if await count_channels(base, token) != channels_before:
        rows.append({"document": "channels unchanged", "ok": False})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--port", type=int, default=0, help="the server's port (default: any free)")
    args = parser.parse_args(argv)

    RESULTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="workchat-hostile-") as tmp:
        data_dir = Path(tmp)
        env = server_env(f"sqlite+aiosqlite:///{data_dir / 'hostile.db'}", data_dir)
        workchat("migrate", env=env)
        workchat(
            "create-org",
            "Hostile",
            "--admin-email",
            ADMIN_EMAIL,
            "--password-stdin",
            env=env,
            stdin=ADMIN_PASSWORD + "\n",
        )
        port = args.port or free_port()
        base = f"http://127.0.0.1:{port}"
        log = RESULTS / "hostile-server.log"
        with open(log, "wb") as log_file:
            server = subprocess.Popen(
                [sys.executable, "-m", "workchat", "serve", "--port", str(port)],
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_ready(base, server, log)
            rows = asyncio.run(run(base, args.rounds))
        finally:
            stop_server(server)

    table = [row for row in rows if "bytes" in row]
    print_table(table)
    failures = [row["document"] for row in rows if not row["ok"]]
    slow = [
        row["document"]
        for row in table
        if max(row["refusal_ms_max"], row["healthz_ms_max"]) > GUARD_MS
    ]
    out = RESULTS / f"hostile-{int(time.time())}.json"
    out.write_text(json.dumps({"rounds": args.rounds, "rows": rows}, indent=2))
    print(f"\n{len(table) - 1} hostile requests; JSON in {out}; server log in {log}")
    if failures or slow:
        print(
            f"hostile: FAILED (not refused as expected: {failures}; over {GUARD_MS:.0f} ms: "
            f"{slow})",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
