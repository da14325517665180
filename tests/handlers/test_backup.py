"""/backup, the file for owners only, the daily job and its alert to the owners."""

import os
from datetime import UTC, datetime, time

import pytest
from aiogram.methods import SendDocument, SendMessage
from sqlalchemy import select

from bot.delivery import Sender
from bot.jobs.backup import daily_backup
from bot.services.backup import list_backups
from bot.startup.scheduler import create_scheduler
from db.models import AuditEntry, AuditOutcome, Permission, Role
from keyboards.backup import BackupCb
from tests.conftest import make_settings
from tests.factories import make_user

SEND = "📦 Send me the file"
REFUSED = "⚠️ You do not have access to this. If you think you should, ask the administrator."

POSTGRES = bool(os.environ.get("TEST_DATABASE_URL"))
SUFFIX = "dump.gz" if POSTGRES else "db.gz"  # pg_dump custom format or a SQLite copy


@pytest.fixture
def settings(database_url, tmp_path):
    return make_settings(
        database_url, backup_dir=str(tmp_path / "backups"), backup_keep=2, backup_time="03:15"
    )


async def actions(session) -> list[tuple[str, str]]:
    rows = await session.scalars(select(AuditEntry).where(AuditEntry.action.like("backup.%")))
    return [(entry.action, entry.outcome) for entry in rows]


async def test_owner_makes_a_backup_and_asks_for_the_file(client, session, owner, settings):
    await make_user(session, owner)

    reply = await client.send(owner, "/backup")

    [made] = list_backups(settings.backup.backup_dir)
    assert "💾 <b>Backup made</b>" in reply.text
    assert f"<code>{made.name}</code>" in reply.text
    assert "📦 Size: " in reply.text and " KB" in reply.text
    expected_check = "pg_restore reads the dump" if POSTGRES else "integrity ok,"
    assert f"✅ Check passed: {expected_check}" in reply.text
    assert "⚠️ Not encrypted: BACKUP_KEY is not set" in reply.text
    assert reply.buttons() == [SEND]
    assert not reply.of(SendDocument)  # only on explicit request

    pressed = await client.press(owner, reply.callback_data(SEND), reply.message_id)
    [document] = pressed.of(SendDocument)
    assert document.chat_id == owner.id
    assert document.document.filename == made.name
    assert document.document.data == made.read_bytes()
    assert len(pressed.answers) == 1
    assert await actions(session) == [("backup.created", "ok"), ("backup.sent", "ok")]


async def test_an_admin_with_the_permission_never_gets_the_file(
    client, bot, session, owner, alice, settings
):
    await make_user(session, owner)
    await make_user(session, alice, roles=[Role.ADMIN], permissions=[Permission.BACKUPS])

    reply = await client.send(alice, "/backup")
    [made] = list_backups(settings.backup.backup_dir)
    assert "💾 <b>Backup made</b>" in reply.text
    assert reply.buttons() == []

    forged = await client.press(alice, BackupCb(name=made.name).pack(), reply.message_id)
    assert not forged.of(SendDocument)
    assert [(a.text, a.show_alert) for a in forged.answers] == [(REFUSED, True)]
    denied = await session.scalar(select(AuditEntry).where(AuditEntry.action == "access.denied"))
    assert (denied.outcome, denied.details["needs"]) == (AuditOutcome.DENIED, "owner")
    assert ("backup.sent", AuditOutcome.DENIED) not in await actions(session)


async def test_without_the_permission_nothing_is_made(client, session, alice, settings):
    await make_user(session, alice, roles=[Role.ADMIN], permissions=[Permission.AUDIT])
    reply = await client.send(alice, "/backup")
    assert reply.text.startswith("⚠️ You do not have access to this.")
    assert list_backups(settings.backup.backup_dir) == []


@pytest.mark.parametrize("name", ["educrm-20200101T000000Z.db.gz", "../test.db"])
async def test_a_file_not_kept_is_not_sent(client, session, owner, settings, name):
    await make_user(session, owner)
    reply = await client.send(owner, "/backup")
    pressed = await client.press(owner, BackupCb(name=name).pack(), reply.message_id)
    assert not pressed.of(SendDocument)
    assert pressed.answers[0].text == "⚠️ That backup is no longer kept."


async def test_a_failed_backup_is_reported(client, session, owner, settings, tmp_path):
    (tmp_path / "backups").write_text("a file where the directory should be")
    await make_user(session, owner)
    reply = await client.send(owner, "/backup")
    assert reply.text.startswith("❌ <b>The backup failed</b>\n<code>BACKUP_DIR")
    assert reply.buttons() == []
    assert await actions(session) == [("backup.created", "failed")]


async def test_the_daily_job_writes_rotates_and_alerts_owners_on_failure(
    bot, session, session_factory, owner, alice, settings, tmp_path
):
    await make_user(session, owner)
    await make_user(session, alice, roles=[Role.ADMIN], permissions=[Permission.BACKUPS])
    for day in (1, 2, 3):
        now = datetime(2026, 11, day, 3, 15, tzinfo=UTC)
        made = await daily_backup(session_factory, bot, Sender(session_factory), settings, now=now)
        assert made is not None
    assert [path.name for path in list_backups(settings.backup.backup_dir)] == [
        f"educrm-20261102T031500Z.{SUFFIX}",
        f"educrm-20261103T031500Z.{SUFFIX}",
    ]
    assert not bot.session.requests

    broken = make_settings(
        settings.database.database_url, backup_dir=str(tmp_path / "backups" / "educrm-x.db.gz")
    )
    (tmp_path / "backups" / "educrm-x.db.gz").write_text("in the way")
    assert await daily_backup(session_factory, bot, Sender(session_factory), broken) is None
    [alert] = [call for call in bot.session.requests if isinstance(call, SendMessage)]
    assert alert.chat_id == owner.id  # the owner only, not the admin
    assert alert.text.startswith("🚨 <b>The backup failed</b>\n<code>BACKUP_DIR")


def test_the_scheduler_runs_the_backup_at_backup_time(session_factory, bot, settings):
    scheduler = create_scheduler(session_factory, bot, settings, Sender(session_factory))
    trigger = scheduler.get_job("daily_backup").trigger
    assert str(trigger.fields[5]) == "3" and str(trigger.fields[6]) == "15"
    assert settings.backup.backup_time == time(3, 15)
