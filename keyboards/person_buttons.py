"""Buttons that name a person (a child on /mydata, /export, /children)."""

from collections.abc import Callable, Iterable

from aiogram.filters.callback_data import CallbackData
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import _
from bot.services.mydata import PersonRef

BUTTON_NAME_MAX = 40


def person_label(ref: PersonRef) -> str:
    name = ref.full_name or _("No name")
    if len(name) > BUTTON_NAME_MAX:
        name = name[: BUTTON_NAME_MAX - 1] + "…"
    return name


def add_person_buttons(
    builder: InlineKeyboardBuilder,
    people: Iterable[PersonRef],
    label: str,
    data: Callable[[int], CallbackData],
) -> None:
    """One button a person: `label` with their {name}, pressing `data(their id)`."""
    for person in people:
        builder.button(text=label.format(name=person_label(person)), callback_data=data(person.id))
