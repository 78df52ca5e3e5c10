"""headline full-text index

PostgreSQL: a GIN index on the headline's tsvector, so "latest" finds the stories with an
asked term in the headline (its "about" tier) on an index instead of reading every newest
match and checking its headline one by one. SQLite needs nothing: FTS5 filters columns.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 23:05:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Must stay the same expression as storage.search.HEADLINE_VECTOR for the planner to use it.
POSTGRESQL_UPGRADE = (
    "CREATE INDEX ix_articles_headline_vector ON articles"
    " USING gin (to_tsvector('english'::regconfig, coalesce(headline, '')))"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRESQL_UPGRADE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_articles_headline_vector")
