"""10 000 random and malformed updates through the real Dispatcher (tests/fuzz_updates.py);
and random documents sent to /import (tests/fuzz_documents.py, FUZZ_DOCUMENTS of them, 40 by
default: a few seconds), see `test_random_documents_sent_to_import`.

Checked, for every update aiogram accepts:
* no unhandled exception: `feed_update` never raises, the error handler never runs (an ERROR
  log record from `handlers.fallback.log_error`) and nobody is told "something went wrong";
  on PostgreSQL this is what catches ids beyond an INTEGER column and NUL bytes in text (a
  DBAPIError there is swallowed by the error handler as "something went wrong": a failure);
* every callback query and pre-checkout query is answered exactly once;
* no database change from the rejected input. Allowed, and nothing else:
  - `audit_log` rows with outcome `denied` (refusals are audited), `usage_counts` (per-day
    command counters);
  - `users` rows for brand-new senders (first contact keeps the Telegram id and a language,
    POLICY 1: no name, no username), and `users.last_seen_at` of the cast (written at most
    once a minute by design).
  Every other table, and every other column of the cast's users, is compared row by row.

FSM state is cleared before each update, so no random sequence can walk through a form to its
end (the forms' own garbage handling is covered by their handler tests): each update is judged
on its own. The owner's /backup is left out: it is a valid command whatever its arguments
(it writes a backup file); a non-owner's /backup is fuzzed.
"""

import hashlib
import json
import os
import random
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

import pytest
from aiogram.methods import (
    AnswerCallbackQuery,
    AnswerPreCheckoutQuery,
    EditMessageText,
    SendDocument,
    SendMessage,
)
from aiogram.types import InlineKeyboardMarkup, Update
from loguru import logger
from pydantic import ValidationError
from sqlalchemy import select, text

from bot.i18n import use_language
from bot.startup.app import create_dispatcher
from db.base import Base
from db.models import (
    AuditEntry,
    Permission,
    Role,
)
from handlers.fallback import something_went_wrong
from tests.chat import ChatClient, Person
from tests.conftest import OWNER_ID, make_settings
from tests.factories import link_parent, make_enrolment, make_group, make_lessons, make_user
from tests.fuzz_documents import Document, DocumentFuzzer
from tests.fuzz_updates import Sender, UpdateFuzzer, button_shapes
from tests.mocked_bot import MockedBot, parse_entities

UPDATES = int(os.environ.get("FUZZ_UPDATES", "10000"))
SEED = int(os.environ.get("FUZZ_SEED", "20260308"))
# for diagnosis only: leave out button prefixes with a known bug (FUZZ_SKIP_PREFIXES=rd,xx)
SKIP_PREFIXES = {p for p in os.environ.get("FUZZ_SKIP_PREFIXES", "").split(",") if p}
FREE_TABLES = {"audit_log", "usage_counts"}
VOLATILE_USER_COLUMNS = {"last_seen_at", "updated_at"}


class NoThrottle:
    """The fuzz sends thousands of updates from seven people; flood control is tested elsewhere."""

    async def hit(self, key: int) -> int:
        return 1


CAST = [
    Sender("plain", 6_000_001, "Plain"),
    Sender("student", 6_000_002, "<b>Stu</b> & Co", "ru"),
    Sender("parent", 6_000_003, "Parent\u202e", "uz"),
    Sender("teacher", 6_000_004, "Teacher 👩‍👩‍👧‍👦"),
    Sender("admin", 6_000_005, "Admin without rights"),
    Sender("owner", OWNER_ID, "Owner"),
]


