"""/import through the Dispatcher: the template, a filled file's dry run and its problems
file, ✅ Apply (one audit entry, invitation links), the same file again, ↩️ Undo, CSV in
Windows-1251, and the refusals (too big, not a spreadsheet, empty, no permission)."""

import csv
import io
from datetime import date, timedelta

import pytest
from aiogram.methods import EditMessageText, SendDocument
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select, update

from bot.i18n import translate_to
from db.models import (
    AuditEntry,
    AuditOutcome,
    ImportBatch,
    ImportItem,
    Invite,
    ParentLink,
    Permission,
    Role,
    RoleAssignment,
    User,
)
from keyboards.imports import ImportCb
from tests.chat import Person
from tests.factories import make_enrolment, make_group, make_user

CLERK = Person(id=2_000_301, first_name="Clerk", language_code="en")
CASHIER = Person(id=2_000_302, first_name="Cash", language_code="en")
REFUSED_PREFIX = "⚠️"
NO_ACCESS = "⚠️ You do not have access to this. If you think you should, ask the administrator."

EN_HEADER = [
    "Student: full name",
    "Student: phone",
    "Birth date",
    "Language",
    "Parent: full name",
    "Parent: phone",
]
PEOPLE = [
    ["Ali Valiyev", "+998 90 123-45-67", "21.03.2012", "uz", "Vali Valiyev", "93 555 00 00"],
    ["Laylo Valiyeva", 998901234568, "2013-05-02", "ru", "Vali Valiyev", "935550000"],
    ["", "901112233", "", "", "", ""],  # row 4: no name
    ["Bobur Karimov", "12345", "31.02.2012", "", "", ""],  # row 5: phone and date
    ["Ali Valiyev", "+998 90 123-45-67", "21.03.2012", "uz", "Vali Valiyev", "93 555 00 00"],
    ["Sardor Aliyev", None, 40989, "English", None, None],  # an Excel serial date
]


