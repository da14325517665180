"""/export: a copy of my data, or a linked child's, as JSON and XLSX (POLICY 7), one a minute."""

from html import escape

from aiogram import Bot, F, Router
from aiogram.enums import ChatAction
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import Outcome, Recipient, Sender
from bot.i18n import _
from bot.services import export as export_service
from bot.services import mydata as mydata_service
from bot.services.access import Actor
from bot.wording import stale_button_text
from db.base import utcnow
from handlers.buttons import refuse_forged
from keyboards.mydata import MyDataCb, export_choice


def wait_text(seconds: int) -> str:
    return _("⏳ One copy a minute, please. Try again in {seconds} s.").format(seconds=seconds)


async def end_read(session: AsyncSession) -> None:
    """Close the read transaction before talking to Telegram (nothing was written)."""
    await session.rollback()


async def deliver_export(
    bot: Bot, sender: Sender, actor: Actor, session: AsyncSession, subject_id: int
) -> None:
    """Build and send both files (through the sender: paced, a 429 waited out); the caller
    checked the right and the one-a-minute limit."""
    await bot.send_chat_action(actor.telegram_id, ChatAction.UPLOAD_DOCUMENT)
    files = await export_service.export(session, actor.user_id, subject_id, utcnow())
    if files is None:
        await bot.send_message(actor.telegram_id, stale_button_text())
        return
    name = escape(files.full_name or _("No name"))
    recipient = Recipient(actor.user_id, actor.telegram_id, actor.language)
    sent = await sender.send_file(
        bot,
        recipient,
        BufferedInputFile(files.json_bytes, files.json_name),
        caption=_("📦 Data of {name}: every record, as JSON.").format(name=name),
    )
    if sent.outcome is not Outcome.SENT:
        return
    await sender.send_file(
        bot,
        recipient,
        BufferedInputFile(files.xlsx_bytes, files.xlsx_name),
        caption=_("📊 Data of {name}: the same records as tables (XLSX).").format(name=name),
    )


async def export_command(
    message: Message, actor: Actor, session: AsyncSession, bot: Bot, sender: Sender
) -> None:
    children = await mydata_service.children(session, actor.user_id)
    if children:
        await end_read(session)
        await message.answer(
            _("📦 Whose data should I send?"), reply_markup=export_choice(actor.user_id, children)
        )
        return
    wait = await export_service.seconds_to_wait(session, actor.user_id, utcnow())
    await end_read(session)
    if wait:
        await message.answer(wait_text(wait))
        return
    await deliver_export(bot, sender, actor, session, actor.user_id)


async def export_pressed(
    callback: CallbackQuery,
    callback_data: MyDataCb,
    actor: Actor,
    session: AsyncSession,
    bot: Bot,
    sender: Sender,
) -> None:
    subject_id = callback_data.user
    if not await mydata_service.may_see(session, actor.user_id, subject_id):
        await refuse_forged(callback, actor, session, export_service.ACTION, subject_id)
        return
    wait = await export_service.seconds_to_wait(session, actor.user_id, utcnow())
    await end_read(session)
    if wait:
        await callback.answer(wait_text(wait), show_alert=True)
        return
    await callback.answer(_("⏳ Preparing the files…"))
    await deliver_export(bot, sender, actor, session, subject_id)


def create_router() -> Router:
    router = Router(name="common.export")
    router.message.register(export_command, Command("export"))
    router.callback_query.register(export_pressed, MyDataCb.filter(F.action == "export"))
    return router
