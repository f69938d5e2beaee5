"""The client address behind proxies: X-Forwarded-For counts only from trusted proxies."""

from __future__ import annotations

import pytest

from workchat.ratelimit import account_key, client_address
from workchat.settings import Settings, SettingsError

PROXIES = ("10.0.0.0/8", "192.0.2.1")


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        # No trusted proxies: the peer, whatever the header says.
        ("198.51.100.7", ["203.0.113.9"], (), "198.51.100.7"),
        # An untrusted peer cannot choose its address.
        ("198.51.100.7", ["203.0.113.9"], PROXIES, "198.51.100.7"),
        # A trusted proxy's client.
        ("10.1.2.3", ["203.0.113.9"], PROXIES, "203.0.113.9"),
        # A client's own (forged) hops left of the real one are ignored.
        ("10.1.2.3", ["6.6.6.6, 203.0.113.9"], PROXIES, "203.0.113.9"),
        # Chained trusted proxies are skipped, from the right.
        ("10.1.2.3", ["203.0.113.9, 192.0.2.1", "10.9.9.9"], PROXIES, "203.0.113.9"),
        # Garbage in the header: the last address we believe.
        ("10.1.2.3", ["not-an-ip"], PROXIES, "10.1.2.3"),
        ("10.1.2.3", [], PROXIES, "10.1.2.3"),
        # IPv6 peers, normalised.
        ("2001:DB8::1", [], (), "2001:db8::1"),
        (None, ["203.0.113.9"], PROXIES, "unknown"),
    ],
)
def test_client_address(
    peer: str | None, forwarded: list[str], trusted: tuple[str, ...], expected: str
) -> None:
    assert client_address(peer, forwarded, trusted) == expected


def test_account_key_ignores_case_and_spacing_and_names_the_org() -> None:
    assert account_key(" Bob@Example.com ") == account_key("bob@example.com")
    assert account_key("bob@example.com", "acme") != account_key("bob@example.com", "evil")
    assert "bob" not in account_key("bob@example.com")


def test_rate_limit_settings_are_checked_at_start_up() -> None:
    settings = Settings.from_mapping(
        {
            "WORKCHAT_SECRET_KEY": "x" * 40,
            "WORKCHAT_RATE_LIMIT_LOGIN_FAILURES": "3/10 minutes",
            "WORKCHAT_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1",
        }
    )
    assert settings.rate_limit_login_failures == "3/10 minutes"
    assert settings.trusted_proxies == ("10.0.0.0/8", "192.0.2.1/32")
    with pytest.raises(SettingsError, match="RATE_LIMIT_LOGIN_ADDRESS"):
        Settings.from_mapping(
            {"WORKCHAT_SECRET_KEY": "x" * 40, "WORKCHAT_RATE_LIMIT_LOGIN_ADDRESS": "lots"}
        )
    with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
        Settings.from_mapping(
            {"WORKCHAT_SECRET_KEY": "x" * 40, "WORKCHAT_TRUSTED_PROXIES": "proxy.local"}
        )
