"""Write-path and per-request throughput: closed-loop clients against a fresh server.

    .venv/bin/python bench/writes.py                                   # SQLite only
    .venv/bin/python bench/writes.py \
        --postgres-url postgresql://postgres@127.0.0.1:5432/postgres   # SQLite and PostgreSQL

For each backend it starts ``workchat serve`` on a free loopback port against a new database
(a temporary SQLite file; with ``--postgres-url`` also a new PostgreSQL database created on that
server and dropped afterwards), creates 128 users in one org and 8 channels (client ``i`` posts
to channel ``i % 8``), seeds a few messages per user, then for every operation and every
concurrency level (``--clients 1,8,32,128``) runs that many closed-loop clients for
``--seconds`` and prints ops/s and p50/p95/p99/max latency:

- ``healthz``: ``GET /healthz`` (the HTTP floor);
- ``typename``: ``{ __typename }`` with the user's bearer token (the GraphQL floor);
- ``viewer``: ``{ viewer { id } }``;
- ``postMessage``, ``addReaction``, ``editMessage``, ``markChannelRead``.

The load generator is ``--procs`` processes on uvloop, each running its share of the clients
over raw HTTP/1.1 keep-alive connections (one per client): no HTTP library between the
measurement and the socket. Its own CPU use (seconds of CPU per second of wall time, summed
over its processes) is printed beside every row: the generator shares the machine's cores with
the server. So is the server's own CPU over the measured window (``srv cpu``, cores) and per
operation (``ms/op``): on a machine shared with other work, latency and ops/s swing with the
neighbours' load, CPU per operation much less, so compare runs by it. ``--profile`` also
records the server with py-spy during ``postMessage`` and ``viewer`` at C=1 and C=32 and
prints the top frames. JSON goes to ``bench/results/``. The benchmark
asserts nothing about time; it exits 1 when a request failed.

Closed-loop clients measure a saturated server: at 32 clients each waits for its answer and
asks again at once, so latency is mostly queueing (on average C / throughput). People
typing do not queue like that: ``--rates 200,400`` adds open-loop rows where the C clients
together send that many requests per second, evenly spaced, whether or not earlier ones were
answered (``postMessage@400/s``). Their latency counts from when a request was due, so a
server that falls behind shows it; their ops/s are the answers that came within the window.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_smoke import free_port, server_env, stop_server, wait_ready, workchat

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
ADMIN_EMAIL = "admin@writes.example.com"
ADMIN_PASSWORD = "writes-admin-password-1"
USER_PASSWORD = "writes-user-password-1"
CHANNELS = 8
SEED_PER_USER = 4
EMOJIS = ("👍", "🎉", "❤️", "😄", "🚀", "👀", "✅", "🔥", "💯", "🙏", "👏", "🤔")
SERVE = (sys.executable, "-m", "workchat", "serve")
OPERATIONS = (
    "healthz",
    "typename",
    "viewer",
    "postMessage",
    "addReaction",
    "editMessage",
    "markChannelRead",
)

LOGIN = """mutation($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { accessToken errors { code } } }"""
CREATE_USER = """mutation($email: String!, $name: String!, $password: String!) {
  createUser(input: {email: $email, displayName: $name, password: $password}) {
    user { id } errors { code } } }"""
CREATE_CHANNEL = """mutation($name: String!) {
  createChannel(input: {name: $name}) { channel { id } errors { code } } }"""
JOIN = """mutation($id: ID!) { joinChannel(input: {channelId: $id}) { errors { code } } }"""
TYPENAME = "{ __typename }"
VIEWER = "{ viewer { id } }"
POST = """mutation($id: ID!, $body: String!, $key: String!) {
  postMessage(input: {channelId: $id, body: $body, clientMutationId: $key}) {
    message { id } errors { code } } }"""
REACT = """mutation($id: ID!, $emoji: String!) {
  addReaction(input: {messageId: $id, emoji: $emoji}) { errors { code } } }"""
EDIT = """mutation($id: ID!, $body: String!) {
  editMessage(input: {messageId: $id, body: $body}) { message { id } errors { code } } }"""
MARK_READ = """mutation($channel: ID!, $message: ID!) {
  markChannelRead(input: {channelId: $channel, upToMessageId: $message}) { errors { code } } }"""


# The setup client (plain, synchronous: not measured) -----------------------------------


def call(base: str, query: str, variables: dict[str, Any], token: str | None = None) -> Any:
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        f"{base}/graphql",
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers=headers,
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as reply:
        body = json.loads(reply.read())
    if body.get("errors"):
        raise RuntimeError(f"setup request failed: {body['errors']}")
    return body["data"]


def login(base: str, email: str, password: str) -> str:
    token = call(base, LOGIN, {"email": email, "password": password})["login"]["accessToken"]
    if not token:
        raise RuntimeError(f"{email} could not log in")
    return str(token)


def populate(base: str, users: int) -> dict[str, Any]:
    """The org's users and channels, each user a member of its channel, a few messages each."""
    admin = login(base, ADMIN_EMAIL, ADMIN_PASSWORD)
    channels = [
        call(base, CREATE_CHANNEL, {"name": f"bench-{index}"}, admin)["createChannel"]["channel"][
            "id"
        ]
        for index in range(CHANNELS)
    ]
    clients: list[dict[str, Any]] = []
    for index in range(users):
        email = f"bench{index}@writes.example.com"
        variables = {"email": email, "name": f"Bench {index}", "password": USER_PASSWORD}
        call(base, CREATE_USER, variables, admin)
        token = login(base, email, USER_PASSWORD)
        channel = channels[index % CHANNELS]
        call(base, JOIN, {"id": channel}, token)
        messages = []
        for seed in range(SEED_PER_USER):
            variables = {"id": channel, "body": f"seed {seed}", "key": f"seed-{index}-{seed}"}
            posted = call(base, POST, variables, token)["postMessage"]
            messages.append(posted["message"]["id"])
        clients.append({"token": token, "channel": channel, "messages": messages})
    return {"clients": clients, "channels": channels}


