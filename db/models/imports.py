"""Imports from a spreadsheet: one batch per applied file, and what it created or filled in.

A batch names its file (name and sha256), its kind, the counts and who applied it. Every
row it created (a person, a role, a parent link, an invite) and every empty field it
filled on a person already there is one `ImportItem`, so undo removes exactly those and
nothing typed by hand since.
"""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, utcnow


class ImportBatch(Base):
    __tablename__ = "import_batches"
    __table_args__ = (Index(None, "file_hash", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    file_name: Mapped[str] = mapped_column(String(255))
    file_hash: Mapped[str] = mapped_column(String(64))
    # created / updated / unchanged / skipped rows, and the problems found
    counts: Mapped[dict] = mapped_column(JSON)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)
    undone_at: Mapped[datetime | None]
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ImportItem(Base):
    """One record a batch created (`field` empty) or one field it filled (`field`, `value`)."""

    __tablename__ = "import_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("import_batches.id", ondelete="CASCADE"), index=True
    )
    # user, role, link, invite, course, group, enrolment, charge, payment
    object_type: Mapped[str] = mapped_column(String(16))
    object_id: Mapped[int]
    field: Mapped[str | None] = mapped_column(String(16))
    value: Mapped[str | None] = mapped_column(String(254))
