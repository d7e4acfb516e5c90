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


@pytest.mark.django_db
def test_permissions_and_the_second_factor_facts_are_one_query(django_assert_num_queries):
    from django.contrib.auth.models import User

    from caseapp.models import SealedTOTPDevice
    from caseapp.selectors.staff_accounts import (
        StaffAccess,
        staff_access,
        staff_second_factor_state,
    )
    from tests.staff_users import make_staff

    sam = make_staff("sam", "Supervisor")
    user = User.objects.get(pk=sam.pk)
    # caseapp.auth.PermissionBackend answers from the same query (issue 18: kept, about 15 %).
    with django_assert_num_queries(1):
        assert user.has_perm("caseapp.review_submission")
        assert staff_second_factor_state(user=user) == "required"
        assert staff_second_factor_state(user=user, optional=True) == "optional"
    # A device not yet confirmed does not count; a confirmed one does, on the next request.
    SealedTOTPDevice.objects.create(user=sam, name="new", confirmed=False)
    assert not staff_access(user=User.objects.get(pk=sam.pk)).has_device
    SealedTOTPDevice.objects.create(user=sam, name="phone", confirmed=True)
    assert staff_second_factor_state(user=User.objects.get(pk=sam.pk)) == "enrolled"
    # No permission at all: the flags still come back.
    nobody = User.objects.get(pk=make_staff("nobody").pk)
    assert staff_access(user=nobody) == StaffAccess(
        permissions=frozenset(), has_device=False, supervisor=False)
    rita = User.objects.get(pk=make_staff("rita", "Reviewer").pk)
    access = staff_access(user=rita)
    assert not access.supervisor and "caseapp.review_submission" in access.permissions
