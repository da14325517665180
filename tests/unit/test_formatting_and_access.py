"""Money, dates, phones, and who may do what."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.formatting import format_datetime, format_money, format_phone
from bot.i18n import use_language
from bot.services.access import Actor
from db.models import Permission, Role

NBSP = "\xa0"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("uz", f"1{NBSP}250{NBSP}000 soʻm"),
        ("ru", f"1{NBSP}250{NBSP}000 сум"),
        ("en", "1,250,000 soʻm"),
    ],
)
def test_money_is_whole_som_in_each_language(language: str, expected: str) -> None:
    with use_language(language):
        assert format_money(1_250_000) == expected


def test_money_is_never_a_float() -> None:
    with pytest.raises(TypeError):
        format_money(12.5)  # type: ignore[arg-type]


def test_times_are_shown_in_the_centre_time_zone() -> None:
    moment = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 14:00 in Tashkent
    assert format_datetime(moment, ZoneInfo("Asia/Tashkent"), "en") == "Mon, 2 Mar · 14:00"


def test_phones_are_grouped() -> None:
    assert format_phone("+998901234567") == "+998 90 123 45 67"
    assert format_phone("998 90 1234567") == "+998 90 123 45 67"
    assert format_phone("+44 20 7946 0958") == "+44 20 7946 0958"
    assert format_phone("+79161234567") == "+7 916 123-45-67"  # phonenumbers: per country
    assert format_phone("not a phone") == "not a phone"


def actor(roles=(), permissions=(), owner=False) -> Actor:
    return Actor(1, 1, "uz", frozenset(roles), frozenset(permissions), owner)


def test_owners_hold_every_permission_and_the_admin_role() -> None:
    owner = actor(owner=True)
    assert owner.has_role(Role.ADMIN) and not owner.has_role(Role.TEACHER)
    assert all(owner.can(p) for p in Permission)
    assert owner.label == "owner"


def test_admins_hold_only_their_permissions() -> None:
    admin = actor([Role.ADMIN], [Permission.PAYMENTS])
    assert admin.can(Permission.PAYMENTS) and not admin.can(Permission.BROADCAST)
    assert admin.label == "admin"


def test_a_permission_without_the_admin_role_counts_for_nothing() -> None:
    assert not actor([Role.TEACHER], [Permission.PAYMENTS]).can(Permission.PAYMENTS)


def test_roles_are_listed_in_a_stable_order() -> None:
    assert actor([Role.STUDENT, Role.ADMIN]).effective_roles == (Role.ADMIN, Role.STUDENT)
    assert actor([Role.STUDENT, Role.ADMIN]).label == "admin+student"
    assert actor().label == "guest"
