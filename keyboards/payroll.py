"""Payroll buttons: the staff's month of payslips, a payslip's card, the pay schemes of the
teachers (PayrollCb, permission `payroll`), and a teacher's own /salary (SalaryCb)."""

from collections.abc import Sequence
from datetime import date

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import _
from db.models import PayoutMethod
from keyboards.confirmation import confirmation
from keyboards.forms import Rows, pick_button
from keyboards.ids import Id, Number
from keyboards.labels import method_label
from keyboards.paging import page_row


class PayrollCb(CallbackData, prefix="pr"):
    action: str
    id: Id = 0
    month: str = ""  # YYYYMM
    page: Number = 1


class SalaryCb(CallbackData, prefix="sal"):
    action: str
    id: Id = 0


def month_token(month: date) -> str:
    return f"{month.year:04d}{month.month:02d}"


def month_of(token: str) -> date:
    """The first day of the month a token names; ValueError for anything else."""
    if len(token) != 6 or not token.isdigit():
        raise ValueError("not a month")
    year, month = int(token[:4]), int(token[4:])
    if not 2000 <= year <= 2100:
        raise ValueError("not a month")
    return date(year, month, 1)


def back_button(month: date) -> InlineKeyboardButton:
    data = PayrollCb(action="month", month=month_token(month))
    return InlineKeyboardButton(text=_("⬅ Back"), callback_data=data.pack())


def month_screen(
    month: date,
    previous: date,
    following: date | None,
    payslips: Sequence[tuple[int, str]],
    can_draft: bool,
) -> InlineKeyboardMarkup:
    """A button per payslip; make (or make again) the drafts; ◀ ▶ months; 👥 Pay schemes."""
    builder = InlineKeyboardBuilder()
    for payslip_id, label in payslips:
        builder.row(
            InlineKeyboardButton(
                text=label, callback_data=PayrollCb(action="slip", id=payslip_id).pack()
            )
        )
    if can_draft:
        builder.row(
            InlineKeyboardButton(
                text=_("🧮 Make the drafts"),
                callback_data=PayrollCb(action="draft", month=month_token(month)).pack(),
            )
        )
    moves = [
        InlineKeyboardButton(
            text="◀", callback_data=PayrollCb(action="month", month=month_token(previous)).pack()
        )
    ]
    if following is not None:
        moves.append(
            InlineKeyboardButton(
                text="▶",
                callback_data=PayrollCb(action="month", month=month_token(following)).pack(),
            )
        )
    builder.row(*moves)
    builder.row(
        InlineKeyboardButton(
            text=_("👥 Pay schemes"), callback_data=PayrollCb(action="teachers").pack()
        )
    )
    return builder.as_markup()


def payslip_card(
    payslip_id: int,
    month: date,
    draft: bool,
    owed: int,
    payouts: Sequence[tuple[int, str]],
) -> InlineKeyboardMarkup:
    """A draft: ➕ bonus, ➖ deduction, 🔄 count again, ✅ approve. Approved: 💸 payout while
    something is owed, ↩️ per payout not reversed."""
    builder = InlineKeyboardBuilder()

    def button(text: str, action: str, row_id: int = payslip_id) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            text=text, callback_data=PayrollCb(action=action, id=row_id).pack()
        )

    if draft:
        builder.row(button(_("➕ Bonus"), "bonus"), button(_("➖ Deduction"), "deduct"))
        builder.row(button(_("🔄 Count again"), "recount"), button(_("✅ Approve"), "approve"))
    else:
        if owed > 0:
            builder.row(button(_("💸 Record a payout"), "payout"))
        for payout_id, label in payouts:
            builder.row(button(_("↩️ Reverse {payout}").format(payout=label), "unpay", payout_id))
    builder.row(back_button(month))
    return builder.as_markup()


def approve_confirmation(payslip_id: int) -> InlineKeyboardMarkup:
    return confirmation(
        _("✅ Approve and lock"),
        PayrollCb(action="approve_yes", id=payslip_id),
        _("Keep it a draft"),
        PayrollCb(action="slip", id=payslip_id),
    )


def teachers_list(
    teachers: Sequence[tuple[int, str]], page: int, pages: int, month: date
) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for teacher_id, label in teachers:
        builder.row(
            InlineKeyboardButton(
                text=label, callback_data=PayrollCb(action="teacher", id=teacher_id).pack()
            )
        )
    paging = page_row(page, pages, lambda n: PayrollCb(action="teachers", page=n))
    if paging:
        builder.row(*paging)
    builder.row(back_button(month))
    return builder.as_markup()


def teacher_schemes(teacher_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.row(
        InlineKeyboardButton(
            text=_("➕ New scheme"), callback_data=PayrollCb(action="scheme", id=teacher_id).pack()
        )
    )
    builder.row(
        InlineKeyboardButton(text=_("⬅ Back"), callback_data=PayrollCb(action="teachers").pack())
    )
    return builder.as_markup()


def payout_methods(form: str, step: str) -> Rows:
    return [
        [pick_button(method_label(method.value), form, step, method.value)]
        for method in PayoutMethod
    ]


def salary_screen(payslips: Sequence[tuple[int, str]]) -> InlineKeyboardMarkup | None:
    if not payslips:
        return None
    builder = InlineKeyboardBuilder()
    for payslip_id, label in payslips:
        builder.row(
            InlineKeyboardButton(
                text=label, callback_data=SalaryCb(action="slip", id=payslip_id).pack()
            )
        )
    return builder.as_markup()


def salary_back() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("⬅ Back"), callback_data=SalaryCb(action="home"))
    return builder.as_markup()
