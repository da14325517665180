"""The row under a paged list: ◀ page/pages ▶."""

from collections.abc import Callable

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton


def page_row(
    page: int, pages: int, data_of: Callable[[int], CallbackData | str]
) -> list[InlineKeyboardButton]:
    """◀ and ▶ where there is a page that way, the page number between (pressed, it shows the
    page again); nothing for a single page. `data_of(n)` is the button data of page n."""
    if pages <= 1:
        return []

    def button(text: str, number: int) -> InlineKeyboardButton:
        data = data_of(number)
        packed = data if isinstance(data, str) else data.pack()
        return InlineKeyboardButton(text=text, callback_data=packed)

    row = [button("◀", page - 1)] if page > 1 else []
    row.append(button(f"{page}/{pages}", page))
    if page < pages:
        row.append(button("▶", page + 1))
    return row
