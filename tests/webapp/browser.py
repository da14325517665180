"""The Mini App in a real browser: Debian's Chromium driven by Playwright, no browser
download. Telegram's script is served from a local stub holding initData the test signed,
and the theme of a light or a dark Telegram client."""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from tests.chat import Person
from tests.webapp.conftest import CHROMIUM, MiniAppClient
from tests.webapp.signing import sign_init_data

STUB = Path(__file__).with_name("telegram_stub.js").read_text(encoding="utf-8")
TELEGRAM_SCRIPT = "https://telegram.org/js/telegram-web-app.js"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "miniapp"
THEMES = {
    "light": {
        "bg_color": "#ffffff",
        "text_color": "#000000",
        "hint_color": "#707579",
        "link_color": "#3390ec",
        "button_color": "#3390ec",
        "button_text_color": "#ffffff",
        "secondary_bg_color": "#f4f4f5",
        "destructive_text_color": "#e53935",
    },
    "dark": {
        "bg_color": "#212121",
        "text_color": "#ffffff",
        "hint_color": "#aaaaaa",
        "link_color": "#8774e1",
        "button_color": "#8774e1",
        "button_text_color": "#ffffff",
        "secondary_bg_color": "#181818",
        "destructive_text_color": "#ff595a",
    },
}

needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on this machine")


@asynccontextmanager
async def open_app(
    miniapp: MiniAppClient,
    person: Person,
    *,
    theme: str = "light",
    init_data: str | None = None,
) -> AsyncIterator:
    """A phone-sized page of the Mini App opened by `person` (or with `init_data` as given)."""
    from playwright.async_api import async_playwright

    config = {
        "initData": sign_init_data(person) if init_data is None else init_data,
        "colorScheme": theme,
        "themeParams": THEMES[theme],
    }
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = await browser.new_page(viewport={"width": 390, "height": 760})
            await page.add_init_script(f"window.__TEST_TELEGRAM__ = {json.dumps(config)};")
            await page.route(
                TELEGRAM_SCRIPT,
                lambda route: route.fulfill(body=STUB, content_type="application/javascript"),
            )
            # Nothing else leaves the machine: any other outside address is refused.
            await page.route(
                lambda url: not url.startswith(miniapp.url("/")) and url != TELEGRAM_SCRIPT,
                lambda route: route.abort(),
            )
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            await page.goto(miniapp.url("/"))
            yield page
            assert not errors, errors
        finally:
            await browser.close()


async def screenshot(page, name: str, theme: str) -> Path:
    """`docs/miniapp/<name>-<theme>.png`, the README's pictures."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{theme}.png"
    await page.screenshot(path=str(path))
    return path
