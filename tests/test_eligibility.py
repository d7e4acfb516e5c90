"""The class definition and damages rule, tested without a database."""

from __future__ import annotations

import dataclasses
import datetime
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caseapp import eligibility, review_rules
from caseapp.eligibility import Outcome, Status, evaluate

from .factories import ELIGIBLE_ANSWERS

CODES = {q.key: q.codes for q in eligibility.QUESTIONS}
NOT_MET = {
    "country": {"CA", "GB", "EU", "CH", "HK", "CN"},
    "premium": {"no"},
    "premium_before_cutoff": {"no"},
    "inmail": {"neither"},
    "inmail_before_cutoff": {"no"},
    "affiliation": {"linkedin_or_microsoft", "court_or_counsel"},
    "discovered": set(),
}
UNSURE = {
    "country": {"OTHER", "UNSURE"},
    "premium": {"unsure"},
    "premium_before_cutoff": {"unsure"},
    "inmail": {"unsure"},
    "inmail_before_cutoff": {"unsure"},
    "affiliation": set(),
    "discovered": set(),
}
RANK = {Outcome.ELIGIBLE: 0, Outcome.NEEDS_REVIEW: 1, Outcome.NOT_ELIGIBLE: 2}


def status_of(key: str, code: str) -> Status:
    if code in NOT_MET[key]:
        return Status.NOT_MET
    if code in UNSURE[key]:
        return Status.UNSURE
    return Status.MET


def expected_outcome(answers: dict[str, str]) -> Outcome:
    """An independent restatement of the issue's rules, to check evaluate() against."""
    applicable = ["country", "premium", "inmail", "affiliation"]
    if answers.get("premium") != "no":
        applicable.append("premium_before_cutoff")
    if answers.get("inmail") != "neither":
        applicable.append("inmail_before_cutoff")
    statuses = [status_of(k, answers[k]) if k in answers else Status.UNANSWERED
                for k in applicable]
    if Status.NOT_MET in statuses:
        return Outcome.NOT_ELIGIBLE
    if Status.UNANSWERED in statuses:
        return Outcome.INCOMPLETE
    if Status.UNSURE in statuses:
        return Outcome.NEEDS_REVIEW
    return Outcome.ELIGIBLE


def all_answer_sets():
    """Every combination of codes, each question also possibly unanswered (None)."""
    keys = [q.key for q in eligibility.QUESTIONS if not q.informative]
    for combo in itertools.product(*[(None, *CODES[k]) for k in keys]):
        yield {k: c for k, c in zip(keys, combo, strict=True) if c is not None}


def test_every_combination_of_codes_matches_the_rules():
    count = 0
    for answers in all_answer_sets():
        determination = evaluate(answers)
        assert determination.outcome is expected_outcome(answers), answers
        expected_damages = 1000 if determination.outcome in (
            Outcome.ELIGIBLE, Outcome.NEEDS_REVIEW) else 0
        assert determination.estimated_damages == expected_damages
        count += 1
    assert count == 10 * 4 * 4 * 6 * 4 * 4  # 15,360 answer sets, partial ones included


def test_complete_eligible_answers_are_eligible_with_the_statutory_minimum():
    determination = evaluate(ELIGIBLE_ANSWERS)
    assert determination.outcome == "eligible"
    assert determination.estimated_damages == 1000
    assert determination.ask is None
    assert [f.status for f in determination.findings] == [Status.MET] * 6


@pytest.mark.parametrize("code", ["CA", "GB", "EU", "CH", "HK", "CN"])
def test_country_where_sharing_was_off_rules_out_even_with_nothing_else_answered(code):
    determination = evaluate({"country": code})
    assert determination.outcome is Outcome.NOT_ELIGIBLE
    assert determination.estimated_damages == 0
    assert determination.ask is None
    country = determination.findings[0]
    assert country.criterion == "country" and country.status is Status.NOT_MET
    assert "Canada" in country.explanation


def test_other_country_is_unsure():
    answers = {**ELIGIBLE_ANSWERS, "country": "OTHER"}
    assert evaluate(answers).outcome is Outcome.NEEDS_REVIEW
    assert evaluate(answers).estimated_damages == 1000


def test_moved_or_unsure_about_the_accounts_region_needs_review():
    answers = {**ELIGIBLE_ANSWERS, "country": "UNSURE"}
    determination = evaluate(answers)
    assert determination.outcome is Outcome.NEEDS_REVIEW
    assert determination.estimated_damages == 1000
    country = determination.findings[0]
    assert (country.status, country.code) == (Status.UNSURE, "UNSURE")
    assert "August and September 2024" in country.explanation


def test_the_country_question_asks_about_the_account_when_the_setting_was_on():
    country = eligibility.question("country")
    assert "August and September 2024" in country.text
    assert "account" in country.text
    # The answer codes stored with earlier submissions keep their meaning.
    assert country.codes[:8] == ("US", "CA", "GB", "EU", "CH", "HK", "CN", "OTHER")


