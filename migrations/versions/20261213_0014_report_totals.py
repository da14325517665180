"""report totals: cash per day, charges per month and group, marks per month, group,
student and status (and per group; who was taught per year), lessons per month, group and
status, counted from the rows already there (db.report_totals)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 15:16:21.590310
"""

from collections.abc import Sequence
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

from db import report_totals

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('attendance_group_month_totals',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('marks', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'group_id', 'status', name=op.f('pk_attendance_group_month_totals'))
    )
    op.create_table('attendance_month_totals',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('marks', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'group_id', 'student_id', 'status', name=op.f('pk_attendance_month_totals'))
    )
    with op.batch_alter_table('attendance_month_totals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_month_totals_status'), ['status', 'month'], unique=False)
        batch_op.create_index(batch_op.f('ix_attendance_month_totals_student_id'), ['student_id', 'month'], unique=False)

    op.create_table('attendance_year_totals',
    sa.Column('year', sa.Date(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('marks', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', 'group_id', 'student_id', 'status', name=op.f('pk_attendance_year_totals'))
    )
    op.create_table('cash_day_totals',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('moves', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'kind', 'method', name=op.f('pk_cash_day_totals'))
    )
    op.create_table('charge_month_totals',
    sa.Column('period', sa.Date(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('charges', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('period', 'group_id', name=op.f('pk_charge_month_totals'))
    )
    op.create_table('lesson_month_totals',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('lessons', sa.Integer(), nullable=False),
    sa.Column('unmarked', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'group_id', 'status', name=op.f('pk_lesson_month_totals'))
    )
    op.create_table('report_totals_state',
    sa.Column('key', sa.String(length=16), nullable=False),
    sa.Column('value', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_report_totals_state'))
    )
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendance_lesson_id'), ['lesson_id', 'status'], unique=False)

    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lessons_status'), ['status', 'starts_at'], unique=False)

    # Counted in the default zone; the bot's start-up recounts them once if TIMEZONE is
    # another (report_totals.ensure_zone).
    report_totals.rebuild(op.get_bind(), ZoneInfo(report_totals.DEFAULT_ZONE))


def downgrade() -> None:
    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lessons_status'))

    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_lesson_id'))

    op.drop_table('report_totals_state')
    op.drop_table('lesson_month_totals')
    op.drop_table('charge_month_totals')
    op.drop_table('cash_day_totals')
    op.drop_table('attendance_year_totals')
    with op.batch_alter_table('attendance_month_totals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendance_month_totals_student_id'))
        batch_op.drop_index(batch_op.f('ix_attendance_month_totals_status'))

    op.drop_table('attendance_month_totals')
    op.drop_table('attendance_group_month_totals')
