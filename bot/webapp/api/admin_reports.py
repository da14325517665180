"""The admin's reports screen (permission `reports`, owners always — as /reports): the
reports of issue 17 for a period and a filter, counted by the same services through the
same cache, worded by the chat's own report views (their summary and their chart, handed
in by start-up in the dispatcher's workflow as `report_views`, as to the digest job).

The summary is the chat's message turned into lines of text and bold parts (its HTML is
the bot's own markup around escaped text, so a name like `<b>Eve</b> & Co` comes out as
written); the chart is the chat's chart as data — categories, series, each value with its
label formatted here (so'm by bot.formatting) — which the page draws.
"""

from datetime import date
from html.parser import HTMLParser
from typing import Any

from aiohttp import web

from bot.i18n import _
from bot.services.parsing import Invalid
from bot.services.reports import catalogue
from bot.services.reports import scope as scope_service
from bot.services.reports.cache import ReportCache, as_of
from bot.services.reports.chart import BarChart, PanelChart
from bot.services.reports.period import Period, month_end
from bot.services.reports.scope import Scope, ScopeKind
from bot.webapp.api.admin_shared import may, refuse
from bot.webapp.routes import (
    Json,
    Screen,
    actor_of,
    context_of,
    deny,
    error,
    now_of,
    ok,
    parse_iso_date,
    session_of,
)
from bot.wording import range_problem, scope_gone_text, stale_button_text
from db.models import Permission

routes = web.RouteTableDef()
CHOICES_MAX = 200  # a filter's select: the first courses, groups or teachers by name


def _reports(actor) -> bool:
    return may(actor, Permission.REPORTS)


SCREENS = (Screen("reports", lambda: _("Reports"), _reports),)


def strings() -> dict[str, str]:
    return {
        "reports.title": _("Reports"),
        "reports.from": _("From"),
        "reports.to": _("To"),
        "reports.filter": _("Filter"),
        "reports.centre": _("The whole centre"),
        "reports.course": _("Course"),
        "reports.group": _("Group"),
        "reports.teacher": _("Teacher"),
        "reports.show": _("Show"),
        "reports.no_filter": _("This report is for the whole centre."),
        "reports.no_data": _("No data for this period"),
    }


def _views(request: web.Request) -> dict[str, Any]:
    return context_of(request).workflow.get("report_views", {})


# --- the chat's words as the page's --------------------------------------------------------


