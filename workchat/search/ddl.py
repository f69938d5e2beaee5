"""The hand-managed parts of the search index (Alembic's autogenerate ignores search_*).

Used by migration 0002 and by the bulk seeder, which turns the index off while it loads.
"""

from __future__ import annotations

SQLITE_FTS_TABLE = """CREATE VIRTUAL TABLE search_messages USING fts5(
    search_text, content='messages', content_rowid='search_key',
    tokenize='unicode61 remove_diacritics 0', prefix='2 3')"""
# Keep the FTS5 table in step with messages.search_text.
SQLITE_FTS_TRIGGERS = (
    """CREATE TRIGGER search_messages_ai AFTER INSERT ON messages BEGIN
        INSERT INTO search_messages(rowid, search_text) VALUES (new.search_key, new.search_text);
    END""",
    """CREATE TRIGGER search_messages_ad AFTER DELETE ON messages BEGIN
        INSERT INTO search_messages(search_messages, rowid, search_text)
        VALUES ('delete', old.search_key, old.search_text);
    END""",
    """CREATE TRIGGER search_messages_au AFTER UPDATE OF search_text ON messages BEGIN
        INSERT INTO search_messages(search_messages, rowid, search_text)
        VALUES ('delete', old.search_key, old.search_text);
        INSERT INTO search_messages(rowid, search_text) VALUES (new.search_key, new.search_text);
    END""",
)
SQLITE_FTS_TRIGGER_NAMES = ("search_messages_ai", "search_messages_ad", "search_messages_au")
SQLITE_FTS_REBUILD = "INSERT INTO search_messages(search_messages) VALUES ('rebuild')"
POSTGRES_GIN_INDEX = (
    "CREATE INDEX search_messages_text ON messages USING gin (to_tsvector('simple', search_text))"
)
POSTGRES_GIN_DROP = "DROP INDEX IF EXISTS search_messages_text"
