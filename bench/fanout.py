"""Fan-out: how fast one message reaches N live ``channelEvents`` subscribers.

    .venv/bin/python bench/fanout.py                          # N = 1,000, 5,000, 10,000
    .venv/bin/python bench/fanout.py --sizes 1000 --messages 10

Creates a fresh SQLite database, an org, ``--users`` users joined to one channel, then for
each N and each variant starts a server (one process, ``--port`` in this helper's range),
opens N graphql-transport-ws sockets from ``--processes`` load-generator processes (asyncio,
uvloop, the ``websockets`` client), each subscribed to ``channelEvents`` with a typical
selection, and posts ``--messages`` messages at ``--rate`` per second with ``postMessage``
over HTTP. The variants:

- ``workchat``: the server as shipped (each event executed once per subscriber group);
- ``off``: the same with ``WORKCHAT_FANOUT_SHARED_EXECUTION=false`` (once per subscriber);
- ``baseline``: a bare ``websockets`` server that broadcasts a fixed frame of the same size
  (no GraphQL, no database), the best this machine can do.

Prints latency percentiles over every (message, receiver) pair, time until the last
receiver, delivered/expected, duplicates, server RSS before/after connecting (KiB per idle
subscriber) and server CPU, then workchat/baseline ratios; writes JSON to bench/results/.
Asserts nothing about time (the load generator shares the machine's cores with the server).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.load_smoke import (  # noqa: E402
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    RESULTS,
    server_env,
    stop_server,
    wait_ready,
    workchat,
)

PASSWORD = "fanout-user-password-1"
QUERY = """subscription($channelId: ID!) {
  channelEvents(channelId: $channelId) {
    ... on MessagePosted { cursor message { id body createdAt author { displayName } } }
  }
}"""
LOGIN = """mutation($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { accessToken errors { code } } }"""
CREATE_USER = """mutation($email: String!, $name: String!, $password: String!) {
  createUser(input: {email: $email, displayName: $name, password: $password}) {
    user { id } errors { code } } }"""
CREATE_CHANNEL = """mutation { createChannel(input: {name: "fanout"}) {
  channel { id } errors { code } } }"""
JOIN = """mutation($id: ID!) { joinChannel(input: {channelId: $id}) { errors { code } } }"""
POST = """mutation($id: ID!, $body: String!) {
  postMessage(input: {channelId: $id, body: $body}) { message { id } errors { code } } }"""
WARM = "warm"
CONNECT_CONCURRENCY = 50


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def graphql(base: str, query: str, variables: dict[str, Any], token: str | None = None) -> Any:
    request = urllib.request.Request(
        f"{base}/graphql",
        data=json.dumps({"query": query, "variables": variables}).encode(),
        headers={"content-type": "application/json"}
        | ({"authorization": f"Bearer {token}"} if token else {}),
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        body = json.loads(reply.read())
    if body.get("errors"):
        raise SystemExit(f"fanout: {body['errors']}")
    return body["data"]


# --- the load generator -----------------------------------------------------------------


def receiver_process(
    url: str,
    tokens: list[str],
    channel_id: str,
    connected: Any,
    warm: Any,
    received: Any,
    stop: Any,
    out: Any,
) -> None:
    """Open one socket per token, subscribe, stamp every frame's arrival until ``stop``."""
    import uvloop

    raise_fd_limit()
    out.put(uvloop.run(_receive_all(url, tokens, channel_id, connected, warm, received, stop)))


