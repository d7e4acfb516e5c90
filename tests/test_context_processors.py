"""caseapp.context_processors.site: what every staff template may use."""

from __future__ import annotations

import pytest

from caseapp.context_processors import site


@pytest.mark.django_db
def test_the_case_is_read_only_when_a_template_uses_it_and_then_once(
        rf, case, django_assert_num_queries):
    request = rf.get("/staff/")
    with django_assert_num_queries(0):
        context = site(request)
    with django_assert_num_queries(1):
        assert context["case"].pk == case.pk
    with django_assert_num_queries(0):
        assert context["case"].docket_number == case.docket_number
        assert site(request)["case"].pk == case.pk  # read once per request


def test_the_csp_nonce_is_the_requests_or_empty(rf):
    request = rf.get("/staff/")
    assert site(request)["csp_nonce"] == ""
    request.csp_nonce = "n0nce"
    assert site(request)["csp_nonce"] == "n0nce"


def test_staff_pages_name_the_firms_time_zone_with_its_offset(rf, settings):
    import datetime

    from django.contrib.auth.models import AnonymousUser
    from django.utils import timezone

    from caseapp.context_processors import site

    request = rf.get("/staff/")
    request.user = AnonymousUser()
    text = str(site(request)["firm_time_zone"])
    offset = timezone.localtime().utcoffset() // datetime.timedelta(hours=1)
    assert text.startswith("America/Los_Angeles (P") and f"UTC-0{-offset}:00" in text
