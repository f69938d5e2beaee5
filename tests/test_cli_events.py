"""`workchat events prune` deletes events older than the retention and says how many."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from tests.test_cli import acme, db_path, migrated, rows, run

__all__ = ["acme", "db_path", "migrated"]  # fixtures used below


def _age(path: Path, days_ago: int, up_to_seq: int) -> None:
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute(
            "UPDATE events SET created_at = datetime('now', ?) WHERE seq <= ?",
            (f"-{days_ago} days", up_to_seq),
        )


def test_prune_uses_the_retention_setting(
    acme: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    [(total,)] = rows(acme, "SELECT count(*) FROM events")
    assert total >= 2
    _age(acme, 10, total - 1)  # all but the newest are 10 days old
    capsys.readouterr()
    assert run(monkeypatch, "events", "prune") == 0  # default retention: 7 days
    assert capsys.readouterr().out.startswith(f"pruned {total - 1} events older than ")
    assert rows(acme, "SELECT seq FROM events") == [(total,)]
    assert rows(acme, "SELECT pruned_seq FROM event_watermarks") == [(total - 1,)]

    monkeypatch.setenv("WORKCHAT_EVENT_RETENTION_DAYS", "30")
    _age(acme, 10, total)
    assert run(monkeypatch, "events", "prune") == 0
    assert capsys.readouterr().out.startswith("pruned 0 events")


def test_prune_older_than_days(
    acme: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    [(total,)] = rows(acme, "SELECT count(*) FROM events")
    _age(acme, 3, total)
    assert run(monkeypatch, "events", "prune", "--older-than-days", "5") == 0
    assert capsys.readouterr().out.startswith("pruned 0 events")
    assert run(monkeypatch, "events", "prune", "--older-than-days", "2") == 0
    assert capsys.readouterr().out.startswith(f"pruned {total} events")
    assert rows(acme, "SELECT count(*) FROM events") == [(0,)]


def test_prune_refuses_a_zero_window(
    acme: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(monkeypatch, "events", "prune", "--older-than-days", "0") == 2
    assert "at least 1" in capsys.readouterr().err
