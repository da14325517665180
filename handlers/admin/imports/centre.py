"""/export_centre (owners only): the centre as an XLSX in the templates' format and a JSON
of every table. Read in one transaction, drawn in worker threads, sent as two files."""

import asyncio

from aiogram import Bot
from aiogram.enums import ChatAction
from aiogram.types import BufferedInputFile, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters.access import OWNER_ONLY
from bot.services.access import Actor
from bot.services.imports import balances, courses, enrolments, groups, people, sheets, teachers
from bot.services.imports import export as export_service
from db.base import utcnow
from handlers.admin.imports import texts
from handlers.admin.imports.templates import template_table
from handlers.registry import Registry

TELEGRAM_UPLOAD_LIMIT = 50 * 1024 * 1024  # bytes a bot may send as a document

on = Registry(flags=OWNER_ONLY)


@on.command("export_centre")
async def export_centre(message: Message, bot: Bot, session: AsyncSession, actor: Actor) -> None:
    export = await export_service.collect(session, actor.user_id, utcnow())
    await bot.send_chat_action(actor.telegram_id, ChatAction.UPLOAD_DOCUMENT)
    rows = sum(len(table) for table in export.tables.values())
    summary = texts.export_summary(
        len(export.people), len(export.teachers), len(export.tables), rows
    )
    await message.answer(summary)
    stamp = export.generated_at.strftime("%Y%m%d-%H%M")
    workbook = await asyncio.to_thread(
        sheets.workbook,
        [
            template_table(people.KIND, export.people),
            template_table(teachers.KIND, export.teachers),
            template_table(courses.KIND, export.courses),
            template_table(groups.KIND, export.groups),
            template_table(enrolments.KIND, export.enrolments),
            template_table(balances.KIND, export.balances),
        ],
        texts.instructions(),
    )
    await bot.send_document(
        actor.telegram_id,
        BufferedInputFile(workbook, f"centre-{stamp}.xlsx"),
        caption=texts.export_caption_xlsx(),
    )
    document = await asyncio.to_thread(export_service.centre_json, export)
    if len(document) > TELEGRAM_UPLOAD_LIMIT:
        await message.answer(texts.export_too_big_text())
        return
    await bot.send_document(
        actor.telegram_id,
        BufferedInputFile(document, f"centre-{stamp}.json"),
        caption=texts.export_caption_json(),
    )
