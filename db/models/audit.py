"""The audit log: append-only, written in the same transaction as the change it records."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, utcnow
from db.models.enums import AuditOutcome, enum_check


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index(None, "actor_id", "at"),
        CheckConstraint(enum_check("outcome", AuditOutcome), name="outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(
        String(16), default=AuditOutcome.OK, server_default=AuditOutcome.OK.value
    )
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The hash chain (bot/services/audit_chain.py): the previous entry's hash, and this
    # entry's own over that and its fields. Written only by bot.services.audit.
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