async def seed_centre(session) -> None:
    """The cast, and a group with lessons that the student, parent and teacher can see."""
    people = {}
    roles = {
        "plain": [],
        "student": [Role.STUDENT],
        "parent": [Role.PARENT],
        "teacher": [Role.TEACHER],
        "admin": [Role.ADMIN],
        "owner": [Role.ADMIN],
    }
    for sender in CAST:
        person = type("P", (), {"id": sender.telegram_id, "first_name": sender.first_name})
        people[sender.kind] = await make_user(
            session,
            person,
            roles=roles[sender.kind],
            permissions=list(Permission) if sender.kind == "owner" else [],
            language=sender.language_code or "en",
            full_name=sender.first_name,
        )
    group = await make_group(
        session,
        "A1 & <morning>",
        course="English <B1>",
        price=400_000,
        teacher_id=people["teacher"].id,
        room="12",
        slots=[(2, clock_time(14))],
        commit=False,
    )
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    days = (-7, -1, 0, 1, 7)
    await make_lessons(session, group, [now + timedelta(days=d) for d in days], commit=False)
    await make_enrolment(session, people["student"], group, commit=False)
    await link_parent(session, people["parent"], people["student"])


async def snapshot(session) -> dict[str, dict[str, str]]:
    """Every row of every table (but the free ones) as a checksum, by primary key."""
    tables: dict[str, dict[str, str]] = {}
    for table in Base.metadata.sorted_tables:
        if table.name in FREE_TABLES:
            continue
        columns = [
            c
            for c in table.columns
            if not (table.name == "users" and c.name in VOLATILE_USER_COLUMNS)
        ]
        rows = (await session.execute(select(*columns))).mappings().all()
        keys = [c.name for c in table.primary_key.columns]
        tables[table.name] = {
            json.dumps([row[k] for k in keys], default=str): hashlib.sha1(
                json.dumps(dict(row), default=str, sort_keys=True).encode()
            ).hexdigest()
            for row in rows
        }
    return tables


async def new_users(session) -> list[dict]:
    """Users who are not the cast: first contacts (aiogram also coerces an id "12" to 12)."""
    cast = {sender.telegram_id for sender in CAST}
    rows = (await session.execute(text("SELECT * FROM users"))).mappings().all()
    return [dict(row) for row in rows if row["telegram_id"] not in cast]


@pytest.fixture
def fuzz_dispatcher(database_url, session_factory, sender, tmp_path: Path):
    settings = make_settings(database_url, backup_dir=str(tmp_path / "backups"))
    return create_dispatcher(settings, session_factory, hit_counter=NoThrottle(), sender=sender)


@pytest.fixture
def errors():
    """What the error handler logged: every exception it caught. (Other ERROR records are
    alerts by design, e.g. a forged successful payment that was not recorded.)"""
    caught: list[str] = []
    sink = logger.add(
        lambda message: caught.append(str(message)),
        level="ERROR",
        format="{message}\n{exception}",
        filter=lambda record: record["name"] == "handlers.fallback",
    )
    yield caught
    logger.remove(sink)


