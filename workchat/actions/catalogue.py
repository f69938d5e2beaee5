"""What each GraphQL mutation records: its audit action and the events it emits, in order.

This is the contract between writes and subscribers in one place: a mutation that changes
something writes exactly one audit entry with ``audit_action`` and the ``events`` below (a
no-op success, such as joining a channel twice, writes neither; a failure writes nothing).
Where an action emits an event per item, the comment says so; the listed sequence is for one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from workchat.events import catalogue as ev


@dataclass(frozen=True, slots=True)
class MutationRecord:
    # None: the mutation records nothing (setTyping sends an ephemeral signal only).
    audit_action: str | None
    events: tuple[type[ev.DomainEvent], ...] = ()


# Someone added to a channel: its readers and the member's own channel list hear of it.
# createUser emits this pair once per system channel (#general) before UserCreated.
_JOINS = (ev.MemberJoined, ev.MembershipChanged)

MUTATION_CATALOGUE: Mapping[str, MutationRecord] = {
    # Sessions and credentials.
    "login": MutationRecord("auth.login"),
    # Presenting an already rotated token is refused, yet recorded: "auth.refresh_reuse"
    # and a SessionRevoked for the whole family.
    "refreshToken": MutationRecord("auth.refresh"),
    # One SessionRevoked per session ended (none when there was none to end).
    "logout": MutationRecord("auth.logout", (ev.SessionRevoked,)),
    "createApiToken": MutationRecord("token.create"),
    "revokeApiToken": MutationRecord("token.revoke", (ev.ApiTokenRevoked,)),
    # Users (admins).
    "createUser": MutationRecord("user.create", (*_JOINS, ev.UserCreated)),
    "updateUserRole": MutationRecord("user.role_change", (ev.UserUpdated,)),
    "deactivateUser": MutationRecord("user.deactivate", (ev.UserDeactivated,)),
    # Channels.
    "createChannel": MutationRecord("channel.create", (*_JOINS, ev.ChannelCreated)),
    "updateChannel": MutationRecord("channel.update", (ev.ChannelUpdated,)),
    "archiveChannel": MutationRecord("channel.archive", (ev.ChannelArchived,)),
    "joinChannel": MutationRecord("channel.join", _JOINS),
    "leaveChannel": MutationRecord("channel.leave", (ev.MemberLeft, ev.MembershipChanged)),
    "inviteToChannel": MutationRecord("channel.invite", _JOINS),
    "markChannelRead": MutationRecord("read.mark", (ev.UnreadChanged,)),
    # Messages and reactions.
    "postMessage": MutationRecord("message.post", (ev.MessagePosted,)),
    "editMessage": MutationRecord("message.edit", (ev.MessageEdited,)),
    "deleteMessage": MutationRecord("message.delete", (ev.MessageDeleted,)),
    "addReaction": MutationRecord("reaction.add", (ev.ReactionAdded,)),
    "removeReaction": MutationRecord("reaction.remove", (ev.ReactionRemoved,)),
    # Live only.
    "setTyping": MutationRecord(None),
}
