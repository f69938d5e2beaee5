"""`workchat audit verify` names the first broken entry; `audit export` writes JSON Lines."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path

import pytest

from tests.support.settings import SECRET
from workchat.cli import main


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cli.db"
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "WORKCHAT_DATA_DIR": str(tmp_path / "data"),
        "WORKCHAT_DATABASE_URL": f"sqlite+aiosqlite:///{path}",
        "WORKCHAT_SECRET_KEY": SECRET,
        "WORKCHAT_ARGON2_TIME_COST": "1",
        "WORKCHAT_ARGON2_MEMORY_KIB": "8",
        "WORKCHAT_ARGON2_PARALLELISM": "1",
    }.items():
        monkeypatch.setenv(name, value)
    assert main(["migrate"]) == 0
    for org, email in (("Acme", "a@example.com"), ("Globex", "g@example.com")):
        monkeypatch.setattr("sys.stdin", io.StringIO("long enough password\n"))
        assert main(["create-org", org, "--admin-email", email, "--password-stdin"]) == 0
    for index in range(4):
        monkeypatch.setattr("sys.stdin", io.StringIO("long enough password\n"))
        assert (
            main(
                [
                    "create-user",
                    "--org",
                    "Acme",
                    "--email",
                    f"u{index}@example.com",
                    "--name",
                    f"U{index}",
                    "--password-stdin",
                ]
            )
            == 0
        )
    return path


def _tamper(path: Path, seq: int) -> None:
    with sqlite3.connect(path) as conn:
        org_id = conn.execute("SELECT id FROM orgs WHERE name = 'Acme'").fetchone()[0]
        conn.execute("DROP TRIGGER audit_entries_no_update")
        conn.execute(
            "UPDATE audit_entries SET action = 'forged' WHERE org_id = ? AND seq = ?", (org_id, seq)
        )
        conn.execute(
            "CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries "
            "BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END"
        )


def test_verify_passes_then_names_the_tampered_entry(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["audit", "verify"]) == 0
    out = capsys.readouterr().out
    assert "ok     Acme: 6 entries" in out
    assert "ok     Globex: 2 entries" in out
    _tamper(database, 3)
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert "BROKEN Acme: entry seq=3" in out
    assert "ok     Globex" in out
    assert main(["audit", "verify", "--org", "Globex"]) == 0
    assert main(["audit", "verify", "--org", "Nope"]) == 1


def test_export_writes_every_entry_as_json_lines(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "audit.jsonl"
    assert main(["audit", "export", "-o", str(target)]) == 0
    records = [json.loads(line) for line in target.read_text().splitlines()]
    assert len(records) == 8
    acme = [r for r in records if r["action"] in ("org.create", "user.create")]
    assert len(acme) == 8
    first = records[0]
    assert {"seq", "hash", "prev_hash", "diff", "at", "via", "action"} <= set(first)
    assert first["via"] == "cli"
    assert "password" not in target.read_text()
    assert main(["audit", "export", "--since", "2999-01-01"]) == 0
    assert capsys.readouterr().out == ""
    assert main(["audit", "export", "--since", "yesterday"]) == 2
    assert main(["audit", "export", "--org", "Globex"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
