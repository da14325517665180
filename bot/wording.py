"""The shared words of the conversation, written once: what is wrong with a typed answer,
how to leave a form, what a refused or stale press is told.

Why here, in bot/ beside i18n.py, and not in handlers/: these texts are Telegram-side
(gettext, HTML) but not a router's. Handlers, keyboards and the notices the bot sends on
its own can all import this module without importing handlers (keyboards and notices
must never import handlers). The problems come from `bot.services.parsing.Invalid`,
whose facts (limits, the month, the length typed) fill the messages.
"""

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from bot.formatting import format_money
from bot.i18n import _
from bot.services.attendance import Verdict
from bot.services.lessons import Refusal as LessonRefusal
from bot.services.parsing import (
    DURATION_MAX,
    DURATION_MIN,
    TITLE_MAX,
    Invalid,
    LineError,
    LineProblem,
    Problem,
)
from bot.services.reports.scope import ScopeKind
from db.models import LessonStatus

# --- forms --------------------------------------------------------------------------------


def cancel_hint() -> str:
    return _("/cancel — leave without saving.")


def while_confirming_text() -> str:
    return _("ℹ️ Use the buttons under the summary above: ✅ Confirm, ✏️ Edit or ❌ Cancel.")


# --- refusals -----------------------------------------------------------------------------


def cancelled_text() -> str:
    return _("❌ Cancelled. Nothing was saved.")


def change_what_text() -> str:
    return _("✏️ What would you like to change?")


def stale_button_text() -> str:
    return _("⚠️ This button is out of date. Open the menu again.")


def marking_refusal_text(verdict: Verdict, opens_at: datetime | None, tz: ZoneInfo) -> str:
    """Why an attendance sheet cannot be marked now (`attendance.may_mark`'s verdict), for
    the chat's sheet and the Mini App's."""
    if verdict is Verdict.TOO_EARLY and opens_at is not None:
        return _("⏳ Marking opens at {time}, 15 minutes before the lesson.").format(
            time=opens_at.astimezone(tz).strftime("%H:%M")
        )
    if verdict is Verdict.TOO_LATE:
        return _(
            "🔒 The day of this lesson is over: only an administrator can change its marks now."
        )
    if verdict is Verdict.CANCELLED:
        return _("❌ This lesson was cancelled; there is nothing to mark.")
    return stale_button_text()


def refusal_text() -> str:
    return _("⚠️ You do not have access to this. If you think you should, ask the administrator.")


# --- a typed answer that cannot be used ---------------------------------------------------


def _money_common(error: Invalid, typed: str | None) -> str:
    if error.problem is Problem.TOO_LARGE:
        return _("⚠️ That is too large: the most is {maximum}.").format(
            maximum=format_money(error.facts["maximum"])
        )
    return _(
        "⚠️ “{typed}” is not an amount. Type whole soʻm in digits, for example 1 250 000."
    ).format(typed=escape((typed or "").strip()[:40]))


def money_problem(error: Invalid, typed: str | None) -> str:
    """A price (0 is a free course)."""
    if error.problem is Problem.NEGATIVE:
        return _("⚠️ A price cannot be negative. Type 0 for a free course.")
    return _money_common(error, typed)


def amount_problem(error: Invalid, typed: str | None) -> str:
    """Money paid or paid back (`parsing.parse_amount`: more than 0)."""
    if error.problem is Problem.NEGATIVE:
        return _("⚠️ An amount cannot be negative.")
    if error.problem is Problem.TOO_SMALL:
        return _("⚠️ The amount must be more than 0.")
    return _money_common(error, typed)


def number_problem(error: Invalid, typed: str | None = None) -> str:
    if error.problem is Problem.NOT_A_NUMBER:
        return _("⚠️ Type a whole number from {minimum} to {maximum}, digits only.").format(
            **error.facts
        )
    return _("⚠️ The number must be from {minimum} to {maximum}.").format(**error.facts)