class _Lines(HTMLParser):
    """Telegram HTML (the bot's own tags around escaped text) → lines of [text, bold]."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[list[list[Any]]] = [[]]
        self.bold = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("b", "strong"):
            self.bold += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("b", "strong"):
            self.bold = max(0, self.bold - 1)

    def handle_data(self, data: str) -> None:
        parts = data.split("\n")
        for index, part in enumerate(parts):
            if index:
                self.lines.append([])
            if part:
                self.lines[-1].append([part, self.bold > 0])


def summary_lines(html: str) -> list[list[list[Any]]]:
    parser = _Lines()
    parser.feed(html)
    parser.close()
    return parser.lines


def chart_json(chart: BarChart | PanelChart) -> Json:
    if isinstance(chart, PanelChart):
        return {
            "kind": "panels",
            "title": chart.title,
            "categories": list(chart.categories),
            "panels": [
                {
                    "label": panel.series.label,
                    "values": [float(value) for value in panel.series.values],
                    "texts": [panel.number(value) for value in panel.series.values],
                }
                for panel in chart.panels
            ],
            "empty": chart.is_empty,
            "empty_text": chart.empty_text,
        }
    return {
        "kind": "bars",
        "title": chart.title,
        "categories": list(chart.categories),
        "series": [
            {
                "label": series.label,
                "colour": series.colour,
                "values": [float(value) for value in series.values],
                "texts": [chart.number(value) for value in series.values],
            }
            for series in chart.series
        ],
        "axis_label": chart.axis_label,
        "horizontal": chart.horizontal,
        "stacked": chart.stacked,
        "empty": chart.is_empty,
        "empty_text": chart.empty_text,
    }


# --- the routes ----------------------------------------------------------------------------


@routes.get("/api/admin/reports")
async def menu(request: web.Request) -> web.Response:
    """The reports there are (in the chat's menu order), the default period (this month)."""
    if not _reports(actor_of(request)):
        return await deny(request, "reports", needs=str(Permission.REPORTS))
    views = _views(request)
    today = now_of(request).astimezone(context_of(request).settings.centre.tz).date()
    this_month = Period.this_month(today)
    return ok(
        {
            "reports": [
                {"key": key, "title": views[key].label(), "scoped": counting.scoped}
                for key, counting in catalogue.COUNTINGS.items()
                if key in views
            ],
            "from": this_month.start.isoformat(),
            "to": this_month.end.isoformat(),
        }
    )


@routes.get("/api/admin/reports/choices/{kind}")
async def choices(request: web.Request) -> web.Response:
    """The courses (k), groups (g) or teachers (t) a report can be filtered by."""
    if not _reports(actor_of(request)):
        return await deny(request, "reports", needs=str(Permission.REPORTS))
    kind = next((k for k in ScopeKind if k.value == request.match_info["kind"]), None)
    if kind in (None, ScopeKind.CENTRE):
        return error(404, "not_found")
    assert kind is not None
    found = await scope_service.choices(session_of(request), kind, 1, CHOICES_MAX)
    return ok({"items": [{"token": f"{kind.value}{c.id}", "name": c.name} for c in found.items]})


def period_of(start: date, end: date) -> Period:
    """The typed range; a whole calendar month or year is that month or year (the chat's
    own periods, so both share the cache and the words); raises `Invalid`."""
    period = Period.days(start, end)
    if start.day == 1 and end == month_end(start):
        return Period.month(start.year, start.month)
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return Period.year(start.year)
    return period


@routes.get("/api/admin/reports/{key}")
async def report(request: web.Request) -> web.Response:
    """?from=YYYY-MM-DD&to=YYYY-MM-DD&scope=c|k<id>|g<id>|t<id>: the summary and the chart."""
    if not _reports(actor_of(request)):
        return await deny(request, "reports", needs=str(Permission.REPORTS))
    key = request.match_info["key"]
    view, counting = _views(request).get(key), catalogue.COUNTINGS.get(key)
    if view is None or counting is None:
        return error(404, "not_found")
    query = request.query
    try:
        period = period_of(parse_iso_date(query.get("from")), parse_iso_date(query.get("to")))
    except Invalid as problem:
        return await refuse(
            request, "reports", range_problem(problem), report=key, problem=problem.problem.value
        )
    scope = Scope.from_token(query.get("scope", ScopeKind.CENTRE.value))
    if scope is None or (scope.id is not None and not counting.scoped):
        return await refuse(request, "reports", stale_button_text(), report=key, problem="scope")
    session = session_of(request)
    resolved = await scope_service.resolve(session, scope)
    if resolved is None:
        return await refuse(
            request, "reports", scope_gone_text(scope.kind), report=key, scope=scope.token
        )
    tz = context_of(request).settings.centre.tz
    cache: ReportCache | None = context_of(request).workflow.get("report_cache")

    async def build() -> Any:
        return await counting.build(session, period, scope, tz)

    if cache is None:
        figures = await build()
    else:
        stamp = await cache.stamp(session)
        moment = as_of(counting.clock, period, now_of(request), tz)
        figures = await cache.figures(stamp, key, period, scope, build, moment)
    return ok(
        {
            "key": key,
            "title": view.label(),
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
            "scope": scope.token,
            "summary": summary_lines(view.summary(figures, resolved.name)),
            "chart": chart_json(view.chart(figures, resolved.name)),
        }
    )
