"""People (pp), staff (sf), invites (iv) and leads (ld) keyboards."""

from collections.abc import Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.i18n import _
from bot.services.access import Actor
from bot.services.invites import binding_kind
from bot.services.leads import LeadInfo, LeadPage
from bot.services.people import Found, PersonCard, SearchResult
from bot.services.staff import PERMISSION_ORDER, StaffPage, bits_of, grantable
from db.models import LeadStatus, Permission, Role
from keyboards.academic import EnrolCb
from keyboards.confirmation import confirmation
from keyboards.forms import FormCb, Rows, pick_button
from keyboards.ids import Id, Number
from keyboards.labels import lead_status_labels, permission_labels, role_marks, toggle_mark
from keyboards.paging import page_row
from keyboards.payments.desk import DeskCb

BUTTON_TEXT_MAX = 60

# Where a person's card was opened from, for its ⬅ Back button.
FROM_SEARCH, FROM_STAFF, FROM_ELSEWHERE = 0, 1, 2
# The people search form (handlers/admin/people/search.py): its key and its one step; its
# pages of results are that step's buttons, so a page of a search that has ended is stale.
SEARCH_FORM, SEARCH_STEP = "ps", "query"


class PeopleCb(CallbackData, prefix="pp"):
    # home, card, inv (binding invite), pinv (parent invite),
    # regs (register a student), regp (register a parent of `id`),
    # lk (find a parent for `id`), lkp (confirm parent `id` for child `other`), lky (link)
    action: str
    id: Id = 0
    page: Number = 0
    other: Id = 0


class StaffCb(CallbackData, prefix="sf"):
    # list, adm (permission editor; id 0: a new admin's invitation), tg (toggle), save,
    # lock (a permission the actor may not grant), mkinv (create the admin invitation),
    # teach, rm (confirm taking `role`), rmy (take it)
    action: str
    id: Id = 0
    bits: str = ""
    role: str = ""
    page: Number = 1


class InviteCb(CallbackData, prefix="iv"):
    action: str  # rv (revoke), teacher (a new teacher's invitation)
    id: Id = 0


class LeadCb(CallbackData, prefix="ld"):
    # staff: list, card, st (set `status`; `was` is what the admin saw), enr (confirm enrol)
    # applicant: crs (course `id`, 0 = not sure), send, edit, drop
    action: str
    id: Id = 0
    page: Number = 1
    closed: Number = 0
    status: str = ""
    was: str = ""


def card_of(user_id: int) -> PeopleCb:
    """A person's card opened from another screen: its ⬅ Back goes to /people."""
    return PeopleCb(action="card", id=user_id, other=FROM_ELSEWHERE)


def shorten(text: str, limit: int = BUTTON_TEXT_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def search_page(page: int) -> FormCb:
    """A page of the open search: a button of the search form's one step."""
    return FormCb(form=SEARCH_FORM, action="pick", step=SEARCH_STEP, value=str(page))


def _button(text: str, data: CallbackData) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(text=shorten(text), callback_data=data.pack())]


def _row(*buttons: tuple[str, CallbackData]) -> list[InlineKeyboardButton]:
    """Buttons side by side, each (text, data)."""
    return [InlineKeyboardButton(text=text, callback_data=data.pack()) for text, data in buttons]


# --- people ---------------------------------------------------------------------------------


def people_home() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("➕ Register a student"), callback_data=PeopleCb(action="regs"))
    builder.button(text=_("👔 Staff"), callback_data=StaffCb(action="list"))
    builder.button(text=_("🧑‍🏫 Invite a teacher"), callback_data=InviteCb(action="teacher"))
    builder.button(
        text=_("🛡 Invite an administrator"),
        callback_data=StaffCb(action="adm", bits=bits_of(frozenset())),
    )
    builder.button(text=_("📋 Requests to study"), callback_data=LeadCb(action="list"))
    builder.adjust(1, 1, 2, 1)
    return builder.as_markup()


def found_label(person: Found) -> str:
    parts = [person.full_name or _("No name")]
    if person.phone:
        parts.append(person.phone)
    marks = role_marks(person.roles)
    return f"{marks} {' · '.join(parts)}".strip()


