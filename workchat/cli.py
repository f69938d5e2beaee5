"""The ``workchat`` command: serve, migrate, create-org, create-user, create-api-token,
export-schema, audit, events, seed, mcp."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import secrets
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import func, select

from workchat.auth.viewer import system
from workchat.cli_errors import NoTerminal, check_port, explain, program
from workchat.db.backup import BackupError
from workchat.errors import ActionError, RequestError
from workchat.services import Services
from workchat.settings import Settings, SettingsError

DEMO_ORG = "Demo"
DEMO_EMAIL = "admin@demo.example.com"


def _run(settings: Settings, work: Callable[[Services], Awaitable[int]]) -> int:
    async def main() -> int:
        services = Services.create(settings)
        await services.start()
        try:
            return await work(services)
        finally:
            await services.close()

    return asyncio.run(main())


def migrate(settings: Settings) -> None:
    from workchat.db.migrate import upgrade

    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)


async def ensure_demo_org(services: Services) -> tuple[str, str] | None:
    """First embedded start: create an org and an admin so a newcomer can log in at once."""
    from workchat.actions.orgs import create_org
    from workchat.actions.users import prepare_user
    from workchat.db.models import Org

    async with services.db.read_session() as session:
        if (await session.scalar(select(func.count()).select_from(Org))) or 0:
            return None
    password = secrets.token_urlsafe(12)
    admin = await prepare_user(
        services, email=DEMO_EMAIL, display_name="Demo Admin", password=password, role="admin"
    )
    services.settings.data_dir.mkdir(parents=True, exist_ok=True)
    await create_org(services, system(operation="serve"), DEMO_ORG, admin=admin)
    login_file = services.settings.data_dir / "demo-login.txt"
    fd = os.open(login_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(f"email: {DEMO_EMAIL}\npassword: {password}\n")
    return DEMO_EMAIL, password


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    from workchat import logs, serving
    from workchat.app import create_app

    workers: int = args.workers
    refusal = serving.workers_refusal(settings, workers)
    if refusal is not None:
        print(f"error: {refusal}", file=sys.stderr)
        return 2
    logs.configure(settings.effective_log_format, args.log_level)
    migrate(settings)  # once, before any worker starts
    # Reach the database and the event bus once before announcing anything: a wrong URL or a
    # stopped Redis ends here in one line instead of in the server's start-up traceback.
    demo = settings.is_sqlite and settings.create_demo_org
    _run(settings, announce_demo_org if demo else _reachable)
    host, port = args.host or settings.host, args.port or settings.port
    check_port(host, port)
    if workers > 1:
        serving.prepare_multiprocess(args.log_level)
    serving.start_metrics_port(settings)
    print(f"workchat: web client at http://{host}:{port}/", flush=True)
    print(
        f"workchat: GraphQL at http://{host}:{port}/graphql"
        + ("  (GraphiQL in your browser)" if not settings.is_prod else ""),
        flush=True,
    )
    uvicorn.run(
        # Several workers each build the app from the environment (the same settings).
        "workchat.serving:app_from_env" if workers > 1 else create_app(settings),
        factory=workers > 1,
        workers=workers if workers > 1 else None,
        host=host,
        port=port,
        **serving.uvicorn_options(settings, args.log_level),
    )
    return 0


async def _reachable(services: Services) -> int:
    async with services.db.read_session() as session:
        await session.execute(select(1))
    return 0


async def announce_demo_org(services: Services) -> int:
    demo = await ensure_demo_org(services)
    if demo is not None:
        email, password = demo
        print(
            "workchat: created the demo org. Log in with\n"
            f"  email:    {email}\n  password: {password}\n"
            f"  (kept in {services.settings.data_dir / 'demo-login.txt'})",
            flush=True,
        )
    return 0


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    migrate(settings)
    print("workchat: database is at the latest migration")
    return 0


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        raise NoTerminal(
            "no terminal to ask for the password on: pipe it in with --password-stdin "
            f"(e.g. printf '%s\\n' \"$PASSWORD\" | {program()} {args.command} ... --password-stdin)"
        )
    return getpass.getpass("password: ")


def cmd_create_org(settings: Settings, args: argparse.Namespace) -> int:
    from workchat.actions.orgs import create_org
    from workchat.actions.users import prepare_user

    password = _password(args)

    async def work(services: Services) -> int:
        admin = await prepare_user(
            services,
            email=args.admin_email,
            display_name=args.admin_name,
            password=password,
            role="admin",
        )
        org = await create_org(services, system(operation="create-org"), args.name, admin=admin)
        print(f"created org {org.name!r} ({org.id}) with admin {admin.email}")
        return 0

    return _run(settings, work)


def cmd_create_user(settings: Settings, args: argparse.Namespace) -> int:
    from workchat.actions.users import create_user
    from workchat.db.models import Org

    password = _password(args)

    async def work(services: Services) -> int:
        async with services.db.read_session() as session:
            org_id = await session.scalar(select(Org.id).where(Org.name == args.org))
        if org_id is None:
            print(f"error: no org named {args.org!r}", file=sys.stderr)
            return 1
        user = await create_user(
            services,
            system(operation="create-user"),
            org_id=org_id,
            email=args.email,
            display_name=args.name,
            password=password,
            role=args.role,
        )
        print(f"created {user.role} {user.email} ({user.id})")
        return 0

    return _run(settings, work)


def cmd_create_api_token(settings: Settings, args: argparse.Namespace) -> int:
    """An API token for a user (an agent's, for ``workchat mcp``): the secret alone on stdout,
    so ``WORKCHAT_TOKEN=$(workchat create-api-token ...)`` works; the rest on stderr."""
    from workchat.actions.tokens import create_api_token
    from workchat.actions.validation import clean_email
    from workchat.db.models import Org, User

    async def work(services: Services) -> int:
        email = clean_email(args.email)
        async with services.db.read_session() as session:
            user_id = await session.scalar(
                select(User.id)
                .join(Org, Org.id == User.org_id)
                .where(Org.name == args.org, User.email == email)
            )
        if user_id is None:
            print(f"error: no user {email} in an org named {args.org!r}", file=sys.stderr)
            return 1
        created = await create_api_token(
            services,
            system(operation="create-api-token"),
            user_id=user_id,
            name=args.name,
            scopes=args.scope or ["read", "write"],
        )
        print(created.secret)
        print(
            f"created API token {created.token.name!r} for {email} "
            f"(scopes: {', '.join(created.token.scopes)}); it is shown only this once",
            file=sys.stderr,
        )
        return 0

    return _run(settings, work)


def cmd_export_schema(settings: Settings, args: argparse.Namespace) -> int:
    from workchat.graphql.schema import schema

    text = schema.as_str() + "\n"
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text)
    return 0


def cmd_audit_verify(settings: Settings, args: argparse.Namespace) -> int:
    from workchat import audit_anchor as anchor
    from workchat.audit import verify_chain
    from workchat.db.models import Org

    try:
        checkpoints = _checkpoints_to_check(settings, args)
        key = anchor.checkpoint_key(settings) if checkpoints else b""
    except (anchor.CheckpointError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    good, forged = anchor.authenticate(checkpoints, key)
    for finding in forged:
        print(finding.message)

    async def work(services: Services) -> int:
        async with services.db.read_session() as session:
            query = select(Org).order_by(Org.name)
            if args.org:
                query = query.where(Org.name == args.org)
            orgs = list(await session.scalars(query))
            if args.org and not orgs:
                print(f"error: no org named {args.org!r}", file=sys.stderr)
                return 1
            broken = len(forged)
            known = {org.id for org in orgs}
            if not args.org:
                for org_id in sorted({c.org_id for c in good} - known, key=str):
                    broken += 1
                    print(f"BROKEN org {org_id}: checkpointed, but no longer in the database")
            for org in orgs:
                mine = [c for c in good if c.org_id == org.id]
                check = await verify_chain(session, org.id)
                findings = await anchor.check_against(session, org.id, mine)
                if check.first_bad is not None:
                    broken += 1
                    bad = check.first_bad
                    print(f"BROKEN {org.name}: entry seq={bad.seq} id={bad.id}: {check.reason}")
                elif findings:
                    broken += 1
                for finding in findings:
                    print(f"BROKEN {org.name}: {finding.message}")
                if check.first_bad is None and not findings:
                    anchored = f"; matches {len(mine)} checkpoint(s)" if mine else ""
                    print(f"ok     {org.name}: {check.checked} entries{anchored}")
        return 1 if broken else 0

    return _run(settings, work)


def _checkpoints_to_check(settings: Settings, args: argparse.Namespace) -> list[Any]:
    """Checkpoints from ``--checkpoint`` lines and ``--checkpoints FILE`` (default: the
    configured checkpoint file, when it exists)."""
    from workchat import audit_anchor as anchor

    found = [
        anchor.parse_line(line, f"--checkpoint #{index}")
        for index, line in enumerate(args.checkpoint or [], start=1)
    ]
    path = args.checkpoints or settings.audit_checkpoint_file
    if path is not None and (args.checkpoints or Path(path).exists()):
        found.extend(anchor.read_file(Path(path)))
    return found


def cmd_audit_checkpoint(settings: Settings, args: argparse.Namespace) -> int:
    """Print a signed checkpoint line per org (and append them to the checkpoint file)."""
    from workchat import audit_anchor as anchor
    from workchat.db.models import Org

    try:
        key = anchor.checkpoint_key(settings)
    except anchor.CheckpointError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    async def work(services: Services) -> int:
        org_ids = None
        if args.org:
            async with services.db.read_session() as session:
                org_id = await session.scalar(select(Org.id).where(Org.name == args.org))
            if org_id is None:
                print(f"error: no org named {args.org!r}", file=sys.stderr)
                return 1
            org_ids = [org_id]
        taken = await anchor.take_checkpoints(services.db, key, org_ids)
        for checkpoint in taken:
            print(checkpoint.line())
        target = args.file or settings.audit_checkpoint_file
        if target is not None:
            anchor.append(Path(target), taken)
            print(f"appended {len(taken)} checkpoints to {target}", file=sys.stderr)
        return 0

    return _run(settings, work)


def cmd_audit_export(settings: Settings, args: argparse.Namespace) -> int:
    """JSON Lines, one entry per line in chain order, with the hashes for re-verification."""
    from workchat.actions.audit_log import AuditFilter, stream_audit_entries
    from workchat.db.models import Org

    try:
        since = datetime.fromisoformat(args.since) if args.since else None
    except ValueError:
        print("error: --since must be an ISO date or timestamp", file=sys.stderr)
        return 2
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=UTC)

    async def work(services: Services, out: TextIO) -> int:
        count = 0
        async with services.db.read_session() as session:
            query = select(Org).order_by(Org.name)
            if args.org:
                query = query.where(Org.name == args.org)
            orgs = list(await session.scalars(query))
            if args.org and not orgs:
                print(f"error: no org named {args.org!r}", file=sys.stderr)
                return 1
            for org in orgs:
                async for entry in stream_audit_entries(session, org.id, AuditFilter(since=since)):
                    out.write(json.dumps(audit_record(entry), ensure_ascii=False) + "\n")
                    count += 1
        out.flush()  # a closed pipe (`| head`) fails here, inside main's handling
        print(f"exported {count} audit entries", file=sys.stderr)
        return 0

    if args.output == "-":
        return _run(settings, lambda services: work(services, sys.stdout))
    with open(args.output, "w", encoding="utf-8") as handle:
        return _run(settings, lambda services: work(services, handle))


def audit_record(entry: Any) -> dict[str, Any]:
    return {
        "org_id": str(entry.org_id),
        "seq": entry.seq,
        "id": str(entry.id),
        "at": entry.at.isoformat(),
        "actor_id": str(entry.actor_id) if entry.actor_id else None,
        "via": entry.via,
        "operation": entry.operation,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "diff": entry.diff,
        "request_id": entry.request_id,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }


def cmd_events_prune(settings: Settings, args: argparse.Namespace) -> int:
    """Delete events older than the retention (or ``--older-than-days``), in small batches."""
    from datetime import timedelta

    from workchat.db.base import utcnow
    from workchat.events.retention import prune_events

    days: int | None = args.older_than_days
    if days is not None and days < 1:
        print("error: --older-than-days must be at least 1", file=sys.stderr)
        return 2
    cutoff = utcnow() - timedelta(days=days or settings.event_retention_days)

    async def work(services: Services) -> int:
        result = await prune_events(services.db, older_than=cutoff)
        print(f"pruned {result.deleted} events older than {cutoff.isoformat(timespec='seconds')}")
        return 0

    return _run(settings, work)


def cmd_seed(settings: Settings, args: argparse.Namespace) -> int:
    """Bulk-load a benchmark corpus (dev databases only)."""
    from workchat.devdata.seed import ProgressBar, seed_corpus

    if settings.is_prod:  # checked before migrating, too
        print("error: seeding is for development and benchmark databases", file=sys.stderr)
        return 1
    migrate(settings)

    async def work(services: Services) -> int:
        bar = None if args.quiet else ProgressBar(sys.stderr)
        try:
            summary = await seed_corpus(
                services,
                messages=args.messages,
                channels=args.channels,
                users=args.users,
                orgs=args.orgs,
                seed=args.seed,
                progress=bar,
            )
        finally:
            if bar is not None:
                bar.close()
        print(
            f"seeded {summary.messages} messages ({summary.replies} replies, "
            f"{summary.deleted} deleted), {summary.reactions} reactions, {summary.users} users, "
            f"{summary.channels} channels ({summary.private_channels} private), "
            f"{summary.memberships} memberships in {len(summary.orgs)} orgs "
            f"in {summary.seconds:.1f} s\n"
            f"log in as {summary.login_email} with password {summary.login_password} "
            "(every seeded user has this password)"
        )
        return 0

    return _run(settings, work)


PG_BACKUP_HINT = (
    "for PostgreSQL use its own tools: pg_dump --format=custom -f workchat.dump DATABASE_URL, "
    "and pg_restore --clean --if-exists -d DATABASE_URL workchat.dump "
    "(docs/operations/backups.md)"
)


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    """A consistent copy of the embedded SQLite database, safe while the server runs."""
    from workchat.db.backup import backup, sqlite_path

    if not settings.is_sqlite:
        print(
            f"error: workchat backup copies the embedded SQLite database; {PG_BACKUP_HINT}",
            file=sys.stderr,
        )
        return 2
    result = backup(sqlite_path(settings.database_url), Path(args.path))
    rows = sum(result.tables.values())
    print(
        f"backed up {sqlite_path(settings.database_url)} to {result.path} "
        f"({result.bytes} bytes, {len(result.tables)} tables, {rows} rows; integrity check ok)"
    )
    return 0


def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    """Replace the embedded SQLite database with a backup (the server must be stopped)."""
    from workchat.db.backup import restore, sqlite_path

    if not settings.is_sqlite:
        print(
            f"error: workchat restore writes the embedded SQLite database; {PG_BACKUP_HINT}",
            file=sys.stderr,
        )
        return 2
    target = sqlite_path(settings.database_url)
    tables = restore(Path(args.path), target, force=args.force)
    print(
        f"restored {args.path} into {target} ({sum(tables.values())} rows); "
        f"run `{program()} migrate` if the backup is from an older version"
    )
    return 0


def cmd_mcp(settings: Settings, args: argparse.Namespace) -> int:
    from workchat.mcp import stdio

    return stdio.run(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workchat", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="migrate, then run the server")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--log-level", default="info")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes (PostgreSQL and a Redis or PostgreSQL bus only)",
    )
    serve.set_defaults(handler=cmd_serve)

    sub.add_parser("migrate", help="upgrade the database to the latest schema").set_defaults(
        handler=cmd_migrate
    )

    org = sub.add_parser("create-org", help="create an org and its first admin")
    org.add_argument("name")
    org.add_argument("--admin-email", required=True)
    org.add_argument("--admin-name", default="Admin")
    org.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    org.set_defaults(handler=cmd_create_org)

    user = sub.add_parser("create-user", help="add a user to an org")
    user.add_argument("--org", required=True, help="the org's name")
    user.add_argument("--email", required=True)
    user.add_argument("--name", required=True, help="display name")
    user.add_argument("--role", choices=("admin", "member"), default="member")
    user.add_argument("--password-stdin", action="store_true")
    user.set_defaults(handler=cmd_create_user)

    token = sub.add_parser(
        "create-api-token", help="create an API token for a user (e.g. an agent's)"
    )
    token.add_argument("--org", required=True, help="the org's name")
    token.add_argument("--email", required=True, help="the user's email")
    token.add_argument("--name", required=True, help="what the token is for, e.g. release bot")
    token.add_argument(
        "--scope",
        action="append",
        choices=("read", "write", "admin"),
        help="repeatable; default read and write",
    )
    token.set_defaults(handler=cmd_create_api_token)

    export = sub.add_parser("export-schema", help="print the GraphQL SDL")
    export.add_argument("--output", "-o", default="-")
    export.set_defaults(handler=cmd_export_schema)

    seed = sub.add_parser("seed", help="bulk-load a benchmark corpus (not in prod)")
    seed.add_argument("--messages", type=int, required=True)
    seed.add_argument("--channels", type=int, required=True, help="in all orgs together")
    seed.add_argument("--users", type=int, required=True, help="in all orgs together")
    seed.add_argument("--orgs", type=int, default=3)
    seed.add_argument("--seed", type=int, default=0, help="random seed (same seed, same corpus)")
    seed.add_argument(
        "--quiet",
        action="store_true",
        help="no progress on stderr (bars on a terminal, plain lines elsewhere)",
    )
    seed.set_defaults(handler=cmd_seed)

    audit = sub.add_parser("audit", help="audit trail tools")
    audit_sub = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_sub.add_parser(
        "verify", help="check every org's hash chain (and against signed checkpoints)"
    )
    verify.add_argument("--org", help="only this org (by name)")
    verify.add_argument(
        "--checkpoint",
        action="append",
        metavar="LINE",
        help="a checkpoint line from `audit checkpoint` (repeatable)",
    )
    verify.add_argument(
        "--checkpoints",
        metavar="FILE",
        help="a file of checkpoint lines (default: WORKCHAT_AUDIT_CHECKPOINT_FILE if it exists)",
    )
    verify.set_defaults(handler=cmd_audit_verify)
    checkpoint = audit_sub.add_parser(
        "checkpoint", help="print a signed checkpoint of each org's chain head, to keep elsewhere"
    )
    checkpoint.add_argument("--org", help="only this org (by name)")
    checkpoint.add_argument(
        "--file", help="append to this file (default: WORKCHAT_AUDIT_CHECKPOINT_FILE, if set)"
    )
    checkpoint.set_defaults(handler=cmd_audit_checkpoint)
    export = audit_sub.add_parser("export", help="write entries as JSON Lines for archiving")
    export.add_argument("--since", help="only entries at or after this ISO date/time (UTC)")
    export.add_argument("--org", help="only this org (by name)")
    export.add_argument("--output", "-o", default="-", help="file to write (default stdout)")
    export.set_defaults(handler=cmd_audit_export)

    events = sub.add_parser("events", help="event log tools")
    events_sub = events.add_subparsers(dest="events_command", required=True)
    prune = events_sub.add_parser("prune", help="delete events older than the retention")
    prune.add_argument(
        "--older-than-days",
        type=int,
        help="instead of WORKCHAT_EVENT_RETENTION_DAYS (default 7)",
    )
    prune.set_defaults(handler=cmd_events_prune)

    backup = sub.add_parser(
        "backup", help="copy the embedded SQLite database while the server runs (not PostgreSQL)"
    )
    backup.add_argument("path", help="the new file to write (must not exist)")
    backup.set_defaults(handler=cmd_backup)
    restore = sub.add_parser(
        "restore", help="replace the embedded SQLite database with a backup (server stopped)"
    )
    restore.add_argument("path", help="a file written by `workchat backup`")
    restore.add_argument(
        "--force", action="store_true", help="replace an existing database (it is lost)"
    )
    restore.set_defaults(handler=cmd_restore)

    mcp = sub.add_parser("mcp", help="serve MCP tools on stdio (API token in WORKCHAT_TOKEN)")
    mcp.add_argument("--url", help="a workchat server's https://host/graphql to run them against")
    mcp.set_defaults(handler=cmd_mcp)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings: Settings | None = None
    try:
        # Exporting the schema needs no configuration (and must not create a dev secret).
        # So does mcp --url (a remote server's settings are not ours; local mode reads them).
        no_settings = args.command == "export-schema" or args.command == "mcp"
        settings = Settings() if no_settings else Settings.from_env()
        handler: Any = args.handler
        return int(handler(settings, args))
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except (ActionError, RequestError, BackupError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return _broken_pipe()
    except Exception as exc:
        line = explain(exc, settings)
        if line is None:
            raise
        print(f"error: {line}", file=sys.stderr)
        return 1


def _broken_pipe() -> int:
    """The reader of our output went away (``| head``): say so once, and keep Python from
    complaining again when it flushes stdout at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    print(
        "workchat: output ended early (the reading command closed the pipe); "
        "use -o FILE to keep all of it",
        file=sys.stderr,
    )
    return 141  # what a shell reports for a command ended by SIGPIPE


if __name__ == "__main__":
    raise SystemExit(main())
