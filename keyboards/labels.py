"""Words for the domain's statuses and kinds, shared by every screen that shows them."""

from bot.i18n import _


def toggle_mark(on: bool) -> str:
    """An on/off switch's mark: not ✅, which the Accept / Save button next to it carries."""
    return "☑️" if on else "⬜"


def attendance_labels() -> dict[str, str]:
    return {
        "present": _("✅ present"),
        "absent": _("❌ absent"),
        "late": _("⏰ late"),
        "excused": _("📝 excused"),
    }


def grade_kind_labels() -> dict[str, str]:
    return {
        "homework": _("homework"),
        "classwork": _("classwork"),
        "exam": _("exam"),
        "test": _("test"),
        "other": _("other"),
    }
