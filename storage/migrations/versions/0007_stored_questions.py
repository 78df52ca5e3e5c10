"""stored questions

Questions kept server-side so an answer's "More" button carries a short key, not the text.

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-01 21:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import UtcDateTime

revision: str = "0007"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stored_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=50), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_questions")),
        sa.UniqueConstraint("key", name=op.f("uq_stored_questions_key")),
    )
    op.create_index(
        op.f("ix_stored_questions_created_at"), "stored_questions", ["created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_stored_questions_created_at"), table_name="stored_questions")
    op.drop_table("stored_questions")
