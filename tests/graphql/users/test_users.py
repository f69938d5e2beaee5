"""The `users` connection and the user admin mutations (docs/adr/0005-api-contract.md)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.support.db import audit_entries, count_rows, events, snapshot, typed
from tests.support.graphql_client import GraphQLClient, codes, gid, payload_errors
from tests.support.personas import Persona, Personas
from tests.support.settings import PASSWORD
from workchat.actions.users import create_user
from workchat.auth.viewer import system
from workchat.db.models import AuditEntry, RefreshToken, User
from workchat.events import catalogue as ev
from workchat.graphql.relay import encode_cursor
from workchat.services import Services

USERS = """query($first: Int, $after: String, $query: String) {
    users(first: $first, after: $after, query: $query) {
        totalCount
        edges { cursor node { id email displayName role isActive } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
}"""
CREATE_USER = """mutation($input: CreateUserInput!) {
    createUser(input: $input) {
        clientMutationId errors { code message field } user { id email displayName role isActive }
    }
}"""
UPDATE_ROLE = """mutation($id: ID!, $role: Role!, $cmid: String) {
    updateUserRole(input: {userId: $id, role: $role, clientMutationId: $cmid}) {
        clientMutationId errors { code message field } user { id role }
    }
}"""
DEACTIVATE = """mutation($id: ID!, $cmid: String) {
    deactivateUser(input: {userId: $id, clientMutationId: $cmid}) {
        clientMutationId errors { code message field } user { id isActive }
    }
}"""


async def add_users(services: Services, personas: Personas, count: int) -> list[str]:
    """Create ``count`` more Acme members; returns their emails in creation order."""
    emails = []
    for index in range(count):
        user = await create_user(
            services,
            system(),
            org_id=personas.alice.org_id,
            email=f"user{index}@acme.test",
            display_name=f"Member {index}",
            password=PASSWORD,
        )
        emails.append(user.email)
    return emails


async def log_marks(services: Services, persona: Persona) -> tuple[int, int]:
    """How many audit entries and events the persona's org has so far."""
    return (
        len(await audit_entries(services, persona.org_id)),
        len(await events(services, persona.org_id)),
    )


async def users_page(gql: GraphQLClient, persona: Persona, **variables: Any) -> dict[str, Any]:
    result = await gql.execute(USERS, variables, as_=persona)
    assert not result.get("errors"), result
    return result["data"]["users"]  # type: ignore[no-any-return]


# --- the users connection --------------------------------------------------------------------


async def test_users_walk_all_pages(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """Walking `first`/`after` returns every org user exactly once, oldest first, with a
    consistent pageInfo and totalCount on every page."""
    extra = await add_users(services, personas, 5)
    expected = [personas.alice.email, personas.bob.email, *extra]
    seen: list[str] = []
    after: str | None = None
    pages = 0
    while True:
        page = await users_page(gql, personas.alice, first=2, after=after)
        pages += 1
        assert page["totalCount"] == 7
        emails = [edge["node"]["email"] for edge in page["edges"]]
        seen.extend(emails)
        info = page["pageInfo"]
        assert info["startCursor"] == page["edges"][0]["cursor"]
        assert info["endCursor"] == page["edges"][-1]["cursor"]
        assert info["hasPreviousPage"] is (after is not None)
        if not info["hasNextPage"]:
            break
        assert len(emails) == 2
        after = info["endCursor"]
    assert seen == expected
    assert pages == 4


async def test_users_first_page_defaults(gql: GraphQLClient, personas: Personas) -> None:
    """Without arguments: all users (fewer than the default page size), no next page."""
    page = await users_page(gql, personas.alice)
    assert [edge["node"]["email"] for edge in page["edges"]] == [
        personas.alice.email,
        personas.bob.email,
    ]
    assert page["edges"][0]["node"] == {
        "id": gid("User", personas.alice.id),
        "email": personas.alice.email,
        "displayName": "Alice",
        "role": "ADMIN",
        "isActive": True,
    }
    assert page["pageInfo"]["hasNextPage"] is False
    assert page["totalCount"] == 2


async def test_users_exact_page_boundary(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """A page that ends exactly at the last user says there is no next page."""
    await add_users(services, personas, 2)
    page = await users_page(gql, personas.alice, first=4)
    assert len(page["edges"]) == 4
    assert page["pageInfo"]["hasNextPage"] is False
    after_last = await users_page(gql, personas.alice, first=4, after=page["pageInfo"]["endCursor"])
    assert after_last["edges"] == []
    assert after_last["pageInfo"]["hasNextPage"] is False
    assert after_last["pageInfo"]["startCursor"] is None


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("ali", ["alice@example.com"]),
        ("ALICE", ["alice@example.com"]),
        ("bob@", ["bob@example.com"]),
        ("member 1", ["user1@acme.test"]),
        ("acme.test", ["user0@acme.test", "user1@acme.test"]),
        ("%", []),
        ("_", []),
        ("nobody", []),
    ],
)
async def test_users_query_filters_by_name_or_email(
    gql: GraphQLClient, services: Services, personas: Personas, term: str, expected: list[str]
) -> None:
    """`query` matches display name or email, case-insensitively; % and _ are literal."""
    await add_users(services, personas, 2)
    page = await users_page(gql, personas.alice, query=term)
    assert [edge["node"]["email"] for edge in page["edges"]] == expected


async def test_users_query_filter_paginates(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """Filtered results paginate with the same cursors."""
    extra = await add_users(services, personas, 3)
    first = await users_page(gql, personas.alice, first=2, query="acme.test")
    assert first["pageInfo"]["hasNextPage"] is True
    rest = await users_page(
        gql, personas.alice, first=2, query="acme.test", after=first["pageInfo"]["endCursor"]
    )
    emails = [e["node"]["email"] for e in first["edges"] + rest["edges"]]
    assert emails == extra
    assert rest["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize("first", [0, -1, 101])
async def test_users_page_size_out_of_range(
    gql: GraphQLClient, personas: Personas, first: int
) -> None:
    """`first` outside 1-100 is a top-level INVALID_INPUT."""
    result = await gql.execute(USERS, {"first": first}, as_=personas.alice)
    assert codes(result) == ["INVALID_INPUT"]
    assert result["data"] is None


async def test_users_page_size_limits_are_inclusive(gql: GraphQLClient, personas: Personas) -> None:
    """first=1 and first=100 are accepted."""
    assert len((await users_page(gql, personas.alice, first=1))["edges"]) == 1
    assert len((await users_page(gql, personas.alice, first=100))["edges"]) == 2


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!",
        "",
        encode_cursor("only-one"),
        encode_cursor("not-a-date", str(uuid.uuid4())),
        encode_cursor("2024-01-01T00:00:00+00:00", "not-a-uuid"),
        encode_cursor(1, 2),
        # Well-formed but without a time zone: still a bad cursor, never a server error.
        encode_cursor("2024-01-01T00:00:00", str(uuid.uuid4())),
    ],
    ids=["garbage", "empty", "one-key", "bad-date", "bad-uuid", "numbers", "naive-date"],
)
async def test_users_bad_cursor_is_invalid_input(
    gql: GraphQLClient, personas: Personas, cursor: str
) -> None:
    """A cursor the server did not hand out is a top-level INVALID_INPUT."""
    result = await gql.execute(USERS, {"after": cursor}, as_=personas.alice)
    assert codes(result) == ["INVALID_INPUT"]


# --- createUser ------------------------------------------------------------------------------


def new_user_input(**changes: Any) -> dict[str, Any]:
    values = {
        "email": "carol@example.com",
        "displayName": "Carol",
        "password": "a-good-long-password",
        "clientMutationId": "c-1",
    }
    values.update(changes)
    return {"input": values}


async def test_create_user(gql: GraphQLClient, services: Services, personas: Personas) -> None:
    """createUser writes the user, one audit entry and one event, and the user can log in."""
    await gql.token_for(personas.alice)
    audit_before = len(await audit_entries(services, personas.alice.org_id))
    events_before = len(await events(services, personas.alice.org_id))
    result = await gql.execute(
        CREATE_USER, new_user_input(email="  Carol@Example.com "), as_=personas.alice
    )
    payload = result["data"]["createUser"]
    assert payload["errors"] == []
    assert payload["clientMutationId"] == "c-1"
    user = payload["user"]
    assert user["email"] == "carol@example.com"
    assert (user["displayName"], user["role"], user["isActive"]) == ("Carol", "MEMBER", True)

    new_audit = (await audit_entries(services, personas.alice.org_id))[audit_before:]
    assert [entry.action for entry in new_audit] == ["user.create"]
    [entry] = new_audit
    assert gid("User", uuid.UUID(entry.target_id or "")) == user["id"]
    assert (entry.actor_id, entry.via, entry.operation) == (
        personas.alice.id,
        "graphql",
        "createUser",
    )
    assert entry.diff["after"]["email"] == "carol@example.com"
    assert "a-good-long-password" not in str(entry.diff)
    new_events = (await events(services, personas.alice.org_id))[events_before:]
    created = [typed(event) for event in new_events if event.type == "user.created"]
    assert created == [
        ev.UserCreated(org_id=personas.alice.org_id, user_id=uuid.UUID(entry.target_id or ""))
    ]

    carol = Persona(
        "carol",
        uuid.UUID(entry.target_id or ""),
        personas.alice.org_id,
        "carol@example.com",
        "member",
        "a-good-long-password",
    )
    login = await gql.login(carol)
    assert login["user"]["email"] == "carol@example.com"


async def test_create_admin_user(gql: GraphQLClient, personas: Personas) -> None:
    """The role input is honoured."""
    result = await gql.execute(CREATE_USER, new_user_input(role="ADMIN"), as_=personas.alice)
    assert result["data"]["createUser"]["user"]["role"] == "ADMIN"


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"email": "ALICE@EXAMPLE.COM"}, "EMAIL_TAKEN", "email"),
        ({"email": "bob@example.com"}, "EMAIL_TAKEN", "email"),
        ({"email": "not-an-email"}, "INVALID_INPUT", "email"),
        ({"email": "a@b"}, "INVALID_INPUT", "email"),
        ({"email": ""}, "INVALID_INPUT", "email"),
        ({"password": "short"}, "INVALID_INPUT", "password"),
        ({"displayName": ""}, "INVALID_INPUT", "displayName"),
        ({"displayName": "   "}, "INVALID_INPUT", "displayName"),
        ({"displayName": "x" * 81}, "INVALID_INPUT", "displayName"),
    ],
)
async def test_create_user_failures_write_nothing(
    gql: GraphQLClient,
    services: Services,
    personas: Personas,
    changes: dict[str, Any],
    code: str,
    field: str,
) -> None:
    """Each invalid input is a payload error naming the field; nothing is written."""
    await gql.token_for(personas.alice)
    before = await snapshot(services)
    result = await gql.execute(CREATE_USER, new_user_input(**changes), as_=personas.alice)
    payload = result["data"]["createUser"]
    assert [(e["code"], e["field"]) for e in payload_errors(result, "createUser")] == [
        (code, field)
    ]
    assert payload["user"] is None
    assert payload["clientMutationId"] == "c-1"
    assert await snapshot(services) == before