def xlsx(header, rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def documents(reply) -> dict[str, bytes]:
    return {call.document.filename: call.document.data for call in reply.of(SendDocument)}


async def count(session, model, *where) -> int:
    return await session.scalar(select(func.count()).select_from(model).where(*where))


async def people_named(session) -> list[tuple[str, str | None, date | None, str]]:
    rows = await session.execute(
        select(User.full_name, User.phone, User.birth_date, User.language)
        .where(User.telegram_id.is_(None))
        .order_by(User.id)
    )
    return [tuple(row) for row in rows]


async def admin(session, person=CLERK, permissions=(Permission.USERS,)):
    return await make_user(session, person, roles=[Role.ADMIN], permissions=permissions)


async def dry_run(client, person, name, data):
    await client.send(person, "/import")
    return await client.send_document(person, name, data)


@pytest.mark.parametrize("language", ["uz", "ru", "en"])
async def test_the_template_opens_with_the_header_in_the_admins_language(client, session, language):
    await make_user(
        session, CLERK, roles=[Role.ADMIN], permissions=[Permission.USERS], language=language
    )
    menu = await client.send(CLERK, "/import")
    reply = await client.press(CLERK, ImportCb(action="tpl").pack(), menu.message_id)
    ((name, data),) = documents(reply).items()
    assert name.endswith(".xlsx")
    book = load_workbook(io.BytesIO(data))
    sheet = book.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    expected = [translate_to(language, title) for title in EN_HEADER]
    expected[0] += " *"
    assert header == expected
    assert sheet["A2"].value == translate_to(language, "Ali Valiyev")
    lists = [v.formula1 for v in sheet.data_validations.dataValidation]
    assert lists == ['"uz,ru,en"']
    assert len(book.worksheets) == 2  # and the instructions
    assert book.worksheets[1]["A1"].value == translate_to(language, "How to fill in this template")


async def test_a_filled_file_gives_a_dry_run_and_a_problems_file_and_writes_nothing(
    client, session
):
    await admin(session)
    before = await count(session, User)
    reply = await dry_run(client, CLERK, "centre.xlsx", xlsx(EN_HEADER, PEOPLE))
    text = reply.texts[0]
    assert "Dry run" in text and "centre.xlsx" in text
    assert "Rows: 6" in text
    assert "➕ New: 3" in text  # Ali (with Vali), Laylo (Vali linked), Sardor
    assert "✏️ Completed (empty fields filled, links added): 0" in text
    assert "⏭ Skipped (problems): 3" in text
    assert "row 4, Student: full name: the name is missing" in text
    assert "row 5, Student: phone: «12345» not a valid phone number" in text
    assert "row 5, Birth date: «31.02.2012» no such date" in text
    assert "row 6: the same as row 2" in text
    assert "✅ Apply" in reply.buttons()
    files = documents(reply)
    ((name, data),) = files.items()
    assert name == "problems-centre.xlsx"
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == ["Row", *EN_HEADER, "problem"]
    assert [row[0] for row in rows[1:]] == [4, 5, 6]
    assert rows[2][-1] == ("Student: phone: not a valid phone number; Birth date: no such date")
    assert await count(session, User) == before  # nothing is written before ✅ Apply
    assert await count(session, ImportBatch) == 0


@pytest.mark.parametrize("language", ["uz", "ru", "en"])
async def test_a_file_whose_every_row_has_a_problem_says_so_in_the_admins_language(
    client, session, language
):
    await make_user(
        session, CLERK, roles=[Role.ADMIN], permissions=[Permission.USERS], language=language
    )
    rows = [["", "901112233", "", "", "", ""], ["Bobur Karimov", "12345", "", "", "", ""]]
    reply = await dry_run(client, CLERK, "bad.xlsx", xlsx(EN_HEADER, rows))
    said = translate_to(
        language,
        "ℹ️ Nothing to write: every row has a problem. Fix the rows and send the file again.",
    )
    assert said in reply.texts[0] and said.startswith("ℹ️")
    assert translate_to(language, "✅ Apply") not in reply.buttons()
    assert await count(session, ImportBatch) == 0


async def test_apply_writes_the_people_with_one_audit_entry_and_links_then_again_nothing(
    client, session
):
    await admin(session)
    dry = await dry_run(client, CLERK, "centre.xlsx", xlsx(EN_HEADER, PEOPLE))
    applied = await client.press(CLERK, dry.callback_data("✅ Apply"), dry.message_id)
    assert "Imported" in applied.text and "↩️ Undo this import" in applied.buttons()
    assert await people_named(session) == [
        ("Ali Valiyev", "+998901234567", date(2012, 3, 21), "uz"),
        ("Vali Valiyev", "+998935550000", None, "uz"),
        ("Laylo Valiyeva", "+998901234568", date(2013, 5, 2), "ru"),
        ("Sardor Aliyev", None, date(2012, 3, 21), "en"),
    ]
    assert await count(session, ParentLink) == 2  # Vali is the parent of both
    assert await count(session, RoleAssignment, RoleAssignment.role == Role.PARENT) == 1
    entries = (
        await session.scalars(select(AuditEntry).where(AuditEntry.action == "import.apply"))
    ).all()
    assert len(entries) == 1
    assert entries[0].details["file"] == "centre.xlsx"
    assert entries[0].details["counts"]["create"] == 3
    assert await count(session, Invite) == 4
    ((name, data),) = documents(applied).items()
    assert name == "invitations-centre.xlsx"
    links = [[c.value for c in row] for row in load_workbook(io.BytesIO(data)).active.iter_rows()]
    assert links[0] == ["Full name", "Phone", "Role", "Child", "Link"]
    assert links[1][:4] == ["Ali Valiyev", "+998 90 123 45 67", "student", None]
    assert links[2][:4] == ["Vali Valiyev", "+998 93 555 00 00", "parent", "Ali Valiyev"]
    assert all(row[4].startswith("https://t.me/educrm_test_bot?start=") for row in links[1:])
    # nobody imported was sent anything: every message went to the clerk
    assert {int(call.chat_id) for call in applied.of(SendDocument)} == {CLERK.id}

    again = await dry_run(client, CLERK, "centre-again.xlsx", xlsx(EN_HEADER, PEOPLE))
    assert "➕ New: 0" in again.texts[0]
    assert "✔️ Already there, nothing to change: 3" in again.texts[0]
    assert "✅ Apply" not in again.buttons()
    assert await count(session, ImportBatch) == 1 and await count(session, User) == 5


async def test_a_match_fills_empty_fields_only_and_lists_conflicts(client, session):
    await admin(session)
    ali = await make_user(
        session, None, roles=[Role.STUDENT], full_name="Ali Valiyev", consent=None
    )
    ali.phone = "+998901234567"
    await session.commit()
    rows = [["Valiyev Ali", "90 123 45 67", "21.03.2012", "ru", "", ""]]
    dry = await dry_run(client, CLERK, "one.xlsx", xlsx(EN_HEADER, rows))
    assert "✏️ Completed (empty fields filled, links added): 1" in dry.texts[0]
    assert "row 2, Student: full name: the centre has «Ali Valiyev»: kept" in dry.texts[0]
    await client.press(CLERK, dry.callback_data("✅ Apply"), dry.message_id)
    await session.refresh(ali)
    assert (ali.full_name, ali.birth_date, ali.language) == ("Ali Valiyev", date(2012, 3, 21), "en")


async def test_undo_removes_exactly_what_the_import_created(client, session):
    await admin(session)
    dry = await dry_run(client, CLERK, "centre.xlsx", xlsx(EN_HEADER, PEOPLE))
    applied = await client.press(CLERK, dry.callback_data("✅ Apply"), dry.message_id)
    typed = await make_user(
        session, None, roles=[Role.STUDENT], full_name="Typed By Hand", consent=None
    )
    batch_id = await session.scalar(select(ImportBatch.id))
    question = await client.press(
        CLERK, applied.callback_data("↩️ Undo this import"), dry.message_id
    )  # the dry run's message, edited
    assert "Undo the import of centre.xlsx" in question.text
    done = await client.press(
        CLERK, question.callback_data("↩️ Yes, remove what it created"), dry.message_id
    )
    assert "Import undone" in done.text and "People removed: 4" in done.text
    assert await people_named(session) == [("Typed By Hand", None, None, "en")]
    assert await count(session, ParentLink) == 0 and await count(session, Invite) == 0
    assert await session.get(User, typed.id) is not None
    assert await count(session, AuditEntry, AuditEntry.action == "import.undo") == 1
    again = await client.press(CLERK, ImportCb(action="undoy", id=batch_id).pack())
    assert "undone already" in again.text
    assert await count(session, ImportItem) > 0  # the batch keeps its record


async def test_undo_is_refused_after_24_hours(client, session):
    await admin(session)
    dry = await dry_run(client, CLERK, "centre.xlsx", xlsx(EN_HEADER, PEOPLE[:1]))
    await client.press(CLERK, dry.callback_data("✅ Apply"), dry.message_id)
    batch = await session.scalar(select(ImportBatch))
    await session.execute(
        update(ImportBatch).values(applied_at=batch.applied_at - timedelta(hours=25))
    )
    await session.commit()
    reply = await client.press(CLERK, ImportCb(action="undoy", id=batch.id).pack())
    assert "24 hours only" in reply.text
    assert await count(session, User, User.full_name == "Ali Valiyev") == 1
    refused = await session.scalar(
        select(AuditEntry).where(AuditEntry.outcome == AuditOutcome.FAILED)
    )
    assert (refused.action, refused.details["reason"]) == ("import.undo", "too_late")


async def test_a_csv_in_windows_1251_with_semicolons_and_russian_headers(client, session):
    await admin(session)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    header = [translate_to("ru", title) for title in EN_HEADER]
    writer.writerow(["Заметка", *reversed(header)])  # another order, an extra column
    writer.writerow(
        [
            "-",
            "+998 93 555-00-00",
            "Рустам Ахмедов",
            "ru",
            "21.03.2012",
            "90 123 45 67",
            "Дилноза Ахмедова",
        ]
    )
    dry = await dry_run(client, CLERK, "base.csv", out.getvalue().encode("cp1251"))
    assert "➕ New: 1" in dry.texts[0] and "Skipped (problems): 0" in dry.texts[0]
    await client.press(CLERK, dry.callback_data("✅ Apply"), dry.message_id)
    assert await people_named(session) == [
        ("Дилноза Ахмедова", "+998901234567", date(2012, 3, 21), "ru"),
        ("Рустам Ахмедов", "+998935550000", None, "ru"),
    ]


@pytest.mark.parametrize(
    ("name", "data", "size", "expected"),
    [
        ("big.xlsx", b"PK\x03\x04", 21 * 1024 * 1024, "larger than 20 MB"),
        ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01", None, "not a spreadsheet"),
        ("empty.csv", b"", None, "The file is empty"),
        ("header.xlsx", xlsx(EN_HEADER, []), None, "The file is empty"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, None, "old Excel file"),
        ("other.csv", b"Note;Sum\nhello;5\n", None, "The header has no column"),
    ],
)
async def test_bad_files_are_refused_clearly_and_audited(
    client, session, name, data, size, expected
):
    await admin(session)
    await client.send(CLERK, "/import")
    reply = await client.send_document(CLERK, name, data, size=size)
    assert expected in reply.text and reply.text.startswith(REFUSED_PREFIX)
    assert not reply.of(SendDocument)
    assert await count(session, User) == 1
    refusals = await count(
        session,
        AuditEntry,
        AuditEntry.action == "import.refused",
        AuditEntry.outcome == AuditOutcome.FAILED,
    )
    assert refusals == 1


async def test_without_the_permission_import_is_refused_and_audited(client, session):
    await admin(session, CASHIER, permissions=(Permission.REPORTS,))
    reply = await client.send(CASHIER, "/import")
    assert reply.text == NO_ACCESS
    pressed = await client.press(CASHIER, ImportCb(action="tpl").pack())
    assert pressed.answers[-1].text == NO_ACCESS and not pressed.of(SendDocument)
    denied = await count(session, AuditEntry, AuditEntry.outcome == AuditOutcome.DENIED)
    assert denied == 2


async def test_apply_with_a_file_changed_since_the_dry_run_writes_nothing(client, session, bot):
    await admin(session)
    dry = await dry_run(client, CLERK, "centre.xlsx", xlsx(EN_HEADER, PEOPLE))
    uploads = bot.session.telegram.uploads
    file_id = next(key for key in uploads if key.startswith("user-file-"))
    uploads[file_id] = ("centre.xlsx", xlsx(EN_HEADER, PEOPLE[:1]))
    reply = await client.press(CLERK, dry.callback_data("✅ Apply"), dry.message_id)
    assert "out of date" in reply.text
    assert await count(session, User) == 1
    assert await count(session, AuditEntry, AuditEntry.action == "import.refused") == 1


async def test_a_failure_during_apply_leaves_nothing_written(client, session, monkeypatch):
    from bot.services.imports import people

    await admin(session)
    dry = await dry_run(client, CLERK, "centre.xlsx", xlsx(EN_HEADER, PEOPLE))

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(people, "_invites", broken)
    reply = await client.press(CLERK, dry.callback_data("✅ Apply"), dry.message_id)
    assert "nothing was written" in reply.text
    assert await count(session, User) == 1 and await count(session, ImportBatch) == 0
    assert not reply.of(SendDocument)
    assert [c for c in reply.of(EditMessageText) if "Importing" in c.text]


async def test_the_centre_export_imports_again_and_holds_every_table(client, session, owner):
    import json

    await make_user(session, owner, roles=[Role.ADMIN])
    dry = await dry_run(client, owner, "centre.xlsx", xlsx(EN_HEADER, PEOPLE))
    await client.press(owner, dry.callback_data("✅ Apply"), dry.message_id)

    reply = await client.send(owner, "/export_centre")
    assert "The whole centre" in reply.texts[0]
    files = documents(reply)
    (xlsx_name,) = [name for name in files if name.endswith(".xlsx")]
    (json_name,) = [name for name in files if name.endswith(".json")]
    sheet = load_workbook(io.BytesIO(files[xlsx_name])).worksheets[0]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == [EN_HEADER[0] + " *", *EN_HEADER[1:]]
    assert rows[1:] == [
        [
            "Ali Valiyev",
            "+998 90 123 45 67",
            "21.03.2012",
            "uz",
            "Vali Valiyev",
            "+998 93 555 00 00",
        ],
        [
            "Laylo Valiyeva",
            "+998 90 123 45 68",
            "02.05.2013",
            "ru",
            "Vali Valiyev",
            "+998 93 555 00 00",
        ],
        ["Sardor Aliyev", None, "21.03.2012", "en", None, None],
    ]
    book = load_workbook(io.BytesIO(files[xlsx_name]))
    assert [c.value for c in book.worksheets[1][1]] == [
        "Teacher: full name *",
        "Teacher: phone",
        "Language",
    ]
    assert [c.value for c in book.worksheets[2][1]] == [
        "Course: name *",
        "Monthly price, soʻm *",
        "Description",
    ]
    document = json.loads(files[json_name])
    assert document["format"] == "educrm-centre"
    names = {row["full_name"] for row in document["tables"]["users"]}
    assert {"Ali Valiyev", "Vali Valiyev", "Laylo Valiyeva", "Sardor Aliyev"} <= names
    assert all("code_hash" not in row for row in document["tables"]["invites"])
    assert len(document["tables"]["invites"]) == 4
    assert await count(session, AuditEntry, AuditEntry.action == "centre.export") == 1

    again = await dry_run(client, owner, xlsx_name, files[xlsx_name])
    assert "➕ New: 0" in again.texts[0] and "Skipped (problems): 0" in again.texts[0]
    assert "✔️ Already there, nothing to change: 3" in again.texts[0]


async def test_the_centre_export_is_for_owners_only(client, session):
    await admin(session, permissions=tuple(Permission))
    reply = await client.send(CLERK, "/export_centre")
    assert reply.text == NO_ACCESS and not reply.of(SendDocument)
    assert await count(session, AuditEntry, AuditEntry.outcome == AuditOutcome.DENIED) == 1


async def test_undo_keeps_whom_the_centre_gave_something_since_and_hand_filled_values(
    client, session
):
    await admin(session)
    dry = await dry_run(client, CLERK, "centre.xlsx", xlsx(EN_HEADER, PEOPLE))
    await client.press(CLERK, dry.callback_data("✅ Apply"), dry.message_id)
    ali = await session.scalar(select(User).where(User.full_name == "Ali Valiyev"))
    sardor = await session.scalar(select(User).where(User.full_name == "Sardor Aliyev"))
    await make_enrolment(session, ali, await make_group(session))  # typed by hand since
    sardor.phone = "+998911112233"  # typed by hand since, into an imported person
    await session.commit()
    ali_id = ali.id
    batch_id = await session.scalar(select(ImportBatch.id))
    done = await client.press(CLERK, ImportCb(action="undoy", id=batch_id).pack())
    assert "People removed: 3" in done.text
    assert "Kept (opened the bot or given a group or a payment since): 1" in done.text
    session.expire_all()
    assert [name for name, *_ in await people_named(session)] == ["Ali Valiyev"]
    assert await count(session, RoleAssignment, RoleAssignment.user_id == ali_id) == 1


async def test_undo_empties_only_the_fields_it_filled_and_still_holds(client, session):
    await admin(session)
    known = await make_user(
        session, None, roles=[Role.STUDENT], full_name="Ali Valiyev", consent=None
    )
    dry = await dry_run(client, CLERK, "one.xlsx", xlsx(EN_HEADER, [PEOPLE[0][:4]]))
    await client.press(CLERK, dry.callback_data("✅ Apply"), dry.message_id)
    await session.refresh(known)
    assert (known.phone, known.birth_date) == ("+998901234567", date(2012, 3, 21))
    known.birth_date = date(2012, 3, 22)  # corrected by hand since
    await session.commit()
    batch_id = await session.scalar(select(ImportBatch.id))
    done = await client.press(CLERK, ImportCb(action="undoy", id=batch_id).pack())
    assert "Fields emptied: 1" in done.text and "People removed: 0" in done.text
    await session.refresh(known)
    assert (known.phone, known.birth_date) == (None, date(2012, 3, 22))


async def test_a_long_apply_edits_its_progress_line_meanwhile(client, session, monkeypatch):
    import asyncio

    from bot.services.imports import people
    from db.repositories import imports as imports_repo
    from handlers.admin import imports as imports_handlers

    await admin(session)
    rows = [[f"Student {chr(65 + n // 26)}{chr(97 + n % 26)}", None, None, "uz"] for n in range(40)]
    dry = await dry_run(client, CLERK, "many.xlsx", xlsx(EN_HEADER[:4], rows))
    monkeypatch.setattr(imports_handlers, "PROGRESS_SECONDS", 0.01)
    monkeypatch.setattr(people, "FLUSH_EVERY", 10)
    insert = imports_repo.insert_returning_ids

    async def slow_insert(*args, **kwargs):
        await asyncio.sleep(0.05)  # a big file's chunk takes a while
        return await insert(*args, **kwargs)

    monkeypatch.setattr(imports_repo, "insert_returning_ids", slow_insert)
    reply = await client.press(CLERK, dry.callback_data("✅ Apply"), dry.message_id)
    progress = [c.text for c in reply.of(EditMessageText) if c.text.startswith("⏳")]
    assert progress[0] == "⏳ Importing… 0 of 40"
    assert set(progress[1:]) & {f"⏳ Importing… {done} of 40" for done in (10, 20, 30, 40)}
    assert "Imported" in reply.text
    assert await count(session, RoleAssignment, RoleAssignment.role == Role.STUDENT) == 40


def random_spreadsheet(rng) -> tuple[str, bytes]:
    """A document an admin might send, well or badly made: XLSX with odd cells, CSV in
    several encodings and delimiters, truncated files, random bytes."""
    from datetime import datetime

    from tests.fuzz_updates import odd_text

    cells = [
        lambda: odd_text(rng, rng.randint(0, 30)),
        lambda: rng.choice(EN_HEADER),
        lambda: rng.randint(-(10**12), 10**12),
        lambda: rng.random() * 10**6,
        lambda: datetime(rng.randint(1900, 2100), rng.randint(1, 12), rng.randint(1, 28)),
        lambda: rng.choice(["31.02.2012", "2012-13-01", "+998 90 123 45 67", "uz", "=1+1", ""]),
        lambda: None,
    ]

    def table() -> list[list]:
        width = rng.randint(1, 9)
        header = [rng.choice([*EN_HEADER, "", "Note", "Имя"]) for _ in range(width)]
        return [header] + [
            [rng.choice(cells)() for _ in range(rng.randint(0, width + 2))]
            for _ in range(rng.randint(0, 12))
        ]

    shape = rng.randrange(5)
    if shape == 0:
        rows = table()
        text_rows = [[str(c).replace("\x00", "") for c in row] for row in rows]
        return "t.xlsx", xlsx(text_rows[0], text_rows[1:])
    if shape == 1:
        out = io.StringIO()
        csv.writer(out, delimiter=rng.choice(",;\t|")).writerows(table())
        encoding = rng.choice(["utf-8", "utf-8-sig", "cp1251", "utf-16"])
        return "t.csv", out.getvalue().encode(encoding, errors="replace")
    if shape == 2:
        data = xlsx(EN_HEADER, PEOPLE)
        return "cut.xlsx", data[: rng.randint(0, len(data))]
    if shape == 3:
        return "noise.bin", bytes(rng.randrange(256) for _ in range(rng.randint(0, 2000)))
    return "prose.txt", odd_text(rng, rng.randint(0, 300)).encode("utf-8", errors="replace")


async def test_random_spreadsheets_are_answered_and_write_nothing(client, session):
    import random

    from bot.i18n import use_language
    from handlers.fallback import something_went_wrong

    await admin(session)
    with use_language("en"):
        failure = something_went_wrong()
    rng = random.Random(19)
    before = await count(session, User)
    for _ in range(45):  # two messages each: below the tests' throttling (100)
        name, data = random_spreadsheet(rng)
        await client.send(CLERK, "/import")
        reply = await client.send_document(CLERK, name, data)
        assert reply.texts and failure not in reply.texts, (_, name)
        assert reply.texts[0].startswith(("🔎", "⚠️")), (name, reply.texts[0])
    assert await count(session, User) == before
    assert await count(session, ImportBatch) == 0


TEACHER_HEADER = ["Teacher: full name", "Teacher: phone", "Language"]


async def test_teachers_template_import_again_and_undo(client, session):
    await admin(session)
    parent = await make_user(
        session, None, roles=[Role.PARENT], full_name="Vali Valiyev", consent=None
    )
    parent.phone = "+998935550000"
    await session.commit()
    menu = await client.send(CLERK, "/import")
    assert "📄 Template: teachers" in menu.buttons()
    reply = await client.press(CLERK, menu.callback_data("📄 Template: teachers"), menu.message_id)
    ((name, data),) = documents(reply).items()
    assert name == "import-teachers.xlsx"
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    assert [c.value for c in sheet[1]] == ["Teacher: full name *", "Teacher: phone", "Language"]

    rows = [
        ["Nodira Karimova", "97 765 43 21", "ru"],
        ["Valiyev Vali", "+998 93 555 00 00", ""],  # the parent also teaches
        ["Nodira Karimova", "97 765 43 21", "ru"],  # a duplicate
        ["", "", ""],
    ]
    dry = await client.send_document(CLERK, "staff.xlsx", xlsx(TEACHER_HEADER, rows))
    text = dry.texts[0]
    assert "➕ New: 1" in text and "✏️ Completed (empty fields filled, links added): 1" in text
    assert "row 4: the same as row 2" in text
    await client.press(CLERK, dry.callback_data("✅ Apply"), dry.message_id)
    teachers = await session.execute(
        select(User.full_name, User.phone, User.language)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.role == Role.TEACHER)
        .order_by(User.id)
    )
    assert [tuple(row) for row in teachers] == [
        ("Vali Valiyev", "+998935550000", "en"),
        ("Nodira Karimova", "+998977654321", "ru"),
    ]
    invite = await session.scalar(select(Invite))
    assert invite.kind == "teacher"
    # a file sent after the people template was asked for is still told by its header
    await client.press(
        CLERK, menu.callback_data("📄 Template: students and parents"), menu.message_id
    )
    again = await client.send_document(CLERK, "staff.xlsx", xlsx(TEACHER_HEADER, rows))
    assert "➕ New: 0" in again.texts[0] and "✅ Apply" not in again.buttons()

    batch_id = await session.scalar(select(ImportBatch.id))
    done = await client.press(CLERK, ImportCb(action="undoy", id=batch_id).pack())
    assert "People removed: 1" in done.text
    roles = await session.scalars(
        select(RoleAssignment.role).where(RoleAssignment.user_id == parent.id)
    )
    assert list(roles) == [Role.PARENT]  # the teacher role the import added is gone


