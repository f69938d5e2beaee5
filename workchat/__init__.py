"""workchat: team chat server."""
