"""Signed checkpoints anchor the audit chain outside the database: `workchat audit verify`
catches a chain recomputed after an edit, a tail of deleted entries, reordered entries and
forged checkpoints, on every backend."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from tests.support.personas import Personas, as_user
from tests.support.settings import SECRET
from workchat import audit_anchor as anchor
from workchat.actions.channels import create_channel
from workchat.audit import GENESIS_HASH, entry_hash
from workchat.cli import main
from workchat.db.engine import normalize_url
from workchat.db.models import AuditEntry, Org
from workchat.services import Services
from workchat.settings import Settings, SettingsError

KEY = "checkpoint-key-kept-far-from-the-database-0123456789"
OTHER_KEY = "another-key-that-nobody-configured-here-0123456789"
CONTENT = ("actor_id", "via", "operation", "action", "target_type", "target_id", "diff", "at")


@pytest.fixture
def cli(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., int]:
    """The `workchat` command on the test's database, with Acme (6 entries) and Globex (2)."""
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "WORKCHAT_DATA_DIR": str(tmp_path / "data"),
        "WORKCHAT_DATABASE_URL": database_url,
        "WORKCHAT_SECRET_KEY": SECRET,
        "WORKCHAT_ARGON2_TIME_COST": "1",
        "WORKCHAT_ARGON2_MEMORY_KIB": "8",
        "WORKCHAT_ARGON2_PARALLELISM": "1",
        "WORKCHAT_AUDIT_CHECKPOINT_KEY": KEY,
        "WORKCHAT_AUDIT_CHECKPOINT_FILE": str(tmp_path / "outside" / "checkpoints.log"),
    }.items():
        monkeypatch.setenv(name, value)

    def run(*argv: str, stdin: str = "long enough password\n") -> int:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        return main(list(argv))

    for org, email in (("Acme", "a@example.com"), ("Globex", "g@example.com")):
        assert run("create-org", org, "--admin-email", email, "--password-stdin") == 0
    for index in range(4):
        add_user(run, index)
    return run


def add_user(cli: Callable[..., int], index: int) -> None:
    args = ["create-user", "--org", "Acme", "--email", f"u{index}@example.com"]
    assert cli(*args, "--name", f"U{index}", "--password-stdin") == 0


def checkpoint_file(tmp_path: Path) -> Path:
    return tmp_path / "outside" / "checkpoints.log"


async def _tamper(url: str, change: Callable[[list[AuditEntry]], object]) -> None:
    """Change Acme's entries as a database owner could: with the append-only triggers out
    of the way (SQLite: dropped; PostgreSQL: a superuser's replica role skips them)."""
    engine = create_async_engine(normalize_url(url))
    try:
        async with engine.begin() as conn:
            if engine.dialect.name == "sqlite":
                await conn.execute(text("DROP TRIGGER IF EXISTS audit_entries_no_update"))
                await conn.execute(text("DROP TRIGGER IF EXISTS audit_entries_no_delete"))
            else:
                await conn.execute(text("SET LOCAL session_replication_role = replica"))
            session = AsyncSession(bind=conn, expire_on_commit=False)
            org_id = await session.scalar(select(Org.id).where(Org.name == "Acme"))
            entries = list(
                await session.scalars(
                    select(AuditEntry).where(AuditEntry.org_id == org_id).order_by(AuditEntry.seq)
                )
            )
            result = change(entries)
            if isinstance(result, int):  # keep the first `result` entries
                await session.execute(
                    delete(AuditEntry).where(AuditEntry.org_id == org_id, AuditEntry.seq > result)
                )
            await session.flush()
    finally:
        await engine.dispose()


def tamper(url: str, change: Callable[[list[AuditEntry]], object]) -> None:
    asyncio.run(_tamper(url, change))


def recompute(entries: list[AuditEntry]) -> None:
    """What an attacker who knows the algorithm does after an edit: re-chain every hash."""
    previous = GENESIS_HASH
    for entry in entries:
        entry.prev_hash = previous
        entry.hash = entry_hash(entry)
        previous = entry.hash