async def test_problem_cells_are_quoted_short_and_written_back_as_text(client, session):
    await admin(session)
    rows = [['=HYPERLINK("http://evil")', "1", "x" * 5000, "", "", ""]]
    reply = await dry_run(client, CLERK, "evil.csv", _csv(EN_HEADER, rows))
    assert len(reply.texts[0]) < 4096 and "x" * 41 not in reply.texts[0]
    assert "«" + "x" * 40 + "…»" in reply.texts[0]
    ((_name, data),) = documents(reply).items()
    cell = load_workbook(io.BytesIO(data)).worksheets[0]["B2"]
    assert cell.value == '=HYPERLINK("http://evil")' and cell.data_type == "s"


def _csv(header, rows) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return out.getvalue().encode()


COURSE_HEADER = ["Course: name", "Monthly price, soʻm", "Description"]


async def test_courses_need_academic_and_import_again_and_undo(client, session):
    from db.models import Course
    from tests.factories import make_course

    await admin(session, permissions=(Permission.ACADEMIC,))
    await make_course(session, "General English", monthly_price=1_000_000)
    menu = await client.send(CLERK, "/import")
    # users' templates are not offered
    assert menu.buttons() == [
        "📄 Template: courses",
        "📄 Template: groups and timetables",
        "📄 Template: enrolments",
    ]
    reply = await client.press(CLERK, menu.callback_data("📄 Template: courses"), menu.message_id)
    ((_name, data),) = documents(reply).items()
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    assert [c.value for c in sheet[1]] == ["Course: name *", "Monthly price, soʻm *", "Description"]

    rows = [
        ["IELTS 7+", "1 500 000", "Four skills"],
        ["general  english", 1250000, "Speaking"],  # known: the description fills, price kept
        ["Maths", "a lot", ""],
        ["IELTS 7+", "1 500 000", "Four skills"],
    ]
    dry = await client.send_document(CLERK, "courses.xlsx", xlsx(COURSE_HEADER, rows))
    text = dry.texts[0]
    assert "➕ New: 1" in text and "✏️ Completed (empty fields filled, links added): 1" in text
    assert "row 3, Monthly price, soʻm: the centre has «1000000»: kept" in text
    assert "row 4, Monthly price, soʻm: «a lot» not an amount" in text
    assert "row 5: the same as row 2" in text
    applied = await client.press(CLERK, dry.callback_data("✅ Apply"), dry.message_id)
    assert "Imported" in applied.text and not applied.of(SendDocument)  # nobody to invite
    found = await session.execute(
        select(Course.name, Course.monthly_price, Course.description).order_by(Course.id)
    )
    assert [tuple(row) for row in found] == [
        ("General English", 1_000_000, "Speaking"),
        ("IELTS 7+", 1_500_000, "Four skills"),
    ]
    people_file = await dry_run(client, CLERK, "people.xlsx", xlsx(EN_HEADER, PEOPLE))
    assert "The header has no column" in people_file.text  # not theirs to import

    batch_id = await session.scalar(select(ImportBatch.id))
    done = await client.press(CLERK, ImportCb(action="undoy", id=batch_id).pack())
    assert "Courses removed: 1" in done.text and "Fields emptied: 1" in done.text
    session.expire_all()
    found = await session.execute(select(Course.name, Course.description).order_by(Course.id))
    assert [tuple(row) for row in found] == [("General English", None)]


