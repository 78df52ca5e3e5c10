"""card metadata

Bylines as people (``authors``) with an organisation credit apart (``credit``), the
page's last-updated time (``modified_at``), and ``text_extracted`` for stories whose
text could not be extracted. Existing stories get their headline, byline and date
re-derived from what was stored (``newsdesk rederive`` does the same again later).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN on both engines: a batch (table copy) on SQLite would drop the
    # full-text triggers on articles.
    op.add_column(
        "articles",
        sa.Column("authors", sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
    )
    op.add_column("articles", sa.Column("credit", sa.String(length=300), nullable=True))
    op.add_column("articles", sa.Column("modified_at", UtcDateTime(), nullable=True))
    op.add_column(
        "articles",
        sa.Column("text_extracted", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    from storage.rederive import rederive_rows

    rederive_rows(op.get_bind())


def downgrade() -> None:
    for column in ("text_extracted", "modified_at", "credit", "authors"):
        op.drop_column("articles", column)