def edit_and_recompute(entries: list[AuditEntry]) -> None:
    entries[2].diff = {**entries[2].diff, "after": {"email": "someone-else@example.com"}}
    recompute(entries)


def swap_and_recompute(entries: list[AuditEntry]) -> None:
    first, second = entries[1], entries[2]
    for field in CONTENT:
        a, b = getattr(first, field), getattr(second, field)
        setattr(first, field, b)
        setattr(second, field, a)
    recompute(entries)


def test_checkpoint_prints_signed_lines_and_appends_them(
    cli: Callable[..., int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("audit", "checkpoint") == 0
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 2
    assert checkpoint_file(tmp_path).read_text().splitlines() == printed
    heads = sorted((c.seq, c.signature_ok(KEY.encode())) for c in map(anchor.parse_line, printed))
    assert heads == [(2, True), (6, True)]
    assert cli("audit", "verify") == 0
    out = capsys.readouterr().out
    assert "ok     Acme: 6 entries; matches 1 checkpoint(s)" in out
    assert "ok     Globex: 2 entries; matches 1 checkpoint(s)" in out
    # A line kept elsewhere works as well as the file.
    assert cli("audit", "checkpoint", "--org", "Globex", "--file", str(tmp_path / "x")) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert cli("audit", "verify", "--org", "Globex", "--checkpoint", line) == 0


def test_a_recomputed_chain_is_caught(
    cli: Callable[..., int], database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("audit", "checkpoint") == 0
    tamper(database_url, edit_and_recompute)
    capsys.readouterr()
    # The chain alone still looks whole: that is the gap checkpoints close.
    assert cli("audit", "verify", "--checkpoints", "/dev/null") == 0
    assert cli("audit", "verify") == 1
    out = capsys.readouterr().out
    assert "BROKEN Acme: entry seq=6 does not have the hash the checkpoint" in out
    assert "ok     Globex" in out


def test_a_deleted_tail_is_caught(
    cli: Callable[..., int], database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("audit", "checkpoint", "--org", "Acme") == 0
    tamper(database_url, lambda entries: 4)
    capsys.readouterr()
    assert cli("audit", "verify", "--checkpoints", "/dev/null") == 0
    assert cli("audit", "verify") == 1
    out = capsys.readouterr().out
    assert "BROKEN Acme: chain ends at seq 4, but the checkpoint" in out
    assert "vouches for seq 6" in out
    # Cut back, grown again past the checkpoint: the entry at its seq is another one now.
    add_user(cli, 10)
    add_user(cli, 11)
    capsys.readouterr()
    assert cli("audit", "verify") == 1
    assert "entry seq=6 does not have the hash" in capsys.readouterr().out


def test_a_later_checkpoint_below_an_earlier_one_is_reported(
    cli: Callable[..., int], database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("audit", "checkpoint", "--org", "Acme") == 0
    tamper(database_url, lambda entries: 4)
    assert cli("audit", "checkpoint", "--org", "Acme") == 0
    capsys.readouterr()
    assert cli("audit", "verify", "--org", "Acme") == 1
    assert "below seq 6 of an earlier one" in capsys.readouterr().out


def test_reordered_entries_are_caught(
    cli: Callable[..., int], database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("audit", "checkpoint") == 0
    tamper(database_url, swap_and_recompute)
    capsys.readouterr()
    assert cli("audit", "verify", "--checkpoints", "/dev/null") == 0
    assert cli("audit", "verify") == 1
    assert "BROKEN Acme: entry seq=6 does not have the hash" in capsys.readouterr().out


def test_a_forged_checkpoint_is_reported(
    cli: Callable[..., int], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A checkpoint whose fields were changed, or that another key signed, is FORGED, not
    evidence (a forged high seq must not make an intact chain look truncated)."""
    assert cli("audit", "checkpoint", "--org", "Acme", "--file", str(tmp_path / "x")) == 0
    [line] = capsys.readouterr().out.splitlines()
    genuine = anchor.parse_line(line)
    raised = line.replace(f"seq={genuine.seq} ", f"seq={genuine.seq + 5} ")
    other = anchor.Checkpoint(genuine.org_id, genuine.seq, genuine.hash, genuine.at)
    foreign = other.signed(OTHER_KEY.encode()).line()
    for forged in (raised, foreign):
        assert cli("audit", "verify", "--checkpoints", "/dev/null", "--checkpoint", forged) == 1
        out = capsys.readouterr().out
        assert "FORGED checkpoint (--checkpoint #1" in out
        assert "chain ends" not in out
        assert "ok     Acme: 6 entries" in out
    assert cli("audit", "verify", "--checkpoints", "/dev/null", "--checkpoint", line) == 0


def test_checkpoint_needs_a_key(
    cli: Callable[..., int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli("audit", "checkpoint", "--org", "Acme", "--file", str(tmp_path / "x")) == 0
    [line] = capsys.readouterr().out.splitlines()
    monkeypatch.delenv("WORKCHAT_AUDIT_CHECKPOINT_KEY")
    assert cli("audit", "checkpoint") == 2
    assert "AUDIT_CHECKPOINT_KEY" in capsys.readouterr().err
    # Checkpoints cannot be checked without the key (rather than silently skipped).
    assert cli("audit", "verify", "--checkpoint", line) == 2
    assert "AUDIT_CHECKPOINT_KEY" in capsys.readouterr().err
    assert cli("audit", "verify", "--checkpoint", "wcap1 nonsense") == 2
    assert "malformed checkpoint" in capsys.readouterr().err
    monkeypatch.setenv("WORKCHAT_AUDIT_CHECKPOINT_KEY", "short")
    assert cli("audit", "checkpoint") == 2
    assert "at least 32 bytes" in capsys.readouterr().err


def test_the_key_can_come_from_a_file(
    cli: Callable[..., int],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(KEY + "\n")
    monkeypatch.delenv("WORKCHAT_AUDIT_CHECKPOINT_KEY")
    monkeypatch.setenv("WORKCHAT_AUDIT_CHECKPOINT_KEY_FILE", str(key_file))
    assert cli("audit", "checkpoint") == 0
    [first, _] = capsys.readouterr().out.splitlines()
    assert anchor.parse_line(first).signature_ok(KEY.encode())


async def test_the_periodic_checkpointer_appends_only_moved_heads(
    services: Services, personas: Personas, tmp_path: Path
) -> None:
    """What the server's checkpointer does each interval: a line per org whose head moved."""
    path = tmp_path / "checkpoints.log"
    key = KEY.encode()
    last = await anchor.checkpoint_changed(services.db, key, path, {})
    assert len(anchor.read_file(path)) == 2
    last = await anchor.checkpoint_changed(services.db, key, path, last)
    assert len(anchor.read_file(path)) == 2
    await create_channel(services, as_user(personas.bob), name="moved")
    await anchor.checkpoint_changed(services.db, key, path, last)
    written = anchor.read_file(path)
    assert len(written) == 3
    assert written[-1].org_id == personas.bob.org_id and written[-1].signature_ok(key)
    async with services.db.read_session() as session:
        assert await anchor.check_against(session, personas.bob.org_id, written) == []


def test_settings_refuse_a_checkpointer_without_key_or_file() -> None:
    base = {"WORKCHAT_SECRET_KEY": SECRET, "WORKCHAT_AUDIT_CHECKPOINT_INTERVAL_SECONDS": "60"}
    with pytest.raises(SettingsError, match="AUDIT_CHECKPOINT_FILE"):
        Settings.from_mapping(base)
    with pytest.raises(SettingsError, match="at least 32 bytes"):
        Settings.from_mapping({**base, "WORKCHAT_AUDIT_CHECKPOINT_KEY": "short"})
    settings = Settings.from_mapping(
        {
            **base,
            "WORKCHAT_AUDIT_CHECKPOINT_KEY": KEY,
            "WORKCHAT_AUDIT_CHECKPOINT_FILE": "/var/lib/anchor/checkpoints.log",
        }
    )
    assert settings.audit_checkpoint_interval_seconds == 60
    assert KEY not in repr(settings)
