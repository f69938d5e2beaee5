"""Rate limits: login, refresh, mutations and subscriptions, counted in memory (embedded) or
in Redis (scale-out, shared by every process). See docs/adr/0012-rate-limits.md."""

from workchat.ratelimit.address import client_address
from workchat.ratelimit.limiter import RateLimited, RateLimits, account_key

__all__ = ["RateLimited", "RateLimits", "account_key", "client_address"]
