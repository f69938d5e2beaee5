"""Message search: one query language (``query.py``), two backends (SQLite FTS5, PostgreSQL)."""
