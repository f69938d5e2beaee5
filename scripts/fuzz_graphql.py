"""Fuzz every root query and mutation of a live server with schemathesis; fail on any 5xx,
INTERNAL error or leaked internals.

    .venv/bin/python scripts/fuzz_graphql.py                       # SQLite, 100 examples/field
    .venv/bin/python scripts/fuzz_graphql.py \
        --postgres-url postgresql://postgres@127.0.0.1:5432/postgres   # a fresh database there
    .venv/bin/python scripts/fuzz_graphql.py --examples 300 --seed 1234

Starts ``workchat serve`` on a free loopback port against a new database (a temporary SQLite
file, or a database it creates and drops on the PostgreSQL server named by
``--postgres-url``), with an org whose member ``bob`` owns a channel and a message. Then, as
bob (an API token with read and write scopes), it sends for each root field of ``Query``
and ``Mutation`` ``--examples`` documents that schemathesis generates from the schema
(valid ones: arguments of every shape and string content) plus ``--negative`` invalid ones.

A response fails when its status is 5xx, when an error has ``extensions.code == INTERNAL``,
or when its body shows a traceback, a source path, or SQL driver text; the server's log
must hold no traceback either. Prints a table per field and each failure with a
reproducer (the document), and exits 1 on any. The seed is printed: ``--seed`` replays a
run. Not part of ``./dev test`` (it takes minutes); CI runs it on both backends.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import random
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

# The server start-up the load smoke uses: cheap password hashes, rate limits far above one
# client's (the fuzzer is here to reach the resolvers; tests cover the limits).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from load_smoke import free_port, server_env, stop_server, wait_ready, workchat

ADMIN_EMAIL = "admin@fuzz.example.com"
MEMBER_EMAIL = "bob@fuzz.example.com"
PASSWORD = "fuzz-password-0123"
REQUEST_TIMEOUT = 30.0

# What must never reach a client: tracebacks, source paths, SQL driver messages.
LEAKS = [
    re.compile(r"Traceback \(most recent call last\)"),
    re.compile(r'File "[^"]+", line \d+'),
    re.compile(r"/(?:work|home|root|usr|opt|tmp|srv|app)/[\w./-]+\.py"),
    re.compile(r"\b(?:sqlalchemy|asyncpg|aiosqlite|sqlite3|psycopg)\.\w+"),
    re.compile(r"\[SQL: |\(Background on this error|\bUniqueViolation\b|\bIntegrityError\b"),
]


NESTED_JSON_CURSOR = base64.urlsafe_b64encode(b"[" * 2000 + b"]" * 2000).decode()
HOSTILE_FRAGMENTS = (
    "\x00",
    "\x07",
    "\x1b[31m",
    "\ud800",
    "\udfff",
    "\u202e",
    "\u200b",
    "e\u0301",
    "\ufeff",
    "\uffff",
    "%s%n%x",
    "' OR 1=1 --",
    "\\",
    NESTED_JSON_CURSOR,
)


@dataclass
class FieldReport:
    examples: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


@contextlib.contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """A new, empty database on the server of ``admin_url``; dropped afterwards."""
    import asyncpg  # only needed for this backend

    name = f"workchat_fuzz_{uuid.uuid4().hex[:10]}"

    async def admin(sql: str) -> None:
        connection = await asyncpg.connect(admin_url)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(admin(f"CREATE DATABASE {name}"))
    base = admin_url.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def post(
    client: httpx.Client,
    document: str,
    token: str | None = None,
    variables: dict[str, Any] | None = None,
) -> httpx.Response:
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    body = {"query": document, "variables": variables or {}}
    # json.dumps escapes non-ASCII (and would escape lone surrogates) like any JSON client.
    return client.post("/graphql", content=json.dumps(body), headers=headers)


def data(response: httpx.Response, field_name: str) -> Any:
    body = response.json()
    assert not body.get("errors"), body
    payload = body["data"][field_name]
    assert not payload.get("errors"), payload
    return payload


def prepare_member(client: httpx.Client) -> str:
    """Bob, a member with a channel and a message; returns his read/write API token."""
    admin = data(
        post(
            client,
            "mutation($e: String!, $p: String!) "
            "{ login(input: {email: $e, password: $p}) { accessToken errors { code } } }",
            variables={"e": ADMIN_EMAIL, "p": PASSWORD},
        ),
        "login",
    )
    admin_token = admin["accessToken"]
    created = data(
        post(
            client,
            "mutation($e: String!, $p: String!) { createUser(input: "
            '{email: $e, displayName: "Bob", password: $p}) { user { id } errors { code } } }',
            admin_token,
            {"e": MEMBER_EMAIL, "p": PASSWORD},
        ),
        "createUser",
    )
    token = data(
        post(
            client,
            'mutation($u: ID!) { createApiToken(input: {userId: $u, name: "fuzz", '
            'scopes: ["read", "write"]}) { token errors { code } } }',
            admin_token,
            {"u": created["user"]["id"]},
        ),
        "createApiToken",
    )["token"]
    channel = data(
        post(
            client,
            'mutation { createChannel(input: {name: "fuzz-room"}) { channel { id } errors '
            "{ code } } }",
            token,
        ),
        "createChannel",
    )["channel"]["id"]
    data(
        post(
            client,
            'mutation($c: ID!) { postMessage(input: {channelId: $c, body: "hello"}) '
            "{ message { id } errors { code } } }",
            token,
            {"c": channel},
        ),
        "postMessage",
    )
    return str(token)


def problems(response: httpx.Response) -> list[str]:
    found = []
    if response.status_code >= 500:
        found.append(f"HTTP {response.status_code}")
    text = response.text
    found.extend(f"leak {pattern.pattern!r}" for pattern in LEAKS if pattern.search(text))
    with contextlib.suppress(ValueError):
        body = response.json()
        errors = body.get("errors") if isinstance(body, dict) else None
        for error in errors or []:
            if (error.get("extensions") or {}).get("code") == "INTERNAL":
                found.append(f"INTERNAL ({error.get('message')})")
    return found


def codes_of(response: httpx.Response) -> list[str]:
    with contextlib.suppress(ValueError):
        body = response.json()
        if isinstance(body, dict):
            return [
                str((error.get("extensions") or {}).get("code"))
                for error in body.get("errors") or []
            ]
    return []


def fuzz(
    client: httpx.Client, token: str, examples: int, negative: int, seed: int
) -> dict[str, FieldReport]:
    import graphql
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis import strategies as st
    from schemathesis.generation import GenerationMode
    from schemathesis.graphql import nodes

    schemathesis.graphql.scalar(
        "DateTime",
        st.datetimes().map(lambda moment: nodes.String(moment.isoformat() + "Z"))
        | st.text(max_size=30).map(nodes.String),
    )
    schemathesis.graphql.scalar("JSON", st.text(max_size=20).map(nodes.String))
    # Strings and IDs: Hypothesis' text, and text with what has broken servers before spliced
    # in (it rarely draws these by itself): NUL, controls, lone surrogates, bidi overrides,
    # decomposed accents, and cursors that decode to deeply nested JSON.
    hostile = st.tuples(
        st.text(max_size=8), st.sampled_from(HOSTILE_FRAGMENTS), st.text(max_size=8)
    ).map("".join)
    for name in ("String", "ID"):
        schemathesis.graphql.scalar(
            name, st.one_of(st.text(), hostile, hostile, hostile).map(nodes.String)
        )
    response = post(client, graphql.get_introspection_query(), token)
    schema = schemathesis.graphql.from_dict(response.json()["data"])

    def run_examples(operation: Any, mode: GenerationMode, count: int, report: FieldReport) -> None:
        @hypothesis_seed(seed)
        @settings(
            max_examples=count,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: Any) -> None:
            document = case.body if isinstance(case.body, str) else json.dumps(case.body)
            reply = post(client, document, token)
            report.examples += 1
            report.statuses[reply.status_code] += 1
            report.codes.update(codes_of(reply))
            for problem in problems(reply):
                if len(report.failures) < 5:
                    report.failures.append(f"{problem}\n  document: {document}")

        run()

    reports: dict[str, FieldReport] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        report = reports.setdefault(operation.label, FieldReport())
        for mode, count in (
            (GenerationMode.POSITIVE, examples),
            (GenerationMode.NEGATIVE, negative),
        ):
            if count == 0:
                continue

            run_examples(operation, mode, count, report)
    return reports


def print_table(reports: dict[str, FieldReport]) -> None:
    header = f"{'root field':<28} {'sent':>5} {'2xx':>5} {'4xx':>5} {'5xx':>4} {'fail':>4}  codes"
    print(header)
    print("-" * len(header))
    for label, report in reports.items():
        by_class = Counter(status // 100 for status in report.statuses.elements())
        codes = ", ".join(f"{c}:{n}" for c, n in report.codes.most_common(4))
        print(
            f"{label:<28} {report.examples:>5} {by_class[2]:>5} {by_class[4]:>5} "
            f"{by_class[5]:>4} {len(report.failures):>4}  {codes}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=100, help="valid documents per field")
    parser.add_argument("--negative", type=int, default=20, help="invalid documents per field")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument(
        "--postgres-url", help="a PostgreSQL server to create the database on (default: SQLite)"
    )
    parser.add_argument("--log", type=Path, default=None, help="where the server log goes")
    parser.add_argument("--port", type=int, default=0, help="the server's port (default: any free)")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    backend = "postgresql" if args.postgres_url else "sqlite"
    print(f"fuzz: {backend}, {args.examples}+{args.negative} examples per root field, seed {seed}")

    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="workchat-fuzz-")))
        if args.postgres_url:
            url = stack.enter_context(postgres_database(args.postgres_url))
        else:
            url = f"sqlite+aiosqlite:///{tmp / 'fuzz.db'}"
        env = server_env(url, tmp)
        workchat("migrate", env=env)
        workchat(
            "create-org",
            "Fuzz",
            "--admin-email",
            ADMIN_EMAIL,
            "--password-stdin",
            env=env,
            stdin=PASSWORD + "\n",
        )
        port = args.port or free_port()
        base = f"http://127.0.0.1:{port}"
        log = args.log or tmp / "server.log"
        with open(log, "wb") as log_file:
            server = subprocess.Popen(
                [sys.executable, "-m", "workchat", "serve", "--port", str(port)],
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        try:
            wait_ready(base, server, log)
            started = time.monotonic()
            with httpx.Client(base_url=base, timeout=REQUEST_TIMEOUT) as client:
                token = prepare_member(client)
                reports = fuzz(client, token, args.examples, args.negative, seed)
            elapsed = time.monotonic() - started
        finally:
            stop_server(server)
        server_log = log.read_text(errors="replace")

    print_table(reports)
    sent = sum(report.examples for report in reports.values())
    print(f"{sent} requests to {len(reports)} root fields in {elapsed:.0f} s")
    failed = [(label, r) for label, r in reports.items() if r.failures]
    for label, report in failed:
        print(f"\nFAIL {label}:")
        for failure in report.failures:
            print(f"- {failure}")
    tracebacks = server_log.count("Traceback (most recent call last)")
    if tracebacks:
        print(f"\nFAIL the server logged {tracebacks} traceback(s):")
        print(server_log[server_log.index("Traceback") :][:3000])
    if failed or tracebacks:
        print(f"\nfuzz: FAILED (seed {seed})")
        return 1
    print(f"fuzz: ok, 0 of {sent} responses with 5xx, INTERNAL or leaked internals (seed {seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
