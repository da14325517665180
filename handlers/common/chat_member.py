"""A user blocking or unblocking the bot in their private chat."""

from aiogram import F, Router
from aiogram.enums import ChatMemberStatus, ChatType
from aiogram.types import ChatMemberUpdated
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import users as users_service


async def bot_blocked_or_unblocked(update: ChatMemberUpdated, session: AsyncSession) -> None:
    reachable = update.new_chat_member.status not in (
        ChatMemberStatus.KICKED,
        ChatMemberStatus.LEFT,
    )
    await users_service.set_reachable(session, update.chat.id, reachable)


def create_router() -> Router:
    router = Router(name="common.chat_member")
    router.my_chat_member.register(bot_blocked_or_unblocked, F.chat.type == ChatType.PRIVATE)
    return router
