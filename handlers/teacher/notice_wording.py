"""A grade's or a homework's notice goes to the student, or about them to each parent: the
title and the closing pointer are worded for the one who reads it."""

from html import escape
from typing import Protocol


class AboutStudent(Protocol):
    @property
    def about_self(self) -> bool: ...
    @property
    def student_name(self) -> str: ...
    @property
    def group_name(self) -> str: ...


def title_and_pointer(
    notice: AboutStudent, own: tuple[str, str], parents: tuple[str, str]
) -> tuple[str, str]:
    """`own` (a title with {group}, a pointer) for the student themself; `parents` (a title
    with {student} and {group}, a pointer) for a parent."""
    group = escape(notice.group_name)
    if notice.about_self:
        title, pointer = own
        return title.format(group=group), pointer
    title, pointer = parents
    return title.format(student=escape(notice.student_name), group=group), pointer
