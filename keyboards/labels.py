"""Words for the domain's statuses and kinds, shared by every screen that shows them."""

from bot.i18n import _
from db.models import PaymentMethod


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
