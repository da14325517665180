"""The reference for start-up and memory: a trivial aiogram echo bot, no database, no scheduler.

Run by `benchmarks/startup.py` beside the real bot, started the same way and against the same
fake Bot API server, so their ratio holds on any machine. Reads BOT_TOKEN and TELEGRAM_API_URL.
"""

import asyncio
import os

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message

dispatcher = Dispatcher()


@dispatcher.message()
async def echo(message: Message) -> None:
    await message.answer(message.text or "…")


async def main() -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["TELEGRAM_API_URL"]))
    bot = Bot(os.environ["BOT_TOKEN"], session=session)
    await bot.delete_webhook()
    await dispatcher.start_polling(bot, handle_signals=True)


if __name__ == "__main__":
    asyncio.run(main())
