"""The words of /import: column titles (in every language: a file comes back in any),
the instructions sheet, the reasons of problems, the reports and refusals."""

from html import escape

from bot.config import LANGUAGES
from bot.i18n import _, ngettext, translate_to
from bot.services.academic import CAPACITY_MAX, DEFAULT_CAPACITY
from bot.services.imports import KINDS, balances, courses, enrolments, groups, people, teachers
from bot.services.imports.people import ApplyResult, Issue, Plan, RowProblem, Undo, UndoResult
from bot.services.imports.reading import FILE_MAX_BYTES, ROWS_MAX, ReadProblem
from bot.services.parsing import DURATION_MAX, DURATION_MIN
from keyboards.academic import weekday_names

ISSUES_SHOWN = 15  # problems listed in the message; all of them are in the file
VALUE_SHOWN = 40  # characters of a bad cell quoted in the message (the file has it whole)


def N_(message: str) -> str:  # a msgid marked for pybabel (the Makefile extracts -k N_)
    return message


# msgids: the template's header, and what a header is recognised by in uz, ru and en
COLUMN_TITLES = {
    "student_name": N_("Student: full name"),
    "student_phone": N_("Student: phone"),
    "birth_date": N_("Birth date"),
    "language": N_("Language"),
    "parent_name": N_("Parent: full name"),
    "parent_phone": N_("Parent: phone"),
    "teacher_name": N_("Teacher: full name"),
    "teacher_phone": N_("Teacher: phone"),
    "course_name": N_("Course: name"),
    "monthly_price": N_("Monthly price, soʻm"),
    "description": N_("Description"),
    "group_name": N_("Group: name"),
    "teacher": N_("Teacher: phone or full name"),
    "room": N_("Room"),
    "capacity": N_("Capacity"),
    "start_date": N_("Start date"),
    "weekdays": N_("Weekdays"),
    "start_time": N_("Start time"),
    "duration": N_("Length, minutes"),
    "joined_on": N_("Join date"),
    "discount": N_("Discount, %"),
    "balance": N_("Balance, soʻm"),
    "balance_date": N_("On the date"),
}


WEEKDAY_CHOICES = ((0, 2, 4), (1, 3, 5), (0, 3), (1, 4), (2, 5), (5, 6), (0, 1, 2, 3, 4))


def weekday_choices() -> list[str]:
    """Usual weekly patterns in the reader's language (any other may be typed)."""
    names = weekday_names()
    return [" ".join(names[day] for day in days) for days in WEEKDAY_CHOICES]


def column_title(key: str) -> str:
    return _(COLUMN_TITLES[key])


def header_titles() -> dict[str, list[str]]:
    """Each column's titles in every language (a file's header may be in any)."""
    return {
        key: [translate_to(language, msgid) for language in LANGUAGES]
        for key, msgid in COLUMN_TITLES.items()
    }


def template_header(kind: str = people.KIND) -> list[str]:
    columns = KINDS[kind].columns
    return [column_title(c.key) + (" *" if c.required else "") for c in columns]


def template_example(kind: str = people.KIND) -> list[str]:
    if kind == teachers.KIND:
        return [_("Nodira Karimova"), "+998 97 765 43 21", "ru"]
    if kind == courses.KIND:
        return [_("General English"), "1 250 000", _("Speaking and grammar, from A2 to B1")]
    if kind == balances.KIND:
        return [_("Ali Valiyev"), "+998 90 123 45 67", "21.03.2012", "-350 000", "01.01.2027"]
    if kind == enrolments.KIND:
        return [
            _("Ali Valiyev"),
            "+998 90 123 45 67",
            "21.03.2012",
            _("GE-1 morning"),
            _("General English"),
            "05.01.2027",
            "10",
        ]
    if kind == groups.KIND:
        return [
            _("GE-1 morning"),
            _("General English"),
            "+998 97 765 43 21",
            "12",
            "12",
            "05.01.2027",
            weekday_choices()[0],
            "09:00",
            "90",
        ]
    return [
        _("Ali Valiyev"),
        "+998 90 123 45 67",
        "21.03.2012",
        "uz",
        _("Vali Valiyev"),
        "+998 93 555 00 00",
    ]


