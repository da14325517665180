"""Redis-backed FSM storage and throttling; the `/` command menus per language and role."""

import os
import uuid

import pytest
from aiogram.methods import SetMyCommands
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.commands_menu import register_command_menus
from bot.middlewares.throttling import RedisHitCounter
from bot.startup.app import create_dispatcher
from db.models import Permission, Role
from tests.chat import ChatClient, Person
from tests.conftest import make_settings
from tests.factories import make_user

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")  # flushed after


@pytest.fixture
async def redis():
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except RedisConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    yield client
    await client.flushdb()
    await client.aclose()


async def test_the_redis_counter_counts_per_user_within_the_window(redis):
    counter = RedisHitCounter(redis, window=30, prefix=f"test:{uuid.uuid4().hex}")
    assert [await counter.hit(1) for _ in range(3)] == [1, 2, 3]
    assert await counter.hit(2) == 1
    ttl = await redis.pttl(f"{counter.prefix}:1")
    assert 0 < ttl <= 30_000


async def test_the_consent_flow_survives_redis_storage(redis, database_url, session_factory, bot):
    settings = make_settings(database_url, redis_url=REDIS_URL)
    client = ChatClient(bot, create_dispatcher(settings, session_factory, redis=redis))
    person = Person(id=4_000_001, first_name="Rustam", language_code="ru")

    picker = await client.send(person, "/start welcome")  # the payload waits in Redis
    screen = await client.press(person, picker.callback_data("🇷🇺 Русский"), picker.message_id)
    done = await client.press(person, screen.callback_data("✅ Принимаю"), picker.message_id)

    assert done.texts[-1].startswith("👋 Здравствуйте, Rustam!")  # one greeting, the refusal in it
    assert "⚠️ Эта ссылка недействительна" in done.texts[-1]


async def test_menus_per_language_and_per_staff_chat(bot, settings, session_factory, session):
    teacher = Person(id=5_000_001, first_name="Teacher")
    await make_user(session, teacher, roles=[Role.TEACHER], language="ru")
    admin = Person(id=5_000_002, first_name="Admin")
    await make_user(session, admin, roles=[Role.ADMIN], permissions=[Permission.AUDIT])

    await register_command_menus(bot, settings, session_factory)

    calls = [c for c in bot.session.requests if isinstance(c, SetMyCommands)]
    defaults = {c.language_code: c for c in calls if c.scope.type == "default"}
    assert set(defaults) == {None, "uz", "ru", "en"}
    everyone = [command.command for command in defaults["en"].commands]
    assert "help" in everyone and "admin" not in everyone
    assert "apply" in everyone  # for people without a role; the staff's own menus leave it out
    assert defaults["ru"].commands[0].description == "Главное меню"
    chats = {c.scope.chat_id: c for c in calls if c.scope.type == "chat"}
    assert set(chats) == {teacher.id, admin.id, 1_000_001}  # the owner from settings too
    assert "admin" not in [c.command for c in chats[teacher.id].commands]
    assert all("apply" not in [c.command for c in chat.commands] for chat in chats.values())
    assert chats[teacher.id].commands[0].description == "Главное меню"
    assert {"admin", "audit"} <= {c.command for c in chats[admin.id].commands}
