"""Outbound messages: the notification log (send-once claims), broadcasts and their deliveries."""

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, TimestampMixin, utcnow
from db.models.enums import (
    BroadcastCategory,
    BroadcastStatus,
    DeliveryStatus,
    NotificationStatus,
    enum_check,
)


class NotificationLog(Base):
    """A claim to send one notification once.

    The row is inserted (claimed) before sending; unique (user, kind, key) lets only one
    scheduler win. A claim a crash left behind is marked unknown, never silently resent.
    kind is an open set (see NotificationKind), so it has no CHECK.
    """

    __tablename__ = "notification_log"
    __table_args__ = (
        UniqueConstraint("user_id", "kind", "key"),
        Index(None, "status", "claimed_at"),
        CheckConstraint(enum_check("status", NotificationStatus), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    # What makes it one notification, e.g. "charge:17:overdue" or "lesson:42".
    key: Mapped[str] = mapped_column(String(128))
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(
        String(16),
        default=NotificationStatus.CLAIMED,
        server_default=NotificationStatus.CLAIMED.value,
    )
    error: Mapped[str | None] = mapped_column(String(255))


class Broadcast(TimestampMixin, Base):
    """A message copied (copyMessage) from the author's chat to an audience."""

    __tablename__ = "broadcasts"
    __table_args__ = (
        CheckConstraint(enum_check("category", BroadcastCategory), name="category"),
        CheckConstraint(enum_check("status", BroadcastStatus), name="status"),
        CheckConstraint(
            "total >= 0 AND sent >= 0 AND failed >= 0 AND blocked >= 0", name="counters"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # {"type": AudienceType, plus "role" / "id" when the type needs one}.
    audience: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Essential messages go to everyone; announcements only to those who consented.
    category: Mapped[str] = mapped_column(
        String(16),
        default=BroadcastCategory.ANNOUNCEMENT,
        server_default=BroadcastCategory.ANNOUNCEMENT.value,
    )
    source_chat_id: Mapped[int] = mapped_column(BigInteger)
    source_message_id: Mapped[int]
    preview_text: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(
        String(16), default=BroadcastStatus.DRAFT, server_default=BroadcastStatus.DRAFT.value
    )
    scheduled_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    total: Mapped[int] = mapped_column(default=0, server_default="0")
    sent: Mapped[int] = mapped_column(default=0, server_default="0")
    failed: Mapped[int] = mapped_column(default=0, server_default="0")
    blocked: Mapped[int] = mapped_column(default=0, server_default="0")
    # In flight at a crash (maybe delivered, never resent) and stopped by a cancel.
    unknown: Mapped[int] = mapped_column(default=0, server_default="0")
    cancelled: Mapped[int] = mapped_column(default=0, server_default="0")
    # Not final: Telegram failed for a while and they are tried again later.
    retrying: Mapped[int] = mapped_column(default=0, server_default="0")
    # An owner's incident notice (POLICY 17): essential, to every active user.
    incident: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The message in the author's chat that shows the progress, then the report.
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    progress_message_id: Mapped[int | None]


class Delivery(Base):
    """One broadcast to one user; a restarted bot resumes the pending and retrying ones.

    `claimed_by` names the process run (instance name and run id) that holds the row: on
    a pending or retrying row it is a reservation made before the pacing wait (nothing
    sent yet, taken over when old), on a `sending` row the claim made right before the
    call to Telegram.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "user_id"),
        Index(None, "broadcast_id", "status"),
        CheckConstraint(enum_check("status", DeliveryStatus), name="status"),
        CheckConstraint("attempts >= 0", name="attempts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(
        String(16), default=DeliveryStatus.PENDING, server_default=DeliveryStatus.PENDING.value
    )
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(String(255))
    sent_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    next_attempt_at: Mapped[datetime | None]
    # The first of the transient failures in a row: retries stop a while after it.
    failing_since: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
