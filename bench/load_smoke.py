"""Run the locust load test headless against a fresh server, print a table and JSON.

    .venv/bin/python bench/load_smoke.py                      # SQLite, 30 users, 15 s
    .venv/bin/python bench/load_smoke.py --users 100 --seconds 60 \
        --database-url postgresql://postgres@127.0.0.1:5432/workchat_load

Starts ``workchat serve`` on a free loopback port against a new database (a temporary SQLite
file unless ``--database-url`` names an empty PostgreSQL database), creates an org for the load
users, runs ``bench/locustfile.py`` in locust's own process and reads its statistics. Exits 1
when any request or push failed, or when no push arrived at all (a smoke test: CI runs it);
it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from workchat.settings import RATE_LIMIT_SETTINGS

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
ADMIN_EMAIL = "admin@load.example.com"
ADMIN_PASSWORD = "load-admin-password-1"
SECRET = "load-smoke-secret-key-that-is-long-enough-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(database_url: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKCHAT_")}
    env.update(
        {
            "WORKCHAT_DATABASE_URL": database_url,
            "WORKCHAT_DATA_DIR": str(data_dir),
            "WORKCHAT_ENV": "dev",
            "WORKCHAT_CREATE_DEMO_ORG": "false",
            "WORKCHAT_SECRET_KEY": SECRET,
            # Logins are not what this measures: a cheap password hash profile.
            "WORKCHAT_ARGON2_TIME_COST": "1",
            "WORKCHAT_ARGON2_MEMORY_KIB": "8192",
            "WORKCHAT_ARGON2_PARALLELISM": "1",
            # Every simulated user comes from this one address, far above what the rate
            # limits allow one real client: they are not what this measures.
            **{f"WORKCHAT_{name.upper()}": "100000/minute" for name in RATE_LIMIT_SETTINGS},
        }
    )
    return env


def workchat(*args: str, env: dict[str, str], stdin: str | None = None) -> None:
    subprocess.run(
        [sys.executable, "-m", "workchat", *args], env=env, input=stdin, text=True, check=True
    )


def wait_ready(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"load: the server exited; see {log}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{base}/readyz", timeout=2) as reply,
        ):
            if reply.status == 200:
                return
        time.sleep(0.2)
    raise SystemExit(f"load: the server did not become ready; see {log}")


def stop_server(server: subprocess.Popen[bytes], timeout: float = 20) -> None:
    """Ask the server to shut down (SIGTERM), and kill it if it has not within ``timeout``."""
    server.terminate()
    try:
        server.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def read_stats(prefix: Path) -> list[dict[str, str]]:
    with open(f"{prefix}_stats.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def print_table(rows: list[dict[str, str]]) -> None:
    header = (
        f"{'type':<6} {'name':<22} {'count':>7} {'fail':>5} "
        f"{'p50':>7} {'p95':>7} {'p99':>7} {'max':>8}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row['Type']:<6} {row['Name']:<22} {row['Request Count']:>7} "
            f"{row['Failure Count']:>5} {row['50%']:>7} {row['95%']:>7} {row['99%']:>7} "
            f"{float(row['Max Response Time']):>8.0f}"
        )
    print("(milliseconds; load generator and server share this machine's cores)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--spawn-rate", type=float, default=5)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite)")
    args = parser.parse_args(argv)

    RESULTS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="workchat-load-") as tmp:
        data_dir = Path(tmp)
        url = args.database_url or f"sqlite+aiosqlite:///{data_dir / 'load.db'}"
        env = server_env(url, data_dir)
        workchat("migrate", env=env)
        workchat(
            "create-org",
            "Load",
            "--admin-email",
            ADMIN_EMAIL,
            "--password-stdin",
            env=env,
            stdin=ADMIN_PASSWORD + "\n",
        )
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = RESULTS / "load-server.log"
        with open(log, "wb") as log_file:
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "workchat",
                    "serve",
                    "--port",
                    str(port),
                    "--log-level",
                    "warning",
                ],
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_ready(base, server, log)
            prefix = RESULTS / "locust"
            locust_env = {
                **os.environ,
                "WORKCHAT_LOAD_ADMIN_EMAIL": ADMIN_EMAIL,
                "WORKCHAT_LOAD_ADMIN_PASSWORD": ADMIN_PASSWORD,
                "WORKCHAT_LOAD_USERS": str(args.users),
            }
            locust = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "locust",
                    "-f",
                    str(HERE / "locustfile.py"),
                    "--headless",
                    "-u",
                    str(args.users),
                    "-r",
                    str(args.spawn_rate),
                    "-t",
                    f"{args.seconds}s",
                    "--host",
                    base,
                    "--csv",
                    str(prefix),
                    "--only-summary",
                    "--stop-timeout",
                    "5",
                ],
                env=locust_env,
                check=False,
            )
        finally:
            stop_server(server)

    rows = read_stats(prefix)
    named = [row for row in rows if row["Name"] != "Aggregated"]
    print_table(named)
    failures = sum(int(row["Failure Count"]) for row in named)
    pushes = sum(int(row["Request Count"]) for row in named if row["Name"] == "push MessagePosted")
    result: dict[str, Any] = {
        "users": args.users,
        "seconds": args.seconds,
        "backend": "postgres" if args.database_url else "sqlite",
        "failures": failures,
        "pushes": pushes,
        "locust_exit_code": locust.returncode,
        "rows": named,
    }
    out = RESULTS / f"load-{int(time.time())}.json"
    out.write_text(json.dumps(result, indent=2))
    print(f"\n{failures} failed, {pushes} pushes received; JSON in {out}")
    if failures or not pushes or locust.returncode != 0:
        print("load: FAILED (a request or push failed, or no push arrived)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
