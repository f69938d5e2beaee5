"""The limits and their counters (the ``limits`` package: moving windows, in memory or
Redis). Entry points ask before doing work; a refusal is ``RateLimited`` with the seconds
until a retry can succeed."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import math
import time
import uuid
from time import monotonic  # the module's `time` is replaced by tests' clocks

from limits import RateLimitItem, RateLimitItemPerSecond, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter

from workchat import metrics
from workchat.errors import RequestError, RequestErrorCode
from workchat.settings import Settings


class RateLimited(RequestError):
    """Too many requests; ``extensions.retryAfter`` says in how many seconds to retry."""

    code = RequestErrorCode.RATE_LIMITED

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, retryAfter=retry_after)
        self.retry_after = retry_after


def account_key(email: str, org: str | None = None) -> str:
    """What a login names, as the key of its per-account counters.

    Hashed so Redis never holds e-mail addresses; the org (when the login names one) is part
    of the account, since the same e-mail may exist in two orgs.
    """
    name = f"{(org or '').strip().lower()}\x00{email.strip().lower()}"
    return hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def storage_url(settings: Settings) -> str:
    """Explicit setting, else the Redis of the event bus (shared), else process memory."""
    url = settings.rate_limit_storage_url or (
        settings.broadcast_url if settings.broadcast_url.startswith("redis") else "memory://"
    )
    return url


class SweepingMemoryStorage(MemoryStorage):
    """limits' in-process storage, sweeping expired entries at most once per second.

    The library starts its sweep after every hit, and the sweep sends each key's entries to
    a thread (``asyncio.to_thread``): with many users that was a thread-pool hand-off per key
    per request, ~15% of the server's CPU on the post path. Counting does not depend on the
    sweep (a hit checks expiry itself); it only frees memory, so once a second is enough.
    """

    SWEEP_EVERY = 1.0

    def __init__(self) -> None:
        super().__init__()
        self._next_sweep = 0.0

    async def _MemoryStorage__schedule_expiry(self) -> None:
        now = monotonic()
        if now < self._next_sweep:
            return
        self._next_sweep = now + self.SWEEP_EVERY
        await super()._MemoryStorage__schedule_expiry()  # type: ignore[misc]


def _storage(url: str, prefix: str) -> Storage:
    if url.startswith(("redis://", "rediss://")):
        # redis-py (already a dependency) rather than the default coredis client.
        return RedisStorage(
            "async+" + url, implementation="redispy", key_prefix=f"{prefix}:ratelimit"
        )
    if url == "memory://":
        return SweepingMemoryStorage()
    raise ValueError(f"unsupported rate-limit storage {url!r} (memory:// or redis://)")


class RateLimits:
    def __init__(self, settings: Settings) -> None:
        self.url = storage_url(settings)
        self.storage = _storage(self.url, settings.rate_limit_key_prefix)
        self._moving = MovingWindowRateLimiter(self.storage)
        self._fixed = FixedWindowRateLimiter(self.storage)
        self.login_address = parse(settings.rate_limit_login_address)
        self.login_failures = parse(settings.rate_limit_login_failures)
        self.login_account_failures = parse(settings.rate_limit_login_account_failures)
        self.refresh_address = parse(settings.rate_limit_refresh_address)
        self.mutations_user = parse(settings.rate_limit_mutations_user)
        self.mutations_token = parse(settings.rate_limit_mutations_token)
        self.subscriptions_user = parse(settings.rate_limit_subscriptions_user)
        # A counter, not a limit: how many failed logins an account had in the audit window.
        self.failed_login_audit = RateLimitItemPerSecond(
            2**31 - 1, settings.failed_login_audit_window_seconds
        )

    # Login --------------------------------------------------------------------------------

    async def check_login(self, account: str, address: str) -> None:
        """Before the password is checked: refuse when this address or this account and
        address are over their limits.

        The per-account limit (failures from every address) only stops addresses that are
        themselves failing for this account: an attacker who exhausts it cannot lock the
        owner out, who logs in from an address with no failures.
        """
        await self._hit(self.login_address, "login-address", address)
        await self._room(self.login_failures, "login-failures", account, address)
        if not await self._moving.test(self.login_account_failures, "login-account", account):
            stats = await self._moving.get_window_stats(
                self.login_failures, "login-failures", account, address
            )
            if stats.remaining < self.login_failures.amount:
                account_stats = await self._moving.get_window_stats(
                    self.login_account_failures, "login-account", account
                )
                raise self._refusal(account_stats.reset_time, "login-account")

    async def login_failed(self, account: str, address: str) -> None:
        await self._moving.hit(self.login_failures, "login-failures", account, address)
        await self._moving.hit(self.login_account_failures, "login-account", account)

    async def login_succeeded(self, account: str, address: str) -> None:
        """The owner got in from here: this address starts afresh for the account."""
        await self._moving.clear(self.login_failures, "login-failures", account, address)

    async def count_failed_login(self, account: str) -> int:
        """Count one failed login of ``account``; returns the count in the audit window."""
        item = self.failed_login_audit
        await self._fixed.hit(item, "login-audit", account)
        stats = await self._fixed.get_window_stats(item, "login-audit", account)
        return item.amount - stats.remaining

    # Everything else ------------------------------------------------------------------------

    async def check_refresh(self, address: str) -> None:
        await self._hit(self.refresh_address, "refresh-address", address)

    async def check_mutation(self, user_id: uuid.UUID, api_token_id: uuid.UUID | None) -> None:
        """One root mutation field of an authenticated user (and of the API token used)."""
        if api_token_id is not None:
            await self._hit(self.mutations_token, "mutations-token", str(api_token_id))
        await self._hit(self.mutations_user, "mutations-user", str(user_id))

    async def check_subscription(self, user_id: uuid.UUID) -> None:
        await self._hit(self.subscriptions_user, "subscriptions-user", str(user_id))

    async def close(self) -> None:
        if isinstance(self.storage, MemoryStorage):
            # Its expiry sweeper is a task of this event loop: end it with the loop's work.
            timer = self.storage.timer
            if timer is not None and not timer.done():
                timer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await timer
        if isinstance(self.storage, RedisStorage):
            # redis-py keeps a connection pool per storage; give its sockets back.
            client = getattr(self.storage.bridge, "storage", None)
            aclose = getattr(client, "aclose", None)
            if aclose is not None:
                await aclose()

    # Helpers --------------------------------------------------------------------------------

    async def _hit(self, item: RateLimitItem, *key: str) -> None:
        if not await self._moving.hit(item, *key):
            stats = await self._moving.get_window_stats(item, *key)
            raise self._refusal(stats.reset_time, key[0])

    async def _room(self, item: RateLimitItem, *key: str) -> None:
        if not await self._moving.test(item, *key):
            stats = await self._moving.get_window_stats(item, *key)
            raise self._refusal(stats.reset_time, key[0])

    @staticmethod
    def _refusal(reset_time: float, limit: str) -> RateLimited:
        metrics.RATE_LIMIT_REJECTIONS.labels(limit).inc()
        # Whole seconds, rounded up past the window's edge: the window still holds an entry
        # exactly ``expiry`` old, and Redis hands back times rounded to 14 digits (0.1 ms).
        retry_after = max(1, math.floor(reset_time - time.time() + 0.01) + 1)
        return RateLimited("too many requests; retry later", retry_after)
