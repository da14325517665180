"""What the multi-step forms share."""

from typing import Any

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import Message


def not_a_command(message: Message) -> bool:
    """Form steps leave commands to their handlers (/cancel, /help, …)."""
    return not (message.text or "").startswith("/")


async def in_state(state: FSMContext, *states: State) -> dict[str, Any] | None:
    """The form's data when it is at one of `states`; None for a stale or forged button."""
    if await state.get_state() not in {s.state for s in states}:
        return None
    return await state.get_data()
