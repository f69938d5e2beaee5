"""What one write statement costs the server's CPU, by the layer it goes through.

    .venv/bin/python bench/statement_cost.py
    .venv/bin/python bench/statement_cost.py --postgres-url postgresql://postgres@127.0.0.1:5432/postgres

The same single-row INSERT (a UUID key, an integer, a short text), inside one action's
write session as ``workchat.db.Database`` opens it (on SQLite a group-commit writer, whose
statements run on the event loop's thread), sent N times through each layer in turn:

- ``orm``: ``AsyncSession.execute(insert(table), values)``, how actions send Core statements;
- ``core``: ``AsyncConnection.execute``, the same statement without the ORM session;
- ``driver``: the driver's own call: asyncpg's ``Connection.execute`` with ``$n``
  parameters, or on SQLite sqlite3's ``execute`` on the batch's connection (what
  ``workchat.db.direct_write`` does).

Prints µs of this process's CPU per statement (``time.process_time``: the database server's
own work on PostgreSQL is not in it) for each layer, over ``--rounds`` alternating rounds so
a machine whose speed drifts affects all layers alike; JSON to ``bench/results/``. Asserts
nothing about time.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, Column, MetaData, String, Table, Uuid, insert
from sqlalchemy.ext.asyncio import AsyncSession

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_smoke import server_env
from writes import create_postgres_database, drop_postgres_database

from workchat.db.direct_write import RAW_SQLITE
from workchat.db.engine import Database, normalize_url
from workchat.settings import Settings

RESULTS = Path(__file__).resolve().parent / "results"
LAYERS = ("orm", "core", "driver")

metadata = MetaData()
probe = Table(
    "bench_statement_cost",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("n", BigInteger, nullable=False),
    Column("body", String(100), nullable=False),
)
INSERT = insert(probe)
RAW_SQL = {
    "postgresql": "INSERT INTO bench_statement_cost (id, n, body) VALUES ($1, $2, $3)",
    "sqlite": "INSERT INTO bench_statement_cost (id, n, body) VALUES (?, ?, ?)",
}

Send = Callable[[int], Awaitable[Any]]


async def _senders(session: AsyncSession) -> dict[str, Send]:
    conn = await session.connection()
    dialect = conn.dialect.name
    sql = RAW_SQL[dialect]

    def values(i: int) -> dict[str, Any]:
        return {"id": uuid.uuid4(), "n": i, "body": "a bench row"}

    async def orm(i: int) -> Any:
        return await session.execute(INSERT, values(i))

    async def core(i: int) -> Any:
        return await conn.execute(INSERT, values(i))

    if dialect == "postgresql":
        driver = (await conn.get_raw_connection()).driver_connection

        async def raw(i: int) -> Any:
            return await driver.execute(sql, uuid.uuid4(), i, "a bench row")

    else:
        sqlite = session.info[RAW_SQLITE]  # the batch's sqlite3 connection

        async def raw(i: int) -> Any:
            # UUIDs stored as 32 hex digits, as SQLAlchemy's Uuid type does on SQLite.
            return sqlite.execute(sql, (uuid.uuid4().hex, i, "a bench row")).close()

    return {"orm": orm, "core": core, "driver": raw}


class _Rollback(Exception):
    """Ends the measured session without keeping its rows."""


async def measure(url: str, statements: int, rounds: int, data_dir: Path) -> dict[str, list[float]]:
    db = Database(Settings.from_env(environ=server_env(url, data_dir)))
    async with db.write_engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
        await conn.run_sync(metadata.create_all)
    per_layer: dict[str, list[float]] = {layer: [] for layer in LAYERS}
    try:
        async with db.write_session() as session, session.begin():
            senders = await _senders(session)
            for warm in range(50):
                for send in senders.values():
                    await send(warm)
            for round_ in range(rounds):
                order = LAYERS if round_ % 2 == 0 else tuple(reversed(LAYERS))
                for layer in order:
                    send = senders[layer]
                    began = time.process_time()
                    for i in range(statements):
                        await send(i)
                    per_layer[layer].append((time.process_time() - began) / statements * 1e6)
            raise _Rollback
    except _Rollback:
        pass
    finally:
        async with db.write_engine.begin() as conn:
            await conn.run_sync(metadata.drop_all)
        await db.dispose()
    return per_layer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres-url", help="also measure on this PostgreSQL server")
    parser.add_argument("--statements", type=int, default=2000, help="per layer and round")
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args(argv)

    import uvloop

    backends: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="workchat-stmt-") as tmp:
        backends["sqlite"] = f"sqlite+aiosqlite:///{tmp}/cost.db"
        scratch = None
        if args.postgres_url:
            # A database of its own, dropped afterwards (as bench/writes.py does).
            url, scratch = create_postgres_database(args.postgres_url)
            backends["postgres"] = normalize_url(url)
        try:
            results = {
                name: uvloop.run(measure(url, args.statements, args.rounds, Path(tmp)))
                for name, url in backends.items()
            }
        finally:
            if scratch is not None:
                drop_postgres_database(args.postgres_url, scratch)
    print(f"µs of client CPU per INSERT (median of {args.rounds} rounds; min-max)")
    print(f"{'backend':<9}" + "".join(f"{layer:>20}" for layer in LAYERS))
    for name, per_layer in results.items():
        cells = [
            f"{statistics.median(v):>8.0f} ({min(v):.0f}-{max(v):.0f})"
            for v in (per_layer[layer] for layer in LAYERS)
        ]
        print(f"{name:<9}" + "".join(f"{cell:>20}" for cell in cells))
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"statement-cost-{int(time.time())}.json"
    out.write_text(json.dumps({"args": vars(args), "us_per_statement": results}, indent=2))
    print(f"\nJSON in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
