"""`workchat seed` through the CLI with stderr captured (not a terminal): progress is plain
lines a log can keep, and --quiet leaves only the summary."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_cli import db_path  # noqa: F401  (a fixture)
from workchat import cli

SHAPE = ["--messages", "300", "--channels", "3", "--users", "4", "--orgs", "1"]


def test_seed_progress_in_a_log_is_plain_lines(
    db_path: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["seed", *SHAPE]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("seeded 300 messages")
    assert "\r" not in err and "\x1b" not in err
    lines = err.splitlines()
    assert lines and all(line.startswith("seed: ") for line in lines)
    assert any(line.startswith("seed: messages 300/300 (100%)") for line in lines)


def test_seed_quiet_prints_only_the_summary(
    db_path: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["seed", *SHAPE, "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("seeded 300 messages")
    assert err == ""
