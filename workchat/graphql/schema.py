"""The one schema: every domain's queries and mutations, composed. ``schema`` is exported
to the top-level ``schema.graphql`` (``workchat export-schema``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Annotated, Any

import strawberry
from graphql import ASTValidationRule, GraphQLError
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext, Info

from workchat.db.base import utcnow
from workchat.errors import RequestError, RequestErrorCode
from workchat.graphql.audit.queries import AuditQueries
from workchat.graphql.audit.subscriptions import AuditSubscriptions
from workchat.graphql.channels.mutations import ChannelMutations
from workchat.graphql.channels.queries import ChannelQueries
from workchat.graphql.context import Context
from workchat.graphql.document_cache import CachedParsing, DocumentCache
from workchat.graphql.errors import ErrorCodes
from workchat.graphql.events.grouping import SharedEventExecutor
from workchat.graphql.events.mutations import TypingMutations
from workchat.graphql.events.subscriptions import EventQueries, EventSubscriptions
from workchat.graphql.extension_runner import LeanRunner
from workchat.graphql.input_rule import InputRule
from workchat.graphql.limits import BoundedValidation, cost_limits
from workchat.graphql.messages.mutations import MessageMutations
from workchat.graphql.messages.queries import MessageQueries
from workchat.graphql.node import NodeQueries
from workchat.graphql.observe import OperationObserver
from workchat.graphql.operation_loaders import OperationLoaders
from workchat.graphql.orgs.queries import OrgQueries
from workchat.graphql.presence_activity import PresenceActivity
from workchat.graphql.search.queries import SearchQueries
from workchat.graphql.sessions.mutations import SessionMutations
from workchat.graphql.throttle import check_subscription
from workchat.graphql.tokens.mutations import TokenMutations
from workchat.graphql.tokens.types import ApiTokenNode
from workchat.graphql.users.mutations import UserMutations
from workchat.graphql.users.queries import UserQueries
from workchat.settings import Settings


def _merged(name: str, description: str, parts: tuple[type, ...]) -> type:
    """One root type from the domains' parts (merge_types, which cannot describe it)."""
    return strawberry.type(type(name, (merge_types(name, parts),), {}), description=description)


Query = _merged(
    "Query",
    "Reads. Every field needs a viewer: a bearer access token or API token.",
    (
        NodeQueries,
        EventQueries,
        UserQueries,
        OrgQueries,
        ChannelQueries,
        MessageQueries,
        SearchQueries,
        AuditQueries,
    ),
)
Mutation = _merged(
    "Mutation",
    "Writes. Each takes one `input` and returns a payload with `clientMutationId` echoed and "
    "`errors`; a description ends with the codes its `errors` can hold. One that starts with "
    "who may call it (Admins:, Author:, ...) is a top-level FORBIDDEN for anyone else, as is "
    "any write with a read-only API token. Only login and refreshToken work without a viewer "
    "(the rest: top-level UNAUTHENTICATED).",
    (
        SessionMutations,
        UserMutations,
        TokenMutations,
        ChannelMutations,
        MessageMutations,
        TypingMutations,
    ),
)


@strawberry.type
class HeartbeatSubscriptions:
    @strawberry.subscription(
        description="Emits the server's time every `intervalSeconds` (1-60), `count` times: "
        "a liveness check for authenticated WebSocket clients."
    )
    async def heartbeat(
        self,
        info: Info[Context, None],
        interval_seconds: Annotated[
            int, strawberry.argument(description="Seconds between beats (1-60).")
        ] = 15,
        count: Annotated[int, strawberry.argument(description="How many beats (1-1000).")] = 1,
    ) -> AsyncGenerator[str, None]:
        info.context.require_viewer()
        await check_subscription(info.context)
        if not 1 <= interval_seconds <= 60 or not 1 <= count <= 1000:
            raise RequestError(
                "intervalSeconds must be 1-60, count 1-1000", RequestErrorCode.INVALID_INPUT
            )
        for index in range(count):
            if index:
                await asyncio.sleep(interval_seconds)
            yield utcnow().isoformat()


Subscription = _merged(
    "Subscription",
    "Live streams over WebSocket (graphql-transport-ws). Durable events carry a `cursor`; "
    "subscribe with `after` set to the last one you saw to resume with nothing missed.",
    (EventSubscriptions, AuditSubscriptions, HeartbeatSubscriptions),
)


class WorkchatSchema(strawberry.Schema):
    # Parsed documents by text, shared by the parse step and the WebSocket handler (which
    # looks at an operation's type to give queries and mutations their execution budget).
    documents: DocumentCache | None = None

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        return LeanRunner(execution_context, extensions)

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Expected errors are not server faults; ErrorCodes logs the unexpected ones once,
        with the request id."""


def create_schema(settings: Settings | None = None) -> strawberry.Schema:
    settings = settings or Settings()
    limits = cost_limits(settings)
    documents = DocumentCache()
    extra_rules: list[type[ASTValidationRule]] = []
    if not settings.introspection_enabled:
        extra_rules.append(NoSchemaIntrospectionCustomRule)
    built = WorkchatSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[ApiTokenNode],
        config=StrawberryConfig(disable_field_suggestions=settings.is_prod),
        # Subscription events run once per group of identical subscribers (ADR 0020).
        execution_context_class=SharedEventExecutor,
        extensions=[
            # Outermost: it ends last, when the errors carry their codes (metrics, log line).
            OperationObserver,
            # First, so the operation's DataLoaders exist for everything after it.
            OperationLoaders,
            PresenceActivity,
            # Parsing stops after max_query_tokens tokens; then one linear pass measures the
            # expanded document (depth, fields, aliases, directives, mutation fields) and
            # refuses it before the validation rules run (docs/adr/0011-dos-request-limits.md).
            # Parsed documents by text (validation still runs).
            lambda: CachedParsing(documents, settings.max_query_tokens),
            lambda: BoundedValidation(limits, tuple(extra_rules)),
            # Every string argument meets the text rule before anything runs.
            InputRule,
            lambda: ErrorCodes(hide_suggestions=settings.is_prod),
        ],
    )
    built.documents = documents
    return built


schema = create_schema()
