"""The API's areas. Each module has `routes` (an aiohttp RouteTableDef), `strings()` (the
texts its screens show, translated in the caller's language) and `SCREENS` (the screens it
offers, in menu order, each with the test of who sees it)."""

from bot.webapp.api import admin_reports, admin_week, common, learner, teacher

AREAS = (
    common,
    learner,
    teacher,
    admin_week,
    admin_reports,
)