# The load generator --------------------------------------------------------------------


class Connection:
    """One HTTP/1.1 keep-alive connection; requests are pre-encoded bytes."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        chunked = False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if not chunked:
            return status, await self.reader.readexactly(length)
        body = b""
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
            body += await self.reader.readexactly(size + 2)
            if size == 0:
                return status, body
            body = body[:-2]


def http_get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n".encode()


def http_graphql(token: str, query: str, variables: dict[str, Any]) -> bytes:
    body = json.dumps({"query": query, "variables": variables}, separators=(",", ":")).encode()
    head = (
        "POST /graphql HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer {token}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def failed(status: int, body: bytes) -> bool:
    # A payload error carries a code; a top-level error a message.
    return status != 200 or b'"code"' in body or b'"errors":[{' in body


class Requests:
    """The next request of one client for one operation."""

    def __init__(self, operation: str, client: dict[str, Any], index: int, run: str) -> None:
        self.operation, self.client, self.index, self.run = operation, client, index, run
        self.n = 0

    def next(self) -> bytes:
        n, self.n = self.n, self.n + 1
        client, token = self.client, self.client["token"]
        messages = client["messages"]
        if self.operation == "healthz":
            return http_get("/healthz")
        if self.operation == "typename":
            return http_graphql(token, TYPENAME, {})
        if self.operation == "viewer":
            return http_graphql(token, VIEWER, {})
        if self.operation == "postMessage":
            key = f"{self.run}-{self.index}-{n}"
            return http_graphql(
                token, POST, {"id": client["channel"], "body": f"bench post {n}", "key": key}
            )
        if self.operation == "addReaction":
            # Every (message, emoji) pair once while they last, so each call writes.
            message = messages[(n // len(EMOJIS)) % len(messages)]
            return http_graphql(token, REACT, {"id": message, "emoji": EMOJIS[n % len(EMOJIS)]})
        if self.operation == "editMessage":
            message = messages[n % len(messages)]
            return http_graphql(token, EDIT, {"id": message, "body": f"edit {self.run} {n}"})
        if self.operation == "markChannelRead":
            message = messages[n % len(messages)]
            variables = {"channel": client["channel"], "message": message}
            return http_graphql(token, MARK_READ, variables)
        raise ValueError(self.operation)


async def _warm_connection(port: int, requests: Requests, start: float) -> Connection:
    """A connection that has been sending requests until just before the window."""
    connection = Connection("127.0.0.1", port)
    while time.monotonic() < start - 0.5:  # connect and warm up before the window
        await connection.request(requests.next())
    return connection


async def _send(connection: Connection, requests: Requests, errors: Counter[str]) -> None:
    status, body = await connection.request(requests.next())
    if failed(status, body):
        errors[body[:200].decode(errors="replace")] += 1


async def _client(
    port: int,
    requests: Requests,
    start: float,
    stop: float,
    latencies: list[float],
    errors: Counter[str],
) -> int:
    """Closed loop: the next request as soon as the last is answered. Returns how many
    requests of the window were answered."""
    connection = await _warm_connection(port, requests, start)
    answered = 0
    while True:
        began = time.monotonic()
        if began >= stop:
            return answered
        await _send(connection, requests, errors)
        if began >= start:
            latencies.append(time.monotonic() - began)
            answered += 1


async def _paced_client(
    port: int,
    requests: Requests,
    window: tuple[float, float],
    latencies: list[float],
    errors: Counter[str],
    interval: float,
) -> int:
    """Open loop: one request every ``interval`` seconds from the window's start on, whether
    or not the last one was answered. Latency counts from the scheduled send time, so a
    request that had to wait behind a slow answer on this connection counts its wait too
    (no coordinated omission). Returns how many answers came within the window."""
    start, stop = window
    connection = await _warm_connection(port, requests, start)
    due = start
    answered = 0
    while due < stop:
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await _send(connection, requests, errors)
        now = time.monotonic()
        latencies.append(now - due)
        answered += now <= stop
        due += interval
    return answered


async def _generate(
    port: int,
    operation: str,
    clients: list[tuple[int, dict[str, Any]]],
    window: tuple[float, float],
    rate: float | None,
    total_clients: int,
) -> tuple[list[float], Counter[str], int]:
    """Latencies, errors and how many answers came within the window."""
    latencies: list[float] = []
    errors: Counter[str] = Counter()
    run = uuid.uuid4().hex[:8]
    start, stop = window
    if rate is None:
        clients_done = [
            _client(port, Requests(operation, client, index, run), start, stop, latencies, errors)
            for index, client in clients
        ]
    else:
        # Every client sends rate / C requests per second; client i starts i / rate seconds
        # in, so the arrivals are spread evenly over time rather than in bursts of C.
        interval = total_clients / rate
        clients_done = [
            _paced_client(
                port,
                Requests(operation, client, index, run),
                (start + index / rate, stop),
                latencies,
                errors,
                interval,
            )
            for index, client in clients
        ]
    answered = await asyncio.gather(*clients_done)
    return latencies, errors, sum(answered)


def generator_process(
    port: int,
    operation: str,
    clients: list[tuple[int, dict[str, Any]]],
    window: tuple[float, float],
    rate: float | None,
    total_clients: int,
    out: Any,
) -> None:
    import uvloop

    cpu = time.process_time()
    latencies, errors, answered = uvloop.run(
        _generate(port, operation, clients, window, rate, total_clients)
    )
    out.put((latencies, dict(errors), time.process_time() - cpu, answered))


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_level(
    port: int,
    operation: str,
    clients: list[dict[str, Any]],
    procs: int,
    seconds: float,
    server_pid: int,
    rate: float | None = None,
) -> dict[str, Any]:
    """One row: closed loop (``rate`` None), or open loop at ``rate`` requests per second
    spread over the clients."""
    context = mp.get_context("fork")
    queue = context.Queue()
    start = time.monotonic() + 1.5  # time.monotonic is system-wide on Linux: shared by forks
    window = (start, start + seconds)
    indexed = list(enumerate(clients))
    shares = [indexed[i::procs] for i in range(min(procs, len(clients)))]
    workers = [
        context.Process(
            target=generator_process,
            args=(port, operation, share, window, rate, len(clients), queue),
        )
        for share in shares
    ]
    began = time.monotonic()
    for worker in workers:
        worker.start()
    # The server's CPU over the measured window only: a figure the machine's other load
    # does not inflate (unlike latency), so runs on a shared machine compare by it.
    time.sleep(max(0.0, start - time.monotonic()))
    cpu_before = process_cpu_seconds(server_pid)
    time.sleep(max(0.0, start + seconds - time.monotonic()))
    server_cpu = process_cpu_seconds(server_pid) - cpu_before
    results = [queue.get(timeout=seconds + 120) for _ in workers]
    for worker in workers:
        worker.join()
    wall = time.monotonic() - began
    latencies = sorted(x for result in results for x in result[0])
    errors: Counter[str] = Counter()
    for result in results:
        errors.update(result[1])
    generator_cpu = sum(result[2] for result in results)
    # Closed loop: every request sent in the window; open loop: the answers that came
    # within it (below the offered rate when the server cannot keep up).
    answered = sum(result[3] for result in results)

    def pct(q: float) -> float:
        if not latencies:
            return float("nan")
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000

    return {
        "operation": operation,
        "clients": len(clients),
        "offered_per_s": rate,
        "ops": len(latencies),
        "ops_per_s": answered / seconds,
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "max_ms": latencies[-1] * 1000 if latencies else float("nan"),
        "errors": sum(errors.values()),
        "error_samples": errors.most_common(3),
        "generator_cpu": generator_cpu / wall,
        "server_cpu": server_cpu / seconds,
        "server_cpu_ms_per_op": 1000 * server_cpu / answered if answered else float("nan"),
    }


# Profiling ---------------------------------------------------------------------------------


def py_spy_path() -> str:
    candidate = Path(sys.executable).with_name("py-spy")
    return str(candidate) if candidate.exists() else "py-spy"


def start_profile(pid: int, out: Path, seconds: float) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            py_spy_path(),
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(int(seconds) + 1),
            "--format",
            "raw",
            "--rate",
            "200",
            "--nonblocking",
            "--output",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def collapsed_stacks(path: Path) -> Iterator[tuple[list[str], int]]:
    """(frames, sample count) per line of a py-spy raw (collapsed) file."""
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if stack:
            yield stack.split(";"), int(count_text)


def summarize_profile(path: Path, top: int = 25) -> list[tuple[str, float, float]]:
    """(frame, self %, total %) of the hottest frames of a py-spy raw (collapsed) file."""
    self_counts: Counter[str] = Counter()
    total_counts: Counter[str] = Counter()
    samples = 0
    for frames, count in collapsed_stacks(path):
        samples += count
        self_counts[frames[-1]] += count
        for frame in set(frames):
            total_counts[frame] += count
    if not samples:
        return []
    return [
        (frame, 100 * count / samples, 100 * total_counts[frame] / samples)
        for frame, count in self_counts.most_common(top)
    ]


def top_inclusive(path: Path, needles: tuple[str, ...]) -> list[tuple[str, float]]:
    """Inclusive share of the frames whose name contains one of ``needles``."""
    totals: Counter[str] = Counter()
    samples = 0
    for frames, count in collapsed_stacks(path):
        samples += count
        for frame in set(frames):
            if any(needle in frame for needle in needles):
                totals[frame] += count
    return [(frame, 100 * count / max(samples, 1)) for frame, count in totals.most_common(40)]


# One backend -------------------------------------------------------------------------------


def create_postgres_database(url: str) -> tuple[str, str]:
    """A new database on the server of ``url``; returns (its URL, its name)."""
    import asyncpg  # the server's own dependency

    name = f"writes_bench_{uuid.uuid4().hex[:8]}"
    plain = url.replace("postgresql+asyncpg://", "postgresql://")

    async def create() -> None:
        conn = await asyncpg.connect(plain)
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
    return plain.rsplit("/", 1)[0] + f"/{name}", name


def drop_postgres_database(url: str, name: str) -> None:
    import asyncpg

    async def drop() -> None:
        conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(drop())


def bench_backend(
    backend: str, database_url: str, args: argparse.Namespace, data_dir: Path
) -> dict[str, Any]:
    env = server_env(database_url, data_dir)
    env["WORKCHAT_MAX_SOCKETS_PER_USER"] = env.get("WORKCHAT_MAX_SOCKETS_PER_USER", "100")
    workchat("migrate", env=env)
    workchat(
        "create-org",
        "Writes",
        "--admin-email",
        ADMIN_EMAIL,
        "--password-stdin",
        env=env,
        stdin=ADMIN_PASSWORD + "\n",
    )
    port = args.port or free_port()
    base = f"http://127.0.0.1:{port}"
    log = RESULTS / f"writes-server-{backend}.log"
    levels = [int(c) for c in args.clients.split(",")]
    with open(log, "wb") as log_file:
        server = subprocess.Popen(
            [*SERVE, "--port", str(port), "--log-level", "warning"],
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    rows: list[dict[str, Any]] = []
    profiles: dict[str, Any] = {}
    try:
        wait_ready(base, server, log)
        print(f"[{backend}] creating {max(levels)} users, {CHANNELS} channels ...", flush=True)
        began = time.monotonic()
        world = populate(base, max(levels))
        print(f"[{backend}] setup took {time.monotonic() - began:.1f} s", flush=True)
        operations = [op for op in OPERATIONS if op in args.operations.split(",")]
        rates: list[float | None] = [None, *(float(r) for r in args.rates.split(",") if r)]
        for operation, level, rate in itertools.product(operations, levels, rates):
            clients = world["clients"][:level]
            profile = None
            name = f"{operation}-c{level}" + (f"-r{rate:.0f}" if rate else "")
            profile_out = RESULTS / f"writes-pyspy-{backend}-{name}.txt"
            if args.profile and level in (1, 32) and operation in ("postMessage", "viewer"):
                profile = start_profile(server.pid, profile_out, args.seconds + 1.5)
            row = run_level(port, operation, clients, args.procs, args.seconds, server.pid, rate)
            row["backend"] = backend
            rows.append(row)
            print_row(row)
            if profile is not None:
                profile.wait(timeout=120)
                if profile_out.exists():
                    profiles[name] = {
                        "file": str(profile_out),
                        "top_self": summarize_profile(profile_out),
                    }
    finally:
        stop_server(server)
    return {"rows": rows, "profiles": profiles}


HEADER = (
    f"{'backend':<8} {'operation':<20} {'C':>4} {'ops/s':>8} {'p50':>7} {'p95':>7} "
    f"{'p99':>7} {'max':>8} {'err':>5} {'gen cpu':>7} {'srv cpu':>7} {'ms/op':>6}"
)


def row_label(row: dict[str, Any]) -> str:
    """The operation, and for an open-loop row the offered rate: ``postMessage@400/s``."""
    offered = row.get("offered_per_s")
    return row["operation"] + (f"@{offered:.0f}/s" if offered else "")


def print_row(row: dict[str, Any]) -> None:
    print(
        f"{row['backend']:<8} {row_label(row):<20} {row['clients']:>4} "
        f"{row['ops_per_s']:>8.0f} {row['p50_ms']:>7.1f} {row['p95_ms']:>7.1f} "
        f"{row['p99_ms']:>7.1f} {row['max_ms']:>8.1f} {row['errors']:>5} "
        f"{row['generator_cpu']:>7.2f} {row['server_cpu']:>7.2f} "
        f"{row['server_cpu_ms_per_op']:>6.2f}",
        flush=True,
    )
    for sample, count in row["error_samples"]:
        print(f"    {count} x {sample}", flush=True)


def print_side_by_side(results: dict[str, dict[str, Any]]) -> None:
    backends = list(results)
    if len(backends) < 2:
        return
    print("\nside by side (ops/s | p99 ms):")
    by_key = {
        (row["operation"], row["clients"], row.get("offered_per_s") or 0.0, name): row
        for name, result in results.items()
        for row in result["rows"]
    }
    keys = sorted({key[:3] for key in by_key}, key=lambda k: (OPERATIONS.index(k[0]), k[1], k[2]))
    print(f"{'operation':<20} {'C':>4} " + " ".join(f"{b:>20}" for b in backends))
    for op, c, offered in keys:
        cells = []
        label = ""
        for b in backends:
            row = by_key.get((op, c, offered, b))
            if row:
                label = row_label(row)
            cells.append(
                f"{row['ops_per_s']:>9.0f} | {row['p99_ms']:>7.1f}" if row else f"{'-':>20}"
            )
        print(f"{label:<20} {c:>4} " + " ".join(f"{cell:>20}" for cell in cells))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres-url", help="a PostgreSQL server: also bench on a new database")
    parser.add_argument("--no-sqlite", action="store_true", help="only PostgreSQL")
    parser.add_argument("--clients", default="1,8,32,128")
    parser.add_argument(
        "--rates",
        default="",
        help="also run open-loop rows: these total requests/s, spread over the clients",
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per row")
    parser.add_argument("--procs", type=int, default=2, help="load generator processes")
    parser.add_argument("--operations", default=",".join(OPERATIONS))
    parser.add_argument("--profile", action="store_true", help="py-spy the server at C=32")
    parser.add_argument("--port", type=int, default=0, help="the server's port (default: any free)")
    parser.add_argument("--label", default="", help="added to the JSON file's name")
    args = parser.parse_args(argv)

    RESULTS.mkdir(exist_ok=True)
    print(f"machine: {os.cpu_count()} cores; load generator: {args.procs} processes (uvloop)")
    print(HEADER)
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="workchat-writes-") as tmp:
        if not args.no_sqlite:
            data_dir = Path(tmp) / "sqlite"
            data_dir.mkdir()
            url = f"sqlite+aiosqlite:///{data_dir / 'writes.db'}"
            results["sqlite"] = bench_backend("sqlite", url, args, data_dir)
        if args.postgres_url:
            data_dir = Path(tmp) / "postgres"
            data_dir.mkdir()
            url, name = create_postgres_database(args.postgres_url)
            try:
                results["postgres"] = bench_backend("postgres", url, args, data_dir)
            finally:
                with contextlib.suppress(Exception):
                    drop_postgres_database(args.postgres_url, name)
    print_side_by_side(results)
    for backend, result in results.items():
        for name, profile in result["profiles"].items():
            print(f"\npy-spy {backend} {name} (self %, total %) - raw: {profile['file']}")
            for frame, self_pct, total_pct in profile["top_self"][:15]:
                print(f"  {self_pct:5.1f} {total_pct:5.1f}  {frame}")
    label = f"-{args.label}" if args.label else ""
    out = RESULTS / f"writes-{int(time.time())}{label}.json"
    out.write_text(json.dumps({"args": vars(args), "results": results}, indent=2))
    print(f"\nJSON in {out}")
    failures = sum(row["errors"] for result in results.values() for row in result["rows"])
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