def instructions(kind: str = people.KIND) -> tuple[str, list[str]]:
    if kind == balances.KIND:
        return _("Instructions"), [
            _("How to fill in this template"),
            _(
                "One row a student: what they owed or had in credit when the centre started "
                "with the bot. * marks what must be filled in: the full name and the balance."
            ),
            _(
                "The student must be at the centre already (import the students first): found "
                "by phone, then by name and birth date."
            ),
            _("Balance: whole soʻm; a debt with a minus, -350 000; a credit without, 200 000."),
            _("On the date: 01.01.2027 or 2027-01-01; empty: today."),
            _(
                "A student who has an opening balance from an import already keeps it: "
                "nothing is added twice."
            ),
            _("The grey row is an example: replace it or delete it."),
            _(
                "Send the file back to the bot as a document (XLSX or CSV). Nothing is "
                "written before you press ✅ Apply."
            ),
        ]
    if kind == enrolments.KIND:
        return _("Instructions"), [
            _("How to fill in this template"),
            _(
                "One row a student in a group. * marks what must be filled in: the student's "
                "full name, the group and the join date."
            ),
            _(
                "The student must be at the centre already (import the students first): found "
                "by phone, then by name and birth date."
            ),
            _(
                "Group: its name; the course's name too when groups of several courses share "
                "that name."
            ),
            _("Join date: 05.01.2027 or 2027-01-05. Discount: 0 to 100 (%); empty: none."),
            _(
                "A student already in the group stays as they are. A new student is charged "
                "as when enrolled in chat: at once when this month's charges are done."
            ),
            _("The grey row is an example: replace it or delete it."),
            _(
                "Send the file back to the bot as a document (XLSX or CSV). Nothing is "
                "written before you press ✅ Apply."
            ),
        ]
    if kind == groups.KIND:
        return _("Instructions"), [
            _("How to fill in this template"),
            _(
                "One row a group. * marks what must be filled in: the name, the course, the "
                "start date, the weekdays, the start time and the length of a lesson."
            ),
            _("Course: the name of a course already at the centre (import the courses first)."),
            _(
                "Teacher: the phone or the full name of a teacher already at the centre; may "
                "stay empty."
            ),
            _("Capacity: seats, 1 to {max}; empty: {default}.").format(
                max=CAPACITY_MAX, default=DEFAULT_CAPACITY
            ),
            _("Start date: 05.01.2027 or 2027-01-05."),
            _(
                "Weekdays: pick them from the list or type them, e.g. «{days}» or 1 3 5 "
                "(Monday is 1); a lesson each of those days at the start time."
            ).format(days=weekday_choices()[0]),
            _("Start time: 09:00. Length: minutes, {min} to {max}.").format(
                min=DURATION_MIN, max=DURATION_MAX
            ),
            _("The grey row is an example: replace it or delete it."),
            _(
                "A group already at the centre (the same name in the same course) stays as it "
                "is. The lessons of new groups appear in the schedule within a day."
            ),
            _(
                "Send the file back to the bot as a document (XLSX or CSV). Nothing is "
                "written before you press ✅ Apply."
            ),
        ]
    if kind == courses.KIND:
        return _("Instructions"), [
            _("How to fill in this template"),
            _("One row a course. * marks what must be filled in: the name and the monthly price."),
            _("Monthly price: whole soʻm, 1250000 or 1 250 000."),
            _("The grey row is an example: replace it or delete it."),
            _(
                "A course already at the centre is found by its name: only an empty "
                "description is filled, the price is never changed."
            ),
            _(
                "Send the file back to the bot as a document (XLSX or CSV). Nothing is "
                "written before you press ✅ Apply."
            ),
        ]
    if kind == teachers.KIND:
        return _("Instructions"), [
            _("How to fill in this template"),
            _("One row a teacher. * marks what must be filled in: the teacher's full name."),
            _(
                "Phones: +998 90 123 45 67, 998901234567 or 90 123 45 67 (spaces and dashes "
                "are fine)."
            ),
            _("Language: uz, ru or en (pick it from the list)."),
            _("The grey row is an example: replace it or delete it."),
            _(
                "People already at the centre are found by phone, then by name: they become "
                "teachers, only their empty fields are filled, nothing is overwritten."
            ),
            _(
                "Send the file back to the bot as a document (XLSX or CSV). Nothing is "
                "written before you press ✅ Apply."
            ),
        ]
    return _("Instructions"), [
        _("How to fill in this template"),
        _(
            "One row a student. A second parent: the same student again on the next row, "
            "with the other parent."
        ),
        _(
            "* marks what must be filled in: the student's full name. Everything else may "
            "stay empty."
        ),
        _("Phones: +998 90 123 45 67, 998901234567 or 90 123 45 67 (spaces and dashes are fine)."),
        _("Birth date: 21.03.2012 or 2012-03-21."),
        _("Language: uz, ru or en (pick it from the list)."),
        _("The grey row is an example: replace it or delete it."),
        _(
            "Columns may be in any order and titled in Uzbek, Russian or English; other "
            "columns are ignored."
        ),
        _(
            "People already at the centre are found by phone, then by name and birth date: "
            "only their empty fields are filled, nothing is overwritten."
        ),
        _(
            "Send the file back to the bot as a document (XLSX or CSV). Nothing is written "
            "before you press ✅ Apply."
        ),
    ]