async def test_a_people_batch_cannot_be_undone_without_users(client, session):
    await admin(session, permissions=(Permission.USERS, Permission.ACADEMIC))
    dry = await dry_run(client, CLERK, "centre.xlsx", xlsx(EN_HEADER, PEOPLE[:1]))
    await client.press(CLERK, dry.callback_data("✅ Apply"), dry.message_id)
    other = await admin(session, CASHIER, permissions=(Permission.ACADEMIC,))
    del other
    batch_id = await session.scalar(select(ImportBatch.id))
    reply = await client.press(CASHIER, ImportCb(action="undoy", id=batch_id).pack())
    assert reply.answers[-1].text == NO_ACCESS
    assert await count(session, User, User.full_name == "Ali Valiyev") == 1


async def test_apply_pressed_twice_applies_once(client, session):
    await admin(session)
    dry = await dry_run(client, CLERK, "centre.xlsx", xlsx(EN_HEADER, PEOPLE[:1]))
    data = dry.callback_data("✅ Apply")
    await client.press(CLERK, data, dry.message_id)
    again = await client.press(CLERK, data, dry.message_id)
    assert again.answers[-1].text == "⚠️ This button is out of date. Open the menu again."
    assert await count(session, ImportBatch) == 1
    assert await count(session, User, User.full_name == "Ali Valiyev") == 1


