"""Settings come only from WORKCHAT_* variables; prod refuses to start without a real secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from workchat.settings import Settings, SettingsError


def test_defaults_are_embedded_sqlite_and_memory_bus(tmp_path: Path) -> None:
    settings = Settings.from_mapping({"WORKCHAT_DATA_DIR": str(tmp_path)})
    assert settings.env == "dev"
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'workchat.db'}"
    assert settings.broadcast_url == "memory://"
    assert settings.sqlite_synchronous == "NORMAL"


def test_prod_without_secret_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="SECRET_KEY is required"):
        Settings.from_mapping({"WORKCHAT_ENV": "prod", "WORKCHAT_DATA_DIR": str(tmp_path)})
    assert not (tmp_path / "secret_key").exists()


def test_short_secret_is_refused_in_every_env(tmp_path: Path) -> None:
    for env in ("dev", "prod"):
        with pytest.raises(SettingsError, match="at least 32 bytes"):
            Settings.from_mapping({"WORKCHAT_ENV": env, "WORKCHAT_SECRET_KEY": "short"})


def test_prod_with_secret_starts(tmp_path: Path) -> None:
    settings = Settings.from_mapping({"WORKCHAT_ENV": "prod", "WORKCHAT_SECRET_KEY": "k" * 32})
    assert settings.is_prod
    assert settings.secret_key == "k" * 32
    assert not settings.create_demo_org


def test_dev_generates_and_keeps_a_secret(tmp_path: Path) -> None:
    first = Settings.from_mapping({"WORKCHAT_DATA_DIR": str(tmp_path)})
    second = Settings.from_mapping({"WORKCHAT_DATA_DIR": str(tmp_path)})
    assert len(first.secret_key.encode()) >= 32
    assert first.secret_key == second.secret_key
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = Settings.from_mapping({"WORKCHAT_DATA_DIR": str(tmp_path)})
    with pytest.raises(AttributeError):
        settings.env = "prod"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("WORKCHAT_ENV", "staging", "must be 'dev' or 'prod'"),
        ("WORKCHAT_PORT", "eighty", "must be an integer"),
        ("WORKCHAT_SQLITE_SYNCHRONOUS", "sometimes", "SYNCHRONOUS"),
    ],
)
def test_bad_values_name_the_variable(tmp_path: Path, name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_mapping({"WORKCHAT_DATA_DIR": str(tmp_path), name: value})


def test_dotenv_is_read_but_real_variables_win(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text(
        "# comment\nWORKCHAT_PORT=9001\nexport WORKCHAT_HOST='0.0.0.0'\nOTHER=ignored\n"
        f"WORKCHAT_DATA_DIR={tmp_path}\n"
    )
    settings = Settings.from_env({"WORKCHAT_PORT": "9002"}, dotenv=dotenv)
    assert settings.port == 9002
    assert settings.host == "0.0.0.0"
    assert settings.data_dir == tmp_path


def test_allowed_origins_are_split(tmp_path: Path) -> None:
    settings = Settings.from_mapping(
        {"WORKCHAT_DATA_DIR": str(tmp_path), "WORKCHAT_ALLOWED_ORIGINS": "http://a, http://b,"}
    )
    assert settings.allowed_origins == ("http://a", "http://b")


def test_event_retention_settings(tmp_path: Path) -> None:
    defaults = Settings.from_mapping({"WORKCHAT_DATA_DIR": str(tmp_path)})
    assert (defaults.event_retention_days, defaults.event_prune_interval_seconds) == (7, 3600)
    custom = Settings.from_mapping(
        {
            "WORKCHAT_DATA_DIR": str(tmp_path),
            "WORKCHAT_EVENT_RETENTION_DAYS": "30",
            "WORKCHAT_EVENT_PRUNE_INTERVAL_SECONDS": "0",
        }
    )
    assert (custom.event_retention_days, custom.event_prune_interval_seconds) == (30, 0)
    with pytest.raises(SettingsError, match="EVENT_RETENTION_DAYS must be at least 1"):
        Settings.from_mapping({"WORKCHAT_EVENT_RETENTION_DAYS": "0"})
    with pytest.raises(SettingsError, match="EVENT_PRUNE_INTERVAL_SECONDS must not be negative"):
        Settings.from_mapping({"WORKCHAT_EVENT_PRUNE_INTERVAL_SECONDS": "-1"})
    with pytest.raises(SettingsError, match="must be an integer"):
        Settings.from_mapping({"WORKCHAT_EVENT_RETENTION_DAYS": "a week"})


def test_request_limit_settings(tmp_path: Path) -> None:
    """The hardening limits read from WORKCHAT_*; each must be positive."""
    base = {"WORKCHAT_DATA_DIR": str(tmp_path)}
    custom = Settings.from_mapping(
        {
            **base,
            "WORKCHAT_MAX_MUTATION_FIELDS": "3",
            "WORKCHAT_MAX_REQUEST_BYTES": "2048",
            "WORKCHAT_MAX_QUERY_SELECTIONS": "50",
            "WORKCHAT_EXECUTION_TIMEOUT_SECONDS": "2.5",
        }
    )
    assert (custom.max_mutation_fields, custom.max_request_bytes) == (3, 2048)
    assert (custom.max_query_selections, custom.execution_timeout_seconds) == (50, 2.5)
    for name in ("WORKCHAT_MAX_MUTATION_FIELDS", "WORKCHAT_MAX_HEADER_BYTES"):
        with pytest.raises(SettingsError, match="must be at least 1"):
            Settings.from_mapping({**base, name: "0"})
    with pytest.raises(SettingsError, match="EXECUTION_TIMEOUT_SECONDS must be positive"):
        Settings.from_mapping({**base, "WORKCHAT_EXECUTION_TIMEOUT_SECONDS": "0"})
    with pytest.raises(SettingsError, match="EXECUTION_TIMEOUT_SECONDS must be a number"):
        Settings.from_mapping({**base, "WORKCHAT_EXECUTION_TIMEOUT_SECONDS": "soon"})


@pytest.mark.parametrize(
    ("env", "value", "enabled"),
    [("dev", None, True), ("prod", None, False), ("prod", "true", True), ("dev", "0", False)],
)
def test_introspection_defaults_to_the_environment(
    tmp_path: Path, env: str, value: str | None, enabled: bool
) -> None:
    values = {"WORKCHAT_DATA_DIR": str(tmp_path), "WORKCHAT_ENV": env}
    values["WORKCHAT_SECRET_KEY"] = "k" * 32
    if value is not None:
        values["WORKCHAT_INTROSPECTION"] = value
    assert Settings.from_mapping(values).introspection_enabled is enabled


def test_refresh_reuse_grace_setting(tmp_path: Path) -> None:
    defaults = Settings.from_mapping({"WORKCHAT_DATA_DIR": str(tmp_path)})
    assert defaults.refresh_reuse_grace_seconds == 10
    off = Settings.from_mapping({"WORKCHAT_REFRESH_REUSE_GRACE_SECONDS": "0"})
    assert off.refresh_reuse_grace_seconds == 0
    with pytest.raises(SettingsError, match="REFRESH_REUSE_GRACE_SECONDS must not be negative"):
        Settings.from_mapping({"WORKCHAT_REFRESH_REUSE_GRACE_SECONDS": "-1"})


def test_credential_cache_setting(tmp_path: Path) -> None:
    """WORKCHAT_CREDENTIAL_CACHE_MS: 1 s by default, 0 turns the cache off, never negative."""
    base = {"WORKCHAT_DATA_DIR": str(tmp_path)}
    assert Settings.from_mapping(base).credential_cache_ms == 1000
    off = Settings.from_mapping({**base, "WORKCHAT_CREDENTIAL_CACHE_MS": "0"})
    assert off.credential_cache_ms == 0
    with pytest.raises(SettingsError, match="CREDENTIAL_CACHE_MS must not be negative"):
        Settings.from_mapping({**base, "WORKCHAT_CREDENTIAL_CACHE_MS": "-1"})
    with pytest.raises(SettingsError, match="must be an integer"):
        Settings.from_mapping({**base, "WORKCHAT_CREDENTIAL_CACHE_MS": "soon"})


def test_websocket_compression_is_off_and_shared_execution_on_by_default() -> None:
    defaults = Settings.from_mapping({})
    assert defaults.ws_compression is False
    assert defaults.fanout_shared_execution is True
    chosen = Settings.from_mapping(
        {"WORKCHAT_WS_COMPRESSION": "true", "WORKCHAT_FANOUT_SHARED_EXECUTION": "false"}
    )
    assert chosen.ws_compression is True
    assert chosen.fanout_shared_execution is False