# --- updateUserRole / deactivateUser ---------------------------------------------------------


async def test_update_user_role(gql: GraphQLClient, services: Services, personas: Personas) -> None:
    """Promoting a member writes exactly one audit entry with the before/after role, and
    emits an event."""
    await gql.token_for(personas.alice)
    audit_before, events_before = await log_marks(services, personas.alice)
    result = await gql.execute(
        UPDATE_ROLE,
        {"id": gid("User", personas.bob.id), "role": "ADMIN", "cmid": "r-1"},
        as_=personas.alice,
    )
    assert result["data"]["updateUserRole"] == {
        "clientMutationId": "r-1",
        "errors": [],
        "user": {"id": gid("User", personas.bob.id), "role": "ADMIN"},
    }
    [entry] = (await audit_entries(services, personas.alice.org_id))[audit_before:]
    assert (entry.action, entry.target_id, entry.actor_id) == (
        "user.role_change",
        str(personas.bob.id),
        personas.alice.id,
    )
    assert entry.diff["before"] == {"role": "member"}
    assert entry.diff["after"] == {"role": "admin"}
    new_events = (await events(services, personas.alice.org_id))[events_before:]
    assert [typed(e) for e in new_events if e.type == "user.updated"] == [
        ev.UserUpdated(org_id=personas.alice.org_id, user_id=personas.bob.id, role="admin")
    ]
    # Bob's next request carries admin rights.
    bob = await gql.execute(DEACTIVATE, {"id": gid("User", uuid.uuid4())}, as_=personas.bob)
    assert not bob.get("errors")


