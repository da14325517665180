"""What the payment, reversal and refund forms share: the permission, the amount and the
text steps' rules and wording, the method step, the balance before → after."""

from collections.abc import Callable
from typing import Any

from bot.config import Settings
from bot.formatting import format_money
from bot.forms import Form, FormContext, FormData, OutOfDate, Refusal, Step
from bot.forms.engine import Reader
from bot.i18n import _
from bot.services.payments import ledger
from bot.wording import amount_problem
from db.base import utcnow
from db.models import Permission
from keyboards.forms import Rows
from keyboards.payments.desk import DESK_METHODS, cancel_row, method_choice

PAYMENTS = {"permission": Permission.PAYMENTS}
TEXT_MAX = 500  # a note or a reason
# the forms' states: 📜 Payments pressed while one is open leaves it
PAY_FORM, REVERSE_FORM, REFUND_FORM = "pay_form", "reverse_form", "refund_form"


class MoneyForm(Form):
    """The base of the payment desk's forms. One opened from a button of a card, a list or
    a receipt is opened `below` it: that message stays as it is."""

    flags = PAYMENTS


# --- a note or a reason -----------------------------------------------------------------


def text_problem(text: str) -> str | None:
    if not text:
        return _("⚠️ This cannot be empty: please type it.")
    if len(text) > TEXT_MAX:
        return _("⚠️ That is too long: at most {maximum} characters (you sent {length}).").format(
            maximum=TEXT_MAX, length=len(text)
        )
    return None


def clean_text(text: str | None) -> str:
    """The typed note or reason, stripped; Refusal when empty or too long."""
    cleaned = (text or "").strip()
    problem = text_problem(cleaned)
    if problem is not None:
        raise Refusal(problem)
    return cleaned


class HasReason(FormData):
    student_id: int = 0
    reason: str = ""
    balance: int = 0  # the student's balance when the reason was typed, for the summary


async def read_reason(data: HasReason, text: str | None, context: FormContext) -> None:
    """A reversal's or a refund's reason; the balance is read for the summary's change line."""
    data.reason = clean_text(text)
    data.balance = await ledger.balance(context.session, data.student_id)


def reason_step(prompt: Callable[[Any], str]) -> Step:
    return Step("reason", prompt, read=read_reason, buttons=cancel_buttons)


# --- the amount -------------------------------------------------------------------------


def amount_step(prompt: Callable[[Any], str], read: Reader) -> Step:
    """A payment's or a refund's amount, in so'm, typed under a ❌ Cancel."""
    return Step("amount", prompt, read=read, buttons=cancel_buttons, problem=amount_problem)


def cancel_buttons(data: FormData, form: str) -> Rows:
    return [cancel_row(form)]


# --- the method -------------------------------------------------------------------------


class HasMethod(FormData):
    method: str = ""


def choose_method(data: HasMethod, value: str) -> None:
    """A method the desk offers (`telegram` is the in-chat payment's only), else out of date."""
    if value not in {method.value for method in DESK_METHODS}:
        raise OutOfDate
    data.method = value


def method_step(prompt, pick) -> Step:
    return Step(
        "method",
        prompt,
        pick=pick,
        buttons=lambda data, form: method_choice(form, "method"),
        typed_hint=lambda: _("ℹ️ Choose the method with the buttons above, or /cancel."),
    )


# --- the balance ------------------------------------------------------------------------


def balance_change(now: int, after: int) -> str:
    return _("Balance: {now} → {after}").format(now=signed_money(now), after=signed_money(after))


def signed_money(amount: int) -> str:
    if amount < 0:
        return _("debt {amount}").format(amount=format_money(-amount))
    if amount > 0:
        return _("credit {amount}").format(amount=format_money(amount))
    return format_money(0)


def today(settings: Settings):
    return utcnow().astimezone(settings.centre.tz).date()
