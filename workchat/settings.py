"""Configuration: read once from ``WORKCHAT_*`` environment variables (and an optional ``.env``)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

PREFIX = "WORKCHAT_"
MIN_SECRET_BYTES = 32

Environment = Literal["dev", "prod"]
SqliteSynchronous = Literal["OFF", "NORMAL", "FULL", "EXTRA"]


class SettingsError(ValueError):
    """The configuration cannot be used; the message says which variable and why."""


@dataclass(frozen=True, slots=True)
class Settings:
    env: Environment = "dev"
    data_dir: Path = Path("data")
    database_url: str = ""
    broadcast_url: str = "memory://"
    secret_key: str = field(default="", repr=False)
    allowed_origins: tuple[str, ...] = ()
    host: str = "127.0.0.1"
    port: int = 8000
    # WAL + NORMAL keeps every acknowledged write across a process crash; FULL also
    # across power loss (an fsync per commit).
    sqlite_synchronous: SqliteSynchronous = "NORMAL"
    sqlite_busy_timeout_ms: int = 5000
    access_token_ttl_seconds: int = 15 * 60
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    # A rotated refresh token presented again this soon after its rotation, while its
    # replacement is unused, gets a fresh pair instead of ending the session (two tabs
    # refreshing at once); 0 turns the grace off.
    refresh_reuse_grace_seconds: int = 10
    jwt_issuer: str = "workchat"
    jwt_audience: str = "workchat-api"
    # argon2id cost; the defaults follow RFC 9106's second recommended profile.
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 64 * 1024
    argon2_parallelism: int = 4
    max_query_depth: int = 12
    max_query_aliases: int = 30
    max_query_tokens: int = 5000
    create_demo_org: bool = True
    # Events older than this are pruned from the log; a subscriber resuming from an older
    # cursor gets ResyncRequired.
    event_retention_days: int = 7
    # How often the server prunes the event log (0: never; `workchat events prune` still does).
    event_prune_interval_seconds: int = 3600
    # A connected user with no activity (no GraphQL operation on a socket) for this long
    # shows as away.
    presence_away_seconds: int = 300
    # Limits of one WebSocket: operations running at once, and sockets one user may hold
    # open on one server process.
    max_subscriptions_per_socket: int = 50
    max_sockets_per_user: int = 20

    @property
    def is_prod(self) -> bool:
        return self.env == "prod"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, dotenv: Path | None = None
    ) -> Settings:
        """Build settings from the environment; ``.env`` values never override real variables."""
        values: dict[str, str] = {}
        dotenv_path = dotenv if dotenv is not None else Path(".env")
        if dotenv_path.is_file():
            values.update(_read_dotenv(dotenv_path))
        values.update({k: v for k, v in (os.environ if environ is None else environ).items()})
        return cls.from_mapping(values)

    @classmethod
    def from_mapping(cls, values: Mapping[str, str]) -> Settings:
        def get(name: str) -> str | None:
            value = values.get(PREFIX + name)
            return value if value not in (None, "") else None

        env = get("ENV") or "dev"
        if env not in ("dev", "prod"):
            raise SettingsError(f"{PREFIX}ENV must be 'dev' or 'prod', not {env!r}")
        data_dir = Path(get("DATA_DIR") or "data")
        database_url = get("DATABASE_URL") or f"sqlite+aiosqlite:///{data_dir / 'workchat.db'}"
        sync = (get("SQLITE_SYNCHRONOUS") or "NORMAL").upper()
        if sync not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise SettingsError(f"{PREFIX}SQLITE_SYNCHRONOUS must be OFF, NORMAL, FULL or EXTRA")
        origins = tuple(o.strip() for o in (get("ALLOWED_ORIGINS") or "").split(",") if o.strip())
        kwargs: dict[str, object] = {
            "env": env,
            "data_dir": data_dir,
            "database_url": database_url,
            "broadcast_url": get("BROADCAST_URL") or "memory://",
            "secret_key": get("SECRET_KEY") or "",
            "allowed_origins": origins,
            "host": get("HOST") or "127.0.0.1",
            "sqlite_synchronous": sync,
            "create_demo_org": _bool(get("CREATE_DEMO_ORG"), default=env == "dev"),
        }
        for name in (
            "port",
            "sqlite_busy_timeout_ms",
            "access_token_ttl_seconds",
            "refresh_token_ttl_seconds",
            "refresh_reuse_grace_seconds",
            "argon2_time_cost",
            "argon2_memory_kib",
            "argon2_parallelism",
            "max_query_depth",
            "max_query_aliases",
            "max_query_tokens",
            "event_retention_days",
            "event_prune_interval_seconds",
            "presence_away_seconds",
            "max_subscriptions_per_socket",
            "max_sockets_per_user",
        ):
            raw = get(name.upper())
            if raw is not None:
                try:
                    kwargs[name] = int(raw)
                except ValueError:
                    raise SettingsError(f"{PREFIX}{name.upper()} must be an integer") from None
        retention, interval = (
            kwargs.get("event_retention_days"),
            kwargs.get("event_prune_interval_seconds"),
        )
        if isinstance(retention, int) and retention < 1:
            raise SettingsError(f"{PREFIX}EVENT_RETENTION_DAYS must be at least 1")
        grace = kwargs.get("refresh_reuse_grace_seconds")
        if isinstance(grace, int) and grace < 0:
            raise SettingsError(f"{PREFIX}REFRESH_REUSE_GRACE_SECONDS must not be negative")
        if isinstance(interval, int) and interval < 0:
            raise SettingsError(f"{PREFIX}EVENT_PRUNE_INTERVAL_SECONDS must not be negative")
        for limit in ("max_subscriptions_per_socket", "max_sockets_per_user"):
            value = kwargs.get(limit)
            if isinstance(value, int) and value < 1:
                raise SettingsError(f"{PREFIX}{limit.upper()} must be at least 1")
        away = kwargs.get("presence_away_seconds")
        if isinstance(away, int) and away < 1:
            raise SettingsError(f"{PREFIX}PRESENCE_AWAY_SECONDS must be at least 1")
        settings = cls(**kwargs)  # type: ignore[arg-type]
        return settings.with_secret()

    def with_secret(self) -> Settings:
        """Return settings with a usable secret key, or refuse to start in ``prod``."""
        if self.secret_key:
            if len(self.secret_key.encode()) < MIN_SECRET_BYTES:
                raise SettingsError(f"{PREFIX}SECRET_KEY must be at least {MIN_SECRET_BYTES} bytes")
            return self
        if self.is_prod:
            raise SettingsError(f"{PREFIX}SECRET_KEY is required when {PREFIX}ENV=prod")
        return _replace(self, secret_key=_dev_secret(self.data_dir))


def _replace(settings: Settings, **changes: object) -> Settings:
    from dataclasses import replace

    return replace(settings, **changes)  # type: ignore[arg-type]


def _dev_secret(data_dir: Path) -> str:
    """Generate a secret once and keep it in the data folder so tokens survive restarts."""
    path = data_dir / "secret_key"
    if path.is_file():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)
    return secret


def _bool(raw: str | None, *, default: bool) -> bool:
    if raw is None:
        return default
    return raw.strip().lower() in ("1", "true", "yes", "on")


def _read_dotenv(path: Path) -> dict[str, str]:
    """A minimal ``KEY=VALUE`` reader: only ``WORKCHAT_*`` keys, quotes stripped."""
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        key, value = key.strip(), value.strip()
        if key.startswith(PREFIX):
            values[key] = value.strip("'\"")
    return values
