from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar

import strawberry
from strawberry.types import Info

from workchat.actions import users as user_actions
from workchat.db.models import User
from workchat.graphql.context import Context
from workchat.graphql.mutations import (
    INPUT,
    Payload,
    client_mutation_id_field,
    described,
    mutate,
    require_id,
)
from workchat.graphql.users.types import TYPE_NAME as USER
from workchat.graphql.users.types import Role, UserNode

USER_ID = "The user's global ID."


@strawberry.input(description="Input of createUser.")
class CreateUserInput:
    email: str = strawberry.field(description="A unique email address; they log in with it.")
    display_name: str = strawberry.field(description="The name others see, 1-80 characters.")
    password: str = strawberry.field(description="Their initial password.")
    role: Role = strawberry.field(default=Role.MEMBER, description="Admin or member.")
    client_mutation_id: str | None = client_mutation_id_field()


@strawberry.input(description="Input of updateUserRole.")
class UpdateUserRoleInput:
    user_id: strawberry.ID = strawberry.field(description=USER_ID)
    role: Role = strawberry.field(description="The new role.")
    client_mutation_id: str | None = client_mutation_id_field()


@strawberry.input(description="Input of deactivateUser.")
class DeactivateUserInput:
    user_id: strawberry.ID = strawberry.field(description=USER_ID)
    client_mutation_id: str | None = client_mutation_id_field()


@strawberry.type
class UserPayload(Payload):
    user: UserNode | None = strawberry.field(
        default=None, description="The user as they are now; null on error."
    )


@strawberry.type(description="Result of createUser.")
class CreateUserPayload(UserPayload):
    pass


@strawberry.type(description="Result of updateUserRole.")
class UpdateUserRolePayload(UserPayload):
    pass


@strawberry.type(description="Result of deactivateUser.")
class DeactivateUserPayload(UserPayload):
    pass


P = TypeVar("P", bound=UserPayload)


def _payload(cls: type[P]) -> Callable[[User | None], P]:
    return lambda user: cls(user=UserNode.from_model(user) if user else None)


@strawberry.type
class UserMutations:
    @strawberry.mutation(
        description=described(
            "createUser",
            "Admins: add a user to the viewer's org.",
        )
    )
    async def create_user(
        self, info: Info[Context, None], input: Annotated[CreateUserInput, INPUT]
    ) -> CreateUserPayload:
        return await mutate(
            info,
            input,
            lambda services, viewer: user_actions.create_user(
                services,
                viewer,
                org_id=viewer.org_id,  # type: ignore[arg-type]  # mutate required a viewer
                email=input.email,
                display_name=input.display_name,
                password=input.password,
                role=str(input.role.value),  # the DB word; enum_value hides it from mypy
            ),
            _payload(CreateUserPayload),
        )

    @strawberry.mutation(
        description=described("updateUserRole", "Admins: make a user an admin or a member.")
    )
    async def update_user_role(
        self, info: Info[Context, None], input: Annotated[UpdateUserRoleInput, INPUT]
    ) -> UpdateUserRolePayload:
        return await mutate(
            info,
            input,
            lambda services, viewer: user_actions.update_user_role(
                services, viewer, require_id(input.user_id, USER, "userId"), str(input.role.value)
            ),
            _payload(UpdateUserRolePayload),
        )

    @strawberry.mutation(
        description=described(
            "deactivateUser", "Admins: deactivate a user and end all their sessions and tokens."
        )
    )
    async def deactivate_user(
        self, info: Info[Context, None], input: Annotated[DeactivateUserInput, INPUT]
    ) -> DeactivateUserPayload:
        return await mutate(
            info,
            input,
            lambda services, viewer: user_actions.deactivate_user(
                services, viewer, require_id(input.user_id, USER, "userId")
            ),
            _payload(DeactivateUserPayload),
        )
