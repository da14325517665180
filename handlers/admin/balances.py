"""/recompute_balances (owners): every running balance recomputed from the ledger; any
difference listed, with a button that writes the ledger's figure (audited)."""

from html import escape

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters.access import OWNER_ONLY
from bot.formatting import format_money
from bot.i18n import _, ngettext
from bot.services.access import Actor
from bot.services.payments import ledger
from bot.telegram import edit_or_send
from handlers.buttons import show_screen
from keyboards.payments.balances import RecomputeCb, fix_button

SHOWN = 20  # differences listed in the message; the rest are counted


def difference_line(item: ledger.BalanceDifference, names: dict[int, str | None]) -> str:
    if item.student_id is None:
        who = _("an erased person")
    else:
        who = escape(names.get(item.student_id) or "—")
    return _("• {who}: stored {stored}, ledger {expected}").format(
        who=who, stored=format_money(item.stored), expected=format_money(item.expected)
    )


def render_check(check: ledger.BalanceCheck) -> str:
    if not check.differences:
        return ngettext(
            "✅ The {count} balance matches the ledger.",
            "✅ All {count} balances match the ledger.",
            check.balances,
        ).format(count=check.balances)
    lines = [
        ngettext(
            "⚠️ <b>{count} balance differs from the ledger</b>",
            "⚠️ <b>{count} balances differ from the ledger</b>",
            len(check.differences),
        ).format(count=len(check.differences)),
        "",
    ]
    lines += [difference_line(item, check.names) for item in check.differences[:SHOWN]]
    if len(check.differences) > SHOWN:
        lines.append(_("… and {more} more.").format(more=len(check.differences) - SHOWN))
    lines += ["", _("The fix writes the ledger's figure into each balance and is audited.")]
    return "\n".join(lines)


async def recompute(message: Message, session: AsyncSession) -> None:
    check = await ledger.check_balances(session)
    markup = fix_button(len(check.differences)) if check.differences else None
    await message.answer(render_check(check), reply_markup=markup)


async def fix(
    callback: CallbackQuery, callback_data: RecomputeCb, actor: Actor, session: AsyncSession
) -> None:
    check = await ledger.check_balances(session)
    if len(check.differences) != callback_data.differences or not check.differences:
        # the ledger moved since the report: show the new one instead of fixing blind
        markup = fix_button(len(check.differences)) if check.differences else None
        await edit_or_send(callback, render_check(check), markup)
        await callback.answer(_("ℹ️ The figures changed: here is a fresh check."))
        return
    fixed = await ledger.recompute_balances(session, fix=True, actor_id=actor.user_id)
    done = ngettext(
        "🛠 {count} balance now matches the ledger.",
        "🛠 {count} balances now match the ledger.",
        len(fixed),
    ).format(count=len(fixed))
    await show_screen(callback, done, None)


def create_router() -> Router:
    router = Router(name="admin.balances")
    router.message.register(recompute, Command("recompute_balances"), flags=OWNER_ONLY)
    router.callback_query.register(fix, RecomputeCb.filter(), flags=OWNER_ONLY)
    return router
