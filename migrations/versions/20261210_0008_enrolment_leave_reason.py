"""enrolment leave reason

Why an enrolment ended (LeaveReason), chosen by the admin when a student leaves, or
`transfer` for a move to another group. Places ended before this revision have none,
except those ended by a move (the same student joined another group the day the place
ended), which become `transfer`.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-10 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REASONS = "'moved_away', 'price', 'schedule', 'quality', 'finished', 'other', 'transfer'"


def upgrade() -> None:
    with op.batch_alter_table("enrolments") as batch_op:
        batch_op.add_column(sa.Column("leave_reason", sa.String(length=16), nullable=True))
        batch_op.create_check_constraint("leave_reason", f"leave_reason IN ({REASONS})")
    op.execute(
        "UPDATE enrolments SET leave_reason = 'transfer' "
        "WHERE status = 'left' AND left_on IS NOT NULL AND EXISTS ("
        "SELECT 1 FROM enrolments AS later WHERE later.student_id = enrolments.student_id "
        "AND later.id > enrolments.id AND later.joined_on = enrolments.left_on)"
    )


def downgrade() -> None:
    with op.batch_alter_table("enrolments") as batch_op:
        batch_op.drop_constraint("leave_reason", type_="check")
        batch_op.drop_column("leave_reason")
