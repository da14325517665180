"""delivery retries and claims: the retrying status, next_attempt_at, failing_since,
claimed_by, and the broadcasts' retrying counter

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 08:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STATUSES = "'pending', 'sending', 'sent', 'failed', 'blocked', 'unknown', 'cancelled'"
NEW_STATUSES = (
    "'pending', 'sending', 'retrying', 'sent', 'failed', 'blocked', 'unknown', 'cancelled'"
)


def upgrade() -> None:
    with op.batch_alter_table("broadcasts") as batch_op:
        batch_op.add_column(sa.Column("retrying", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("deliveries") as batch_op:
        batch_op.add_column(
            sa.Column("next_attempt_at", db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("failing_since", db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch_op.drop_constraint("status", type_="check")
        batch_op.create_check_constraint("status", f"status IN ({NEW_STATUSES})")


def downgrade() -> None:
    # Nothing retrying survives a downgrade: the old code would never look at it again.
    op.execute(
        "UPDATE deliveries SET status = 'failed', last_error = 'retry dropped by a downgrade' "
        "WHERE status = 'retrying'"
    )
    with op.batch_alter_table("deliveries") as batch_op:
        batch_op.drop_constraint("status", type_="check")
        batch_op.create_check_constraint("status", f"status IN ({OLD_STATUSES})")
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("failing_since")
        batch_op.drop_column("next_attempt_at")
    with op.batch_alter_table("broadcasts") as batch_op:
        batch_op.drop_column("retrying")
