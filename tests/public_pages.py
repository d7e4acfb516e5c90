"""Helpers the public view tests share: answering the check, the registration form, counters."""

from __future__ import annotations

import re

from django.test import Client

from caseapp.models import DailyCount

REGISTRATION = {
    "full_name": "Ana María O'Brien",
    "email": "ana@example.com",
    "phone": "+1 415 555 0100",
    "state": "CA",
    "consent_contact": "on",
    "attest_true": "on",
}


def answer_all(client: Client, answers: dict[str, str]):
    client.get("/check/country/")
    response = None
    for key, code in answers.items():
        response = client.post(f"/check/{key}/", {key: code})
        assert response.status_code == 302, (key, response.content[:300])
    return response


def form_token(client: Client) -> str:
    page = client.get("/register/").content.decode()
    return re.search(r'name="form_token" value="([^"]+)"', page).group(1)


def counts() -> dict[str, int]:
    return dict(DailyCount.objects.values_list("metric", "count"))
