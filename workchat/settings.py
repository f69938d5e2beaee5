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
LogFormat = Literal["json", "text"]


class SettingsError(ValueError):
    """The configuration cannot be used; the message says which variable and why."""


@dataclass(frozen=True, slots=True)
class Settings:
    # Every field is a WORKCHAT_<NAME> variable. The comment right above a field is its
    # documentation: scripts/gen_settings_reference.py turns these comments into
    # docs/reference/configuration.md (and refuses a field without one).

    # `dev` or `prod`. `prod` requires WORKCHAT_SECRET_KEY and turns GraphiQL, introspection
    # and the demo org off.
    env: Environment = "dev"
    # Folder of the SQLite database, the generated dev secret and `demo-login.txt`.
    data_dir: Path = Path("data")
    # `sqlite:///path` (default: `workchat.db` in WORKCHAT_DATA_DIR) or
    # `postgresql://user:password@host:5432/name` (driven by asyncpg).
    database_url: str = ""
    # The event bus: `memory://` (one process), `redis://host:6379/0`, or
    # `postgresql://user:password@host/name` (LISTEN/NOTIFY; events over 7000 bytes travel as
    # a reference and are read from the log) for several processes.
    broadcast_url: str = "memory://"
    # Signs access tokens: at least 32 bytes, the same in every process; required in `prod`.
    # Dev generates one and keeps it in the data folder.
    secret_key: str = field(default="", repr=False)
    # Comma-separated browser origins (e.g. `http://localhost:5173`) allowed to use the API
    # from another site: CORS for `POST /graphql` (bearer tokens only, no cookies) and the
    # WebSocket handshake; their hosts may also reach `/mcp`. Same-origin use needs none.
    allowed_origins: tuple[str, ...] = ()
    # Address `workchat serve` listens on (`--host` overrides).
    host: str = "127.0.0.1"
    # Port `workchat serve` listens on (`--port` overrides).
    port: int = 8000
    # SQLite `synchronous`: WAL + `NORMAL` keeps every acknowledged write across a process
    # crash; `FULL` also across power loss (an fsync per commit). OFF, NORMAL, FULL or EXTRA.
    sqlite_synchronous: SqliteSynchronous = "NORMAL"
    # How long a SQLite writer waits for the write lock before failing (milliseconds).
    sqlite_busy_timeout_ms: int = 5000
    # Lifetime of a JWT access token (seconds).
    access_token_ttl_seconds: int = 15 * 60
    # Lifetime of a refresh token (seconds; rotated on every use).
    refresh_token_ttl_seconds: int = 30 * 24 * 3600
    # A rotated refresh token presented again this soon after its rotation, while its
    # replacement is unused, gets a fresh pair instead of ending the session (two tabs
    # refreshing at once); 0 turns the grace off.
    refresh_reuse_grace_seconds: int = 10
    # The `iss` claim of access tokens.
    jwt_issuer: str = "workchat"
    # The `aud` claim of access tokens.
    jwt_audience: str = "workchat-api"
    # argon2id time cost (iterations) of password hashes; the defaults follow RFC 9106's
    # second recommended profile.
    argon2_time_cost: int = 3
    # argon2id memory cost of password hashes (KiB).
    argon2_memory_kib: int = 64 * 1024
    # argon2id lanes of password hashes.
    argon2_parallelism: int = 4
    # Deepest selection nesting of one GraphQL document, fragments expanded
    # (`QUERY_TOO_COMPLEX` over it).
    max_query_depth: int = 12
    # Aliases in one GraphQL document, fragments expanded (`QUERY_TOO_COMPLEX` over it).
    max_query_aliases: int = 30
    # Lexical tokens in one GraphQL document, counted while parsing.
    max_query_tokens: int = 5000
    # Selections (fields, fragment spreads, inline fragments) of one document with its
    # fragments expanded, checked in one linear pass before the other validation rules
    # (docs/adr/0011-dos-request-limits.md).
    max_query_selections: int = 1000
    # Directives of one document with its fragments expanded.
    max_query_directives: int = 50
    # Root fields of one mutation request, i.e. writes per request.
    max_mutation_fields: int = 10
    # Times one response path (`viewer.org.id`) may be selected in one operation (field
    # merging compares the copies pairwise).
    max_repeated_fields: int = 20
    # HTTP request body, read in chunks and refused with 413 `PAYLOAD_TOO_LARGE` once over
    # (bytes). Also the largest WebSocket message (closed with 1009 by `workchat serve`).
    max_request_bytes: int = 1024 * 1024
    # All request headers together; over it: 431 `PAYLOAD_TOO_LARGE` (a WebSocket
    # handshake: 403) (bytes).
    max_header_bytes: int = 16 * 1024
    # The query text in a request; over it: 413 `PAYLOAD_TOO_LARGE` (bytes).
    max_query_bytes: int = 100 * 1024
    # Nesting of `variables` (and `extensions`); over it: 400 `INVALID_INPUT`.
    max_variables_depth: int = 10
    # Number of values in `variables` (and `extensions`); over it: 400 `INVALID_INPUT`.
    max_variables_values: int = 1000
    # Longest a query or mutation may run before it is stopped: over HTTP it is answered
    # 503 `TIMEOUT`, over WebSocket with an `error` coded `TIMEOUT` (seconds).
    execution_timeout_seconds: float = 10.0
    # How long a verified bearer credential is trusted without asking the database again
    # (0: always ask). Logout, revocation and deactivation end it at once on every process
    # that sees the event (docs/adr/0021-write-throughput.md); this bounds the rest.
    credential_cache_ms: int = 1000
    # Schema introspection (`__schema`, `__type`; `__typename` always works). Unset: on in
    # dev, off in prod. The schema is published as `schema.graphql`.
    introspection: bool | None = None
    # Create the "Demo" org and its admin on the first SQLite start (default: on in dev).
    create_demo_org: bool = True
    # Events older than this are pruned from the log; a subscriber resuming from an older
    # cursor gets ResyncRequired (days).
    event_retention_days: int = 7
    # How often the server prunes the event log (0: never; `workchat events prune` still
    # does) (seconds).
    event_prune_interval_seconds: int = 3600
    # A connected user with no activity (no GraphQL operation on a socket) for this long
    # shows as away (seconds).
    presence_away_seconds: int = 300
    # Operations one WebSocket may run at once (more get an `error` message).
    max_subscriptions_per_socket: int = 50
    # Sockets one user may hold open across every server process (counted through the
    # presence table, which all processes share; more are closed with 4403).
    max_sockets_per_user: int = 20
    # WebSocket per-message compression (permessage-deflate): off, since it costs memory
    # and CPU per socket for small JSON frames; on trades that for bandwidth.
    ws_compression: bool = False
    # Execute and encode a subscription event once per group of subscribers with the same
    # operation, variables and permission scope (docs/adr/0020-subscription-fan-out.md);
    # off: once per subscriber (only for measuring the difference).
    fanout_shared_execution: bool = True
    # Where rate-limit counters live (docs/adr/0012-rate-limits.md): empty means the Redis of
    # WORKCHAT_BROADCAST_URL when that is Redis (shared by every process), else this
    # process's memory; or `memory://` or `redis://host:6379/0` explicitly.
    rate_limit_storage_url: str = ""
    # Prefix of the rate-limit counters' Redis keys (several deployments on one Redis).
    rate_limit_key_prefix: str = "workchat"
    # Login attempts per client address. Limits are `N/period` (`second`, `minute`, `hour`,
    # `day`, e.g. `5/10 minutes`); over one, a request gets `RATE_LIMITED` with
    # `extensions.retryAfter` (seconds).
    rate_limit_login_address: str = "30/minute"
    # Failed logins per account and client address; a success from that address clears them.
    rate_limit_login_failures: str = "5/5 minutes"
    # Failed logins per account from every address; past it only addresses without failures
    # may try, so the owner is never locked out.
    rate_limit_login_account_failures: str = "20/hour"
    # `refreshToken` calls per client address.
    rate_limit_refresh_address: str = "30/minute"
    # Root mutation fields per user.
    rate_limit_mutations_user: str = "120/minute"
    # Root mutation fields per API token.
    rate_limit_mutations_token: str = "60/minute"
    # Subscriptions a user may start.
    rate_limit_subscriptions_user: str = "60/minute"
    # Failed logins of one account are audited once per window (then at the 10th, 100th, ...
    # failure, with the count), so anonymous callers cannot grow the audit log at will
    # (seconds).
    failed_login_audit_window_seconds: int = 600
    # Comma-separated proxy addresses or CIDR networks whose X-Forwarded-For names the
    # client; from anyone else the header is ignored and the peer address is the client.
    trusted_proxies: tuple[str, ...] = ()
    # HMAC key (at least 32 bytes) that signs audit checkpoints
    # (docs/adr/0013-audit-checkpoints.md); it never lives in the database.
    audit_checkpoint_key: str = field(default="", repr=False)
    # A file holding the audit checkpoint key, instead of WORKCHAT_AUDIT_CHECKPOINT_KEY.
    audit_checkpoint_key_file: Path | None = None
    # File that `workchat audit checkpoint` and the server append checkpoints to, and that
    # `workchat audit verify` checks against; keep it on other storage than the database.
    audit_checkpoint_file: Path | None = None
    # How often the server appends a checkpoint of each org whose chain grew (0: never;
    # `workchat audit checkpoint` does; needs the key and the file) (seconds).
    audit_checkpoint_interval_seconds: int = 0
    # Logs (docs/guides/operations.md): "json" (one object per line) or "text"; by default
    # json in prod and text in dev.
    log_format: LogFormat | None = None
    # Prometheus metrics (docs/guides/operations.md): GET /metrics on the server's port
    # answers only with "Authorization: Bearer <this token>" (at least 16 bytes); without a
    # token it answers 404.
    metrics_token: str = field(default="", repr=False)
    # A port (0: none) that serves /metrics without a token, on WORKCHAT_METRICS_HOST, for a
    # scraper inside the private network; with --workers it adds up every worker.
    metrics_port: int = 0
    # The address the metrics port listens on.
    metrics_host: str = "127.0.0.1"
    # On SIGTERM: how long in-flight requests may take to finish before they are cut off
    # (WebSockets are closed at once with 1012 and resume from their cursor elsewhere).
    shutdown_timeout_seconds: int = 20

    @property
    def is_prod(self) -> bool:
        return self.env == "prod"

    @property
    def introspection_enabled(self) -> bool:
        return self.introspection if self.introspection is not None else not self.is_prod

    @property
    def effective_log_format(self) -> LogFormat:
        return self.log_format or ("json" if self.is_prod else "text")

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
        _check_scheme("DATABASE_URL", database_url, DATABASE_SCHEMES)
        _check_scheme("BROADCAST_URL", get("BROADCAST_URL") or "memory://", BROADCAST_SCHEMES)
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
            "metrics_token": get("METRICS_TOKEN") or "",
            "metrics_host": get("METRICS_HOST") or "127.0.0.1",
        }
        log_format = get("LOG_FORMAT")
        if log_format is not None:
            if log_format not in ("json", "text"):
                raise SettingsError(f"{PREFIX}LOG_FORMAT must be 'json' or 'text'")
            kwargs["log_format"] = log_format
        token = str(kwargs["metrics_token"])
        if token and len(token.encode()) < MIN_SECRET_BYTES // 2:
            raise SettingsError(f"{PREFIX}METRICS_TOKEN must be at least 16 bytes")
        for name in ("audit_checkpoint_key_file", "audit_checkpoint_file"):
            raw_path = get(name.upper())
            if raw_path is not None:
                kwargs[name] = Path(raw_path)
        for name in (
            *RATE_LIMIT_SETTINGS,
            "rate_limit_storage_url",
            "rate_limit_key_prefix",
            "jwt_issuer",
            "jwt_audience",
        ):
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
            "credential_cache_ms",
            "failed_login_audit_window_seconds",
            "audit_checkpoint_interval_seconds",
            "metrics_port",
            "shutdown_timeout_seconds",
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
        cache_ms = kwargs.get("credential_cache_ms")
        if isinstance(cache_ms, int) and cache_ms < 0:
            raise SettingsError(f"{PREFIX}CREDENTIAL_CACHE_MS must not be negative")
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
        metrics_port = kwargs.get("metrics_port")
        if isinstance(metrics_port, int) and not 0 <= metrics_port <= 65535:
            raise SettingsError(f"{PREFIX}METRICS_PORT must be a port number (0: none)")
        drain = kwargs.get("shutdown_timeout_seconds")
        if isinstance(drain, int) and drain < 1:
            raise SettingsError(f"{PREFIX}SHUTDOWN_TIMEOUT_SECONDS must be at least 1")
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


# URL schemes (before any "+driver") the database and the event bus understand.
DATABASE_SCHEMES = ("sqlite", "postgresql", "postgres")
BROADCAST_SCHEMES = ("memory", "redis", "rediss", "postgresql", "postgres")


def _check_scheme(name: str, url: str, schemes: tuple[str, ...]) -> None:
    """A URL for another system (mysql://, amqp://) fails here, in one line, not deep inside
    a driver import."""
    scheme = url.split("://", 1)[0].split("+", 1)[0] if "://" in url else ""
    if scheme not in schemes:
        shown = f"{scheme}://" if scheme else repr(url.split("@")[-1][:40])
        raise SettingsError(
            f"{PREFIX}{name} must be a {' or '.join(s + '://' for s in schemes)} URL, not {shown}"
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
