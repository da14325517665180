"""teacher pay: pay schemes (history kept), payslips and their lines, payouts; the staff
permission `payroll`

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-12 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.base

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PERMISSIONS = "'payments', 'broadcast', 'academic', 'users', 'reports', 'backups', 'audit'"


def _permissions(values: str) -> None:
    # Nothing refers to admin_permissions, so SQLite's batch copy of it is safe with rows.
    with op.batch_alter_table("admin_permissions") as batch_op:
        batch_op.drop_constraint("permission", type_="check")
        batch_op.create_check_constraint("permission", f"permission IN ({values})")


def upgrade() -> None:
    op.create_table(
        "payslips",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("teacher_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="draft", nullable=False),
        sa.Column("total", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("computed_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("approved_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status <> 'approved' OR (approved_at IS NOT NULL AND total >= 0)",
            name=op.f("ck_payslips_approved"),
        ),
        sa.CheckConstraint("status IN ('draft', 'approved')", name=op.f("ck_payslips_status")),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["users.id"],
            name=op.f("fk_payslips_approved_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["teacher_id"],
            ["users.id"],
            name=op.f("fk_payslips_teacher_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payslips")),
        sa.UniqueConstraint("teacher_id", "month", name=op.f("uq_payslips_teacher_id_month")),
    )
    with op.batch_alter_table("payslips", schema=None) as batch_op:
        batch_op.create_index("ix_payslips_status_month", ["status", "month"], unique=False)

    op.create_table(
        "pay_schemes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("teacher_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("fixed_monthly", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("per_lesson", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("per_student", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("percent", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "fixed_monthly BETWEEN 0 AND 1000000000", name=op.f("ck_pay_schemes_fixed_monthly")
        ),
        sa.CheckConstraint(
            "per_lesson BETWEEN 0 AND 1000000000", name=op.f("ck_pay_schemes_per_lesson")
        ),
        sa.CheckConstraint(
            "per_student BETWEEN 0 AND 1000000000", name=op.f("ck_pay_schemes_per_student")
        ),
        sa.CheckConstraint("percent BETWEEN 0 AND 100", name=op.f("ck_pay_schemes_percent")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_pay_schemes_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_pay_schemes_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["teacher_id"],
            ["users.id"],
            name=op.f("fk_pay_schemes_teacher_id_users"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pay_schemes")),
    )
    with op.batch_alter_table("pay_schemes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pay_schemes_group_id"), ["group_id"], unique=False)
        batch_op.create_index(
            "ix_pay_schemes_teacher_from", ["teacher_id", "group_id", "valid_from"], unique=False
        )

    op.create_table(
        "payouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payslip_id", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("paid_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("paid_by_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("reversed_at", db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reversed_by_id", sa.Integer(), nullable=True),
        sa.Column("reversal_reason", sa.String(length=500), nullable=True),
        sa.CheckConstraint(
            "method IN ('cash', 'card', 'transfer')", name=op.f("ck_payouts_method")
        ),
        sa.CheckConstraint("amount > 0 AND amount <= 1000000000", name=op.f("ck_payouts_amount")),
        sa.ForeignKeyConstraint(
            ["paid_by_id"],
            ["users.id"],
            name=op.f("fk_payouts_paid_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["payslip_id"],
            ["payslips.id"],
            name=op.f("fk_payouts_payslip_id_payslips"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["reversed_by_id"],
            ["users.id"],
            name=op.f("fk_payouts_reversed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payouts")),
    )
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payouts_payslip_id"), ["payslip_id"], unique=False)

    op.create_table(
        "payslip_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("payslip_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("scheme_id", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("rate", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("for_month", sa.Date(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", db.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('fixed', 'lessons', 'students', 'percent', 'correction', 'bonus', "
            "'deduction')",
            name=op.f("ck_payslip_lines_kind"),
        ),
        sa.CheckConstraint(
            "amount BETWEEN -1000000000 AND 1000000000", name=op.f("ck_payslip_lines_amount")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_payslip_lines_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_payslip_lines_group_id_groups"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["payslip_id"],
            ["payslips.id"],
            name=op.f("fk_payslip_lines_payslip_id_payslips"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["scheme_id"],
            ["pay_schemes.id"],
            name=op.f("fk_payslip_lines_scheme_id_pay_schemes"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payslip_lines")),
    )
    with op.batch_alter_table("payslip_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payslip_lines_payslip_id"), ["payslip_id"], unique=False
        )

    _permissions(PERMISSIONS + ", 'payroll'")


def downgrade() -> None:
    op.execute("DELETE FROM admin_permissions WHERE permission = 'payroll'")
    _permissions(PERMISSIONS)
    with op.batch_alter_table("payslip_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payslip_lines_payslip_id"))

    op.drop_table("payslip_lines")
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payouts_payslip_id"))

    op.drop_table("payouts")
    with op.batch_alter_table("pay_schemes", schema=None) as batch_op:
        batch_op.drop_index("ix_pay_schemes_teacher_from")
        batch_op.drop_index(batch_op.f("ix_pay_schemes_group_id"))

    op.drop_table("pay_schemes")
    with op.batch_alter_table("payslips", schema=None) as batch_op:
        batch_op.drop_index("ix_payslips_status_month")

    op.drop_table("payslips")
