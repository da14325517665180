"""The bot's commands and main-menu entries: one list feeds /help and the `/` menu of every
language and role, another the main menu's buttons (keyboards draw them, filters match them)."""

from collections.abc import Iterable
from dataclasses import dataclass

from babel.support import LazyProxy

from bot.i18n import __
from db.models import Role


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    description: LazyProxy
    roles: frozenset[Role] = frozenset()  # empty: everyone
    only_without_role: bool = False  # /apply: for people the centre does not know yet

    def visible_to(self, roles: Iterable[Role]) -> bool:
        roles = frozenset(roles)
        if self.only_without_role:
            return not roles
        return not self.roles or bool(self.roles & roles)


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("start", __("Main menu")),
    CommandSpec("help", __("What I can do")),
    CommandSpec("language", __("Change the language")),
    CommandSpec("cancel", __("Cancel the current action")),
    CommandSpec("settings", __("Language and which messages you get")),
    CommandSpec("privacy", __("The privacy policy")),
    CommandSpec("terms", __("The terms of use")),
    CommandSpec("contact", __("The centre's contacts")),
    CommandSpec("mydata", __("What the centre stores about me")),
    CommandSpec("export", __("A copy of my data as files")),
    CommandSpec("support", __("Write to the centre: a question or a complaint")),
    CommandSpec("delete", __("Delete my personal data")),
    CommandSpec("admin", __("Administration: the centre at a glance"), frozenset({Role.ADMIN})),
    CommandSpec("audit", __("The audit log: who changed what"), frozenset({Role.ADMIN})),
    CommandSpec("backup", __("Make a verified backup now"), frozenset({Role.ADMIN})),
    CommandSpec(
        "recompute_balances",
        __("Owners: check every balance against the ledger"),
        frozenset({Role.ADMIN}),
    ),
    CommandSpec("broadcast", __("Send a message to many people"), frozenset({Role.ADMIN})),
    CommandSpec("broadcasts", __("Past and scheduled broadcasts"), frozenset({Role.ADMIN})),
    CommandSpec("incident", __("Owners: an urgent notice to everyone"), frozenset({Role.ADMIN})),
    CommandSpec("tickets", __("Support tickets waiting for an answer"), frozenset({Role.ADMIN})),
    CommandSpec("people", __("People: search, register, invite, staff"), frozenset({Role.ADMIN})),
    CommandSpec("leads", __("Requests to study"), frozenset({Role.ADMIN})),
    CommandSpec("courses", __("Courses, groups, lessons and enrolment"), frozenset({Role.ADMIN})),
    CommandSpec("groups", __("All groups: timetable, students, lessons"), frozenset({Role.ADMIN})),
    CommandSpec("pay", __("Record a payment: receipt to the student"), frozenset({Role.ADMIN})),
    CommandSpec(
        "expenses", __("Expenses: enter, list, reverse; recurring"), frozenset({Role.ADMIN})
    ),
    CommandSpec("debtors", __("Debtors: remind, download XLSX"), frozenset({Role.ADMIN})),
    CommandSpec(
        "reports",
        __("Reports: finance, attendance, retention, leads, teachers, profit"),
        frozenset({Role.ADMIN}),
    ),
    CommandSpec("payroll", __("Teacher pay: schemes, payslips, payouts"), frozenset({Role.ADMIN})),
    CommandSpec(
        "import",
        __("Import students, parents, teachers and courses from spreadsheets"),
        frozenset({Role.ADMIN}),
    ),
    CommandSpec(
        "export_centre", __("Owners: the whole centre as XLSX and JSON"), frozenset({Role.ADMIN})
    ),
    CommandSpec("apply", __("Ask to study at the centre"), only_without_role=True),
    CommandSpec("today", __("My lessons today: mark attendance"), frozenset({Role.TEACHER})),
    CommandSpec(
        "groups", __("My groups: students, lessons, grades, homework"), frozenset({Role.TEACHER})
    ),
    CommandSpec(
        "salary", __("My pay: this month so far and my payslips"), frozenset({Role.TEACHER})
    ),
    CommandSpec("schedule", __("My lessons this week and next"), frozenset({Role.STUDENT})),
    CommandSpec("attendance", __("My attendance by group"), frozenset({Role.STUDENT})),
    CommandSpec("grades", __("My grades"), frozenset({Role.STUDENT})),
    CommandSpec("homework", __("My homework"), frozenset({Role.STUDENT})),
    CommandSpec("balance", __("My balance, charges and payments"), frozenset({Role.STUDENT})),
    CommandSpec("children", __("My children: lessons, marks, homework"), frozenset({Role.PARENT})),
)


def commands_for(roles: Iterable[Role]) -> list[CommandSpec]:
    roles = tuple(roles)
    chosen: dict[str, CommandSpec] = {}
    for spec in COMMANDS:
        # one entry per name: for an admin who also teaches, /groups is the admin's list
        if spec.visible_to(roles) and spec.name not in chosen:
            chosen[spec.name] = spec
    return list(chosen.values())


@dataclass(frozen=True, slots=True)
class MenuEntry:
    key: str
    label: LazyProxy
    roles: frozenset[Role] = frozenset()  # empty: everyone
    webapp: bool = False  # shown only when the Mini App is on (WEBAPP_URL set)


MENU: tuple[MenuEntry, ...] = (
    # first, where it is found: the Mini App is for people the centre knows (any role)
    MenuEntry("app", __("📱 Open app"), frozenset(Role), webapp=True),
    MenuEntry("admin", __("🛠 Administration"), frozenset({Role.ADMIN})),
    MenuEntry("people", __("🔎 People"), frozenset({Role.ADMIN})),
    MenuEntry("admin.courses", __("📚 Courses"), frozenset({Role.ADMIN})),
    MenuEntry("admin.pay", __("💵 Payment"), frozenset({Role.ADMIN})),
    MenuEntry("admin.debtors", __("📋 Debtors"), frozenset({Role.ADMIN})),
    MenuEntry("admin.broadcast", __("📣 Broadcast"), frozenset({Role.ADMIN})),
    MenuEntry("teacher.today", __("📅 Today"), frozenset({Role.TEACHER})),
    MenuEntry("teacher.groups", __("👥 My groups"), frozenset({Role.TEACHER})),
    MenuEntry("student.schedule", __("📅 Schedule"), frozenset({Role.STUDENT})),
    MenuEntry("student.attendance", __("📋 Attendance"), frozenset({Role.STUDENT})),
    MenuEntry("student.grades", __("📝 Grades"), frozenset({Role.STUDENT})),
    MenuEntry("student.homework", __("📚 Homework"), frozenset({Role.STUDENT})),
    MenuEntry("student.balance", __("💰 Balance"), frozenset({Role.STUDENT})),
    MenuEntry("parent.children", __("👨‍👩‍👧 Children"), frozenset({Role.PARENT})),
    MenuEntry("mydata", __("🗂 My data")),
    MenuEntry("support", __("🆘 Support")),
    MenuEntry("settings", __("⚙️ Settings")),
    MenuEntry("help", __("❓ Help")),
    MenuEntry("language", __("🌐 Language")),
)


def menu_label(key: str) -> str:
    """The label of a menu button in the current language (handlers match on it)."""
    return next(str(entry.label) for entry in MENU if entry.key == key)
