"""The benchmark seeder: consistent rows, a working search index, audited, refused in prod."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import func, select

from tests.support.db import audit_entries, count_rows
from workchat.actions.sessions import login
from workchat.auth.authenticate import authenticate
from workchat.auth.viewer import anonymous
from workchat.db.models import Channel, Message, Org
from workchat.devdata.seed import seed_corpus
from workchat.errors import Forbidden
from workchat.search import service
from workchat.search.query import parse
from workchat.services import Services


async def test_seed_builds_a_consistent_searchable_corpus(services: Services) -> None:
    summary = await seed_corpus(services, messages=3000, channels=9, users=12, orgs=3, seed=1)
    assert summary.messages == 3000
    assert await count_rows(services, Message) == 3000
    async with services.db.read_session() as session:
        # seqs are gapless per channel and match the channel's last_seq
        rows = await session.execute(
            select(
                Message.channel_id, func.count(), func.max(Message.seq), func.min(Message.seq)
            ).group_by(Message.channel_id)
        )
        for channel_id, count, highest, lowest in rows:
            channel = await session.get(Channel, channel_id)
            assert channel is not None
            assert (lowest, highest, channel.last_seq) == (1, count, count)
        # replies point at roots of their own channel; reply counts add up
        replies = await session.scalar(
            select(func.count()).select_from(Message).where(Message.thread_id != Message.id)
        )
        reply_total = await session.scalar(
            select(func.sum(Message.reply_count)).where(Message.thread_id == Message.id)
        )
        assert replies == summary.replies == reply_total
        orgs = list(await session.scalars(select(Org)))
    assert len(orgs) == 3
    for org in orgs:
        assert [e.action for e in await audit_entries(services, org.id)][-1] == "seed.load"

    issued = await login(services, anonymous(), summary.login_email, summary.login_password)
    viewer = await authenticate(services.db, services.settings, issued.access_token)
    query = parse("the")
    async with services.db.read_session() as session:
        scope = await service.resolve_scope(session, viewer, query)
        page = await service.search_messages(
            session, query, scope, limit=20, offset=0, sort=service.SearchSort.NEWEST
        )
    assert page.hits
    assert all("the" in hit.message.search_text.split() for hit in page.hits)
    assert all(hit.message.deleted_at is None for hit in page.hits)


async def test_seed_is_refused_in_prod(services: Services) -> None:
    services.settings = replace(services.settings, env="prod")
    with pytest.raises(Forbidden):
        await seed_corpus(services, messages=10, channels=3, users=3)
    assert await count_rows(services, Message) == 0


async def test_seed_progress_is_plain_lines_when_not_a_terminal(services: Services) -> None:
    """Into a log or a pipe: one line per phase and tenth, no carriage returns or colours."""
    import io

    from workchat.devdata.seed import ProgressBar

    stream = io.StringIO()
    bar = ProgressBar(stream)
    try:
        await seed_corpus(services, messages=400, channels=4, users=6, orgs=1, progress=bar)
    finally:
        bar.close()
    out = stream.getvalue()
    assert "\r" not in out and "\x1b" not in out
    lines = out.splitlines()
    assert "seed: messages 400/400 (100%)" in "\n".join(lines)
    messages = [line for line in lines if line.startswith("seed: messages ")]
    assert 2 <= len(messages) <= ProgressBar.STEPS + 1
    assert all(line.startswith("seed: ") for line in lines)


def test_seed_progress_draws_bars_on_a_terminal() -> None:
    import io

    from workchat.devdata.seed import ProgressBar

    stream = io.StringIO()
    bar = ProgressBar(stream, terminal=True)
    bar("messages", 50, 100)
    bar.close()
    out = stream.getvalue()
    assert "\x1b" in out  # drawn in place, with the terminal's control codes
    assert "messages" in out and "50/100" in out
