"""/delete (POLICY 9): erase the user's personal data after two confirmations.

A ⚠️ screen says what is erased and what the centre keeps, with a button; then the
user types a word shown in the message. Only then does the service erase, in one
transaction; the user and the admins are told after the commit.
"""

import time
from html import escape

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.scene import ScenesManager
from aiogram.types import BotCommandScopeChat, CallbackQuery, Message, ReplyKeyboardRemove
from loguru import logger

from bot.config import Settings
from bot.delivery import Sender
from bot.forms import Form, FormContext, FormData, Refusal, Step
from bot.i18n import _
from bot.services import deletion as deletion_service
from db.models import Role
from handlers.buttons import show_screen
from handlers.common.privacy import consent_key
from keyboards.deletion import DeletionCb, deletion_confirmation


def confirmation_word() -> str:
    # The word the user must type to confirm: one word, capitals, in the user's language
    # (uz: OʻCHIRISH, ru: УДАЛИТЬ).
    return _("DELETE")


def explanation_text() -> str:
    return "\n".join(
        [
            _("⚠️ <b>Delete your personal data?</b>"),
            "",
            _("<b>Erased for good:</b>"),
            _("• your name, phone, email, Telegram username and id, birth date;"),
            _("• the texts you wrote, such as your support requests and their answers;"),
            _("• your consents, your roles and the links to your parents or children."),
            "",
            _(
                "<b>Kept by the centre:</b> your charges, payments, refunds and balance, "
                "because the centre must keep its books. They stay under an anonymous "
                "number, without your name, phone or Telegram id. Attendance and grades "
                "stay as statistics that no longer name you."
            ),
            "",
            _(
                "After this the bot no longer knows you: your schedule, grades and balance "
                "disappear from this chat and linked parents stop seeing you. "
                "This cannot be undone."
            ),
        ]
    )


def word_prompt(word: str) -> str:
    return "\n".join(
        [
            _(
                "⚠️ <b>Last step.</b> To erase your personal data for good, type the word "
                "<code>{word}</code> and send it."
            ).format(word=escape(word)),
            "",
            _("To keep your data, send /cancel."),
        ]
    )


class DeletionData(FormData):
    word: str = ""  # in the language the person was asked in


async def read_word(data: DeletionData, text: str | None, context: FormContext) -> None:
    if not deletion_service.word_matches(text, data.word):
        raise Refusal(
            _(
                "⚠️ That is not the word. Type <code>{word}</code> to erase your data, "
                "or send /cancel to keep it."
            ).format(word=escape(data.word))
        )


class DeletionForm(Form[DeletionData], state="deletion_form"):
    """The second confirmation: the typed word erases, at once (no summary)."""

    key = "dl"
    data_type = DeletionData
    confirms = False
    steps = (Step("word", lambda data: word_prompt(data.word), read=read_word),)

    def step_text(self, step: Step[DeletionData], data: DeletionData) -> str:
        return word_prompt(data.word)

    def reask_text(self, problem: str, step: Step[DeletionData], data: DeletionData) -> str:
        return problem

    async def save(self, data: DeletionData, context: FormContext) -> None:
        await erase(context)


async def explain(message: Message) -> None:
    await message.answer(explanation_text(), reply_markup=deletion_confirmation())


async def confirmed_by_button(callback: CallbackQuery, scenes: ScenesManager) -> None:
    await DeletionForm.open(scenes, DeletionData(word=confirmation_word()))


async def declined(callback: CallbackQuery, state: FSMContext) -> None:
    if await DeletionForm.is_open(state):
        await state.clear()
    await show_screen(callback, _("❌ Cancelled. Your data stays as it is."), None)


async def erase(context: FormContext) -> None:
    message: Message = context.event  # type: ignore[assignment]
    settings: Settings = context.settings
    state: FSMContext = context.state
    actor, bot = context.actor, context.bot
    deletion = await deletion_service.delete_user(
        context.session, actor.user_id, owner_ids=settings.telegram.owner_ids
    )
    if deletion is None:
        await message.answer(
            _("ℹ️ Your data has already been deleted."), reply_markup=ReplyKeyboardRemove()
        )
        return
    # Committed: from here on only Telegram calls, no transaction is open.
    await forget_chat(state)
    await message.answer(
        "\n".join(
            [
                _("✅ Your personal data is deleted."),
                "",
                _(
                    "The centre keeps only its books — charges, payments, refunds and the "
                    "balance — under an anonymous number. If you write to the bot again, "
                    "it will meet you as a new user."
                ),
            ]
        ),
        reply_markup=ReplyKeyboardRemove(),
    )
    if actor.roles & {Role.ADMIN, Role.TEACHER} and not actor.is_owner:
        await reset_command_menu(bot, actor.telegram_id)
    await notify_admins(bot, context.sender, deletion)


async def forget_chat(state: FSMContext) -> None:
    """Drop what the consent flow remembered about this chat.

    Marking the renewal as just asked keeps the consent gate from asking the person
    who has just left to accept a newer policy version in the same breath.
    """
    await state.storage.set_data(consent_key(state), {"renewal_asked": time.time()})


async def reset_command_menu(bot: Bot, chat_id: int) -> None:
    try:
        await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id=chat_id))
    except TelegramAPIError as error:
        logger.warning("command menu of a deleted user not reset: {}", error.message)


async def notify_admins(bot: Bot, sender: Sender, deletion: deletion_service.Deletion) -> None:
    for recipient in deletion.recipients:
        await sender.notify(
            bot,
            recipient,
            lambda: _("🗑 A user deleted their personal data (id {id}).").format(
                id=deletion.user_id
            ),
        )


def create_router() -> Router:
    router = Router(name="common.deletion")
    router.message.register(explain, Command("delete"))
    router.callback_query.register(confirmed_by_button, DeletionCb.filter(F.action == "yes"))
    router.callback_query.register(declined, DeletionCb.filter(F.action == "no"))
    router.include_router(DeletionForm.as_router())
    return router
