"""Words for the domain's statuses and kinds, shared by every screen that shows them.

One function an enum; where a screen needs other words for the same values (a button with an
icon, a plain word inside a sentence), a named variant stands beside it here.
"""

from bot.i18n import _
from db.models import (
    AttendanceStatus,
    GradeKind,
    LessonStatus,
    PaymentMethod,
    Role,
    TicketStatus,
    TicketTopic,
)


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


# --- support tickets ------------------------------------------------------------------------


def ticket_topic_labels() -> dict[TicketTopic, str]:
    return {
        TicketTopic.QUESTION: _("❓ Question"),
        TicketTopic.COMPLAINT: _("😟 Complaint"),
        TicketTopic.DATA_PROTECTION: _("🔐 My personal data"),
        TicketTopic.PAYMENT: _("💳 Payment"),
    }


def ticket_status_labels() -> dict[TicketStatus, str]:
    return {
        TicketStatus.OPEN: _("⏳ open"),
        TicketStatus.ANSWERED: _("💬 answered"),
        TicketStatus.CLOSED: _("🔒 closed"),
    }
