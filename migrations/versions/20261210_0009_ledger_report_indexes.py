"""ledger indexes for the reports: charges, payments and refunds by owner with the columns
the reports read (replacing the plain student_id indexes), charges by period, payments by
reversal, by date with the method and amount (instead of by date alone), refunds by date

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10 20:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHARGES_OWNER = [
    *("student_id", "anon_ref", "due_date", "period", "cancelled_at", "amount"),
    "enrolment_id",
]
INDEXES = (
    ("charges", "ix_charges_owner_due", CHARGES_OWNER),
    ("charges", "ix_charges_period", ["period", "cancelled_at", "amount"]),
    (
        "payments",
        "ix_payments_owner_paid",
        ["student_id", "anon_ref", "paid_at", "reversed_at", "amount"],
    ),
    ("payments", "ix_payments_reversed_at", ["reversed_at"]),
    ("payments", "ix_payments_paid_method", ["paid_at", "method", "amount"]),
    ("refunds", "ix_refunds_owner_refunded", ["student_id", "anon_ref", "refunded_at", "amount"]),
    ("refunds", "ix_refunds_refunded_at", ["refunded_at"]),
)
REPLACED = (  # the new ones lead with the same column: these plain ones go
    ("charges", "ix_charges_student_id", "student_id"),
    ("payments", "ix_payments_student_id", "student_id"),
    ("refunds", "ix_refunds_student_id", "student_id"),
    ("payments", "ix_payments_paid_at", "paid_at"),
)


def upgrade() -> None:
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)
    for table, name, _column in REPLACED:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for table, name, column in REPLACED:
        op.create_index(name, table, [column], unique=False)
    for table, name, _columns in INDEXES:
        op.drop_index(name, table_name=table)
