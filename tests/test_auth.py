"""caseapp.auth.PermissionBackend: ModelBackend's answers in one query."""

from __future__ import annotations

import pytest
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser, Group, Permission, User

from caseapp.auth import PermissionBackend
from tests.staff_users import make_staff

pytestmark = pytest.mark.django_db


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)  # no permission cache from an earlier check


def people() -> list:
    direct = make_staff("dana")
    direct.user_permissions.add(Permission.objects.get(codename="export_submission"))
    both = make_staff("bea", "Reviewer")
    both.user_permissions.add(Permission.objects.get(codename="erase_submission"))
    mixed = Group.objects.create(name="Auditors")
    mixed.permissions.add(Permission.objects.get(codename="view_auditevent"))
    both.groups.add(mixed)
    return [make_staff("rita", "Reviewer"), make_staff("sam", "Supervisor"), direct, both,
            make_staff("nobody"), make_staff("gone", "Supervisor", is_active=False),
            make_staff("root", is_superuser=True)]


def test_the_same_permissions_as_model_backend_for_every_kind_of_user():
    ours, django = PermissionBackend(), ModelBackend()
    every = [f"{p.content_type.app_label}.{p.codename}"
             for p in Permission.objects.select_related("content_type")]
    for user in [*people(), AnonymousUser()]:
        a = user if user.is_anonymous else fresh(user)
        b = user if user.is_anonymous else fresh(user)
        assert ours.get_all_permissions(a) == django.get_all_permissions(b), user
        assert [ours.has_perm(a, p) for p in every] == [django.has_perm(b, p) for p in every]
    assert PermissionBackend().get_all_permissions(fresh(User.objects.get(username="bea"))) >= {
        "caseapp.review_submission", "caseapp.erase_submission", "caseapp.view_auditevent"}


def test_one_query_per_request_and_a_removed_permission_is_gone_on_the_next(
        django_assert_num_queries):
    rita = make_staff("rita", "Reviewer")
    user = fresh(rita)
    with django_assert_num_queries(1):
        assert user.has_perm("caseapp.review_submission")
        assert user.has_perm("caseapp.view_submission")
        assert not user.has_perm("caseapp.export_submission")
    rita.groups.clear()
    assert not fresh(rita).has_perm("caseapp.review_submission")
