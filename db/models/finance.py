"""The money ledger (charges, payments, refunds) and the running balance per student.

All amounts are whole so'm in BigInteger. Ledger rows are never deleted: after a person's
data is erased, student_id is cleared and anon_ref (an opaque id, the same on all of that
person's rows) keeps their entries together, so the books still add up. The "owner" CHECK
makes sure a row always has one of the two.
"""

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, TimestampMixin, utcnow
from db.models.enums import PaymentMethod, enum_check

OWNER_CHECK = "student_id IS NOT NULL OR anon_ref IS NOT NULL"

# The reports read the whole ledger per owner (each one's credit at a moment, each one's
# charges oldest first): these indexes lead with the owner and hold the columns read, so
# the database reads them in owner order without sorting or visiting the rows. They serve
# the lookups by student too. The indexes by date hold the owner too: the debt at a period's
# end is read from the balances less what each owner's ledger moved after it (a range scan).
OWNER = ("student_id", "anon_ref")


class Charge(TimestampMixin, Base):
    """What a student owes for one month of one enrolment."""

    __tablename__ = "charges"
    __table_args__ = (
        UniqueConstraint("enrolment_id", "period"),
        Index(
            "ix_charges_owner_due",
            *("student_id", "anon_ref", "due_date", "period", "cancelled_at", "amount"),
            "enrolment_id",
        ),
        Index("ix_charges_period_owner", *("period", "cancelled_at", "amount"), *OWNER),
        CheckConstraint("amount >= 0", name="amount"),
        CheckConstraint(OWNER_CHECK, name="owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    anon_ref: Mapped[str | None] = mapped_column(String(32))
    enrolment_id: Mapped[int | None] = mapped_column(
        ForeignKey("enrolments.id", ondelete="SET NULL")
    )
    # The first day of the month charged for.
    period: Mapped[date]
    amount: Mapped[int] = mapped_column(BigInteger)
    due_date: Mapped[date]
    cancelled_at: Mapped[datetime | None]


class Payment(TimestampMixin, Base):
    """Money received. Never edited: a mistake is reversed (reversed_at) and entered anew."""

    __tablename__ = "payments"
    __table_args__ = (
        Index(
            "ix_payments_owner_paid", "student_id", "anon_ref", "paid_at", "reversed_at", "amount"
        ),
        Index(
            "ix_payments_reversed_owner", *("reversed_at", "paid_at", "method", "amount"), *OWNER
        ),
        Index("ix_payments_paid_owner", *("paid_at", "method", "amount", "reversed_at"), *OWNER),
        CheckConstraint("amount > 0", name="amount"),
        CheckConstraint(enum_check("method", PaymentMethod), name="method"),
        CheckConstraint(OWNER_CHECK, name="owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    anon_ref: Mapped[str | None] = mapped_column(String(32))
    amount: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(16))
    paid_at: Mapped[datetime] = mapped_column(default=utcnow)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(String(500))
    # The provider's id: a repeated callback hits the unique constraint instead of paying twice.
    external_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    reversed_at: Mapped[datetime | None]
    reversed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reversal_reason: Mapped[str | None] = mapped_column(String(500))


class Refund(Base):
    """Money paid back out of a student's credit: its own ledger entry."""

    __tablename__ = "refunds"
    __table_args__ = (
        Index("ix_refunds_owner_refunded", "student_id", "anon_ref", "refunded_at", "amount"),
        Index("ix_refunds_refunded_owner", "refunded_at", "method", "amount", *OWNER),
        CheckConstraint("amount > 0", name="amount"),
        CheckConstraint(enum_check("method", PaymentMethod), name="method"),
        CheckConstraint(OWNER_CHECK, name="owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    anon_ref: Mapped[str | None] = mapped_column(String(32))
    amount: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(500))
    refunded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    refunded_at: Mapped[datetime] = mapped_column(default=utcnow)


class Balance(Base):
    """Payments − charges − refunds per student (reversed and cancelled rows left out).

    Negative means debt. Updated in the same transaction as every ledger entry, so debtor
    lists read this table (indexed on amount) instead of summing the whole ledger.
    """

    __tablename__ = "balances"
    __table_args__ = (CheckConstraint(OWNER_CHECK, name="owner"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )
    anon_ref: Mapped[str | None] = mapped_column(String(32))
    amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0", index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
