"""Builds the Bot, the Dispatcher with its middlewares (in the order of DESIGN.md) and routers."""

from aiogram import Bot, Dispatcher, F
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import PRODUCTION, TelegramAPIServer
from aiogram.dispatcher.middlewares.manager import MiddlewareManager
from aiogram.enums import ChatType, ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.fsm.storage.redis import DefaultKeyBuilder, RedisEventIsolation, RedisStorage
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.client import TelegramSession
from bot.commands_menu import register_command_menus
from bot.config import Settings
from bot.delivery import Sender
from bot.forms.engine import register_forms
from bot.middlewares.analytics import UsageCountMiddleware
from bot.middlewares.consent import ConsentGate
from bot.middlewares.database import DbSessionMiddleware
from bot.middlewares.dedup import MemorySeenUpdates, RedisSeenUpdates, SeenUpdates, UpdateGate
from bot.middlewares.logging import HandlerNameMiddleware, UpdateLoggingMiddleware
from bot.middlewares.nul_bytes import NulByteGuard
from bot.middlewares.throttling import (
    HitCounter,
    MemoryHitCounter,
    RedisHitCounter,
    ThrottlingMiddleware,
)
from bot.middlewares.user import LocaleMiddleware, UserMiddleware
from bot.routing import run_sync_filters_inline
from bot.services.analytics import UsageTally
from bot.services.reports.cache import ReportCache
from bot.wording import stale_button_text
from handlers import get_routers
from handlers.admin.reports.menu import KINDS as REPORT_VIEWS
from handlers.common import privacy

HANDLED_OBSERVERS = (
    "message",
    "callback_query",
    "pre_checkout_query",
    "my_chat_member",
    "error",
)


def bot_id(settings: Settings) -> str:
    """The bot's numeric id: the part of the token before the colon."""
    return settings.telegram.bot_token.get_secret_value().partition(":")[0]


def create_bot(settings: Settings) -> Bot:
    api = PRODUCTION
    if settings.telegram.telegram_api_url:
        api = TelegramAPIServer.from_base(settings.telegram.telegram_api_url)
    return Bot(
        token=settings.telegram.bot_token.get_secret_value(),
        session=TelegramSession(api=api),
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


class SharedRedisStorage(RedisStorage):
    """FSM storage on a Redis client it does not own. aiogram closes the storage as soon as
    polling stops, while the updates in flight are still finishing; the client is shared with
    event isolation, throttling, the outbound pace and the leader lock, so it is closed by
    the runner, last."""

    async def close(self) -> None:
        return None


def _register_outermost(middlewares: MiddlewareManager, gate: UpdateGate) -> None:
    """The gate before aiogram's own outer middlewares: a repeated update is dropped before
    it takes the person's lock, and an update waiting for that lock (event isolation, in
    aiogram's FSM middleware) already counts as in flight, so a stop waits for it."""
    builtin = list(middlewares)
    for middleware in builtin:
        middlewares.unregister(middleware)
    for middleware in (gate, *builtin):
        middlewares.register(middleware)


def create_dispatcher(
    settings: Settings,
    session_factory: async_sessionmaker[AsyncSession],
    *,
    redis: Redis | None = None,
    storage: BaseStorage | None = None,
    hit_counter: HitCounter | None = None,
    sender: Sender | None = None,
    usage_tally: UsageTally | None = None,
    report_cache: ReportCache | None = None,
) -> Dispatcher:
    """The dispatcher with every middleware and router; `sender` sends what the bot starts
    itself (a default one paced by SEND_RATE is made when none is given); `usage_tally`
    keeps the command counts until they are flushed; `report_cache` the reports already
    drawn (bot.services.reports.cache)."""
    isolation: BaseEventIsolation
    if redis is not None:
        # Destinies keep the consent flow's notes apart from forms (see handlers/common/privacy.py).
        key_builder = DefaultKeyBuilder(prefix="educrm", with_destiny=True)
        storage = storage or SharedRedisStorage(redis, key_builder=key_builder)
        isolation = RedisEventIsolation(redis, key_builder=key_builder)
        hit_counter = hit_counter or RedisHitCounter(redis, settings.runtime.throttle_window)
        seen: SeenUpdates = RedisSeenUpdates(redis, bot_id(settings))
    else:
        storage = storage or MemoryStorage()
        isolation = SimpleEventIsolation()
        hit_counter = hit_counter or MemoryHitCounter(settings.runtime.throttle_window)
        seen = MemorySeenUpdates()
    gate = UpdateGate(seen)

    dispatcher = Dispatcher(
        storage=storage,
        events_isolation=isolation,
        settings=settings,
        session_factory=session_factory,
        sender=sender or Sender(session_factory, rate=settings.runtime.send_rate),
        update_gate=gate,
        usage_tally=usage_tally or UsageTally(session_factory),
        report_cache=report_cache or ReportCache(),
        # how /reports counts and words each report, for the Mini App's reports screen
        # (bot.webapp sits beside the handlers, so it is handed in, as to the digest job)
        report_views=REPORT_VIEWS,
    )
    # The bot serves people in private chats; a group it was added to is ignored.
    dispatcher.message.filter(F.chat.type == ChatType.PRIVATE)

    default_language = settings.centre.default_language
    _register_outermost(dispatcher.update.outer_middleware, gate)
    dispatcher.update.outer_middleware(UpdateLoggingMiddleware())
    dispatcher.update.outer_middleware(
        ThrottlingMiddleware(
            hit_counter, settings.runtime.throttle_rate, session_factory, default_language
        )
    )
    dispatcher.update.outer_middleware(DbSessionMiddleware(session_factory))
    dispatcher.update.outer_middleware(UserMiddleware(settings))
    dispatcher.update.outer_middleware(LocaleMiddleware(default_language))
    dispatcher.update.outer_middleware(NulByteGuard(stale_button_text))
    handler_names = HandlerNameMiddleware()
    for name in HANDLED_OBSERVERS:
        dispatcher.observers[name].middleware(handler_names)
    consent_gate = ConsentGate(privacy.ask_for_consent, privacy.ask_to_renew)
    dispatcher.message.middleware(consent_gate)
    dispatcher.callback_query.middleware(consent_gate)
    dispatcher.message.middleware(UsageCountMiddleware())

    dispatcher.include_routers(*get_routers())
    register_forms(dispatcher)
    run_sync_filters_inline(dispatcher)
    dispatcher.startup.register(_on_startup)
    return dispatcher


async def _on_startup(
    bot: Bot, settings: Settings, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    await register_command_menus(bot, settings, session_factory)
