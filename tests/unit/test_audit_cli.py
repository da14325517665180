"""`python -m bot audit verify`: the verdict on stdout, exit code 0 when intact, 1 when not."""

import asyncio
import json

import pytest
from sqlalchemy import text

from bot.__main__ import main
from bot.services import audit
from tests.mocked_bot import BOT_TOKEN


@pytest.fixture
def cli_environment(monkeypatch, tmp_path, database_url):
    monkeypatch.chdir(tmp_path)  # no .env of the checkout
    monkeypatch.setenv("BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("LOG_LEVEL", "WARNING")


async def run_cli(*argv: str) -> int:
    # main() runs its own event loop: give it a thread of its own
    return await asyncio.to_thread(main, list(argv))


async def test_verify_reports_an_intact_chain(cli_environment, session, capsys):
    for n in range(3):
        await audit.record(session, actor_id=None, action="test.entry", details={"n": n})
    await session.commit()

    assert await run_cli("audit", "verify") == 0

    head = (await audit.verify(session)).head
    assert capsys.readouterr().out == f"Audit chain intact: 3 entries, head {head}\n"


async def test_verify_names_the_first_broken_entry(cli_environment, session, capsys):
    entries = [
        await audit.record(session, actor_id=None, action="test.entry", details={"n": n})
        for n in range(3)
    ]
    await session.commit()
    ids = [entry.id for entry in entries]
    await session.execute(
        text("UPDATE audit_log SET details = :details WHERE id = :id"),
        {"details": json.dumps({"n": "forged"}), "id": ids[1]},
    )
    await session.commit()

    assert await run_cli("audit", "verify") == 1

    out = capsys.readouterr().out
    assert out.startswith(f"Audit chain broken at entry #{ids[1]}: its content does not give")
    assert out.endswith("; 1 entry before it intact\n")


async def test_audit_without_verify_is_a_usage_error(cli_environment, capsys):
    with pytest.raises(SystemExit) as stopped:
        await run_cli("audit")
    assert stopped.value.code == 2
    assert "python -m bot audit verify" in capsys.readouterr().err
