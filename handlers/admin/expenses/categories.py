"""🗂 Expense categories: the list (salaries shown as the payroll's, never a category to
type in), a category's card, ➕ New category and ✏️ Rename (a one-step form), 🗄 Retire /
♻️ Bring back, and 🗑 Delete for a category of the centre's own that was never used (one
with expenses is retired instead)."""

from html import escape

from aiogram.fsm.scene import ScenesManager
from aiogram.types import CallbackQuery
from sqlalchemy.ext.asyncio import AsyncSession

from bot.filters.access import EXPENSES
from bot.forms import FormContext, FormData, Refusal, Retry, Step
from bot.i18n import _
from bot.services import expenses as service
from bot.services import parsing
from bot.services.access import Actor
from bot.services.expenses import NAME_MAX, NAME_MIN, CategoryInfo, Outcome
from bot.services.parsing import Invalid, Problem
from bot.telegram import edit_or_send
from bot.wording import stale_button_text, text_problem
from db.base import utcnow
from handlers.admin.expenses.common import (
    CATEGORY_FORM,
    ExpenseBaseForm,
    category_text,
    refused,
    reserved_names,
)
from handlers.buttons import show_screen
from handlers.registry import Registry
from keyboards.expenses import (
    ExpenseCb,
    cancel_row,
    categories_keyboard,
    category_card,
    delete_confirmation,
)
from keyboards.labels import category_name, expense_category_labels

on = Registry(ExpenseCb, flags=EXPENSES)


def categories_text(categories: list[CategoryInfo]) -> str:
    retired = sum(category.retired for category in categories)
    lines = [
        _("🗂 <b>Expense categories: {count}</b>").format(count=len(categories)),
        _("{salaries} — automatic: the approved payslips of the payroll, never typed in.").format(
            salaries=expense_category_labels()[service.SALARIES]
        ),
    ]
    if retired:
        lines.append(_("🗄 marks a retired category ({count}).").format(count=retired))
    lines += ["", _("Tap a category to rename, retire or delete it.")]
    return "\n".join(lines)


def category_card_text(category: CategoryInfo) -> str:
    lines = [f"🗂 <b>{category_text(category)}</b>"]
    if category.retired:
        lines.append(_("🗄 Retired: not offered for new expenses; those made stay."))
    if category.is_builtin:
        lines.append(_("Built in: it can be renamed and retired, not deleted."))
    lines += [
        "",
        _("Expenses: {count}").format(count=category.expenses),
        _("Recurring expenses running: {count}").format(count=category.recurring),
    ]
    return "\n".join(lines)


def in_use_text() -> str:
    return _("⚠️ This category has expenses: it cannot be deleted. Retire it instead.")


def name_taken_text(name: str) -> str:
    return _("⚠️ A category named «{name}» already exists. Choose another name.").format(
        name=escape(name)
    )


async def show_categories(callback: CallbackQuery, session: AsyncSession) -> None:
    found = await service.categories(session)
    await edit_or_send(callback, categories_text(found), categories_keyboard(found))


@on.button("cats")
async def categories_pressed(callback: CallbackQuery, session: AsyncSession) -> None:
    await show_categories(callback, session)
    await callback.answer()


@on.button("cat", category=service.category)
async def category_pressed(callback: CallbackQuery, category: CategoryInfo) -> None:
    await show_screen(callback, category_card_text(category), category_card(category))


# --- the name form ------------------------------------------------------------------------------


class CategoryData(FormData):
    category_id: int | None = None  # None: a new category
    was: str = ""  # the name shown before a rename
    name: str = ""


async def read_name(data: CategoryData, text: str | None, context: FormContext) -> None:
    try:
        name = parsing.clean_text(text, NAME_MIN, NAME_MAX)
        if "\n" in name:
            raise Invalid(Problem.TOO_LONG, maximum=NAME_MAX, length=len(name))
    except Invalid as error:
        await refused(context, f"category.{error.problem.value}")
        raise
    key = service.name_key(name)
    own = data.category_id is not None and service.name_key(data.was) == key
    if not own and key in reserved_names():
        await refused(context, Outcome.NAME_TAKEN.value, name=name)
        raise Refusal(name_taken_text(name))
    data.name = name


