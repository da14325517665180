"""the ledger's indexes by date hold the owner: the finance report's debt at a period's end is
the balances less what each owner's ledger moved after it, read by range scans of these
(replacing the narrower ones by period, payment date, reversal date and refund date)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-11 10:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OWNER = ["student_id", "anon_ref"]
INDEXES = (
    ("charges", "ix_charges_period_owner", ["period", "cancelled_at", "amount", *OWNER]),
    (
        "payments",
        "ix_payments_reversed_owner",
        ["reversed_at", "paid_at", "method", "amount", *OWNER],
    ),
    (
        "payments",
        "ix_payments_paid_owner",
        ["paid_at", "method", "amount", "reversed_at", *OWNER],
    ),
    ("refunds", "ix_refunds_refunded_owner", ["refunded_at", "method", "amount", *OWNER]),
)
REPLACED = (
    ("charges", "ix_charges_period", ["period", "cancelled_at", "amount"]),
    ("payments", "ix_payments_reversed_at", ["reversed_at"]),
    ("payments", "ix_payments_paid_method", ["paid_at", "method", "amount"]),
    ("refunds", "ix_refunds_refunded_at", ["refunded_at"]),
)


def upgrade() -> None:
    for table, name, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)
    for table, name, _columns in REPLACED:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    for table, name, columns in REPLACED:
        op.create_index(name, table, columns, unique=False)
    for table, name, _columns in INDEXES:
        op.drop_index(name, table_name=table)
