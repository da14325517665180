"""`python -m bot audit verify`: walk the audit log's hash chain and say where it breaks."""

from bot.config import Settings
from bot.services import audit
from bot.services.audit_chain import ChainReport, Problem
from db.engine import create_engine, create_session_factory

PROBLEMS = {
    Problem.CONTENT: "its content does not give its stored hash (changed after it was written)",
    Problem.LINK: "it does not link to the entry before it "
    "(an entry before it was removed or slipped in, or the chain was re-linked around it)",
}


def describe(report: ChainReport) -> str:
    if report.intact:
        return f"Audit chain intact: {report.entries} entries, head {report.head}"
    before = "1 entry" if report.entries == 1 else f"{report.entries} entries"
    return (
        f"Audit chain broken at entry #{report.broken_id}: {PROBLEMS[report.problem]}; "
        f"{before} before it intact"
    )


async def verify_audit(settings: Settings) -> int:
    """Print the verdict; exit code 0 when the chain is intact, 1 when it is broken."""
    engine = create_engine(settings.database.database_url)
    try:
        async with create_session_factory(engine)() as session:
            report = await audit.verify(session)
    finally:
        await engine.dispose()
    print(describe(report))
    return 0 if report.intact else 1
