"""The words every form shares."""

from bot.i18n import _


def cancel_hint() -> str:
    return _("/cancel — leave without saving.")


def while_confirming_text(confirm: str | None = None) -> str:
    """`confirm`: the ✅ button's words when they are not "✅ Confirm"."""
    if confirm is None:
        return _("ℹ️ Use the buttons under the summary above: ✅ Confirm, ✏️ Edit or ❌ Cancel.")
    return _("ℹ️ Use the buttons under the summary above: {confirm}, ✏️ Edit or ❌ Cancel.").format(
        confirm=confirm
    )


def cancelled_text() -> str:
    return _("❌ Cancelled. Nothing was saved.")


def change_what_text() -> str:
    return _("✏️ What would you like to change?")


def stale_button_text() -> str:
    return _("⚠️ This button is out of date. Open the menu again.")
