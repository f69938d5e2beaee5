from __future__ import annotations

import strawberry
from strawberry.types import Info

from workchat.access import require_admin
from workchat.actions import users as user_actions
from workchat.graphql.context import Context
from workchat.graphql.mutations import Payload, attempt, require_id
from workchat.graphql.users.types import TYPE_NAME as USER
from workchat.graphql.users.types import Role, UserNode


@strawberry.input
class CreateUserInput:
    email: str
    display_name: str
    password: str
    role: Role = Role.MEMBER
    client_mutation_id: str | None = None


@strawberry.input
class UpdateUserRoleInput:
    user_id: strawberry.ID
    role: Role
    client_mutation_id: str | None = None


@strawberry.input
class DeactivateUserInput:
    user_id: strawberry.ID
    client_mutation_id: str | None = None


@strawberry.type
class CreateUserPayload(Payload):
    user: UserNode | None


@strawberry.type
class UpdateUserRolePayload(Payload):
    user: UserNode | None


@strawberry.type
class DeactivateUserPayload(Payload):
    user: UserNode | None


@strawberry.type
class UserMutations:
    @strawberry.mutation(description="Admin: add a user to the viewer's org.")
    async def create_user(
        self, info: Info[Context, None], input: CreateUserInput
    ) -> CreateUserPayload:
        viewer = info.context.require_viewer()
        require_admin(viewer)
        user, errors = await attempt(
            lambda: user_actions.create_user(
                info.context.services,
                info.context.acting("createUser"),
                org_id=viewer.org_id,  # type: ignore[arg-type]
                email=input.email,
                display_name=input.display_name,
                password=input.password,
                role=input.role.value,
            )
        )
        return CreateUserPayload(
            user=UserNode.from_model(user) if user else None,
            errors=errors,
            client_mutation_id=input.client_mutation_id,
        )

    @strawberry.mutation(description="Admin: make a user an admin or a member.")
    async def update_user_role(
        self, info: Info[Context, None], input: UpdateUserRoleInput
    ) -> UpdateUserRolePayload:
        require_admin(info.context.require_viewer())
        user, errors = await attempt(
            lambda: user_actions.update_user_role(
                info.context.services,
                info.context.acting("updateUserRole"),
                require_id(input.user_id, USER, "userId"),
                input.role.value,
            )
        )
        return UpdateUserRolePayload(
            user=UserNode.from_model(user) if user else None,
            errors=errors,
            client_mutation_id=input.client_mutation_id,
        )

    @strawberry.mutation(description="Admin: deactivate a user and end all their sessions.")
    async def deactivate_user(
        self, info: Info[Context, None], input: DeactivateUserInput
    ) -> DeactivateUserPayload:
        require_admin(info.context.require_viewer())
        user, errors = await attempt(
            lambda: user_actions.deactivate_user(
                info.context.services,
                info.context.acting("deactivateUser"),
                require_id(input.user_id, USER, "userId"),
            )
        )
        return DeactivateUserPayload(
            user=UserNode.from_model(user) if user else None,
            errors=errors,
            client_mutation_id=input.client_mutation_id,
        )
