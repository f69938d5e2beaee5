"""``workchat serve`` in a subprocess (a real process model: signals, workers), on a free port."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support.settings import SECRET

ROOT = Path(__file__).resolve().parents[2]
# Ports for these servers; WORKCHAT_TEST_PORTS="23000-23999" keeps them in a range.
PORTS = os.environ.get("WORKCHAT_TEST_PORTS", "23000-23999")


def free_port() -> int:
    low, high = (int(part) for part in PORTS.split("-"))
    for port in random.sample(range(low, high + 1), high - low + 1):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS}")


def server_env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKCHAT_")}
    env.update(
        {
            "WORKCHAT_DATABASE_URL": database_url,
            "WORKCHAT_DATA_DIR": str(data_dir),
            "WORKCHAT_SECRET_KEY": SECRET,
            "WORKCHAT_CREATE_DEMO_ORG": "false",
            "WORKCHAT_ARGON2_TIME_COST": "1",
            "WORKCHAT_ARGON2_MEMORY_KIB": "8",
            "WORKCHAT_ARGON2_PARALLELISM": "1",
            "WORKCHAT_EVENT_PRUNE_INTERVAL_SECONDS": "0",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(extra)
    return env


class ServerProcess:
    def __init__(self, env: dict[str, str], *args: str, log: Path) -> None:
        self.port = free_port()
        self.env = env
        self.args = args
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def spawn(self) -> None:
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "workchat", "serve", "--port", str(self.port), *self.args],
                env=self.env,
                cwd=ROOT,
                stdout=out,
                stderr=subprocess.STDOUT,
                # Its own process group: kill() ends the workers too, never orphans them.
                start_new_session=True,
            )

    async def start(self) -> None:
        """Spawn the server and wait (bounded) until it answers /readyz."""
        self.spawn()
        assert self.process is not None
        async with httpx.AsyncClient() as client:
            # Each worker imports the app (seconds each on a loaded machine).
            for _ in range(1200):
                if self.process.poll() is not None:
                    raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
                try:
                    if (await client.get(f"http://{self.address}/readyz")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise RuntimeError(f"server did not become ready: {self.log.read_text()[-2000:]}")

    def terminate(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)

    async def wait(self, seconds: float = 30.0) -> int:
        assert self.process is not None
        for _ in range(int(seconds * 10)):
            code = self.process.poll()
            if code is not None:
                return code
            await asyncio.sleep(0.1)
        raise AssertionError("the server did not exit after SIGTERM")

    def kill(self) -> None:
        """End the server and every process it started (workers, resource tracker)."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
