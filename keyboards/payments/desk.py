"""The admin's money screens: the payment form and a student's payments (ap), the
debtors list (dl) and its remind buttons (rd)."""

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.formatting import format_datetime, format_money
from bot.i18n import _
from bot.services.payments.ledger import Debtor, PaymentInfo
from bot.services.payments.payment_desk import StudentsFound
from db.models import PaymentMethod
from keyboards.ids import Id, Number
from keyboards.labels import method_labels

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
    # pick (student `id`), res (results `page`), m (method `m`), skip (no note), ok, edit,
    # no (leave the form), list (payments of student `id`), new (a payment for `id`),
    # rv (reverse payment `id`), rvok, rf (refund for student `id`)
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


def _pager(page: int, pages: int, make) -> list[InlineKeyboardButton]:
    row = []
    if page > 1:
        row.append(InlineKeyboardButton(text="◀", callback_data=make(page - 1).pack()))
    row.append(InlineKeyboardButton(text=f"{page}/{pages}", callback_data=make(page).pack()))
    if page < pages:
        row.append(InlineKeyboardButton(text="▶", callback_data=make(page + 1).pack()))
    return row


def cancel_row() -> list[InlineKeyboardButton]:
    return _row(_("❌ Cancel"), DeskCb(action="no"))


def student_choice(found: StudentsFound) -> InlineKeyboardMarkup:
    rows = []
    for student in found.items:
        label = student.full_name if not student.phone else f"{student.full_name} · {student.phone}"
        rows.append(_row(f"🎓 {label}", DeskCb(action="pick", id=student.id)))
    if found.pages > 1:
        rows.append(_pager(found.page, found.pages, lambda p: DeskCb(action="res", page=p)))
    rows.append(cancel_row())
    return InlineKeyboardMarkup(inline_keyboard=rows)


def method_choice() -> InlineKeyboardMarkup:
    labels = method_labels()
    buttons = [
        InlineKeyboardButton(
            text=labels[method], callback_data=DeskCb(action="m", m=method.value).pack()
        )
        for method in DESK_METHODS
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append(cancel_row())
    return InlineKeyboardMarkup(inline_keyboard=rows)


def skip_or_cancel() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[_row(_("⏭ Skip"), DeskCb(action="skip")), cancel_row()]
    )


def only_cancel() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[cancel_row()])


def confirmation(
    confirm_label: str, action: str, keep_label: str | None = None
) -> InlineKeyboardMarkup:
    """✅ (`action`: ok, rvok, rfok) / ✏️ Edit / ❌ Cancel under a form's summary.

    A danger (a reversal, a refund) names its action and calls the way out `keep_label`
    ("Keep the payment"): "Yes, cancel" next to "Cancel" is how a payment gets reversed by mistake.
    """
    return InlineKeyboardMarkup(
        inline_keyboard=[
            _row(confirm_label, DeskCb(action=action)),
            [
                InlineKeyboardButton(text=_("✏️ Edit"), callback_data=DeskCb(action="edit").pack()),
                InlineKeyboardButton(
                    text=keep_label or _("❌ Cancel"), callback_data=DeskCb(action="no").pack()
                ),
            ],
        ]
    )


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
        rows.append(_pager(page, pages, lambda p: DebtorsCb(action="page", page=p)))
    if debtors:
        rows.append(_row(_("📥 XLSX"), DebtorsCb(action="xlsx")))
    return InlineKeyboardMarkup(inline_keyboard=rows)
