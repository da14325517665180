"""Homework a teacher posts for a group (optionally for its next lesson).

Rules: the text is 2-3000 characters (`bot.services.parsing.clean_task`, as the due date's
`parse_due`); one optional attachment, a photo or a document
(stored as "photo:<file id>" / "document:<file id>", the form the student's /homework
reads), a document at most 20 MB and of a common office, text, image or archive type;
an optional due date that is not in the past nor more than a year ahead (a typed date
is due at 23:59 that day in the centre's time zone, the next lesson at its start).
Posting writes the row and its audit entry in one transaction; the students and their
linked parents who allow reminders are returned, to be told after the commit.
"""

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import PurePosixPath

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from bot.services.access import Actor
from bot.services.attendance import managed_group, students_and_parents
from bot.services.consent import Category
from bot.services.grades import gradable_students
from bot.services.parsing import clean_task
from bot.services.recipients import Recipient
from bot.services.student_views import AttachmentKind
from db.models import Homework, LessonStatus
from db.repositories import attendance as repo
from db.repositories import homework as homework_repo

DOCUMENT_MAX_BYTES = 20 * 1024 * 1024  # what a bot may download from Telegram
DOCUMENT_EXTENSIONS = frozenset(
    "pdf doc docx xls xlsx ppt pptx odt ods odp rtf txt csv md jpg jpeg png zip".split()
)


class Problem(StrEnum):
    FILE_TYPE = "file_type"
    FILE_SIZE = "file_size"


class InvalidHomework(ValueError):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.value)
        self.problem = problem


def photo_attachment(file_id: str) -> str:
    return f"{AttachmentKind.PHOTO}:{file_id}"


def document_attachment(file_id: str, file_name: str | None, size: int | None) -> str:
    extension = PurePosixPath((file_name or "").lower()).suffix.lstrip(".")
    if extension not in DOCUMENT_EXTENSIONS:
        raise InvalidHomework(Problem.FILE_TYPE)
    if size is not None and size > DOCUMENT_MAX_BYTES:
        raise InvalidHomework(Problem.FILE_SIZE)
    return f"{AttachmentKind.DOCUMENT}:{file_id}"


async def next_lesson(session: AsyncSession, group_id: int, now: datetime):
    return await repo.next_lesson(session, group_id, now)


@dataclass(frozen=True, slots=True)
class HomeworkNotice:
    recipient: Recipient
    student_name: str
    about_self: bool
    group_name: str
    text: str
    due_at: datetime | None
    attachment: str | None


@dataclass(frozen=True, slots=True)
class Posted:
    homework_id: int | None  # None: refused (not the actor's group, or a bad lesson)
    notices: list[HomeworkNotice] = field(default_factory=list)


async def post(
    session: AsyncSession,
    actor: Actor,
    group_id: int,
    text: str,
    *,
    attachment: str | None,
    lesson_id: int | None,
    due_at: datetime | None,
    now: datetime,
    policy_version: str,
) -> Posted:
    group = await managed_group(session, actor, group_id)
    if group is None:
        return Posted(None)
    if lesson_id is not None:
        lesson = await repo.get_lesson(session, lesson_id)
        if lesson is None or lesson.group_id != group.id or lesson.status == LessonStatus.CANCELLED:
            return Posted(None)
    text = clean_task(text)
    homework = await homework_repo.add_homework(
        session,
        Homework(
            group_id=group.id,
            lesson_id=lesson_id,
            text=text,
            attachments=[attachment] if attachment else [],
            due_at=due_at,
            posted_by_id=actor.user_id,
            posted_at=now,
        ),
    )
    await audit.record(
        session,
        actor.user_id,
        "homework.posted",
        "homework",
        homework.id,
        details={
            "group_id": group.id,
            "lesson_id": lesson_id,
            "attachments": len(homework.attachments),
            "due_at": due_at.isoformat() if due_at else None,
        },
    )
    students = {s.id: s for s in await gradable_students(session, group.id)}
    told = await students_and_parents(session, students, Category.REMINDERS, policy_version)
    notices = [
        HomeworkNotice(
            recipient=recipient,
            student_name=students[sid].name,
            about_self=recipient.user_id == sid,
            group_name=group.name,
            text=text,
            due_at=due_at,
            attachment=attachment,
        )
        for sid, recipient in told
    ]
    await session.commit()
    return Posted(homework.id, notices)


async def deny(session: AsyncSession, actor: Actor, group_id: int, reason: str) -> None:
    await audit.record_denied(
        session,
        actor_id=actor.user_id,
        action="homework.denied",
        details={"group_id": group_id, "reason": reason},
    )
