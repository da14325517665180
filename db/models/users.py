"""People, their roles and admin permissions, consents, invites and parent links."""

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, TimestampMixin, utcnow
from db.models.enums import ConsentEvent, InviteKind, Language, Permission, Role, enum_check


class User(TimestampMixin, Base):
    """A person. telegram_id stays empty until they open the bot (e.g. registered by an admin)."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(enum_check("language", Language), name="language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    full_name: Mapped[str | None] = mapped_column(String(128))
    username: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(
        String(2), default=Language.UZ, server_default=Language.UZ.value
    )
    birth_date: Mapped[date | None]
    # False once the user blocked the bot; True again when they write to it.
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())
    last_seen_at: Mapped[datetime | None]
    # Set when the person's data was erased (anonymized); the row stays for the ledger's sake.
    deleted_at: Mapped[datetime | None]
    # An owner's monthly finance digest on the 1st (bot.notices.digest); others never get it.
    monthly_digest: Mapped[bool] = mapped_column(default=True, server_default=true())


class RoleAssignment(TimestampMixin, Base):
    __tablename__ = "role_assignments"
    __table_args__ = (
        UniqueConstraint("user_id", "role"),
        CheckConstraint(enum_check("role", Role), name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16))


class AdminPermission(Base):
    __tablename__ = "admin_permissions"
    __table_args__ = (
        UniqueConstraint("user_id", "permission"),
        CheckConstraint(enum_check("permission", Permission), name="permission"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    permission: Mapped[str] = mapped_column(String(16))


class Consent(Base):
    """One event of a user's consent history: accepted, changed (categories) or withdrawn.

    Rows are only ever added; the latest one is the user's current choice.
    """

    __tablename__ = "consents"
    __table_args__ = (
        Index(None, "user_id", "at"),
        CheckConstraint(enum_check("event", ConsentEvent), name="event"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(16))
    policy_version: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    reminders: Mapped[bool] = mapped_column(default=False, server_default=false())
    announcements: Mapped[bool] = mapped_column(default=False, server_default=false())
    analytics: Mapped[bool] = mapped_column(default=False, server_default=false())


class Invite(TimestampMixin, Base):
    """A one-time deep-link code. Only its sha256 is stored, so a leaked database opens nothing."""

    __tablename__ = "invites"
    __table_args__ = (
        CheckConstraint(enum_check("kind", InviteKind), name="kind"),
        CheckConstraint("kind <> 'parent' OR student_id IS NOT NULL", name="parent_child"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    # The registered person whose Telegram account the invite binds.
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # For a parent invite: the child the parent gets linked to.
    student_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # For an admin invite: the Permission values granted.
    permissions: Mapped[list[str] | None] = mapped_column(JSON(none_as_null=True))
    # indexed: deleting a person (an import undone: thousands) looks their invites up by both
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    expires_at: Mapped[datetime]
    used_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class ParentLink(TimestampMixin, Base):
    __tablename__ = "parent_links"
    __table_args__ = (
        UniqueConstraint("parent_id", "student_id"),
        CheckConstraint("parent_id <> student_id", name="not_self"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
