"""Events: the durable log (source of truth) and the bus (wake-up path after commit)."""
