"""Grades a teacher enters for a lesson or a named assessment, in one message.

The teacher first gives the maximum (1-1000), then one line per student: "name score"
or "number score" (the number from the list the bot showed). Every line is checked
before anything is written (`bot.services.parsing.parse_scores`): an unknown or
ambiguous name, a number outside the list, a score that is not a whole number between 0
and the maximum, or a student named twice is reported with its line number, and nothing
is stored until all lines are valid.

A lesson's grades are one per student and kind: entering them again updates the score
(the audit entry keeps the old and new value). A named assessment (a test, an exam…)
adds new grades; its name is kept as the grade's comment, which students see.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import audit
from bot.services.access import Actor
from bot.services.attendance import (
    LessonRef,
    Student,
    lesson_ref,
    managed_group,
    students_and_parents,
)
from bot.services.consent import Category
from bot.services.parsing import SCORE_MAX
from bot.services.recipients import Recipient
from db.models import EnrolmentStatus, Grade, GradeKind, Group, LessonStatus
from db.repositories import attendance as repo
from db.repositories import grades as grades_repo

ASSESSMENT_KINDS = (GradeKind.HOMEWORK, GradeKind.TEST, GradeKind.EXAM, GradeKind.CLASSWORK)


# --- the form's data ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GradeTarget:
    """What is graded: a lesson (classwork) or a named assessment of a kind."""

    group_id: int
    group_name: str
    kind: GradeKind
    lesson_id: int | None = None
    lesson_at: datetime | None = None
    title: str | None = None


async def gradable_students(session: AsyncSession, group_id: int) -> list[Student]:
    """The group's actively enrolled students, numbered in this order in the form."""
    return [
        Student(id=sid, name=name or "—", frozen=False)
        for sid, name, status in await repo.roster(session, group_id)
        if status == EnrolmentStatus.ACTIVE
    ]


async def recent_lessons(
    session: AsyncSession, group: Group, now: datetime, limit: int = 3
) -> list[LessonRef]:
    """The group's latest lessons that began already and were not cancelled (to grade)."""
    lessons = await repo.lessons_before(session, group.id, now, limit=limit, exclude_cancelled=True)
    return [lesson_ref(lesson, group) for lesson in lessons]


async def lesson_of_group(session: AsyncSession, group_id: int, lesson_id: int, now: datetime):
    """The lesson when it belongs to the group, began already and is not cancelled."""
    lesson = await repo.get_lesson(session, lesson_id)
    if (
        lesson is None
        or lesson.group_id != group_id
        or lesson.status == LessonStatus.CANCELLED
        or lesson.starts_at > now
    ):
        return None
    return lesson


# --- saving ---------------------------------------------------------------------------------


class SaveProblem(StrEnum):
    FOREIGN = "foreign"  # not the actor's group (or no such group / lesson)
    ROSTER = "roster"  # a student left the group since the scores were typed
    INVALID = "invalid"  # a score out of range (forged form data)


@dataclass(frozen=True, slots=True)
class GradeNotice:
    recipient: Recipient
    student_name: str
    about_self: bool
    group_name: str
    kind: str
    title: str | None
    lesson_at: datetime | None
    score: int
    max_score: int


@dataclass(frozen=True, slots=True)
class GradesSaved:
    problem: SaveProblem | None = None
    count: int = 0
    notices: list[GradeNotice] = field(default_factory=list)


async def save(
    session: AsyncSession,
    actor: Actor,
    target: GradeTarget,
    max_score: int,
    scores: Mapping[int, int],
    *,
    policy_version: str,
    now: datetime,
) -> GradesSaved:
    """Write the grades, one transaction with the audit entry; notices are sent after."""
    group = await managed_group(session, actor, target.group_id)
    if group is None:
        return GradesSaved(SaveProblem.FOREIGN)
    lesson = None
    if target.lesson_id is not None:
        lesson = await lesson_of_group(session, group.id, target.lesson_id, now)
        if lesson is None:
            return GradesSaved(SaveProblem.FOREIGN)
    if not 1 <= max_score <= SCORE_MAX or not scores:
        return GradesSaved(SaveProblem.INVALID)
    if any(not 0 <= score <= max_score for score in scores.values()):
        return GradesSaved(SaveProblem.INVALID)
    students = {s.id: s for s in await gradable_students(session, group.id)}
    if set(scores) - set(students):
        return GradesSaved(SaveProblem.ROSTER)

    existing = (
        await grades_repo.lesson_grades(session, lesson.id, target.kind.value, scores)
        if lesson is not None
        else {}
    )
    changes = []
    new_grades = []
    for student_id, score in sorted(scores.items()):
        grade = existing.get(student_id)
        if grade is not None:
            if (grade.score, grade.max_score) != (score, max_score):
                changes.append(
                    {
                        "student_id": student_id,
                        "old": f"{grade.score}/{grade.max_score}",
                        "new": f"{score}/{max_score}",
                    }
                )
            grade.score, grade.max_score, grade.given_by_id = score, max_score, actor.user_id
            continue
        new_grades.append(
            Grade(
                student_id=student_id,
                group_id=group.id,
                lesson_id=lesson.id if lesson else None,
                kind=target.kind.value,
                score=score,
                max_score=max_score,
                comment=target.title,
                given_by_id=actor.user_id,
                created_at=now,
            )
        )
    grades_repo.add_grades(session, new_grades)
    await audit.record(
        session,
        actor.user_id,
        "grades.entered",
        "group",
        group.id,
        details={
            "kind": target.kind.value,
            "lesson_id": lesson.id if lesson else None,
            "max_score": max_score,
            "count": len(scores),
            "changes": changes,
        },
    )
    notices = await _notices(
        session,
        target,
        group.name,
        students,
        scores,
        max_score,
        policy_version=policy_version,
        lesson_at=lesson.starts_at if lesson else None,
    )
    await session.commit()
    return GradesSaved(count=len(scores), notices=notices)


async def _notices(
    session: AsyncSession,
    target: GradeTarget,
    group_name: str,
    students: Mapping[int, Student],
    scores: Mapping[int, int],
    max_score: int,
    *,
    policy_version: str,
    lesson_at: datetime | None,
) -> list[GradeNotice]:
    """Each graded student and their linked parents who allow reminders."""
    told = await students_and_parents(session, scores, Category.REMINDERS, policy_version)
    return [
        GradeNotice(
            recipient=recipient,
            student_name=students[sid].name,
            about_self=recipient.user_id == sid,
            group_name=group_name,
            kind=target.kind.value,
            title=target.title,
            lesson_at=lesson_at,
            score=scores[sid],
            max_score=max_score,
        )
        for sid, recipient in told
    ]


async def deny(session: AsyncSession, actor: Actor, group_id: int, reason: str) -> None:
    await audit.record_denied(
        session,
        actor_id=actor.user_id,
        action="grades.denied",
        details={"group_id": group_id, "reason": reason},
    )
