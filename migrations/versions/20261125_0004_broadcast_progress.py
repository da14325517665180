"""broadcast progress, incident flag and the unknown / cancelled counters

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("broadcasts") as batch_op:
        batch_op.add_column(sa.Column("unknown", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("cancelled", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("incident", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("progress_chat_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("progress_message_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("broadcasts") as batch_op:
        batch_op.drop_column("progress_message_id")
        batch_op.drop_column("progress_chat_id")
        batch_op.drop_column("incident")
        batch_op.drop_column("cancelled")
        batch_op.drop_column("unknown")
