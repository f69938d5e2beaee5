"""Helpers shared by the test modules; ``tests/conftest.py`` holds only the fixtures.

- ``settings``: test settings, the shared secret and password, which backends are configured.
- ``postgres``: creating and dropping PostgreSQL test databases.
- ``personas``: alice (admin), bob (member), eve (admin of another org), and acting as them.
- ``graphql_client``: the in-process GraphQL client and readers of its results.
- ``operations``: GraphQL operations of the chat core and running them.
- ``chat``: setting up channels and messages through the actions.
- ``db``: what the database holds: row counts, audit entries, events, snapshots.
- ``auth``: checking who a bearer token authenticates as; admin operations.
- ``websocket``: speaking graphql-transport-ws to a live server.
"""
