"""What the reports read besides the data itself: the data versions the report cache asks
(has the data under a report changed?) and the totals maintained for them (db.report_totals)."""

from datetime import date

from sqlalchemy import BigInteger, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base


class DataVersion(Base):
    """A counter per kind of data the reports read (`db.data_versions.DOMAINS`), raised in
    the same transaction as every change to that data (see db.data_versions)."""

    __tablename__ = "data_versions"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class CashDayTotal(Base):
    """Money moved on one of the centre's days: payments received ("paid"), payments reversed
    ("reversed", on the day of the reversal) and refunds ("refunded"), by method. Kept by
    db.report_totals in the transaction of every ledger write; the finance and profit
    reports read these ~20 rows a day instead of the payments."""

    __tablename__ = "cash_day_totals"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    method: Mapped[str] = mapped_column(String(16), primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    moves: Mapped[int] = mapped_column(Integer)


class ChargeMonthTotal(Base):
    """The charges not cancelled for a month, per group (0: a charge of no group)."""

    __tablename__ = "charge_month_totals"

    period: Mapped[date] = mapped_column(Date, primary_key=True)
    group_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    charges: Mapped[int] = mapped_column(Integer)


class AttendanceMonthTotal(Base):
    """A student's marks of one status in a group's lessons (not cancelled) that start in
    one of the centre's months."""

    __tablename__ = "attendance_month_totals"
    __table_args__ = (Index(None, "status", "month"), Index(None, "student_id", "month"))

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    group_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    marks: Mapped[int] = mapped_column(Integer)


class ReportTotalsState(Base):
    """What the totals were counted for: the key "zone" holds the time zone whose days and
    months they are (a database without the row is counted in DEFAULT_ZONE)."""

    __tablename__ = "report_totals_state"

    key: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(64))


class AttendanceGroupMonthTotal(Base):
    """attendance_month_totals added up over the students: a group's marks of one status in
    a month (what the figures by month, group and teacher read)."""

    __tablename__ = "attendance_group_month_totals"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    group_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    marks: Mapped[int] = mapped_column(Integer)


class AttendanceYearTotal(Base):
    """attendance_month_totals added up over one of the centre's years (year: its 1 January):
    a year's students read in a twelfth of the rows."""

    __tablename__ = "attendance_year_totals"

    year: Mapped[date] = mapped_column(Date, primary_key=True)
    group_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    marks: Mapped[int] = mapped_column(Integer)


class LessonMonthTotal(Base):
    """A group's lessons of one status that start in one of the centre's months, and how
    many of them have no mark (what "held" and "not marked" count for months gone by)."""

    __tablename__ = "lesson_month_totals"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    group_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    lessons: Mapped[int] = mapped_column(Integer)
    unmarked: Mapped[int] = mapped_column(Integer)
