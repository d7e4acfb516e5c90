"""Helpers the staff view tests share: signed-in clients' pages, requests and fixtures' data."""

from __future__ import annotations

from django.urls import reverse

from caseapp.models import Submission
from tests.factories import case_form_data, make_submission
from tests.staff_users import PASSWORD


def queue(client, **params):
    return client.get(reverse("staff:queue"), params)


def detail(client, submission):
    return client.get(reverse("staff:submission", args=[submission.reference]))


def case_form(case, **changes):
    return case_form_data(case, **{"closed_on": "", **changes})


def _make_many(n, reviewer):
    made = [make_submission(email=f"same{i % 2}@example.com") for i in range(n)]
    Submission.objects.filter(pk__in=[s.pk for s in made[::2]]).update(assignee=reviewer)
    return made


OUT_OF_RANGE = ["9999-12-31", "9998-06-01", "0001-01-01", "1999-12-31", "2101-01-01",
                "2024-02-30", "99999-01-01"]


LOGIN = "/staff/login/"


def sign_in(client, username, password=PASSWORD, next_url=""):
    data = {"username": username, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN, data)
