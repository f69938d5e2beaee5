"""E-mail addresses are unique per org (docs/adr/0016-org-scoped-emails.md): no org admin
learns which addresses exist elsewhere, and login finds the account by address alone when it
is unambiguous, else by address and org slug, refusing every other case alike."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.auth import CREATE_USER, assert_authenticated_as
from tests.support.db import count_rows, snapshot
from tests.support.graphql_client import GraphQLClient, gid, payload_errors
from tests.support.personas import Personas
from tests.support.settings import PASSWORD
from workchat.auth.passwords import Passwords
from workchat.db.models import RefreshToken, User
from workchat.services import Services

LOGIN = """mutation($email: String!, $password: String!, $org: String) {
    login(input: {email: $email, password: $password, org: $org}) {
        accessToken errors { code message field } user { id email }
    }
}"""
ORG_SLUG = "{ org { name slug } }"
OTHER_PASSWORD = "another password, for eve's org"


def _user_input(email: str, password: str = PASSWORD) -> dict[str, Any]:
    return {
        "input": {
            "email": email,
            "displayName": "Twin",
            "password": password,
        }
    }


async def _twin(gql: GraphQLClient, personas: Personas, password: str = PASSWORD) -> str:
    """Eve (admin of Evil Corp) creates an account with Alice's address in her own org."""
    result = await gql.execute(
        CREATE_USER, _user_input(personas.alice.email, password), as_=personas.eve
    )
    assert payload_errors(result, "createUser") == []
    return str(result["data"]["createUser"]["user"]["id"])


@pytest.fixture
def verifications(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """Every password verification: the hash checked (None: the dummy hash)."""
    seen: list[str | None] = []
    original = Passwords._verify

    def counting(self: Passwords, password_hash: str | None, password: str) -> bool:
        seen.append(password_hash)
        return original(self, password_hash, password)

    monkeypatch.setattr(Passwords, "_verify", counting)
    return seen


async def test_another_orgs_address_is_not_taken(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """An admin of org B creates a user with an address that exists only in org A: it
    succeeds (no EMAIL_TAKEN oracle); the same address twice in one org is EMAIL_TAKEN."""
    await _twin(gql, personas)
    assert await count_rows(services, User, email=personas.alice.email) == 2
    before = await snapshot(services)
    again = await gql.execute(
        CREATE_USER, _user_input(personas.alice.email.upper()), as_=personas.eve
    )
    assert [(e["code"], e["field"]) for e in payload_errors(again, "createUser")] == [
        ("EMAIL_TAKEN", "email")
    ]
    assert await snapshot(services) == before


async def test_org_exposes_its_slug(gql: GraphQLClient, personas: Personas) -> None:
    result = await gql.execute(ORG_SLUG, as_=personas.eve)
    assert result["data"]["org"] == {"name": "Evil Corp", "slug": "evil-corp"}


async def test_login_with_org_picks_the_account(
    gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    """With the same address in two orgs (same password even), the slug decides; any case
    of the slug works."""
    twin_id = await _twin(gql, personas)
    acme = await gql.execute(
        LOGIN, {"email": personas.alice.email, "password": PASSWORD, "org": "acme"}
    )
    evil = await gql.execute(
        LOGIN, {"email": personas.alice.email, "password": PASSWORD, "org": " Evil-Corp "}
    )
    assert acme["data"]["login"]["errors"] == [] and evil["data"]["login"]["errors"] == []
    assert acme["data"]["login"]["user"]["id"] == gid("User", personas.alice.id)
    assert evil["data"]["login"]["user"]["id"] == twin_id
    await assert_authenticated_as(gql, acme["data"]["login"]["accessToken"], personas.alice)


async def test_unambiguous_address_logs_in_without_org(
    gql: GraphQLClient, personas: Personas
) -> None:
    result = await gql.execute(LOGIN, {"email": personas.bob.email, "password": PASSWORD})
    assert result["data"]["login"]["errors"] == []
    assert result["data"]["login"]["user"]["id"] == gid("User", personas.bob.id)


async def test_every_refusal_looks_alike_and_costs_one_verification(
    gql: GraphQLClient,
    services: Services,
    personas: Personas,
    verifications: list[str | None],
) -> None:
    """Ambiguous address without org (even with the right password), unknown address,
    wrong org, unknown org and wrong password: the same INVALID_CREDENTIALS payload, no
    session, and exactly one password verification each (the dummy hash when no single
    account matched), so neither answer nor cost says in which orgs an address exists."""
    await _twin(gql, personas, OTHER_PASSWORD)
    verifications.clear()
    sessions = await count_rows(services, RefreshToken)
    alice = personas.alice.email
    attempts: list[tuple[dict[str, Any], bool]] = [
        ({"email": alice, "password": PASSWORD}, False),  # ambiguous
        ({"email": "nobody@example.com", "password": PASSWORD}, False),
        ({"email": personas.bob.email, "password": PASSWORD, "org": "evil-corp"}, False),
        ({"email": alice, "password": PASSWORD, "org": "no-such-org"}, False),
        ({"email": alice, "password": PASSWORD, "org": "evil-corp"}, True),  # wrong password
    ]
    answers = []
    for variables, found in attempts:
        before = len(verifications)
        result = await gql.execute(LOGIN, variables)
        answers.append(result["data"]["login"])
        checked = verifications[before:]
        assert len(checked) == 1, (variables, checked)
        assert (checked[0] is not None) is found, variables
    assert all(answer == answers[0] for answer in answers), answers
    assert [e["code"] for e in answers[0]["errors"]] == ["INVALID_CREDENTIALS"]
    assert answers[0]["accessToken"] is None
    assert await count_rows(services, RefreshToken) == sessions
