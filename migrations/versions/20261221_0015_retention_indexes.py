"""the retention report's indexes: a student's places in order of joining with their end
and reason (one window pass over the index, no sort; the look-up of a student's other
places), and the places by the day they were left (the leavers of a period)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-21 10:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    (
        "ix_enrolments_student_joined",
        ["student_id", "joined_on", "left_on", "leave_reason", "group_id"],
    ),
    ("ix_enrolments_left_on", ["left_on", "student_id"]),
)


def upgrade() -> None:
    for name, columns in INDEXES:
        op.create_index(name, "enrolments", columns, unique=False)


def downgrade() -> None:
    for name, _columns in INDEXES:
        op.drop_index(name, table_name="enrolments")
