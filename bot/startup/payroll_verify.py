"""`python -m bot payroll verify`: count every approved payslip again on today's data and
print where the figures differ (by month, teacher and group), changing nothing.

A difference a later payslip already carries as a correction line is listed as settled;
exit code 1 when a difference is not settled yet (the next draft will carry it)."""

from bot.config import Settings
from bot.services.payroll import payslips
from bot.services.payroll.payslips import VerifyReport
from db.engine import create_engine, create_session_factory


def describe(report: VerifyReport) -> list[str]:
    lines = [
        f"Approved payslips checked: {report.checked}; differences: {len(report.differences)} "
        f"({len(report.outstanding)} not yet corrected)"
    ]
    for d in report.differences:
        group = f"group {d.group_id}" if d.group_id is not None else "no group"
        state = (
            "settled by a later correction"
            if not d.outstanding
            else f"outstanding {d.outstanding:+d}"
        )
        lines.append(
            f"  payslip #{d.payslip_id} teacher {d.teacher_id} {d.month:%Y-%m} {group}: "
            f"approved {d.approved}, corrected since {d.corrected:+d}, today {d.today} ({state})"
        )
    return lines


async def verify_payroll(settings: Settings) -> int:
    engine = create_engine(settings.database.database_url)
    try:
        async with create_session_factory(engine)() as session:
            report = await payslips.verify(session, settings.centre.tz)
    finally:
        await engine.dispose()
    print("\n".join(describe(report)))
    return 1 if report.outstanding else 0