async def _receive_all(
    url: str,
    tokens: list[str],
    channel_id: str,
    connected: Any,
    warm: Any,
    received: Any,
    stop: Any,
) -> dict[str, Any]:
    import orjson
    from websockets.asyncio.client import connect

    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    arrivals: list[list[tuple[int, float]]] = []
    failures: list[str] = []
    frame_bytes: list[int] = []
    sockets: list[Any] = []

    async def one(token: str) -> None:
        mine: list[tuple[int, float]] = []
        arrivals.append(mine)
        try:
            async with gate:
                ws = await connect(
                    url, subprotocols=["graphql-transport-ws"], compression=None,
                    open_timeout=120, max_queue=None,
                )  # fmt: skip
                sockets.append(ws)
                init = {"authorization": f"Bearer {token}"}
                await ws.send(orjson.dumps({"type": "connection_init", "payload": init}).decode())
                ack = orjson.loads(await ws.recv())
                if ack.get("type") != "connection_ack":
                    raise RuntimeError(f"no ack: {ack}")
                subscribe = {"query": QUERY, "variables": {"channelId": channel_id}}
                await ws.send(
                    orjson.dumps({"id": "s", "type": "subscribe", "payload": subscribe}).decode()
                )
            with connected.get_lock():
                connected.value += 1
            warmed = False
            async for raw in ws:
                now = time.time()
                frame = orjson.loads(raw)
                if frame.get("type") == "ping":
                    await ws.send('{"type":"pong"}')
                    continue
                if frame.get("type") != "next":
                    raise RuntimeError(f"unexpected frame: {str(frame)[:200]}")
                body = frame["payload"]["data"]["channelEvents"]["message"]["body"]
                if body == WARM:
                    if not warmed:
                        warmed = True
                        with warm.get_lock():
                            warm.value += 1
                    continue
                if not frame_bytes:
                    frame_bytes.append(len(raw))
                mine.append((int(body.split()[1]), now))
                with received.get_lock():
                    received.value += 1
        except Exception as exc:
            if not stop.is_set():  # not the bench's own abort of every socket at the end
                failures.append(f"{type(exc).__name__}: {exc}"[:200])

    tasks = [asyncio.create_task(one(token)) for token in tokens]
    # ``stop`` is a multiprocessing Event (no asyncio waiting on it): poll.
    while not stop.is_set():  # noqa: ASYNC110
        await asyncio.sleep(0.2)
    for ws in sockets:
        ws.transport.abort()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"arrivals": arrivals, "failures": failures[:20], "failure_count": len(failures),
            "frame_bytes": frame_bytes[:1]}  # fmt: skip


# --- the baseline server ----------------------------------------------------------------


def baseline_server(port: int, frame_bytes: int) -> None:
    """Accept graphql-transport-ws sockets; GET /publish?i=N broadcasts one fixed frame."""
    import uvloop

    raise_fd_limit()
    uvloop.run(_baseline(port, frame_bytes))


async def _baseline(port: int, frame_bytes: int) -> None:
    from websockets.asyncio.server import broadcast, serve
    from websockets.datastructures import Headers
    from websockets.http11 import Response

    subscribed: set[Any] = set()

    def frame(body: str) -> str:
        head = '{"id":"s","type":"next","payload":{"data":{"channelEvents":{"message":{"body":"'
        text = head + body + '"}}}}}'
        pad = max(0, frame_bytes - len(text) - len(',"pad":""'))
        return text[:-1] + ',"pad":"' + "x" * pad + '"}'

    def process_request(connection: Any, request: Any) -> Any:
        if request.path.startswith("/publish"):
            query = urllib.parse.parse_qs(urllib.parse.urlparse(request.path).query)
            index = query["i"][0]
            broadcast(subscribed, frame(WARM if index == "-1" else f"bench {index}"))
            return Response(200, "OK", Headers({"content-length": "0"}), b"")
        return None

    async def handler(ws: Any) -> None:
        async for raw in ws:
            message = json.loads(raw)
            if message["type"] == "connection_init":
                await ws.send('{"type":"connection_ack"}')
            elif message["type"] == "subscribe":
                subscribed.add(ws)
        subscribed.discard(ws)

    async with serve(
        handler, "127.0.0.1", port, process_request=process_request, compression=None,
        subprotocols=["graphql-transport-ws"], ping_interval=None, max_queue=None,
    ):  # fmt: skip
        await asyncio.Future()


# --- one measurement --------------------------------------------------------------------


@dataclass
class Run:
    variant: str
    n: int
    messages: int
    expected: int = 0
    delivered: int = 0
    lost: int = 0
    duplicates: int = 0
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None
    last_receiver_median_ms: float | None = None
    last_receiver_max_ms: float | None = None
    rss_before_kib: int = 0
    rss_after_kib: int = 0
    kib_per_subscriber: float = 0.0
    cpu_seconds: float = 0.0
    cpu_percent_of_one_core: float = 0.0
    connected: int = 0
    client_failures: int = 0
    failure_samples: list[str] = field(default_factory=list)
    frame_bytes: int | None = None
    publish_errors: int = 0
    # Per message: (first, median, last) arrival in ms after it was sent.
    per_message_ms: list[tuple[float, float, float]] = field(default_factory=list)


def proc_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    index = min(len(values) - 1, max(0, round(q / 100 * (len(values) - 1))))
    return values[index]


