"""An idle ``channelEvents`` subscriber costs little (docs/adr/0020-subscription-fan-out.md,
"Fourth pass"). Once parked (delivered by its group's task), a subscription and its socket
hold no hub listener of their own, no session-guard task, no asyncio Event or Queue, no
member queue, and a bounded number of GC-tracked objects. Pinned by structure and by object
counts, never by bytes or time."""

from __future__ import annotations

import asyncio
import gc
from collections import deque
from contextlib import AsyncExitStack
from dataclasses import replace
from typing import Any

import pytest

from tests.graphql.events.test_fanout_grouping import TYPICAL, receive_all, subscribe_many
from tests.graphql.events.test_group_delivery import until
from tests.support.chat import make_channel, post
from tests.support.graphql_client import GraphQLClient
from tests.support.operations import cid
from tests.support.personas import Personas, another_member
from tests.support.subscriptions import event_cursor
from workchat.events.hub import Listener
from workchat.services import Services
from workchat.settings import Settings

SOCKETS = 4
# GC-tracked objects per parked socket (one subscription), the test's websockets client
# included (it runs in this process): 445 after the fourth pass, 585 before it. The bound
# leaves room for library updates, not for a return of the per-socket guard task, the
# given-up listener or the Strawberry operation hooks.
OBJECTS_PER_SOCKET = 500


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(
        settings, max_sockets_per_user=3 * SOCKETS + 2, rate_limit_subscriptions_user="1000/minute"
    )


def _waiting_machinery() -> int:
    return sum(isinstance(o, asyncio.Event | asyncio.Queue) for o in gc.get_objects())


def _tracked() -> int:
    gc.collect()
    return len(gc.get_objects())


async def test_a_parked_subscriber_holds_no_listener_task_or_wait_machinery(
    live_server: str, gql: GraphQLClient, services: Services, personas: Personas
) -> None:
    reader = await another_member(services, personas, "reader")
    channel = await make_channel(services, personas.alice, "dev", members=(reader,))
    token = await gql.token_for(reader)
    variables = {"channelId": cid(channel), "after": await event_cursor(gql, reader)}

    async def park(stack: AsyncExitStack, prefix: str) -> list[Any]:
        subscribers = await subscribe_many(
            stack, live_server, token, TYPICAL, variables, sockets=SOCKETS, per_socket=1,
            prefix=prefix,
        )  # fmt: skip
        await post(services, personas.alice, channel, prefix)
        await receive_all(subscribers)  # live, so parked in the group
        return subscribers

    async with AsyncExitStack() as stack:
        await park(stack, "first")
        await until(lambda: len(services.fanout.groups) == 1, "one group")
        (group,) = services.fanout.groups.values()
        await until(lambda: len(group.members) == SOCKETS, "the first sockets parked")
        gc.collect()
        events_before = _waiting_machinery()

        # Two batches counted apart: a per-socket cost shows in both, a one-off (the
        # database pool opening a connection meanwhile: a few hundred objects) in one.
        deltas = []
        for batch, prefix in enumerate(("second", "third"), start=2):
            objects_before = _tracked()
            await park(stack, prefix)
            parked = batch * SOCKETS
            await until(lambda n=parked: len(group.members) == n, f"{prefix} sockets parked")
            # Frames in flight to the client settle before counting.
            await asyncio.sleep(0.2)
            deltas.append(_tracked() - objects_before)

        # The listener each subscription used until it caught up is gone, not just
        # unsubscribed: only the group's own listener of the channel is alive.
        listeners = [
            o for o in gc.get_objects() if isinstance(o, Listener) and o.channel_id == channel.id
        ]
        assert len(listeners) == 1
        # Session guards are called by the hub and a timer: no task per socket.
        guard_tasks = [
            t for t in asyncio.all_tasks() if "guard" in t.get_coro().__qualname__.lower()
        ]
        assert guard_tasks == []
        # Nothing waits with an asyncio Event or Queue per socket (uvicorn's receive queue
        # and back-pressure flag, listeners, members use the lean ones); the database
        # driver may have opened a connection meanwhile (asyncpg's have their own).
        assert _waiting_machinery() - events_before < SOCKETS
        for member in group.members:
            assert not isinstance(member.pending, deque)
        per_socket = min(deltas) / SOCKETS
        assert per_socket < OBJECTS_PER_SOCKET, per_socket