@pytest.mark.slow  # 10 000 updates: about 35 s
@pytest.mark.filterwarnings("ignore:Detected unknown update type")
async def test_ten_thousand_malformed_updates(fuzz_dispatcher, session_factory, errors) -> None:
    bot = MockedBot()
    async with session_factory() as session:
        await seed_centre(session)
        before = await snapshot(session)
    rng = random.Random(SEED)
    shapes = button_shapes(fuzz_dispatcher, rng)
    fuzzer = UpdateFuzzer(rng, CAST, excluded_commands={"owner": {"backup"}}, shapes=shapes)
    assert len(fuzzer.prefixes) >= 25  # every keyboard's prefix is fuzzed
    # and every prefix is also aimed at its handlers, with bad ids and NUL bytes
    assert {shape.cls.__prefix__ for shape in shapes} == set(fuzzer.prefixes)
    for prefix in SKIP_PREFIXES:
        fuzzer.prefixes.pop(prefix, None)
    fuzzer.shapes = [shape for shape in shapes if shape.cls.__prefix__ not in SKIP_PREFIXES]
    failures = set()
    for language in ("uz", "ru", "en"):
        with use_language(language):
            failures.add(something_went_wrong())

    requests = bot.session.requests
    storage = fuzz_dispatcher.storage
    rejected = 0
    raised: list[tuple[dict, BaseException]] = []
    callbacks: list[str] = []
    pre_checkouts: list[str] = []
    failed_updates: list[tuple[dict, list[str]]] = []
    kinds: dict[str, int] = {}
    started = time.perf_counter()
    for _ in range(UPDATES):
        case = next(fuzzer)
        try:
            update = Update.model_validate(case.raw, context={"bot": bot})
        except ValidationError:
            rejected += 1
            continue
        kinds[case.kind] = kinds.get(case.kind, 0) + 1
        storage.storage.clear()  # each update on its own (see the module's docstring)
        first = len(requests)
        errors_before = len(errors)
        try:
            await fuzz_dispatcher.feed_update(bot, update)
        except Exception as error:
            raised.append((case.raw, error))
        texts = [
            call.text or ""
            for call in requests[first:]
            if isinstance(call, SendMessage | EditMessageText | AnswerCallbackQuery)
        ]
        if len(errors) > errors_before or failures.intersection(texts):
            failed_updates.append((case.raw, errors[errors_before:]))
        if case.callback_id is not None:
            callbacks.append(case.callback_id)
        if case.pre_checkout_id is not None:
            pre_checkouts.append(case.pre_checkout_id)
    elapsed = time.perf_counter() - started

    accepted = UPDATES - rejected
    print(
        f"\nfuzz: {UPDATES} updates, {rejected} refused by aiogram, {accepted} fed in "
        f"{elapsed:.1f} s ({accepted / elapsed:.0f}/s); by kind {dict(sorted(kinds.items()))}; "
        f"{len(fuzzer.new_senders)} new senders, {len(callbacks)} callbacks"
    )
    assert not raised, _report(raised[:3])
    assert not failed_updates, _report(failed_updates[:3])

    answers: dict[str, int] = {}
    for call in requests:
        if isinstance(call, AnswerCallbackQuery):
            answers[call.callback_query_id] = answers.get(call.callback_query_id, 0) + 1
    unanswered = [cid for cid in callbacks if answers.get(cid, 0) != 1]
    assert not unanswered, (
        f"{len(unanswered)} callbacks not answered exactly once: {unanswered[:5]}"
    )
    checkouts: dict[str, int] = {}
    for call in requests:
        if isinstance(call, AnswerPreCheckoutQuery):
            checkouts[call.pre_checkout_query_id] = checkouts.get(call.pre_checkout_query_id, 0) + 1
    assert all(checkouts.get(qid) == 1 for qid in pre_checkouts)

    async with session_factory() as session:
        after = await snapshot(session)
        created = await new_users(session)
        outcomes = set(await session.scalars(select(AuditEntry.outcome).distinct()))
        ok_actions = set(
            await session.scalars(
                select(AuditEntry.action).where(AuditEntry.outcome != "denied").distinct()
            )
        )
    new_ids = {str([row["id"]]) for row in created}
    after_users = {key: value for key, value in after["users"].items() if key not in new_ids}
    assert after_users == before["users"]
    assert all(row["full_name"] is None and row["username"] is None for row in created)
    assert {name: rows for name, rows in after.items() if name != "users"} == {
        name: rows for name, rows in before.items() if name != "users"
    }
    # /export answers any sender who consented with their own data, whatever the arguments,
    # and its audit entry is what limits it to once a minute: a read, not a change. The same
    # for the debtors' XLSX, which an aimed button of the owner's can ask for (any page), and
    # the owner's /export_centre.
    reads = {"data.export", "debtors.export", "centre.export"}
    assert outcomes <= {"denied", "ok"} and ok_actions <= reads, ok_actions


def _report(items) -> str:
    return "\n\n".join(
        f"update {json.dumps(raw, ensure_ascii=False)[:600]}\n{str(detail)[-3000:]}"
        for raw, detail in items
    )


DOCUMENTS = int(os.environ.get("FUZZ_DOCUMENTS", "40"))
PEOPLE_TABLES = (
    "users",
    "role_assignments",
    "parent_links",
    "invites",
    "enrolments",
    "courses",
    "groups",
    "schedule_slots",
    "charges",
    "payments",
    "import_batches",
    "import_items",
)


