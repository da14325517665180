"""The erasure service (POLICY 9): the confirmation word, scrubbing, refusals, recipients."""

import asyncio
import re

from sqlalchemy import func, select

from bot.services import audit
from bot.services import deletion as deletion_service
from bot.services.deletion import DELETED_MARKER, Traces, scrub_json, scrub_text
from db.models import AuditEntry, Permission, Role, User
from tests.chat import Person
from tests.conftest import OWNER_ID
from tests.factories import make_user


def traces(**values) -> Traces:
    return Traces.of(User(**values))


def test_the_word_is_compared_trimmed_case_and_apostrophe_insensitively():
    matches = deletion_service.word_matches
    assert matches("DELETE", "DELETE")
    assert matches("  delete \n", "DELETE")
    assert matches("УДАЛИТЬ", "удалить")
    for typed in ("o'chirish", "O‘CHIRISH", "oʼchirish", "O`chirish", "oʻchirish"):
        assert matches(typed, "OʻCHIRISH"), typed
    for typed in (None, "", "DELETE!", "DELET", "DE LETE", "yes", "/delete"):
        assert not matches(typed, "DELETE"), typed
    assert not matches("", "")


def test_anonymous_references_fit_the_column_and_do_not_repeat():
    refs = {deletion_service.new_anon_ref() for _ in range(100)}
    assert len(refs) == 100
    assert all(re.fullmatch(r"anon-[0-9a-f]{16}", ref) for ref in refs)
    assert all(len(ref) <= 32 for ref in refs)  # String(32) on the ledger tables


def test_scrub_text_replaces_every_way_the_person_is_written():
    person = traces(
        full_name="Dilnoza Karimova",
        phone="+998901234567",
        email="dilnoza@example.com",
        username="dilnoza_k",
        telegram_id=2000001,
    )
    text = (
        "Paid by DILNOZA KARIMOVA's mother (+998 90 123 45 67, 998901234567), "
        "mail Dilnoza@Example.com, @dilnoza_k, tg 2000001; Karimova family. Receipt #17."
    )
    scrubbed = scrub_text(text, person)
    for trace in ("dilnoza", "karimova", "998", "example", "2000001"):
        assert trace not in scrubbed.lower(), trace
    assert scrubbed.endswith("Receipt #17.")
    assert scrubbed.startswith(f"Paid by {DELETED_MARKER}'s mother")
    # In audit details only whole values are searched: a lone surname is another person's.
    assert scrub_text("Karimova", person, with_name_parts=False) == "Karimova"
    assert scrub_text(None, person) is None and scrub_text("", person) == ""


def test_short_values_are_not_searched_for():
    person = traces(full_name="Al Bo", username="ab")
    assert person.values == ("Al Bo",)
    assert person.name_parts == ()  # "Al" and "Bo" would match inside any word
    assert scrub_text("Alisher Bobur, ab", person) == "Alisher Bobur, ab"


def test_scrub_json_walks_keys_values_and_numbers():
    person = traces(full_name="Dilnoza Karimova", phone="+998901234567", telegram_id=7)
    details = {
        "from": "+998901234567",
        "Dilnoza Karimova": [{"chat": 7, "amount": 70, "ok": True}],
        "note": "for Dilnoza Karimova",
    }
    assert scrub_json(details, person) == {
        "from": DELETED_MARKER,
        DELETED_MARKER: [{"chat": DELETED_MARKER, "amount": 70, "ok": True}],
        "note": f"for {DELETED_MARKER}",
    }
    assert scrub_json({"ok": True}, traces(telegram_id=1)) == {"ok": True}  # True == 1


def test_search_fragments_find_escaped_json_too():
    fragments = traces(full_name="Дилноза").search_fragments()
    assert "дилноза" in fragments
    assert "\\u0414\\u0438\\u043b\\u043d\\u043e\\u0437\\u0430".lower() in fragments


async def erase(session, user_id: int, owner_ids: tuple[int, ...] = ()):
    return await deletion_service.delete_user(session, user_id, owner_ids=owner_ids)


async def test_an_erased_or_unknown_user_is_refused(session, alice):
    user_id = (await make_user(session, alice, roles=[Role.STUDENT])).id
    assert await erase(session, 999_999) is None

    first = await erase(session, user_id)
    second = await erase(session, user_id)

    assert first is not None and first.user_id == user_id
    assert second is None
    deleted = await session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "user.deleted")
    )
    assert deleted == 1


async def test_two_concurrent_erasures_do_it_once(session_factory, session, alice):
    user_id = (await make_user(session, alice, full_name="Dilnoza Karimova")).id

    async def attempt():
        async with session_factory() as own_session:
            return await erase(own_session, user_id)

    results = await asyncio.gather(attempt(), attempt())

    assert sorted(result is None for result in results) == [False, True]
    session.expire_all()
    erased = await session.get(User, user_id)
    assert erased.deleted_at is not None and erased.full_name is None
    entries = await session.scalars(select(AuditEntry).where(AuditEntry.action == "user.deleted"))
    assert len(entries.all()) == 1


async def test_the_audit_entry_and_earlier_details_hold_no_personal_data(session, alice):
    user_id = (await make_user(session, alice, full_name="Dilnoza Karimova")).id
    other_id = (await make_user(session, Person(id=555_001), full_name="Rustam Aliyev")).id
    await audit.record(
        session,
        actor_id=user_id,
        action="user.name",
        object_type="user",
        object_id=user_id,
        details={"from": "Dilnoza Karimova", "chat": alice.id},
    )
    await audit.record(
        session,
        actor_id=other_id,
        action="payment.recorded",
        details={"student": "Dilnoza Karimova", "amount": 300_000},
    )
    await audit.record(
        session, actor_id=other_id, action="user.name", details={"to": "Rustam Aliyev"}
    )
    await session.commit()

    await erase(session, user_id)

    session.expire_all()
    rows = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    assert [row.details for row in rows] == [
        {"from": DELETED_MARKER, "chat": DELETED_MARKER},
        {"student": DELETED_MARKER, "amount": 300_000},
        {"to": "Rustam Aliyev"},
        {"audit_scrubbed": 2, "audit_relinked_from": rows[0].id, "audit_relinked": 3},
    ]
    last = rows[-1]
    assert (last.action, last.actor_id, last.object_type, last.object_id) == (
        "user.deleted",
        user_id,
        "user",
        str(user_id),
    )


async def test_admins_with_the_users_permission_and_owners_are_told(session, alice):
    user_id = (
        await make_user(session, alice, roles=[Role.ADMIN], permissions=[Permission.USERS])
    ).id
    told = await make_user(
        session,
        Person(id=600_001),
        roles=[Role.ADMIN],
        permissions=[Permission.USERS],
        language="ru",
    )
    await make_user(session, Person(id=600_002), roles=[Role.ADMIN], permissions=[Permission.AUDIT])
    await make_user(session, None, roles=[Role.ADMIN], permissions=[Permission.USERS])
    blocked = await make_user(
        session, Person(id=600_003), roles=[Role.ADMIN], permissions=[Permission.USERS]
    )
    blocked.is_active = False
    await make_user(session, Person(id=600_004), roles=[Role.TEACHER], language="en")
    await session.commit()

    # Owners: one with an account (speaks en), one who never opened the bot (Telegram would
    # refuse a message to them), and the deleted one.
    deletion = await erase(session, user_id, owner_ids=(600_004, OWNER_ID, alice.id))

    assert told.telegram_id == 600_001
    assert sorted((r.telegram_id, r.language) for r in deletion.recipients) == [
        (600_001, "ru"),
        (600_004, "en"),
    ]
