"""✍️ Dates of my own: a report's period typed as two dates, on the form engine.

Step 1 the first day, step 2 the last (`DD.MM.YYYY`); a wrong date, an end before the
start or a range longer than three years repeats the step with the reason. The last
answer goes straight on to the filter picker: nothing is written, so nothing to confirm.
"""

from datetime import date

from bot.forms import Form, FormContext, FormData, Step
from bot.forms.engine import reply
from bot.i18n import _
from bot.services import parsing
from bot.services.reports.period import MAX_YEARS, Period
from bot.wording import range_problem
from db.models import Permission
from handlers.admin.reports.common import report_title, scopes_text
from keyboards.reports import scopes_keyboard

REPORTS = {"permission": Permission.REPORTS}


class RangeData(FormData):
    report: str = ""
    start: date | None = None
    end: date | None = None


async def read_start(data: RangeData, text: str | None, context: FormContext) -> None:
    data.start = parsing.parse_date(text)


async def read_end(data: RangeData, text: str | None, context: FormContext) -> None:
    assert data.start is not None
    data.end = Period.days(data.start, parsing.parse_date(text)).end


def start_prompt(data: RangeData) -> str:
    return _("Step 1/2 — the first day of the period, as DD.MM.YYYY.")


def end_prompt(data: RangeData) -> str:
    return _("Step 2/2 — the last day, at most {years} years after the first.").format(
        years=MAX_YEARS
    )


class RangeForm(Form[RangeData], state="report_range"):
    key = "rr"
    data_type = RangeData
    flags = REPORTS
    confirms = False
    steps = (
        Step(
            "start",
            start_prompt,
            read=read_start,
            problem=range_problem,
            example=lambda: _("Example: <i>01.03.2026</i>"),
        ),
        Step(
            "end",
            end_prompt,
            read=read_end,
            problem=range_problem,
            example=lambda: _("Example: <i>31.05.2026</i>"),
        ),
    )

    def title(self, data: RangeData) -> str:
        return report_title(data.report)

    async def save(self, data: RangeData, context: FormContext) -> None:
        assert data.start is not None and data.end is not None
        period = Period.days(data.start, data.end)
        text = scopes_text(report_title(data.report), period)
        await reply(context, text, scopes_keyboard(data.report, period.token))
        return None
