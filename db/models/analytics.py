"""Usage counts, kept only for users who allowed analytics; no user id is stored."""

from datetime import date

from sqlalchemy import CheckConstraint, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base
from db.models.enums import UsageRole, enum_check


class UsageCount(Base):
    __tablename__ = "usage_counts"
    __table_args__ = (
        UniqueConstraint("day", "command", "role"),
        CheckConstraint(enum_check("role", UsageRole), name="role"),
        CheckConstraint("count >= 0", name="count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]
    # A command or a screen name.
    command: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(16))
    count: Mapped[int] = mapped_column(default=0, server_default="0")
