"""What the group form collects (JSON-safe: ids, ISO dates, slots as "HH:MM"), and where a
step says it is."""

from collections.abc import Callable
from datetime import date
from typing import Any

from pydantic import Field

from bot.forms import FormData
from bot.i18n import _
from bot.services.academic import DEFAULT_CAPACITY, GroupDraft, SlotSpec, sorted_slots
from db.models import GroupStatus
from keyboards.academic import group_field_labels

# A new group is asked these; every other field starts from a suggestion shown in the
# summary, where ✏️ Edit changes it.
FLOW = ("course", "name", "slots")


class GroupData(FormData):
    group_id: int | None = None  # None: a new group
    original_name: str = ""
    course_id: int = 0
    course_name: str = ""
    course_price: int = 0
    name: str = ""
    teacher_id: int | None = None
    teacher_name: str = ""
    room: str | None = None
    capacity: int = DEFAULT_CAPACITY
    start_date: date | None = None
    end_date: date | None = None
    price_override: int | None = None
    slots: list[dict[str, Any]] = Field(default_factory=list)
    status: GroupStatus = GroupStatus.ACTIVE
    picked: list[int] = Field(default_factory=list)  # weekdays tapped, waiting for a time
    minutes: int | None = None  # the usual lesson length: "14:00" alone takes it
    zone: str = ""  # the centre's time zone, named above the timetable
    defaults_taken: bool = False  # the suggestions were filled in (once, from the course)
    suggested: bool = False  # … from a group: the summary says so
    # the page of courses or teachers on show
    choices: list[tuple[int, str]] = Field(default_factory=list)
    total: int = 0
    pages: int = 1
    pages_at: dict[str, int] = Field(default_factory=dict)  # step → its page on show

    def slot_specs(self) -> tuple[SlotSpec, ...]:
        return sorted_slots(SlotSpec.from_data(slot) for slot in self.slots)

    def draft(self) -> GroupDraft:
        assert self.start_date is not None
        return GroupDraft(
            course_id=self.course_id,
            name=self.name,
            teacher_id=self.teacher_id,
            room=self.room,
            capacity=self.capacity,
            start_date=self.start_date,
            end_date=self.end_date,
            price_override=self.price_override,
            slots=self.slot_specs(),
            status=self.status,
        )


def step_header(step: str) -> str:
    """ "Step 2/3" for the steps a new group is asked, the field's ✏️ label for the others."""
    if step in FLOW:
        return _("Step {number}/{total}").format(number=FLOW.index(step) + 1, total=len(FLOW))
    return group_field_labels()[step]


def label(step: str) -> Callable[[], str]:
    """The step's ✏️ button in the summary's Edit list."""
    return lambda: group_field_labels()[step]


def asked(step: str, question: str, example: str, **values: object) -> str:
    """A typed step's prompt: the question (its `{step}` the step's header), an example under it."""
    return "\n".join([question.format(step=step_header(step), **values), example])
