"""The ``workchat`` command, run in-process: migrate, create-org, create-user, export-schema,
audit verify, configuration errors, and the demo org created on first start."""

from __future__ import annotations

import io
import json
import sqlite3
import stat
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.support.settings import SECRET
from workchat import cli
from workchat.auth.passwords import Passwords
from workchat.db.models import AuditEntry, Org, User
from workchat.services import Services

REPO_ROOT = Path(__file__).resolve().parents[1]
ADMIN_PASSWORD = "an-admin-password"


@pytest.fixture
def db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean WORKCHAT_* environment pointing at a fresh SQLite file; no .env is read."""
    import os

    for name in list(os.environ):
        if name.startswith("WORKCHAT_") and not name.startswith("WORKCHAT_TEST_"):
            monkeypatch.delenv(name)
    path = tmp_path / "x.db"
    env = {
        "WORKCHAT_DATA_DIR": str(tmp_path / "data"),
        "WORKCHAT_DATABASE_URL": f"sqlite+aiosqlite:///{path}",
        "WORKCHAT_SECRET_KEY": SECRET,
        "WORKCHAT_ARGON2_TIME_COST": "1",
        "WORKCHAT_ARGON2_MEMORY_KIB": "8",
        "WORKCHAT_ARGON2_PARALLELISM": "1",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    return path


def run(monkeypatch: pytest.MonkeyPatch, *argv: str, stdin: str | None = None) -> int:
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return cli.main(list(argv))


def rows(path: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    """Read with a fresh sqlite3 connection: what is really on disk."""
    with closing(sqlite3.connect(path)) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.fixture
def migrated(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    assert run(monkeypatch, "migrate") == 0
    return db_path


@pytest.fixture
def acme(migrated: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    code = run(
        monkeypatch,
        "create-org",
        "Acme",
        "--admin-email",
        "a@example.com",
        "--password-stdin",
        stdin=ADMIN_PASSWORD + "\n",
    )
    assert code == 0
    return migrated


def test_migrate(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """migrate creates every table and is idempotent."""
    assert run(monkeypatch, "migrate") == 0
    assert "latest migration" in capsys.readouterr().out
    tables = {
        name for (name,) in rows(db_path, "SELECT name FROM sqlite_master WHERE type='table'")
    }
    assert {"orgs", "users", "audit_entries", "events", "refresh_tokens", "api_tokens"} <= tables
    assert "alembic_version" in tables
    assert run(monkeypatch, "migrate") == 0
    assert len(rows(db_path, "SELECT version_num FROM alembic_version")) == 1


def test_create_org_creates_org_and_admin(
    migrated: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """create-org writes the org and its admin (password hashed), audited as the CLI."""
    code = run(
        monkeypatch,
        "create-org",
        "Acme",
        "--admin-email",
        "A@Example.com",
        "--password-stdin",
        stdin=ADMIN_PASSWORD + "\n",
    )
    assert code == 0
    assert "created org 'Acme'" in capsys.readouterr().out
    acme = migrated
    [(org_id, name)] = rows(acme, "SELECT id, name FROM orgs")
    assert name == "Acme"
    [(email, role, org, password_hash, active)] = rows(
        acme, "SELECT email, role, org_id, password_hash, is_active FROM users"
    )
    assert (email, role, org, active) == ("a@example.com", "admin", org_id, 1)
    assert str(password_hash).startswith("$argon2id$")
    assert ADMIN_PASSWORD not in str(password_hash)
    audit = rows(
        acme, "SELECT action, via, operation, actor_id, diff FROM audit_entries ORDER BY seq"
    )
    actions = [action for action, *_ in audit]
    assert actions[0] == "org.create"
    assert actions.count("user.create") == 1
    assert {(via, operation, actor) for _, via, operation, actor, _ in audit} == {
        ("cli", "create-org", None)
    }
    assert all(ADMIN_PASSWORD not in str(diff) for *_, diff in audit)


def test_duplicate_org_exits_1_without_traceback(
    acme: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A taken org name is a one-line error on stderr, exit 1, and nothing new is written."""
    capsys.readouterr()
    code = run(
        monkeypatch,
        "create-org",
        "Acme",
        "--admin-email",
        "other@example.com",
        "--password-stdin",
        stdin=ADMIN_PASSWORD + "\n",
    )
    assert code == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("error: ")
    assert "exists" in captured.err
    assert "Traceback" not in captured.err + captured.out
    assert rows(acme, "SELECT count(*) FROM orgs") == [(1,)]
    assert rows(acme, "SELECT count(*) FROM users") == [(1,)]