async def test_a_photo_instead_of_the_file_is_answered_and_cancel_stops_waiting(client, session):
    from aiogram.types import PhotoSize

    await admin(session)
    await client.send(CLERK, "/import")
    photo = [PhotoSize(file_id="p1", file_unique_id="p1", width=10, height=10)]
    reply = await client.send(CLERK, photo=photo)
    assert reply.text == "⚠️ Send the filled template as a document (📎 → File), or /cancel."
    await client.send(CLERK, "/cancel")
    after = await client.send_document(CLERK, "centre.xlsx", xlsx(EN_HEADER, PEOPLE))
    assert "Dry run" not in after.text  # no longer waiting for a file
    assert await count(session, ImportBatch) == 0


GROUP_HEADER = [
    "Group: name",
    "Course: name",
    "Teacher: phone or full name",
    "Room",
    "Capacity",
    "Start date",
    "Weekdays",
    "Start time",
    "Length, minutes",
]


async def _teacher(session, name: str, phone: str | None) -> User:
    teacher = await make_user(session, None, roles=[Role.TEACHER], full_name=name)
    teacher.phone = phone
    await session.commit()
    return teacher


async def test_groups_template_opens_with_weekday_lists_in_the_admins_language(client, session):
    await make_user(
        session, CLERK, roles=[Role.ADMIN], permissions=[Permission.ACADEMIC], language="ru"
    )
    menu = await client.send(CLERK, "/import")
    assert len(menu.buttons()) == 3  # courses, groups and enrolments
    label = translate_to("ru", "📄 Template: groups and timetables")
    reply = await client.press(CLERK, menu.callback_data(label), menu.message_id)
    ((_name, data),) = documents(reply).items()
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    expected = [translate_to("ru", title) for title in GROUP_HEADER]
    for required in (0, 1, 5, 6, 7, 8):
        expected[required] += " *"
    assert [c.value for c in sheet[1]] == expected
    assert sheet["G2"].value == "Пн Ср Пт" and sheet["H2"].value == "09:00"
    (weekdays,) = [v.formula1 for v in sheet.data_validations.dataValidation]
    assert weekdays.startswith('"Пн Ср Пт,Вт Чт Сб,')


