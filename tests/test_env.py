"""caseapp.env: the typed readers settings.py reads the environment with."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from caseapp import env


def test_an_unset_or_empty_variable_reads_as_its_default(monkeypatch):
    monkeypatch.delenv("CASEAPP_X", raising=False)
    assert env.env_int("CASEAPP_X", 7) == 7
    monkeypatch.setenv("CASEAPP_X", "  ")
    assert env.env_float("CASEAPP_X", 1.5) == 1.5
    assert env.env_bool("CASEAPP_X", True) is True
    assert env.env_list("CASEAPP_X", "a,b") == ["a", "b"]


@pytest.mark.parametrize(("text", "value"), [("1", True), ("ON", True), ("yes", True),
                                             ("0", False), ("false", False), ("Off", False)])
def test_booleans_read_the_usual_spellings(monkeypatch, text, value):
    monkeypatch.setenv("CASEAPP_X", text)
    assert env.env_bool("CASEAPP_X", not value) is value


def test_numbers_read_and_refuse_below_their_minimum(monkeypatch):
    monkeypatch.setenv("CASEAPP_X", " 12 ")
    assert env.env_int("CASEAPP_X", 0, minimum=1) == 12
    assert env.env_float("CASEAPP_X", 0) == 12.0
    monkeypatch.setenv("CASEAPP_X", "0.5")
    with pytest.raises(ImproperlyConfigured, match=r"CASEAPP_X must be at least 1, not 0.5"):
        env.env_float("CASEAPP_X", 2, minimum=1)
    monkeypatch.setenv("CASEAPP_X", "nan")
    with pytest.raises(ImproperlyConfigured, match="must be a finite number"):
        env.env_float("CASEAPP_X", 2)


def test_lists_drop_blanks(monkeypatch):
    monkeypatch.setenv("CASEAPP_X", " a.example, ,b.example,")
    assert env.env_list("CASEAPP_X") == ["a.example", "b.example"]


@pytest.mark.parametrize("rate", ["20/h", "5/m", "100/10m", "1000/d", "1/s"])
def test_rates_in_the_rate_limiters_format_read(monkeypatch, rate):
    monkeypatch.setenv("CASEAPP_X", rate)
    assert env.env_rate("CASEAPP_X", "1/h") == rate


@pytest.mark.parametrize("rate", ["0/h", "20/hour", "20", "/h", "20/h/h"])
def test_other_rates_are_refused(monkeypatch, rate):
    monkeypatch.setenv("CASEAPP_X", rate)
    with pytest.raises(ImproperlyConfigured, match="CASEAPP_X must be a count per period"):
        env.env_rate("CASEAPP_X", "1/h")


def test_a_secret_is_never_in_the_message_of_a_bad_field_key():
    good = Fernet.generate_key().decode()
    env.field_keys_check("CASEAPP_FIELD_KEYS", [good])
    with pytest.raises(ImproperlyConfigured) as raised:
        env.field_keys_check("CASEAPP_FIELD_KEYS", [good, good[:-4]])
    assert "key 2 of 2" in str(raised.value)
    assert good[:-4] not in str(raised.value)


def test_the_production_refusal_lists_each_variable_with_how_to_set_it():
    error = env.production_refusal([("DJANGO_SECRET_KEY", "make one"), ("EMAIL_HOST", "a host")])
    assert "  - DJANGO_SECRET_KEY: make one\n  - EMAIL_HOST: a host\n" in str(error)
    assert "DJANGO_DEBUG=1" in str(error)
