"""lead stages: when a lead first reached contacted, trial, enrolled and lost

The leads report counts the funnel from these. A lead changed before this revision gets
each stamp from the audit log (the first `lead.status` entry moving it there); its current
status, when the log has no such entry, from its last change (updated_at, else created_at).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STAGES = {"contacted": "contacted_at", "trial": "trial_at", "enrolled": "enrolled_at", "lost": "lost_at"}


def _moved_to(dialect: str, status: str) -> str:
    """The first moment the audit log shows the lead moved to `status`."""
    target = "details->>'to'" if dialect == "postgresql" else "json_extract(details, '$.to')"
    return (
        "(SELECT MIN(at) FROM audit_log WHERE action = 'lead.status' "
        "AND object_type = 'lead' AND object_id = CAST(leads.id AS VARCHAR(64)) "
        f"AND {target} = '{status}')"
    )


def upgrade() -> None:
    with op.batch_alter_table("leads") as batch_op:
        for column in STAGES.values():
            batch_op.add_column(
                sa.Column(column, db.base.UTCDateTime(timezone=True), nullable=True)
            )
        batch_op.create_index(batch_op.f("ix_leads_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_leads_enrolled_at"), ["enrolled_at"], unique=False)
    dialect = op.get_bind().dialect.name
    for status, column in STAGES.items():
        op.execute(f"UPDATE leads SET {column} = {_moved_to(dialect, status)}")
        op.execute(
            f"UPDATE leads SET {column} = COALESCE(updated_at, created_at) "
            f"WHERE status = '{status}' AND {column} IS NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("leads") as batch_op:
        batch_op.drop_index(batch_op.f("ix_leads_enrolled_at"))
        batch_op.drop_index(batch_op.f("ix_leads_created_at"))
        for column in reversed(STAGES.values()):
            batch_op.drop_column(column)