def telegram_problems(requests) -> list[str]:
    """What Telegram would refuse of these calls (the fake session refuses it too, but a
    refusal there is only an exception the handler may have swallowed)."""
    problems = []
    for call in requests:
        text = getattr(call, "text", None)
        if isinstance(call, SendMessage | EditMessageText) and text is not None:
            visible, _entities, error = parse_entities(text)
            if error or len(visible) > 4096 or not visible.strip():
                problems.append(f"{type(call).__name__}: {error or len(visible)}: {text[:200]!r}")
        caption = getattr(call, "caption", None)
        if isinstance(call, SendDocument) and caption is not None:
            visible, _entities, error = parse_entities(caption)
            if error or len(visible) > 1024:
                problems.append(f"caption: {error or len(visible)}: {caption[:200]!r}")
        if isinstance(call, AnswerCallbackQuery) and call.text and len(call.text) > 200:
            problems.append(f"callback answer of {len(call.text)} characters")
        markup = getattr(call, "reply_markup", None)
        if isinstance(markup, InlineKeyboardMarkup):
            for row in markup.inline_keyboard:
                for button in row:
                    data = button.callback_data
                    if data is not None and not 1 <= len(data.encode()) <= 64:
                        problems.append(f"callback data of {len(data.encode())} bytes: {data!r}")
    return problems


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
async def test_random_documents_sent_to_import(fuzz_dispatcher, session_factory, errors) -> None:
    """An owner (every kind's permission) sends /import and a random document (see
    tests/fuzz_documents.py), FUZZ_DOCUMENTS of them: the bot never fails (no exception,
    nobody told "something went wrong"), every call keeps Telegram's rules, and nothing is
    written (no ✅ Apply is pressed): only audit entries (`import.refused`) may be added."""
    bot = MockedBot()
    async with session_factory() as session:
        await seed_centre(session)
        before = await snapshot(session)
    owner = next(sender for sender in CAST if sender.kind == "owner")
    person = Person(id=owner.telegram_id, first_name=owner.first_name, language_code="en")
    client = ChatClient(bot, fuzz_dispatcher)
    failures = set()
    for language in ("uz", "ru", "en"):
        with use_language(language):
            failures.add(something_went_wrong())
    documents = DocumentFuzzer(random.Random(SEED))
    broken: list[tuple[Document, list[str]]] = []
    answered: Counter[str] = Counter()
    started = time.perf_counter()
    for _ in range(DOCUMENTS):
        document = next(documents)
        fuzz_dispatcher.storage.storage.clear()  # each document on its own
        errors_before = len(errors)
        problems: list[str] = []
        try:
            menu = await client.send(person, "/import")
            reply = await client.send_document(person, document.name, document.data)
        except Exception as error:
            broken.append((document, [repr(error)]))
            continue
        calls = menu.calls + reply.calls
        problems += telegram_problems(calls)
        problems += [repr(r) for r in menu.results + reply.results if isinstance(r, Exception)]
        texts = [call.text or "" for call in calls if isinstance(call, SendMessage)]
        if failures.intersection(texts):
            problems.append("told something went wrong")
        problems += errors[errors_before:]
        if not reply.calls:
            problems.append("no answer at all")
        if problems:
            broken.append((document, problems))
        answered[document.kind.split(":")[0]] += 1
        if "❌ Cancel" in reply.buttons():
            answered["dry run"] += 1
        if "✅ Apply" in reply.buttons():
            answered["dry run with rows to write"] += 1
    elapsed = time.perf_counter() - started
    kinds = dict(sorted(answered.items()))
    print(f"\nfuzz: {DOCUMENTS} documents in {elapsed:.1f} s; by kind {kinds}")
    assert not broken, "\n\n".join(
        f"{doc.kind} {doc.name[:40]!r} ({len(doc.data)} bytes, starts {doc.data[:16]!r}): "
        + "\n".join(str(p)[-2000:] for p in problems)
        for doc, problems in broken[:3]
    )
    async with session_factory() as session:
        after = await snapshot(session)
    assert answered["dry run"] >= DOCUMENTS // 8  # the fuzz gets past the reading, too
    changed = [name for name in PEOPLE_TABLES if after.get(name) != before.get(name)]
    assert not changed, f"written before ✅ Apply: {changed}"
    assert after == before  # and nothing else but the audit log either
