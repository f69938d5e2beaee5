"""The event catalogue: every type round-trips through its stored payload, the registry knows
every class, the audience decides the log row's columns, and bad rows fail clearly."""

from __future__ import annotations

import dataclasses
import enum
import json
import typing
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from workchat.events import catalogue as ev
from workchat.events.log import CommittedEvent, decode_event, event_row


def _sample_value(annotation: Any, n: int) -> Any:
    if annotation is uuid.UUID:
        return uuid.uuid4()
    if annotation is int:
        return 40 + n
    if annotation is str:
        return f"value-{n} ✓"
    if annotation is bool:
        return True
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return list(annotation)[-1]
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is tuple:
        return (_sample_value(args[0], n), _sample_value(args[0], n + 1))
    raise AssertionError(f"no sample for {annotation!r}")


def sample(cls: type[ev.DomainEvent]) -> ev.DomainEvent:
    """An instance with a distinct, non-default value in every field."""
    hints = typing.get_type_hints(cls)
    return cls(
        **{f.name: _sample_value(hints[f.name], i) for i, f in enumerate(dataclasses.fields(cls))}
    )


def committed(event: ev.DomainEvent, seq: int = 1) -> CommittedEvent:
    row = event_row(event)
    return CommittedEvent(
        seq,
        row.org_id,
        row.type,
        row.payload,
        row.channel_id,
        row.user_id,
        datetime.now(UTC),
    )


@pytest.mark.parametrize("cls", ev.EVENT_TYPES, ids=lambda cls: cls.type)
def test_payload_round_trip(cls: type[ev.DomainEvent]) -> None:
    event = sample(cls)
    payload = event.to_payload()
    # Plain JSON: what the JSON column and the bus carry.
    assert json.loads(json.dumps(payload)) == payload
    assert set(payload) == {f.name for f in dataclasses.fields(cls)}
    assert cls.from_payload(payload) == event
    assert cls.from_payload(json.loads(json.dumps(payload))) == event


@pytest.mark.parametrize("cls", ev.EVENT_TYPES, ids=lambda cls: cls.type)
def test_committed_event_gives_back_the_typed_event(cls: type[ev.DomainEvent]) -> None:
    event = sample(cls)
    stored = committed(event, seq=9)
    assert stored.event == event
    assert decode_event(CommittedEvent.from_json(stored.to_json())) == event


def test_registry_covers_every_class_once() -> None:
    declared = {
        value
        for value in vars(ev).values()
        if isinstance(value, type)
        and issubclass(value, ev.DomainEvent)
        and value is not ev.DomainEvent
    }
    assert declared == set(ev.EVENT_TYPES)
    assert len({cls.type for cls in ev.EVENT_TYPES}) == len(ev.EVENT_TYPES)
    for cls in ev.EVENT_TYPES:
        assert ev.REGISTRY[cls.type] is cls
        assert ev.event_class(cls.type) is cls
        assert isinstance(cls.audience, ev.Audience)
        assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
        assert "__slots__" in vars(cls)


def test_type_names_are_the_stored_names() -> None:
    """Rows already in the log carry these names: renaming one would orphan them."""
    assert {cls.type: cls.audience for cls in ev.EVENT_TYPES} == {
        "channel.created": ev.Audience.CHANNEL,
        "channel.updated": ev.Audience.CHANNEL,
        "channel.archived": ev.Audience.CHANNEL,
        "member.joined": ev.Audience.CHANNEL,
        "member.left": ev.Audience.CHANNEL,
        "message.posted": ev.Audience.CHANNEL,
        "message.edited": ev.Audience.CHANNEL,
        "message.deleted": ev.Audience.CHANNEL,
        "reaction.added": ev.Audience.CHANNEL,
        "reaction.removed": ev.Audience.CHANNEL,
        "membership.changed": ev.Audience.USER,
        "unread.changed": ev.Audience.USER,
        "session.revoked": ev.Audience.USER,
        "api_token.revoked": ev.Audience.USER,
        "user.updated": ev.Audience.USER,
        "user.deactivated": ev.Audience.USER,
        "user.created": ev.Audience.ORG,
        "org.created": ev.Audience.ORG,
    }


def test_events_are_immutable() -> None:
    event = sample(ev.MessagePosted)
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.seq = 1  # type: ignore[misc]


@pytest.mark.parametrize("cls", ev.EVENT_TYPES, ids=lambda cls: cls.type)
def test_audience_decides_the_row_columns(cls: type[ev.DomainEvent]) -> None:
    event = sample(cls)
    row = event_row(event)
    assert (row.type, row.org_id, row.payload) == (cls.type, event.org_id, event.to_payload())
    expected: tuple[uuid.UUID | None, uuid.UUID | None] = (None, None)
    if cls.audience is ev.Audience.CHANNEL:
        expected = (event.channel_id, None)  # type: ignore[attr-defined]
    elif cls.audience is ev.Audience.USER:
        expected = (None, event.user_id)  # type: ignore[attr-defined]
    assert (row.channel_id, row.user_id) == expected
    assert event.delivery() == ev.Delivery(cls.audience, event.org_id, *expected)


