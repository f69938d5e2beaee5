"""Search benchmark: latency per query class through GraphQL and in-process, against a naive
``LIKE '%word%'`` scan of the same data; and postMessage throughput with and without the
search index. Prints tables and writes JSON; asserts nothing about times
(docs/guides/contributing.md, "Benchmarks").

    .venv/bin/python bench/search.py --backend sqlite --messages 100000
    .venv/bin/python bench/search.py --backend postgres --messages 1000000 --reuse

See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import itertools
import json
import os
import platform
import random
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workchat.access import readable_channels_sql  # noqa: E402
from workchat.auth.authenticate import viewer_for  # noqa: E402
from workchat.auth.viewer import ALL_SCOPES, Viewer  # noqa: E402
from workchat.db.migrate import upgrade  # noqa: E402
from workchat.db.models import Channel, Message, User  # noqa: E402
from workchat.devdata.seed import (  # noqa: E402
    SEED_PASSWORD,
    VOCABULARY,
    ProgressBar,
    TextGenerator,
    seed_corpus,
)
from workchat.search import service  # noqa: E402
from workchat.search.ddl import POSTGRES_VECTOR_DROP, SQLITE_FTS_TRIGGER_NAMES  # noqa: E402
from workchat.search.query import parse  # noqa: E402
from workchat.services import Services  # noqa: E402
from workchat.settings import Settings  # noqa: E402

RESULTS = ROOT / "bench" / "results"
WORKCHAT = ROOT / ".venv" / "bin" / "workchat"
SECRET = "bench-secret-key-that-is-long-enough-0123456789abcdef"
LOGIN_EMAIL = "user0@org0.example.com"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432"
PAGE = 20

SEARCH = """
query Search($query: String!) {
  search(query: $query, first: 20) {
    edges { node { snippet message { id body author { displayName } } channel { name } } }
    totalCount
  }
}"""
LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { accessToken errors { code message } }
}"""
CHANNELS = "query { channels(first: 100) { edges { node { id name } } } }"
POST = """
mutation Post($input: PostMessageInput!) {
  postMessage(input: $input) { message { id } errors { code message } }
}"""


# The corpus ---------------------------------------------------------------------------------


@dataclass
class Corpus:
    backend: str
    messages: int
    url: str  # SQLAlchemy URL
    label: str
    seed_seconds: float | None = None
    seed_summary: dict[str, Any] = field(default_factory=dict)
    reused: bool = False

    @property
    def sidecar(self) -> Path:
        return RESULTS / f"corpus-{self.backend}-{self.messages}.json"


def corpus_shape(messages: int) -> tuple[int, int]:
    """Channels and users for a corpus: about 60 and 300 at 100k, 200 and 1,000 at 1M."""
    channels = max(20, round(messages**0.5 / 5))
    users = max(60, round(messages**0.5))
    return channels, users


def bench_settings(url: str, data_dir: Path) -> Settings:
    return Settings(
        env="dev",
        data_dir=data_dir,
        database_url=url,
        secret_key=SECRET,
        create_demo_org=False,
        access_token_ttl_seconds=24 * 3600,
    )


def sqlite_path(messages: int, suffix: str = "") -> Path:
    return RESULTS / f"corpus-sqlite-{messages}{suffix}.db"


# Databases are named <prefix>_<messages>; --database-prefix sets it (one per person on a
# shared server).
PG_PREFIX = ["workchat_bench"]


def pg_name(messages: int, suffix: str = "") -> str:
    return f"{PG_PREFIX[0]}_{messages}{suffix}"


