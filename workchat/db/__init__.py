"""Persistence: typed SQLAlchemy models, engines and sessions."""
