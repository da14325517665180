"""Enrolment from a group's card (permission `academic`): the group's students, adding one
(a paged picker, or a part of the name typed), a discount, freeze / unfreeze, moving to
another group, leaving.

Adding and moving show a confirmation first that names what the admin should know: a
full group (the button then reads "Add over capacity"), or the student being in another
group of the same course. Nothing is written before that button. After each change the
student and their linked parents are told in their own language (essential).

A person's card elsewhere can offer "add to a group" with `EnrolCb(action="for",
student=<id>)`: it opens a picker of the active groups and the same confirmation.

By screen: `places` (the group's students, a place's card, freeze / unfreeze / leave),
`adding` (the add form: the picker, then the confirmation), `discount` (the discount form),
`moving` (to another group); `common` the texts they share, `notices` what people are told.
"""

from aiogram import Router

from handlers.admin.enrolment import adding, discount, moving, places


def create_router() -> Router:
    router = Router(name="admin.enrolment")
    router.include_routers(
        places.create_router(),
        adding.create_router(),
        discount.create_router(),
        moving.create_router(),
    )
    return router
