"""Sign-in from Telegram only, and consent before anything else."""

import re
import time

from sqlalchemy import func, select

from db.models import User
from tests.chat import Person
from tests.factories import make_user
from tests.webapp.browser import needs_chromium, open_app, screenshot
from tests.webapp.signing import sign_init_data

OTHER_TOKEN = "4243:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"


async def test_a_request_without_valid_init_data_gets_401_and_creates_nobody(
    miniapp, alice: Person, session
):
    expired = sign_init_data(alice, auth_date=time.time() - 2 * 3600)
    forged = sign_init_data(alice, token=OTHER_TOKEN)
    tampered = sign_init_data(alice).replace("Alice", "Mallory")
    for headers_init_data in (None, "", forged, expired, tampered, "hash=00&user=%7B%7D"):
        response = await miniapp.get("/api/me", None, init_data=headers_init_data)
        assert response.status == 401, headers_init_data
        assert (await response.json())["error"] == "unauthorized"
    assert await session.scalar(select(func.count()).select_from(User)) == 0


async def test_init_data_from_the_future_is_refused(miniapp, alice: Person):
    early = sign_init_data(alice, auth_date=time.time() + 3600)
    assert (await miniapp.get("/api/me", None, init_data=early)).status == 401


async def test_the_signed_in_user_gets_their_language_and_menu(miniapp, alice: Person, session):
    await make_user(session, alice, language="ru")
    response = await miniapp.get("/api/me", alice)
    assert response.status == 200
    body = await response.json()
    assert body["consent"] == "accepted"
    assert body["user"]["language"] == "ru"
    assert body["strings"]["app.loading"] == "Загрузка…"
    assert body["centre"]["timezone"] == "Asia/Tashkent"


async def test_before_consent_only_the_policy_is_offered(miniapp, alice: Person, session):
    await make_user(session, alice, consent=None)
    body = await (await miniapp.get("/api/me", alice)).json()
    assert body["consent"] == "required"
    assert body["screens"] == []
    policy = await (await miniapp.get("/api/policy", alice)).json()
    assert "Bilim <Academy> & Co" in policy["text"]  # as written, not HTML-escaped


async def test_the_page_and_its_scripts_are_served(miniapp):
    index = await miniapp.http.get(miniapp.url("/"))
    assert index.status == 200
    page = await index.text()
    script = re.search(r'src="(/static/v-[0-9a-f]+/app\.js)"', page)
    assert script, page  # under the release's prefix
    assert (await miniapp.http.get(miniapp.url(script.group(1)))).status == 200
    assert (await miniapp.http.get(miniapp.url("/static/app.js"))).status == 200


@needs_chromium
async def test_a_forged_sign_in_shows_the_reason_in_the_page(miniapp, alice: Person):
    forged = sign_init_data(alice, token=OTHER_TOKEN)
    async with open_app(miniapp, alice, init_data=forged) as page:
        alert = page.get_by_role("alert")
        await alert.wait_for()
        assert "opens only from the bot" in (await alert.inner_text())


@needs_chromium
async def test_before_consent_the_page_shows_only_the_policy(miniapp, alice: Person, session):
    await make_user(session, alice, consent=None)
    for theme in ("light", "dark"):
        async with open_app(miniapp, alice, theme=theme) as page:
            await page.locator("[data-screen=policy]").wait_for()
            assert "send /start" in await page.get_by_role("note").inner_text()
            assert await page.locator("nav#tabs button").count() == 0
            await screenshot(page, "policy", theme)
