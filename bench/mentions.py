"""What an "@mention" costs a post in a big channel: the indexed candidate read against the
read of every member's name it replaced.

    .venv/bin/python bench/mentions.py --members 1000,10000,50000
    .venv/bin/python bench/mentions.py --members 10000 --postgres-url postgresql://postgres@127.0.0.1:5432/postgres

For each backend (SQLite always, PostgreSQL when a URL is given: a new database, dropped
afterwards) and each channel size M: a fresh database with one org whose channel holds M
members (bulk-inserted; display names "First Last N" with 200 first names, so a first word,
the mention key, is shared by about M/200 members), then, in this process:

- ``post``: ``post_message`` through the action, without an "@" (the baseline: no mention
  work at all);
- ``post @mention``: the same with "@First Last N" in the body (the indexed read of the
  users whose mention key follows an "@");
- ``all names``: the read this replaced, alone in a write transaction: every member's name
  loaded, then matched in Python (``find_mentions``). A post with a mention paid this on
  top of ``post`` before migration 0011, holding SQLite's write lock meanwhile.

Prints ms per call (p50, p95, mean) per row, and the mention's extra cost over the plain
post; JSON to ``bench/results/mentions-<time>.json``. Wall-clock figures on a shared
machine: compare the rows of one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from load_smoke import server_env  # noqa: E402
from sqlalchemy import bindparam, insert, select  # noqa: E402
from writes import create_postgres_database, drop_postgres_database  # noqa: E402

from workchat.actions import channels as ch  # noqa: E402
from workchat.actions import messages as msg  # noqa: E402
from workchat.actions.mentions import find_mentions, mention_key  # noqa: E402
from workchat.actions.orgs import create_org  # noqa: E402
from workchat.auth.authenticate import viewer_for  # noqa: E402
from workchat.auth.viewer import ALL_SCOPES, Viewer, system  # noqa: E402
from workchat.db.base import table_of, utcnow  # noqa: E402
from workchat.db.migrate import upgrade  # noqa: E402
from workchat.db.models import Channel, Membership, User  # noqa: E402
from workchat.services import Services  # noqa: E402
from workchat.settings import Settings  # noqa: E402

RESULTS = HERE / "results"
# 200 first names (two syllables each): a first word, the mention key, is shared by about
# one member in 200, as a common first name is in a big org.
FIRST = tuple(
    a + b
    for a in ("Ka", "Lo", "Mi", "No", "Pe", "Ra", "Si", "Ta", "Vu", "Ze")
    for b in (
        "ra",
        "ne",
        "lo",
        "mi",
        "ko",
        "sa",
        "ti",
        "vo",
        "de",
        "yu",
        "ba",
        "ce",
        "fa",
        "gi",
        "ho",
        "ju",
        "le",
        "ma",
        "nu",
        "po",
    )
)
LAST = ("Lee", "Kim", "Diaz", "Berg")
BATCH = 5_000
# The read mention resolution made before users.mention_key (migration 0011): every member.
ALL_MEMBER_NAMES = (
    select(User.id, User.display_name)
    .join(Membership, Membership.user_id == User.id)
    .where(Membership.channel_id == bindparam("channel_id"))
)


def display_name(n: int) -> str:
    return f"{FIRST[n % len(FIRST)]} {LAST[(n // len(FIRST)) % len(LAST)]} {n}"


async def populate(services: Services, members: int) -> tuple[Viewer, Channel, list[str]]:
    """An org, its admin and a channel of ``members`` members (the admin among them)."""
    org = await create_org(services, system(operation="bench"), "Mentions")
    names: list[str] = []
    users, memberships = table_of(User), table_of(Membership)
    now = utcnow()
    channel = None
    admin = None
    for start in range(0, members, BATCH):
        rows = []
        for n in range(start, min(start + BATCH, members)):
            names.append(display_name(n))
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "org_id": org.id,
                    "email": f"m{n}@mentions.example.com",
                    "display_name": names[-1],
                    "mention_key": mention_key(names[-1]),
                    "role": "admin" if n == 0 else "member",
                    "password_hash": None,
                    "is_active": True,
                    "created_at": now,
                }
            )
        async with services.db.write_session() as session, session.begin():
            await session.execute(insert(users), rows)
        if admin is None:
            async with services.db.read_session() as session:
                admin_row = await session.get(User, rows[0]["id"])
            admin = viewer_for(admin_row, ALL_SCOPES, via="cli", request_id=None)
            channel = await ch.create_channel(services, admin, name="everyone")
        links = [
            {"channel_id": channel.id, "user_id": row["id"], "joined_at": now, "last_read_seq": 0}
            for row in rows
            if row["id"] != admin.user_id
        ]
        async with services.db.write_session() as session, session.begin():
            await session.execute(insert(memberships), links)
    return admin, channel, names


async def time_calls(calls: int, call: Any) -> list[float]:
    await call(-1)  # warm-up
    spent = []
    for n in range(calls):
        began = time.perf_counter()
        await call(n)
        spent.append((time.perf_counter() - began) * 1000)
    return spent


async def bench_size(database_url: str, members: int, calls: int) -> list[dict[str, Any]]:
    data_dir = Path(tempfile.mkdtemp(prefix="mentions-bench-"))
    settings = Settings.from_mapping(server_env(database_url, data_dir))
    services = Services.create(settings)
    await services.start()
    try:
        await asyncio.to_thread(upgrade, settings.database_url)
        admin, channel, names = await populate(services, members)

        async def post(n: int) -> None:
            await msg.post_message(services, admin, channel_id=channel.id, body=f"hello {n}")

        async def post_mention(n: int) -> None:
            target = names[(n * 7919) % len(names)]
            body = f"hello @{target} about {n}"
            await msg.post_message(services, admin, channel_id=channel.id, body=body)

        async def all_names(n: int) -> None:
            target = names[(n * 7919) % len(names)]
            async with services.db.write_session() as session, session.begin():
                rows = await session.execute(ALL_MEMBER_NAMES, {"channel_id": channel.id})
                find_mentions(f"hello @{target}", [(uid, name) for uid, name in rows])

        rows = []
        for label, call in (
            ("post", post),
            ("post @mention", post_mention),
            ("all names", all_names),
        ):
            spent = await time_calls(calls, call)
            rows.append(
                {
                    "members": members,
                    "variant": label,
                    "calls": calls,
                    "p50_ms": statistics.median(spent),
                    "p95_ms": statistics.quantiles(spent, n=20)[-1],
                    "mean_ms": statistics.fmean(spent),
                }
            )
        return rows
    finally:
        await services.close()


def print_rows(backend: str, rows: list[dict[str, Any]]) -> None:
    base = next(r for r in rows if r["variant"] == "post")
    for row in rows:
        extra = row["p50_ms"] - base["p50_ms"] if row["variant"] == "post @mention" else None
        print(
            f"{backend:<8} {row['members']:>7} {row['variant']:<14} {row['calls']:>6} "
            f"{row['p50_ms']:>8.2f} {row['p95_ms']:>8.2f} {row['mean_ms']:>8.2f} "
            + (f"{extra:>+9.2f}" if extra is not None else f"{'':>9}"),
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", default="1000,10000,50000", help="channel sizes")
    parser.add_argument("--calls", type=int, default=200, help="timed calls per row")
    parser.add_argument("--postgres-url", help="a PostgreSQL server: also bench on a new database")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.members.split(",")]
    print(
        f"{'backend':<8} {'members':>7} {'variant':<14} {'calls':>6} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'mean ms':>8} {'@ extra':>9}"
    )
    results: list[dict[str, Any]] = []
    for size in sizes:
        if not args.no_sqlite:
            with tempfile.TemporaryDirectory(prefix="mentions-") as tmp:
                url = f"sqlite+aiosqlite:///{tmp}/workchat.db"
                rows = asyncio.run(bench_size(url, size, args.calls))
            print_rows("sqlite", rows)
            results += [{"backend": "sqlite", **row} for row in rows]
        if args.postgres_url:
            url, name = create_postgres_database(args.postgres_url)
            try:
                rows = asyncio.run(bench_size(url, size, args.calls))
            finally:
                drop_postgres_database(args.postgres_url, name)
            print_rows("postgres", rows)
            results += [{"backend": "postgres", **row} for row in rows]
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"mentions-{int(time.time())}.json"
    out.write_text(json.dumps({"rows": results}, indent=2))
    print(f"JSON in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
