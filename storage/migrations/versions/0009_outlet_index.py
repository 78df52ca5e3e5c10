"""outlet index

A b-tree index on ``articles.outlet``, so "from <name>" can ask the archive which outlets
it holds in a few index reads (one per distinct outlet, ``storage.articles.outlet_names``)
instead of reading every story: a name that is no outlet is then read as the subject.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 01:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_articles_outlet", "articles", ["outlet"])


def downgrade() -> None:
    op.drop_index("ix_articles_outlet", table_name="articles")
