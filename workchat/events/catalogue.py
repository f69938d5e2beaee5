"""Every durable event type, one frozen dataclass each: the subscription contract.

An event knows its stable ``type`` name (what the log's ``type`` column holds), its
``audience`` (who may receive it) and how to become the stored payload and back. The log's
``org_id``/``channel_id``/``user_id`` columns are derived from the audience, so a channel's
readers find channel events by ``channel_id`` and a user finds their own by ``user_id``.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from workchat.events.payload import EventDecodeError as EventDecodeError  # re-exported
from workchat.events.payload import decode_fields, encode_fields


class Audience(enum.StrEnum):
    """Who receives an event."""

    CHANNEL = "channel"  # whoever may read the event's channel_id
    USER = "user"  # only the event's user_id
    ADMINS = "admins"  # the org's admins
    ORG = "org"  # everyone in the org


@dataclass(frozen=True, slots=True)
class Delivery:
    """The log row's routing columns, derived from an event's audience."""

    audience: Audience
    org_id: uuid.UUID
    channel_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None


class UnknownEventType(EventDecodeError):
    """The log holds a type name no event class claims (e.g. from a newer or older release)."""


@dataclass(frozen=True, slots=True)
class DomainEvent:
    """Base of every event type; subclasses set ``type`` and ``audience``."""

    type: ClassVar[str]
    audience: ClassVar[Audience]

    org_id: uuid.UUID

    def to_payload(self) -> dict[str, Any]:
        return encode_fields(self)

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Self:
        return cls(**decode_fields(cls, cls.type, cls.upgrade(payload)))

    @classmethod
    def upgrade(cls, payload: Mapping[str, Any]) -> Mapping[str, Any]:
        """Rewrite a payload stored in an older shape; the default keeps it as it is."""
        return payload

    def delivery(self) -> Delivery:
        match self.audience:
            case Audience.CHANNEL:
                return Delivery(self.audience, self.org_id, channel_id=_id(self, "channel_id"))
            case Audience.USER:
                return Delivery(self.audience, self.org_id, user_id=_id(self, "user_id"))
            case Audience.ADMINS | Audience.ORG:
                return Delivery(self.audience, self.org_id)


def _id(event: DomainEvent, name: str) -> uuid.UUID:
    value = getattr(event, name, None)
    if not isinstance(value, uuid.UUID):
        kind = type(event).__name__
        raise TypeError(f"{kind} is for audience {event.audience} but has no {name}")
    return value


# Channel readers -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ChannelCreated(DomainEvent):
    type = "channel.created"
    audience = Audience.CHANNEL

    channel_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class ChannelUpdated(DomainEvent):
    """Name, description or privacy changed; ``changes`` names the changed fields."""

    type = "channel.updated"
    audience = Audience.CHANNEL

    channel_id: uuid.UUID
    changes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ChannelArchived(DomainEvent):
    type = "channel.archived"
    audience = Audience.CHANNEL

    channel_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class MemberJoined(DomainEvent):
    type = "member.joined"
    audience = Audience.CHANNEL

    channel_id: uuid.UUID
    user_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class MemberLeft(DomainEvent):
    type = "member.left"
    audience = Audience.CHANNEL

    channel_id: uuid.UUID
    user_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class MessagePosted(DomainEvent):
    """A root (``thread_id == message_id``) or a reply; ``mentions`` are the mentioned users."""

    type = "message.posted"
    audience = Audience.CHANNEL

    channel_id: uuid.UUID
    message_id: uuid.UUID
    thread_id: uuid.UUID
    author_id: uuid.UUID
    seq: int
    version: int
    mentions: tuple[uuid.UUID, ...]


@dataclass(frozen=True, slots=True)
class MessageEdited(DomainEvent):
    type = "message.edited"
    audience = Audience.CHANNEL

    channel_id: uuid.UUID
    message_id: uuid.UUID
    thread_id: uuid.UUID
    author_id: uuid.UUID
    seq: int
    version: int


@dataclass(frozen=True, slots=True)
class MessageDeleted(DomainEvent):
    type = "message.deleted"
    audience = Audience.CHANNEL

    channel_id: uuid.UUID
    message_id: uuid.UUID
    thread_id: uuid.UUID
    author_id: uuid.UUID
    seq: int
    version: int


@dataclass(frozen=True, slots=True)
class ReactionAdded(DomainEvent):
    type = "reaction.added"
    audience = Audience.CHANNEL

    channel_id: uuid.UUID
    message_id: uuid.UUID
    user_id: uuid.UUID
    emoji: str


@dataclass(frozen=True, slots=True)
class ReactionRemoved(DomainEvent):
    type = "reaction.removed"
    audience = Audience.CHANNEL

    channel_id: uuid.UUID
    message_id: uuid.UUID
    user_id: uuid.UUID
    emoji: str


# One user ------------------------------------------------------------------------------


class MembershipKind(enum.StrEnum):
    JOINED = "joined"  # by themselves, or as a channel's creator, or into #general
    INVITED = "invited"  # added by another member
    LEFT = "left"


@dataclass(frozen=True, slots=True)
class MembershipChanged(DomainEvent):
    """The user's own channel list changed."""

    type = "membership.changed"
    audience = Audience.USER

    user_id: uuid.UUID
    channel_id: uuid.UUID
    kind: MembershipKind

    @classmethod
    def upgrade(cls, payload: Mapping[str, Any]) -> Mapping[str, Any]:
        if "kind" not in payload and isinstance(payload.get("joined"), bool):
            # The first payload shape had only ``joined: bool``.
            kind = MembershipKind.JOINED if payload["joined"] else MembershipKind.LEFT
            return {**payload, "kind": kind.value}
        return payload


