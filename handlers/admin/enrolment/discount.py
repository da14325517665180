"""The discount form: one step (the per cent), then the summary (old → new, with the monthly
price); ✏️ asks the per cent again (the only step), ❌ goes back to the place's card."""

from html import escape

from aiogram import Router
from aiogram.fsm.scene import ScenesManager
from aiogram.types import CallbackQuery
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters.access import ACADEMIC
from bot.formatting import format_money
from bot.forms import Form, FormContext, FormData, Step
from bot.forms.engine import reply
from bot.i18n import _
from bot.services import enrolment as enrolment_service
from bot.services import parsing
from bot.services.enrolment import Outcome
from bot.wording import cancel_hint, number_problem, stale_button_text
from handlers.admin.enrolment.common import Found, card_text, discounted, load, refusal_text
from handlers.admin.enrolment.notices import done_card_text
from handlers.registry import Registry
from keyboards.academic import EnrolCb, enrolment_card

on = Registry(EnrolCb, flags=ACADEMIC)


class DiscountData(FormData):
    enrolment_id: int = 0
    student_name: str = ""
    group_name: str = ""
    price: int = 0  # the group's monthly price before the discount
    old_percent: int = 0
    percent: int = 0


async def read_percent(data: DiscountData, text: str | None, context: FormContext) -> None:
    data.percent = parsing.parse_whole(text, 0, 100)


def percent_prompt(data: DiscountData) -> str:
    return _("Step 1/1 — the discount in per cent, 0 to 100.")


class DiscountForm(Form[DiscountData], state="discount_form"):
    """The discount of one place in a group."""

    key = "ed"
    data_type = DiscountData
    flags = ACADEMIC
    steps = (
        Step(
            "percent",
            percent_prompt,
            read=read_percent,
            problem=number_problem,
            label=lambda: _("✏️ Edit"),
            example=lambda: _("Example: <i>15</i>"),
        ),
    )

    def title(self, data: DiscountData) -> str:
        return _("％ <b>Discount for {student}</b> in {group}").format(
            student=escape(data.student_name), group=escape(data.group_name)
        )

    def step_text(self, step: Step[DiscountData], data: DiscountData) -> str:
        now = _("Now: {percent}%, {price} a month.").format(
            percent=data.old_percent,
            price=format_money(discounted(data.price, data.old_percent)),
        )
        return "\n".join([self.title(data), now, "", step.question(data), "", cancel_hint()])

    def summary_text(self, data: DiscountData) -> str:
        return "\n".join(
            [
                self.title(data),
                _("{old}% → {new}%").format(old=data.old_percent, new=data.percent),
                _("Monthly price: {old} → {new}").format(
                    old=format_money(discounted(data.price, data.old_percent)),
                    new=format_money(discounted(data.price, data.percent)),
                ),
            ]
        )

    async def cancelled(self, data: DiscountData, context: FormContext) -> None:
        """❌ goes back to the place's card, as it was."""
        found = await load(context.session, data.enrolment_id)
        if found is None:
            await reply(context, stale_button_text(), None)
            return
        item, group = found
        await reply(context, card_text(item, group), enrolment_card(item, 1))

    async def save(self, data: DiscountData, context: FormContext) -> None:
        settings = context.settings
        change = await enrolment_service.set_discount(
            context.session,
            context.actor.user_id,
            data.enrolment_id,
            data.percent,
            policy_version=settings.centre.policy_version,
        )
        if change.outcome is Outcome.DONE:
            assert change.enrolment is not None
            text = await done_card_text(
                context.session, context.bot, context.sender, "discount", change, _("✅ Saved.")
            )
            await reply(context, text, enrolment_card(change.enrolment, 1))
            return
        found = await load(context.session, data.enrolment_id)
        if change.outcome is Outcome.MISSING or found is None:
            await reply(context, stale_button_text(), None)
            return
        item, group = found
        text = "\n".join([refusal_text(change.outcome), "", card_text(item, group)])
        await reply(context, text, enrolment_card(item, 1))


@on.button("discount", found=load)
async def discount_pressed(
    callback: CallbackQuery,
    callback_data: EnrolCb,
    session: AsyncSession,
    scenes: ScenesManager,
    found: Found,
) -> None:
    item, group = found
    data = DiscountData(
        enrolment_id=item.id,
        student_name=item.student_name,
        group_name=group.name,
        price=group.price,
        old_percent=item.discount_percent,
        percent=item.discount_percent,
    )
    await DiscountForm.open(scenes, data, step="percent")


def create_router() -> Router:
    router = on.router("admin.enrolment.discount")
    router.include_router(DiscountForm.as_router())
    return router
