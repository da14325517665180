"""/backup: make a verified backup now; owners may ask for the file itself (POLICY 15)."""

import asyncio
from html import escape

from aiogram import Bot, Router
from aiogram.enums import ChatAction
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.filters.access import OWNER_ONLY
from bot.i18n import _
from bot.services import backup as backup_service
from bot.services.access import Actor
from bot.services.backup import NAME_PATTERN, BackupError, BackupResult
from db.models import Permission
from keyboards.backup import BackupCb, send_file_button

NEEDS_BACKUPS = {"permission": Permission.BACKUPS}
TELEGRAM_UPLOAD_LIMIT = 50 * 1024 * 1024  # bytes a bot may send as a document


def format_size(size: int) -> str:
    if size < 1024:
        return _("{size} B").format(size=size)
    if size < 1024 * 1024:
        return _("{size} KB").format(size=f"{size / 1024:.1f}")
    return _("{size} MB").format(size=f"{size / (1024 * 1024):.1f}")


def render_result(result: BackupResult, keep: int) -> str:
    if result.tables:
        check = _(
            "✅ Check passed: integrity ok, {tables} tables, {rows} rows as in the database"
        ).format(tables=len(result.tables), rows=sum(result.tables.values()))
    else:
        check = _("✅ Check passed: pg_restore reads the dump")
    if result.encrypted:
        sealed = _("🔒 Encrypted with BACKUP_KEY")
    else:
        sealed = _("⚠️ Not encrypted: BACKUP_KEY is not set")
    return "\n".join(
        [
            _("💾 <b>Backup made</b>"),
            f"<code>{escape(result.path.name)}</code>",
            _("📦 Size: {size}").format(size=format_size(result.size)),
            check,
            sealed,
            _("🗂 The newest {keep} backups are kept.").format(keep=keep),
        ]
    )


async def backup_now(
    message: Message, actor: Actor, session: AsyncSession, settings: Settings, bot: Bot
) -> None:
    await session.rollback()  # no read transaction is held across the Telegram call
    await bot.send_chat_action(actor.telegram_id, ChatAction.TYPING)
    try:
        result = await backup_service.backup_now(session, settings, actor.user_id)
    except BackupError as error:
        await message.answer(
            _("❌ <b>The backup failed</b>\n{error}\nThe previous backups are kept.").format(
                error=f"<code>{escape(str(error))}</code>"
            )
        )
        return
    markup = send_file_button(result.path.name) if actor.is_owner else None
    await message.answer(render_result(result, settings.backup.backup_keep), reply_markup=markup)


async def send_file(
    callback: CallbackQuery,
    callback_data: BackupCb,
    actor: Actor,
    session: AsyncSession,
    settings: Settings,
    bot: Bot,
) -> None:
    """Owners only (the guard refuses anyone else, whoever pressed the button)."""
    name = callback_data.name
    path = settings.backup.backup_dir / name
    if not NAME_PATTERN.match(name) or not path.is_file():
        await callback.answer(_("⚠️ That backup is no longer kept."), show_alert=True)
        return
    if path.stat().st_size > TELEGRAM_UPLOAD_LIMIT:
        await callback.answer(
            _("⚠️ The file is larger than Telegram allows (50 MB): copy it from the server."),
            show_alert=True,
        )
        return
    await backup_service.file_sent(session, actor.user_id, name)
    data = await asyncio.to_thread(path.read_bytes)
    await bot.send_document(
        actor.telegram_id,
        BufferedInputFile(data, name),
        caption=_("💾 Backup {name}. Keep it safe: it holds everyone's data.").format(
            name=f"<code>{escape(name)}</code>"
        ),
    )
    await callback.answer()


def create_router() -> Router:
    router = Router(name="admin.backup")
    router.message.register(backup_now, Command("backup"), flags=NEEDS_BACKUPS)
    router.callback_query.register(send_file, BackupCb.filter(), flags=NEEDS_BACKUPS | OWNER_ONLY)
    return router
