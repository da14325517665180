"""📣 /broadcast and /broadcasts (permission `broadcast`), /incident (owners, POLICY 17).

- `form`: the broadcast form (the message, the audience and kind, the preview, a time);
- `incident`: the incident notice form, owners only;
- `cards`: the list of broadcasts, a card, ❌ cancel / ⛔ stop, the XLSX report;
- `shared`: the words for an audience and a kind, and the start of a sending.
"""

from aiogram import Router

from handlers.admin.broadcasts import cards, form, incident


def create_router() -> Router:
    router = Router(name="admin.broadcasts")
    router.include_routers(form.create_router(), cards.create_router(), incident.create_router())
    return router
