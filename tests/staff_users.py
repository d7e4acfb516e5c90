"""Staff accounts for tests: made the way an administrator would, through the groups."""

from __future__ import annotations

from django.contrib.auth.models import Group, User

PASSWORD = "correct-horse-battery-staple-42"  # noqa: S105 (test accounts only)


def make_staff(username: str, group: str | None = None, **extra) -> User:
    user = User.objects.create_user(username, password=PASSWORD, **extra)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user