def menu_text() -> str:
    return "\n".join(
        [
            _("📥 <b>Import</b>"),
            "",
            _("1. Download the template and fill it in (Excel, Google Sheets, LibreOffice)."),
            _("2. Send the filled file here as a document: XLSX or CSV."),
            _("3. Check the dry run, then press ✅ Apply. An import can be undone for 24 hours."),
            "",
            _("Files up to {size} MB and {rows} rows. /cancel stops waiting for a file.").format(
                size=FILE_MAX_BYTES // (1024 * 1024), rows=f"{ROWS_MAX:,}".replace(",", " ")
            ),
        ]
    )


def template_caption(kind: str = people.KIND) -> str:
    if kind == teachers.KIND:
        return _("📄 Teachers: fill it in and send it back here as a document.")
    if kind == courses.KIND:
        return _("📄 Courses: fill it in and send it back here as a document.")
    if kind == groups.KIND:
        return _("📄 Groups: fill it in and send it back here as a document.")
    if kind == enrolments.KIND:
        return _("📄 Enrolments: fill it in and send it back here as a document.")
    if kind == balances.KIND:
        return _("📄 Opening balances: fill it in and send it back here as a document.")
    return _("📄 Students and parents: fill it in and send it back here as a document.")


def read_problem_text(problem: ReadProblem) -> str:
    texts = {
        ReadProblem.TOO_BIG: _(
            "⚠️ The file is larger than {size} MB. Split it into several "
            "files and send them one by one."
        ).format(size=FILE_MAX_BYTES // (1024 * 1024)),
        ReadProblem.TOO_MANY_ROWS: _(
            "⚠️ The file has more than {rows} rows. Split it into "
            "several files and send them one by one."
        ).format(rows=f"{ROWS_MAX:,}".replace(",", " ")),
        ReadProblem.BOMB: _(
            "⚠️ The file unpacks to far more than a spreadsheet of this size "
            "can hold, so it was not opened. Save it again from Excel or "
            "Google Sheets and send that."
        ),
        ReadProblem.NOT_SPREADSHEET: _(
            "⚠️ This is not a spreadsheet. Send an XLSX or CSV "
            "file (in Excel: File → Save as → Excel workbook)."
        ),
        ReadProblem.OLD_EXCEL: _(
            "⚠️ This is an old Excel file (.xls). Save it as an Excel "
            "workbook (.xlsx) and send that."
        ),
        ReadProblem.EMPTY: _(
            "⚠️ The file is empty: it needs a header row and at least one row of people."
        ),
    }
    return texts[problem]


def not_a_document_text() -> str:
    return _("⚠️ Send the filled template as a document (📎 → File), or /cancel.")


def missing_columns_text(missing: list[str]) -> str:
    names = ", ".join(f"«{column_title(key)}»" for key in missing)
    return _(
        "⚠️ The header has no column {columns}. Use the template's first row "
        "(the titles may be in Uzbek, Russian or English)."
    ).format(columns=names)


def download_failed_text() -> str:
    return _("⚠️ Telegram did not give the file. Send it again.")


def changed_file_text() -> str:
    return _("⚠️ This dry run is out of date. Send the file again.")


def reason(issue: Issue) -> str:
    texts = {
        RowProblem.MISSING_NAME: _("the name is missing"),
        RowProblem.BAD_NAME: _("not a name: letters, spaces, hyphens and apostrophes only"),
        RowProblem.INVALID_PHONE: _("not a valid phone number"),
        RowProblem.BAD_DATE: _("not a date: write 21.03.2012"),
        RowProblem.IMPOSSIBLE_DATE: _("no such date"),
        RowProblem.UNKNOWN_LANGUAGE: _("unknown language: uz, ru or en"),
        RowProblem.PARENT_NAME_MISSING: _("a parent's phone without the parent's name"),
        RowProblem.DUPLICATE_ROW: _("the same as row {row}").format(row=issue.other_row),
        RowProblem.AMBIGUOUS: _(
            "several people at the centre fit: add the phone or the birth date"
        ),
        RowProblem.CONFLICT: _("the centre has «{kept}»: kept").format(kept=issue.kept),
        RowProblem.BAD_PRICE: _("not an amount: whole soʻm, 1 250 000"),
        RowProblem.TOO_LONG: _("too long"),
        RowProblem.MISSING_VALUE: _("must be filled in"),
        RowProblem.BAD_NUMBER: _("not a whole number within the limits"),
        RowProblem.BAD_WEEKDAYS: _("not weekdays: write «{days}» or 1 3 5").format(
            days=weekday_choices()[0]
        ),
        RowProblem.BAD_TIME: _("not a time: write 14:00"),
        RowProblem.BAD_DURATION: _("not a length: minutes, {min} to {max}").format(
            min=DURATION_MIN, max=DURATION_MAX
        ),
        RowProblem.UNKNOWN_COURSE: _("no such course at the centre"),
        RowProblem.ARCHIVED_COURSE: _("the course is archived"),
        RowProblem.UNKNOWN_TEACHER: _("no such teacher at the centre"),
        RowProblem.UNKNOWN_STUDENT: _("no such student at the centre: import the students first"),
        RowProblem.UNKNOWN_GROUP: _("no such group at the centre"),
        RowProblem.AMBIGUOUS_GROUP: _("groups of several courses have this name: add the course"),
        RowProblem.GROUP_CLOSED: _("the group is not active"),
        RowProblem.GROUP_FULL: _("the group is full"),
        RowProblem.BAD_DISCOUNT: _("not a discount: 0 to 100"),
        RowProblem.BAD_BALANCE: _("not an amount: whole soʻm, -350 000 or 200 000"),
        RowProblem.OVERLAP: _("the same teacher or room has the group «{other}» then").format(
            other=issue.value
        ),
    }
    return texts[issue.problem]


def issue_line(issue: Issue) -> str:
    where = _("row {row}").format(row=issue.row)
    if issue.column is not None:
        where += ", " + column_title(issue.column)
    mark = "ℹ️" if not issue.skips else "⚠️"
    shown = issue.value if len(issue.value) <= VALUE_SHOWN else issue.value[:VALUE_SHOWN] + "…"
    value = f" «{escape(shown)}»" if issue.value and issue.skips else ""
    return f"{mark} {escape(where)}:{value} {escape(reason(issue))}"


def counts_lines(counts: dict[str, int]) -> list[str]:
    return [
        _("➕ New: {count}").format(count=counts["create"]),
        _("✏️ Completed (empty fields filled, links added): {count}").format(count=counts["update"]),
        _("✔️ Already there, nothing to change: {count}").format(count=counts["unchanged"]),
        _("⏭ Skipped (problems): {count}").format(count=counts["skip"]),
    ]


def nothing_to_write_text(kind: str, counts: dict[str, int]) -> str:
    """Why there is no ✅ Apply: every row has a problem, or, in the kind's words, all the
    file holds is at the centre already."""
    if not counts.get("unchanged") and counts.get("skip"):
        return _(
            "ℹ️ Nothing to write: every row has a problem. Fix the rows and send the file again."
        )
    if kind == courses.KIND:
        return _("ℹ️ Nothing to write: every course in the file is at the centre already.")
    if kind == groups.KIND:
        return _("ℹ️ Nothing to write: every group in the file is at the centre already.")
    if kind == enrolments.KIND:
        return _("ℹ️ Nothing to write: every student in the file is in that group already.")
    if kind == balances.KIND:
        return _("ℹ️ Nothing to write: every student in the file has an opening balance already.")
    return _("ℹ️ Nothing to write: everybody in the file is at the centre already.")


def dry_run_text(file_name: str, the_plan: Plan, kind: str = people.KIND) -> str:
    counts = the_plan.counts
    lines = [
        _("🔎 <b>Dry run</b> · {file}").format(file=escape(file_name)),
        _("Rows: {count}").format(count=the_plan.parsed.total),
        *counts_lines(counts),
    ]
    if the_plan.issues:
        lines += ["", _("Problems and conflicts ({count}):").format(count=len(the_plan.issues))]
        lines += [issue_line(issue) for issue in the_plan.issues[:ISSUES_SHOWN]]
        if len(the_plan.issues) > ISSUES_SHOWN:
            rest = len(the_plan.issues) - ISSUES_SHOWN
            lines.append(
                ngettext(
                    "… and {count} more: see the file.", "… and {count} more: see the file.", rest
                ).format(count=rest)
            )
        lines.append(_("The problems file lists them all: fix the rows and send the file again."))
    lines.append("")
    if the_plan.changes:
        lines.append(_("Nothing is written yet. ✅ Apply writes the rows without problems."))
    else:
        lines.append(nothing_to_write_text(kind, counts))
    return "\n".join(lines)


def problem_column() -> str:
    return _("problem")


def problems_caption() -> str:
    return _("⚠️ The rows with problems, each with its «problem». Fix them and send the file again.")


def progress_text(done: int, total: int) -> str:
    return _("⏳ Importing… {done} of {total}").format(done=done, total=total)


def applied_text(file_name: str, result: ApplyResult) -> str:
    lines = [
        _("✅ <b>Imported</b> · {file}").format(file=escape(file_name)),
        *counts_lines(result.counts),
        "",
    ]
    if result.invited:
        lines.append(
            _(
                "Nobody was sent a message. Their invitation links are in the file below: send "
                "them by SMS or print them."
            )
        )
    lines.append(_("↩️ Undo removes what this import created, for 24 hours."))
    return "\n".join(lines)


def nothing_applied_text(kind: str, counts: dict[str, int]) -> str:
    return nothing_to_write_text(kind, counts)


def failed_text() -> str:
    return _("⚠️ The import failed and nothing was written. Try again later.")


def invites_caption() -> str:
    return _("🔗 Invitation links: each opens the bot as that person (valid for 30 days).")


def invites_header() -> list[str]:
    return [_("Full name"), _("Phone"), _("Role"), _("Child"), _("Link")]


def role_word(role: str) -> str:
    words = {"student": _("student"), "parent": _("parent"), "teacher": _("teacher")}
    return words[role]


def invites_title() -> str:
    return _("Invitations")


def problems_title() -> str:
    return _("Problems")


def people_title() -> str:
    return _("Students and parents")


def kind_title(kind: str) -> str:
    if kind == courses.KIND:
        return _("Courses")
    if kind == groups.KIND:
        return _("Groups")
    if kind == enrolments.KIND:
        return _("Enrolments")
    if kind == balances.KIND:
        return _("Opening balances")
    return _("Teachers") if kind == teachers.KIND else people_title()


def undo_question(file_name: str, kind: str = people.KIND) -> str:
    if kind == groups.KIND:
        return _(
            "↩️ Undo the import of {file}? The groups it created are removed with their "
            "timetables (unless a student joined one or a lesson was held since)."
        ).format(file=escape(file_name))
    if kind == balances.KIND:
        return _(
            "↩️ Undo the import of {file}? The opening balances it wrote are taken back and "
            "the balances move back (a credit reversed since stays)."
        ).format(file=escape(file_name))
    if kind == enrolments.KIND:
        return _(
            "↩️ Undo the import of {file}? The enrolments it created are removed with the "
            "charges it made for them (unless charged again, marked, frozen or ended since)."
        ).format(file=escape(file_name))
    return _(
        "↩️ Undo the import of {file}? The people it created are removed (unless they "
        "opened the bot or were given a group or a payment since) and the fields it "
        "filled are emptied."
    ).format(file=escape(file_name))


def undo_text(result: UndoResult) -> str:
    if result.outcome is Undo.ALREADY:
        return _("ℹ️ This import was undone already.")
    if result.outcome is Undo.TOO_LATE:
        return _("⚠️ An import can be undone for 24 hours only; this one is older.")
    lines = [_("↩️ <b>Import undone</b> · {file}").format(file=escape(result.file_name))]
    if result.courses_removed or result.courses_kept:
        lines.append(_("Courses removed: {count}").format(count=result.courses_removed))
    elif result.groups_removed or result.groups_kept:
        lines.append(_("Groups removed: {count}").format(count=result.groups_removed))
    elif result.balances_removed or result.balances_kept:
        lines.append(
            _("Opening balances taken back: {count}").format(count=result.balances_removed)
        )
    elif result.enrolments_removed or result.enrolments_kept:
        lines.append(
            _("Enrolments removed (with their charges): {count}").format(
                count=result.enrolments_removed
            )
        )
    else:
        lines.append(_("People removed: {count}").format(count=result.removed))
    lines.append(_("Fields emptied: {count}").format(count=result.emptied))
    if result.courses_kept:
        lines.append(
            _("Courses kept (a group was opened in them since): {count}").format(
                count=result.courses_kept
            )
        )
    if result.groups_kept:
        lines.append(
            _("Groups kept (a student joined or a lesson was held since): {count}").format(
                count=result.groups_kept
            )
        )
    if result.balances_kept:
        lines.append(
            _("Kept (the credit was reversed since): {count}").format(count=result.balances_kept)
        )
    if result.enrolments_kept:
        lines.append(
            _("Enrolments kept (charged, marked, frozen or ended since): {count}").format(
                count=result.enrolments_kept
            )
        )
    if result.kept:
        lines.append(
            _("Kept (opened the bot or given a group or a payment since): {count}").format(
                count=result.kept
            )
        )
    return "\n".join(lines)


def kept_text() -> str:
    return _("ℹ️ The import stays.")


def export_caption_xlsx() -> str:
    return _("📦 The centre in the import templates' format: this file can be imported again.")


def export_caption_json() -> str:
    return _("🗄 Every table as JSON, for a machine.")


def export_too_big_text() -> str:
    return _("⚠️ The JSON is larger than Telegram lets a bot send (50 MB). Use /backup instead.")


def export_summary(people_rows: int, teachers: int, tables: int, rows: int) -> str:
    return "\n".join(
        [
            _("📦 <b>The whole centre</b>"),
            _("Students and parents rows: {count}").format(count=people_rows),
            _("Teachers: {count}").format(count=teachers),
            _("Tables: {tables}, rows: {rows}").format(tables=tables, rows=rows),
        ]
    )
