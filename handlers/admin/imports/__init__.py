"""📥 /import (students, parents and teachers: permission `users`; courses, groups and
enrolments: `academic`; opening balances: `payments`; owners always): the template, the
filled file back, the dry run, ✅ Apply and ↩️ Undo.

/import shows what to do and waits for a file (an FSM state: a document sent anywhere
else is nobody's business here). A file is downloaded, read and matched off the event
loop (a worker thread) and answered with the dry run and, when rows have problems, a
spreadsheet of those rows with a «problem» column; nothing is written. ✅ Apply downloads
the same file again (its sha256 must be the dry run's), applies it in one transaction and
edits a progress line every few seconds meanwhile (from a task of its own: the
transaction never waits on Telegram); the invitation links follow as a spreadsheet.
"""

import asyncio
import contextlib
from datetime import date

from aiogram import Bot, F, Router
from aiogram.enums import ChatAction
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, Document, Message
from loguru import logger
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.i18n import _
from bot.services import audit, worker
from bot.services import imports as imports_service
from bot.services import invites as invites_service
from bot.services.access import Actor
from bot.services.imports import KINDS, ImportKind, people, sheets
from bot.services.imports.people import Applied, BatchInfo, Parsed, Plan, Progress, Undo
from bot.services.imports.reading import FILE_MAX_BYTES, ReadProblem, Unreadable
from bot.telegram import edit_or_send
from bot.wording import cancelled_text, refusal_text, stale_button_text
from db.base import utcnow
from handlers.admin.imports import centre, texts
from handlers.admin.imports.templates import template_bytes
from handlers.registry import Registry
from keyboards.imports import (
    ImportCb,
    dry_run_keyboard,
    import_menu,
    undo_confirmation,
    undo_keyboard,
)

PROGRESS_SECONDS = 3.0  # how often the progress line is edited while a file is applied

# The admin role's guard lets every admin in; each kind's permission is checked here, as a
# template, a file, ✅ Apply or ↩️ Undo names its kind (people and teachers: `users`,
# courses, groups and enrolments: `academic`, balances: `payments`; owners hold all).
on = Registry(ImportCb)


class ImportFlow(StatesGroup):
    waiting = State()  # for the filled file (its dry run's facts in the state's data)


def today(settings: Settings) -> date:
    return utcnow().astimezone(settings.centre.tz).date()


async def _deny(
    event: Message | CallbackQuery, session: AsyncSession, actor: Actor, needs: str, where: str
) -> None:
    """The refusal every guarded screen gives, with its `denied` audit entry."""
    kind = "message" if isinstance(event, Message) else "callback"
    await audit.record_denied(
        session,
        actor_id=actor.user_id,
        action="access.denied",
        details={"needs": needs, "handler": where, "event": kind},
    )
    if isinstance(event, Message):
        await event.answer(refusal_text())
    else:
        await event.answer(refusal_text(), show_alert=True)


def allowed(actor: Actor) -> list[str]:
    return imports_service.allowed_kinds(actor.can)


def needs_any() -> str:
    return "|".join(sorted({kind.permission.value for kind in KINDS.values()}))


@on.command("import")
async def import_command(
    message: Message, state: FSMContext, session: AsyncSession, actor: Actor
) -> None:
    kinds = allowed(actor)
    if not kinds:
        await _deny(message, session, actor, needs_any(), "import_command")
        return
    await state.set_state(ImportFlow.waiting)
    await state.set_data({"kind": kinds[0]})
    worker.warm_up()  # the process that reads the file, started while the admin picks it
    await message.answer(texts.menu_text(), reply_markup=import_menu(kinds))


@on.button("tpl", where=F.kind.in_(KINDS))
async def template_pressed(
    callback: CallbackQuery,
    callback_data: ImportCb,
    bot: Bot,
    actor: Actor,
    state: FSMContext,
    session: AsyncSession,
) -> None:
    kind = callback_data.kind
    if kind not in allowed(actor):
        await _deny(callback, session, actor, KINDS[kind].permission.value, "template_pressed")
        return
    await session.rollback()  # nothing read stays open across Telegram
    await callback.answer()
    await state.set_state(ImportFlow.waiting)
    await state.set_data({"kind": kind})  # the kind a file sent next is read as first
    await bot.send_chat_action(actor.telegram_id, ChatAction.UPLOAD_DOCUMENT)
    # a worker thread runs with a copy of this task's context: the admin's language
    data = await asyncio.to_thread(template_bytes, kind)
    await bot.send_document(
        actor.telegram_id,
        BufferedInputFile(data, f"import-{kind}.xlsx"),
        caption=texts.template_caption(kind),
    )


async def _download(bot: Bot, file_id: str) -> bytes | None:
    try:
        buffer = await bot.download(file_id)
    except (TimeoutError, TelegramAPIError, OSError):
        return None
    return None if buffer is None else buffer.getvalue()


