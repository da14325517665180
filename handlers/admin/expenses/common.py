"""What the expense screens and forms share: the permission, the centre's today, the
words of a category, a day and a month, and the steps every expense form asks alike."""

from datetime import date, timedelta
from html import escape

from babel.dates import format_date as babel_date

from bot.config import Settings
from bot.filters.access import EXPENSES
from bot.formatting import babel_locale
from bot.forms import Form, FormContext, FormData, OutOfDate, Refusal
from bot.i18n import _, use_language
from bot.services import expenses as service
from bot.services import parsing
from bot.services.expenses import NOTE_MAX, SALARIES, CategoryInfo
from bot.services.parsing import Invalid, Problem
from bot.wording import date_problem
from db.base import utcnow
from db.models import BUILTIN_CATEGORIES, Language
from keyboards.labels import category_name, expense_category_labels

EXPENSE_FORM, REVERSE_FORM = "expense_form", "expense_reverse_form"
CATEGORY_FORM, RECURRING_FORM = "expense_category_form", "recurring_expense_form"
FORMS = (EXPENSE_FORM, REVERSE_FORM, CATEGORY_FORM, RECURRING_FORM)


class ExpenseBaseForm(Form):
    """The base of the expense forms: the permission, and a refused answer audited."""

    flags = EXPENSES


def today(settings: Settings) -> date:
    return utcnow().astimezone(settings.centre.tz).date()


def day_label(day: date) -> str:
    """`3 Mar` in a list's button."""
    return babel_date(day, "d MMM", locale=babel_locale())


def month_label(month: date) -> str:
    return babel_date(month, "LLLL y", locale=babel_locale())


def short_month_label(month: date) -> str:
    return babel_date(month, "LLL y", locale=babel_locale())


def category_text(category: CategoryInfo) -> str:
    return escape(category_name(category))


def reserved_names() -> frozenset[str]:
    """The built-in categories' words (salaries' too) in every language, folded: the
    centre's own categories may not take them (two "Rent"s, or a "Salaries" of its own that
    would count teacher pay twice)."""
    names = set()
    for language in Language:
        with use_language(language.value):
            labels = expense_category_labels()
            for code in (*BUILTIN_CATEGORIES, SALARIES):
                label = labels[code]
                names.add(service.name_key(label))
                names.add(service.name_key(label.split(" ", 1)[-1]))  # without its emoji
    return frozenset(names)


async def refused(context: FormContext, reason: str, **details: object) -> None:
    """An answer a form step cannot take: the refusal is audited (nothing else written)."""
    await service.deny(context.session, context.actor.user_id, reason, **details)


# --- the steps every expense form asks alike -------------------------------------------------


class HasExpense(FormData):
    category_id: int = 0
    category: str = ""  # its name when picked, for the summary
    amount: int = 0
    note: str = ""


async def pick_category(data: HasExpense, value: str, context: FormContext) -> None:
    """A category offered (active; salaries never is one). One retired since its button was
    drawn is refused by name; one gone or forged is out of date."""
    if not (value.isascii() and value.isdigit()):
        raise OutOfDate
    found = await service.category(context.session, int(value))
    if found is None:
        raise OutOfDate
    if found.retired:
        await refused(context, service.Outcome.RETIRED.value, category_id=found.id)
        raise Refusal(retired_text(found))
    data.category_id, data.category = found.id, category_name(found)


def retired_text(category: CategoryInfo) -> str:
    return _("⚠️ The category «{name}» is retired: choose another one.").format(
        name=category_text(category)
    )


async def read_amount(data: HasExpense, text: str | None, context: FormContext) -> None:
    try:
        data.amount = parsing.parse_amount(text)
    except Invalid as error:
        await refused(context, f"amount.{error.problem.value}")
        raise


async def read_note(data: HasExpense, text: str | None, context: FormContext) -> None:
    try:
        data.note = parsing.clean_text(text, 1, NOTE_MAX)
    except Invalid as error:
        await refused(context, f"note.{error.problem.value}", length=len((text or "").strip()))
        raise


def amount_hint() -> str:
    return _("Example: <i>1 250 000</i> (or 1250000, 1.250.000)")


def note_hint() -> str:
    return _("Example: <i>March rent, room 2</i>")


def day_problem(error: Invalid, typed: str | None) -> str:
    if error.problem is Problem.DATE_FUTURE:
        return _("⚠️ That day has not come yet: an expense is entered once it is spent.")
    return date_problem(error, typed)


def read_day(text: str | None, today_: date) -> date:
    """A typed day (DD.MM.YYYY), not in the future; raises Invalid."""
    day = parsing.parse_date(text)
    if day > today_:
        raise Invalid(Problem.DATE_FUTURE)
    return day


def pick_day(value: str, today_: date) -> date:
    if value == "today":
        return today_
    if value == "yesterday":
        return today_ - timedelta(days=1)
    raise OutOfDate
