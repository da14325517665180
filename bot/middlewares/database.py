"""One database session per update; closed (and rolled back if uncommitted) at the end."""

from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.middlewares import EventData, Handler


class DbSessionMiddleware(BaseMiddleware):
    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self.session_factory = session_factory

    async def __call__(self, handler: Handler, event: TelegramObject, data: EventData) -> Any:
        async with self.session_factory() as session:
            # Closing the session rolls back whatever a failed handler left uncommitted.
            data["session"] = session
            return await handler(event, data)
