"""Live events: the GraphQL subscriptions over the durable event log."""