def wait_for(counter: Any, target: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if counter.value >= target:
            return True
        time.sleep(0.1)
    return counter.value >= target


def measure(
    variant: str,
    n: int,
    args: argparse.Namespace,
    env: dict[str, str],
    tokens: list[str],
    channel_id: str,
    frame_bytes: int,
    tmp: Path,
) -> Run:
    port = args.port if variant != "baseline" else args.port + 1
    base = f"http://127.0.0.1:{port}"
    log = RESULTS / f"fanout-{variant}-{n}.log"
    with open(log, "wb") as log_file:
        if variant == "baseline":
            command = [sys.executable, __file__, "--baseline-server", str(port), "--frame-bytes",
                       str(frame_bytes)]  # fmt: skip
            server = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT)
        else:
            server_vars = env | {
                "WORKCHAT_FANOUT_SHARED_EXECUTION": "false" if variant == "off" else "true"
            }
            command = [sys.executable, "-m", "workchat", "serve", "--port", str(port),
                       "--log-level", "warning"]  # fmt: skip
            server = subprocess.Popen(
                command, env=server_vars, stdout=log_file, stderr=subprocess.STDOUT
            )
    run = Run(variant=variant, n=n, messages=args.messages, expected=n * args.messages)
    ctx = mp.get_context("spawn")
    connected, warm, received = ctx.Value("i", 0), ctx.Value("i", 0), ctx.Value("i", 0)
    stop, out = ctx.Event(), ctx.Queue()
    workers = []
    try:
        if variant == "baseline":
            _wait_port(port, server, log)
        else:
            wait_ready(base, server, log)
        time.sleep(1.0)
        run.rss_before_kib = proc_rss_kib(server.pid)
        assigned = [tokens[i % len(tokens)] for i in range(n)]
        for p in range(args.processes):
            mine = assigned[p :: args.processes]
            worker = ctx.Process(
                target=receiver_process,
                args=(f"ws://127.0.0.1:{port}/graphql", mine, channel_id, connected, warm,
                      received, stop, out),
            )  # fmt: skip
            worker.start()
            workers.append(worker)
        wait_for(connected, n, args.connect_timeout)
        run.connected = connected.value
        # graphql-transport-ws does not acknowledge a subscribe: post until every socket
        # has seen a message, so the measured messages reach live subscriptions only.
        deadline = time.monotonic() + args.connect_timeout
        while warm.value < run.connected and time.monotonic() < deadline:
            run.publish_errors += not _publish(variant, base, tokens[0], channel_id, -1)
            wait_for(warm, run.connected, 2.0)
        time.sleep(1.0)
        run.rss_after_kib = proc_rss_kib(server.pid)
        run.kib_per_subscriber = round(
            (run.rss_after_kib - run.rss_before_kib) / max(1, run.connected), 2
        )
        profiler = _profile(server.pid, variant, n) if args.profile else None
        cpu_before, wall_before = proc_cpu_seconds(server.pid), time.monotonic()
        sent: list[float] = []
        start = time.monotonic()
        for index in range(args.messages):
            pause = start + index / args.rate - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            sent.append(time.time())
            run.publish_errors += not _publish(variant, base, tokens[0], channel_id, index)
        wait_for(received, run.expected, args.drain_seconds)
        run.cpu_seconds = round(proc_cpu_seconds(server.pid) - cpu_before, 2)
        run.cpu_percent_of_one_core = round(
            100 * run.cpu_seconds / (time.monotonic() - wall_before), 1
        )
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)
            profiler.wait(timeout=60)
        stop.set()
        results = [out.get(timeout=120) for _ in workers]
    finally:
        stop.set()
        for worker in workers:
            worker.join(timeout=30)
            if worker.is_alive():
                worker.kill()
        stop_server(server, timeout=30)
    _summarize(run, results, sent)
    return run


