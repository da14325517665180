"""Where a form's screens go, for forms that differ from the engine's default."""

from aiogram.types import CallbackQuery

from bot.forms.engine import FormContext, Markup, reply
from keyboards.forms import FormCb


async def below_the_opener(key: str, context: FormContext, text: str, markup: Markup) -> None:
    """The screen a form opens with, from a button of another screen (a card, a ticket),
    comes as a new message under it, which stays readable; the form's own buttons edit
    their message and typed answers get a new one, as by default."""
    event = context.event
    if isinstance(event, CallbackQuery) and not _own_button(key, event):
        await event.bot.send_message(event.from_user.id, text, reply_markup=markup)  # type: ignore[union-attr]
        return
    await reply(context, text, markup)


def _own_button(key: str, callback: CallbackQuery) -> bool:
    try:
        return FormCb.unpack(callback.data or "").form == key
    except (TypeError, ValueError):
        return False