async def test_update_user_role_to_same_role_writes_nothing(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """Setting the role a user already has succeeds without an audit entry or event."""
    await gql.token_for(personas.alice)
    before = await snapshot(services)
    result = await gql.execute(
        UPDATE_ROLE, {"id": gid("User", personas.bob.id), "role": "MEMBER"}, as_=personas.alice
    )
    assert result["data"]["updateUserRole"]["errors"] == []
    assert result["data"]["updateUserRole"]["user"]["role"] == "MEMBER"
    assert await snapshot(services) == before


async def test_demoting_the_last_admin_is_refused(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """The only admin cannot demote themselves (LAST_ADMIN, nothing written); once a second
    admin exists they can."""
    await gql.token_for(personas.alice)
    alice_id = gid("User", personas.alice.id)
    before = await snapshot(services)
    result = await gql.execute(
        UPDATE_ROLE, {"id": alice_id, "role": "MEMBER", "cmid": "r-2"}, as_=personas.alice
    )
    payload = result["data"]["updateUserRole"]
    assert [e["code"] for e in payload["errors"]] == ["LAST_ADMIN"]
    assert (payload["user"], payload["clientMutationId"]) == (None, "r-2")
    assert await snapshot(services) == before

    promote = await gql.execute(
        UPDATE_ROLE, {"id": gid("User", personas.bob.id), "role": "ADMIN"}, as_=personas.alice
    )
    assert promote["data"]["updateUserRole"]["errors"] == []
    demote = await gql.execute(UPDATE_ROLE, {"id": alice_id, "role": "MEMBER"}, as_=personas.alice)
    assert demote["data"]["updateUserRole"]["errors"] == []
    assert demote["data"]["updateUserRole"]["user"]["role"] == "MEMBER"


async def test_deactivated_admins_do_not_count(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """An inactive admin does not keep the org administered."""
    bob_id = gid("User", personas.bob.id)
    await gql.execute(UPDATE_ROLE, {"id": bob_id, "role": "ADMIN"}, as_=personas.alice)
    deactivated = await gql.execute(DEACTIVATE, {"id": bob_id}, as_=personas.alice)
    assert deactivated["data"]["deactivateUser"]["errors"] == []
    before = await snapshot(services)
    result = await gql.execute(
        UPDATE_ROLE, {"id": gid("User", personas.alice.id), "role": "MEMBER"}, as_=personas.alice
    )
    assert [e["code"] for e in result["data"]["updateUserRole"]["errors"]] == ["LAST_ADMIN"]
    assert await snapshot(services) == before


async def test_deactivate_user(gql: GraphQLClient, services: Services, personas: Personas) -> None:
    """Deactivation is audited with before/after, emits an event and revokes every session."""
    await gql.login(personas.bob)
    await gql.login(personas.bob)
    await gql.token_for(personas.alice)
    audit_before, events_before = await log_marks(services, personas.alice)
    result = await gql.execute(
        DEACTIVATE, {"id": gid("User", personas.bob.id), "cmid": "d-1"}, as_=personas.alice
    )
    assert result["data"]["deactivateUser"] == {
        "clientMutationId": "d-1",
        "errors": [],
        "user": {"id": gid("User", personas.bob.id), "isActive": False},
    }
    [entry] = (await audit_entries(services, personas.alice.org_id))[audit_before:]
    assert (entry.action, entry.target_id) == ("user.deactivate", str(personas.bob.id))
    assert entry.diff["before"] == {"is_active": True}
    assert entry.diff["after"] == {"is_active": False}
    new_events = (await events(services, personas.alice.org_id))[events_before:]
    assert [typed(e) for e in new_events if e.type == "user.deactivated"] == [
        ev.UserDeactivated(org_id=personas.alice.org_id, user_id=personas.bob.id)
    ]
    async with services.db.read_session() as session:
        bob = await session.get(User, personas.bob.id)
        assert bob is not None and bob.is_active is False
    live = await count_rows(services, RefreshToken, user_id=personas.bob.id, revoked_at=None)
    assert live == 0

    # Deactivating again is a no-op: same answer, nothing written.
    before = await snapshot(services)
    again = await gql.execute(DEACTIVATE, {"id": gid("User", personas.bob.id)}, as_=personas.alice)
    assert again["data"]["deactivateUser"]["errors"] == []
    assert await snapshot(services) == before


async def test_deactivating_the_last_admin_is_refused(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """The only active admin cannot deactivate themselves."""
    await gql.token_for(personas.alice)
    before = await snapshot(services)
    result = await gql.execute(
        DEACTIVATE, {"id": gid("User", personas.alice.id), "cmid": "d-2"}, as_=personas.alice
    )
    payload = result["data"]["deactivateUser"]
    assert [e["code"] for e in payload["errors"]] == ["LAST_ADMIN"]
    assert (payload["user"], payload["clientMutationId"]) == (None, "d-2")
    assert await snapshot(services) == before
    assert await count_rows(services, AuditEntry, action="user.deactivate") == 0


@pytest.mark.parametrize("bad_id", ["garbage", "", gid("Org", uuid.uuid4())])
async def test_malformed_or_wrong_type_user_id_is_not_found(
    gql: GraphQLClient, services: Services, personas: Personas, bad_id: str
) -> None:
    """A user ID that is malformed or names another type is NOT_FOUND on userId."""
    await gql.token_for(personas.alice)
    before = await snapshot(services)
    result = await gql.execute(DEACTIVATE, {"id": bad_id, "cmid": "d-3"}, as_=personas.alice)
    payload = result["data"]["deactivateUser"]
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("NOT_FOUND", "userId")]
    assert payload["clientMutationId"] == "d-3"
    assert await snapshot(services) == before
