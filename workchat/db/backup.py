"""Online backup and restore of the embedded SQLite database (docs/adr/0024-docs-site.md).

The copy is made with SQLite's online backup API in a single step: it reads one snapshot
under a read transaction, which in WAL mode never blocks the server's writers, so the copy
is consistent (every committed transaction or none of it) while the server keeps running.
PostgreSQL is backed up with its own tools (``pg_dump``/``pg_restore``), not here.
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

# The server's own writes wait this long for the backup's read snapshot to start; the
# backup itself waits as long for a writer that holds the lock at that moment.
BUSY_TIMEOUT_MS = 10_000


class BackupError(Exception):
    """A backup or restore cannot be done; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class BackupResult:
    path: Path
    bytes: int
    tables: dict[str, int]


def sqlite_path(database_url: str) -> Path:
    """The file of a ``sqlite[+driver]:///path`` URL; in-memory databases cannot be copied."""
    scheme, _, rest = database_url.partition("://")
    if not scheme.startswith("sqlite"):
        raise BackupError(f"not a SQLite URL: {scheme}://")
    path = unquote(urlsplit("x://" + rest).path.removeprefix("/"))
    if not path or path == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing on disk to back up")
    return Path(path)


def backup(source: Path, dest: Path) -> BackupResult:
    """Copy ``source`` into a new file ``dest`` (refused if it exists) and check the copy."""
    if not source.is_file():
        raise BackupError(f"there is no database at {source} (check WORKCHAT_DATABASE_URL)")
    if dest.exists():
        raise BackupError(f"{dest} already exists: choose a new file name or remove it first")
    if not dest.parent.is_dir():
        raise BackupError(f"the folder {dest.parent} does not exist: create it first")
    partial = dest.with_name(f".{dest.name}.partial")
    try:
        with (
            closing(_connect(source, readonly=True)) as src,
            closing(_connect(partial)) as out,
        ):
            src.backup(out)  # pages=-1: one step, one snapshot
            # A backup is one self-contained file: no -wal beside it.
            out.execute("PRAGMA journal_mode=DELETE")
        tables = verify(partial)
        os.replace(partial, dest)
    except sqlite3.Error as exc:
        raise BackupError(f"the copy failed: {exc}") from None
    finally:
        partial.unlink(missing_ok=True)
    return BackupResult(path=dest, bytes=dest.stat().st_size, tables=tables)


def verify(path: Path) -> dict[str, int]:
    """``PRAGMA integrity_check`` must say ok; returns each table's row count."""
    with closing(_connect(path, readonly=True)) as conn:
        result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        if result != ["ok"]:
            raise BackupError(f"{path} is damaged: {'; '.join(map(str, result[:3]))}")
        names = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name"
            )
        ]
        # Table names come from the file's own catalogue, quoted as identifiers.
        return {
            name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]  # noqa: S608
            for name in names
        }


def restore(backup_file: Path, target: Path, *, force: bool = False) -> dict[str, int]:
    """Replace the database at ``target`` with a checked backup; refused while it is in use."""
    if not backup_file.is_file():
        raise BackupError(f"there is no backup at {backup_file}")
    try:
        tables = verify(backup_file)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{backup_file} is not a SQLite database: {exc}") from None
    if "alembic_version" not in tables:
        raise BackupError(f"{backup_file} is not a workchat database (no alembic_version)")
    if target.exists() and target.stat().st_size > 0 and not force:
        raise BackupError(
            f"{target} already holds a database: add --force to replace it "
            "(make a backup of it first if you may want it back)"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with closing(_connect(target, busy_timeout_ms=0)) as conn:
            # Exclusive locking mode: the lock is refused while any other connection (a
            # running server, even an idle one) has the database open, and is then kept
            # until we close, so no server can start reading half a restore.
            conn.execute("PRAGMA locking_mode=EXCLUSIVE")
            try:
                conn.execute("BEGIN EXCLUSIVE")
                conn.execute("ROLLBACK")
            except sqlite3.OperationalError:
                raise BackupError(
                    f"{target} is in use (a workchat server or another process has it open): "
                    "stop the server, then run restore again"
                ) from None
            with closing(_connect(backup_file, readonly=True)) as src:
                src.backup(conn)
            conn.execute("PRAGMA journal_mode=WAL")
    except sqlite3.Error as exc:
        raise BackupError(f"the restore failed: {exc}") from None
    return verify(target)


def _connect(
    path: Path, *, readonly: bool = False, busy_timeout_ms: int = BUSY_TIMEOUT_MS
) -> sqlite3.Connection:
    if readonly:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    else:
        conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    return conn
