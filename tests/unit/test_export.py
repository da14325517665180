"""The export files, the one-a-minute clock, and the profile validators."""

import io
import json
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import event, select

from bot.services import export as export_service
from bot.services import mydata as mydata_service
from bot.services import parsing
from bot.services.parsing import Invalid, Problem
from db.base import utcnow
from db.models import AuditEntry, Role
from tests.factories import make_user
from tests.handlers.test_mydata import give_records

STATUSES = ("present", "absent", "late", "excused")


@pytest.mark.slow  # thousands of rows: about 5 s
async def test_an_export_of_thousands_of_rows_is_built_with_a_handful_of_queries(session, engine):
    student = await make_user(session, roles=[Role.STUDENT], full_name="Busy Student")
    marks = [STATUSES[i % 4] for i in range(3000)]
    await give_records(session, student.id, tag="Big", attendance=marks, grades=40)
    other = await make_user(session, roles=[Role.STUDENT], full_name="Other Student")
    await give_records(session, other.id, tag="Other", attendance=("absent",) * 50)
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        files = await export_service.export(session, student.id, student.id, utcnow())
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)

    assert files is not None
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 20, selects  # one per table, never one per row
    doc = json.loads(files.json_bytes)
    assert len(doc["attendance"]) == 3000
    assert sum(row["status"] == "late" for row in doc["attendance"]) == 750
    assert {row["group"] for row in doc["attendance"]} == {"Big group"}
    assert len(doc["grades"]) == 40 and len(doc["payments"]) == 2
    workbook = openpyxl.load_workbook(io.BytesIO(files.xlsx_bytes), read_only=True)
    rows = {name: sum(1 for _ in workbook[name].iter_rows()) for name in workbook.sheetnames}
    assert rows["attendance"] == 3001  # the header and every mark
    assert rows["grades"] == 41
    assert set(workbook.sheetnames) == {"profile", *export_service.TABLE_KEYS}
    assert "Other" not in files.json_bytes.decode()
    entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "data.export"))
    assert entry.object_id == str(student.id) and entry.details == {"rows": 3000 + 40 + 2 + 5}


async def test_every_documented_key_is_in_the_file(session):
    student = await make_user(session, roles=[Role.STUDENT])
    await give_records(session, student.id, tag="Keys")
    files = await export_service.export(session, student.id, student.id, utcnow())
    doc = json.loads(files.json_bytes)
    for table, keys in export_service.TABLE_KEYS.items():
        for row in doc[table]:
            assert tuple(row) == keys, table
        assert table in export_service.__doc__
    assert tuple(doc["profile"]) == export_service.PROFILE_KEYS
    assert all(isinstance(row["amount"], int) for row in doc["payments"] + doc["charges"])


async def test_an_erased_person_has_nothing_to_export(session):
    user = await make_user(session)
    user.deleted_at = utcnow()
    await session.commit()
    assert await export_service.export(session, user.id, user.id, utcnow()) is None
    assert await mydata_service.may_see(session, user.id, user.id) is False


async def test_the_wait_is_counted_from_the_latest_export_in_the_audit_log(session):
    user = await make_user(session)
    now = utcnow()
    assert await export_service.seconds_to_wait(session, user.id, now) == 0
    await export_service.export(session, user.id, user.id, now)
    entry = await session.scalar(select(AuditEntry).where(AuditEntry.action == "data.export"))
    at = entry.at
    wait = export_service.seconds_to_wait
    assert await wait(session, user.id, at) == 60
    assert await wait(session, user.id, at + timedelta(seconds=20.5)) == 40
    assert await wait(session, user.id, at + timedelta(seconds=59.9)) == 1
    assert await wait(session, user.id, at + timedelta(seconds=60)) == 0
    other = await make_user(session)
    assert await wait(session, other.id, at) == 0  # per person


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Aziza Karimova", "Aziza Karimova"),
        ("  Gʻulom   Oʻktamov ", "Gʻulom Oʻktamov"),
        ("O'tkir Ne'matov", "O'tkir Ne'matov"),
        ("Анна-Мария Ёлкина", "Анна-Мария Ёлкина"),
        ("J. R. R. Tolkien", "J. R. R. Tolkien"),
        ("Li", "Li"),
    ],
)
def test_names_people_write_are_accepted(raw: str, expected: str) -> None:
    assert parsing.clean_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("Agent 007", Problem.DIGITS),
        ("<script>x</script>", Problem.CHARACTERS),
        ("Tom & Jerry", Problem.CHARACTERS),
        ("name@example", Problem.CHARACTERS),
        ("A", Problem.TOO_SHORT),
        ("-.", Problem.TOO_SHORT),
        ("   ", Problem.TOO_SHORT),
        ("x" * 129, Problem.TOO_LONG),
    ],
)
def test_bad_names_are_refused_with_the_reason(raw: str, problem: Problem) -> None:
    with pytest.raises(Invalid) as refused:
        parsing.clean_name(raw)
    assert refused.value.problem is problem


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a@b.uz", "a@b.uz"),
        (" First.Last+tag@Mail.Example.COM ", "First.Last+tag@mail.example.com"),
    ],
)
def test_emails_are_accepted(raw: str, expected: str) -> None:
    assert parsing.clean_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "plain", "a@b", "a@.uz", "a..b@c.uz", ".a@c.uz", "a@c..uz", "a@-c.uz", "a b@c.uz",
     "a@c.uz>", "x" * 65 + "@c.uz", "a@" + "b" * 250 + ".uz"],
)  # fmt: skip
def test_bad_emails_are_refused(raw: str) -> None:
    with pytest.raises(Invalid):
        parsing.clean_email(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("998901234567", "+998901234567"),
        ("+998 90 123-45-67", "+998901234567"),
        ("901234567", "+998901234567"),
        ("+79161234567", "+79161234567"),
    ],
)
def test_phones_are_stored_in_international_form(raw: str, expected: str) -> None:
    assert parsing.clean_phone(raw) == expected


@pytest.mark.parametrize("raw", ["", "123", "+1234567890123456"])
def test_bad_phones_are_refused(raw: str) -> None:
    with pytest.raises(Invalid):
        parsing.clean_phone(raw)


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("701234567", "KZ", None),
        ("7012345678", "KZ", "+77012345678"),
        ("901234567", "UZ", "+998901234567"),
    ],
)
def test_a_number_without_a_country_code_is_read_in_phone_region(raw, region, expected) -> None:
    if expected is None:
        with pytest.raises(Invalid):
            parsing.clean_phone(raw, region)
    else:
        assert parsing.clean_phone(raw, region) == expected
