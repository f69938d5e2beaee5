"""One line a person can act on for each failure the CLI expects (a database or Redis that
cannot be reached, a file that cannot be written, no terminal to prompt on): the cause and
the fix, never a traceback. Anything not recognised here is a bug and keeps its traceback."""

from __future__ import annotations

from urllib.parse import urlsplit

from workchat.settings import PREFIX, Settings


class NoTerminal(Exception):
    """A prompt was needed but stdin is not a terminal."""


def check_port(host: str, port: int) -> None:
    """Refuse before announcing the URLs when another process already listens there."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As uvicorn binds: SO_REUSEADDR, so a socket in TIME_WAIT is no reason to refuse.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise PortBusy(
                f"cannot listen on {host}:{port}: {exc.strerror or exc} (another workchat "
                f"server?); stop it, or choose another port with --port or {PREFIX}PORT"
            ) from None


class PortBusy(Exception):
    """The address the server should listen on is taken."""


def program() -> str:
    """How to run this command again, as the person typed it (``.venv/bin/workchat`` from a
    clone, where a bare ``workchat`` is not on PATH); ``workchat`` when run some other way."""
    import sys
    from pathlib import Path

    typed = sys.argv[0] if sys.argv else ""
    return typed if Path(typed).name == "workchat" else "workchat"


def where(url: str) -> str:
    """``scheme://host:port/name`` of a URL, without user or password."""
    parts = urlsplit(url)
    if parts.scheme.startswith("sqlite"):
        return parts.path.removeprefix("/") or url
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def explain(exc: BaseException, settings: Settings | None) -> str | None:
    """The line to print for ``exc``, or None when it is not an expected failure."""
    from redis.exceptions import RedisError
    from sqlalchemy.exc import DBAPIError

    database = where(settings.database_url) if settings else "the database"
    bus = where(settings.broadcast_url) if settings else "Redis"
    if isinstance(exc, NoTerminal | PortBusy):
        return str(exc)
    if isinstance(exc, RedisError):
        return (
            f"cannot use Redis at {bus}: {_first_line(exc)}; start Redis there or fix "
            f"{PREFIX}BROADCAST_URL (memory:// needs no Redis for a single process)"
        )
    if isinstance(exc, DBAPIError):
        reason = exc.orig if exc.orig is not None else exc
        cause = reason.__cause__ or reason
        if type(cause).__name__ == "InvalidCatalogNameError":  # asyncpg: no such database
            name = urlsplit(settings.database_url).path.lstrip("/") if settings else ""
            return (
                f"{_first_line(cause)} at {database}: create it (createdb {name}) or fix "
                f"{PREFIX}DATABASE_URL"
            )
        text = _first_line(cause)
        if "no such table" in text or type(cause).__name__ == "UndefinedTableError":
            return (
                f"{database} has no workchat tables yet ({text}): run `{program()} migrate` first"
            )
        if settings is not None and settings.is_sqlite:
            return (
                f"cannot open the SQLite database {database}: {text}; run `{program()} migrate` "
                f"to create it, or fix {PREFIX}DATABASE_URL / {PREFIX}DATA_DIR"
            )
        return (
            f"the database at {database} refused: {text}; check "
            f"{PREFIX}DATABASE_URL (host, user, password, database name)"
        )
    if isinstance(exc, OSError) and exc.filename is not None:
        return _file_error(exc)
    if isinstance(exc, OSError | TimeoutError):
        return (
            f"cannot connect to the database at {database}: {_first_line(exc)}; is it "
            f"running there? check {PREFIX}DATABASE_URL"
        )
    return None


def _file_error(exc: OSError) -> str:
    import errno

    reason = exc.strerror or type(exc).__name__
    name = exc.filename
    if exc.errno == errno.ENOENT:
        return f"cannot open {name}: {reason}; create its folder first or choose another path"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"cannot write {name}: {reason}; choose a path you may write to"
    return f"cannot use {name}: {reason}"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0].rstrip(".")
