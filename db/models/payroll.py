"""Teacher pay: pay schemes (with their history), payslips and their lines, payouts.

All amounts are whole so'm in BigInteger. A pay scheme is never edited: a change is a new
row with a later `valid_from`, so the history of what applied when stays. A payslip is one
teacher's pay for one month: a draft while its lines may still be recomputed, then approved
(locked: its lines and total never change again). What was counted after approval goes into
a later payslip as a correction line. A payout is never edited either: a mistake is reversed
(reversed_at) and entered anew, like a payment.
"""

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, utcnow
from db.models.enums import PayLineKind, PayoutMethod, PayslipStatus, enum_check

# The largest amount a scheme, an adjustment or a payout may name: 1 000 000 000 so'm. Above
# it a figure is a slip of the keyboard (an extra zero or three), not a teacher's pay.
MAX_PAY_AMOUNT = 1_000_000_000


class PayScheme(Base):
    """How a teacher is paid from `valid_from` on, for all their groups (group_id empty) or
    for one group (an override of the general scheme for that group's lessons and money).

    A scheme may combine any of its parts: a fixed monthly amount (pro rata for the days of
    a month it is in force), an amount per lesson held, an amount per student present (or
    late) at a lesson held, and a percentage of what the group's students paid in the month.
    """

    __tablename__ = "pay_schemes"
    __table_args__ = (
        Index("ix_pay_schemes_teacher_from", "teacher_id", "group_id", "valid_from"),
        CheckConstraint(f"fixed_monthly BETWEEN 0 AND {MAX_PAY_AMOUNT}", name="fixed_monthly"),
        CheckConstraint(f"per_lesson BETWEEN 0 AND {MAX_PAY_AMOUNT}", name="per_lesson"),
        CheckConstraint(f"per_student BETWEEN 0 AND {MAX_PAY_AMOUNT}", name="per_student"),
        CheckConstraint("percent BETWEEN 0 AND 100", name="percent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    teacher_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), index=True
    )
    # The centre's local day the scheme applies from (until a later one of the same teacher
    # and group takes over).
    valid_from: Mapped[date]
    fixed_monthly: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    per_lesson: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    per_student: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # Whole percent of the money the group's students paid (collected) in the month.
    percent: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Payslip(Base):
    """One teacher's pay for one month: its lines add up to `total`."""

    __tablename__ = "payslips"
    __table_args__ = (
        UniqueConstraint("teacher_id", "month"),
        Index("ix_payslips_status_month", "status", "month"),
        CheckConstraint(enum_check("status", PayslipStatus), name="status"),
        CheckConstraint(
            "status <> 'approved' OR (approved_at IS NOT NULL AND total >= 0)", name="approved"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    teacher_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    # The first day of the month paid for.
    month: Mapped[date]
    status: Mapped[str] = mapped_column(
        String(16), default=PayslipStatus.DRAFT, server_default=PayslipStatus.DRAFT.value
    )
    total: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_at: Mapped[datetime | None]
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PayslipLine(Base):
    """What was counted and why: `quantity` × `rate` (or `rate` percent of `quantity` so'm)
    made `amount`; an adjustment (bonus, deduction) carries its reason; a correction names the
    earlier month it corrects (`for_month`)."""

    __tablename__ = "payslip_lines"
    __table_args__ = (
        CheckConstraint(enum_check("kind", PayLineKind), name="kind"),
        CheckConstraint(f"amount BETWEEN -{MAX_PAY_AMOUNT} AND {MAX_PAY_AMOUNT}", name="amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payslip_id: Mapped[int] = mapped_column(
        ForeignKey("payslips.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    # The group the line counts for (None: the teacher's fixed amount, an adjustment).
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id", ondelete="SET NULL"))
    # The scheme that made it (None: adjustments and corrections).
    scheme_id: Mapped[int | None] = mapped_column(ForeignKey("pay_schemes.id", ondelete="SET NULL"))
    # Lessons, students present, days in force or so'm collected, as the kind says.
    quantity: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    rate: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    amount: Mapped[int] = mapped_column(BigInteger)
    # For a correction: the first day of the month whose figure changed.
    for_month: Mapped[date | None]
    reason: Mapped[str | None] = mapped_column(String(500))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Payout(Base):
    """Money paid out against an approved payslip. Never edited: reversed and entered anew."""

    __tablename__ = "payouts"
    __table_args__ = (
        CheckConstraint(f"amount > 0 AND amount <= {MAX_PAY_AMOUNT}", name="amount"),
        CheckConstraint(enum_check("method", PayoutMethod), name="method"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    payslip_id: Mapped[int] = mapped_column(
        ForeignKey("payslips.id", ondelete="RESTRICT"), index=True
    )
    amount: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(16))
    paid_at: Mapped[datetime] = mapped_column(default=utcnow)
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(String(500))
    reversed_at: Mapped[datetime | None]
    reversed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reversal_reason: Mapped[str | None] = mapped_column(String(500))
