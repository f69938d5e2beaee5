from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types import Info

from workchat.actions import sessions as session_actions
from workchat.actions.sessions import IssuedSession
from workchat.graphql.context import Context
from workchat.graphql.errors import UserError
from workchat.graphql.mutations import Payload, attempt
from workchat.graphql.users.types import UserNode


@strawberry.input
class LoginInput:
    email: str
    password: str
    client_mutation_id: str | None = None


@strawberry.input
class RefreshTokenInput:
    refresh_token: str
    client_mutation_id: str | None = None


@strawberry.input
class LogoutInput:
    refresh_token: str | None = strawberry.field(
        default=None, description="Also end the session this refresh token belongs to."
    )
    all_sessions: bool = strawberry.field(
        default=False, description="End every session of the viewer."
    )
    client_mutation_id: str | None = None


@strawberry.type
class LoginPayload(Payload):
    access_token: str | None
    access_token_expires_at: datetime | None
    refresh_token: str | None
    refresh_token_expires_at: datetime | None
    user: UserNode | None

    @classmethod
    def build(
        cls,
        issued: IssuedSession | None,
        errors: list[UserError],
        client_mutation_id: str | None,
    ) -> LoginPayload:
        return cls(
            access_token=issued.access_token if issued else None,
            access_token_expires_at=issued.access_token_expires_at if issued else None,
            refresh_token=issued.refresh_token if issued else None,
            refresh_token_expires_at=issued.refresh_token_expires_at if issued else None,
            user=UserNode.from_model(issued.user) if issued else None,
            errors=errors,
            client_mutation_id=client_mutation_id,
        )


@strawberry.type
class LogoutPayload(Payload):
    sessions_ended: int


@strawberry.type
class SessionMutations:
    @strawberry.mutation(description="Exchange email and password for tokens.")
    async def login(self, info: Info[Context, None], input: LoginInput) -> LoginPayload:
        issued, errors = await attempt(
            lambda: session_actions.login(
                info.context.services, info.context.acting("login"), input.email, input.password
            )
        )
        return LoginPayload.build(issued, errors, input.client_mutation_id)

    @strawberry.mutation(description="Rotate a refresh token: the old one stops working.")
    async def refresh_token(
        self, info: Info[Context, None], input: RefreshTokenInput
    ) -> LoginPayload:
        issued, errors = await attempt(
            lambda: session_actions.refresh(
                info.context.services, info.context.acting("refreshToken"), input.refresh_token
            )
        )
        return LoginPayload.build(issued, errors, input.client_mutation_id)

    @strawberry.mutation(description="End the current session (or all of them).")
    async def logout(self, info: Info[Context, None], input: LogoutInput) -> LogoutPayload:
        info.context.require_viewer()
        ended, errors = await attempt(
            lambda: session_actions.logout(
                info.context.services,
                info.context.acting("logout"),
                refresh_token=input.refresh_token,
                all_sessions=input.all_sessions,
            )
        )
        return LogoutPayload(
            sessions_ended=ended or 0, errors=errors, client_mutation_id=input.client_mutation_id
        )
