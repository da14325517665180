"""One way to write a multi-step form, on aiogram's scenes (`aiogram.fsm.scene`).

A form is one `Scene`, so one FSM state: its handlers run only while that form is open,
and entering a form closes the one open before. Its steps are data (`Step`), not states:
the current step, the "one step only" flag (a ✏️ from a card or the summary comes back to
the summary) and the typed answers (`FormData`, a pydantic model stored as JSON, as Redis
storage keeps it) live in the FSM data. The base gives every form the same flow:

    step → step → … → summary (✅ Confirm / ✏️ Edit / ❌ Cancel) → save

A typed answer goes through the step's `read`, a button through its `pick`; either raises
`Invalid` (worded by the step's `problem`) or `Refusal` (a text of its own), and the step is
shown again under the problem. Nothing is written before ✅: `save` does it in one service
call. A form button (`FormCb`) names its form and its step, so one pressed after the form
ended, in another form, in an earlier run of the same form, or at another step gets the
shared out-of-date answer.
"""

import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, ClassVar, Generic, TypeVar

from aiogram import F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.dispatcher.event.handler import FilterObject
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.scene import Scene, SceneRegistry, on
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, ReplyKeyboardMarkup
from pydantic import BaseModel

from bot.commands import MENU
from bot.i18n import _
from bot.services.parsing import Invalid
from bot.telegram import edit_or_send
from bot.wording import (
    cancel_hint,
    cancelled_text,
    change_what_text,
    stale_button_text,
    while_confirming_text,
)
from keyboards.forms import FormCb, Rows, fields_keyboard, markup_of, stamped, summary_keyboard


class FormData(BaseModel):
    """What a form has collected so far; every field has a default (a step not yet asked)."""


D = TypeVar("D", bound=FormData)


class Advance(Enum):
    NEXT = "next"  # the answer is taken: the next step, or the summary
    STAY = "stay"  # show the same step (or, from `save`, the summary) again
    SHOWN = "shown"  # stay where the form is: what to show was shown (a page, a warning)
    KEEP = "keep"  # nothing to show: the toast said it (a button out of date); nothing changes
    CLOSE = "close"  # the form ends here, nothing saved (the step said why)


class OutOfDate(Exception):
    """From a step's `pick`: the value is no longer offered (a student erased meanwhile,
    forged data): the button gets the shared out-of-date answer and nothing changes."""


class Refusal(Exception):
    """An answer the form cannot take, with the translated reason to show above the step."""

    def __init__(self, text: str, step: str | None = None, close: bool = False) -> None:
        super().__init__(text)
        self.text = text
        self.step = step  # ask that (earlier) step instead: the answer to it no longer fits
        self.close = close  # the form cannot go on (what it changes is gone): the text alone


@dataclass(slots=True)
class FormContext:
    """What a step or `save` may use: the event, the handler's data (session, actor,
    settings, sender, …), and the toast to answer a button with."""

    event: Message | CallbackQuery
    data: dict[str, Any]
    toast: str | None = None
    alert: bool = False
    notice: str = ""  # a line above the screen shown next ("✅ Added."), like a problem
    button: FormCb | None = None  # the form button pressed (its `value` for `save`)
    form: str = ""  # the key of the form open, and its run: they go into its buttons shown
    run: str = ""
    below: bool = False  # the form's first screen goes below the pressed message

    @property
    def session(self) -> Any:
        return self.data["session"]

    @property
    def actor(self) -> Any:
        return self.data["actor"]

    @property
    def settings(self) -> Any:
        return self.data["settings"]

    @property
    def bot(self) -> Any:
        return self.data["bot"]

    @property
    def sender(self) -> Any:
        return self.data["sender"]

    @property
    def state(self) -> FSMContext:
        return self.data["state"]

    def send_later(self, notice: Any) -> None:
        """A notice of `bot.notices` (a receipt, a correction) goes out in the background,
        beside the next updates: `notice.send(bot, sender)`; None sends nothing."""
        if notice is not None:
            self.sender.in_background(notice.send(self.bot, self.sender))


@dataclass(slots=True)
class Visit(Generic[D]):
    """One event in an open form: where the form is (`at`: a step's name or the summary),
    whether it asks one step only, and its answers."""

    context: FormContext
    state: FSMContext
    data: D
    at: str
    single: bool = False


