"""Importing a 5 000-row people file (issue 19) through the real Dispatcher, each row a
student with a parent, while a student keeps asking for /schedule.

Each run on an empty centre (an admin with `users`, a student in a group with lessons):
  dry run — the admin sends the file as a document: downloaded, read (the worker process),
            matched, the dry run answered (nothing written);
  apply   — ✅ Apply pressed: downloaded and read again, matched again and written in one
            transaction (10 000 people, their roles, 5 000 parent links, 10 000
            invitations, the batch's items, the audit entry), the invitation links' XLSX;
  again   — the same file sent again: its dry run on the centre it filled (all found);
  undo    — ↩️ Undo, then its confirmation: everything it created removed.
Each is the time from feeding the update to the handler's end (min / median / max, ms);
"worker" is /import's answer and the worker process ready (started in the first run only:
it then imports this script too, as `spawn` does of a script; the bot's worker, under
`python -m bot`, imports only the import's modules, about 2 s).
Meanwhile the student sends /schedule every --every ms (a task of its own each, whether
the last one was answered or not), fed to the same Dispatcher: the time from the feed to
the bot's sendMessage to the student (the fake session notes it) is that update's
latency; min / median / p99 / max and the count, per step, over all runs. "idle" is the
same for a second with nothing else running. And the peak RSS of the bot's process and of
the import's worker process (the file is read and the large spreadsheets written there:
bot/services/worker.py). As in the runner, the objects of start-up are left out
of garbage collection (`gc.freeze`): else a full collection scans them all, a pause of
half a second here and there.
Goals (issue 19): dry run ≤ 5 s, apply ≤ 10 s, RSS ≤ 400 MB, /schedule p99 ≤ 200 ms.

Usage:
    .venv/bin/python benchmarks/import.py [--rows 5000] [--runs 3] [--every 30]
        [--postgres URL] [--no-sqlite]
"""

import argparse
import asyncio
import contextvars
import gc
import io
import random
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from itertools import count
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from aiogram.methods import SendMessage  # noqa: E402
from aiogram.types import (  # noqa: E402
    CallbackQuery,
    Chat,
    Document,
    InlineKeyboardMarkup,
    Message,
    Update,
    User,
)
from loguru import logger  # noqa: E402
from openpyxl import Workbook  # noqa: E402

import db.models  # noqa: E402, F401
from bot.delivery import Sender  # noqa: E402
from bot.services import worker  # noqa: E402
from bot.services.imports import people  # noqa: E402
from bot.startup.app import create_dispatcher  # noqa: E402
from bot.startup.runner import _freeze_startup_objects  # noqa: E402
from db.base import Base  # noqa: E402
from db.engine import create_engine, create_session_factory  # noqa: E402
from db.models import Permission, Role  # noqa: E402
from keyboards.imports import ImportCb  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.factories import make_enrolment, make_group, make_lessons, make_user  # noqa: E402
from tests.mocked_bot import BOT_ID, MockedBot  # noqa: E402

FIRST = ["Ali", "Vali", "Laylo", "Sardor", "Dilnoza", "Bobur", "Zuhra", "Jasur", "Malika", "Aziz"]
LAST = ["Valiyev", "Karimov", "Aliyev", "Rashidov", "Yusupov", "Nazarov", "Tursunov", "Qodirov"]
ADMIN_ID = 7_000_001
STUDENT_ID = 7_000_002
STEPS = ("idle", "dry run", "apply", "again", "undo")
_ids = count(1)


def letters(number: int) -> str:
    """A number as a made-up word (names hold no digits): 0 → Ba, 1 → Be, …"""
    syllables = [c + v for c in "bdgklmnrstz" for v in "aeiou"]
    word = ""
    while True:
        number, rest = divmod(number, len(syllables))
        word += syllables[rest]
        if not number:
            return word.capitalize()


