"""report data versions (the report cache's counters) and the owners' monthly digest flag

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-10 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_versions",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("version", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_data_versions")),
    )
    # A plain ADD COLUMN, not a batch copy: SQLite would have to drop `users`, which every
    # other table refers to (a foreign key check refuses it once there are rows).
    op.add_column(
        "users", sa.Column("monthly_digest", sa.Boolean(), server_default=sa.true(), nullable=False)
    )


def downgrade() -> None:
    op.drop_column("users", "monthly_digest")  # SQLite 3.35 and later drop a column in place
    op.drop_table("data_versions")
