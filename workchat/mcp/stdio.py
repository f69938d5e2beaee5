"""``python -m workchat.mcp`` / ``workchat mcp``: the MCP server on stdio for one agent.

The API token comes from ``WORKCHAT_TOKEN``. Without ``--url`` the tools run in process on the
database of the usual ``WORKCHAT_*`` settings; with ``--url https://host/graphql`` they run
the same operations against that server. stdout carries the protocol only: messages go to
stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastmcp import FastMCP

from workchat.graphql.schema import create_schema
from workchat.mcp.executor import LocalExecutor, RemoteExecutor
from workchat.mcp.server import create_server
from workchat.services import Services
from workchat.settings import Settings, SettingsError

TOKEN_VARIABLE = "WORKCHAT_TOKEN"


def local_server(settings: Settings, token: str | None) -> FastMCP:
    """Tools in process; the database and bus are opened for the session's lifetime."""
    services = Services.create(settings)

    @asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[dict[str, Any]]:
        await services.start()
        try:
            yield {}
        finally:
            await services.close()

    executor = LocalExecutor(services, create_schema(settings), lambda: token)
    return create_server(executor, lifespan=lifespan)


def remote_server(url: str, token: str | None) -> FastMCP:
    return create_server(RemoteExecutor(url, token))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--url",
        help="a workchat server's GraphQL URL (https://host/graphql): run the tools against "
        "it instead of the local database",
    )


def run(args: argparse.Namespace) -> int:
    token = os.environ.get(TOKEN_VARIABLE) or None
    if token is None:
        print(
            f"workchat mcp: {TOKEN_VARIABLE} is not set; every tool will answer "
            "UNAUTHENTICATED until it holds an API token",
            file=sys.stderr,
        )
    if args.url:
        if not args.url.startswith(("http://", "https://")):
            print("error: --url must be an http(s) URL ending in /graphql", file=sys.stderr)
            return 2
        server = remote_server(args.url, token)
    else:
        try:
            settings = Settings.from_env()
        except SettingsError as exc:
            print(f"configuration error: {exc}", file=sys.stderr)
            return 2
        server = local_server(settings, token)
    server.run(transport="stdio", show_banner=False)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workchat.mcp", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))