async def _refuse(
    message: Message, session: AsyncSession, actor: Actor, name: str, reason: str, text: str
) -> None:
    await imports_service.record_refusal(session, actor.user_id, name, reason)
    await message.answer(text)


async def _read(
    data: bytes, kind: str, kinds: list[str], settings: Settings
) -> tuple[ImportKind, Parsed]:
    return await imports_service.read_any_apart(
        data,
        kind,
        texts.header_titles(),
        region=settings.centre.phone_region,
        today=today(settings),
        kinds=kinds,
    )


async def file_received(
    message: Message,
    bot: Bot,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    state: FSMContext,
) -> None:
    kinds = allowed(actor)
    if not kinds:  # the rights were taken away since /import
        await _deny(message, session, actor, needs_any(), "file_received")
        return
    document: Document = message.document  # type: ignore[assignment]
    name = document.file_name or "file"
    if document.file_size is not None and document.file_size > FILE_MAX_BYTES:
        text = texts.read_problem_text(ReadProblem.TOO_BIG)
        await _refuse(message, session, actor, name, ReadProblem.TOO_BIG.value, text)
        return
    await session.rollback()
    await bot.send_chat_action(actor.telegram_id, ChatAction.TYPING)
    data = await _download(bot, document.file_id)
    if data is None:
        await message.answer(texts.download_failed_text())
        return
    preferred = (await state.get_data()).get("kind", kinds[0])
    try:
        kind, parsed = await _read(data, preferred, kinds, settings)
    except Unreadable as refused:
        text = texts.read_problem_text(refused.problem)
        await _refuse(message, session, actor, name, refused.problem.value, text)
        return
    except imports_service.MissingColumns as missing:
        text = texts.missing_columns_text(missing.missing)
        await _refuse(message, session, actor, name, "missing_columns", text)
        return
    the_plan = await kind.dry_run(session, parsed, settings.centre.default_language)
    await session.rollback()  # the dry run wrote nothing; nothing stays open across Telegram
    await state.set_state(ImportFlow.waiting)
    await state.set_data(
        {
            "kind": kind.key,
            "file_id": document.file_id,
            "file_name": name,
            "sha256": people.file_hash(data),
        }
    )
    await message.answer(
        texts.dry_run_text(name, the_plan, kind.key),
        reply_markup=dry_run_keyboard(the_plan.changes),
    )
    if the_plan.issues:
        await bot.send_chat_action(actor.telegram_id, ChatAction.UPLOAD_DOCUMENT)
        problems = await worker.run(sheets.workbook, [problems_table(the_plan)])
        await bot.send_document(
            actor.telegram_id,
            BufferedInputFile(problems, f"problems-{_stem(name)}.xlsx"),
            caption=texts.problems_caption(),
        )


def _stem(name: str) -> str:
    stem = name.rsplit(".", 1)[0] or "file"
    return "".join(char if char.isalnum() or char in "-_" else "_" for char in stem)[:60]


def problems_table(the_plan: Plan) -> sheets.Table:
    """The rows with problems, the sheet's own cells and a «problem» column, in the
    admin's language (the workbook itself is written in the worker process)."""
    parsed = the_plan.parsed
    rows = []
    for row, issues in people.problem_rows(parsed, the_plan.issues):
        cells = list(parsed.cells.get(row, ()))
        described = "; ".join(
            (texts.column_title(i.column) + ": " if i.column else "") + texts.reason(i)
            for i in issues
        )
        rows.append([row, *cells, described])
    header = [_("Row"), *parsed.header, texts.problem_column()]
    return sheets.Table(
        title=texts.problems_title(),
        header=header,
        rows=rows,
        widths=[6] + [18] * len(parsed.header) + [60],
        marked_column=len(header) - 1,
    )


async def not_a_document(message: Message) -> None:
    await message.answer(texts.not_a_document_text())


async def _tick(bot: Bot, chat_id: int, message_id: int, progress: Progress) -> None:
    """The progress line, edited every PROGRESS_SECONDS while it changes."""
    shown = ""
    while True:
        await asyncio.sleep(PROGRESS_SECONDS)
        text = texts.progress_text(progress.done, progress.total)
        if text != shown:
            with contextlib.suppress(TelegramAPIError):
                await bot.edit_message_text(text, chat_id=chat_id, message_id=message_id)
            shown = text