def _summarize(run: Run, results: list[dict[str, Any]], sent: list[float]) -> None:
    latencies: list[float] = []
    last: dict[int, float] = {}
    by_message: dict[int, list[float]] = {}
    for result in results:
        run.client_failures += result["failure_count"]
        run.failure_samples += result["failures"][:3]
        if result["frame_bytes"] and run.frame_bytes is None:
            run.frame_bytes = result["frame_bytes"][0]
        for arrivals in result["arrivals"]:
            seen: set[int] = set()
            for index, at in arrivals:
                if index in seen or index >= len(sent):
                    run.duplicates += index in seen
                    continue
                seen.add(index)
                latency = (at - sent[index]) * 1000
                latencies.append(latency)
                last[index] = max(last.get(index, 0.0), latency)
                by_message.setdefault(index, []).append(latency)
    latencies.sort()
    run.delivered = len(latencies)
    run.lost = run.expected - run.delivered
    if latencies:
        run.p50_ms, run.p95_ms, run.p99_ms = (
            round(percentile(latencies, q), 1) for q in (50, 95, 99)
        )
        run.max_ms = round(latencies[-1], 1)
        lasts = sorted(last.values())
        run.last_receiver_median_ms = round(percentile(lasts, 50), 1)
        run.last_receiver_max_ms = round(lasts[-1], 1)
    for index in sorted(by_message):
        values = sorted(by_message[index])
        run.per_message_ms.append(
            (round(values[0], 1), round(percentile(values, 50), 1), round(values[-1], 1))
        )


def _profile(pid: int, variant: str, n: int) -> subprocess.Popen[bytes] | None:
    """py-spy on the server while the messages go out (collapsed stacks, one per line)."""
    if variant == "baseline":
        return None
    py_spy = Path(sys.executable).parent / "py-spy"
    output = RESULTS / f"fanout-profile-{variant}-{n}.txt"
    command = [str(py_spy), "record", "-p", str(pid), "-f", "raw", "-r", "200", "--nonblocking",
               "-o", str(output)]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _publish(variant: str, base: str, token: str, channel_id: str, index: int) -> bool:
    """Post one message; False when the server refused or failed (counted, the run goes on:
    an overloaded server is a result too)."""
    try:
        if variant == "baseline":
            with urllib.request.urlopen(f"{base}/publish?i={index}", timeout=30):
                return True
        body = WARM if index < 0 else f"bench {index}"
        graphql(base, POST, {"id": channel_id, "body": body}, token)
    except (OSError, SystemExit) as exc:
        print(f"fanout: publish {index} failed: {exc}", file=sys.stderr)
        return False
    return True


def _wait_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"fanout: the baseline server exited; see {log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"fanout: the baseline server did not start; see {log}")


# --- setup and report -------------------------------------------------------------------


