"""The closed sets of values stored in String columns.

Columns hold the plain string value; each table pins it with a named CHECK built by
`enum_check`, so a new member needs a migration that widens the CHECK.
"""

from enum import StrEnum


def enum_check(column: str, enum: type[StrEnum]) -> str:
    """SQL for a CHECK that limits `column` to the values of `enum`."""
    values = ", ".join("'" + member.value.replace("'", "''") + "'" for member in enum)
    return f"{column} IN ({values})"


class Language(StrEnum):
    UZ = "uz"
    RU = "ru"
    EN = "en"


class Role(StrEnum):
    ADMIN = "admin"
    TEACHER = "teacher"
    STUDENT = "student"
    PARENT = "parent"


class Permission(StrEnum):
    PAYMENTS = "payments"
    BROADCAST = "broadcast"
    ACADEMIC = "academic"
    USERS = "users"
    REPORTS = "reports"
    BACKUPS = "backups"
    AUDIT = "audit"
    PAYROLL = "payroll"


class ConsentEvent(StrEnum):
    ACCEPTED = "accepted"
    CHANGED = "changed"
    WITHDRAWN = "withdrawn"


class InviteKind(StrEnum):
    TEACHER = "teacher"
    STUDENT = "student"
    PARENT = "parent"
    ADMIN = "admin"


class GroupStatus(StrEnum):
    ACTIVE = "active"
    FINISHED = "finished"
    ARCHIVED = "archived"


class LessonStatus(StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"


class EnrolmentStatus(StrEnum):
    ACTIVE = "active"
    FROZEN = "frozen"
    LEFT = "left"


class LeaveReason(StrEnum):
    """Why an enrolment ended: an admin's choice when a student leaves (or none), or
    TRANSFER, set by a move to another group (never offered as a choice)."""

    MOVED_AWAY = "moved_away"
    PRICE = "price"
    SCHEDULE = "schedule"
    QUALITY = "quality"
    FINISHED = "finished"
    OTHER = "other"
    TRANSFER = "transfer"


class AttendanceStatus(StrEnum):
    PRESENT = "present"
    ABSENT = "absent"
    LATE = "late"
    EXCUSED = "excused"


class GradeKind(StrEnum):
    HOMEWORK = "homework"
    CLASSWORK = "classwork"
    EXAM = "exam"
    TEST = "test"
    OTHER = "other"


class PaymentMethod(StrEnum):
    CASH = "cash"
    CARD = "card"
    TRANSFER = "transfer"
    CLICK = "click"
    PAYME = "payme"
    TELEGRAM = "telegram"
    OTHER = "other"


class NotificationKind(StrEnum):
    """Known notification kinds. Not a CHECK on the column: jobs may add kinds freely."""

    PAYMENT_DUE = "payment_due"
    PAYMENT_OVERDUE = "payment_overdue"
    PAYMENT_MANUAL = "payment_manual"  # an admin's "remind now", once a day per student
    LESSON_SOON = "lesson_soon"
    ABSENCE = "absence"
    MONTHLY_DIGEST = "monthly_digest"  # an owner's, keyed by the month it sums up
    PAYSLIP_APPROVED = "payslip_approved"  # a teacher's, keyed by the payslip
    PAYOUT_RECORDED = "payout_recorded"  # a teacher's, keyed by the payout


class NotificationStatus(StrEnum):
    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"
    UNKNOWN = "unknown"


class AudienceType(StrEnum):
    """`Broadcast.audience["type"]` (inside JSON, so not enforced by a CHECK)."""

    ALL = "all"
    ROLE = "role"
    COURSE = "course"
    GROUP = "group"
    DEBTORS = "debtors"
    TODAY = "today"


class BroadcastCategory(StrEnum):
    ESSENTIAL = "essential"
    ANNOUNCEMENT = "announcement"


class BroadcastStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    # Telegram failed for a while (5xx, network, 429): tried again at next_attempt_at.
    RETRYING = "retrying"
    SENT = "sent"
    FAILED = "failed"
    BLOCKED = "blocked"
    UNKNOWN = "unknown"
    CANCELLED = "cancelled"


class AuditOutcome(StrEnum):
    OK = "ok"
    DENIED = "denied"
    FAILED = "failed"


class TicketTopic(StrEnum):
    QUESTION = "question"
    COMPLAINT = "complaint"
    DATA_PROTECTION = "data_protection"
    PAYMENT = "payment"


class TicketStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    CLOSED = "closed"


class UsageRole(StrEnum):
    """The role a usage count is filed under: a `Role`, or guest for someone with none."""

    ADMIN = "admin"
    TEACHER = "teacher"
    STUDENT = "student"
    PARENT = "parent"
    GUEST = "guest"


class LeadStatus(StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    TRIAL = "trial"
    ENROLLED = "enrolled"
    LOST = "lost"


class PayslipStatus(StrEnum):
    DRAFT = "draft"
    APPROVED = "approved"


class PayLineKind(StrEnum):
    """What a payslip line counts."""

    FIXED = "fixed"  # the fixed monthly amount, pro rata for the days in force
    LESSONS = "lessons"  # lessons held × the amount per lesson
    STUDENTS = "students"  # students present (or late) at lessons held × the amount each
    PERCENT = "percent"  # a percentage of what the group's students paid in the month
    CORRECTION = "correction"  # an earlier approved month, recounted on today's data
    BONUS = "bonus"  # an admin's adjustment up, with a reason
    DEDUCTION = "deduction"  # an admin's adjustment down, with a reason


class PayoutMethod(StrEnum):
    CASH = "cash"
    CARD = "card"
    TRANSFER = "transfer"