Reader = Callable[[D, str | None, FormContext], Awaitable[Advance | None]]
Picker = Callable[[D, str, FormContext], Awaitable[Advance | None]]
Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | None
Receiver = Callable[[D, Message, FormContext], Awaitable[Advance | None]]


def _no_problem_wording(error: Invalid, typed: str | None) -> str:
    raise error


@dataclass(frozen=True, slots=True)
class Step(Generic[D]):
    """One question. `prompt` gives its lines; `buttons` its own rows of buttons (made with
    `keyboards.forms.pick_button(…, form, step, value)`), `choices` rows read from the database
    (a course list); `read` takes a typed
    answer, `receive` any message (a photo, a document), `pick` a button's value, `skip` the
    ⏭ button. `label` is its ✏️ button in the summary's Edit list (None: not editable there);
    `when` leaves out a step that does not apply to these answers; `example` is a valid typed
    answer, shown under the prompt (UX: every typed step shows one)."""

    name: str
    prompt: Callable[[D], str]
    read: Reader | None = None
    receive: Receiver | None = None
    pick: Picker | None = None
    skip: Callable[[D], None] | None = None
    buttons: Callable[[D, str], Rows] | None = None
    choices: Callable[[D, str, FormContext], Awaitable[Rows]] | None = None
    problem: Callable[[Invalid, str | None], str] = _no_problem_wording
    label: Callable[[], str] | None = None
    when: Callable[[D], bool] = field(default=lambda data: True)
    typed_hint: Callable[[], str] = field(default=lambda: _("ℹ️ Use the buttons above."))
    load: Callable[[D, FormContext], Awaitable[None]] | None = None  # before it is shown
    example: Callable[[], str] | None = None  # a valid answer, shown under the prompt

    def question(self, data: D) -> str:
        """The prompt, and under it the example of a valid answer when the step has one."""
        text = self.prompt(data)
        return f"{text}\n{self.example()}" if self.example is not None else text


@dataclass(frozen=True, slots=True)
class Retry:
    """From `save`: the answer to `step` cannot be saved (a name taken meanwhile): ask it again."""

    step: str
    text: str


SUMMARY = "summary"
DATA, STEP, SINGLE, RUN = "form", "step", "single", "run"