@dataclass(frozen=True, slots=True)
class UnreadChanged(DomainEvent):
    """The user's read marker in a channel moved to ``last_read_seq``."""

    type = "unread.changed"
    audience = Audience.USER

    user_id: uuid.UUID
    channel_id: uuid.UUID
    last_read_seq: int


@dataclass(frozen=True, slots=True)
class SessionRevoked(DomainEvent):
    """A login session (refresh-token family) ended: its sockets close."""

    type = "session.revoked"
    audience = Audience.USER

    user_id: uuid.UUID
    session_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class ApiTokenRevoked(DomainEvent):
    """An API token was revoked: sockets opened with it close."""

    type = "api_token.revoked"
    audience = Audience.USER

    user_id: uuid.UUID
    token_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class UserUpdated(DomainEvent):
    """The user's role changed (their sockets close: permissions are fixed per socket)."""

    type = "user.updated"
    audience = Audience.USER

    user_id: uuid.UUID
    role: str


@dataclass(frozen=True, slots=True)
class UserDeactivated(DomainEvent):
    type = "user.deactivated"
    audience = Audience.USER

    user_id: uuid.UUID


# The whole org -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UserCreated(DomainEvent):
    type = "user.created"
    audience = Audience.ORG

    user_id: uuid.UUID


@dataclass(frozen=True, slots=True)
class OrgCreated(DomainEvent):
    type = "org.created"
    audience = Audience.ORG

    name: str


EVENT_TYPES: tuple[type[DomainEvent], ...] = (
    ChannelCreated,
    ChannelUpdated,
    ChannelArchived,
    MemberJoined,
    MemberLeft,
    MessagePosted,
    MessageEdited,
    MessageDeleted,
    ReactionAdded,
    ReactionRemoved,
    MembershipChanged,
    UnreadChanged,
    SessionRevoked,
    ApiTokenRevoked,
    UserUpdated,
    UserDeactivated,
    UserCreated,
    OrgCreated,
)

REGISTRY: Mapping[str, type[DomainEvent]] = {cls.type: cls for cls in EVENT_TYPES}
assert len(REGISTRY) == len(EVENT_TYPES), "two event classes share a type name"


def event_class(type_name: str) -> type[DomainEvent]:
    try:
        return REGISTRY[type_name]
    except KeyError:
        raise UnknownEventType(f"unknown event type {type_name!r}") from None


def decode(
    type_name: str,
    payload: Mapping[str, Any],
    *,
    org_id: uuid.UUID,
    channel_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
) -> DomainEvent:
    """The typed event of a stored row. Ids the payload lacks come from the row's columns
    (early payloads left out the ids their columns already held)."""
    cls = event_class(type_name)
    columns = {"org_id": org_id, "channel_id": channel_id, "user_id": user_id}
    merged = {key: str(value) for key, value in columns.items() if value is not None}
    merged.update(payload)
    return cls.from_payload(merged)
