"""full text search

SQLite: an FTS5 external-content index over ``articles`` kept in step by triggers.
PostgreSQL: a stored, weighted ``search_vector`` column with a GIN index.
Neither is declared in the models; ``storage.search.SEARCH_OBJECTS`` names them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_UPGRADE = [
    """CREATE VIRTUAL TABLE articles_fts USING fts5(
        headline, standfirst, body, topics, byline, outlet,
        content='articles', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    )""",
    """CREATE TRIGGER articles_fts_after_insert AFTER INSERT ON articles BEGIN
        INSERT INTO articles_fts(rowid, headline, standfirst, body, topics, byline, outlet)
        VALUES (new.id, new.headline, new.standfirst, new.body, new.topics,
                new.byline, new.outlet);
    END""",
    """CREATE TRIGGER articles_fts_after_delete AFTER DELETE ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, headline, standfirst, body, topics,
                                 byline, outlet)
        VALUES ('delete', old.id, old.headline, old.standfirst, old.body, old.topics,
                old.byline, old.outlet);
    END""",
    """CREATE TRIGGER articles_fts_after_update
    AFTER UPDATE OF headline, standfirst, body, topics, byline, outlet ON articles BEGIN
        INSERT INTO articles_fts(articles_fts, rowid, headline, standfirst, body, topics,
                                 byline, outlet)
        VALUES ('delete', old.id, old.headline, old.standfirst, old.body, old.topics,
                old.byline, old.outlet);
        INSERT INTO articles_fts(rowid, headline, standfirst, body, topics, byline, outlet)
        VALUES (new.id, new.headline, new.standfirst, new.body, new.topics,
                new.byline, new.outlet);
    END""",
    # Index the stories written before this migration.
    "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
]

SQLITE_DOWNGRADE = [
    "DROP TRIGGER IF EXISTS articles_fts_after_update",
    "DROP TRIGGER IF EXISTS articles_fts_after_delete",
    "DROP TRIGGER IF EXISTS articles_fts_after_insert",
    "DROP TABLE IF EXISTS articles_fts",
]

POSTGRESQL_UPGRADE = [
    """ALTER TABLE articles ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english'::regconfig, coalesce(headline, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, coalesce(standfirst, '')), 'B')
        || setweight(to_tsvector('english'::regconfig, coalesce(topics, '[]'::json)), 'B')
        || setweight(to_tsvector('english'::regconfig, coalesce(body, '')), 'C')
    ) STORED""",
    "CREATE INDEX ix_articles_search_vector ON articles USING gin (search_vector)",
    # Newest-first candidate reads (ORDER BY sort_at DESC, id DESC LIMIT n) stop early on
    # this index instead of sorting a whole time window. SQLite's sort_at index already
    # ends in the rowid.
    "CREATE INDEX ix_articles_sort_at_id ON articles (sort_at, id)",
]

POSTGRESQL_DOWNGRADE = [
    "DROP INDEX IF EXISTS ix_articles_sort_at_id",
    "DROP INDEX IF EXISTS ix_articles_search_vector",
    "ALTER TABLE articles DROP COLUMN IF EXISTS search_vector",
]


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    statements = {"sqlite": SQLITE_UPGRADE, "postgresql": POSTGRESQL_UPGRADE}.get(dialect, [])
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    statements = {"sqlite": SQLITE_DOWNGRADE, "postgresql": POSTGRESQL_DOWNGRADE}.get(dialect, [])
    for statement in statements:
        op.execute(statement)