def search_results(result: SearchResult, *, child_id: int | None = None) -> InlineKeyboardMarkup:
    """One button per person: their card, or (linking a parent) the confirmation."""
    rows = []
    for person in result.items:
        if child_id is None:
            data = PeopleCb(action="card", id=person.id, page=result.page, other=FROM_SEARCH)
        else:
            data = PeopleCb(action="lkp", id=person.id, other=child_id)
        rows.append(_button(found_label(person), data))
    if result.pages > 1:
        rows.append(page_row(result.page, result.pages, search_page))
    back = PeopleCb(action="home") if child_id is None else card_of(child_id)
    rows.append(_button(_("⬅ Back"), back))
    return InlineKeyboardMarkup(inline_keyboard=rows)


def card_back(origin: int, page: int) -> CallbackData:
    if origin == FROM_STAFF:
        return StaffCb(action="list", page=max(page, 1))
    if origin == FROM_SEARCH and page:
        return search_page(page)
    return PeopleCb(action="home")


def person_card(
    card: PersonCard, actor: Actor, *, origin: int = FROM_ELSEWHERE, page: int = 0
) -> InlineKeyboardMarkup:
    rows = []
    person = card.id
    roles = card.roles
    if not card.on_telegram and binding_kind(roles, bool(card.data.children)):
        rows.append(_button(_("🔗 Invitation link"), PeopleCb(action="inv", id=person)))
    if Role.STUDENT in roles:
        rows.append(_button(_("➕ Add to a group"), EnrolCb(action="for", student=person)))
        if actor.can(Permission.PAYMENTS):
            rows.append(
                _row(
                    (_("💵 Payment"), DeskCb(action="new", id=person)),
                    (_("📜 Payments"), DeskCb(action="list", id=person)),
                )
            )
        rows.append(_button(_("👪 Invitation for a parent"), PeopleCb(action="pinv", id=person)))
        rows.append(
            _row(
                (_("➕ Register a parent"), PeopleCb(action="regp", id=person)),
                (_("🔗 Link a parent"), PeopleCb(action="lk", id=person)),
            )
        )
    if not card.is_owner:
        if Role.ADMIN in roles:
            permissions = StaffCb(action="adm", id=person, bits=bits_of(card.permissions))
            staff_row = _row(
                (_("🛡 Permissions"), permissions),
                (_("➖ Administrator"), StaffCb(action="rm", id=person, role=Role.ADMIN.value)),
            )
        else:
            staff_row = _row(
                (_("🛡 Make administrator"), StaffCb(action="adm", id=person, bits=bits_of(set())))
            )
        rows.append(staff_row)
    if Role.TEACHER in roles:
        rows.append(
            _button(_("➖ Teacher"), StaffCb(action="rm", id=person, role=Role.TEACHER.value))
        )
    else:
        rows.append(_button(_("🧑‍🏫 Make teacher"), StaffCb(action="teach", id=person)))
    for relative in [*card.data.parents, *card.data.children]:
        rows.append(
            _button(
                _("👤 {name}").format(name=relative.full_name or _("No name")),
                card_of(relative.id),
            )
        )
    rows.append(_button(_("⬅ Back"), card_back(origin, page)))
    return InlineKeyboardMarkup(inline_keyboard=rows)


def link_confirmation(parent_id: int, child_id: int) -> InlineKeyboardMarkup:
    link = PeopleCb(action="lky", id=parent_id, other=child_id)
    return confirmation(_("✅ Link"), link, _("⬅ Back"), card_of(child_id))


def invite_message(invite_id: int) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_("🚫 Revoke the link"), callback_data=InviteCb(action="rv", id=invite_id))
    return builder.as_markup()


# --- staff ----------------------------------------------------------------------------------


def staff_list(page: StaffPage) -> InlineKeyboardMarkup:
    nameless = _("No name")
    rows = [
        _button(
            f"{role_marks(roles)} {name or nameless}",
            PeopleCb(action="card", id=user_id, page=page.page, other=FROM_STAFF),
        )
        for user_id, name, roles in page.items
    ]
    if page.pages > 1:
        rows.append(page_row(page.page, page.pages, lambda p: StaffCb(action="list", page=p)))
    rows.append(_button(_("⬅ Back"), PeopleCb(action="home")))
    return InlineKeyboardMarkup(inline_keyboard=rows)


