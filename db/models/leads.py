"""Leads: people interested in a course who are not students yet.

Besides its current status a lead keeps when it first reached each later one (`REACHED_AT`),
written as the status changes: the leads report counts the funnel from these.
"""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, TimestampMixin, utcnow
from db.models.enums import LeadStatus, enum_check


class Lead(TimestampMixin, Base):
    __tablename__ = "leads"
    __table_args__ = (
        CheckConstraint(enum_check("status", LeadStatus), name="status"),
        Index(None, "created_at"),
        Index(None, "enrolled_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(128))
    phone: Mapped[str] = mapped_column(String(20))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(32), default="bot", server_default="bot")
    status: Mapped[str] = mapped_column(
        String(16), default=LeadStatus.NEW, server_default=LeadStatus.NEW.value, index=True
    )
    updated_at: Mapped[datetime | None] = mapped_column(onupdate=utcnow)
    # the first time the lead reached each status after "new" (its created_at)
    contacted_at: Mapped[datetime | None]
    trial_at: Mapped[datetime | None]
    enrolled_at: Mapped[datetime | None]
    lost_at: Mapped[datetime | None]


REACHED_AT = {
    LeadStatus.CONTACTED: "contacted_at",
    LeadStatus.TRIAL: "trial_at",
    LeadStatus.ENROLLED: "enrolled_at",
    LeadStatus.LOST: "lost_at",
}
