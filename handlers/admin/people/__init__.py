"""/people (permission `users`), by screen: the search and linking a parent (`search`), a
person's card and its invitation links (`card`), and the registration form (`register`)."""

from aiogram import Router

from handlers.admin.people import card, register, search


def create_router() -> Router:
    router = Router(name="admin.people")
    router.include_routers(search.create_router(), card.create_router(), register.create_router())
    return router