class Form(Scene, Generic[D], reset_data_on_enter=True, reset_history_on_enter=True):
    """Subclass with `class CourseForm(Form[CourseData], state="course_form")` and set
    `key` (short, in every button), `data_type`, `steps`, and `flags` (the access guard's
    `permission`, …); write `title`, `summary_text` and `save`."""

    key: ClassVar[str]
    data_type: ClassVar[type[FormData]]
    steps: ClassVar[Sequence[Step[Any]]]
    flags: ClassVar[dict[str, Any]] = {}
    # False: no summary, the last answer saves (a typed confirmation word, a one-step form)
    confirms: ClassVar[bool] = True
    # ✏️ Edit goes back to this step and on through the ones after it (None: a list of steps)
    edit_from: ClassVar[str | None] = None

    # --- what a form writes ----------------------------------------------------------------

    def title(self, data: D) -> str:
        raise NotImplementedError

    def summary_text(self, data: D) -> str:
        raise NotImplementedError

    def summary_markup(self, data: D) -> InlineKeyboardMarkup:
        editable = self.edit_from is not None or bool(self.editable_steps(data))
        return summary_keyboard(self.key, editable=editable)

    async def save(self, data: D, context: FormContext) -> Retry | Advance | None:
        """Write the answers (one service call) and show what follows; `Retry` asks a step
        again; `Advance.STAY` shows the summary again (`save` changed the answers);
        `Advance.SHOWN` keeps the form at its summary with what `save` showed (a warning to
        confirm with a ✅ whose value says "anyway"). Otherwise the form closes."""
        raise NotImplementedError

    def step_text(self, step: Step[D], data: D) -> str:
        return "\n".join([self.title(data), "", step.question(data), "", cancel_hint()])

    def reask_text(self, problem: str, step: Step[D], data: D) -> str:
        """A refused answer: the problem above the step asked again."""
        return f"{problem}\n\n{self.step_text(step, data)}"

    async def show(self, context: FormContext, text: str, markup: Markup) -> None:
        """A step or the summary: in place of the pressed button's message, or below it for
        the first screen of a form opened with `below`."""
        await reply(context, text, markup)

    def takes(self, message: Message) -> bool:
        """Whether a message (not a command: those are never taken) is an answer. The main
        menu's buttons are not: they go on to their handlers (the form stays open)."""
        return not is_menu_button(message)

    def cancelled_text(self) -> str:
        return cancelled_text()

    async def cancelled(self, data: D, context: FormContext) -> None:
        """What ❌ Cancel shows once the form is closed (a form may go back to a card)."""
        await reply(context, self.cancelled_text(), None)

    def while_confirming_text(self) -> str:
        return while_confirming_text()

    @classmethod
    async def is_open(cls, state: FSMContext) -> bool:
        return await state.get_state() == cls.__scene_config__.state

    # --- opening a form from a handler ------------------------------------------------------

    @classmethod
    async def open(
        cls,
        scenes: Any,
        data: FormData,
        step: str | None = None,
        single: bool = False,
        below: bool = False,
    ) -> None:
        """Open the form (closing any other) at `step` (the first that applies by default);
        `single`: only that step, then the summary (a ✏️ from a card); `below`: opened from
        a button of another screen (a card, a ticket), its first screen comes as a new
        message under that screen, which stays readable."""
        await scenes.enter(
            cls, form_data=data, form_step=step, form_single=single, form_below=below
        )

    @on.message.enter()
    @on.callback_query.enter()
    async def _entered(
        self,
        event: Message | CallbackQuery,
        state: FSMContext,
        form_data: FormData,
        form_step: str | None = None,
        form_single: bool = False,
        form_below: bool = False,
        **kwargs: Any,
    ) -> None:
        context = FormContext(
            event, {"state": state, **kwargs}, form=self.key, run=new_run(), below=form_below
        )
        visit = Visit(context, state, form_data, "", form_single)  # type: ignore[arg-type]
        step = self.step_named(form_step) if form_step else self.next_step(visit.data, None)
        await self._show(visit, step)
        if isinstance(event, CallbackQuery):  # the button that opened the form
            await event.answer()

    # --- the shared handlers ------------------------------------------------------------------

    @on.message(F.func(lambda message: not (message.text or "").startswith("/")))
    async def _typed(self, message: Message, state: FSMContext, **kwargs: Any) -> None:
        if not self.takes(message):
            raise SkipHandler
        visit = await self._visit(message, state, kwargs)
        if visit.at == SUMMARY:
            await message.answer(self.while_confirming_text())
            return
        step, data, context = self.step_named(visit.at), visit.data, visit.context
        if step.receive is not None:
            await self._take(visit, step, step.receive(data, message, context), message.text)
        elif step.read is not None:
            await self._take(visit, step, step.read(data, message.text, context), message.text)
        else:
            await self._reask(visit, step, step.typed_hint())

    @on.callback_query(FormCb.filter())
    async def _pressed(
        self, callback: CallbackQuery, callback_data: FormCb, state: FSMContext, **kwargs: Any
    ) -> None:
        visit = await self._visit(callback, state, kwargs)
        visit.context.button = callback_data
        if not (self._of_this_run(callback_data, visit) and await self._act(visit, callback_data)):
            visit.context.toast, visit.context.alert = stale_button_text(), False
        await callback.answer(visit.context.toast, show_alert=visit.context.alert)

    def _of_this_run(self, pressed: FormCb, visit: Visit[D]) -> bool:
        """A button of this form, shown by this run of it (one without a run was made
        elsewhere: a card's button into the form)."""
        return pressed.form == self.key and pressed.run in ("", visit.context.run)

    async def _act(self, visit: Visit[D], pressed: FormCb) -> bool:
        """One form button; False when it does not fit where the form is (out of date)."""
        if pressed.action == "no":
            await visit.state.clear()
            await self.cancelled(visit.data, visit.context)
            return True
        if visit.at == SUMMARY:
            return await self._act_on_summary(visit, pressed)
        step = self.step_named(visit.at)
        if pressed.step != step.name:
            return False
        if pressed.action == "skip" and step.skip is not None:
            step.skip(visit.data)
            await self._after(visit, step, Advance.NEXT)
            return True
        if pressed.action == "pick" and step.pick is not None:
            try:
                outcome = step.pick(visit.data, pressed.value, visit.context)
                await self._take(visit, step, outcome, None)
            except OutOfDate:
                return False
            return True
        return False

    async def _act_on_summary(self, visit: Visit[D], pressed: FormCb) -> bool:
        editable = {step.name: step for step in self.editable_steps(visit.data)}
        if pressed.action == "ok":
            await self._save(visit)
        elif pressed.action == "edit" and self.edit_from is not None:
            visit.single = False
            await self._show(visit, self.step_named(self.edit_from))
        elif pressed.action == "edit" and len(editable) == 1:  # nothing to choose from
            visit.single = True
            await self._show(visit, next(iter(editable.values())))
        elif pressed.action == "edit":
            labels = [(name, step.label()) for name, step in editable.items()]  # type: ignore[misc]
            await reply(visit.context, change_what_text(), fields_keyboard(self.key, labels))
        elif pressed.action == "summary":
            await self._show(visit, None)
        elif pressed.action == "field" and pressed.value in editable:
            visit.single = True
            await self._show(visit, editable[pressed.value])
        else:
            return False
        return True

    # --- moving through the steps --------------------------------------------------------------

    async def _take(
        self,
        visit: Visit[D],
        step: Step[D],
        outcome: Awaitable[Advance | None],
        typed: str | None,
    ) -> None:
        """An answer to `step`: on to what follows, or the step again under the problem."""
        try:
            advance = await outcome
        except Invalid as error:
            await self._reask(visit, step, step.problem(error, typed))
        except Refusal as refusal:
            if refusal.close:
                await visit.state.clear()
                await reply(visit.context, refusal.text, None)
            elif refusal.step:
                await self._show(visit, self.step_named(refusal.step), problem=refusal.text)
            else:
                await self._reask(visit, step, refusal.text)
        else:
            await self._after(visit, step, advance or Advance.NEXT)

    async def _after(self, visit: Visit[D], step: Step[D], advance: Advance) -> None:
        following = None if visit.single else self.next_step(visit.data, step.name)
        if advance is Advance.KEEP:
            return
        if advance is Advance.CLOSE:
            await visit.state.clear()
        elif advance is Advance.STAY:
            await self._show(visit, step)
        elif advance is Advance.SHOWN:
            await self._store(visit)
        elif following is None and not self.confirms:
            await self._save(visit)
        else:
            await self._show(visit, following)

    async def _save(self, visit: Visit[D]) -> None:
        retry = await self.save(visit.data, visit.context)
        if retry is None:
            await visit.state.clear()
        elif retry is Advance.STAY:  # `save` changed the answers (a group filled meanwhile)
            await self._show(visit, None)
        elif isinstance(retry, Retry):
            visit.single = True
            await self._show(visit, self.step_named(retry.step), problem=retry.text)

    async def _reask(self, visit: Visit[D], step: Step[D], problem: str) -> None:
        """The step again under the problem; nothing stored changes."""
        text = self.reask_text(problem, step, visit.data)
        await self.show(visit.context, text, await self.step_markup(step, visit))

    async def _show(self, visit: Visit[D], step: Step[D] | None, problem: str = "") -> None:
        """Store where the form is and show it: `step`, or the summary when None."""
        if step is not None and step.load is not None:
            await step.load(visit.data, visit.context)
        problem = problem or visit.context.notice
        visit.at = SUMMARY if step is None else step.name
        await self._store(visit)
        if step is None:
            text, markup = self.summary_text(visit.data), self.summary_markup(visit.data)
        else:
            text, markup = self.step_text(step, visit.data), await self.step_markup(step, visit)
        await self.show(visit.context, f"{problem}\n\n{text}" if problem else text, markup)

    async def _store(self, visit: Visit[D]) -> None:
        data = {
            DATA: visit.data.model_dump(mode="json"),
            STEP: visit.at,
            SINGLE: visit.single,
            RUN: visit.context.run,
        }
        await visit.state.set_data(data)

    async def step_markup(self, step: Step[D], visit: Visit[D]) -> Markup:
        """The step's own buttons (`buttons`), then those read from the database (`choices`)."""
        rows = step.buttons(visit.data, self.key) if step.buttons else []
        if step.choices:
            rows = [*rows, *await step.choices(visit.data, self.key, visit.context)]
        return markup_of(rows)

    def next_step(self, data: D, after: str | None) -> Step[D] | None:
        names = [step.name for step in self.steps]
        start = 0 if after is None else names.index(after) + 1
        return next((step for step in self.steps[start:] if step.when(data)), None)

    def step_named(self, name: str) -> Step[D]:
        return next(step for step in self.steps if step.name == name)

    def editable_steps(self, data: D) -> list[Step[D]]:
        return [step for step in self.steps if step.label is not None and step.when(data)]

    # --- the FSM data ------------------------------------------------------------------------

    async def _visit(
        self, event: Message | CallbackQuery, state: FSMContext, kwargs: dict[str, Any]
    ) -> Visit[D]:
        raw = await state.get_data()
        data = self.data_type.model_validate(raw[DATA])
        context = FormContext(
            event, {"state": state, **kwargs}, form=self.key, run=raw.get(RUN, "")
        )
        return Visit(
            context,
            state,
            data,
            raw[STEP],
            bool(raw.get(SINGLE)),
        )  # type: ignore[arg-type]

    # --- registration ------------------------------------------------------------------------

    @classmethod
    def add_to_router(cls, router: Router) -> None:
        """As aiogram's, and every handler carries the form's flags (the access guard reads
        `permission` there, as on any other handler) and its state among its own filters, so
        the router's gate (`bot.routing`) passes only messages of people in this form."""
        super().add_to_router(router)
        in_this_form = FilterObject(StateFilter(cls.__scene_config__.state))
        for observer in router.observers.values():
            for handler in observer.handlers:
                handler.flags.update(cls.flags)
                handler.filters = [in_this_form, *(handler.filters or ())]

    @classmethod
    def as_router(cls, name: str | None = None) -> Router:
        """The form's handlers (they run only while it is open: aiogram filters their
        router by the state), then its buttons pressed while it is not."""
        router = Router(name=f"form {cls.key}")
        closed = Router(name=f"form {cls.key} closed")
        closed.callback_query.register(
            cls.pressed_when_closed, FormCb.filter(F.form == cls.key), flags=dict(cls.flags)
        )
        router.include_routers(super().as_router(name), closed)
        return router

    @classmethod
    async def pressed_when_closed(
        cls, callback: CallbackQuery, callback_data: FormCb, **data: Any
    ) -> None:
        """A button of this form while it is not open (it ended, another form is open): the
        shared out-of-date answer, after the access guard (which refuses and audits a press
        by someone without the form's permission)."""
        await callback.answer(stale_button_text())


