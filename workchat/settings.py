"""Configuration: read once from ``WORKCHAT_*`` environment variables (and an optional ``.env``)."""

from __future__ import annotations

import ipaddress
import os
import re
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
    # Limits of one document after fragment expansion (checked in one linear pass before
    # the other validation rules; docs/adr/0011-dos-request-limits.md): selections (fields,
    # spreads, inline fragments), directives, root fields of a mutation, and copies of one
    # response path (field merging compares those pairwise).
    max_query_selections: int = 1000
    max_query_directives: int = 50
    max_mutation_fields: int = 10
    max_repeated_fields: int = 20
    # Limits of one HTTP request, refused before parsing: the body, all headers together,
    # the query text, and the variables' nesting and number of values.
    max_request_bytes: int = 1024 * 1024
    max_header_bytes: int = 16 * 1024
    max_query_bytes: int = 100 * 1024
    max_variables_depth: int = 10
    max_variables_values: int = 1000
    # Longest a query or mutation may run over HTTP before it is answered TIMEOUT.
    execution_timeout_seconds: float = 10.0
    # Schema introspection (__schema, __type); None: on in dev, off in prod.
    introspection: bool | None = None
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
    # Sockets one user may hold open across every server process (counted through the
    # presence table, which all processes share).
    max_sockets_per_user: int = 20
    # WebSocket per-message compression (permessage-deflate): off, since it costs memory
    # and CPU per socket for small JSON frames; on trades that for bandwidth.
    ws_compression: bool = False
    # Execute and encode a subscription event once per group of subscribers with the same
    # operation, variables and permission scope (docs/adr/0020-subscription-fan-out.md);
    # off: once per subscriber (only for measuring the difference).
    fanout_shared_execution: bool = True
    # Rate limits ("N/period", e.g. "5/minute", "20/5 minutes"), docs/adr/0012-rate-limits.md.
    # Where the counters live: "" means the Redis of WORKCHAT_BROADCAST_URL when that is
    # Redis (shared by every process), else this process's memory.
    rate_limit_storage_url: str = ""
    rate_limit_key_prefix: str = "workchat"
    # Login attempts per client address; failed logins per (account, address); failed logins
    # per account from every address (past it, only addresses without failures may try).
    rate_limit_login_address: str = "30/minute"
    rate_limit_login_failures: str = "5/5 minutes"
    rate_limit_login_account_failures: str = "20/hour"
    rate_limit_refresh_address: str = "30/minute"
    rate_limit_mutations_user: str = "120/minute"
    rate_limit_mutations_token: str = "60/minute"
    rate_limit_subscriptions_user: str = "60/minute"
    # Failed logins of one account are audited once per window (then at the 10th, 100th, ...
    # failure, with the count), so anonymous callers cannot grow the audit log at will.
    failed_login_audit_window_seconds: int = 600
    # Proxies whose X-Forwarded-For is believed (addresses or CIDR networks); empty: the
    # peer address is the client address.
    trusted_proxies: tuple[str, ...] = ()
    # Audit checkpoints (docs/adr/0013-audit-checkpoints.md): the signing key (or a file
    # holding it) never lives in the database; checkpoints are appended to this file.
    audit_checkpoint_key: str = field(default="", repr=False)
    audit_checkpoint_key_file: Path | None = None
    audit_checkpoint_file: Path | None = None
    # How often the server appends a checkpoint (0: never; `workchat audit checkpoint` does).
    audit_checkpoint_interval_seconds: int = 0

    @property
    def is_prod(self) -> bool:
        return self.env == "prod"

    @property
    def introspection_enabled(self) -> bool:
        return self.introspection if self.introspection is not None else not self.is_prod

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
            "introspection": _bool(raw, default=False)
            if (raw := get("INTROSPECTION")) is not None
            else None,
            "trusted_proxies": _networks(get("TRUSTED_PROXIES")),
            "ws_compression": _bool(get("WS_COMPRESSION"), default=False),
            "fanout_shared_execution": _bool(get("FANOUT_SHARED_EXECUTION"), default=True),
            "audit_checkpoint_key": get("AUDIT_CHECKPOINT_KEY") or "",
        }
        for name in ("audit_checkpoint_key_file", "audit_checkpoint_file"):
            raw_path = get(name.upper())
            if raw_path is not None:
                kwargs[name] = Path(raw_path)
        for name in (*RATE_LIMIT_SETTINGS, "rate_limit_storage_url", "rate_limit_key_prefix"):
            raw_limit = get(name.upper())
            if raw_limit is not None:
                kwargs[name] = raw_limit
        for name in RATE_LIMIT_SETTINGS:
            if name in kwargs and not _rate_ok(str(kwargs[name])):
                raise SettingsError(
                    f"{PREFIX}{name.upper()} must look like '5/minute' or '20/5 minutes'"
                )
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
            *LIMITS_AT_LEAST_ONE,
            "event_retention_days",
            "event_prune_interval_seconds",
            "presence_away_seconds",
            "failed_login_audit_window_seconds",
            "audit_checkpoint_interval_seconds",
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
        timeout = get("EXECUTION_TIMEOUT_SECONDS")
        if timeout is not None:
            try:
                kwargs["execution_timeout_seconds"] = float(timeout)
            except ValueError:
                raise SettingsError(f"{PREFIX}EXECUTION_TIMEOUT_SECONDS must be a number") from None
            if not kwargs["execution_timeout_seconds"] > 0:  # type: ignore[operator]
                raise SettingsError(f"{PREFIX}EXECUTION_TIMEOUT_SECONDS must be positive")
        for limit in LIMITS_AT_LEAST_ONE:
            value = kwargs.get(limit)
            if isinstance(value, int) and value < 1:
                raise SettingsError(f"{PREFIX}{limit.upper()} must be at least 1")
        for positive in ("failed_login_audit_window_seconds",):
            value = kwargs.get(positive)
            if isinstance(value, int) and value < 1:
                raise SettingsError(f"{PREFIX}{positive.upper()} must be at least 1")
        checkpoints = kwargs.get("audit_checkpoint_interval_seconds")
        if isinstance(checkpoints, int) and checkpoints < 0:
            raise SettingsError(f"{PREFIX}AUDIT_CHECKPOINT_INTERVAL_SECONDS must not be negative")
        key = str(kwargs["audit_checkpoint_key"])
        if key and len(key.encode()) < MIN_SECRET_BYTES:
            raise SettingsError(
                f"{PREFIX}AUDIT_CHECKPOINT_KEY must be at least {MIN_SECRET_BYTES} bytes"
            )
        has_key = bool(key) or "audit_checkpoint_key_file" in kwargs
        if checkpoints and not (has_key and "audit_checkpoint_file" in kwargs):
            raise SettingsError(
                f"{PREFIX}AUDIT_CHECKPOINT_INTERVAL_SECONDS needs {PREFIX}AUDIT_CHECKPOINT_FILE "
                f"and {PREFIX}AUDIT_CHECKPOINT_KEY (or {PREFIX}AUDIT_CHECKPOINT_KEY_FILE)"
            )
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


