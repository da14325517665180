"""The data versions the report cache keys on: a counter per kind of data, raised by every
transaction that changes it.

Nobody calls a "bump": the session does it. Every ORM write (an object added, changed or
deleted and flushed) and every INSERT / UPDATE / DELETE statement run through a session on
one of the tables in `DOMAINS` marks its domain touched; just before the transaction
commits, each touched domain's row in `data_versions` is raised by one, in that same
transaction. So a payment recorded by the desk, a charge made by the monthly job, an
attendance sheet saved, an erasure detaching ledger rows, even a test's factory, all move
the version with the data, and a change rolled back moves nothing.

Why a counter row and not a probe such as max(updated_at): the ledger is append-only but
attendance marks are updated in place, and a max over 5 M marks needs an index of its own;
one small row per domain is read in one indexed query (well under a millisecond), is shared
by every process on the database (it is in the database), and becomes visible exactly when
the change does (it commits with it). The reader takes the versions *before* it reads the
data, so a change committed in between can only make it recompute once more, never keep
an old report. The counter is raised last, in the commit, so on PostgreSQL two transactions
writing the same domain wait on its row only for the length of a commit.
"""

from typing import Any

from sqlalchemy import event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from db.models import DataVersion

LEDGER = "ledger"
ATTENDANCE = "attendance"
ACADEMIC = "academic"
LEADS = "leads"
EXPENSES = "expenses"
PAYROLL = "payroll"

# Table → the domain whose version a change to it raises. A report reading another table
# adds it here.
DOMAINS: dict[str, str] = {
    "charges": LEDGER,
    "payments": LEDGER,
    "refunds": LEDGER,
    "balances": LEDGER,
    "attendance": ATTENDANCE,
    "lessons": ACADEMIC,
    "courses": ACADEMIC,
    "groups": ACADEMIC,
    "enrolments": ACADEMIC,
    "enrolment_freezes": ACADEMIC,
    "leads": LEADS,
    "expenses": EXPENSES,
    "expense_categories": EXPENSES,
    # Approved payslips (their lines) and payouts: the profit-and-loss report reads them.
    "payslips": PAYROLL,
    "payslip_lines": PAYROLL,
    "payouts": PAYROLL,
}

_TOUCHED = "data_versions.touched"

Versions = tuple[tuple[str, int], ...]


def _touch(session: Session, table_name: str | None) -> None:
    domain = DOMAINS.get(table_name or "")
    if domain is not None:
        session.info.setdefault(_TOUCHED, set()).add(domain)


def _on_execute(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        _touch(state.session, getattr(table, "name", None))


def _on_flush(session: Session, _context: Any, _instances: Any) -> None:
    for row in (*session.new, *session.dirty, *session.deleted):
        _touch(session, getattr(type(row), "__tablename__", None))


def _on_commit(session: Session) -> None:
    session.flush()  # what is still pending is flushed now, so it is seen as touched too
    touched = session.info.pop(_TOUCHED, None)
    if not touched:
        return
    connection = session.connection()
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    table = DataVersion.__table__
    for domain in sorted(touched):  # always in the same order: no deadlock between two
        statement = insert(table).values(name=domain, version=1)
        connection.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c.name], set_={"version": table.c.version + 1}
            )
        )


def _on_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # a rollback forgets what it undid
        session.info.pop(_TOUCHED, None)


class VersionedSession(Session):
    """The bot's sessions: they raise the data versions of what they change."""


event.listen(VersionedSession, "do_orm_execute", _on_execute)
event.listen(VersionedSession, "before_flush", _on_flush)
event.listen(VersionedSession, "before_commit", _on_commit)
event.listen(VersionedSession, "after_transaction_end", _on_transaction_end)


async def current(session: AsyncSession) -> Versions:
    """Every domain's version now, e.g. (("attendance", 3), ("ledger", 41))."""
    rows = await session.execute(
        select(DataVersion.name, DataVersion.version).order_by(DataVersion.name)
    )
    return tuple((name, int(version)) for name, version in rows)
