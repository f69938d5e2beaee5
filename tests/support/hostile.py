"""Hostile requests and the refusal each must get, shared by the tests
(tests/graphql/test_hostile_documents.py) and the benchmark (bench/hostile.py).

Every one is refused with the default settings (workchat/settings.py); none needs a token to
be refused. Standard library only, so the benchmark can import it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

MB = 1024 * 1024


@dataclass(frozen=True)
class Hostile:
    name: str
    body: bytes
    status: int
    code: str
    headers: dict[str, str] = field(default_factory=dict)
    # Sent with a member's token where a write would otherwise show (nothing must change).
    as_member: bool = False


def fan_out(fragments: int) -> str:
    """Each fragment spreads the next one twice: 2^fragments copies of ``id``."""
    parts = ["query { viewer { ...F0 } }"]
    parts += [f"fragment F{i} on User {{ ...F{i + 1} ...F{i + 1} }}" for i in range(fragments)]
    parts.append(f"fragment F{fragments} on User {{ id }}")
    return "\n".join(parts)


def graphql(query: str, variables: object = None, **extra: object) -> bytes:
    return json.dumps({"query": query, "variables": variables, **extra}).encode()


def nested_json(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


CREATE_CHANNEL = 'c{i}: createChannel(input: {{name: "flood-{i}"}}) {{ errors {{ code }} }}'


def hostile_requests() -> list[Hostile]:
    too_complex = "QUERY_TOO_COMPLEX"
    return [
        Hostile("fragment fan-out x23", graphql(fan_out(22)), 200, too_complex),
        Hostile("fragment fan-out x30", graphql(fan_out(29)), 200, too_complex),
        Hostile(
            "fragment cycle",
            graphql(
                "query { viewer { ...A } } fragment A on User { id ...B } "
                "fragment B on User { ...A }"
            ),
            200,
            "GRAPHQL_VALIDATION_FAILED",
        ),
        Hostile(
            "unused heavy fragment",
            graphql(
                "query { __typename } fragment A on User { "
                + " ".join("org { id name }" for _ in range(400))
                + " }"
            ),
            200,
            "GRAPHQL_VALIDATION_FAILED",
        ),
        Hostile(
            "deep selections (40)",
            graphql("{" + "viewer {" * 40 + "id" + "}" * 41),
            200,
            too_complex,
        ),
        Hostile(
            "deep selections (3000)",
            graphql("{" + "viewer {" * 3000 + "id" + "}" * 3001),
            200,
            "GRAPHQL_PARSE_FAILED",
        ),
        Hostile(
            "deep list literal (3000)",
            graphql("{ search(query: " + nested_json(3000) + ") { totalCount } }"),
            200,
            "GRAPHQL_PARSE_FAILED",
        ),
        Hostile(
            "repeated field (500)",
            graphql("{ " + " ".join("viewer { id displayName }" for _ in range(500)) + " }"),
            200,
            too_complex,
        ),
        Hostile(
            "many aliases (31)",
            graphql("{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }"),
            200,
            too_complex,
        ),
        Hostile(
            "many directives (60)",
            graphql("{ " + " ".join("__typename @include(if: true)" for _ in range(60)) + " }"),
            200,
            too_complex,
        ),
        Hostile(
            "many tokens (6000)",
            graphql("{ " + "__typename " * 6000 + "}"),
            200,
            too_complex,
        ),
        Hostile(
            "many mutation fields (30 createChannel)",
            graphql("mutation { " + " ".join(CREATE_CHANNEL.format(i=i) for i in range(30)) + " }"),
            200,
            too_complex,
            as_member=True,
        ),
        Hostile(
            "JSON variables nested 100,000 deep",
            b'{"query": "query($q: String!) { __typename }", "variables": {"q": '
            + nested_json(100_000).encode()
            + b"}}",
            400,
            "INVALID_INPUT",
        ),
        Hostile(
            "JSON variables nested 50 deep",
            graphql("query($q: String!) { __typename }", {"q": json.loads(nested_json(50))}),
            400,
            "INVALID_INPUT",
        ),
        Hostile(
            "variables with 100,000 values",
            graphql("query($q: [Int!]) { __typename }", {"q": list(range(100_000))}),
            400,
            "INVALID_INPUT",
        ),
        Hostile(
            "query text 200 KB (a comment)",
            graphql("{ __typename }\n#" + "x" * 200_000),
            413,
            "PAYLOAD_TOO_LARGE",
        ),
        Hostile(
            "body 2 MB",
            graphql("{ __typename }", {"pad": "x" * (2 * MB)}),
            413,
            "PAYLOAD_TOO_LARGE",
        ),
        Hostile(
            "Authorization header 1 MB",
            graphql("{ viewer { id } }"),
            431,
            "PAYLOAD_TOO_LARGE",
            headers={"authorization": "Bearer " + "x" * MB},
        ),
        Hostile(
            "body not UTF-8",
            b'{"query": "{ __typename }", "x": "\xff\xfe"}',
            400,
            "BAD_REQUEST",
        ),
        Hostile(
            "subscription over HTTP POST",
            graphql("subscription { heartbeat }"),
            400,
            "BAD_REQUEST",
        ),
        Hostile(
            "subscription over POST, multipart accept",
            graphql("subscription { heartbeat }"),
            400,
            "BAD_REQUEST",
            headers={"accept": 'multipart/mixed;subscriptionSpec="1.0"'},
        ),
        Hostile(
            "two operations, no operationName",
            graphql("query A { __typename } query B { __typename }"),
            200,
            "GRAPHQL_VALIDATION_FAILED",
        ),
    ]