@pytest.mark.parametrize(
    ("email", "password"),
    [("not-an-email", ADMIN_PASSWORD), ("b@example.com", "short"), ("a@example.com", "")],
    ids=["bad-email", "short-password", "empty-password"],
)
def test_create_org_with_a_bad_admin_writes_nothing(
    migrated: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    email: str,
    password: str,
) -> None:
    """If the admin cannot be created, the org is not created either (no admin-less org,
    no name left taken), and the error is a one-liner with exit 1."""
    code = run(
        monkeypatch,
        "create-org",
        "Initech",
        "--admin-email",
        email,
        "--password-stdin",
        stdin=password + "\n",
    )
    assert code == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("error: ")
    assert "Traceback" not in captured.err
    assert rows(migrated, "SELECT count(*) FROM orgs") == [(0,)]
    assert rows(migrated, "SELECT count(*) FROM users") == [(0,)]
    assert rows(migrated, "SELECT count(*) FROM audit_entries") == [(0,)]


def test_create_user(
    acme: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """create-user adds a member (or an admin) to the named org."""
    code = run(
        monkeypatch,
        "create-user",
        "--org",
        "Acme",
        "--email",
        "Bob@Example.com",
        "--name",
        "Bob",
        "--password-stdin",
        stdin="bobs-password\n",
    )
    assert code == 0
    assert "created member bob@example.com" in capsys.readouterr().out
    code = run(
        monkeypatch,
        "create-user",
        "--org",
        "Acme",
        "--email",
        "carol@example.com",
        "--name",
        "Carol",
        "--role",
        "admin",
        "--password-stdin",
        stdin="carols-password\n",
    )
    assert code == 0
    users = rows(
        acme,
        "SELECT u.email, u.display_name, u.role, o.name FROM users u JOIN orgs o "
        "ON o.id = u.org_id ORDER BY u.created_at",
    )
    assert users == [
        ("a@example.com", "Admin", "admin", "Acme"),
        ("bob@example.com", "Bob", "member", "Acme"),
        ("carol@example.com", "Carol", "admin", "Acme"),
    ]


def test_create_user_in_unknown_org_exits_1(
    acme: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown org name is an error, and no user is written."""
    code = run(
        monkeypatch,
        "create-user",
        "--org",
        "Nope",
        "--email",
        "b@example.com",
        "--name",
        "B",
        "--password-stdin",
        stdin="bobs-password\n",
    )
    assert code == 1
    assert "no org named 'Nope'" in capsys.readouterr().err
    assert rows(acme, "SELECT count(*) FROM users") == [(1,)]


def test_create_user_with_taken_email_exits_1(
    acme: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A taken email (any case) is a one-line error with exit 1."""
    capsys.readouterr()
    code = run(
        monkeypatch,
        "create-user",
        "--org",
        "Acme",
        "--email",
        "A@EXAMPLE.COM",
        "--name",
        "A2",
        "--password-stdin",
        stdin="another-password\n",
    )
    assert code == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("error: ") and "Traceback" not in captured.err
    assert rows(acme, "SELECT count(*) FROM users") == [(1,)]


def _add_bot(monkeypatch: pytest.MonkeyPatch) -> None:
    code = run(
        monkeypatch,
        "create-user",
        "--org",
        "Acme",
        "--email",
        "bot@example.com",
        "--name",
        "Release Bot",
        "--password-stdin",
        stdin="bots-password\n",
    )
    assert code == 0


def test_create_api_token_prints_a_working_secret_once(
    acme: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """create-api-token prints only the secret on stdout (for WORKCHAT_TOKEN=$(...)); it
    authenticates as that user with the scopes asked for, stored hashed, audited as the CLI."""
    import asyncio

    from workchat.auth.authenticate import authenticate
    from workchat.auth.secrets import token_hash
    from workchat.settings import Settings

    _add_bot(monkeypatch)
    capsys.readouterr()
    code = run(
        monkeypatch,
        "create-api-token",
        "--org",
        "Acme",
        "--email",
        "BOT@example.com",
        "--name",
        "release bot",
        "--scope",
        "read",
    )
    out, err = capsys.readouterr()
    assert code == 0
    secret = out.strip()
    assert out == secret + "\n" and secret.startswith("wct_")
    assert "shown only this once" in err and "bot@example.com" in err
    [(bot_id,)] = rows(acme, "SELECT id FROM users WHERE email = 'bot@example.com'")
    [(user_id, name, stored, scopes)] = rows(
        acme, "SELECT user_id, name, token_hash, scopes FROM api_tokens"
    )
    assert (user_id, name, json.loads(str(scopes))) == (bot_id, "release bot", ["read"])
    assert stored == token_hash(secret) and secret not in str(stored)
    audit = rows(acme, "SELECT action, via, operation, actor_id FROM audit_entries")
    assert audit[-1] == ("token.create", "cli", "create-api-token", None)

    async def viewer() -> tuple[str, frozenset[str]]:
        services = Services.create(Settings.from_env())
        await services.start()
        try:
            found = await authenticate(services.db, services.settings, secret, via="mcp")
        finally:
            await services.close()
        return str(found.user_id).replace("-", ""), frozenset(found.scopes)

    assert asyncio.run(viewer()) == (str(bot_id).replace("-", ""), frozenset({"read"}))


def test_create_api_token_refusals_write_nothing(
    acme: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An unknown user or org, or the admin scope for a member: exit 1, one line, no token."""
    _add_bot(monkeypatch)
    capsys.readouterr()
    unknown = run(
        monkeypatch, "create-api-token", "--org", "Acme", "--email", "x@example.com", "--name", "t"
    )
    assert (unknown, capsys.readouterr().err) == (
        1,
        "error: no user x@example.com in an org named 'Acme'\n",
    )
    other_org = run(
        monkeypatch, "create-api-token", "--org", "Nope", "--email", "a@example.com", "--name", "t"
    )
    assert other_org == 1 and "no user a@example.com" in capsys.readouterr().err
    admin_scope = run(
        monkeypatch,
        "create-api-token",
        "--org",
        "Acme",
        "--email",
        "bot@example.com",
        "--name",
        "t",
        "--scope",
        "admin",
    )
    out, err = capsys.readouterr()
    assert (admin_scope, out) == (1, "")
    assert err.startswith("error: ") and "admin scope" in err and "Traceback" not in err
    assert rows(acme, "SELECT count(*) FROM api_tokens") == [(0,)]


def test_export_schema_matches_committed_sdl(
    tmp_path: Path,
    db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """export-schema writes the SDL; the committed schema.graphql is exactly that."""
    from workchat.graphql.schema import schema

    out = tmp_path / "schema.graphql"
    assert run(monkeypatch, "export-schema", "-o", str(out)) == 0
    text = out.read_text()
    committed = REPO_ROOT / "schema.graphql"
    expected = committed.read_text() if committed.exists() else schema.as_str() + "\n"
    assert text == expected
    assert text == schema.as_str() + "\n"
    assert "type Query" in text and "type Mutation" in text
    capsys.readouterr()
    assert run(monkeypatch, "export-schema") == 0
    assert capsys.readouterr().out == text


def test_audit_verify_ok(
    acme: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """audit verify prints an ok line per org and exits 0 on an intact chain."""
    run(
        monkeypatch,
        "create-org",
        "Initech",
        "--admin-email",
        "i@example.com",
        "--password-stdin",
        stdin=ADMIN_PASSWORD + "\n",
    )
    counts = dict(
        rows(
            acme,
            "SELECT o.name, count(*) FROM audit_entries a JOIN orgs o ON o.id = a.org_id "
            "GROUP BY o.name",
        )
    )
    assert counts["Acme"] >= 2 and counts["Initech"] >= 2
    capsys.readouterr()
    assert run(monkeypatch, "audit", "verify") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"ok     Acme: {counts['Acme']} entries",
        f"ok     Initech: {counts['Initech']} entries",
    ]
    assert run(monkeypatch, "audit", "verify", "--org", "Initech") == 0
    assert capsys.readouterr().out.splitlines() == [f"ok     Initech: {counts['Initech']} entries"]


def test_audit_verify_names_the_tampered_entry(
    acme: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With the append-only triggers bypassed and an entry edited, verify exits 1 and names
    the first bad entry."""
    with closing(sqlite3.connect(acme)) as conn:
        triggers = conn.execute(
            "SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='audit_entries'"
        ).fetchall()
        assert triggers
        for (name,) in triggers:
            conn.execute(f"DROP TRIGGER {name}")
        conn.execute(
            "UPDATE audit_entries SET diff = ? WHERE seq = 2",
            (json.dumps({"patch": [], "before": {}, "after": {"role": "member"}}),),
        )
        conn.commit()
    capsys.readouterr()
    assert run(monkeypatch, "audit", "verify") == 1
    out = capsys.readouterr().out
    assert out.startswith("BROKEN Acme: entry seq=2 ")


def test_audit_verify_unknown_org_exits_1(
    acme: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Verifying an org that does not exist is an error, not a vacuous success."""
    assert run(monkeypatch, "audit", "verify", "--org", "Nope") == 1
    assert "no org named 'Nope'" in capsys.readouterr().err


def test_prod_without_secret_is_a_configuration_error(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """In prod a missing secret stops every command with exit 2 before touching anything."""
    monkeypatch.setenv("WORKCHAT_ENV", "prod")
    monkeypatch.delenv("WORKCHAT_SECRET_KEY")
    assert run(monkeypatch, "migrate") == 2
    captured = capsys.readouterr()
    assert "configuration error" in captured.err
    assert "WORKCHAT_SECRET_KEY" in captured.err
    assert "Traceback" not in captured.err
    assert not db_path.exists()


@pytest.mark.parametrize(
    ("name", "value"),
    [("WORKCHAT_PORT", "eighty"), ("WORKCHAT_ENV", "staging"), ("WORKCHAT_SECRET_KEY", "short")],
)
def test_bad_settings_are_configuration_errors(
    db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    value: str,
) -> None:
    """Unusable settings exit 2 with a message naming the variable."""
    monkeypatch.setenv(name, value)
    assert run(monkeypatch, "migrate") == 2
    err = capsys.readouterr().err
    assert err.startswith("configuration error: ") and name in err


async def test_ensure_demo_org_runs_once(services: Services) -> None:
    """The first start creates the Demo org and its admin and writes the login to a 0600
    file; the second start does nothing."""
    services.settings.data_dir.mkdir(parents=True, exist_ok=True)
    created = await cli.ensure_demo_org(services)
    assert created is not None
    email, password = created
    assert email == cli.DEMO_EMAIL

    async with services.db.read_session() as session:
        [org] = list(await session.scalars(select(Org)))
        [user] = list(await session.scalars(select(User)))
    assert org.name == cli.DEMO_ORG
    assert (user.email, user.role, user.org_id, user.is_active) == (email, "admin", org.id, True)
    assert await Passwords(services.settings).verify(user.password_hash, password)

    login_file = services.settings.data_dir / "demo-login.txt"
    assert stat.S_IMODE(login_file.stat().st_mode) == 0o600
    content = login_file.read_text()
    assert email in content and password in content

    async with services.db.read_session() as session:
        entries = await session.scalar(select(func.count()).select_from(AuditEntry))
    assert await cli.ensure_demo_org(services) is None
    assert login_file.read_text() == content
    async with services.db.read_session() as session:
        assert await session.scalar(select(func.count()).select_from(Org)) == 1
        assert await session.scalar(select(func.count()).select_from(AuditEntry)) == entries


@pytest.mark.parametrize(("raw", "deflate"), [(None, False), ("true", True)])
def test_serve_runs_uvloop_httptools_compression_and_message_limit_as_set(
    db_path: Path, monkeypatch: pytest.MonkeyPatch, raw: str | None, deflate: bool
) -> None:
    import uvicorn

    monkeypatch.setenv("WORKCHAT_CREATE_DEMO_ORG", "false")
    monkeypatch.setenv("WORKCHAT_MAX_REQUEST_BYTES", "200000")  # also the WebSocket limit
    if raw is not None:
        monkeypatch.setenv("WORKCHAT_WS_COMPRESSION", raw)
    seen: dict[str, object] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: seen.update(options))
    assert cli.main(["serve", "--port", "20099"]) == 0
    assert seen["loop"] == "uvloop"
    assert seen["http"] == "httptools"
    assert seen["ws_per_message_deflate"] is deflate
    assert seen["ws_max_size"] == 200_000