def test_membership_changed_goes_to_the_member_only() -> None:
    """It names a channel, but only the member hears of it: the channel column stays empty
    so a channel's feed does not carry it twice (MemberJoined is the channel's news)."""
    event = sample(ev.MembershipChanged)
    row = event_row(event)
    assert (row.channel_id, row.user_id) == (None, event.user_id)  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class _AdminNotice(ev.DomainEvent):
    type = "test.admin_notice"
    audience = ev.Audience.ADMINS

    user_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class _Misfiled(ev.DomainEvent):
    type = "test.misfiled"
    audience = ev.Audience.CHANNEL

    user_id: uuid.UUID


def test_admin_audience_uses_no_id_column_and_a_missing_id_is_refused() -> None:
    org, user = uuid.uuid4(), uuid.uuid4()
    row = event_row(_AdminNotice(org_id=org, user_id=user))
    assert (row.org_id, row.channel_id, row.user_id) == (org, None, None)
    with pytest.raises(TypeError, match="channel_id"):
        event_row(_Misfiled(org_id=org, user_id=user))


def test_unknown_type_is_a_clear_error() -> None:
    stray = CommittedEvent(12, uuid.uuid4(), "thing.happened", {}, None, None, datetime.now(UTC))
    with pytest.raises(ev.UnknownEventType, match=r"event 12: unknown event type 'thing.happened'"):
        _ = stray.event
    with pytest.raises(ev.UnknownEventType):
        ev.event_class("thing.happened")


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"session_id": "not-a-uuid"}, "field 'session_id'"),
        ({"session_id": 7}, "field 'session_id': expected str"),
        ({}, "payload has no 'session_id'"),
    ],
)
def test_malformed_payload_names_the_field(payload: dict[str, Any], message: str) -> None:
    stored = CommittedEvent(
        3, uuid.uuid4(), "session.revoked", payload, None, uuid.uuid4(), datetime.now(UTC)
    )
    with pytest.raises(ev.EventDecodeError, match=f"event 3: session.revoked event: {message}"):
        _ = stored.event


def test_numbers_and_flags_are_not_confused() -> None:
    org, user, channel = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    payload = {"user_id": str(user), "channel_id": str(channel), "last_read_seq": True}
    with pytest.raises(ev.EventDecodeError, match="expected int"):
        ev.decode("unread.changed", payload, org_id=org)
    with pytest.raises(ev.EventDecodeError, match="field 'kind'"):
        ev.decode(
            "membership.changed",
            {"user_id": str(user), "channel_id": str(channel), "kind": "teleported"},
            org_id=org,
        )


def test_rows_written_before_the_catalogue_still_decode() -> None:
    """The first payloads left out ids their columns held, and membership.changed had only a
    ``joined`` flag: such rows read back as the same typed events."""
    org, user, channel, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    def old(
        type_: str,
        payload: dict[str, Any],
        *,
        channel_id: uuid.UUID | None = None,
        user_id: uuid.UUID | None = None,
    ) -> ev.DomainEvent:
        return CommittedEvent(1, org, type_, payload, channel_id, user_id, datetime.now(UTC)).event

    assert old(
        "membership.changed",
        {"channel_id": str(channel), "user_id": str(user), "joined": False},
        user_id=user,
    ) == ev.MembershipChanged(
        org_id=org, user_id=user, channel_id=channel, kind=ev.MembershipKind.LEFT
    )
    assert old(
        "unread.changed", {"channel_id": str(channel), "last_read_seq": 4}, user_id=user
    ) == ev.UnreadChanged(org_id=org, user_id=user, channel_id=channel, last_read_seq=4)
    assert old("session.revoked", {"session_id": str(other)}, user_id=user) == ev.SessionRevoked(
        org_id=org, user_id=user, session_id=other
    )
    assert old(
        "reaction.added",
        {"message_id": str(other), "user_id": str(user), "emoji": "👍"},
        channel_id=channel,
    ) == ev.ReactionAdded(
        org_id=org, channel_id=channel, message_id=other, user_id=user, emoji="👍"
    )
    assert old("org.created", {"org_id": str(org), "name": "Acme"}) == ev.OrgCreated(
        org_id=org, name="Acme"
    )
    assert old(
        "channel.updated",
        {"channel_id": str(channel), "changes": ["archived"]},
        channel_id=channel,
    ) == ev.ChannelUpdated(org_id=org, channel_id=channel, changes=("archived",))


def test_payload_values_win_over_columns() -> None:
    """Columns only fill gaps: a payload's own ids are what the event says."""
    org, user, column_user = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    event = ev.decode("user.created", {"user_id": str(user)}, org_id=org, user_id=column_user)
    assert event == ev.UserCreated(org_id=org, user_id=user)
