"""``workchat backup`` / ``workchat restore``: an online copy of the embedded SQLite database
taken while writers keep posting is consistent (integrity check, audit chain, row counts),
restore refuses a database in use and brings the copy back; PostgreSQL is pointed to pg_dump."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.support.chat import general, post
from tests.support.personas import create_personas
from tests.support.settings import SECRET, test_settings
from workchat import cli
from workchat.audit import verify_chain
from workchat.db.models import Org
from workchat.services import Services

WRITERS = 3
BEFORE_BACKUP = 30  # messages acknowledged before the backup starts
AFTER_BACKUP = 10  # more acknowledged after it returns, so writes overlapped it


@pytest.fixture
def sqlite_db(tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A migrated SQLite file, and a clean WORKCHAT_* environment pointing at it."""
    for name in list(os.environ):
        if name.startswith("WORKCHAT_") and not name.startswith("WORKCHAT_TEST_"):
            monkeypatch.delenv(name)
    path = tmp_path / "live.db"
    path.write_bytes(sqlite_template.read_bytes())
    point_at(monkeypatch, path, tmp_path / "data")
    return path


def point_at(monkeypatch: pytest.MonkeyPatch, path: Path, data_dir: Path) -> None:
    monkeypatch.setenv("WORKCHAT_DATABASE_URL", f"sqlite+aiosqlite:///{path}")
    monkeypatch.setenv("WORKCHAT_DATA_DIR", str(data_dir))
    monkeypatch.setenv("WORKCHAT_SECRET_KEY", SECRET)


def count(path: Path, sql: str) -> int:
    with closing(sqlite3.connect(path)) as conn:
        return int(conn.execute(sql).fetchone()[0])


async def test_backup_under_write_load_is_consistent_and_restores(
    sqlite_db: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    services = Services.create(
        test_settings(tmp_path / "data", database_url=f"sqlite+aiosqlite:///{sqlite_db}")
    )
    await services.start()
    copy = tmp_path / "backups" / "copy.db"
    copy.parent.mkdir()
    try:
        personas = await create_personas(services)
        channel = await general(services, personas.alice)
        posted = 0
        stop, progress = asyncio.Event(), asyncio.Event()

        async def until(total: int) -> None:
            while posted < total:
                progress.clear()
                await progress.wait()

        async def writer(index: int) -> None:
            nonlocal posted
            n = 0
            while not stop.is_set():
                await post(services, personas.alice, channel, f"writer {index} message {n}")
                n += 1
                posted += 1
                progress.set()
                await asyncio.sleep(0)

        writers = [asyncio.create_task(writer(i)) for i in range(WRITERS)]
        await until(BEFORE_BACKUP)
        # The CLI in a thread: a separate SQLite connection while the writers go on.
        assert await asyncio.to_thread(cli.main, ["backup", str(copy)]) == 0
        at_backup = posted
        await until(at_backup + AFTER_BACKUP)
        stop.set()
        await asyncio.gather(*writers)
        assert "integrity check ok" in capsys.readouterr().out

        # The copy: one self-contained file that SQLite finds intact.
        assert not Path(f"{copy}-wal").exists()  # noqa: ASYNC240
        with closing(sqlite3.connect(copy)) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        copied = count(copy, "SELECT count(*) FROM messages")
        live = count(sqlite_db, "SELECT count(*) FROM messages")
        # Writes ran before, during and after the copy: it holds a strict prefix of them.
        assert BEFORE_BACKUP <= copied < live
        # Consistent: each message came with its audit entry and event in one transaction.
        assert copied == count(
            copy, "SELECT count(*) FROM audit_entries WHERE action = 'message.post'"
        )
        assert copied == count(copy, "SELECT count(*) FROM events WHERE type = 'message.posted'")

        # restore refuses while the "server" (these services) has the database open.
        assert cli.main(["restore", str(copy), "--force"]) == 1
        err = capsys.readouterr().err
        assert "is in use" in err and "stop the server" in err
        assert count(sqlite_db, "SELECT count(*) FROM messages") == live
    finally:
        await services.close()

    # Without --force it will not replace a database.
    assert cli.main(["restore", str(copy)]) == 1
    assert "--force" in capsys.readouterr().err
    assert count(sqlite_db, "SELECT count(*) FROM messages") == live

    assert cli.main(["restore", str(copy), "--force"]) == 0
    assert count(sqlite_db, "SELECT count(*) FROM messages") == copied
    # The restored database works: the audit chain verifies through the CLI and the app.
    assert await asyncio.to_thread(cli.main, ["audit", "verify"]) == 0
    out = capsys.readouterr().out
    assert out.count("ok     ") == count(sqlite_db, "SELECT count(*) FROM orgs") > 0
    # The copy itself and the restored database: every org's hash chain verifies, and the
    # restored one takes new posts.
    for path in (copy, sqlite_db):
        opened = Services.create(
            test_settings(tmp_path / "data", database_url=f"sqlite+aiosqlite:///{path}")
        )
        await opened.start()
        try:
            async with opened.db.read_session() as session:
                orgs = list(await session.scalars(select(Org)))
                checked = 0
                for org in orgs:
                    check = await verify_chain(session, org.id)
                    assert check.first_bad is None
                    checked += check.checked
            # Every entry is on a chain that verifies (message posts and the set-up).
            assert checked == count(path, "SELECT count(*) FROM audit_entries") > copied
            if path == sqlite_db:
                await post(opened, personas.bob, await general(opened, personas.bob), "after")
        finally:
            await opened.close()


def test_backup_refuses_an_existing_file_and_a_missing_folder(
    sqlite_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = tmp_path / "exists.db"
    existing.write_text("keep me")
    assert cli.main(["backup", str(existing)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert existing.read_text() == "keep me"
    assert cli.main(["backup", str(tmp_path / "nope" / "copy.db")]) == 1
    assert "does not exist: create it first" in capsys.readouterr().err
    assert not (tmp_path / "nope").exists()


def test_restore_refuses_what_is_not_a_workchat_backup(
    sqlite_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.db"
    with closing(sqlite3.connect(other)) as conn:
        conn.execute("CREATE TABLE t (x)")
    before = sqlite_db.read_bytes()
    assert cli.main(["restore", str(other), "--force"]) == 1
    assert "not a workchat database" in capsys.readouterr().err
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not sqlite at all" * 100)
    assert cli.main(["restore", str(junk), "--force"]) == 1
    assert "not a SQLite database" in capsys.readouterr().err
    assert sqlite_db.read_bytes() == before


@pytest.mark.parametrize("command", ["backup", "restore"])
def test_postgres_is_pointed_to_pg_dump(
    command: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("WORKCHAT_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/workchat")
    monkeypatch.setenv("WORKCHAT_SECRET_KEY", SECRET)
    monkeypatch.setenv("WORKCHAT_DATA_DIR", str(tmp_path / "data"))
    assert cli.main([command, str(tmp_path / "x.db")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pg_dump" in err and "pg_restore" in err
    assert not (tmp_path / "x.db").exists()
