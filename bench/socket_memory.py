"""What one idle ``channelEvents`` subscriber costs the server: memory and GC-tracked objects.

    .venv/bin/python bench/socket_memory.py --sockets 500
    .venv/bin/python bench/socket_memory.py --sockets 500 --frames 12 --top 30

Creates a temporary SQLite database with an org and ``--users`` users joined to one channel
(as ``bench/fanout.py`` does), then serves the app in this process under uvicorn with the
options of ``workchat serve`` (``workchat.serving.uvicorn_options``). A few warm-up sockets
connect first (lazy imports, caches and the subscription's delivery group exist before the
measurement starts), then ``--sockets`` graphql-transport-ws sockets connect from a separate
load-generator process, each subscribed to ``channelEvents`` with the fan-out selection, and
messages are posted until every socket has received one (the subscriptions are live and
parked). Then it prints, per socket:

- RSS growth (KiB), tracemalloc growth (KiB) and GC-tracked objects;
- the top allocators (tracemalloc, grouped by ``--group``: ``traceback`` with ``--frames``
  frames, ``lineno`` or ``filename``);
- the top GC-tracked types;
- the time of a full (generation 2) collection with every socket connected.

Memory and object counts are what it is for; the collection time is a wall-clock figure on
a shared machine, to compare before/after in the same conditions. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing as mp
import os
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.fanout import _publish, proc_rss_kib, raise_fd_limit, receiver_process, setup  # noqa: E402
from bench.load_smoke import server_env  # noqa: E402

WARM_SOCKETS = 10


def type_histogram() -> Counter[str]:
    """GC-tracked objects by type; coroutines, generators and frames also by their code."""
    counts: Counter[str] = Counter()
    for o in gc.get_objects():
        name = f"{type(o).__module__}.{type(o).__qualname__}"
        code = getattr(o, "cr_code", None) or getattr(o, "ag_code", None)
        code = code or getattr(o, "gi_code", None) or getattr(o, "f_code", None)
        counts[f"{name} {code.co_qualname}" if code is not None else name] += 1
    return counts


class Clients:
    """Sockets opened from one spawned load-generator process."""

    def __init__(self, url: str, tokens: list[str], channel_id: str) -> None:
        ctx = mp.get_context("spawn")
        self.connected, self.warm, self.received = (ctx.Value("i", 0) for _ in range(3))
        self.stop, self.out = ctx.Event(), ctx.Queue()
        self.process = ctx.Process(
            target=receiver_process,
            args=(url, tokens, channel_id, self.connected, self.warm, self.received,
                  self.stop, self.out),
        )  # fmt: skip
        self.count = len(tokens)
        self.process.start()

    async def live(self, base: str, token: str, channel_id: str, seconds: float) -> None:
        """Wait until every socket is connected and has received a message."""
        deadline = time.monotonic() + seconds
        # Counters shared with another process: nothing to await on, so poll.
        while self.connected.value < self.count and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.2)
        while self.warm.value < self.connected.value and time.monotonic() < deadline:
            await asyncio.to_thread(_publish, "workchat", base, token, channel_id, -1)
            for _ in range(20):
                if self.warm.value >= self.connected.value:
                    break
                await asyncio.sleep(0.1)
        if self.warm.value < self.count:
            raise SystemExit(f"only {self.warm.value}/{self.count} sockets are live")

    def close(self) -> None:
        self.stop.set()
        self.process.join(timeout=30)
        if self.process.is_alive():
            self.process.kill()


async def measure(args: argparse.Namespace, tokens: list[str], channel_id: str) -> None:
    import uvicorn

    from workchat.app import create_app
    from workchat.serving import uvicorn_options
    from workchat.settings import Settings

    settings = Settings.from_env()
    options = uvicorn_options(settings, "warning") | {"loop": "none"}
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=args.port, **options)
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    base, url = f"http://127.0.0.1:{args.port}", f"ws://127.0.0.1:{args.port}/graphql"
    warm = Clients(url, tokens[:WARM_SOCKETS], channel_id)
    clients: Clients | None = None
    try:
        await warm.live(base, tokens[0], channel_id, args.timeout)
        await asyncio.sleep(1.0)
        if args.frames:
            tracemalloc.start(args.frames)
        gc.collect()
        before_rss, before_hist = proc_rss_kib(os.getpid()), type_histogram()
        before = tracemalloc.take_snapshot() if args.frames else None
        assigned = [tokens[i % len(tokens)] for i in range(args.sockets)]
        clients = Clients(url, assigned, channel_id)
        await clients.live(base, tokens[0], channel_id, args.timeout)
        await asyncio.sleep(1.0)
        gc.collect()
        after = tracemalloc.take_snapshot() if args.frames else None
        after_rss, after_hist = proc_rss_kib(os.getpid()), type_histogram()
        tracemalloc.stop()
        report(args, before_rss, after_rss, before_hist, after_hist, before, after)
        for name in filter(None, args.holders.split(",")):
            holders(name)
        collection_time(args)
    finally:
        for group in (clients, warm):
            if group is not None:
                group.close()
        server.should_exit = True
        await serving


def report(
    args: argparse.Namespace,
    before_rss: int,
    after_rss: int,
    before_hist: Counter[str],
    after_hist: Counter[str],
    before: tracemalloc.Snapshot | None,
    after: tracemalloc.Snapshot | None,
) -> None:
    n = args.sockets
    objects = sum(after_hist.values()) - sum(before_hist.values())

    print(f"sockets: {n}")
    print(f"RSS: {(after_rss - before_rss) / n:.1f} KiB per socket")
    print(f"GC-tracked objects: {objects / n:.1f} per socket")
    if before is not None and after is not None:
        total = sum(s.size_diff for s in after.compare_to(before, "filename"))
        print(f"tracemalloc: {total / n / 1024:.1f} KiB per socket")
        for group in args.group.split(","):
            print(f"\ntop allocators (by {group}), bytes and blocks per socket:")
            for stat in after.compare_to(before, group)[: args.top]:
                if stat.size_diff <= 0:
                    break
                frames = stat.traceback.format(most_recent_first=True)
                where = " <- ".join(_short(line) for line in frames if not line.startswith("    "))
                print(f"{stat.size_diff / n:9.0f} B {stat.count_diff / n:7.1f}  {where[:600]}")
    print("\ntop GC-tracked types, per socket:")
    diff = after_hist.copy()
    diff.subtract(before_hist)
    for name, count in diff.most_common(args.top):
        if count <= 0:
            break
        print(f"{count / n:8.2f}  {name}")


def holders(type_name: str, depth: int = 4) -> None:
    """Who holds the newest object of a type (by qualified name): referrer types, a few
    levels up, to find what keeps per-socket state alive."""
    found = [o for o in gc.get_objects() if type(o).__qualname__ == type_name]
    print(f"\nholders of a {type_name} ({len(found)} alive):")
    mine: set[int] = {id(found)}
    level: list[Any] = found[-1:]
    mine.add(id(level))
    for step in range(depth):
        nxt: list[Any] = []
        mine.add(id(nxt))
        for obj in level[:2]:
            refs = gc.get_referrers(obj)
            mine.add(id(refs))
            refs = [
                r for r in refs if id(r) not in mine and not isinstance(r, type(sys._getframe()))
            ]
            mine.add(id(refs))
            print(f"{'  ' * step}{_describe(obj)} <- {', '.join(_describe(r) for r in refs[:6])}")
            nxt.extend(refs[:2])
        level = nxt
        mine.add(id(level))


def _describe(obj: Any) -> str:
    if isinstance(obj, dict):
        return f"dict{sorted(map(str, obj))[:5]}"
    if type(obj).__name__ in ("frame", "coroutine", "generator", "async_generator"):
        code = getattr(obj, "f_code", None) or getattr(obj, "cr_code", None)
        code = code or getattr(obj, "gi_code", None) or getattr(obj, "ag_code", None)
        return f"{type(obj).__name__}:{getattr(code, 'co_qualname', '?')}"
    return type(obj).__qualname__


def _short(line: str) -> str:
    """``File "…/site-packages/x/y.py", line 3`` as ``x/y.py:3``."""
    line = line.strip().removeprefix('File "')
    path, _, lineno = line.partition('", line ')
    for marker in ("site-packages/", "python3.11/", str(HERE.parent) + "/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{path}:{lineno}" if lineno else path


def collection_time(args: argparse.Namespace) -> None:
    tracked = len(gc.get_objects())
    times = []
    for _ in range(3):
        start = time.perf_counter()
        gc.collect(2)
        times.append(time.perf_counter() - start)
    print(
        f"\nfull collection with {args.sockets} sockets: {tracked} tracked objects "
        f"(not frozen), {min(times) * 1000:.0f} ms (best of 3)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockets", type=int, default=500)
    parser.add_argument("--users", type=int, default=50, help="users the sockets belong to")
    parser.add_argument("--port", type=int, default=20090)
    parser.add_argument("--frames", type=int, default=8, help="tracemalloc frames; 0: off")
    parser.add_argument(
        "--group",
        default="filename,lineno,traceback",
        help="tracemalloc groupings, comma-separated: filename, lineno, traceback",
    )
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument(
        "--holders", default="", help="types (qualified names, comma-separated): who holds one"
    )
    parser.add_argument("--timeout", type=float, default=240)
    args = parser.parse_args(argv)
    raise_fd_limit()
    with tempfile.TemporaryDirectory(prefix="workchat-socket-memory-") as tmp:
        data_dir = Path(tmp)
        env = server_env(f"sqlite+aiosqlite:///{data_dir / 'memory.db'}", data_dir)
        env |= {
            "WORKCHAT_MAX_SOCKETS_PER_USER": str(args.sockets // args.users + 10),
            "WORKCHAT_ACCESS_TOKEN_TTL_SECONDS": "86400",
        }
        tokens, channel_id = setup(args, env)
        os.environ.clear()
        os.environ.update(env)
        import uvloop

        uvloop.run(measure(args, tokens, channel_id))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