@pytest.mark.parametrize("key", ["premium", "inmail"])
def test_premium_and_inmail_questions_say_how_to_check_without_menu_paths(key):
    hint = eligibility.question(key).how_to_check
    assert "data export" in hint
    assert "→" not in hint and "Settings" not in hint


def test_the_inmail_follow_up_fits_someone_who_was_not_sure():
    follow_up = eligibility.question("inmail_before_cutoff")
    assert "those" not in follow_up.text
    assert follow_up.applies({"inmail": "unsure"})


@pytest.mark.parametrize(
    ("answers", "key", "expected"),
    [
        ({}, "country", (1, 7, False)),
        ({"country": "US", "premium": "yes", "premium_before_cutoff": "yes"}, "inmail",
         (4, 7, False)),
        ({**ELIGIBLE_ANSWERS}, "inmail_before_cutoff", (5, 7, True)),
        ({**ELIGIBLE_ANSWERS, "inmail": "neither"}, "affiliation", (5, 6, True)),
        ({**ELIGIBLE_ANSWERS}, "discovered", (7, 7, True)),
    ],
)
def test_progress_counts_the_questions_the_answers_lead_to(answers, key, expected):
    p = eligibility.progress(answers, key)
    assert (p.position, p.total, p.exact) == expected


@pytest.mark.parametrize(
    ("reference", "last_day"),
    [
        (datetime.date(2024, 9, 18), datetime.date(2026, 9, 18)),
        (datetime.date(2024, 2, 29), datetime.date(2026, 2, 28)),
        (datetime.date(2023, 12, 31), datetime.date(2025, 12, 31)),
    ],
)
def test_the_sca_time_limit_runs_two_years_from_the_reference_date(reference, last_day):
    assert review_rules.sca_limit_last_day(reference) == last_day
    assert not review_rules.sca_limit_passed(reference, last_day)
    assert review_rules.sca_limit_passed(reference, last_day + datetime.timedelta(days=1))


def test_premium_no_skips_the_cutoff_question_and_rules_out():
    determination = evaluate({"country": "US", "premium": "no"})
    assert determination.outcome is Outcome.NOT_ELIGIBLE
    assert "premium_before_cutoff" not in [f.criterion for f in determination.findings]


def test_inmail_neither_skips_its_cutoff_question():
    answers = {"country": "US", "premium": "yes", "premium_before_cutoff": "yes",
               "inmail": "neither"}
    determination = evaluate(answers)
    assert determination.outcome is Outcome.NOT_ELIGIBLE
    assert "inmail_before_cutoff" not in [f.criterion for f in determination.findings]


@pytest.mark.parametrize(
    ("answers", "next_key"),
    [
        ({}, "country"),
        ({"country": "US"}, "premium"),
        ({"country": "OTHER", "premium": "unsure"}, "premium_before_cutoff"),
        ({"country": "US", "premium": "yes", "premium_before_cutoff": "yes"}, "inmail"),
        ({"country": "US", "premium": "yes", "premium_before_cutoff": "yes", "inmail": "sent"},
         "inmail_before_cutoff"),
        ({k: v for k, v in ELIGIBLE_ANSWERS.items() if k != "affiliation"}, "affiliation"),
        (ELIGIBLE_ANSWERS, None),
    ],
)
def test_what_is_asked_next_follows_the_order_and_branches(answers, next_key):
    assert evaluate(answers).ask == next_key


def test_incomplete_answers_have_no_damages_and_mark_unanswered_findings():
    determination = evaluate({"country": "US"})
    assert determination.outcome is Outcome.INCOMPLETE
    assert determination.estimated_damages == 0
    statuses = {f.criterion: f.status for f in determination.findings}
    assert statuses["country"] is Status.MET
    assert statuses["premium"] is Status.UNANSWERED


def test_findings_have_one_entry_per_applicable_criterion_with_an_explanation():
    answers = {**ELIGIBLE_ANSWERS, "premium": "unsure", "inmail": "received"}
    findings = evaluate(answers).findings
    assert [f.criterion for f in findings] == [q.key for q in eligibility.QUESTIONS
                                              if not q.informative]
    assert all(f.explanation for f in findings)
    assert {f.criterion: f.status for f in findings}["premium"] is Status.UNSURE


def test_unknown_key_raises_naming_it():
    with pytest.raises(ValueError, match="favourite_colour"):
        evaluate({"favourite_colour": "blue"})


def test_unknown_code_raises_naming_it():
    with pytest.raises(ValueError, match="'XX'"):
        evaluate({"country": "XX"})


def test_outcome_is_a_string_enum():
    assert evaluate(ELIGIBLE_ANSWERS).outcome == "eligible"
    assert str(Outcome.NEEDS_REVIEW) == "needs_review"


def test_rules_version_is_stamped_on_every_determination():
    assert evaluate({}).rules_version == eligibility.RULES_VERSION
    assert eligibility.RULES_VERSION.startswith("2025-01-21")


def test_the_rules_changelog_names_the_current_version():
    import inspect

    assert f"- {eligibility.RULES_VERSION}:" in inspect.getsource(eligibility)