@on.button("apply")
async def apply_pressed(
    callback: CallbackQuery,
    bot: Bot,
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    state: FSMContext,
) -> None:
    facts = await state.get_data()
    if not facts.get("file_id") or not isinstance(callback.message, Message):
        await callback.answer(stale_button_text(), show_alert=True)
        return
    # the dry run is claimed at once: a second tap (or a second Apply under another copy of
    # the message) finds none and gets the out-of-date answer, so a file is applied once
    await state.update_data(file_id=None)
    if facts["kind"] not in allowed(actor):
        await _deny(callback, session, actor, KINDS[facts["kind"]].permission.value, "apply")
        return
    await session.rollback()
    await callback.answer(_("⏳ Importing…"))
    name = facts["file_name"]
    data = await _download(bot, facts["file_id"])
    if data is None or people.file_hash(data) != facts["sha256"]:
        await imports_service.record_refusal(session, actor.user_id, name, "changed")
        await edit_or_send(callback, texts.changed_file_text(), None)
        return
    try:
        kind, parsed = await _read(data, facts["kind"], [facts["kind"]], settings)
    except (Unreadable, imports_service.MissingColumns):
        await imports_service.record_refusal(session, actor.user_id, name, "changed")
        await edit_or_send(callback, texts.changed_file_text(), None)
        return
    progress = Progress()
    await edit_or_send(callback, texts.progress_text(0, len(parsed.rows)), None)
    ticker = asyncio.create_task(
        _tick(bot, actor.telegram_id, callback.message.message_id, progress)
    )
    try:
        result = await kind.apply(
            session,
            actor.user_id,
            parsed,
            file_name=name,
            digest=facts["sha256"],
            default_language=settings.centre.default_language,
            now=utcnow(),
            today=today(settings),
            settings=settings,
            progress=progress,
        )
    except Exception:
        logger.exception("the import of {} failed; nothing was written", name)
        result = None
    finally:
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker
    await state.clear()
    if result is None:
        await edit_or_send(callback, texts.failed_text(), None)
        return
    if result.outcome is Applied.NOTHING:
        await edit_or_send(callback, texts.nothing_applied_text(kind.key, result.counts), None)
        return
    await edit_or_send(
        callback, texts.applied_text(name, result), undo_keyboard(result.batch_id or 0)
    )
    if not result.invited:  # courses: nobody to invite
        return
    me = await bot.me()
    await bot.send_chat_action(actor.telegram_id, ChatAction.UPLOAD_DOCUMENT)
    roles = {role: texts.role_word(role) for role in {person.role for person in result.invited}}
    rows = [
        [
            person.name,
            person.phone or "",  # formatted in the worker: 10 000 of them take a second
            roles[person.role],
            person.child or "",
            invites_service.link(me.username or "", person.code),
        ]
        for person in result.invited
    ]
    table = sheets.Table(
        title=texts.invites_title(),
        header=texts.invites_header(),
        rows=rows,
        widths=[28, 20, 10, 28, 60],
    )
    invitations = await worker.run(sheets.workbook_with_phones, table, 1)
    await bot.send_document(
        actor.telegram_id,
        BufferedInputFile(invitations, f"invitations-{_stem(name)}.xlsx"),
        caption=texts.invites_caption(),
    )


@on.button("drop")
async def drop_pressed(callback: CallbackQuery, state: FSMContext) -> None:
    await state.clear()
    await edit_or_send(callback, cancelled_text(), None)
    await callback.answer()


async def _may_undo(
    callback: CallbackQuery, session: AsyncSession, actor: Actor, batch: BatchInfo
) -> bool:
    kind = KINDS.get(batch.kind)
    if kind is None or not actor.can(kind.permission):
        needs = kind.permission.value if kind else needs_any()
        await _deny(callback, session, actor, needs, "undo")
        return False
    return True


@on.button("undo", batch=people.get_batch)
async def undo_pressed(
    callback: CallbackQuery, session: AsyncSession, actor: Actor, batch: BatchInfo
) -> None:
    if not await _may_undo(callback, session, actor, batch):
        return
    question = texts.undo_question(batch.file_name, batch.kind)
    await edit_or_send(callback, question, undo_confirmation(batch.id))
    await callback.answer()


@on.button("undoy", batch=people.get_batch)
async def undo_confirmed(
    callback: CallbackQuery, session: AsyncSession, actor: Actor, batch: BatchInfo
) -> None:
    if not await _may_undo(callback, session, actor, batch):
        return
    result = await people.undo(session, actor.user_id, batch.id, utcnow())
    if result.outcome is Undo.MISSING:
        await callback.answer(stale_button_text())
        return
    await edit_or_send(callback, texts.undo_text(result), None)
    await callback.answer()


@on.button("keep", batch=people.get_batch)
async def undo_kept(callback: CallbackQuery, batch: BatchInfo) -> None:
    await edit_or_send(callback, texts.kept_text(), undo_keyboard(batch.id))
    await callback.answer()


def create_router() -> Router:
    router = on.router("admin.imports")
    centre.on.register(router)
    waiting = StateFilter(ImportFlow.waiting)
    router.message.register(file_received, waiting, F.document)
    router.message.register(not_a_document, waiting, F.photo | F.video | F.audio)
    return router