# Integer limits that must be at least 1 (parsed with the other integers).
LIMITS_AT_LEAST_ONE = (
    "max_subscriptions_per_socket",
    "max_sockets_per_user",
    "max_query_selections",
    "max_query_directives",
    "max_mutation_fields",
    "max_repeated_fields",
    "max_request_bytes",
    "max_header_bytes",
    "max_query_bytes",
    "max_variables_depth",
    "max_variables_values",
)
RATE_LIMIT_SETTINGS = (
    "rate_limit_login_address",
    "rate_limit_login_failures",
    "rate_limit_login_account_failures",
    "rate_limit_refresh_address",
    "rate_limit_mutations_user",
    "rate_limit_mutations_token",
    "rate_limit_subscriptions_user",
)
_RATE_RE = re.compile(
    r"^\s*[1-9][0-9]*\s*(/|per)\s*([1-9][0-9]*\s*)?(second|minute|hour|day)s?\s*$", re.I
)


def _rate_ok(raw: str) -> bool:
    return bool(_RATE_RE.match(raw))


def _networks(raw: str | None) -> tuple[str, ...]:
    """Trusted proxy addresses or networks, checked here so a typo fails at start-up."""
    networks: list[str] = []
    for item in (raw or "").split(","):
        item = item.strip()
        if not item:
            continue
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise SettingsError(
                f"{PREFIX}TRUSTED_PROXIES: {item!r} is not an IP address or network"
            ) from None
    return tuple(networks)


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
