"""Words for the domain's statuses and kinds, shared by every screen that shows them.

One function an enum; where a screen needs other words for the same values (a button with an
icon, a plain word inside a sentence), a named variant stands beside it here.
"""

from collections.abc import Collection
from typing import Protocol

from bot.i18n import _
from db.models import (
    AttendanceStatus,
    BroadcastStatus,
    EnrolmentStatus,
    GradeKind,
    LeadStatus,
    LeaveReason,
    LessonStatus,
    PaymentMethod,
    Permission,
    Role,
    TicketStatus,
    TicketTopic,
)


class CategoryLike(Protocol):
    @property
    def code(self) -> str | None: ...

    @property
    def name(self) -> str | None: ...


def toggle_mark(on: bool) -> str:
    """An on/off switch's mark: not ✅, which the Accept / Save button next to it carries."""
    return "☑️" if on else "⬜"


# --- roles (an invitation's kind takes the same words: InviteKind shares Role's values) ----


def role_names() -> dict[Role, str]:
    """A role as a word in a sentence ("connected as a teacher")."""
    return {
        Role.ADMIN: _("administrator"),
        Role.TEACHER: _("teacher"),
        Role.STUDENT: _("student"),
        Role.PARENT: _("parent"),
    }


def role_plurals() -> dict[Role, str]:
    """Everyone holding a role (a broadcast's audience)."""
    return {
        Role.ADMIN: _("Administrators"),
        Role.TEACHER: _("Teachers"),
        Role.STUDENT: _("Students"),
        Role.PARENT: _("Parents"),
    }


ROLE_MARKS = {Role.ADMIN: "🛡", Role.TEACHER: "🧑‍🏫", Role.STUDENT: "🎓", Role.PARENT: "👪"}


def role_marks(roles: Collection[str]) -> str:
    """The marks of the roles held, in the order of ROLE_MARKS (a person's button)."""
    return "".join(mark for role, mark in ROLE_MARKS.items() if role.value in roles)


# --- staff permissions ----------------------------------------------------------------------


def permission_labels() -> dict[Permission, str]:
    return {
        Permission.PAYMENTS: _("💳 Payments"),
        Permission.BROADCAST: _("📣 Broadcasts"),
        Permission.ACADEMIC: _("🎓 Courses and groups"),
        Permission.USERS: _("👥 People"),
        Permission.REPORTS: _("📊 Reports"),
        Permission.BACKUPS: _("💾 Backups"),
        Permission.AUDIT: _("🔍 Audit log"),
        Permission.PAYROLL: _("🧾 Payroll and expenses"),
    }


# --- enrolments -----------------------------------------------------------------------------


def enrolment_status_words() -> dict[str, str]:
    """An enrolment's status as a plain word in a sentence (/mydata, a person's card)."""
    return {
        EnrolmentStatus.ACTIVE: _("active"),
        EnrolmentStatus.FROZEN: _("frozen"),
        EnrolmentStatus.LEFT: _("left"),
    }


def leave_reason_labels() -> dict[LeaveReason, str]:
    """Why a student left: the leave confirmation's buttons, the card, the report."""
    return {
        LeaveReason.MOVED_AWAY: _("🏠 Moved away"),
        LeaveReason.PRICE: _("💸 Price"),
        LeaveReason.SCHEDULE: _("🕒 Schedule"),
        LeaveReason.QUALITY: _("👎 Quality"),
        LeaveReason.FINISHED: _("🎓 Finished the course"),
        LeaveReason.OTHER: _("✏️ Other"),
        LeaveReason.TRANSFER: _("🔀 Moved to another group"),
    }


# --- lessons and attendance ----------------------------------------------------------------


def lesson_status_words() -> dict[str, str]:
    """A lesson's status as a plain word in a line of a list."""
    return {
        LessonStatus.SCHEDULED: _("scheduled"),
        LessonStatus.HELD: _("held"),
        LessonStatus.CANCELLED: _("cancelled"),
    }


def attendance_labels() -> dict[str, str]:
    return {
        AttendanceStatus.PRESENT: _("✅ present"),
        AttendanceStatus.ABSENT: _("❌ absent"),
        AttendanceStatus.LATE: _("⏰ late"),
        AttendanceStatus.EXCUSED: _("📝 excused"),
    }


def attendance_words() -> dict[str, str]:
    """An attendance mark as a plain word (beside its own icon on the sheet)."""
    return {
        AttendanceStatus.PRESENT: _("present"),
        AttendanceStatus.ABSENT: _("absent"),
        AttendanceStatus.LATE: _("late"),
        AttendanceStatus.EXCUSED: _("excused"),
    }


