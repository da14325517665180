"""The admin's money screens: the payment, reversal and refund forms' own rows (their
buttons are `FormCb`s), a student's payments (ap), the debtors list (dl) and its remind
buttons (rd)."""

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.formatting import format_datetime, format_money
from bot.i18n import _
from bot.services.payments.ledger import Debtor, PaymentInfo
from db.models import PaymentMethod
from keyboards.forms import Rows, form_button, pick_button, pick_data
from keyboards.ids import Id, Number
from keyboards.labels import method_labels
from keyboards.paging import page_row

BUTTON_TEXT_MAX = 60
# What an admin may choose by hand; `telegram` is recorded only by the in-chat payment.
DESK_METHODS = (
    PaymentMethod.CASH,
    PaymentMethod.CARD,
    PaymentMethod.TRANSFER,
    PaymentMethod.CLICK,
    PaymentMethod.PAYME,
    PaymentMethod.OTHER,
)


class DeskCb(CallbackData, prefix="ap"):
    # list (payments of student `id`), new (a payment for `id`), rv (reverse payment `id`),
    # rf (refund for student `id`); the forms' own buttons are `FormCb`s (keyboards/forms.py)
    action: str
    id: Id = 0
    page: Number = 0
    m: str = ""


class DebtorsCb(CallbackData, prefix="dl"):
    action: str  # page, xlsx
    page: Number = 1


class RemindDebtorCb(CallbackData, prefix="rd"):
    student_id: Id


def shorten(text: str, limit: int = BUTTON_TEXT_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _row(text: str, data: CallbackData) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(text=shorten(text), callback_data=data.pack())]


def cancel_row(form: str) -> list[InlineKeyboardButton]:
    return [form_button(_("❌ Cancel"), form, "no")]


def student_choice(
    form: str, step: str, students: Sequence[tuple[int, str]], page: int, pages: int
) -> Rows:
    """The students found (id, label), ◀ page/pages ▶ when there are more, ❌ Cancel."""
    rows = [
        [pick_button(shorten(f"🎓 {label}"), form, step, str(student_id))]
        for student_id, label in students
    ]
    if pages > 1:
        rows.append(page_row(page, pages, lambda number: pick_data(form, step, f"p{number}")))
    rows.append(cancel_row(form))
    return rows


def method_choice(form: str, step: str) -> Rows:
    labels = method_labels()
    buttons = [pick_button(labels[method], form, step, method.value) for method in DESK_METHODS]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append(cancel_row(form))
    return rows


def after_payment(student_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            _row(_("📜 Payments"), DeskCb(action="list", id=student_id)),
            _row(_("💵 Another payment"), DeskCb(action="new", id=student_id)),
        ]
    )


def payments_list(
    student_id: int, payments: Sequence[PaymentInfo], balance: int, tz: ZoneInfo
) -> InlineKeyboardMarkup:
    from keyboards.people import FROM_ELSEWHERE, PeopleCb  # people's card links here too

    rows = []
    for payment in payments:
        if payment.reversed_at is None:
            label = _("↩️ Reverse {amount} · {when}").format(
                amount=format_money(payment.amount), when=format_datetime(payment.paid_at, tz)
            )
            rows.append(_row(label, DeskCb(action="rv", id=payment.id)))
    rows.append(_row(_("💵 New payment"), DeskCb(action="new", id=student_id)))
    if balance > 0:
        rows.append(_row(_("💸 Refund"), DeskCb(action="rf", id=student_id)))
    rows.append(_row(_("👤 Card"), PeopleCb(action="card", id=student_id, other=FROM_ELSEWHERE)))
    return InlineKeyboardMarkup(inline_keyboard=rows)


def debtors_list(debtors: Sequence[Debtor], page: int, pages: int) -> InlineKeyboardMarkup:
    rows = [
        _row(
            _("🔔 Remind: {name}").format(name=debtor.name or _("No name")),
            RemindDebtorCb(student_id=debtor.student_id),
        )
        for debtor in debtors
    ]
    if pages > 1:
        rows.append(page_row(page, pages, lambda number: DebtorsCb(action="page", page=number)))
    if debtors:
        rows.append(_row(_("📥 XLSX"), DebtorsCb(action="xlsx")))
    return InlineKeyboardMarkup(inline_keyboard=rows)
