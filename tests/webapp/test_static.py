"""The page and its files: gzip-compressed for a client that accepts it, the page always
revalidated, the files of the current release cached for a year under its prefix."""

import gzip
import re

from bot.webapp.app import STATIC_DIR

NO_GZIP = {"Accept-Encoding": "identity"}
GZIP = {"Accept-Encoding": "gzip, deflate, br"}


async def fetch(miniapp, path, headers):
    # auto_decompress off: the bytes as they came over the wire
    async with miniapp.http.get(miniapp.url(path), headers=headers, auto_decompress=False) as r:
        return r, await r.read()


def release_prefix(page: str) -> str:
    found = re.search(r'src="(/static/v-[0-9a-f]{12}/)app\.js"', page)
    assert found, page
    return found.group(1)


async def test_the_page_is_compressed_and_never_cached_without_asking(miniapp):
    plain, body = await fetch(miniapp, "/", NO_GZIP)
    assert plain.status == 200 and "Content-Encoding" not in plain.headers
    assert plain.headers["Cache-Control"] == "no-cache"
    page = body.decode()
    assert 'href="/static/v-' in page and "telegram.org/js/telegram-web-app.js" in page

    packed, wire = await fetch(miniapp, "/", GZIP)
    assert packed.headers["Content-Encoding"] == "gzip"
    assert packed.headers["Vary"] == "Accept-Encoding"
    assert packed.headers["Cache-Control"] == "no-cache"
    assert gzip.decompress(wire).decode() == page


async def test_the_releases_files_are_compressed_and_cached_for_a_year(miniapp):
    _, body = await fetch(miniapp, "/", NO_GZIP)
    prefix = release_prefix(body.decode())
    for name, kind in [("app.js", "javascript"), ("dom.js", "javascript"), ("app.css", "css")]:
        source = (STATIC_DIR / name).read_bytes()
        response, wire = await fetch(miniapp, prefix + name, GZIP)
        assert response.status == 200
        assert kind in response.headers["Content-Type"]
        assert response.headers["Content-Encoding"] == "gzip"
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert gzip.decompress(wire) == source
        assert len(wire) < len(source)
        plain, raw = await fetch(miniapp, prefix + name, NO_GZIP)
        assert raw == source and "Content-Encoding" not in plain.headers


async def test_unversioned_or_old_addresses_are_revalidated(miniapp):
    for path in ["/static/app.js", "/static/v-000000000000/app.js"]:
        response, body = await fetch(miniapp, path, NO_GZIP)
        assert response.status == 200
        assert response.headers["Cache-Control"] == "no-cache"
        assert body == (STATIC_DIR / "app.js").read_bytes()  # today's file
        etag = response.headers["ETag"]
        again, _ = await fetch(miniapp, path, NO_GZIP | {"If-None-Match": etag})
        assert again.status == 304


async def test_nothing_outside_the_static_folder_is_served(miniapp):
    for path in [
        "/static/../app.py",
        "/static/%2e%2e/app.py",
        "/static/v-x/../../auth.py",
        "/static/nope.js",
        "/static/v-000000000000/",
    ]:
        response, _ = await fetch(miniapp, path, NO_GZIP)
        assert response.status == 404, path


async def test_the_api_is_left_as_it_is(miniapp, alice):
    response, _ = await fetch(miniapp, "/api/me", GZIP)
    assert response.status == 401
    assert response.headers["Cache-Control"] == "no-store"  # the API's own
    assert "Content-Encoding" not in response.headers and "Vary" not in response.headers