def people_file(rows: int, seed: int = 19) -> bytes:
    """The people template's columns (their keys as the header), every row a new student
    with a new parent."""
    rng = random.Random(seed)
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append([column.key for column in people.COLUMNS])
    for number in range(rows):
        born = date(2008, 1, 1) + timedelta(days=rng.randrange(3650))
        family = rng.choice(LAST)
        sheet.append(
            [
                f"{rng.choice(FIRST)} {letters(number)} {family}",
                f"+998 90 {number // 10000:03d} {number // 100 % 100:02d} {number % 100:02d}",
                born.strftime("%d.%m.%Y"),
                rng.choice(["uz", "ru", "en"]),
                f"{rng.choice(FIRST)} {letters(number)} {family}ova",
                f"93 {number // 10000:03d} {number // 100 % 100:02d} {number % 100:02d}",
            ]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class NoThrottle:
    """The student asks every few ms on purpose; flood control is not what is measured."""

    async def hit(self, key: int) -> int:
        return 1


@dataclass
class Probe:
    answered: float | None = None


WAITING: contextvars.ContextVar[Probe | None] = contextvars.ContextVar("waiting", default=None)


def note_replies(bot: MockedBot) -> None:
    """The fake session notes when a probe's update got its sendMessage (the handler runs
    in the feeding task, so the probe is in its context)."""
    make_request = bot.session.make_request

    async def noting(bot_: Any, method: Any, *rest: Any, **named: Any) -> Any:
        result = await make_request(bot_, method, *rest, **named)
        probe = WAITING.get()
        if probe is not None and probe.answered is None and isinstance(method, SendMessage):
            probe.answered = time.perf_counter()
        return result

    bot.session.make_request = noting  # type: ignore[method-assign]


def _user(telegram_id: int, name: str) -> User:
    return User(id=telegram_id, is_bot=False, first_name=name, language_code="en")


def _chat(telegram_id: int) -> Chat:
    return Chat(id=telegram_id, type="private")


def message(telegram_id: int, text: str | None = None, **fields: Any) -> Update:
    return Update(
        update_id=next(_ids),
        message=Message(
            message_id=next(_ids),
            date=datetime.now(UTC),
            chat=_chat(telegram_id),
            from_user=_user(telegram_id, "Bench"),
            text=text,
            **fields,
        ),
    )


def press(bot: MockedBot, telegram_id: int, data: str, message_id: int) -> Update:
    stored = bot.session.telegram.messages[(telegram_id, message_id)]
    return Update(
        update_id=next(_ids),
        callback_query=CallbackQuery(
            id=str(next(_ids)),
            from_user=_user(telegram_id, "Bench"),
            chat_instance="ci",
            message=Message(
                message_id=message_id,
                date=datetime.now(UTC),
                chat=_chat(telegram_id),
                from_user=User(id=BOT_ID, is_bot=True, first_name="EduCRM"),
                text=stored.text,
                reply_markup=stored.reply_markup,
            ),
            data=data,
        ),
    )


def last_keyboard(bot: MockedBot, telegram_id: int) -> tuple[int, InlineKeyboardMarkup]:
    """The admin's latest message with buttons (the dry run's, the applied import's)."""
    for (chat, message_id), stored in reversed(bot.session.telegram.messages.items()):
        if chat == telegram_id and stored.reply_markup is not None:
            return message_id, stored.reply_markup
    raise AssertionError("no message with buttons")


def button(markup: InlineKeyboardMarkup, action: str) -> str:
    for row in markup.inline_keyboard:
        for item in row:
            if item.callback_data and ImportCb.unpack(item.callback_data).action == action:
                return item.callback_data
    raise AssertionError(f"no {action} button in {markup}")


class Schedules:
    """The student's /schedule every `every` seconds while a step runs."""

    def __init__(self, dispatcher: Any, bot: MockedBot, every: float) -> None:
        self.dispatcher, self.bot, self.every = dispatcher, bot, every
        self.latencies: dict[str, list[float]] = {step: [] for step in STEPS}
        self.unanswered = 0

    async def _one(self, step: str) -> None:
        probe = Probe()
        WAITING.set(probe)
        update = message(STUDENT_ID, "/schedule")
        started = time.perf_counter()
        await self.dispatcher.feed_update(self.bot, update)
        if probe.answered is None:
            self.unanswered += 1
        else:
            self.latencies[step].append(probe.answered - started)

    async def during(self, step: str, work: Any) -> float:
        """Run `work` (a coroutine) with the student asking meanwhile; its seconds."""
        done = asyncio.Event()
        tasks: list[asyncio.Task[None]] = []

        async def ask() -> None:
            while not done.is_set():
                tasks.append(asyncio.create_task(self._one(step)))
                try:
                    await asyncio.wait_for(done.wait(), self.every)
                except TimeoutError:
                    pass

        asker = asyncio.create_task(ask())
        started = time.perf_counter()
        try:
            await work
        finally:
            elapsed = time.perf_counter() - started
            done.set()
            await asker
            await asyncio.gather(*tasks)
        return elapsed


async def seed(factory: Any) -> None:
    admin = type("P", (), {"id": ADMIN_ID, "first_name": "Admin"})
    student = type("P", (), {"id": STUDENT_ID, "first_name": "Student"})
    async with factory() as session:
        await make_user(session, admin, roles=[Role.ADMIN], permissions=[Permission.USERS])
        pupil = await make_user(session, student, roles=[Role.STUDENT], full_name="Ali Student")
        group = await make_group(
            session, "A1", course="English", price=400_000, slots=[(2, clock_time(14))]
        )
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        await make_lessons(session, group, [now + timedelta(days=d) for d in (-1, 1, 3, 8)])
        await make_enrolment(session, pupil, group)


async def one_run(url: str, data: bytes, every: float, schedules_out: dict) -> dict[str, float]:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.drop_all)
        await connection.run_sync(Base.metadata.create_all)
    factory = create_session_factory(engine)
    await seed(factory)
    settings = make_settings(url)
    sender = Sender(factory, rate=10_000, per_chat_interval=0, backoff=0)
    dispatcher = create_dispatcher(settings, factory, hit_counter=NoThrottle(), sender=sender)
    bot = MockedBot()
    note_replies(bot)
    _freeze_startup_objects()  # as the runner does once the bot is built
    schedules = Schedules(dispatcher, bot, every)
    for _ in range(3):  # warm: the student's first contact of the minute, the caches
        await schedules._one("idle")
    schedules.latencies["idle"].clear()
    times: dict[str, float] = {}

    async def idle() -> None:
        await asyncio.sleep(1.0)

    await schedules.during("idle", idle())
    started = time.perf_counter()
    await dispatcher.feed_update(bot, message(ADMIN_ID, "/import"))
    # /import starts the worker process; the admin takes longer than that to pick a file
    await asyncio.wrap_future(worker.warm_up())
    times["worker"] = time.perf_counter() - started
    file_id = f"bench-{next(_ids)}"
    bot.session.telegram.uploads[file_id] = ("bench.xlsx", data)
    document = Document(
        file_id=file_id, file_unique_id=file_id, file_name="bench.xlsx", file_size=len(data)
    )
    sent = message(ADMIN_ID, document=document)
    times["dry run"] = await schedules.during("dry run", dispatcher.feed_update(bot, sent))
    message_id, markup = last_keyboard(bot, ADMIN_ID)
    apply = press(bot, ADMIN_ID, button(markup, "apply"), message_id)
    times["apply"] = await schedules.during("apply", dispatcher.feed_update(bot, apply))
    message_id, markup = last_keyboard(bot, ADMIN_ID)
    text = bot.session.telegram.messages[(ADMIN_ID, message_id)].text
    assert "Imported" in text, text
    await dispatcher.feed_update(bot, message(ADMIN_ID, "/import"))
    resent = message(ADMIN_ID, document=document)  # everybody is found now: nothing to write
    times["again"] = await schedules.during("again", dispatcher.feed_update(bot, resent))

    async def undo() -> None:
        await dispatcher.feed_update(bot, press(bot, ADMIN_ID, button(markup, "undo"), message_id))
        question = bot.session.telegram.messages[(ADMIN_ID, message_id)].reply_markup
        assert question is not None  # the applied message, edited into the question
        confirm = press(bot, ADMIN_ID, button(question, "undoy"), message_id)
        await dispatcher.feed_update(bot, confirm)

    again_id, _markup = last_keyboard(bot, ADMIN_ID)
    text = bot.session.telegram.messages[(ADMIN_ID, again_id)].text
    assert "Nothing to write" in text, text
    times["undo"] = await schedules.during("undo", undo())
    text = bot.session.telegram.messages[(ADMIN_ID, message_id)].text
    assert "undone" in text, text
    for step, values in schedules.latencies.items():
        schedules_out.setdefault(step, []).extend(values)
    schedules_out["unanswered"] = schedules_out.get("unanswered", 0) + schedules.unanswered
    await sender.wait_background()
    await engine.dispose()
    gc.unfreeze()  # this run's bot is done with: collected like any garbage, not kept
    return times


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def report(name: str, runs: list[dict[str, float]], schedules: dict) -> None:
    print(f"\n{name}")
    for key in runs[0]:
        values = sorted(run[key] * 1000 for run in runs)
        print(
            f"  {key:<8} min {values[0]:6.0f}  median {statistics.median(values):6.0f}"
            f"  max {values[-1]:6.0f} ms"
        )
    print("  /schedule meanwhile (ms, all runs):")
    for step in STEPS:
        ms = [value * 1000 for value in schedules.get(step, [])]
        if not ms:
            continue
        print(
            f"    {step:<8} n {len(ms):4d}  min {min(ms):5.0f}  median {statistics.median(ms):5.0f}"
            f"  p99 {percentile(ms, 0.99):5.0f}  max {max(ms):5.0f}"
        )
    if schedules.get("unanswered"):
        print(f"    unanswered: {schedules['unanswered']}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--every", type=float, default=30, help="ms between two /schedule")
    parser.add_argument("--postgres", help="postgresql+asyncpg://… (a database of its own)")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    logger.remove()
    logger.add(sys.stderr, level="WARNING")
    data = people_file(args.rows)
    size = len(data) / 1024
    print(f"people file: {args.rows} rows, {size:.0f} KB; /schedule every {args.every:g} ms")
    rss: list[float] = []  # the peak so far, after each run
    targets = []
    if not args.no_sqlite:
        folder = tempfile.mkdtemp(prefix="educrm-import-")
        targets.append(("SQLite", f"sqlite+aiosqlite:///{folder}/bench.db"))
    if args.postgres:
        targets.append(("PostgreSQL", args.postgres))
    for name, url in targets:
        schedules: dict = {}
        runs = []
        for _ in range(args.runs):
            runs.append(await one_run(url, data, args.every / 1000, schedules))
            rss.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        report(name, runs, schedules)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker.shutdown(wait=True)  # a child's peak is known once it has ended
    apart = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"\npeak RSS: the bot {peak:.0f} MB, the import's worker process {apart:.0f} MB")
    print("  the bot's peak after each run (MB): " + ", ".join(f"{mb:.0f}" for mb in rss))


if __name__ == "__main__":
    asyncio.run(main())