# --- grades ---------------------------------------------------------------------------------


def grade_kind_labels() -> dict[str, str]:
    return {
        GradeKind.HOMEWORK: _("homework"),
        GradeKind.CLASSWORK: _("classwork"),
        GradeKind.EXAM: _("exam"),
        GradeKind.TEST: _("test"),
        GradeKind.OTHER: _("other"),
    }


def grade_kind_buttons() -> dict[str, str]:
    """The kinds a teacher picks from when grading, as buttons."""
    return {
        GradeKind.HOMEWORK: _("🏠 Homework"),
        GradeKind.TEST: _("🧪 Test"),
        GradeKind.EXAM: _("🎓 Exam"),
        GradeKind.CLASSWORK: _("✏️ Classwork"),
    }


# --- payments -------------------------------------------------------------------------------


def method_labels() -> dict[str, str]:
    return {
        PaymentMethod.CASH: _("💵 Cash"),
        PaymentMethod.CARD: _("💳 Card"),
        PaymentMethod.TRANSFER: _("🏦 Bank transfer"),
        PaymentMethod.CLICK: _("Click"),
        PaymentMethod.PAYME: _("Payme"),
        PaymentMethod.TELEGRAM: _("Telegram"),
        PaymentMethod.OTHER: _("Other"),
    }


def method_label(method: str) -> str:
    return method_labels().get(method, method)


def method_words() -> dict[str, str]:
    """A payment method as a plain word in a line of /mydata."""
    return {
        PaymentMethod.CASH: _("cash"),
        PaymentMethod.CARD: _("card"),
        PaymentMethod.TRANSFER: _("bank transfer"),
        PaymentMethod.CLICK: "Click",
        PaymentMethod.PAYME: "Payme",
        PaymentMethod.TELEGRAM: "Telegram",
        PaymentMethod.OTHER: _("other"),
    }


# --- support tickets ------------------------------------------------------------------------


def ticket_topic_labels() -> dict[TicketTopic, str]:
    return {
        TicketTopic.QUESTION: _("❓ Question"),
        TicketTopic.COMPLAINT: _("😟 Complaint"),
        TicketTopic.DATA_PROTECTION: _("🔐 My personal data"),
        TicketTopic.PAYMENT: _("💳 Payment"),
    }


def ticket_topic_words() -> dict[str, str]:
    """A ticket's topic as a plain word in a line of /mydata."""
    return {
        TicketTopic.QUESTION: _("question"),
        TicketTopic.COMPLAINT: _("complaint"),
        TicketTopic.DATA_PROTECTION: _("personal data"),
        TicketTopic.PAYMENT: _("payment"),
    }


def ticket_status_labels() -> dict[TicketStatus, str]:
    return {
        TicketStatus.OPEN: _("⏳ open"),
        TicketStatus.ANSWERED: _("💬 answered"),
        TicketStatus.CLOSED: _("🔒 closed"),
    }


# --- leads ----------------------------------------------------------------------------------


def lead_status_labels() -> dict[LeadStatus, str]:
    return {
        LeadStatus.NEW: _("🆕 new"),
        LeadStatus.CONTACTED: _("📞 contacted"),
        LeadStatus.TRIAL: _("🧪 trial lesson"),
        LeadStatus.ENROLLED: _("🎓 enrolled"),
        LeadStatus.LOST: _("❌ lost"),
    }


# --- broadcasts --------------------------------------------------------------------------


def broadcast_status_labels() -> dict[str, str]:
    return {
        BroadcastStatus.DRAFT: _("📝 Draft"),
        BroadcastStatus.SCHEDULED: _("🕘 Scheduled"),
        BroadcastStatus.SENDING: _("⏳ Sending"),
        BroadcastStatus.DONE: _("✅ Finished"),
        BroadcastStatus.CANCELLED: _("❌ Cancelled"),
    }


# --- expense categories (bot.services.expenses) -----------------------------------------


def expense_category_labels() -> dict[str, str]:
    """The built-in categories by their code, and salaries (the payroll's line)."""
    return {
        "rent": _("🏠 Rent"),
        "utilities": _("💡 Utilities"),
        "marketing": _("📣 Marketing"),
        "supplies": _("📦 Supplies"),
        "other": _("🧾 Other"),
        "salaries": _("🧑‍🏫 Salaries"),
    }


def category_name(category: CategoryLike) -> str:
    """A category as shown: the centre's name for it, else the built-in's word."""
    if category.name:
        return category.name
    return expense_category_labels().get(category.code or "", category.code or "—")
