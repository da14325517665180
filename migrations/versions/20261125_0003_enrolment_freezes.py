"""enrolment freezes

The periods an enrolment was frozen, so a month's charge leaves out the frozen lessons.
An enrolment frozen before this revision gets an open freeze from the day of the upgrade
(its real start is not known).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "enrolment_freezes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("enrolment_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "ends_on IS NULL OR ends_on >= starts_on", name=op.f("ck_enrolment_freezes_dates")
        ),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["enrolments.id"],
            name=op.f("fk_enrolment_freezes_enrolment_id_enrolments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolment_freezes")),
    )
    with op.batch_alter_table("enrolment_freezes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_enrolment_freezes_enrolment_id"), ["enrolment_id"], unique=False
        )
    op.execute(
        "INSERT INTO enrolment_freezes (enrolment_id, starts_on, created_at) "
        "SELECT id, CURRENT_DATE, CURRENT_TIMESTAMP FROM enrolments WHERE status = 'frozen'"
    )


def downgrade() -> None:
    with op.batch_alter_table("enrolment_freezes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enrolment_freezes_enrolment_id"))
    op.drop_table("enrolment_freezes")
