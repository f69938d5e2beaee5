"""Where GraphQL asks the rate limits (workchat/ratelimit): the client address of a request,
and the checks before login, refreshToken, every mutation and every subscription."""

from __future__ import annotations

from starlette.responses import Response

from workchat.graphql.context import Context
from workchat.ratelimit import RateLimited, account_key, client_address


def address_of(context: Context) -> str:
    request = context.request
    peer = request.client.host if request.client else None
    return client_address(
        peer,
        request.headers.getlist("x-forwarded-for"),
        context.services.settings.trusted_proxies,
    )


def _refused(context: Context, error: RateLimited) -> RateLimited:
    # HTTP clients (and proxies) also understand the header.
    if isinstance(context.response, Response):
        context.response.headers["retry-after"] = str(error.retry_after)
    return error


class LoginAttempt:
    """One login: checked before the password is, and its outcome counted after."""

    def __init__(self, context: Context, email: str, org: str | None = None) -> None:
        self.context = context
        self.account = account_key(email, org)
        self.address = address_of(context)

    async def check(self) -> None:
        try:
            await self.context.services.ratelimit.check_login(self.account, self.address)
        except RateLimited as error:
            raise _refused(self.context, error) from None

    async def outcome(self, succeeded: bool) -> None:
        limits = self.context.services.ratelimit
        if succeeded:
            await limits.login_succeeded(self.account, self.address)
        else:
            await limits.login_failed(self.account, self.address)


async def check_refresh(context: Context) -> None:
    try:
        await context.services.ratelimit.check_refresh(address_of(context))
    except RateLimited as error:
        raise _refused(context, error) from None


async def check_mutation(context: Context) -> None:
    viewer = context.viewer
    if viewer.user_id is None:
        return  # login and refreshToken have their own limits
    try:
        await context.services.ratelimit.check_mutation(viewer.user_id, viewer.api_token_id)
    except RateLimited as error:
        raise _refused(context, error) from None


async def check_subscription(context: Context) -> None:
    viewer = context.viewer
    if viewer.user_id is not None:
        await context.services.ratelimit.check_subscription(viewer.user_id)
