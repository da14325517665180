"""Support tickets: a question or complaint from a user and the centre's answer."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, TimestampMixin
from db.models.enums import TicketStatus, TicketTopic, enum_check


class SupportTicket(TimestampMixin, Base):
    __tablename__ = "support_tickets"
    __table_args__ = (
        Index(None, "status", "created_at"),
        CheckConstraint(enum_check("topic", TicketTopic), name="topic"),
        CheckConstraint(enum_check("status", TicketStatus), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    topic: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(String(2000))
    status: Mapped[str] = mapped_column(
        String(16), default=TicketStatus.OPEN, server_default=TicketStatus.OPEN.value
    )
    answer: Mapped[str | None] = mapped_column(String(2000))
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime | None]
    # When staff were last reminded of this unanswered ticket.
    reminded_at: Mapped[datetime | None]
