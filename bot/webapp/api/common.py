"""Who is signed in and what they may open; the privacy policy (the only screen before
consent)."""

from html import unescape

from aiohttp import web

from bot.i18n import _, current_language
from bot.services.access import Actor
from bot.services.policy import Document, pages, policy_folder
from bot.webapp.routes import (
    Json,
    Screen,
    actor_of,
    consent_free,
    context_of,
    ok,
    screens_for,
)
from bot.webapp.routes import (
    strings as all_strings,
)

routes = web.RouteTableDef()
SCREENS: tuple[Screen, ...] = ()


def unauthorized_text() -> str:
    return _(
        "This page opens only from the bot in Telegram. Close it and open it again "
        "from the bot's menu."
    )


def strings() -> dict[str, str]:
    return {
        "app.title": _("EduCRM"),
        "app.loading": _("Loading…"),
        "app.retry": _("Try again"),
        "app.back": _("Back"),
        "app.close": _("Close"),
        "app.save": _("Save"),
        "app.cancel": _("Cancel"),
        "app.empty": _("Nothing here yet."),
        "error.unauthorized": unauthorized_text(),
        "error.forbidden": _("You don't have access to this."),
        "error.not_found": _("Not found: it may have been deleted."),
        "error.bad_request": _("That didn't work: check what you entered and try again."),
        "error.conflict": _("Someone changed this meanwhile. Reload and try again."),
        "error.server": _("Something went wrong on our side. Try again in a minute."),
        "error.offline": _("No connection. Check the internet and try again."),
        "consent.title": _("Privacy policy"),
        "consent.required": _(
            "To use the app, first accept the privacy policy in the chat with the bot: "
            "send /start there."
        ),
        "consent.renew": _(
            "The privacy policy has changed. Please read it and accept the new version "
            "in the chat (/privacy)."
        ),
        "home.nothing": _(
            "There is nothing for you here yet. When the centre enrols you or links you "
            "to a child, your screens appear here."
        ),
    }


def _consent(actor: Actor, policy_version: str) -> str:
    if actor.consent is None:
        return "required"
    return "accepted" if actor.consent.is_current(policy_version) else "renew"


@routes.get("/api/me")
@consent_free
async def me(request: web.Request) -> web.Response:
    """The signed-in user, the texts of every screen in their language and their menu."""
    actor = actor_of(request)
    settings = context_of(request).settings
    consent = _consent(actor, settings.centre.policy_version)
    body: Json = {
        "user": {"id": actor.user_id, "language": current_language()},
        "roles": [str(role) for role in actor.effective_roles],
        "owner": actor.is_owner,
        "consent": consent,
        "centre": {"name": settings.centre.centre_name, "timezone": settings.centre.timezone},
        "strings": all_strings(request),
        "screens": [] if consent == "required" else screens_for(request, actor),
    }
    return ok(body)


@routes.get("/api/policy")
@consent_free
async def policy(request: web.Request) -> web.Response:
    """The privacy policy's text in the user's language (plain text; the page escapes it)."""
    centre = context_of(request).settings.centre
    chunks = pages(
        policy_folder(centre.policy_dir),
        Document.PRIVACY,
        current_language(),
        centre.centre_name,
        centre.policy_version,
    )
    # `pages` escapes for Telegram's HTML; the page puts text in as text, so undo it.
    return ok({"version": centre.policy_version, "text": unescape("\n\n".join(chunks))})
