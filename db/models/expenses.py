"""Money out that is not teacher pay: expense categories, expenses and recurring expenses.

All amounts are whole so'm in BigInteger. An expense is never edited nor deleted: a mistake is
reversed (reversed_at, by whom, why) and entered anew. Teachers' pay is not an expense here:
it is the payroll's (approved payslips), so the profit and loss counts it once.

The built-in categories (`BUILTIN_CATEGORIES`: rent, utilities, marketing, supplies, other)
are rows with a `code`, named in the reader's language unless the centre renamed them
(`name`); the centre's own have a name and no code. A category in use is retired, never
deleted. A recurring expense (rent each month) makes one expense a month on its day, keyed
by (recurring_id, period): a second run, a second process or a restart adds nothing.
"""

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Connection,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Table,
    UniqueConstraint,
    event,
    insert,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, TimestampMixin

# The categories every centre starts with (salaries is not one: it is the payroll's).
BUILTIN_CATEGORIES = ("rent", "utilities", "marketing", "supplies", "other")


class ExpenseCategory(TimestampMixin, Base):
    __tablename__ = "expense_categories"
    __table_args__ = (CheckConstraint("code IS NOT NULL OR name IS NOT NULL", name="named"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str | None] = mapped_column(String(16), unique=True)  # a built-in's key
    name: Mapped[str | None] = mapped_column(String(64))  # the centre's own name (or a rename)
    # the name folded for comparison (casefold, spaces collapsed): two cannot share it
    name_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    retired_at: Mapped[datetime | None]


class Expense(TimestampMixin, Base):
    __tablename__ = "expenses"
    __table_args__ = (
        UniqueConstraint("recurring_id", "period"),
        Index("ix_expenses_spent_on", "spent_on", "reversed_at", "category_id", "amount"),
        CheckConstraint("amount > 0", name="amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(
        ForeignKey("expense_categories.id", ondelete="RESTRICT"), index=True
    )
    amount: Mapped[int] = mapped_column(BigInteger)
    spent_on: Mapped[date]  # the centre's calendar day
    note: Mapped[str] = mapped_column(String(500))
    receipt_file_id: Mapped[str | None] = mapped_column(String(256))  # a Telegram photo
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # made by a recurring expense for the month starting `period` (both None: typed)
    recurring_id: Mapped[int | None] = mapped_column(
        ForeignKey("recurring_expenses.id", ondelete="RESTRICT")
    )
    period: Mapped[date | None]
    reversed_at: Mapped[datetime | None]
    reversed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reversal_reason: Mapped[str | None] = mapped_column(String(500))


class RecurringExpense(TimestampMixin, Base):
    """An expense made each month on `day` (the month's last day when it has fewer), from
    `starts_on` to `ends_on` (None: until stopped)."""

    __tablename__ = "recurring_expenses"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount"),
        CheckConstraint("day BETWEEN 1 AND 31", name="day"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(
        ForeignKey("expense_categories.id", ondelete="RESTRICT"), index=True
    )
    amount: Mapped[int] = mapped_column(BigInteger)
    day: Mapped[int] = mapped_column(SmallInteger)
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    note: Mapped[str] = mapped_column(String(500))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    stopped_at: Mapped[datetime | None]
    stopped_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


def seed_categories(connection: Connection) -> None:
    """The built-in categories, into an empty table (the migration does the same)."""
    table = ExpenseCategory.__table__
    connection.execute(insert(table), [{"code": code} for code in BUILTIN_CATEGORIES])


@event.listens_for(ExpenseCategory.__table__, "after_create")
def _seeded(target: Table, connection: Connection, **kwargs: object) -> None:
    seed_categories(connection)
