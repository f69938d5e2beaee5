from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.types import Info

from workchat.actions import sessions as session_actions
from workchat.actions.sessions import IssuedSession
from workchat.graphql.context import Context
from workchat.graphql.mutations import INPUT, Payload, client_mutation_id_field, described, mutate
from workchat.graphql.throttle import LoginAttempt, check_refresh
from workchat.graphql.users.types import UserNode


@strawberry.input(description="Input of login.")
class LoginInput:
    email: str = strawberry.field(description="The user's email address (any case).")
    password: str = strawberry.field(description="The user's password.")
    org: str | None = strawberry.field(
        default=None,
        description="The org's slug (`Org.slug`). Needed only when the address has accounts "
        "in several orgs; without it, login succeeds only if the address has exactly one.",
    )
    client_mutation_id: str | None = client_mutation_id_field()


@strawberry.input(description="Input of refreshToken.")
class RefreshTokenInput:
    refresh_token: str = strawberry.field(
        description="The refresh token from login or the last refreshToken."
    )
    client_mutation_id: str | None = client_mutation_id_field()


@strawberry.input(description="Input of logout.")
class LogoutInput:
    refresh_token: str | None = strawberry.field(
        default=None, description="Also end the session this refresh token belongs to."
    )
    all_sessions: bool = strawberry.field(
        default=False, description="End every session of the viewer."
    )
    client_mutation_id: str | None = client_mutation_id_field()


@strawberry.type(description="Result of login and refreshToken: a session's tokens.")
class LoginPayload(Payload):
    access_token: str | None = strawberry.field(
        default=None, description="Send as `Authorization: Bearer`; short-lived."
    )
    access_token_expires_at: datetime | None = strawberry.field(
        default=None, description="When the access token stops working."
    )
    refresh_token: str | None = strawberry.field(
        default=None, description="Exchange with refreshToken for new tokens; works once."
    )
    refresh_token_expires_at: datetime | None = strawberry.field(
        default=None, description="When the refresh token stops working."
    )
    user: UserNode | None = strawberry.field(default=None, description="Who logged in.")

    @classmethod
    def build(cls, issued: IssuedSession | None) -> LoginPayload:
        if issued is None:
            return cls()
        return cls(
            access_token=issued.access_token,
            access_token_expires_at=issued.access_token_expires_at,
            refresh_token=issued.refresh_token,
            refresh_token_expires_at=issued.refresh_token_expires_at,
            user=UserNode.from_model(issued.user),
        )


@strawberry.type(description="Result of logout.")
class LogoutPayload(Payload):
    sessions_ended: int = strawberry.field(
        default=0, description="How many sessions (refresh-token families) were ended."
    )


@strawberry.type
class SessionMutations:
    @strawberry.mutation(
        description=described(
            "login",
            "Exchange email and password (and, for an address in several orgs, the org's "
            "slug) for tokens (no viewer).",
        )
    )
    async def login(
        self, info: Info[Context, None], input: Annotated[LoginInput, INPUT]
    ) -> LoginPayload:
        attempt = LoginAttempt(info.context, input.email, org=input.org)
        await attempt.check()  # before the (costly) password check
        payload = await mutate(
            info,
            input,
            lambda services, viewer: session_actions.login(
                services, viewer, input.email, input.password, org_slug=input.org
            ),
            LoginPayload.build,
            allow_anonymous=True,
        )
        # Every refused login counts as a failure of this account from this address.
        await attempt.outcome(succeeded=payload.access_token is not None)
        return payload

    @strawberry.mutation(
        description=described(
            "refreshToken",
            "Rotate a refresh token (no viewer): the old one stops working, and presenting "
            "it again ends the whole session.",
        )
    )
    async def refresh_token(
        self, info: Info[Context, None], input: Annotated[RefreshTokenInput, INPUT]
    ) -> LoginPayload:
        await check_refresh(info.context)
        return await mutate(
            info,
            input,
            lambda services, viewer: session_actions.refresh(services, viewer, input.refresh_token),
            LoginPayload.build,
            allow_anonymous=True,
        )

    @strawberry.mutation(
        description=described("logout", "End the current session (or all of them).")
    )
    async def logout(
        self, info: Info[Context, None], input: Annotated[LogoutInput, INPUT]
    ) -> LogoutPayload:
        return await mutate(
            info,
            input,
            lambda services, viewer: session_actions.logout(
                services,
                viewer,
                refresh_token=input.refresh_token,
                all_sessions=input.all_sessions,
            ),
            lambda ended: LogoutPayload(sessions_ended=ended or 0),
        )
