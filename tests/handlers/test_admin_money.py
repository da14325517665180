"""/admin's money line: this month's collected against charged and the debt now, the same
figures as /reports' finance for this month and the whole centre (and the same cached
entry), shown to owners and to admins holding `payments` or `reports` only."""

import dataclasses

from aiogram.methods import EditMessageText

from bot.i18n import use_language
from bot.services.reports.period import Period
from db.base import utcnow
from db.models import Permission, Role
from handlers.admin.reports import menu
from handlers.admin.reports.common import month_label
from keyboards.reports import FINANCE, ReportCb
from tests.chat import Person
from tests.factories import make_payment, make_user
from tests.handlers.test_payments import centre_today
from tests.handlers.test_reports import centre, money

ALICE = Person(id=7_000_011, first_name="Alice", language_code="en")


def month_line(collected: int, charged: int) -> str:
    with use_language("en"):
        month = month_label(centre_today().replace(day=1))
    return f"💰 {month}: collected {money(collected)} of {money(charged)} charged"


async def test_the_owner_sees_this_months_money_as_the_report_gives_it(client, session, owner):
    await make_user(session, owner)
    await centre(session)
    panel = await client.send(owner, "/admin")
    assert "Students: 1 · Parents: 0" in panel.text  # the head counts stay above
    assert month_line(350_000, 500_000) in panel.text
    assert f"Debt now: {money(150_000)}" in panel.text

    period = Period.this_month(centre_today()).token
    report = await client.press(
        owner, ReportCb(action="run", report=FINANCE, period=period, scope="c").pack()
    )
    assert f"Charged: <b>{money(500_000)}</b>" in report.text
    assert f"Collected: <b>{money(350_000)}</b>" in report.text
    assert f": <b>{money(150_000)}</b>" in report.text.split("Debt on ")[1]


async def test_payments_or_reports_see_the_money_others_do_not(client, session):
    await centre(session)
    for index, (permissions, sees) in enumerate(
        (
            ([Permission.PAYMENTS], True),
            ([Permission.REPORTS], True),
            ([Permission.USERS, Permission.ACADEMIC, Permission.BROADCAST], False),
            ([], False),
        )
    ):
        person = dataclasses.replace(ALICE, id=ALICE.id + index)
        await make_user(session, person, roles=[Role.ADMIN], permissions=permissions)
        panel = await client.send(person, "/admin")
        assert "Administrators:" in panel.text
        assert ("Debt now:" in panel.text) is sees, permissions
        assert (month_line(350_000, 500_000) in panel.text) is sees


async def test_refresh_shows_a_new_payment_and_the_report_reuses_the_figures(
    client, session, owner, monkeypatch
):
    await make_user(session, owner)
    await centre(session)
    kind = menu.KINDS[FINANCE]
    builds = []

    async def build(*args):
        builds.append(1)
        return await kind.build(*args)

    monkeypatch.setitem(menu.KINDS, FINANCE, dataclasses.replace(kind, build=build))
    panel = await client.send(owner, "/admin")
    period = Period.this_month(centre_today()).token
    await client.press(
        owner, ReportCb(action="run", report=FINANCE, period=period, scope="c").pack()
    )
    assert builds == []  # /admin counted this month already: /reports takes its figures

    student = await make_user(session, None, roles=[Role.STUDENT])
    await make_payment(session, student, 25_000, paid_at=utcnow())
    refreshed = await client.press(owner, panel.callback_data("🔄 Refresh"), panel.message_id)
    [edit] = refreshed.of(EditMessageText)
    assert month_line(375_000, 500_000) in edit.text
    assert f"Debt now: {money(150_000)}" in edit.text  # a student owing nothing: credit
    assert [a.text for a in refreshed.answers] == ["✅ Updated."]