def permission_editor(
    actor: Actor, target_id: int, chosen: frozenset[Permission]
) -> InlineKeyboardMarkup:
    """Toggles for the 7 permissions; 🔒 marks those the actor may not hand out."""
    allowed = grantable(actor)
    labels = permission_labels()
    rows = []
    for permission in PERMISSION_ORDER:
        mark = toggle_mark(permission in chosen)
        lock = "" if permission in allowed else "🔒 "
        if permission in allowed:
            data = StaffCb(action="tg", id=target_id, bits=bits_of(chosen ^ {permission}))
        else:
            data = StaffCb(action="lock", id=target_id)
        rows.append(_button(f"{lock}{mark} {labels[permission]}", data))
    bits = bits_of(chosen)
    if target_id:
        rows.append(_button(_("✅ Save"), StaffCb(action="save", id=target_id, bits=bits)))
        rows.append(_button(_("⬅ Back"), card_of(target_id)))
    else:
        rows.append(_button(_("🔗 Create the link"), StaffCb(action="mkinv", bits=bits)))
        rows.append(_button(_("⬅ Back"), PeopleCb(action="home")))
    return InlineKeyboardMarkup(inline_keyboard=rows)


def removal_confirmation(target_id: int, role: Role) -> InlineKeyboardMarkup:
    remove = StaffCb(action="rmy", id=target_id, role=role.value)
    return confirmation(_("➖ Take the role away"), remove, _("Keep the role"), card_of(target_id))


# --- leads ----------------------------------------------------------------------------------


def leads_list(page: LeadPage) -> InlineKeyboardMarkup:
    statuses = lead_status_labels()
    closed = int(page.closed)
    rows = [
        _button(
            f"#{lead.id} · {lead.name} · {statuses[lead.status]}",
            LeadCb(action="card", id=lead.id, page=page.page, closed=closed),
        )
        for lead in page.items
    ]
    if page.pages > 1:
        rows.append(
            page_row(page.page, page.pages, lambda p: LeadCb(action="list", page=p, closed=closed))
        )
    if page.closed:
        rows.append(_button(_("📋 Open requests"), LeadCb(action="list")))
    else:
        rows.append(_button(_("🗂 Enrolled and lost"), LeadCb(action="list", closed=1)))
    return InlineKeyboardMarkup(inline_keyboard=rows)


def lead_card(lead: LeadInfo, page: int, closed: int) -> InlineKeyboardMarkup:
    rows = []
    if lead.status is LeadStatus.ENROLLED:
        if lead.user_id is not None:
            rows.append(
                _button(
                    _("👤 The student's card"),
                    card_of(lead.user_id),
                )
            )
    else:
        actions = {
            LeadStatus.CONTACTED: _("📞 Contacted"),
            LeadStatus.TRIAL: _("🧪 Trial lesson booked"),
            LeadStatus.ENROLLED: _("🎓 Enrolled"),
            LeadStatus.LOST: _("❌ Lost"),
        }
        buttons = [
            InlineKeyboardButton(
                text=label,
                callback_data=LeadCb(
                    action="enr" if status is LeadStatus.ENROLLED else "st",
                    id=lead.id,
                    page=page,
                    closed=closed,
                    status=status.value,
                    was=lead.status.value,
                ).pack(),
            )
            for status, label in actions.items()
            if status is not lead.status
        ]
        rows += [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append(_button(_("⬅ Back"), LeadCb(action="list", page=page, closed=closed)))
    return InlineKeyboardMarkup(inline_keyboard=rows)


def enrol_confirmation(lead: LeadInfo, page: int, closed: int) -> InlineKeyboardMarkup:
    enrol = LeadCb(
        action="st",
        id=lead.id,
        page=page,
        closed=closed,
        status=LeadStatus.ENROLLED.value,
        was=lead.status.value,
    )
    back = LeadCb(action="card", id=lead.id, page=page, closed=closed)
    return confirmation(_("✅ Yes, enrol"), enrol, _("⬅ Back"), back)


def open_lead(lead_id: int) -> InlineKeyboardMarkup:
    """Under the notice of a new request sent to the staff."""
    builder = InlineKeyboardBuilder()
    builder.button(text=_("📋 Open"), callback_data=LeadCb(action="card", id=lead_id))
    return builder.as_markup()


def course_choice(courses: Sequence[tuple[int, str]], form: str, step: str) -> Rows:
    rows = [[pick_button(name, form, step, str(course_id))] for course_id, name in courses]
    rows.append([pick_button(_("🤷 Not sure yet"), form, step, "0")])
    return rows