def date_problem(error: Invalid, typed: str | None = None) -> str:
    facts = error.facts
    if error.problem is Problem.NO_SUCH_DAY:
        return _(
            "⚠️ {day}.{month}.{year} does not exist: that month has {days} days. "
            "Check the day and type the date again."
        ).format(
            day=f"{facts['day']:02d}",
            month=f"{facts['month']:02d}",
            year=facts["year"],
            days=facts["days"],
        )
    if error.problem is Problem.NO_SUCH_MONTH:
        return _("⚠️ There is no month {month}: months go from 01 to 12.").format(
            month=facts["month"]
        )
    if error.problem is Problem.YEAR_RANGE:
        return _("⚠️ The year must be between {minimum} and {maximum}.").format(**facts)
    return _("⚠️ Type the date as DD.MM.YYYY, for example 01.09.2025.")


def time_problem(error: Invalid, typed: str | None = None) -> str:
    if error.problem is Problem.NO_SUCH_TIME:
        return _(
            "⚠️ {typed} is not a time of day: hours go from 00 to 23 and minutes from 00 to 59."
        ).format(typed=escape(error.facts.get("text", "")[:20]))
    if error.problem is Problem.SLOT_FORMAT:
        return _(
            "⚠️ Send the start time and the length in minutes, for example 14:00 90 "
            "(or 14:00-15:30)."
        )
    if error.problem is Problem.END_BEFORE_START:
        return _("⚠️ The end must be later than the start.")
    if error.problem in (
        Problem.TOO_SMALL,
        Problem.TOO_LARGE,
        Problem.NOT_A_NUMBER,
        Problem.NEGATIVE,
    ):
        return _("⚠️ A lesson lasts from {minimum} to {maximum} minutes.").format(
            minimum=DURATION_MIN, maximum=DURATION_MAX
        )
    return _("⚠️ Type the time as HH:MM, for example 14:00.")


def text_problem(error: Invalid, typed: str | None = None) -> str:
    if error.problem is Problem.EMPTY:
        return _("⚠️ This cannot be empty: please type it.")
    if error.problem is Problem.TOO_SHORT:
        return _("⚠️ That is too short: at least {minimum} characters.").format(
            minimum=error.facts["minimum"]
        )
    return _("⚠️ That is too long: {length} characters, and the limit is {maximum}.").format(
        length=error.facts.get("length", 0), maximum=error.facts["maximum"]
    )


def person_problem(problem: Problem) -> str:
    """A name, email or phone that cannot be taken (the person's own data, a request)."""
    texts = {
        Problem.DIGITS: _("⚠️ A name has no digits."),
        Problem.CHARACTERS: _("⚠️ Use only letters, spaces, hyphens, apostrophes and dots."),
        Problem.TOO_SHORT: _("⚠️ The name is too short: at least 2 letters."),
        Problem.TOO_LONG: _("⚠️ The name is too long: at most 128 characters."),
        Problem.EMAIL: _("⚠️ This does not look like an email address."),
        Problem.PHONE: _("⚠️ Telegram sent a number that is not a phone number."),
    }
    return texts[problem]


# --- a teacher's forms ----------------------------------------------------------------------


def score_max_problem(error: Invalid, typed: str | None = None) -> str:
    return _("⚠️ The maximum must be a whole number from 1 to 1000.")


def title_problem(error: Invalid, typed: str | None = None) -> str:
    return _("⚠️ The name must be from 1 to {limit} characters of text.").format(limit=TITLE_MAX)


SCORE_LINES_SHOWN = 20  # bad lines named in one answer; the rest are counted


def score_line_text(error: LineError) -> str:
    texts = {
        LineProblem.FORMAT: _("Line {line}: write a name or a number, a space, then the score."),
        LineProblem.SCORE: _("Line {line}: «{text}» is not a whole number."),
        LineProblem.RANGE: _("Line {line}: {text} is more than the maximum."),
        LineProblem.NUMBER: _("Line {line}: there is no student number {text} in the list."),
        LineProblem.UNKNOWN: _("Line {line}: no student in this group is called «{text}»."),
        LineProblem.AMBIGUOUS: _(
            "Line {line}: «{text}» matches several students; use the number from the list."
        ),
        LineProblem.DUPLICATE: _("Line {line}: «{text}» already has a score on an earlier line."),
        LineProblem.EMPTY: _("There is no score in your message."),
    }
    return texts[error.problem].format(line=error.line, text=escape(error.text))


