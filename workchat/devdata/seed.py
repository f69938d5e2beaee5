"""Seed a realistic benchmark corpus: several orgs, users, channels, threads, reactions.

This is the one sanctioned exception to row-by-row actions. Orgs, users and channels are
created through the ordinary actions (with their audit entries and events), but a corpus of a
million messages cannot go through ``post_message``: memberships, messages and reactions are
inserted with SQLAlchemy Core ``executemany`` in batches, inside one transaction that also
writes one ``seed.load`` audit entry per org, so the bulk write is still on the record.

The search index is switched off during the load and rebuilt once at the end: on SQLite the
FTS5 triggers are dropped and recreated, then the index is rebuilt; on PostgreSQL the GIN index
is dropped and recreated, then the tables are vacuumed and analyzed. The load writes no
event-log rows.

Text follows a Zipf-like distribution over a fixed vocabulary (the vocabulary's ranks do not
depend on ``seed``, so benchmarks know which words are common and which are rare), with some
idioms (phrases), links, ticket numbers and non-ASCII words mixed in.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
import math
import random
import sys
import time
import uuid
from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from sqlalchemy import bindparam, insert, select, text, update

from workchat.actions.channels import create_channel
from workchat.actions.orgs import create_org
from workchat.actions.unit import unit_of_work
from workchat.actions.users import create_user
from workchat.auth.authenticate import viewer_for
from workchat.auth.viewer import ALL_SCOPES, Viewer, system
from workchat.db.models import Channel, Membership, Message, Org, Reaction, User
from workchat.errors import ActionError, ErrorCode, Forbidden
from workchat.search.ddl import index_off, index_on
from workchat.search.keys import RANDOM_BITS
from workchat.search.query import index_text
from workchat.services import Services

SEED_PASSWORD = "workchat-seed-password"
BATCH_ROWS = 10_000
SPAN = timedelta(days=730)
REPLY_SHARE = 0.2
DELETED_SHARE = 0.003
REACTION_SHARE = 0.08
PRIVATE_SHARE = 0.15
EMOJI = ("👍", "🎉", "❤️", ":+1:", "😄", "🚀", "👀", ":ship_it:")


# Vocabulary ---------------------------------------------------------------------------------

# Chat and engineering words, roughly most frequent first; the head of the Zipf distribution.
# (Word lists read better as text: hence SIM905 is waived below.)
COMMON_WORDS = """
the to i a and it is we for deploy on this in that you of can be with just build not so have
do fix now are if will test but up pr what at there looks good thanks merge review please yes
ok no all need get was from one think know release staging prod bug issue branch main api
service error logs check today tomorrow meeting update change team my me our us an about by or
as like see any still should would could then also here when after before why how new old work
working broken failing passing green red pipeline ci cluster database query index cache redis
postgres migration schema latency timeout memory cpu disk alert incident outage rollback hotfix
config feature flag customer ticket sprint design spec doc docs link demo lunch coffee weekend
monday friday morning afternoon week yesterday soon later maybe probably sure great nice cool
awesome sorry help question answer idea plan roadmap metrics dashboard grafana kubernetes pod
node container image docker terraform aws region backup restore security auth login token
password user users client server frontend backend mobile android ios web browser css react
python rust go java typescript script job queue worker cron batch throughput benchmark
performance slow fast load traffic spike scale capacity budget cost invoice contract legal
hiring interview onboarding offsite holiday vacation sick remote office deployed deploying
deployment deploys reviewed reviewing merged merging tested testing
""".split()  # noqa: SIM905
# Placed at fixed ranks in the middle and tail, so non-ASCII search is exercised at several
# frequencies ("straße" is indexed case-folded, as "strasse").
NON_ASCII_WORDS = {
    120: "café",
    250: "résumé",
    400: "naïve",
    700: "straße",
    900: "日本語",
    1500: "zürich",
    2000: "münchen",
    2600: "東京",
    3200: "señor",
    4000: "façade",
}
VOCABULARY_SIZE = 5000
ZIPF_EXPONENT = 1.05
ZIPF_OFFSET = 1.5
SYLLABLES = (  # noqa: SIM905
    "ka lo mi ren tu vas zor pel qui bran dol fen gar hul jin kor lun mar nev pox ros sil tam "
    "ulf vek wim xan yor zek bel cor dax eld fro gil hap isk jol"
).split()
# Idioms inserted whole, with their probability per message: phrase queries find them.
PHRASES = (
    ("code review", 0.02),
    ("flaky test", 0.012),
    ("on call", 0.015),
    ("release notes", 0.01),
    ("merge conflict", 0.008),
    ("rolled back", 0.006),
    ("load balancer", 0.005),
    ("out of office", 0.004),
    ("happy friday", 0.003),
    ("root cause analysis", 0.0005),
)
LINK_SHARE = 0.04
TICKET_SHARE = 0.05
LINK_HOSTS = (
    "https://github.com/acme/{word}/pull/{n}",
    "https://grafana.example.com/d/{hex}/{word}",
    "http://intranet.local/wiki/{word}",
    "https://docs.example.com/{word}/{n}",
    "https://jira.example.com/browse/OPS-{n}",
)
TICKET_FORMS = ("PR #{n}", "OPS-{n}", "v2.{m}.{k}", "build {n}", "incident {n}")
FIRST_NAMES = (  # noqa: SIM905
    "Ada Alan Barbara Brian Chloe Dennis Edsger Frances Grace Hedy Ivan Joan Ken Linus Margaret "
    "Niklaus Olga Peter Radia Sophie Tim Ursula Vint Whitfield Xiao Yukihiro Zoe"
).split()
LAST_NAMES = (  # noqa: SIM905
    "Lovelace Turing Liskov Kernighan Ritchie Dijkstra Allen Hopper Lamarr Sutherland Clarke "
    "Thompson Torvalds Hamilton Wirth Perlman Wilson Berners Diffie Matsumoto Knuth Moore"
).split()
CHANNEL_TOPICS = (  # noqa: SIM905
    "eng deploys incidents random design support sales marketing infra frontend backend mobile "
    "data security platform releases oncall hiring ops qa docs product growth billing api"
).split()


def _build_vocabulary() -> tuple[str, ...]:
    """Common words first, then made-up words, with non-ASCII words at fixed ranks."""
    # Fixed: the vocabulary never depends on the seed (and needs no cryptographic randomness).
    rng = random.Random(20261126)  # noqa: S311
    words = list(dict.fromkeys(COMMON_WORDS))
    taken = set(words) | set(NON_ASCII_WORDS.values())
    while len(words) < VOCABULARY_SIZE - len(NON_ASCII_WORDS):
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3, 3, 4))))
        if word not in taken:
            taken.add(word)
            words.append(word)
    for rank in sorted(NON_ASCII_WORDS):
        words.insert(rank, NON_ASCII_WORDS[rank])
    return tuple(words)


VOCABULARY = _build_vocabulary()
_CUMULATIVE: list[float] = list(
    itertools.accumulate(
        1.0 / (rank + ZIPF_OFFSET) ** ZIPF_EXPONENT for rank in range(len(VOCABULARY))
    )
)


def word_probability(word: str) -> float:
    """The chance that one generated word is ``word`` (for picking benchmark queries)."""
    rank = VOCABULARY.index(word)
    weight: float = 1.0 / (rank + ZIPF_OFFSET) ** ZIPF_EXPONENT
    return weight / _CUMULATIVE[-1]


class TextGenerator:
    """Message bodies: a few Zipf-distributed words, sometimes an idiom, a link, a ticket."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def _length(self) -> int:
        # Mostly short chat lines, now and then a long explanation.
        return max(1, min(80, int(self.rng.lognormvariate(2.1, 0.65))))

    def bodies(self, count: int) -> list[str]:
        rng = self.rng
        lengths = [self._length() for _ in range(count)]
        words = rng.choices(VOCABULARY, cum_weights=_CUMULATIVE, k=sum(lengths))
        bodies: list[str] = []
        at = 0
        for length in lengths:
            parts = words[at : at + length]
            at += length
            for phrase, share in PHRASES:
                if rng.random() < share:
                    parts.insert(rng.randrange(len(parts) + 1), phrase)
            if rng.random() < TICKET_SHARE:
                form = rng.choice(TICKET_FORMS)
                parts.append(
                    form.format(
                        n=rng.randrange(100, 10_000), m=rng.randrange(30), k=rng.randrange(9)
                    )
                )
            if rng.random() < LINK_SHARE:
                host = rng.choice(LINK_HOSTS)
                parts.append(
                    host.format(
                        word=rng.choice(VOCABULARY[:400]),
                        n=rng.randrange(1, 20_000),
                        hex=f"{rng.getrandbits(32):08x}",
                    )
                )
            body = " ".join(parts)
            body = body[0].upper() + body[1:] + rng.choice((".", "", "", "!", "?", " :)"))
            bodies.append(body)
        return bodies


