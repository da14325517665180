"""consent history as events

Each row of `consents` becomes one event (accepted, changed, withdrawn) with its time,
instead of a period with accepted_at / withdrawn_at.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 13:18:53.518644
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENT_CHECK = "event IN ('accepted', 'changed', 'withdrawn')"


def upgrade() -> None:
    with op.batch_alter_table("consents") as batch_op:
        batch_op.add_column(sa.Column("event", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("at", db.base.UTCDateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE consents SET "
        "event = CASE WHEN withdrawn_at IS NULL THEN 'accepted' ELSE 'withdrawn' END, "
        "at = COALESCE(withdrawn_at, accepted_at)"
    )
    with op.batch_alter_table("consents") as batch_op:
        batch_op.alter_column("event", existing_type=sa.String(length=16), nullable=False)
        batch_op.alter_column(
            "at", existing_type=db.base.UTCDateTime(timezone=True), nullable=False
        )
        batch_op.create_check_constraint("event", EVENT_CHECK)
        batch_op.drop_index(batch_op.f("ix_consents_user_id"))
        batch_op.create_index(batch_op.f("ix_consents_user_id"), ["user_id", "at"], unique=False)
        batch_op.drop_column("withdrawn_at")
        batch_op.drop_column("accepted_at")


def downgrade() -> None:
    with op.batch_alter_table("consents") as batch_op:
        batch_op.add_column(
            sa.Column("accepted_at", db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("withdrawn_at", db.base.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute(
        "UPDATE consents SET accepted_at = at, "
        "withdrawn_at = CASE WHEN event = 'withdrawn' THEN at ELSE NULL END"
    )
    with op.batch_alter_table("consents") as batch_op:
        batch_op.alter_column(
            "accepted_at", existing_type=db.base.UTCDateTime(timezone=True), nullable=False
        )
        batch_op.drop_constraint(batch_op.f("ck_consents_event"), type_="check")
        batch_op.drop_index(batch_op.f("ix_consents_user_id"))
        batch_op.create_index(
            batch_op.f("ix_consents_user_id"), ["user_id", "accepted_at"], unique=False
        )
        batch_op.drop_column("at")
        batch_op.drop_column("event")
