"""What each GraphQL mutation needs and records: the token scopes it requires, its audit
action and the events it emits, in order.

This is the contract between writes and subscribers in one place: a mutation that changes
something writes exactly one audit entry with ``audit_action`` and the ``events`` below (a
no-op success, such as joining a channel twice, writes neither; a failure writes nothing).
Where an action emits an event per item, the comment says so; the listed sequence is for one.

Scopes: every mutation declares the scopes a credential must hold (all of them); the GraphQL
layer refuses a credential that lacks one with FORBIDDEN before the mutation runs
(``workchat.graphql.mutations.mutate``). Sessions from login hold every scope; API tokens hold
the ones they were created with. Roles are checked separately, by the actions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from workchat.auth.viewer import ALL_SCOPES, SCOPE_ADMIN, SCOPE_WRITE
from workchat.events import catalogue as ev

# What a credential must hold. Anonymous mutations (login, refreshToken) need nothing.
ANONYMOUS: frozenset[str] = frozenset()
WRITE = frozenset({SCOPE_WRITE})
ADMIN = frozenset({SCOPE_WRITE, SCOPE_ADMIN})


@dataclass(frozen=True, slots=True)
class MutationRecord:
    # None: the mutation records nothing (setTyping sends an ephemeral signal only).
    audit_action: str | None
    events: tuple[type[ev.DomainEvent], ...] = ()
    # Required, by keyword: a mutation without declared scopes does not import.
    scopes: frozenset[str] = field(kw_only=True)


# Someone added to a channel: its readers and the member's own channel list hear of it.
# createUser emits this pair once per system channel (#general) before UserCreated.
_JOINS = (ev.MemberJoined, ev.MembershipChanged)

MUTATION_CATALOGUE: Mapping[str, MutationRecord] = {
    # Sessions and credentials. Ending sessions (even one's own) is a change: a read-only
    # token must not log its user out everywhere.
    "login": MutationRecord("auth.login", scopes=ANONYMOUS),
    # Presenting an already rotated token is refused, yet recorded: "auth.refresh_reuse"
    # and a SessionRevoked for the whole family.
    "refreshToken": MutationRecord("auth.refresh", scopes=ANONYMOUS),
    # One SessionRevoked per session ended (none when there was none to end).
    "logout": MutationRecord("auth.logout", (ev.SessionRevoked,), scopes=WRITE),
    "createApiToken": MutationRecord("token.create", scopes=ADMIN),
    "revokeApiToken": MutationRecord("token.revoke", (ev.ApiTokenRevoked,), scopes=ADMIN),
    # Users (admins).
    "createUser": MutationRecord("user.create", (*_JOINS, ev.UserCreated), scopes=ADMIN),
    "updateUserRole": MutationRecord("user.role_change", (ev.UserUpdated,), scopes=ADMIN),
    "deactivateUser": MutationRecord("user.deactivate", (ev.UserDeactivated,), scopes=ADMIN),
    # Channels.
    "createChannel": MutationRecord("channel.create", (*_JOINS, ev.ChannelCreated), scopes=WRITE),
    "updateChannel": MutationRecord("channel.update", (ev.ChannelUpdated,), scopes=WRITE),
    "archiveChannel": MutationRecord("channel.archive", (ev.ChannelArchived,), scopes=WRITE),
    "joinChannel": MutationRecord("channel.join", _JOINS, scopes=WRITE),
    "leaveChannel": MutationRecord(
        "channel.leave", (ev.MemberLeft, ev.MembershipChanged), scopes=WRITE
    ),
    "inviteToChannel": MutationRecord("channel.invite", _JOINS, scopes=WRITE),
    "markChannelRead": MutationRecord("read.mark", (ev.UnreadChanged,), scopes=WRITE),
    # Messages and reactions.
    "postMessage": MutationRecord("message.post", (ev.MessagePosted,), scopes=WRITE),
    "editMessage": MutationRecord("message.edit", (ev.MessageEdited,), scopes=WRITE),
    "deleteMessage": MutationRecord("message.delete", (ev.MessageDeleted,), scopes=WRITE),
    "addReaction": MutationRecord("reaction.add", (ev.ReactionAdded,), scopes=WRITE),
    "removeReaction": MutationRecord("reaction.remove", (ev.ReactionRemoved,), scopes=WRITE),
    # Live only.
    "setTyping": MutationRecord(None, scopes=WRITE),
}


def required_scopes(mutation: str) -> frozenset[str]:
    """The scopes ``mutation`` needs; an undeclared one needs every scope (fail closed)."""
    record = MUTATION_CATALOGUE.get(mutation)
    return record.scopes if record is not None else ALL_SCOPES