# Progress ----------------------------------------------------------------------------------

Progress = Callable[[str, int, int], None]
"""Called as ``progress(phase, done, total)`` while seeding."""


class ProgressBar:
    """Seeding progress on ``stream``: rich's live bars on a terminal; elsewhere (a log file,
    CI, a pipe) plain lines, one per phase and tenth done, with no carriage returns or
    colour codes, so the output reads the same in a log as it did on screen."""

    STEPS = 10  # plain lines per phase when the output is not a terminal

    def __init__(self, stream: TextIO | None = None, *, terminal: bool | None = None) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as RichProgress

        # terminal=None: ask the stream (isatty, and rich's FORCE_COLOR/TTY_* variables).
        self.console = Console(file=stream or sys.stderr, highlight=False, force_terminal=terminal)
        self.live = self.console.is_terminal
        self.started = time.monotonic()
        self.tasks: dict[str, Any] = {}
        self.printed: dict[str, int] = {}
        self.bars = RichProgress(
            TextColumn("{task.description:>12}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
        )
        if self.live:
            self.bars.start()

    def __call__(self, phase: str, done: int, total: int) -> None:
        if self.live:
            if phase not in self.tasks:
                self.tasks[phase] = self.bars.add_task(phase, total=total)
            self.bars.update(self.tasks[phase], completed=done, total=total)
            return
        step = self.STEPS * done // total if total else self.STEPS
        if self.printed.get(phase, -1) >= step:
            return
        self.printed[phase] = step
        elapsed = time.monotonic() - self.started
        percent = 100 * done // total if total else 100
        self.console.out(f"seed: {phase} {done}/{total} ({percent}%) {elapsed:.0f} s")

    def close(self) -> None:
        if self.live:
            self.bars.stop()


# The plan ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SeedSummary:
    orgs: list[str]
    users: int
    channels: int
    private_channels: int
    memberships: int
    messages: int
    replies: int
    deleted: int
    reactions: int
    seconds: float
    login_email: str
    login_password: str
    phases: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class _Org:
    id: uuid.UUID
    name: str
    index: int
    users: list[User] = field(default_factory=list)
    channels: list[_Channel] = field(default_factory=list)


@dataclass(slots=True)
class _Channel:
    id: uuid.UUID
    org: _Org
    is_private: bool
    members: list[uuid.UUID]
    creator: uuid.UUID | None = None  # joined through create_channel already
    # Cumulative author weights over members: a few people write most messages.
    author_weights: list[float] = field(default_factory=list)
    seq: int = 0
    roots: list[int] = field(default_factory=list)  # recent root message indexes


@dataclass(slots=True)
class _Plan:
    """Who posts where and when, decided before any row is written (reply counts need it)."""

    channel: array[int]
    author: array[int]
    root: array[int]  # -1 for a root, else the index of the thread's root
    seq: array[int]
    micros: array[int]
    deleted: bytearray
    reply_count: array[int]
    last_reply: array[int]


def _zipf_cumulative(count: int, exponent: float = 1.0) -> list[float]:
    return list(itertools.accumulate(1.0 / (i + 1) ** exponent for i in range(count)))


def _split(total: int, count: int, exponent: float = 1.0) -> list[int]:
    """Split ``total`` into ``count`` Zipf-sized parts, each at least one."""
    weights = [1.0 / (i + 1) ** exponent for i in range(count)]
    scale = sum(weights)
    parts = [max(1, int(total * w / scale)) for w in weights]
    parts[0] += total - sum(parts)
    return parts


class _Clock:
    """Strictly increasing timestamps over the last two years, denser towards now."""

    def __init__(self, rng: random.Random, count: int, now: datetime) -> None:
        end = int(now.timestamp() * 1_000_000) - 60_000_000
        start = end - int(SPAN.total_seconds() * 1_000_000)
        span = end - start
        # u ** 0.8 leans towards the recent end: a team that grew.
        offsets = sorted(int(span * rng.random() ** 0.8) for _ in range(count))
        self.micros = array("q")
        last = start - 1
        for offset in offsets:
            moment = max(start + offset, last + 1)
            self.micros.append(moment)
            last = moment


def _when(micros: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)


def _plan(rng: random.Random, orgs: list[_Org], messages: int, now: datetime) -> _Plan:
    channels = [channel for org in orgs for channel in org.channels]
    index_of = {id(channel): i for i, channel in enumerate(channels)}
    org_weights = list(itertools.accumulate(1.0 / (i + 1) for i in range(len(orgs))))
    channel_weights = [_zipf_cumulative(len(org.channels), 0.8) for org in orgs]
    user_index: dict[uuid.UUID, int] = {}
    for org in orgs:
        for user in org.users:
            user_index[user.id] = len(user_index)
    plan = _Plan(
        channel=array("q"),
        author=array("q"),
        root=array("q"),
        seq=array("q"),
        micros=_Clock(rng, messages, now).micros,
        deleted=bytearray(messages),
        reply_count=array("q", [0]) * messages,
        last_reply=array("q", [0]) * messages,
    )
    for i in range(messages):
        org = orgs[bisect.bisect_left(org_weights, rng.random() * org_weights[-1])]
        weights = channel_weights[org.index]
        channel = org.channels[bisect.bisect_left(weights, rng.random() * weights[-1])]
        author = channel.members[
            bisect.bisect_left(channel.author_weights, rng.random() * channel.author_weights[-1])
        ]
        root = -1
        if channel.roots and rng.random() < REPLY_SHARE:
            # Mostly the latest threads; sometimes an older one is revived.
            root = channel.roots[-1 - min(int(rng.expovariate(0.5)), len(channel.roots) - 1)]
            plan.reply_count[root] += 1
            plan.last_reply[root] = plan.micros[i]
        else:
            channel.roots.append(i)
            if len(channel.roots) > 64:
                del channel.roots[:32]
        channel.seq += 1
        plan.channel.append(index_of[id(channel)])
        plan.author.append(user_index[author])
        plan.root.append(root)
        plan.seq.append(channel.seq)
        if rng.random() < DELETED_SHARE:
            plan.deleted[i] = 1
    return plan


# The loader ----------------------------------------------------------------------------------


async def seed_corpus(
    services: Services,
    *,
    messages: int,
    channels: int,
    users: int,
    orgs: int = 3,
    seed: int = 0,
    progress: Progress | None = None,
) -> SeedSummary:
    """Create ``orgs`` orgs with ``users`` users and ``channels`` channels in all (the first
    org is the largest), and ``messages`` messages with threads and reactions.

    Every user's password is ``SEED_PASSWORD``; ``user0@org0.example.com`` (an admin who is a
    member of most channels) is the suggested login.
    """
    if services.settings.is_prod:
        raise Forbidden("seeding is for development and benchmark databases, not prod")
    if orgs < 1 or users < orgs or channels < orgs or messages < 0:
        raise ActionError(ErrorCode.INVALID_INPUT, "need at least one user and one channel per org")
    started = time.monotonic()
    phases: dict[str, float] = {}
    report = progress or (lambda _phase, _done, _total: None)
    rng = random.Random(seed)  # noqa: S311  (reproducible corpora)
    now = datetime.now(UTC)

    mark = time.monotonic()
    org_list = await _create_orgs(services, orgs, seed)
    await _create_users(services, rng, org_list, users, report)
    private = await _create_channels(services, rng, org_list, channels, report)
    phases["orgs_users_channels"] = time.monotonic() - mark

    mark = time.monotonic()
    plan = _plan(rng, org_list, messages, now)
    phases["plan"] = time.monotonic() - mark

    counts = await _bulk_load(services, rng, org_list, plan, report, phases)
    summary = SeedSummary(
        orgs=[org.name for org in org_list],
        users=users,
        channels=sum(len(org.channels) for org in org_list),
        private_channels=private,
        memberships=counts["memberships"],
        messages=messages,
        replies=sum(1 for root in plan.root if root >= 0),
        deleted=sum(plan.deleted),
        reactions=counts["reactions"],
        seconds=time.monotonic() - started,
        login_email=_email(0, 0),
        login_password=SEED_PASSWORD,
        phases=phases,
    )
    return summary


def _email(org: int, user: int) -> str:
    return f"user{user}@org{org}.example.com"


async def _create_orgs(services: Services, count: int, seed: int) -> list[_Org]:
    viewer = system(operation="seed")
    result: list[_Org] = []
    async with services.db.read_session() as session:
        existing = set(await session.scalars(select(Org.name)))
        # Seeded users' emails do not depend on the seed: one corpus per database.
        seeded = await session.scalar(select(User.id).where(User.email == _email(0, 0)))
    for index in range(count):
        name = f"Seed {seed} Org {index}"
        if name in existing or seeded is not None:
            raise ActionError(ErrorCode.NAME_TAKEN, "this database is already seeded")
        org = await create_org(services, viewer, name)
        result.append(_Org(id=org.id, name=org.name, index=index))
    return result


class _OneHash:
    """Hands out one precomputed argon2 hash: seeding thousands of users must not spend
    0.2 s of argon2 on each (they all share SEED_PASSWORD)."""

    def __init__(self, password_hash: str) -> None:
        self.password_hash = password_hash

    async def hash(self, _password: str) -> str:
        return self.password_hash


async def _create_users(
    services: Services, rng: random.Random, orgs: list[_Org], total: int, report: Progress
) -> None:
    cheap = dataclasses.replace(
        services,
        passwords=_OneHash(await services.passwords.hash(SEED_PASSWORD)),  # type: ignore[arg-type]
    )
    viewer = system(operation="seed")
    done = 0
    for org, count in zip(orgs, _split(total, len(orgs)), strict=True):
        for j in range(count):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            user = await create_user(
                cheap,
                viewer,
                org_id=org.id,
                email=_email(org.index, j),
                display_name=f"{first} {last} {j}",
                password=SEED_PASSWORD,
                role="admin" if j == 0 or rng.random() < 0.02 else "member",
            )
            org.users.append(user)
            done += 1
            report("users", done, total)


def _as_viewer(user: User) -> Viewer:
    return dataclasses.replace(
        viewer_for(user, ALL_SCOPES, via="cli", request_id=None), operation="seed"
    )


async def _create_channels(
    services: Services, rng: random.Random, orgs: list[_Org], total: int, report: Progress
) -> int:
    """#general exists already; the rest get Zipf-sized member lists. Returns the number of
    private channels."""
    done, private = 0, 0
    async with services.db.read_session() as session:
        generals = {
            row.org_id: row.id
            for row in await session.execute(
                select(Channel.org_id, Channel.id).where(Channel.is_system.is_(True))
            )
        }
    for org, count in zip(orgs, _split(total, len(orgs)), strict=True):
        everyone = [user.id for user in org.users]
        org.channels.append(_Channel(generals[org.id], org, False, list(everyone)))
        done += 1
        report("channels", done, total)
        for k in range(1, count):
            is_private = rng.random() < PRIVATE_SHARE
            creator = rng.choice(org.users)
            topic = CHANNEL_TOPICS[(k - 1) % len(CHANNEL_TOPICS)]
            name = f"{topic}-{(k - 1) // len(CHANNEL_TOPICS)}" if k > len(CHANNEL_TOPICS) else topic
            channel = await create_channel(
                services, _as_viewer(creator), name=name, is_private=is_private
            )
            size = len(everyone)
            wanted = (
                rng.randint(2, min(size, 12))
                if is_private
                else max(2, int(size * min(1.0, 0.05 + rng.paretovariate(1.5) / 10)))
            )
            members = {creator.id, *rng.sample(everyone, min(wanted, size))}
            # The login users (user0 of each org) can read most of their org.
            if not is_private or rng.random() < 0.5:
                members.add(org.users[0].id)
            org.channels.append(
                # In creation order, not by (random) id: the same seed gives the same corpus.
                _Channel(
                    channel.id,
                    org,
                    is_private,
                    [u for u in everyone if u in members],
                    creator=creator.id,
                )
            )
            private += is_private
            done += 1
            report("channels", done, total)
    for org in orgs:
        for planned in org.channels:
            rng.shuffle(planned.members)
            planned.author_weights = _zipf_cumulative(len(planned.members), 0.9)
    return private


def _batches(total: int) -> Iterator[range]:
    for start in range(0, total, BATCH_ROWS):
        yield range(start, min(total, start + BATCH_ROWS))


def _chunks(rows: Sequence[dict[str, Any]]) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), BATCH_ROWS):
        yield rows[start : start + BATCH_ROWS]