async def test_groups_import_with_timetables_again_nothing_and_undo(client, session):
    from datetime import time

    from db.models import Group, Lesson, ScheduleSlot
    from tests.factories import make_course

    EVE = time(14, 30)

    await admin(session, permissions=(Permission.ACADEMIC,))
    english = await make_course(session, "General English")
    await make_course(session, "Old course", is_active=False)
    teacher = await _teacher(session, "Nodira Karimova", "+998977654321")
    await _teacher(session, "Aziz Aliyev", None)
    await make_group(session, "GE-0", course=english)
    rows = [
        ["GE-1", "general english", "977654321", "12", 10, "05.01.2027", "Mon,Wed,Fri", "9:00", 90],
        ["GE-2", "General English", "Aziz Aliyev", None, None, date(2027, 1, 6), "вт,чт", EVE, 60],
        ["ge-0", "General English", None, None, None, "05.01.2027", "1 3", "10:00", 60],
        ["X", "Maths", None, None, None, "05.01.2027", "Mon", "10:00", 60],
        ["Y", "Old course", None, None, None, "05.01.2027", "Mon", "10:00", 60],
        ["Z", "General English", "Somebody Else", None, "many", "31.02.2027", "Funday", "25:00", 5],
        ["GE-1", "General English", None, None, None, "05.01.2027", "Mon", "09:00", 90],
    ]
    dry = await dry_run(client, CLERK, "groups.xlsx", xlsx(GROUP_HEADER, rows))
    text = dry.texts[0]
    assert "➕ New: 2" in text and "✔️ Already there, nothing to change: 1" in text
    assert "⏭ Skipped (problems): 4" in text
    assert "row 5, Course: name: «Maths» no such course at the centre" in text
    assert "row 6, Course: name: the course is archived" in text
    assert "row 7, Capacity: «many» not a whole number within the limits" in text
    assert "row 7, Start date: «31.02.2027» no such date" in text
    assert "row 7, Weekdays: «Funday» not weekdays" in text
    assert "row 7, Start time: «25:00» not a time: write 14:00" in text
    assert "row 7, Length, minutes: «5» not a length: minutes, 15 to 360" in text
    assert "row 8: the same as row 2" in text
    assert await count(session, Group) == 1  # the dry run wrote nothing
    assert "problems-groups.xlsx" in documents(dry)

    applied = await client.press(CLERK, dry.callback_data("✅ Apply"), dry.message_id)
    assert "Imported" in applied.text and not applied.of(SendDocument)
    found = await session.execute(
        select(Group.name, Group.teacher_id, Group.room, Group.capacity, Group.start_date).order_by(
            Group.id
        )
    )
    assert [tuple(row) for row in found][1:] == [
        ("GE-1", teacher.id, "12", 10, date(2027, 1, 5)),
        ("GE-2", teacher.id + 1, None, 12, date(2027, 1, 6)),
    ]
    slots = await session.execute(
        select(Group.name, ScheduleSlot.weekday, ScheduleSlot.start_time)
        .add_columns(ScheduleSlot.duration_minutes)
        .join(Group, Group.id == ScheduleSlot.group_id)
        .where(Group.name != "GE-0")
        .order_by(Group.name, ScheduleSlot.weekday)
    )
    assert [tuple(row) for row in slots] == [
        ("GE-1", 0, time(9), 90),
        ("GE-1", 2, time(9), 90),
        ("GE-1", 4, time(9), 90),
        ("GE-2", 1, time(14, 30), 60),
        ("GE-2", 3, time(14, 30), 60),
    ]
    assert await count(session, Lesson) == 0  # the lessons job plans them
    audits = await count(session, AuditEntry, AuditEntry.action == "import.apply")
    assert audits == 1

    again = await dry_run(client, CLERK, "groups.xlsx", xlsx(GROUP_HEADER, rows))
    assert "➕ New: 0" in again.texts[0] and "✅ Apply" not in again.buttons()
    assert (
        "ℹ️ Nothing to write: every group in the file is at the centre already." in (again.texts[0])
    )
    assert await count(session, Group) == 3

    batch_id = await session.scalar(select(ImportBatch.id))
    asked = await client.press(CLERK, ImportCb(action="undo", id=batch_id).pack())
    assert "The groups it created are removed with their timetables" in asked.text
    kept_id = await session.scalar(select(Group.id).where(Group.name == "GE-2"))
    await make_enrolment(session, await make_user(session, None, roles=[Role.STUDENT]), kept_id)
    done = await client.press(CLERK, ImportCb(action="undoy", id=batch_id).pack())
    assert "Groups removed: 1" in done.text
    assert "Groups kept (a student joined or a lesson was held since): 1" in done.text
    session.expire_all()
    names = await session.scalars(select(Group.name).order_by(Group.id))
    assert list(names) == ["GE-0", "GE-2"]
    assert await count(session, ScheduleSlot, ScheduleSlot.group_id == kept_id) == 2


async def test_groups_need_academic(client, session):
    await admin(session, permissions=(Permission.USERS,))
    menu = await client.send(CLERK, "/import")
    assert "📄 Template: groups and timetables" not in menu.buttons()
    reply = await client.press(CLERK, ImportCb(action="tpl", kind="groups").pack(), menu.message_id)
    assert reply.answers[-1].text == NO_ACCESS
    denied = await count(session, AuditEntry, AuditEntry.outcome == AuditOutcome.DENIED)
    assert denied == 1


