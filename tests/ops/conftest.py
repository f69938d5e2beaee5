"""Operations fixtures: apps built with other settings (shared with the GraphQL tests)."""

from tests.graphql.conftest import client_with

__all__ = ["client_with"]