async def _bulk_load(
    services: Services,
    rng: random.Random,
    orgs: list[_Org],
    plan: _Plan,
    report: Progress,
    phases: dict[str, float],
) -> dict[str, int]:
    """Memberships, messages and reactions in one transaction with the audit entries."""
    channels = [channel for org in orgs for channel in org.channels]
    users = [user for org in orgs for user in org.users]
    sqlite = services.db.is_sqlite
    per_org = {
        org.id: {"memberships": 0, "messages": 0, "replies": 0, "deleted": 0, "reactions": 0}
        for org in orgs
    }
    total = len(plan.channel)
    async with unit_of_work(services, system(operation="seed")) as unit:
        conn = await unit.session.connection()
        mark = time.monotonic()
        if sqlite:
            # A large page cache keeps the random-key B-tree inserts in memory during the load.
            await conn.execute(text("PRAGMA cache_size=-1000000"))
        await index_off(conn)
        phases["index_off"] = time.monotonic() - mark

        mark = time.monotonic()
        memberships = _membership_rows(rng, channels)
        for chunk in _chunks(memberships):
            await conn.execute(insert(Membership), chunk)
        for channel in channels:
            if channel.creator is not None:
                per_org[channel.org.id]["memberships"] += len(channel.members) - 1
        phases["memberships"] = time.monotonic() - mark

        mark = time.monotonic()
        ids: list[uuid.UUID] = []
        text_gen = TextGenerator(rng)
        report("messages", 0, total)
        for batch in _batches(total):
            bodies = text_gen.bodies(len(batch))
            rows: list[dict[str, Any]] = []
            reactions: list[dict[str, Any]] = []
            for i, body in zip(batch, bodies, strict=True):
                message_id = uuid.UUID(int=rng.getrandbits(128), version=4)
                ids.append(message_id)
                channel = channels[plan.channel[i]]
                counts = per_org[channel.org.id]
                root = plan.root[i]
                at = _when(plan.micros[i])
                deleted = bool(plan.deleted[i])
                rows.append(
                    {
                        "id": message_id,
                        "org_id": channel.org.id,
                        "channel_id": channel.id,
                        "thread_id": ids[root] if root >= 0 else message_id,
                        "author_id": users[plan.author[i]].id,
                        # A deleted message looks as delete_message leaves it.
                        "body": "" if deleted else body,
                        "version": 2 if deleted else 1,
                        "seq": plan.seq[i],
                        "created_at": at,
                        "edited_at": None,
                        "deleted_at": at + timedelta(minutes=5) if deleted else None,
                        "reply_count": plan.reply_count[i],
                        "reaction_count": 0,
                        "last_reply_at": _when(plan.last_reply[i]) if plan.reply_count[i] else None,
                        "client_mutation_id": None,
                        # keys.search_key(at), with the low bits from the seeded generator.
                        "search_key": (plan.micros[i] << RANDOM_BITS)
                        | rng.getrandbits(RANDOM_BITS),
                        "search_text": "" if deleted else index_text(body),
                    }
                )
                counts["messages"] += 1
                counts["replies"] += root >= 0
                counts["deleted"] += deleted
                if not deleted and rng.random() < REACTION_SHARE:
                    picks = {
                        (rng.choice(channel.members), rng.choice(EMOJI))
                        for _ in range(rng.choice((1, 1, 1, 2, 3)))
                    }
                    for user_id, emoji in sorted(picks):
                        reactions.append(
                            {
                                "message_id": message_id,
                                "user_id": user_id,
                                "emoji": emoji,
                                "created_at": at + timedelta(seconds=rng.randrange(5, 3600)),
                            }
                        )
                    counts["reactions"] += len(picks)
                    rows[-1]["reaction_count"] = len(picks)
            await conn.execute(insert(Message), rows)
            if reactions:
                await conn.execute(insert(Reaction), reactions)
            report("messages", batch.stop, total)
        phases["messages"] = time.monotonic() - mark

        await conn.execute(
            update(Channel)
            .where(Channel.id == bindparam("channel_id"))
            .values(last_seq=bindparam("last_seq")),
            [{"channel_id": channel.id, "last_seq": channel.seq} for channel in channels],
        )
        mark = time.monotonic()
        report("search index", 0, 1)
        await index_on(conn)
        if sqlite:
            await conn.execute(text("PRAGMA cache_size=-2000"))
        report("search index", 1, 1)
        phases["index_rebuild"] = time.monotonic() - mark
        for org in orgs:
            unit.audit(org.id, "seed.load", "org", org.id, after=per_org[org.id])
    mark = time.monotonic()
    await _after_load(services, sqlite)
    phases["analyze_checkpoint"] = time.monotonic() - mark
    return {
        "memberships": len(memberships),
        "reactions": sum(c["reactions"] for c in per_org.values()),
    }