def scores_problem(error: Invalid, typed: str | None = None) -> str:
    """Every bad line of a message of scores (`parsing.parse_scores`), by its number."""
    errors: list[LineError] = error.facts["errors"]
    lines = [_("⚠️ Nothing was saved. Correct these lines and send all the scores again:")]
    lines += [score_line_text(line) for line in errors[:SCORE_LINES_SHOWN]]
    if len(errors) > SCORE_LINES_SHOWN:
        lines.append(_("… and {count} more.").format(count=len(errors) - SCORE_LINES_SHOWN))
    return "\n".join(lines)


def task_problem(error: Invalid, typed: str | None = None) -> str:
    """A homework task (`parsing.clean_task`)."""
    if error.problem is Problem.NOT_TEXT:
        return _(
            "⚠️ Send the task as text, or a photo or a document with the task as its caption. "
            "Other kinds of message are not taken here."
        )
    if error.problem is Problem.TOO_SHORT:
        return _("⚠️ That is too short: write at least {minimum} characters.").format(
            minimum=error.facts["minimum"]
        )
    return _("⚠️ That is too long: the limit is {maximum} characters. Please shorten it.").format(
        maximum=error.facts["maximum"]
    )


def due_problem(error: Invalid, typed: str | None = None) -> str:
    """A homework's due date (`parsing.parse_due`)."""
    if error.problem is Problem.DATE_PAST:
        return _("⚠️ That moment has passed already. Choose a later date.")
    if error.problem is Problem.DATE_TOO_FAR:
        return _("⚠️ That is more than a year ahead. Choose an earlier date.")
    return _("⚠️ That is not a date. Write it like <i>25.03.2026</i> or <i>25.03.2026 14:00</i>.")


def text_only_text() -> str:
    return _("⚠️ Please send it as a text message.")


# --- lessons and reports: refusals the chat and the Mini App both give -----------------------


def lesson_status_labels() -> dict[LessonStatus, str]:
    return {
        LessonStatus.SCHEDULED: _("🗓 scheduled"),
        LessonStatus.HELD: _("✅ held"),
        LessonStatus.CANCELLED: _("❌ cancelled"),
    }


def lesson_refusal_text(refusal: LessonRefusal) -> str:
    """Why a lesson was not cancelled or moved (bot.services.lessons.Refusal)."""
    texts = {
        LessonRefusal.MISSING: stale_button_text,
        LessonRefusal.NOT_SCHEDULED: lambda: _(
            "⚠️ This lesson is not scheduled any more (cancelled or held): nothing was changed."
        ),
        LessonRefusal.STARTED: lambda: _(
            "⚠️ This lesson has already begun or is over; past lessons are not changed."
        ),
        LessonRefusal.MARKED: lambda: _(
            "⚠️ Attendance was already taken for this lesson, so it cannot be cancelled or moved."
        ),
        LessonRefusal.IN_THE_PAST: lambda: _(
            "⚠️ That time has already passed. Choose a time in the future."
        ),
        LessonRefusal.TAKEN: lambda: _("⚠️ The group already has a lesson at that time."),
        LessonRefusal.SAME_TIME: lambda: _("⚠️ That is the lesson's current time."),
    }
    return texts[refusal]()


def range_problem(error: Invalid, typed: str | None = None) -> str:
    """A report's period typed wrong: the end before the start, too long, a bad date."""
    if error.problem is Problem.END_BEFORE_START:
        return _("⚠️ The last day is before the first. Type a later date.")
    if error.problem is Problem.RANGE_TOO_LONG:
        return _("⚠️ A report covers at most {years} years. Type an earlier last day.").format(
            years=error.facts["years"]
        )
    return date_problem(error)


def scope_gone_text(kind: ScopeKind) -> str:
    """A report's filter (course, group, teacher) deleted since it was offered."""
    return {
        ScopeKind.COURSE: _("⚠️ This course no longer exists: choose another filter."),
        ScopeKind.GROUP: _("⚠️ This group no longer exists: choose another filter."),
        ScopeKind.TEACHER: _("⚠️ This teacher is no longer on the staff: choose another filter."),
    }.get(kind, _("⚠️ This filter no longer exists: choose another."))
