"""The move form: the new date, the new start time (in the centre's time), then the
summary (was → now, who will be told). ✏️ starts again from the date."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from aiogram import Router
from aiogram.fsm.scene import ScenesManager
from aiogram.types import CallbackQuery, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.filters.access import ACADEMIC
from bot.forms import Form, FormContext, FormData, Step
from bot.forms import Refusal as Unfit
from bot.forms.engine import reply
from bot.i18n import _
from bot.services import lessons as lessons_service
from bot.services import parsing
from bot.services.lessons import Refusal
from bot.wording import date_problem, time_problem
from db.base import utcnow
from handlers.admin.lessons.common import changeable_lesson, refusal_text, title_of, when
from handlers.admin.lessons.notices import done_card_text
from handlers.registry import Registry
from keyboards.academic import LessonCb, lesson_card, lesson_move_summary

on = Registry(LessonCb, flags=ACADEMIC)

# A time that does not fit the lesson's group: the date is asked again.
ASK_THE_DATE_AGAIN = (Refusal.IN_THE_PAST, Refusal.TAKEN, Refusal.SAME_TIME)


class MoveData(FormData):
    lesson_id: int = 0
    page: int = 1  # of the list the card was opened from
    group_name: str = ""
    course_name: str = ""
    starts_at: datetime | None = None  # now
    zone: str = "UTC"  # the centre's time zone, for the prompts
    day: date | None = None
    new_start: datetime | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.zone)


def settings_of(context: FormContext) -> Settings:
    return context.settings


async def read_day(data: MoveData, text: str | None, context: FormContext) -> None:
    day = parsing.parse_date(text)
    if day < utcnow().astimezone(settings_of(context).centre.tz).date():
        raise Unfit(refusal_text(Refusal.IN_THE_PAST))
    data.day = day


async def read_time(data: MoveData, text: str | None, context: FormContext) -> None:
    start = parsing.parse_time(text)
    assert data.day is not None
    new_start = lessons_service.local_start(data.day, start, settings_of(context).centre.tz)
    refusal = await lessons_service.check_move(
        context.session, data.lesson_id, new_start, now=utcnow()
    )
    if refusal in ASK_THE_DATE_AGAIN:
        raise Unfit(refusal_text(refusal), step="day")
    if refusal is Refusal.MISSING:
        raise Unfit(_("⚠️ This lesson no longer exists. Nothing was changed."), close=True)
    if refusal is not None:
        raise Unfit(refusal_text(refusal), close=True)
    data.new_start = new_start


def day_prompt(data: MoveData) -> str:
    return _("Step 1/2 — the new date, DD.MM.YYYY.")


def time_prompt(data: MoveData) -> str:
    return _("Step 2/2 — the new start time, HH:MM, in the centre's time ({zone}).").format(
        zone=data.zone
    )


class MoveForm(Form[MoveData], state="lesson_move_form"):
    """A new date and start time for one scheduled lesson."""

    key = "lm"
    data_type = MoveData
    flags = ACADEMIC
    steps = (
        Step(
            "day",
            day_prompt,
            read=read_day,
            problem=date_problem,
            example=lambda: _("Example: <i>14.03.2026</i>"),
        ),
        Step(
            "time",
            time_prompt,
            read=read_time,
            problem=time_problem,
            example=lambda: _("Example: <i>15:30</i>"),
        ),
    )

    def heading(self, data: MoveData) -> list[str]:
        return [_("🕘 <b>Move the lesson</b>"), title_of(data.group_name, data.course_name)]

    def title(self, data: MoveData) -> str:
        assert data.starts_at is not None
        now = _("Now: {when}").format(when=when(data.starts_at, data.tz))
        return "\n".join([*self.heading(data), now])

    def summary_text(self, data: MoveData) -> str:
        assert data.starts_at is not None and data.new_start is not None
        return "\n".join(
            [
                *self.heading(data),
                "",
                _("Was: {when}").format(when=when(data.starts_at, data.tz)),
                _("Now: {when}").format(when=when(data.new_start, data.tz)),
                "",
                _("Its students, their parents and the teacher will be told at once."),
            ]
        )

    def summary_markup(self, data: MoveData) -> InlineKeyboardMarkup:
        return lesson_move_summary(data.lesson_id, self.key)

    async def save(self, data: MoveData, context: FormContext) -> None:
        settings = settings_of(context)
        assert data.new_start is not None
        change = await lessons_service.move(
            context.session,
            context.actor.user_id,
            data.lesson_id,
            data.new_start,
            now=utcnow(),
            tz=settings.centre.tz,
            policy_version=settings.centre.policy_version,
        )
        if change.refusal is not None:
            await reply(context, refusal_text(change.refusal), None)
            return
        assert change.lesson is not None
        done = _("✅ The lesson is moved.")
        text = await done_card_text(context.bot, context.sender, change, done, settings.centre.tz)
        info = change.lesson
        await reply(context, text, lesson_card(info.id, info.group_id, data.page, True))
        context.toast = _("✅ Saved.")


@on.button("move")
async def move_pressed(
    callback: CallbackQuery,
    callback_data: LessonCb,
    session: AsyncSession,
    settings: Settings,
    scenes: ScenesManager,
) -> None:
    info = await changeable_lesson(callback, session, callback_data.id)
    if info is None:
        return
    data = MoveData(
        lesson_id=info.id,
        page=callback_data.page,
        group_name=info.group_name,
        course_name=info.course_name,
        starts_at=info.starts_at,
        zone=settings.centre.timezone,
    )
    await MoveForm.open(scenes, data)


def create_router() -> Router:
    router = on.router("admin.lessons.moving")
    router.include_router(MoveForm.as_router())
    return router
