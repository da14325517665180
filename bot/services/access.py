"""Who is acting: roles, admin permissions, the owner's all-access."""

from dataclasses import dataclass

from bot.services.consent import ConsentState
from db.models import Permission, Role

ROLE_ORDER = (Role.ADMIN, Role.TEACHER, Role.PARENT, Role.STUDENT)


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: int
    telegram_id: int
    language: str
    roles: frozenset[Role]
    permissions: frozenset[Permission]
    is_owner: bool = False
    consent: ConsentState | None = None

    def has_role(self, role: Role) -> bool:
        return role in self.roles or (self.is_owner and role is Role.ADMIN)

    def can(self, permission: Permission) -> bool:
        """Owners hold every permission; an admin holds the ones granted to them."""
        if self.is_owner:
            return True
        return Role.ADMIN in self.roles and permission in self.permissions

    @property
    def effective_roles(self) -> tuple[Role, ...]:
        return tuple(role for role in ROLE_ORDER if self.has_role(role))

    @property
    def label(self) -> str:
        """The role written in the log line of each update."""
        if self.is_owner:
            return "owner"
        roles = self.effective_roles
        return "+".join(roles) if roles else "guest"
