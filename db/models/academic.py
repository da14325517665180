"""Courses, groups, their timetable and lessons, enrolments, attendance, grades, homework."""

from datetime import date, datetime, time

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, TimestampMixin, utcnow
from db.models.enums import (
    AttendanceStatus,
    EnrolmentStatus,
    GradeKind,
    GroupStatus,
    LeaveReason,
    LessonStatus,
    enum_check,
)


class Course(TimestampMixin, Base):
    __tablename__ = "courses"
    __table_args__ = (CheckConstraint("monthly_price >= 0", name="monthly_price"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    # Whole so'm.
    monthly_price: Mapped[int] = mapped_column(BigInteger)
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())


class Group(TimestampMixin, Base):
    __tablename__ = "groups"
    __table_args__ = (
        UniqueConstraint("course_id", "name"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates"),
        CheckConstraint("capacity > 0", name="capacity"),
        CheckConstraint("price_override IS NULL OR price_override >= 0", name="price_override"),
        CheckConstraint(enum_check("status", GroupStatus), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="RESTRICT"))
    teacher_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(128))
    room: Mapped[str | None] = mapped_column(String(64))
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    capacity: Mapped[int]
    # Monthly price in so'm for this group instead of the course's.
    price_override: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(
        String(16), default=GroupStatus.ACTIVE, server_default=GroupStatus.ACTIVE.value
    )


class ScheduleSlot(Base):
    """A weekly class time; lessons are generated from the slots ahead of time."""

    __tablename__ = "schedule_slots"
    __table_args__ = (
        UniqueConstraint("group_id", "weekday", "start_time"),
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("duration_minutes BETWEEN 1 AND 600", name="duration"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    # Monday = 0, as date.weekday().
    weekday: Mapped[int] = mapped_column(SmallInteger)
    # Local time of the centre (settings TIMEZONE).
    start_time: Mapped[time]
    duration_minutes: Mapped[int]


class Lesson(TimestampMixin, Base):
    __tablename__ = "lessons"
    __table_args__ = (
        UniqueConstraint("group_id", "starts_at"),
        # the lessons still scheduled of a period (the attendance report's "not marked")
        Index(None, "status", "starts_at"),
        CheckConstraint("duration_minutes BETWEEN 1 AND 600", name="duration"),
        CheckConstraint(enum_check("status", LessonStatus), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    # Indexed: reminder jobs scan lessons by time.
    starts_at: Mapped[datetime] = mapped_column(index=True)
    duration_minutes: Mapped[int]
    status: Mapped[str] = mapped_column(
        String(16), default=LessonStatus.SCHEDULED, server_default=LessonStatus.SCHEDULED.value
    )
    topic: Mapped[str | None] = mapped_column(String(255))


class Enrolment(TimestampMixin, Base):
    """A student in a group. Not unique per (student, group): one may leave and rejoin."""

    __tablename__ = "enrolments"
    __table_args__ = (
        CheckConstraint("discount_percent BETWEEN 0 AND 100", name="discount"),
        CheckConstraint("left_on IS NULL OR left_on >= joined_on", name="dates"),
        CheckConstraint(enum_check("status", EnrolmentStatus), name="status"),
        CheckConstraint(enum_check("leave_reason", LeaveReason), name="leave_reason"),
        # the retention report: a student's places in order of joining, read from the index
        # alone (one window pass, no sort), and the look-up of a student's other places
        Index(
            "ix_enrolments_student_joined",
            *("student_id", "joined_on", "left_on", "leave_reason", "group_id"),
        ),
        # the retention report's leavers: the places left in a period
        Index("ix_enrolments_left_on", "left_on", "student_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="RESTRICT"), index=True)
    joined_on: Mapped[date]
    left_on: Mapped[date | None]
    discount_percent: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    status: Mapped[str] = mapped_column(
        String(16), default=EnrolmentStatus.ACTIVE, server_default=EnrolmentStatus.ACTIVE.value
    )
    # Why it ended (LeaveReason), when the admin said; empty while seated.
    leave_reason: Mapped[str | None] = mapped_column(String(16))


class EnrolmentFreeze(Base):
    """A period an enrolment was frozen: lessons on days in [starts_on, ends_on) are not
    charged. ends_on stays empty while the freeze lasts."""

    __tablename__ = "enrolment_freezes"
    __table_args__ = (CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("enrolments.id", ondelete="CASCADE"), index=True
    )
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Attendance(Base):
    __tablename__ = "attendance"
    __table_args__ = (
        UniqueConstraint("lesson_id", "student_id"),
        # a lesson's marks counted by status from the index alone (payroll, the totals)
        Index(None, "lesson_id", "status"),
        CheckConstraint(enum_check("status", AttendanceStatus), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    marked_at: Mapped[datetime] = mapped_column(default=utcnow)


class Grade(TimestampMixin, Base):
    __tablename__ = "grades"
    __table_args__ = (
        Index(None, "student_id", "group_id"),
        CheckConstraint(enum_check("kind", GradeKind), name="kind"),
        CheckConstraint("score BETWEEN 0 AND 1000", name="score"),
        CheckConstraint("max_score > 0", name="max_score"),
        CheckConstraint("score <= max_score", name="score_le_max"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16))
    score: Mapped[int]
    max_score: Mapped[int]
    comment: Mapped[str | None] = mapped_column(String(500))
    given_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Homework(Base):
    __tablename__ = "homework"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    # Telegram file ids.
    attachments: Mapped[list[str]] = mapped_column(JSON, default=list)
    due_at: Mapped[datetime | None]
    posted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    posted_at: Mapped[datetime] = mapped_column(default=utcnow)
