"""caseapp.selectors.staff_accounts: staff accounts."""

from __future__ import annotations

import pytest

from caseapp.selectors.staff_accounts import staff_reviewers


@pytest.mark.django_db
def test_staff_reviewers_are_the_people_who_may_review(case):
    from tests.staff_users import make_staff

    make_staff("rita", "Reviewer")
    make_staff("sam", "Supervisor")
    make_staff("root", is_superuser=True)
    make_staff("nobody")
    make_staff("gone", "Reviewer", is_active=False)
    from django.contrib.auth.models import Group, Permission

    direct = make_staff("dana")  # granted the permission directly, not through a group
    direct.user_permissions.add(Permission.objects.get(codename="review_submission"))
    viewers = Group.objects.create(name="Viewers only")
    viewers.permissions.add(Permission.objects.get(codename="view_submission"))
    make_staff("vic").groups.add(viewers)
    names = [u.username for u in staff_reviewers()]
    assert names == ["dana", "rita", "root", "sam"]