class CategoryForm(ExpenseBaseForm, state=CATEGORY_FORM):
    key = "exc"
    data_type = CategoryData
    edit_from = "name"
    steps = (
        Step(
            "name",
            lambda data: _("The category's name, {minimum} to {maximum} characters.").format(
                minimum=NAME_MIN, maximum=NAME_MAX
            ),
            read=read_name,
            buttons=lambda data, form: [cancel_row(form)],
            problem=text_problem,
            example=lambda: _("Example: <i>Cleaning</i>"),
        ),
    )

    def title(self, data: CategoryData) -> str:
        if data.category_id:
            return _("🗂 <b>Rename the category</b> «{name}»").format(name=escape(data.was))
        return _("🗂 <b>New expense category</b>")

    def summary_text(self, data: CategoryData) -> str:
        return "\n".join([self.title(data), "", _("Name: {name}").format(name=escape(data.name))])

    async def save(self, data: CategoryData, context: FormContext) -> Retry | None:
        session, actor_id = context.session, context.actor.user_id
        if data.category_id:
            result = await service.rename_category(
                session, actor_id, data.category_id, data.name, reserved_names()
            )
        else:
            result = await service.add_category(
                session, actor_id, data.name, reserved_names(), utcnow()
            )
        if result.outcome is Outcome.NAME_TAKEN:
            return Retry("name", name_taken_text(data.name))
        if result.category is None:
            context.toast = stale_button_text()
            await show_categories(context.event, session)  # type: ignore[arg-type]
            return None
        context.toast = (
            _("ℹ️ Nothing has changed.") if result.outcome is Outcome.UNCHANGED else _("✅ Saved.")
        )
        await edit_or_send(
            context.event,  # type: ignore[arg-type]
            category_card_text(result.category),
            category_card(result.category),
        )
        return None


@on.button("cnew")
async def new_pressed(callback: CallbackQuery, scenes: ScenesManager) -> None:
    await CategoryForm.open(scenes, CategoryData())


@on.button("cren", category=service.category)
async def rename_pressed(
    callback: CallbackQuery, scenes: ScenesManager, category: CategoryInfo
) -> None:
    name = category_name(category)
    await CategoryForm.open(scenes, CategoryData(category_id=category.id, was=name, name=name))


# --- retire, bring back, delete -----------------------------------------------------------------


@on.button("cret", "cres")
async def retire_pressed(
    callback: CallbackQuery, callback_data: ExpenseCb, actor: Actor, session: AsyncSession
) -> None:
    retire = callback_data.action == "cret"
    result = await service.set_retired(session, actor.user_id, callback_data.id, retire, utcnow())
    if result.category is None:
        await callback.answer(stale_button_text())
        return
    if result.outcome is Outcome.HAS_RECURRING:
        await callback.answer(
            _(
                "⚠️ {count} recurring expenses use this category. Stop them first, then retire it."
            ).format(count=result.category.recurring),
            show_alert=True,
        )
        return
    await edit_or_send(
        callback, category_card_text(result.category), category_card(result.category)
    )
    if result.outcome is Outcome.UNCHANGED:
        await callback.answer(_("ℹ️ Nothing has changed."))
    elif retire:
        await callback.answer(_("🗄 The category is retired."))
    else:
        await callback.answer(_("♻️ The category is offered again."))


@on.button("cdel", category=service.category)
async def delete_pressed(callback: CallbackQuery, category: CategoryInfo) -> None:
    if category.is_builtin:
        await callback.answer(stale_button_text())
        return
    if category.expenses:
        await callback.answer(in_use_text(), show_alert=True)
        return
    question = _("🗑 <b>Delete «{name}»?</b> It has never been used.").format(
        name=category_text(category)
    )
    await show_screen(callback, question, delete_confirmation(category))


@on.button("cdely")
async def delete_confirmed(
    callback: CallbackQuery, callback_data: ExpenseCb, actor: Actor, session: AsyncSession
) -> None:
    result = await service.delete_category(session, actor.user_id, callback_data.id)
    if result.outcome is Outcome.IN_USE and result.category is not None:
        await callback.answer(in_use_text(), show_alert=True)
        await edit_or_send(
            callback, category_card_text(result.category), category_card(result.category)
        )
        return
    if result.outcome is not Outcome.DONE:
        await callback.answer(stale_button_text())
        return
    await show_categories(callback, session)
    await callback.answer(_("🗑 Deleted."))
