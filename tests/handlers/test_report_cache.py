"""The report cache through the real Dispatcher: a second identical request counts and
draws nothing again, a payment recorded in between (through the ledger, as the desk does)
makes it count and draw anew, and another reader's language draws its own files from the
same figures."""

import dataclasses

from aiogram.methods import SendDocument, SendPhoto

from bot.services.payments import ledger
from bot.services.reports.period import Period
from db.base import utcnow
from db.models import PaymentMethod, Role
from handlers.admin.reports import menu
from keyboards.reports import FINANCE, ReportCb
from tests.chat import Person
from tests.factories import make_payment, make_user
from tests.handlers.test_payments import centre_today
from tests.handlers.test_reports import centre, money


class Counted:
    """A function that counts its calls and does what the original does."""

    def __init__(self, function) -> None:
        self.function, self.calls = function, 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.function(*args, **kwargs)


def count_work(monkeypatch) -> dict[str, Counted]:
    kind = menu.KINDS[FINANCE]
    counted = {
        "build": Counted(kind.build),
        "png": Counted(menu.render_png),
        "xlsx": Counted(menu.render_xlsx),
    }
    monkeypatch.setitem(menu.KINDS, FINANCE, dataclasses.replace(kind, build=counted["build"]))
    monkeypatch.setattr(menu, "render_png", counted["png"])
    monkeypatch.setattr(menu, "render_xlsx", counted["xlsx"])
    monkeypatch.setattr(menu.worker, "run", in_this_process)  # to count the calls here
    return counted


async def in_this_process(function, *args, **kwargs):
    """bot.services.worker.run without the worker process."""
    return function(*args, **kwargs)


def run_button() -> str:
    period = Period.this_month(centre_today()).token
    return ReportCb(action="run", report=FINANCE, period=period, scope="c").pack()


def calls(counted: dict[str, Counted]) -> dict[str, int]:
    return {name: function.calls for name, function in counted.items()}


async def test_a_second_request_reuses_a_payment_in_between_recomputes(
    client, session, owner, monkeypatch
):
    admin = await make_user(session, owner)
    await centre(session)
    student = await make_user(session, None, roles=[Role.STUDENT], full_name="Sue")
    counted = count_work(monkeypatch)

    first = await client.press(owner, run_button())
    assert calls(counted) == {"build": 1, "png": 1, "xlsx": 1}
    second = await client.press(owner, run_button())
    assert calls(counted) == {"build": 1, "png": 1, "xlsx": 1}  # nothing counted or drawn
    assert f"Collected: <b>{money(350_000)}</b>" in second.text
    [photo], [document] = second.of(SendPhoto), second.of(SendDocument)
    assert photo.photo.data == first.of(SendPhoto)[0].photo.data
    assert document.document.data == first.of(SendDocument)[0].document.data

    await ledger.record_payment(
        session,
        actor_id=admin.id,
        student_id=student.id,
        amount=20_000,
        method=PaymentMethod.CARD,
        note=None,
        now=utcnow(),
    )
    third = await client.press(owner, run_button())
    assert calls(counted) == {"build": 2, "png": 2, "xlsx": 2}
    assert f"Collected: <b>{money(370_000)}</b>" in third.text
    await client.press(owner, run_button())
    assert calls(counted) == {"build": 2, "png": 2, "xlsx": 2}


async def test_another_language_draws_its_own_files_from_the_same_figures(
    client, session, owner, monkeypatch
):
    await make_user(session, owner)
    russian = Person(id=7_000_002, first_name="Ivan", language_code="ru")
    await make_user(session, russian, roles=[Role.ADMIN], permissions=["reports"], language="ru")
    await centre(session)
    counted = count_work(monkeypatch)

    await client.press(owner, run_button())
    reply = await client.press(russian, run_button())
    assert calls(counted) == {"build": 1, "png": 2, "xlsx": 2}
    assert "Начислено" in reply.text  # the summary is the reader's own


async def test_a_payment_rolled_back_keeps_the_cache(client, session, owner, monkeypatch):
    await make_user(session, owner)
    await centre(session)
    student = await make_user(session, None, roles=[Role.STUDENT], full_name="Sue")
    counted = count_work(monkeypatch)
    await client.press(owner, run_button())

    await make_payment(session, student, 10_000, commit=False)
    await session.flush()
    await session.rollback()  # never committed: the data did not change
    await client.press(owner, run_button())
    assert calls(counted)["build"] == 1
