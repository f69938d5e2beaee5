"""The MCP server: AI agents take part in chat through tools that are GraphQL operations.

``server`` builds the tools, resources and prompt over an ``Executor`` (``executor``): in
process through the schema as the API token's user, or against a remote server. ``stdio``
runs it for a local agent (``python -m workchat.mcp``, ``workchat mcp``); ``http`` is the
streamable HTTP endpoint the app mounts at ``/mcp``.
"""