ENROLMENT_HEADER = [
    "Student: full name",
    "Student: phone",
    "Birth date",
    "Group: name",
    "Course: name",
    "Join date",
    "Discount, %",
]


async def _student(session, name: str, phone=None, born=None) -> User:
    student = await make_user(session, None, roles=[Role.STUDENT], full_name=name)
    student.phone, student.birth_date = phone, born
    await session.commit()
    return student


async def test_enrolments_import_charges_as_in_chat_again_nothing_and_undo(client, session):
    from datetime import time

    from bot.services.payments import ledger
    from db.models import Balance, Charge, Enrolment
    from tests.factories import make_course

    await admin(session, permissions=(Permission.ACADEMIC,))
    english = await make_course(session, "General English", monthly_price=1_000_000)
    maths = await make_course(session, "Maths")
    group = await make_group(session, "GE-1", course=english, slots=[(0, time(9)), (2, time(9))])
    await make_group(session, "Twin", course=english)
    await make_group(session, "Twin", course=maths)
    ali = await _student(session, "Ali Valiyev", "+998901234567")
    laylo = await _student(session, "Laylo Valiyeva", None, date(2013, 5, 2))
    bobur = await _student(session, "Bobur Karimov")
    await make_enrolment(session, bobur, group)
    ali_id, laylo_id, bobur_id = ali.id, laylo.id, bobur.id
    rows = [
        ["Valiyev Ali", "90 123 45 67", None, "ge-1", None, "01.09.2026", "10%"],
        ["Laylo Valiyeva", None, "02.05.2013", "GE-1", "General English", 46266, None],
        ["Bobur Karimov", None, None, "GE-1", None, "01.09.2026", None],  # seated already
        ["Nobody Here", None, None, "GE-1", None, "01.09.2026", None],
        ["Ali Valiyev", "+998901234567", None, "Nope", None, "01.09.2026", None],
        ["Ali Valiyev", "+998901234567", None, "Twin", None, "01.09.2026", None],
        ["Ali Valiyev", "+998901234567", None, "GE-1", None, "", "150"],
        ["Laylo Valiyeva", None, "02.05.2013", "GE-1", "General English", 46266, None],
    ]
    dry = await dry_run(client, CLERK, "enrolments.xlsx", xlsx(ENROLMENT_HEADER, rows))
    text = dry.texts[0]
    assert "➕ New: 2" in text and "✔️ Already there, nothing to change: 1" in text
    assert "⏭ Skipped (problems): 5" in text
    assert "row 5, Student: full name: «Nobody Here» no such student at the centre" in text
    assert "row 6, Group: name: «Nope» no such group at the centre" in text
    assert "row 7, Group: name: «Twin» groups of several courses have this name" in text
    assert "row 8, Join date: must be filled in" in text
    assert "row 8, Discount, %: «150» not a discount: 0 to 100" in text
    assert "row 9: the same as row 3" in text
    assert await count(session, Enrolment) == 1 and await count(session, Charge) == 0

    applied = await client.press(CLERK, dry.callback_data("✅ Apply"), dry.message_id)
    assert "Imported" in applied.text
    found = await session.execute(
        select(Enrolment.student_id, Enrolment.joined_on, Enrolment.discount_percent)
        .where(Enrolment.student_id != bobur_id)
        .order_by(Enrolment.id)
    )
    assert [tuple(row) for row in found] == [
        (ali_id, date(2026, 9, 1), 10),
        (laylo_id, date(2026, 9, 1), 0),  # 46266: an Excel serial number
    ]
    # charged at once, as enrolling in chat is after the month's charge run
    charged = await session.execute(select(Charge.student_id, Charge.amount).order_by(Charge.id))
    charged = [tuple(row) for row in charged]
    assert [student for student, _amount in charged] == [ali_id, laylo_id]
    assert charged[0][1] == charged[1][1] * 9 // 10 and charged[1][1] > 0
    assert await ledger.recompute_balances(session) == []  # the balances agree
    assert await count(session, ImportItem, ImportItem.object_type == "charge") == 2
    assert await count(session, AuditEntry, AuditEntry.action == "import.apply") == 1

    again = await dry_run(client, CLERK, "enrolments.xlsx", xlsx(ENROLMENT_HEADER, rows))
    assert "➕ New: 0" in again.texts[0] and "✅ Apply" not in again.buttons()

    batch_id = await session.scalar(select(ImportBatch.id))
    done = await client.press(CLERK, ImportCb(action="undoy", id=batch_id).pack())
    assert "Enrolments removed (with their charges): 2" in done.text
    session.expire_all()
    assert await count(session, Enrolment) == 1 and await count(session, Charge) == 0
    assert await ledger.recompute_balances(session) == []
    balances = await session.scalars(select(Balance.amount).where(Balance.student_id == ali_id))
    assert list(balances) in ([], [0])


async def test_enrolments_need_academic(client, session):
    await admin(session, permissions=(Permission.USERS,))
    reply = await client.press(CLERK, ImportCb(action="tpl", kind="enrolments").pack())
    assert reply.answers[-1].text == NO_ACCESS
    assert await count(session, AuditEntry, AuditEntry.outcome == AuditOutcome.DENIED) == 1


async def test_the_export_has_groups_and_enrolments_sheets_that_read_back(client, session, owner):
    from datetime import time

    from db.models import Group, ScheduleSlot
    from tests.factories import make_course

    await make_user(session, owner, roles=[Role.ADMIN])
    english = await make_course(session, "General English")
    teacher = await _teacher(session, "Nodira Karimova", "+998977654321")
    slots = [(0, time(9), 90), (2, time(9), 90), (4, time(14), 60)]
    group = await make_group(
        session, "GE-1", course=english, teacher_id=teacher.id, room="12", slots=slots
    )
    student = await _student(session, "Ali Valiyev", "+998901234567")
    await make_enrolment(session, student, group, discount_percent=15)

    files = documents(await client.send(owner, "/export_centre"))
    (xlsx_name,) = [name for name in files if name.endswith(".xlsx")]
    book = load_workbook(io.BytesIO(files[xlsx_name]))
    groups_sheet, enrolments_sheet = book.worksheets[3], book.worksheets[4]
    head = ["GE-1", "General English", "+998 97 765 43 21", "12", 20, "05.01.2026"]
    assert [[c.value for c in row] for row in groups_sheet.iter_rows(min_row=2)] == [
        [*head, "1 3", "09:00", 90],
        [*head, "5", "14:00", 60],
    ]
    assert [[c.value for c in row] for row in enrolments_sheet.iter_rows(min_row=2)] == [
        ["Ali Valiyev", "+998 90 123 45 67", None, "GE-1", "General English", "05.01.2026", 15],
    ]

    # the groups sheet read back: one group with its three slots, already there
    menu = await client.send(owner, "/import")
    label = "📄 Template: groups and timetables"
    await client.press(owner, menu.callback_data(label), menu.message_id)
    again = await client.send_document(owner, xlsx_name, files[xlsx_name])
    assert "✔️ Already there, nothing to change: 2" in again.texts[0]
    assert "Skipped (problems): 0" in again.texts[0]
    balances_header = ["Student: full name *", "Student: phone", "Birth date", "Balance, soʻm *"]
    assert [c.value for c in book.worksheets[5][1]] == [*balances_header, "On the date"]
    # and read as a file: one group with all its three slots
    from bot.services import imports
    from handlers.admin.imports.texts import header_titles

    parsed = imports.read_file(
        files[xlsx_name], imports.KINDS["groups"], header_titles(), region="UZ", today=date.today()
    )
    (row,) = parsed.rows
    assert [(s.weekday, s.start, s.minutes) for s in row.extra.slots] == slots
    assert await count(session, Group) == 1 and await count(session, ScheduleSlot) == 3


