"""What the audit chain costs on a long log: `audit verify` over N entries, and an erasure
that scrubs the oldest entry and so re-links all N (the worst case).

Prints entries per second for both, per run. SQLite in a temporary file by default;
--database-url postgresql+asyncpg://… uses that (empty) database instead.
Usage: .venv/bin/python benchmarks/audit_chain.py [--entries 50000] [--runs 3]
"""

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from sqlalchemy import func, insert, select  # noqa: E402

import db.models  # noqa: E402, F401  (registers every table)
from bot.services import audit  # noqa: E402
from bot.services.audit_chain import GENESIS, entry_hash  # noqa: E402
from db.base import Base, utcnow  # noqa: E402
from db.engine import create_engine, create_session_factory  # noqa: E402
from db.models import AuditEntry  # noqa: E402


def chained_rows(count: int) -> list[dict]:
    now, prev, rows = utcnow(), GENESIS, []
    for i in range(count):
        row = {
            "at": now,
            "actor_id": None,
            "action": "payment.recorded",
            "object_type": "payment",
            "object_id": str(i),
            "outcome": "ok",
            "details": {"amount": 300_000, "student_id": i % 500, "method": "cash"},
        }
        row["prev_hash"] = prev
        row["hash"] = prev = entry_hash(prev, SimpleNamespace(**row))
        rows.append(row)
    return rows


async def one_run(url: str, count: int) -> tuple[float, float]:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.drop_all)
        await connection.run_sync(Base.metadata.create_all)
    try:
        async with create_session_factory(engine)() as session:
            await session.execute(insert(AuditEntry), chained_rows(count))
            await session.commit()
            first = await session.scalar(select(func.min(AuditEntry.id)))
            started = time.perf_counter()
            report = await audit.verify(session)
            verify_rate = report.entries / (time.perf_counter() - started)
            started = time.perf_counter()
            await audit.rewrite(session, {first: {"details": {"amount": "[deleted]"}}})
            await session.commit()
            rewrite_rate = count / (time.perf_counter() - started)
            assert (await audit.verify(session)).intact
        return verify_rate, rewrite_rate
    finally:
        await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{folder}/audit.db"
        for run in range(1, args.runs + 1):
            verify_rate, rewrite_rate = await one_run(url, args.entries)
            print(
                f"run {run}: {args.entries} entries; verify {verify_rate:,.0f} entries/s, "
                f"erasure re-linking {rewrite_rate:,.0f} entries/s"
            )


if __name__ == "__main__":
    asyncio.run(main())