def is_menu_button(message: Message) -> bool:
    return (message.text or "") in {str(entry.label) for entry in MENU}


async def reply(context: FormContext, text: str, markup: Markup) -> None:
    """A typed answer gets a new message; a button edits the message it is under, but for
    a reply keyboard (📱 Share my phone number), which only a new message can bring, and for
    the first screen of a form opened `below`. The form's buttons carry its run."""
    event = context.event
    if isinstance(markup, InlineKeyboardMarkup) and context.run:
        markup = stamped(markup, context.form, context.run)
    if isinstance(event, Message):
        await event.answer(text, reply_markup=markup)
    elif isinstance(markup, ReplyKeyboardMarkup) or context.below:
        await event.bot.send_message(event.from_user.id, text, reply_markup=markup)  # type: ignore[union-attr]
    else:
        await edit_or_send(event, text, markup)


def new_run() -> str:
    """Tells one opening of a form from the next (in its buttons): 3 characters."""
    return secrets.token_urlsafe(3)[:3]


def every_form() -> list[type[Form[Any]]]:
    """Every form class with a state (the handlers' modules define them on import)."""
    found, pending = [], list(Form.__subclasses__())
    while pending:
        form = pending.pop()
        pending.extend(form.__subclasses__())
        if form.__scene_config__.state is not None:
            found.append(form)
    return found


def register_forms(dispatcher: Router) -> None:
    """Scenes need a registry on the dispatcher (`scenes` in every handler's data); each form's
    router is included by its role's router, behind that role's guard."""
    SceneRegistry(dispatcher, register_on_add=False).add(*every_form())