def setup(args: argparse.Namespace, env: dict[str, str]) -> tuple[list[str], str]:
    """An org, ``--users`` members joined to one channel; their access tokens."""
    workchat("migrate", env=env)
    workchat("create-org", "Fanout", "--admin-email", ADMIN_EMAIL, "--password-stdin",
             env=env, stdin=ADMIN_PASSWORD + "\n")  # fmt: skip
    base = f"http://127.0.0.1:{args.port}"
    log = RESULTS / "fanout-setup.log"
    with open(log, "wb") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "workchat", "serve", "--port", str(args.port),
             "--log-level", "warning"],
            env=env, stdout=log_file, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_ready(base, server, log)
        admin = graphql(base, LOGIN, {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        admin_token = admin["login"]["accessToken"]
        channel = graphql(base, CREATE_CHANNEL, {}, admin_token)["createChannel"]["channel"]
        tokens = []
        for i in range(args.users):
            email = f"fan{i}@fanout.example.com"
            graphql(base, CREATE_USER, {"email": email, "name": f"Fan {i}", "password": PASSWORD},
                    admin_token)  # fmt: skip
            token = graphql(base, LOGIN, {"email": email, "password": PASSWORD})["login"]
            tokens.append(token["accessToken"])
            graphql(base, JOIN, {"id": channel["id"]}, tokens[-1])
    finally:
        stop_server(server, timeout=30)
    return tokens, channel["id"]


def print_table(runs: list[Run], args: argparse.Namespace) -> None:
    header = (
        f"{'N':>6} {'variant':<9} {'delivered/expected':>19} {'dup':>4} {'p50':>7} {'p95':>7} "
        f"{'p99':>7} {'max':>7} {'last med':>8} {'last max':>8} {'RSS before':>10} "
        f"{'RSS after':>10} {'KiB/sub':>7} {'CPU s':>6} {'CPU %':>6}"
    )
    print(header)
    print("-" * len(header))
    for r in runs:
        ms = [f"{v:>7.1f}" if v is not None else f"{'-':>7}" for v in
              (r.p50_ms, r.p95_ms, r.p99_ms, r.max_ms)]  # fmt: skip
        lasts = [f"{v:>8.1f}" if v is not None else f"{'-':>8}" for v in
                 (r.last_receiver_median_ms, r.last_receiver_max_ms)]  # fmt: skip
        print(
            f"{r.n:>6} {r.variant:<9} {f'{r.delivered}/{r.expected}':>19} {r.duplicates:>4} "
            f"{' '.join(ms)} {' '.join(lasts)} {r.rss_before_kib // 1024:>7} MiB "
            f"{r.rss_after_kib // 1024:>6} MiB {r.kib_per_subscriber:>7.1f} {r.cpu_seconds:>6.1f} "
            f"{r.cpu_percent_of_one_core:>6.1f}"
            + (f"  ({r.publish_errors} posts failed)" if r.publish_errors else "")
            + (f"  ({r.client_failures} sockets failed)" if r.client_failures else "")
        )
    print(
        f"(latency in ms over every (message, receiver) pair; {args.messages} messages at "
        f"{args.rate}/s; 'last' = until the last receiver got a message; {args.processes} "
        f"load-generator processes on the same {os.cpu_count()}-core machine as the server; "
        "shared machine)"
    )
    for n in sorted({r.n for r in runs}):
        by = {r.variant: r for r in runs if r.n == n}
        on, off, bare = by.get("workchat"), by.get("off"), by.get("baseline")
        parts = []
        if on and bare and on.p50_ms and bare.p50_ms and on.p99_ms and bare.p99_ms:
            parts.append(f"workchat/baseline p50 {on.p50_ms / bare.p50_ms:.2f}x, "
                         f"p99 {on.p99_ms / bare.p99_ms:.2f}x")  # fmt: skip
        if on and off and on.p99_ms and off.p99_ms:
            parts.append(f"off/workchat p99 {off.p99_ms / on.p99_ms:.2f}x")
        if parts:
            print(f"N={n}: " + "; ".join(parts))
    for r in runs:  # where the tail comes from: one slow message, or all of them
        if r.per_message_ms and len(r.per_message_ms) <= 20:
            lasts = " ".join(f"{last:.0f}" for _, _, last in r.per_message_ms)
            print(f"N={r.n} {r.variant}: last arrival per message (ms): {lasts}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,5000,10000", help="subscriber counts N")
    parser.add_argument("--variants", default="workchat,off,baseline")
    parser.add_argument(
        "--off-sizes",
        default="1000,5000,10000",
        help="the N at which the 'off' variant runs (it is slow: one execution per subscriber)",
    )
    parser.add_argument("--messages", type=int, default=20, help="messages posted per run (M)")
    parser.add_argument("--rate", type=float, default=2.0, help="messages per second")
    parser.add_argument("--users", type=int, default=100, help="users the sockets belong to")
    parser.add_argument("--processes", type=int, default=4, help="load-generator processes")
    parser.add_argument("--port", type=int, default=20080, help="server port (baseline: +1)")
    parser.add_argument("--connect-timeout", type=float, default=240)
    parser.add_argument("--drain-seconds", type=float, default=60)
    parser.add_argument(
        "--profile", action="store_true", help="py-spy the server (bench/results/*profile*)"
    )
    parser.add_argument("--baseline-server", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--frame-bytes", type=int, default=300, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    raise_fd_limit()
    if args.baseline_server:
        baseline_server(args.baseline_server, args.frame_bytes)
        return 0

    RESULTS.mkdir(exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    variants = args.variants.split(",")
    runs: list[Run] = []
    out = RESULTS / f"fanout-{int(time.time())}.json"
    with tempfile.TemporaryDirectory(prefix="workchat-fanout-") as tmp:
        data_dir = Path(tmp)
        env = server_env(f"sqlite+aiosqlite:///{data_dir / 'fanout.db'}", data_dir)
        env |= {
            "WORKCHAT_MAX_SOCKETS_PER_USER": str(max(sizes) // args.users + 10),
            "WORKCHAT_ACCESS_TOKEN_TTL_SECONDS": "86400",
        }
        tokens, channel_id = setup(args, env)
        for n in sizes:
            frame_bytes = args.frame_bytes
            for variant in variants:
                if variant == "off" and str(n) not in args.off_sizes.split(","):
                    continue
                print(f"fanout: N={n} {variant} ...", flush=True)
                run = measure(variant, n, args, env, tokens, channel_id, frame_bytes, data_dir)
                if variant != "baseline" and run.frame_bytes:
                    frame_bytes = run.frame_bytes
                runs.append(run)
                out.write_text(
                    json.dumps({"args": vars(args), "runs": [asdict(r) for r in runs]}, indent=2)
                )
    print()
    print_table(runs, args)
    print(f"JSON in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
