"""Search by a word of a name (issue 14): the tokens, their blind indexes, their upkeep."""

from __future__ import annotations

import pytest
from django.urls import reverse

from caseapp import crypto
from caseapp.models import SubmissionNameToken
from caseapp.services.privacy import submission_erase_personal_data
from tests.factories import make_submission
from tests.staff_users import make_staff


@pytest.mark.parametrize(("name", "tokens"), [
    ("María  Smith", ["maria", "smith"]),
    ("MARIA smith", ["maria", "smith"]),
    ("Zoë O'Brien-Núñez", ["zoe", "obrien", "nunez"]),
    ("J. R. R. Tolkien", ["tolkien"]),
    ("Ａｄａ Lovelace", ["ada", "lovelace"]),  # full-width letters, as a phone keyboard may send
    ("Anne anne", ["anne"]),
    ("", []),
])
def test_a_name_splits_into_folded_words(name, tokens):
    assert crypto.name_tokens(name) == tokens


def test_a_token_index_is_keyed_and_never_equals_a_full_name_index(field_keys):
    assert crypto.name_token_index("maria") == crypto.name_token_index("maria")
    assert crypto.name_token_index("maria") != crypto.blind_index("maria")
    assert "maria" not in crypto.name_token_index("maria")


@pytest.mark.django_db
def test_registration_stores_the_tokens_and_erasure_deletes_them(case):
    submission = make_submission(full_name="María Smith")
    stored = set(SubmissionNameToken.objects.filter(submission=submission)
                 .values_list("token_index", flat=True))
    assert stored == {crypto.name_token_index("maria"), crypto.name_token_index("smith")}
    submission_erase_personal_data(submission=submission, actor=make_staff("sam", "Supervisor"),
                                   category="person_asked", note="Asked by email")
    assert not SubmissionNameToken.objects.filter(submission=submission).exists()


@pytest.mark.django_db
def test_the_queue_finds_every_registration_with_a_word_of_the_name(client, case):
    client.force_login(make_staff("rita", "Reviewer"))
    maria = make_submission(full_name="María Smith")
    john = make_submission(full_name="John Smith")
    make_submission(full_name="Mariano Smithers")

    def found(text):
        response = client.get(reverse("staff:queue"), {"q": text})
        return {row.reference for row in response.context["page"].rows}

    assert found("Smith") == {maria.reference, john.reference}
    assert found("maria") == {maria.reference}
    assert found("MARIA smith") == {maria.reference}
    assert found("smi") == set()
    assert found("john maria") == set()


@pytest.mark.django_db
def test_the_migration_backfills_tokens_for_names_already_stored(case):
    import importlib

    from django.apps import apps

    submission = make_submission(full_name="Grace Hopper")
    SubmissionNameToken.objects.all().delete()
    migration = importlib.import_module("caseapp.migrations.0013_name_tokens_saved_views")
    migration.backfill(apps, None)
    assert SubmissionNameToken.objects.filter(
        submission=submission, token_index=crypto.name_token_index("hopper")).exists()