def _membership_rows(rng: random.Random, channels: list[_Channel]) -> list[dict[str, Any]]:
    """Members besides the creator (#general's joined when they were created). Read markers
    sit somewhere in the channel's history, so there is unread state to show."""
    joined = datetime.now(UTC) - SPAN - timedelta(days=1)
    rows: list[dict[str, Any]] = []
    for channel in channels:
        if channel.creator is None:
            continue
        for user_id in channel.members:
            if user_id == channel.creator:
                continue
            rows.append(
                {
                    "channel_id": channel.id,
                    "user_id": user_id,
                    "joined_at": joined,
                    "last_read_seq": int(channel.seq * math.sqrt(rng.random())),
                }
            )
    return rows


async def _after_load(services: Services, sqlite: bool) -> None:
    """Outside the transaction: shrink SQLite's WAL; vacuum and analyze on PostgreSQL."""
    async with services.db.write_engine.connect() as conn:
        if sqlite:
            # Outside any transaction (the engine would begin one): on the driver directly.
            driver = (await conn.get_raw_connection()).driver_connection
            assert driver is not None
            await driver.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            autocommit = await conn.execution_options(isolation_level="AUTOCOMMIT")
            # VACUUM too: sets hint bits and the visibility map, as autovacuum would soon.
            for table in ("messages", "reactions", "memberships", "channels", "users"):
                await autocommit.execute(text(f"VACUUM (ANALYZE) {table}"))
