"""Matches a main-menu button in the user's current language."""

from aiogram.filters import Filter
from aiogram.types import Message

from bot.commands import menu_label


class MenuButton(Filter):
    def __init__(self, key: str) -> None:
        self.key = key

    async def __call__(self, message: Message) -> bool:
        return message.text is not None and message.text == menu_label(self.key)
