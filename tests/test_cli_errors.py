"""Start-up and CLI failures a person can act on: each is one line on stderr naming the cause
and the fix, a non-zero exit code, and no traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.support.process import free_port
from tests.support.settings import POSTGRES_URL
from tests.test_cli import ADMIN_PASSWORD, db_path, run  # noqa: F401  (db_path is a fixture)
from workchat import cli

REPO_ROOT = Path(__file__).resolve().parents[1]


def closed_port() -> int:
    """A loopback port that nothing listens on (bound and released)."""
    return free_port()


def one_line(err: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.skipif(not POSTGRES_URL, reason="WORKCHAT_TEST_POSTGRES_URL is not set")
@pytest.mark.parametrize("command", [["migrate"], ["audit", "verify"]])
def test_a_postgres_database_that_does_not_exist_is_named(
    db_path: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
) -> None:
    assert POSTGRES_URL is not None
    name = f"docs_nope_{uuid.uuid4().hex[:8]}"
    base = POSTGRES_URL.rsplit("/", 1)[0]
    monkeypatch.setenv("WORKCHAT_DATABASE_URL", f"{base}/{name}")
    assert cli.main(command) == 1
    line = one_line(capsys.readouterr().err)
    assert f'database "{name}" does not exist' in line
    assert f"createdb {name}" in line and "WORKCHAT_DATABASE_URL" in line


def test_an_unreachable_postgres_says_where_and_what_to_check(
    db_path: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    port = closed_port()
    monkeypatch.setenv("WORKCHAT_DATABASE_URL", f"postgresql://u:hunter2@127.0.0.1:{port}/x")
    assert cli.main(["audit", "verify"]) == 1
    line = one_line(capsys.readouterr().err)
    assert f"127.0.0.1:{port}" in line and "WORKCHAT_DATABASE_URL" in line
    assert "hunter2" not in line  # the password never reaches the terminal


def test_an_unreachable_redis_is_one_line(
    db_path: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    port = closed_port()
    monkeypatch.setenv("WORKCHAT_BROADCAST_URL", f"redis://:s3cret@127.0.0.1:{port}/7")
    assert run(monkeypatch, "migrate") == 0
    capsys.readouterr()
    assert cli.main(["audit", "verify"]) == 1
    line = one_line(capsys.readouterr().err)
    assert f"Redis at redis://127.0.0.1:{port}/7" in line
    assert "WORKCHAT_BROADCAST_URL" in line and "s3cret" not in line


def test_serve_with_an_unreachable_redis_stops_before_announcing(
    db_path: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("WORKCHAT_BROADCAST_URL", f"redis://127.0.0.1:{closed_port()}/7")
    assert cli.main(["serve", "--port", str(closed_port())]) == 1
    out, err = capsys.readouterr()
    assert "GraphQL at" not in out
    assert "WORKCHAT_BROADCAST_URL" in one_line(err)


@pytest.mark.parametrize(
    ("variable", "url", "scheme"),
    [
        ("WORKCHAT_DATABASE_URL", "mysql://root@localhost/chat", "mysql://"),
        ("WORKCHAT_BROADCAST_URL", "amqp://guest@localhost//", "amqp://"),
    ],
)
def test_a_url_for_another_system_is_refused_by_name(
    db_path: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
    url: str,
    scheme: str,
) -> None:
    monkeypatch.setenv(variable, url)
    assert cli.main(["migrate"]) == 2
    line = one_line(capsys.readouterr().err)
    assert line.startswith(f"configuration error: {variable} must be a ")
    assert f"not {scheme}" in line and "postgresql://" in line


@pytest.mark.parametrize("command", ["create-org", "create-user"])
def test_a_password_prompt_without_a_terminal_points_to_password_stdin(
    db_path: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    assert run(monkeypatch, "migrate") == 0
    capsys.readouterr()
    argv = (
        ["create-org", "Acme", "--admin-email", "a@acme.test"]
        if command == "create-org"
        else ["create-user", "--org", "Acme", "--email", "b@acme.test", "--name", "B"]
    )
    # The hint repeats the command as it was typed: from a clone that is .venv/bin/workchat.
    monkeypatch.setattr("sys.argv", [".venv/bin/workchat", *argv])
    assert run(monkeypatch, *argv, stdin="") == 1  # a StringIO is not a terminal
    line = one_line(capsys.readouterr().err)
    assert "no terminal" in line and "--password-stdin" in line
    assert f"| .venv/bin/workchat {command} ... --password-stdin" in line


def test_a_database_without_tables_says_to_migrate(
    db_path: Path,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    db_path.touch()  # an empty file: SQLite opens it, but nothing was migrated
    assert cli.main(["audit", "verify"]) == 1
    line = one_line(capsys.readouterr().err)
    assert "no workchat tables yet" in line and "migrate` first" in line


def test_audit_export_into_a_missing_folder_names_the_file(
    db_path: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = tmp_path / "no" / "such" / "audit.jsonl"
    assert run(monkeypatch, "audit", "export", "-o", str(target)) == 1
    line = one_line(capsys.readouterr().err)
    assert str(target) in line and "create its folder" in line
    assert "database" not in line


def test_audit_export_into_a_closed_pipe_says_so_once(
    db_path: Path,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`workchat audit export | head`: the reader is gone before the first write."""
    assert run(monkeypatch, "migrate") == 0
    run(monkeypatch, "create-org", "Acme", "--admin-email", "a@acme.test", "--password-stdin",
        stdin=ADMIN_PASSWORD + "\n")  # fmt: skip
    read_end, write_end = os.pipe()
    os.close(read_end)
    env = {key: value for key, value in os.environ.items() if key != "COVERAGE_PROCESS_START"}
    done = subprocess.run(
        [sys.executable, "-m", "workchat", "audit", "export"],
        stdout=write_end,
        stderr=subprocess.PIPE,
        text=True,
        env=env | {"PYTHONPATH": str(REPO_ROOT)},
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    os.close(write_end)
    assert done.returncode == 141
    line = one_line(done.stderr)
    assert "pipe" in line and "-o FILE" in line


def test_a_second_server_on_a_busy_port_fails_before_announcing(
    db_path: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("WORKCHAT_CREATE_DEMO_ORG", "false")
    with socket.socket() as first:
        first.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        first.bind(("127.0.0.1", closed_port()))
        first.listen()
        port = first.getsockname()[1]
        assert cli.main(["serve", "--port", str(port)]) == 1
    out, err = capsys.readouterr()
    assert "GraphQL at" not in out and "web client at" not in out
    line = one_line(err)
    assert f"127.0.0.1:{port}" in line and "--port" in line and "WORKCHAT_PORT" in line
