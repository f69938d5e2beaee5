"""Password guessing against a live server, with the default rate limits and without them.

    .venv/bin/python bench/login_flood.py                 # SQLite, ports 18400-18401

For each mode ("limits": the shipped defaults; "no limits": every limit at 100000/second) it
starts ``workchat serve`` on a fresh SQLite database with the real argon2 cost, then:

1. sends 400 wrong passwords for one account, one after another, and counts the answers
   (INVALID_CREDENTIALS or RATE_LIMITED) and the failed-login audit entries written;
2. measures another user's ``{ viewer { id } }`` alone, then while 8 guessers send wrong
   passwords in parallel, and reports p50/p95 of both.

Prints a table and writes JSON to bench/results/. Asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
SECRET = "login-flood-secret-key-that-is-long-enough-0123456789"
PASSWORD = "the-right-password-1"
LOGIN = "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { accessToken errors { code } } }"  # noqa: E501
LIMITS = (
    "LOGIN_ADDRESS",
    "LOGIN_FAILURES",
    "LOGIN_ACCOUNT_FAILURES",
    "REFRESH_ADDRESS",
    "MUTATIONS_USER",
    "MUTATIONS_TOKEN",
    "SUBSCRIPTIONS_USER",
)


def server_env(data_dir: Path, limited: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKCHAT_")}
    env.update(
        {
            "WORKCHAT_DATABASE_URL": f"sqlite+aiosqlite:///{data_dir / 'flood.db'}",
            "WORKCHAT_DATA_DIR": str(data_dir),
            "WORKCHAT_ENV": "dev",
            "WORKCHAT_CREATE_DEMO_ORG": "false",
            "WORKCHAT_SECRET_KEY": SECRET,
            "WORKCHAT_TRUSTED_PROXIES": "127.0.0.1",
        }
    )
    if not limited:
        env.update({f"WORKCHAT_RATE_LIMIT_{name}": "100000/second" for name in LIMITS})
    return env


def workchat(*args: str, env: dict[str, str], stdin: str | None = None) -> None:
    subprocess.run(
        [sys.executable, "-m", "workchat", *args], env=env, input=stdin, text=True, check=True
    )


async def wait_ready(client: httpx.AsyncClient, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("flood: the server exited")
        try:
            if (await client.get("/readyz")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.2)
    raise SystemExit("flood: the server did not become ready")


async def login(
    client: httpx.AsyncClient, email: str, password: str, address: str
) -> tuple[str, str | None]:
    """(outcome code, access token); ``address`` reaches the server as X-Forwarded-For
    from a trusted proxy (everything runs on loopback here)."""
    reply = await client.post(
        "/graphql",
        json={"query": LOGIN, "variables": {"e": email, "p": password}},
        headers={"x-forwarded-for": address},
    )
    body = reply.json()
    if body.get("errors"):
        return str(body["errors"][0]["extensions"]["code"]), None
    payload = body["data"]["login"]
    if payload["accessToken"]:
        return "OK", str(payload["accessToken"])
    return str(payload["errors"][0]["code"]), None


async def viewer_times(client: httpx.AsyncClient, token: str, count: int) -> list[float]:
    times = []
    for _ in range(count):
        start = time.perf_counter()
        reply = await client.post(
            "/graphql",
            json={"query": "{ viewer { id } }"},
            headers={"authorization": f"Bearer {token}"},
        )
        assert reply.status_code == 200 and "errors" not in reply.json(), reply.text
        times.append((time.perf_counter() - start) * 1000)
    return times


def pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1]


async def run_mode(limited: bool, port: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="workchat-flood-") as tmp:
        data_dir = Path(tmp)
        env = server_env(data_dir, limited)
        workchat("migrate", env=env)
        workchat(
            "create-org", "Flood", "--admin-email", "victim@flood.example.com",
            "--password-stdin", env=env, stdin=PASSWORD + "\n",
        )  # fmt: skip
        workchat(
            "create-user", "--org", "Flood", "--email", "other@flood.example.com",
            "--name", "Other", "--password-stdin", env=env, stdin=PASSWORD + "\n",
        )  # fmt: skip
        process = subprocess.Popen(  # noqa: ASYNC220 (a benchmark's own server)
            [sys.executable, "-m", "workchat", "serve", "--port", str(port), "--log-level",
             "warning"],
            env=env,
        )  # fmt: skip
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
                await wait_ready(http, process)
                answers: dict[str, int] = {}
                for index in range(400):
                    code, _ = await login(
                        http, "victim@flood.example.com", f"guess-{index}", "198.51.100.7"
                    )
                    answers[code] = answers.get(code, 0) + 1
                with sqlite3.connect(data_dir / "flood.db") as db:
                    audited = db.execute(
                        "SELECT count(*) FROM audit_entries WHERE action = 'auth.login_failed'"
                    ).fetchone()[0]
                owner, token = await login(http, "other@flood.example.com", PASSWORD, "192.0.2.10")
                assert token is not None, owner
                await viewer_times(http, token, 20)  # warm-up, not measured
                alone = await viewer_times(http, token, 100)
                stop = asyncio.Event()

                async def guesser(number: int) -> int:
                    sent = 0
                    async with httpx.AsyncClient(
                        base_url=f"http://127.0.0.1:{port}", timeout=60
                    ) as own:
                        while not stop.is_set():
                            await login(
                                own,
                                "victim@flood.example.com",
                                f"g{number}-{sent}",
                                f"198.51.100.{20 + number}",
                            )
                            sent += 1
                    return sent

                guessers = [asyncio.create_task(guesser(n)) for n in range(8)]
                loaded = await viewer_times(http, token, 100)
                stop.set()
                guesses = sum(await asyncio.gather(*guessers))
        finally:
            process.terminate()
            process.wait(timeout=30)
    return {
        "mode": "limits" if limited else "no limits",
        "answers": answers,
        "failed_login_audit_entries": audited,
        "other_user_login": owner,
        "viewer_p50_alone_ms": round(pct(alone, 50), 1),
        "viewer_p95_alone_ms": round(pct(alone, 95), 1),
        "viewer_p50_with_8_guessers_ms": round(pct(loaded, 50), 1),
        "viewer_p95_with_8_guessers_ms": round(pct(loaded, 95), 1),
        "guesses_sent_meanwhile": guesses,
    }


async def main_async(port: int) -> list[dict[str, Any]]:
    return [await run_mode(True, port), await run_mode(False, port + 1)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=18400)
    args = parser.parse_args(argv)
    rows = asyncio.run(main_async(args.port))
    print(
        f"{'mode':<10} {'answered':>8} {'limited':>8} {'audited':>8} "
        f"{'p50 alone':>10} {'p50 8 guessers':>15} {'p95 8 guessers':>15}"
    )
    for row in rows:
        answered = row["answers"].get("INVALID_CREDENTIALS", 0)
        limited = row["answers"].get("RATE_LIMITED", 0)
        print(
            f"{row['mode']:<10} {answered:>8} {limited:>8} {row['failed_login_audit_entries']:>8} "
            f"{row['viewer_p50_alone_ms']:>10} {row['viewer_p50_with_8_guessers_ms']:>15} "
            f"{row['viewer_p95_with_8_guessers_ms']:>15}"
        )
    print(
        "(400 wrong passwords for one account from one address; then another user's query "
        "alone and while 8 guessers from 8 addresses run; ms)"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "login_flood.json").write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