async def pg_admin(base: str, *statements: str) -> None:
    conn = await asyncpg.connect(f"{base}/postgres")
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def pg_exists(base: str, name: str) -> bool:
    conn = await asyncpg.connect(f"{base}/postgres")
    try:
        return bool(await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await conn.close()


def remove_sqlite(path: Path) -> None:
    for extra in ("", "-wal", "-shm"):
        Path(str(path) + extra).unlink(missing_ok=True)


async def prepare_corpus(args: argparse.Namespace) -> Corpus:
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.backend == "sqlite":
        path = sqlite_path(args.messages)
        corpus = Corpus("sqlite", args.messages, f"sqlite+aiosqlite:///{path}", str(path))
        exists = path.exists()
    else:
        name = pg_name(args.messages)
        corpus = Corpus(
            "postgres", args.messages, f"{args.postgres_url}/{name}", f"postgres:{name}"
        )
        exists = await pg_exists(args.postgres_url, name)
    if args.reuse and exists and corpus.sidecar.exists():
        saved = json.loads(corpus.sidecar.read_text())
        corpus.seed_seconds, corpus.seed_summary = saved["seconds"], saved
        corpus.reused = True
        return corpus
    if args.backend == "sqlite":
        remove_sqlite(sqlite_path(args.messages))
    else:
        name = pg_name(args.messages)
        await pg_admin(
            args.postgres_url,
            f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
            f"CREATE DATABASE {name}",
        )
    channels, users = corpus_shape(args.messages)
    channels, users = args.channels or channels, args.users or users
    print(f"seeding {corpus.label}: {args.messages} messages, {channels} channels, {users} users")
    await asyncio.to_thread(upgrade, corpus.url)
    services = Services.create(bench_settings(corpus.url, RESULTS / "data"))
    await services.start()
    bar = ProgressBar(sys.stderr)
    try:
        summary = await seed_corpus(
            services, messages=args.messages, channels=channels, users=users, progress=bar
        )
    finally:
        bar.close()
        await services.close()
    saved = {**dataclasses.asdict(summary), "seeded_at": datetime.now(UTC).isoformat()}
    corpus.sidecar.write_text(json.dumps(saved, indent=2))
    corpus.seed_seconds, corpus.seed_summary = summary.seconds, saved
    print(f"seeded in {summary.seconds:.1f} s: {json.dumps(summary.phases)}")
    return corpus


# The queries --------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuerySet:
    classes: dict[str, list[str]]
    # The plain word behind each common/rare query, for the LIKE baseline.
    like_words: dict[str, list[str]]


async def build_queries(services: Services, viewer: Viewer) -> QuerySet:
    """Over 40 queries in six classes, from the vocabulary's ranks and the corpus's dates and
    channels (so they fit whatever corpus was seeded)."""
    async with services.db.read_session() as session:
        newest = await session.scalar(select(func.max(Message.created_at)))
        oldest = await session.scalar(select(func.min(Message.created_at)))
        public = list(
            await session.execute(
                select(Channel.name, Channel.last_seq)
                .where(readable_channels_sql(viewer), Channel.is_private.is_(False))
                .order_by(Channel.last_seq.desc())
            )
        )
    assert newest is not None and oldest is not None
    busy = public[1].name if len(public) > 1 else "general"
    quiet = public[-1].name

    def day(fraction: float) -> str:
        return (oldest + (newest - oldest) * fraction).date().isoformat()

    month_ago = (newest - timedelta(days=30)).date().isoformat()
    common = ["the", "deploy", "to", "build", "fix", "thanks", "merge", "review"]
    rare_ranks = (2600, 3000, 3200, 3500, 4000, 4200, 4600, 4990)
    rare = [VOCABULARY[r] for r in rare_ranks]
    classes = {
        "common word": common,
        "rare word": rare,
        "phrase": [
            '"code review"',
            '"flaky test"',
            '"on call"',
            '"out of office"',
            '"root cause analysis"',
            '"deploy the"',
            '"the build is"',
            '"merge conflict"',
        ],
        "prefix": ["dep*", "depl*", "re*", "te*", "caf*", "incid*", "kube*", "rol*"],
        "operators": [
            "deploy in:general",
            f"the in:{busy}",
            f"fix in:{quiet}",
            "from:user1 deploy",
            "from:me the",
            "has:link github",
            "has:link",
            f"before:{day(0.5)} deploy",
            f"after:{month_ago} rollback",
            f"on:{day(0.9)} the",
            "is:thread deploy",
            "is:thread",
            "is:reply fix",
            "has:reaction thanks",
            "deploy -the",
            "the -deploy -build",
            '"code review" -the in:general',
            f"-in:general the after:{month_ago}",
        ],
        "non-ascii": ["café", "naïve", "日本語", "zürich", "straße", "東京", "résumé", "caf*"],
    }
    return QuerySet(classes, {"common word": common, "rare word": rare})


# Measuring ----------------------------------------------------------------------------------


Call = Callable[[str], Awaitable[int]]


@dataclass
class Sample:
    cls: str
    path: str
    clients: int
    latencies: list[float]
    per_query: dict[str, list[float]]
    errors: int
    seconds: float

    def summary(self) -> dict[str, Any]:
        return {
            "class": self.cls,
            "path": self.path,
            "clients": self.clients,
            "requests": len(self.latencies),
            "errors": self.errors,
            "throughput_per_s": round(len(self.latencies) / self.seconds, 1),
            **percentiles(self.latencies),
            "per_query_p50_ms": {q: round(pct(v, 50), 2) for q, v in self.per_query.items()},
            "per_query_max_ms": {q: round(max(v), 2) for q, v in self.per_query.items()},
        }


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def percentiles(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(pct(values, 50), 2),
        "p95_ms": round(pct(values, 95), 2),
        "p99_ms": round(pct(values, 99), 2),
        "mean_ms": round(statistics.fmean(values), 2) if values else float("nan"),
    }


async def measure(
    cls: str, path: str, call: Call, queries: list[str], clients: int, seconds: float
) -> Sample:
    """``clients`` workers issue the class's queries in rotation for ``seconds`` (and at least
    two rounds of every query)."""
    latencies: list[float] = []
    per_query: dict[str, list[float]] = {q: [] for q in queries}
    errors = 0
    counter = itertools.count()
    minimum = 2 * len(queries)
    started = time.perf_counter()
    deadline = started + seconds

    async def worker() -> None:
        nonlocal errors
        while True:
            n = next(counter)
            if n >= minimum and time.perf_counter() >= deadline:
                return
            query = queries[n % len(queries)]
            t0 = time.perf_counter()
            try:
                await call(query)
            except Exception as error:
                errors += 1
                if errors <= 3:
                    print(f"  ! {path} {query!r}: {error}", file=sys.stderr)
                continue
            elapsed = (time.perf_counter() - t0) * 1000
            latencies.append(elapsed)
            per_query[query].append(elapsed)

    await asyncio.gather(*(worker() for _ in range(clients)))
    return Sample(cls, path, clients, latencies, per_query, errors, time.perf_counter() - started)


class GraphQLClient:
    def __init__(self, base: str) -> None:
        self.http = httpx.AsyncClient(
            base_url=base, timeout=120, limits=httpx.Limits(max_connections=64)
        )
        self.token: str | None = None

    async def execute(self, document: str, variables: dict[str, Any] | None = None) -> Any:
        headers = {"authorization": f"Bearer {self.token}"} if self.token else {}
        response = await self.http.post(
            "/graphql", json={"query": document, "variables": variables or {}}, headers=headers
        )
        body = response.json()
        if response.status_code != 200 or body.get("errors"):
            raise RuntimeError(f"HTTP {response.status_code}: {json.dumps(body)[:300]}")
        return body["data"]

    async def login(self, email: str, password: str) -> None:
        data = await self.execute(LOGIN, {"email": email, "password": password})
        if not data["login"]["accessToken"]:
            raise RuntimeError(f"login failed: {data}")
        self.token = data["login"]["accessToken"]

    async def search(self, query: str) -> int:
        data = await self.execute(SEARCH, {"query": query})
        return int(data["search"]["totalCount"])

    async def close(self) -> None:
        await self.http.aclose()


class Direct:
    """The service functions in-process, as the search resolver calls them."""

    def __init__(self, services: Services, viewer: Viewer) -> None:
        self.services, self.viewer = services, viewer

    async def search(self, query: str) -> int:
        parsed = parse(query)
        async with self.services.db.read_session() as session:
            scope = await service.resolve_scope(session, self.viewer, parsed)
            await service.search_messages(
                session, parsed, scope, limit=PAGE, offset=0, sort=service.SearchSort.RELEVANCE
            )
        async with self.services.db.read_session() as session:
            count, _exact = await service.count_matches(session, parsed, scope)
        return count


class LikeBaseline:
    """What search would be without an index: scan the readable channels' bodies."""

    def __init__(self, services: Services, viewer: Viewer, words: dict[str, str]) -> None:
        self.services, self.viewer, self.words = services, viewer, words
        self.channel_ids: list[Any] = []

    async def prepare(self) -> None:
        async with self.services.db.read_session() as session:
            self.channel_ids = list(
                await session.scalars(select(Channel.id).where(readable_channels_sql(self.viewer)))
            )

    async def search(self, query: str) -> int:
        word = self.words[query]
        pattern = f"%{word}%"
        condition = (
            Message.body.like(pattern)  # case-insensitive for ASCII on SQLite
            if self.services.db.is_sqlite
            else Message.body.ilike(pattern)
        )
        async with self.services.db.read_session() as session:
            rows = (
                await session.execute(
                    select(Message.id, Message.body, Message.created_at)
                    .where(
                        Message.channel_id.in_(self.channel_ids),
                        Message.deleted_at.is_(None),
                        condition,
                    )
                    .order_by(Message.created_at.desc())
                    .limit(PAGE)
                )
            ).all()
        return len(rows)


# The server ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """``workchat serve`` in a subprocess, pointed at one database."""

    def __init__(
        self,
        url: str,
        label: str,
        source: Path | None = None,
        *,
        workers: int = 1,
        bus: str | None = None,
    ) -> None:
        self.url, self.label, self.source = url, label, source
        self.workers, self.bus = workers, bus
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.log = RESULTS / f"server-{label}.log"

    def _spawn(self) -> subprocess.Popen[bytes]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WORKCHAT_")}
        env.update(
            {
                "WORKCHAT_DATABASE_URL": self.url,
                "WORKCHAT_DATA_DIR": str(RESULTS / "data"),
                "WORKCHAT_ENV": "dev",
                "WORKCHAT_CREATE_DEMO_ORG": "false",
                "WORKCHAT_SECRET_KEY": SECRET,
                "WORKCHAT_ACCESS_TOKEN_TTL_SECONDS": str(24 * 3600),
            }
        )
        if self.source is not None:
            # Another checkout's workchat package shadows the installed one.
            env["PYTHONPATH"] = str(self.source)
        if self.bus is not None:  # several workers need a shared bus (and counters)
            env["WORKCHAT_BROADCAST_URL"] = self.bus
        command = [str(WORKCHAT), "serve", "--port", str(self.port), "--log-level", "warning"]
        if self.workers > 1:
            command += ["--workers", str(self.workers)]
        with open(self.log, "wb") as log:
            return subprocess.Popen(
                command,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=RESULTS,
            )

    async def start(self) -> None:
        self.process = self._spawn()
        async with httpx.AsyncClient(base_url=self.base) as client:
            for _ in range(600 * self.workers):
                if self.process.poll() is not None:
                    raise RuntimeError(f"the server exited; see {self.log}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get("/healthz")).status_code == 200:
                        return
                await asyncio.sleep(0.1)
        raise RuntimeError(f"the server did not start; see {self.log}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


# postMessage throughput ------------------------------------------------------------------------


async def copy_database(args: argparse.Namespace, corpus: Corpus, suffix: str) -> str:
    """A fresh copy of the corpus for writing to (the corpus itself stays as seeded)."""
    if corpus.backend == "sqlite":
        target = sqlite_path(corpus.messages, suffix)
        remove_sqlite(target)

        def backup() -> None:
            with (
                contextlib.closing(sqlite3.connect(sqlite_path(corpus.messages))) as source,
                contextlib.closing(sqlite3.connect(target)) as copy,
            ):
                source.backup(copy)
                copy.execute("PRAGMA journal_mode=WAL")

        await asyncio.to_thread(backup)
        return f"sqlite+aiosqlite:///{target}"
    name = pg_name(corpus.messages, suffix)
    await pg_admin(
        args.postgres_url,
        f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
        f"CREATE DATABASE {name} TEMPLATE {pg_name(corpus.messages)}",
    )
    return f"{args.postgres_url}/{name}"


async def drop_index(args: argparse.Namespace, corpus: Corpus, suffix: str) -> None:
    if corpus.backend == "sqlite":
        with contextlib.closing(sqlite3.connect(sqlite_path(corpus.messages, suffix))) as conn:
            for name in SQLITE_FTS_TRIGGER_NAMES:
                conn.execute(f"DROP TRIGGER IF EXISTS {name}")
            conn.commit()
    else:
        conn = await asyncpg.connect(f"{args.postgres_url}/{pg_name(corpus.messages, suffix)}")
        try:
            # The stored tsvector is index upkeep too: without the index, no parsing at all.
            await conn.execute(POSTGRES_VECTOR_DROP)
        finally:
            await conn.close()


async def remove_copy(args: argparse.Namespace, corpus: Corpus, suffix: str) -> None:
    if corpus.backend == "sqlite":
        remove_sqlite(sqlite_path(corpus.messages, suffix))
    else:
        name = pg_name(corpus.messages, suffix)
        await pg_admin(args.postgres_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


async def general_channel(client: GraphQLClient) -> str:
    data = await client.execute(CHANNELS)
    for edge in data["channels"]["edges"]:
        if edge["node"]["name"] == "general":
            return str(edge["node"]["id"])
    raise RuntimeError("no #general")


async def post_throughput(args: argparse.Namespace, corpus: Corpus) -> dict[str, Any]:
    """Sequential postMessage through GraphQL on two copies of the corpus, one without the
    search index; alternating rounds so drift (cache, file growth) hits both alike."""
    variants = {"with_index": "_post_index", "without_index": "_post_noindex"}
    for suffix in variants.values():
        await copy_database(args, corpus, suffix)
    await drop_index(args, corpus, variants["without_index"])
    servers: dict[str, Server] = {}
    clients: dict[str, GraphQLClient] = {}
    channels: dict[str, str] = {}
    latencies: dict[str, list[float]] = {name: [] for name in variants}
    spent: dict[str, float] = dict.fromkeys(variants, 0.0)
    bodies = TextGenerator(random.Random(7)).bodies(5000)
    rounds = 4
    try:
        for name, suffix in variants.items():
            url = (
                f"sqlite+aiosqlite:///{sqlite_path(corpus.messages, suffix)}"
                if corpus.backend == "sqlite"
                else f"{args.postgres_url}/{pg_name(corpus.messages, suffix)}"
            )
            servers[name] = Server(url, f"{corpus.backend}-{corpus.messages}{suffix}")
            await servers[name].start()
            clients[name] = GraphQLClient(servers[name].base)
            await clients[name].login(LOGIN_EMAIL, SEED_PASSWORD)
            channels[name] = await general_channel(clients[name])
        # Warm up both.
        for name in variants:
            for body in bodies[:20]:
                await post(clients[name], channels[name], body)
        n = 20
        for _ in range(rounds):
            for name in variants:
                deadline = time.perf_counter() + args.post_seconds / rounds
                t_start = time.perf_counter()
                while time.perf_counter() < deadline:
                    t0 = time.perf_counter()
                    await post(clients[name], channels[name], bodies[n % len(bodies)])
                    latencies[name].append((time.perf_counter() - t0) * 1000)
                    n += 1
                spent[name] += time.perf_counter() - t_start
    finally:
        for client in clients.values():
            await client.close()
        for server in servers.values():
            server.stop()
        for suffix in variants.values():
            await remove_copy(args, corpus, suffix)
    result: dict[str, Any] = {}
    for name in variants:
        result[name] = {
            "posts": len(latencies[name]),
            "per_second": round(len(latencies[name]) / spent[name], 1),
            **percentiles(latencies[name]),
        }
    result["ratio_with_to_without"] = round(
        result["with_index"]["per_second"] / result["without_index"]["per_second"], 3
    )
    return result


async def post(client: GraphQLClient, channel_id: str, body: str) -> None:
    data = await client.execute(POST, {"input": {"channelId": channel_id, "body": body}})
    if data["postMessage"]["errors"]:
        raise RuntimeError(str(data["postMessage"]["errors"]))


# Reporting ----------------------------------------------------------------------------------


def print_tables(corpus: Corpus, samples: list[Sample], clients: list[int]) -> None:
    by_key = {(s.cls, s.path, s.clients): s for s in samples}
    classes = list(dict.fromkeys(s.cls for s in samples))
    title = f"{corpus.backend}, {corpus.messages:,} messages"
    print(f"\n=== search latency (ms): {title} ===")
    for n in clients:
        header = f"{'class':<12} | {'GraphQL p50/p95/p99':>22} | {'direct p50/p95/p99':>22}"
        header += f" | {'LIKE p50/p95/p99':>24} | {'LIKE/GraphQL p50':>8}"
        print(f"\n{n} client{'s' if n > 1 else ''}\n{header}\n{'-' * len(header)}")
        for cls in classes:
            cells = []
            for path in ("graphql", "direct", "like"):
                s = by_key.get((cls, path, n))
                if s is None or not s.latencies:
                    cells.append("-")
                    continue
                p = percentiles(s.latencies)
                cells.append(f"{p['p50_ms']:.1f}/{p['p95_ms']:.1f}/{p['p99_ms']:.1f}")
            ratio = "-"
            g, like = by_key.get((cls, "graphql", n)), by_key.get((cls, "like", n))
            if g and like and g.latencies and like.latencies:
                ratio = f"{pct(like.latencies, 50) / pct(g.latencies, 50):.0f}x"
            print(f"{cls:<12} | {cells[0]:>22} | {cells[1]:>22} | {cells[2]:>24} | {ratio:>8}")


def print_slowest(samples: list[Sample], clients: int, path: str = "graphql") -> None:
    print(f"\nslowest queries per class ({path}, {clients} client, p50 ms)")
    for s in samples:
        if s.path != path or s.clients != clients:
            continue
        worst = sorted(s.per_query.items(), key=lambda item: -pct(item[1], 50))[:3]
        listed = ", ".join(f"{q} {pct(v, 50):.0f}" for q, v in worst)
        print(f"  {s.cls:<12} {listed}")


def print_post(corpus: Corpus, result: dict[str, Any]) -> None:
    print(f"\n=== postMessage, sequential, GraphQL: {corpus.backend}, {corpus.messages:,} ===")
    for name in ("with_index", "without_index"):
        r = result[name]
        print(
            f"{name:<14} {r['per_second']:>7.1f} msg/s  p50 {r['p50_ms']:.1f} ms"
            f"  p95 {r['p95_ms']:.1f} ms  ({r['posts']} posts)"
        )
    print(f"with/without index: {result['ratio_with_to_without']:.2f}")


# Main ---------------------------------------------------------------------------------------


async def workers_throughput(
    args: argparse.Namespace, corpus: Corpus, queries: QuerySet
) -> dict[str, Any]:
    """Searches/s through GraphQL with ``workchat serve --workers N`` for each N: every query
    class mixed, ``max(--clients)`` concurrent clients, ``--duration-per-class`` seconds per
    class in all. Each server is started, warmed up with every query once, measured, stopped."""
    if corpus.backend != "postgres":
        raise SystemExit("--workers measures PostgreSQL only (SQLite serves one process)")
    clients = max(int(c) for c in args.clients.split(","))
    mixed = [query for items in queries.classes.values() for query in items]
    seconds = args.duration_per_class * len(queries.classes)
    results = []
    for workers in (int(w) for w in args.workers.split(",")):
        label = f"{corpus.backend}-{corpus.messages}-workers{workers}"
        server = Server(corpus.url, label, args.server_source, workers=workers, bus=args.redis_url)
        client = GraphQLClient(server.base)
        try:
            await server.start()
            await client.login(LOGIN_EMAIL, SEED_PASSWORD)
            for query in mixed:
                await client.search(query)
            sample = await measure("mixed", "graphql", client.search, mixed, clients, seconds)
        finally:
            await client.close()
            server.stop()
        summary = {"workers": workers, **sample.summary()}
        results.append(summary)
        print(
            f"  --workers {workers}: {summary['throughput_per_s']:>7.1f} searches/s "
            f"({summary['requests']} in {sample.seconds:.1f} s, {clients} clients, "
            f"{summary['errors']} errors) p50 {summary['p50_ms']:.1f} ms "
            f"p95 {summary['p95_ms']:.1f} ms",
            flush=True,
        )
    return {
        "backend": corpus.backend,
        "messages": corpus.messages,
        "database": corpus.label,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "measured_at": datetime.now(UTC).isoformat(),
        "clients": clients,
        "seconds_per_server": seconds,
        "workers": results,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    corpus = await prepare_corpus(args)
    if args.seed_only:
        return {"backend": corpus.backend, "messages": corpus.messages, "seed": corpus.seed_summary}
    client_counts = [int(c) for c in args.clients.split(",")]
    services = Services.create(bench_settings(corpus.url, RESULTS / "data"))
    await services.start()
    server = Server(corpus.url, f"{corpus.backend}-{corpus.messages}", args.server_source)
    graphql = GraphQLClient(server.base)
    samples: list[Sample] = []
    matches: dict[str, dict[str, int]] = {}
    try:
        async with services.db.read_session() as session:
            user = await session.scalar(select(User).where(User.email == LOGIN_EMAIL))
        assert user is not None, "the corpus has no seeded login user"
        viewer = viewer_for(user, ALL_SCOPES, via="graphql", request_id=None)
        queries = await build_queries(services, viewer)
        total = sum(len(q) for q in queries.classes.values())
        print(f"{total} queries in {len(queries.classes)} classes; corpus {corpus.label}")
        if args.workers:
            return await workers_throughput(args, corpus, queries)
        await server.start()
        await graphql.login(LOGIN_EMAIL, SEED_PASSWORD)
        direct = Direct(services, viewer)
        like_words = {w: w for words in queries.like_words.values() for w in words}
        like = LikeBaseline(services, viewer, like_words)
        await like.prepare()
        # Warm up every path once per query; keep the match counts (capped at 1,000).
        for items in queries.classes.values():
            for query in items:
                matches[query] = {
                    "graphql": await graphql.search(query),
                    "direct": await direct.search(query),
                }
                if query in like_words:
                    matches[query]["like_page"] = await like.search(query)
                if matches[query]["graphql"] != matches[query]["direct"]:
                    print(f"  ! {query!r}: GraphQL counted {matches[query]}", file=sys.stderr)
        paths: list[tuple[str, Call, Callable[[str], bool]]] = [
            ("graphql", graphql.search, lambda cls: True),
            ("direct", direct.search, lambda cls: True),
            ("like", like.search, lambda cls: cls in queries.like_words),
        ]
        paths = [p for p in paths if p[0] in args.paths.split(",")]
        for n in client_counts:
            for cls, items in queries.classes.items():
                for path, call, applies in paths:
                    if not applies(cls):
                        continue
                    seconds = args.duration_per_class
                    sample = await measure(cls, path, call, items, n, seconds)
                    p = percentiles(sample.latencies)
                    print(
                        f"  {n:>2} client(s) {cls:<12} {path:<8} n={len(sample.latencies):<5}"
                        f" p50 {p['p50_ms']:>8.1f}  p95 {p['p95_ms']:>8.1f}"
                        f"  p99 {p['p99_ms']:>8.1f} ms",
                        flush=True,
                    )
                    samples.append(sample)
    finally:
        await graphql.close()
        server.stop()
        await services.close()
    print_tables(corpus, samples, client_counts)
    if client_counts:
        print_slowest(samples, client_counts[0], "graphql" if "graphql" in args.paths else "direct")
    post_result: dict[str, Any] | None = None
    if args.post_seconds > 0:
        post_result = await post_throughput(args, corpus)
        print_post(corpus, post_result)
    return {
        "backend": corpus.backend,
        "messages": corpus.messages,
        "database": corpus.label,
        "corpus_reused": corpus.reused,
        "seed_seconds": corpus.seed_seconds,
        "seed": corpus.seed_summary,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
        },
        "measured_at": datetime.now(UTC).isoformat(),
        "duration_per_class_s": args.duration_per_class,
        "queries": {cls: items for cls, items in queries.classes.items()},
        "matches_capped_1000": matches,
        "results": [s.summary() for s in samples],
        "post_message": post_result,
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), required=True)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--channels", type=int, help="default: from --messages")
    parser.add_argument("--users", type=int, help="default: from --messages")
    parser.add_argument("--reuse", action="store_true", help="reuse a corpus seeded earlier")
    parser.add_argument("--seed-only", action="store_true", help="prepare the corpus, then stop")
    parser.add_argument("--clients", default="1,20")
    parser.add_argument("--duration-per-class", type=float, default=5.0, metavar="S")
    parser.add_argument("--paths", default="graphql,direct,like", help="which paths to measure")
    parser.add_argument(
        "--server-source",
        type=Path,
        help="run the server from this checkout (PYTHONPATH), e.g. to measure a patch",
    )
    parser.add_argument(
        "--post-seconds", type=float, default=20.0, help="per variant; 0 skips postMessage"
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("WORKCHAT_BENCH_POSTGRES_URL", DEFAULT_PG),
        help="server URL without a database name",
    )
    parser.add_argument(
        "--database-prefix",
        default="workchat_bench",
        help="PostgreSQL corpus databases are named PREFIX_<messages>",
    )
    parser.add_argument(
        "--workers",
        help="e.g. 1,2: only measure searches/s with `serve --workers N` for each N "
        "(PostgreSQL; needs --redis-url)",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("WORKCHAT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
        help="the bus (and rate-limit counters) of the servers --workers starts",
    )
    parser.add_argument(
        "--json", type=Path, help="default: bench/results/search-<backend>-<N>.json"
    )
    args = parser.parse_args(argv)
    args.postgres_url = args.postgres_url.rstrip("/")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    PG_PREFIX[0] = args.database_prefix
    result = asyncio.run(run(args))
    if args.seed_only:
        return 0
    suffix = "-workers" if args.workers else ""
    out = args.json or RESULTS / f"search-{args.backend}-{args.messages}{suffix}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