def test_damages_are_per_person_never_per_message():
    # Whatever the InMail answer (one message or thousands), the figure is the same.
    for inmail in ("sent", "received", "both"):
        assert evaluate({**ELIGIBLE_ANSWERS, "inmail": inmail}).estimated_damages == 1000


def test_applicable_answers_drops_answers_made_moot_by_a_change():
    answers = {**ELIGIBLE_ANSWERS, "premium": "no"}
    assert "premium_before_cutoff" not in eligibility.applicable_answers(answers)


def test_module_imports_nothing_from_django():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(eligibility))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert not any(name.startswith(("django", "caseapp")) for name in imported)


# --- properties -----------------------------------------------------------------------

complete_answers = st.fixed_dictionaries(
    {q.key: st.sampled_from(q.codes) for q in eligibility.QUESTIONS}
)


@given(answers=complete_answers, key=st.sampled_from([q.key for q in eligibility.QUESTIONS]),
       data=st.data())
def test_outcome_never_improves_when_a_met_answer_becomes_unsure_or_not_met(answers, key,
                                                                            data):
    question = eligibility.question(key)
    if not question.applies(answers) or status_of(key, answers[key]) is not Status.MET:
        return
    worse_codes = [c for c in question.codes if status_of(key, c) is not Status.MET]
    if not worse_codes:  # an informative question has no worse answer
        return
    worse = {**answers, key: data.draw(st.sampled_from(worse_codes))}
    before, after = evaluate(answers).outcome, evaluate(worse).outcome
    assert RANK[after] >= RANK[before]
    assert evaluate(worse).estimated_damages <= evaluate(answers).estimated_damages


@given(answers=complete_answers)
def test_complete_answers_are_never_incomplete_and_ask_no_criterion(answers):
    determination = evaluate(answers)
    assert determination.outcome is not Outcome.INCOMPLETE
    assert determination.ask is None or eligibility.question(determination.ask).informative


@given(answers=st.dictionaries(st.sampled_from([q.key for q in eligibility.QUESTIONS]),
                               st.text(max_size=5)))
def test_any_answer_is_either_valid_or_a_value_error(answers):
    valid = all(code in CODES[key] for key, code in answers.items())
    if valid:
        evaluate(answers)
    else:
        with pytest.raises(ValueError):
            evaluate(answers)


# --- when the person found out (§ 2707(f)): informative only ---------------------------------

CRITERIA_SETS = [
    {},
    {"country": "US"},
    {k: v for k, v in ELIGIBLE_ANSWERS.items() if k != "discovered"},
    {**ELIGIBLE_ANSWERS, "inmail": "unsure", "inmail_before_cutoff": "unsure"},
    {**ELIGIBLE_ANSWERS, "country": "CA"},
    {**ELIGIBLE_ANSWERS, "premium": "no"},
]


@pytest.mark.parametrize("answers", CRITERIA_SETS)
@pytest.mark.parametrize("code", [None, *eligibility.question("discovered").codes])
def test_the_discovery_answer_changes_nothing_evaluate_returns(answers, code):
    without = {k: v for k, v in answers.items() if k != "discovered"}
    with_answer = {**without, **({"discovered": code} if code else {})}
    # Only what to ask next may differ: the question itself, while it is unanswered.
    assert dataclasses.replace(evaluate(with_answer), ask=None) == \
        dataclasses.replace(evaluate(without), ask=None)


def test_the_discovery_question_offers_i_dont_remember_and_the_three_periods():
    question = eligibility.question("discovered")
    assert question.informative
    assert [c.label for c in question.choices] == [
        "Before September 18, 2024", "Between September 18, 2024 and January 20, 2025",
        "On or after January 21, 2025", "I don't remember"]
    assert all(c.status is Status.MET for c in question.choices)


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({}, "country"),
        ({k: v for k, v in ELIGIBLE_ANSWERS.items() if k != "discovered"}, "discovered"),
        ({**ELIGIBLE_ANSWERS, "inmail": "unsure", "inmail_before_cutoff": "unsure",
          "discovered": "dont_remember"}, None),
        ({"country": "CA"}, None),  # ruled out: nothing more is asked
    ],
)
def test_the_check_asks_the_discovery_question_after_the_criteria(answers, expected):
    assert eligibility.evaluate(answers).ask == expected


@pytest.mark.parametrize(
    ("code", "last_day"),
    [
        ("before_2024_09_18", datetime.date(2026, 9, 18)),
        ("2024_09_18_to_2025_01_20", datetime.date(2026, 9, 18)),
        ("2025_01_21_or_later", datetime.date(2027, 1, 21)),
        ("dont_remember", datetime.date(2026, 9, 18)),
        (None, datetime.date(2026, 9, 18)),
    ],
)
def test_the_discovery_answer_gives_the_date_two_years_after_its_start(code, last_day):
    assert review_rules.discovery_limit_last_day(code, datetime.date(2024, 9, 18)) == last_day