async def test_a_group_clashing_with_another_groups_teacher_is_listed_and_still_created(
    client, session
):
    from datetime import time

    from db.models import Group
    from tests.factories import make_course

    await admin(session, permissions=(Permission.ACADEMIC,))
    english = await make_course(session, "General English")
    teacher = await _teacher(session, "Nodira Karimova", "+998977654321")
    await make_group(
        session, "GE-0", course=english, teacher_id=teacher.id, slots=[(0, time(9), 90)]
    )
    rows = [["GE-1", "General English", "+998977654321", None, None, "05.01.2027", "Mon"]]
    rows[0] += ["10:00", 60]
    dry = await dry_run(client, CLERK, "groups.xlsx", xlsx(GROUP_HEADER, rows))
    assert "ℹ️ row 2, Weekdays: the same teacher or room has the group «GE-0» then" in dry.text
    assert "➕ New: 1" in dry.text
    await client.press(CLERK, dry.callback_data("✅ Apply"), dry.message_id)
    assert await count(session, Group) == 2


BALANCE_HEADER = ["Student: full name", "Student: phone", "Birth date", "Balance, soʻm"]
BALANCE_HEADER += ["On the date"]


async def test_opening_balances_go_through_the_ledger_once_and_undo_takes_them_back(
    client, session, settings
):
    from bot.services.payments import ledger
    from db.models import Balance, Charge, Payment
    from handlers.admin.imports import today

    centre_today = today(settings)  # an empty date: the centre's today

    await admin(session, permissions=(Permission.PAYMENTS,))
    menu = await client.send(CLERK, "/import")
    assert menu.buttons() == ["📄 Template: opening balances"]
    ali = await _student(session, "Ali Valiyev", "+998901234567")
    laylo = await _student(session, "Laylo Valiyeva", None, date(2013, 5, 2))
    ali_id, laylo_id = ali.id, laylo.id
    future = (centre_today + timedelta(days=40)).strftime("%d.%m.%Y")
    rows = [
        ["Ali Valiyev", "90 123 45 67", None, "200 000", "01.12.2026"],
        ["Laylo Valiyeva", None, "02.05.2013", "-350 000", None],
        ["Nobody Here", None, None, 1000, None],
        ["Ali Valiyev", "+998901234567", None, "a lot", future],
        ["Laylo Valiyeva", None, "02.05.2013", "-350 000", None],
    ]
    dry = await dry_run(client, CLERK, "balances.xlsx", xlsx(BALANCE_HEADER, rows))
    text = dry.texts[0]
    assert "➕ New: 2" in text and "⏭ Skipped (problems): 3" in text
    assert "row 4, Student: full name: «Nobody Here» no such student at the centre" in text
    assert "row 5, Balance, soʻm: «a lot» not an amount: whole soʻm, -350 000" in text
    assert "row 5, On the date:" in text and "no such date" in text
    assert "row 6: the same as row 3" in text
    assert await count(session, Payment) == 0 and await count(session, Charge) == 0

    await client.press(CLERK, dry.callback_data("✅ Apply"), dry.message_id)
    paid = await session.execute(select(Payment.student_id, Payment.amount, Payment.note))
    assert [tuple(row) for row in paid] == [(ali_id, 200_000, "opening balance")]
    owed = await session.execute(
        select(Charge.student_id, Charge.amount, Charge.enrolment_id, Charge.due_date)
    )
    assert [tuple(row) for row in owed] == [(laylo_id, 350_000, None, centre_today)]
    found = await session.execute(select(Balance.student_id, Balance.amount).order_by(Balance.id))
    assert dict(tuple(row) for row in found) == {ali_id: 200_000, laylo_id: -350_000}
    assert await ledger.recompute_balances(session) == []
    assert await count(session, AuditEntry, AuditEntry.action == "import.apply") == 1

    again = await dry_run(client, CLERK, "balances.xlsx", xlsx(BALANCE_HEADER, rows))
    assert "➕ New: 0" in again.texts[0] and "✅ Apply" not in again.buttons()
    assert (
        "ℹ️ Nothing to write: every student in the file has an opening balance already."
        in (again.texts[0])
    )
    changed = [["Ali Valiyev", "+998901234567", None, "250000", None]]
    other = await dry_run(client, CLERK, "changed.xlsx", xlsx(BALANCE_HEADER, changed))
    assert "row 2, Balance, soʻm: the centre has «200000»: kept" in other.texts[0]

    batch_id = await session.scalar(select(ImportBatch.id))
    asked = await client.press(CLERK, ImportCb(action="undo", id=batch_id).pack())
    assert "The opening balances it wrote are taken back" in asked.text
    done = await client.press(CLERK, ImportCb(action="undoy", id=batch_id).pack())
    assert "Opening balances taken back: 2" in done.text
    session.expire_all()
    assert await count(session, Payment) == 0 and await count(session, Charge) == 0
    amounts = await session.scalars(select(Balance.amount))
    assert set(amounts) <= {0}
    assert await ledger.recompute_balances(session) == []


async def test_opening_balances_need_payments(client, session):
    await admin(session, permissions=(Permission.USERS, Permission.ACADEMIC))
    reply = await client.press(CLERK, ImportCb(action="tpl", kind="balances").pack())
    assert reply.answers[-1].text == NO_ACCESS
    assert await count(session, AuditEntry, AuditEntry.outcome == AuditOutcome.DENIED) == 1
