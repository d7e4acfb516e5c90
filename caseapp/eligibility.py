"""The proposed class in De La Torre v. LinkedIn Corp. and the damages rule, as pure Python.

Sources for every rule are in shared/docs/CASE_FACTS.md. Nothing here imports Django, so the
definition can be read, tested and reused on its own; user-visible strings are marked with
a no-op ``_`` so Django's ``makemessages`` still finds them and the views translate them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass


def _(text: str) -> str:
    """Mark a string for translation without importing Django (translated at display time)."""
    return text


#: Stamped on every submission. Changelog (newest first):
#: - 2025-01-21.3: asks when the person first learned that LinkedIn may have used their
#:   messages (``discovered``, with "I don't remember"): a fact for the lawyer under
#:   § 2707(f), informative only, so it changes no outcome and a missing answer changes nothing
#:   ``evaluate()`` returns.
#: - 2025-01-21.2: the country question asks where the account was based in August–September
#:   2024, when LinkedIn's setting was on (CASE_FACTS "Region"), not where the person lived for
#:   most of their Premium years; new answer ``UNSURE`` ("I moved or I'm not sure") needs review.
#:   The InMail follow-up is worded for people who answered "not sure".
#: - 2025-01-21.1: the proposed class as reported when the case was filed.
RULES_VERSION = "2025-01-21.3"

#: The SCA's statutory minimum per person, 18 U.S.C. § 2707(c). Never multiplied by messages.
SCA_STATUTORY_MINIMUM = 1000


class Outcome(str, enum.Enum):
    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    NEEDS_REVIEW = "needs_review"
    INCOMPLETE = "incomplete"

    def __str__(self) -> str:
        return self.value


class Status(str, enum.Enum):
    MET = "met"
    NOT_MET = "not_met"
    UNSURE = "unsure"
    UNANSWERED = "unanswered"

    def __str__(self) -> str:
        return self.value


#: Outcomes that may register with the firm and carry the damages estimate.
REGISTRABLE_OUTCOMES = frozenset({Outcome.ELIGIBLE, Outcome.NEEDS_REVIEW})


@dataclass(frozen=True)
class Choice:
    code: str
    label: str
    status: Status
    explanation: str


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    hint: str
    choices: tuple[Choice, ...]
    #: The question is asked only when this returns True for the answers so far.
    applies_when: tuple[str, frozenset[str]] | None = None
    #: Where a person who is not sure can find the answer (no menu paths: they change).
    how_to_check: str = ""
    #: Asked for the lawyer's information only: never a criterion, never changes the outcome.
    informative: bool = False

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(choice.code for choice in self.choices)

    def choice(self, code: str) -> Choice:
        for choice in self.choices:
            if choice.code == code:
                return choice
        raise ValueError(f"unknown code {code!r} for question {self.key!r}")

    def applies(self, answers: Mapping[str, str]) -> bool:
        if self.applies_when is None:
            return True
        key, excluded = self.applies_when
        return answers.get(key) not in excluded


#: The discovery question (§ 2707(f)) and its answer codes.
DISCOVERED = "discovered"
DISCOVERED_BEFORE_POLICY = "before_2024_09_18"
DISCOVERED_AFTER_POLICY = "2024_09_18_to_2025_01_20"
DISCOVERED_AFTER_FILING = "2025_01_21_or_later"
DISCOVERED_UNKNOWN = "dont_remember"

_NOT_SHARED = _(
    "LinkedIn did not switch on sharing data for AI training for accounts based in Canada, the "
    "EU, the EEA, the UK, Switzerland, Hong Kong or mainland China, so those accounts are not "
    "in the proposed class."
)

QUESTIONS: tuple[Question, ...] = (
    Question(
        key="country",
        text=_("In August and September 2024, where was your LinkedIn account based?"),
        hint=_(
            "In August 2024, LinkedIn switched on sharing data for AI training for accounts it "
            "treated as based in the U.S. What counts is where your account was based then. "
            "Where you lived for most of your Premium years does not count."
        ),
        choices=(
            Choice("US", _("United States"), Status.MET,
                   _("Your account was based in the United States, where LinkedIn switched the "
                     "sharing on.")),
            Choice("CA", _("Canada"), Status.NOT_MET, _NOT_SHARED),
            Choice("GB", _("United Kingdom"), Status.NOT_MET, _NOT_SHARED),
            Choice("EU", _("A country in the EU or the European Economic Area"), Status.NOT_MET,
                   _NOT_SHARED),
            Choice("CH", _("Switzerland"), Status.NOT_MET, _NOT_SHARED),
            Choice("HK", _("Hong Kong"), Status.NOT_MET, _NOT_SHARED),
            Choice("CN", _("Mainland China"), Status.NOT_MET, _NOT_SHARED),
            Choice("OTHER", _("Somewhere else"), Status.UNSURE,
                   _("The reports name the U.S. and the places where sharing stayed off; the "
                     "firm needs to check whether your country is covered.")),
            # Someone who moved in or out of the U.S. around then, or does not know how
            # LinkedIn placed the account: only the firm can check (CASE_FACTS "Region").
            Choice("UNSURE", _("I moved around that time, or I'm not sure"), Status.UNSURE,
                   _("You moved or are not sure where your account was based in August and "
                     "September 2024; the firm needs to check which rules LinkedIn applied to "
                     "your account.")),
        ),
    ),
    Question(
        key="premium",
        text=_("Have you ever paid for LinkedIn Premium?"),
        hint=_("Premium plans include Career, Business, Sales Navigator and Recruiter Lite. A "
               "free LinkedIn account is not Premium. A free trial that you never paid for does "
               "not count."),
        how_to_check=_(
            "Look for payments to LinkedIn in your card or bank statements, your app store's "
            "subscription history, or receipts from LinkedIn in your email. You can also ask "
            "LinkedIn for a copy of your data (its data export)."
        ),
        choices=(
            Choice("yes", _("Yes"), Status.MET, _("You paid for LinkedIn Premium.")),
            Choice("no", _("No"), Status.NOT_MET,
                   _("The proposed class is made of paying LinkedIn Premium customers.")),
            Choice("unsure", _("I'm not sure"), Status.UNSURE,
                   _("You are not sure you paid for Premium; the firm can help you check.")),
        ),
    ),
    Question(
        key="premium_before_cutoff",
        text=_("Did you have Premium at any time before September 18, 2024?"),
        hint=_("On September 18, 2024 LinkedIn changed its privacy policy to say that data "
               "may be used to train AI models. The proposed class covers the time before."),
        choices=(
            Choice("yes", _("Yes"), Status.MET,
                   _("You had Premium before September 18, 2024.")),
            Choice("no", _("No"), Status.NOT_MET,
                   _("The proposed class covers disclosures before September 18, 2024, and you "
                     "did not have Premium then.")),
            Choice("unsure", _("I'm not sure"), Status.UNSURE,
                   _("You are not sure when you had Premium; the firm can help you check.")),
        ),
        applies_when=("premium", frozenset({"no"})),
    ),
    Question(
        key="inmail",
        text=_("While you had Premium, did you send or receive InMail messages?"),
        hint=_("InMail is LinkedIn's paid messaging: it lets Premium members message people "
               "they are not connected to. Ordinary messages between connections are not InMail."),
        how_to_check=_(
            "Ask LinkedIn for a copy of your data (its data export) and include your messages: "
            "the copy shows the messages you sent and received, with their dates. If you are "
            "still not sure, answer “I'm not sure” and the firm can help."
        ),
        choices=(
            Choice("sent", _("I sent InMail"), Status.MET, _("You sent InMail messages.")),
            Choice("received", _("I received InMail"), Status.MET,
                   _("You received InMail messages.")),
            Choice("both", _("I sent and received InMail"), Status.MET,
                   _("You sent and received InMail messages.")),
            Choice("neither", _("Neither"), Status.NOT_MET,
                   _("The proposed class is about InMail messages, and you neither sent nor "
                     "received any.")),
            Choice("unsure", _("I'm not sure"), Status.UNSURE,
                   _("You are not sure whether you used InMail; the firm can help you check.")),
        ),
    ),
    Question(
        key="inmail_before_cutoff",
        # Worded for everyone who reaches it, "not sure" about InMail included.
        text=_("Did you send or receive any InMail before September 18, 2024?"),
        hint=_("LinkedIn said opting out later does not affect training that had already "
               "taken place, so messages from before this date are the ones that matter. If "
               "you are not sure whether you used InMail at all, you can answer “I'm not "
               "sure”."),
        choices=(
            Choice("yes", _("Yes"), Status.MET,
                   _("You sent or received InMail before September 18, 2024.")),
            Choice("no", _("No"), Status.NOT_MET,
                   _("The proposed class covers messages disclosed before September 18, 2024, "
                     "and you did not send or receive InMail before then.")),
            Choice("unsure", _("I'm not sure"), Status.UNSURE,
                   _("You are not sure when you used InMail; the firm can help you check.")),
        ),
        applies_when=("inmail", frozenset({"neither"})),
    ),
    Question(
        key="affiliation",
        text=_(
            "Do you work for LinkedIn or Microsoft, or sit on the board or top team of either? "
            "Or are you a judge, court staff or a lawyer on this case?"
        ),
        hint=_("Class actions leave out the company being sued and its parent company. They "
               "also leave out the court and the lawyers."),
        choices=(
            Choice("none", _("No, none of these"), Status.MET,
                   _("You are not in a group that class actions leave out.")),
            Choice("linkedin_or_microsoft",
                   _("Yes, I work for or direct LinkedIn or Microsoft"), Status.NOT_MET,
                   _("Employees, officers and directors of LinkedIn and Microsoft are left out "
                     "of the proposed class.")),
            Choice("court_or_counsel",
                   _("Yes, I am a judge, court staff member or lawyer on this case"),
                   Status.NOT_MET,
                   _("The judges, their staff and the lawyers on the case are left out of the "
                     "proposed class.")),
        ),
    ),
    # § 2707(f) counts two years from discovery (CASE_FACTS "When the person found out"): a
    # fact for the lawyer, so every choice is "met" and the question is informative only.
    Question(
        key=DISCOVERED,
        text=_("When did you first learn that LinkedIn may have used your messages?"),
        hint=_("Choose the closest. If you do not remember, say so: it does not change your "
               "result."),
        choices=(
            Choice(DISCOVERED_BEFORE_POLICY, _("Before September 18, 2024"), Status.MET,
                   _("You learned of it before LinkedIn's privacy policy update.")),
            Choice(DISCOVERED_AFTER_POLICY, _("Between September 18, 2024 and January 20, 2025"),
                   Status.MET,
                   _("You learned of it after LinkedIn's privacy policy update and before the "
                     "lawsuit was reported.")),
            Choice(DISCOVERED_AFTER_FILING, _("On or after January 21, 2025"), Status.MET,
                   _("You learned of it when the lawsuit was reported, or later.")),
            Choice(DISCOVERED_UNKNOWN, _("I don't remember"), Status.MET,
                   _("You do not remember when you learned of it.")),
        ),
        informative=True,
    ),
)

QUESTIONS_BY_KEY: dict[str, Question] = {question.key: question for question in QUESTIONS}

_UNANSWERED_EXPLANATION = _("Not answered yet.")


@dataclass(frozen=True)
class Finding:
    criterion: str
    status: Status
    explanation: str
    code: str | None = None


@dataclass(frozen=True)
class Determination:
    outcome: Outcome
    estimated_damages: int
    findings: tuple[Finding, ...]
    #: What the check asks next: the first unanswered criterion, then (unless the answers
    #: already rule the person out) any informative question not yet answered.
    ask: str | None = None
    rules_version: str = RULES_VERSION


def question(key: str) -> Question:
    """The question with this key; ``ValueError`` naming it if there is none."""
    try:
        return QUESTIONS_BY_KEY[key]
    except KeyError:
        raise ValueError(f"unknown question key {key!r}") from None


def validate(answers: Mapping[str, str]) -> None:
    """Raise ``ValueError`` naming the first unknown key or code."""
    for key, code in answers.items():
        if code not in question(key).codes:
            raise ValueError(f"unknown code {code!r} for question {key!r}")


def applicable_questions(answers: Mapping[str, str]) -> tuple[Question, ...]:
    return tuple(q for q in QUESTIONS if q.applies(answers))


def applicable_answers(answers: Mapping[str, str]) -> dict[str, str]:
    """The answers that still count: a changed answer can make a later question moot."""
    validate(answers)
    return {q.key: answers[q.key] for q in applicable_questions(answers) if q.key in answers}


def estimate_damages(outcome: Outcome) -> int:
    """Whole dollars per person: the SCA minimum, 18 U.S.C. § 2707(c), if the claim succeeded.

    ``needs_review`` carries the same figure, shown "if confirmed"; it is never multiplied by
    the number of messages, because § 2707(c) sets a minimum per person entitled to recover.
    """
    if outcome in REGISTRABLE_OUTCOMES:
        return SCA_STATUTORY_MINIMUM
    return 0


def evaluate(answers: Mapping[str, str]) -> Determination:
    """Decide the outcome for a set of answers (codes by question key)."""
    validate(answers)
    applicable = applicable_questions(answers)
    findings = []
    for q in applicable:
        if q.informative:
            continue
        code = answers.get(q.key)
        if code is None:
            findings.append(Finding(q.key, Status.UNANSWERED, _UNANSWERED_EXPLANATION))
        else:
            choice = q.choice(code)
            findings.append(Finding(q.key, choice.status, choice.explanation, code))
    statuses = {f.status for f in findings}
    if Status.NOT_MET in statuses:
        outcome = Outcome.NOT_ELIGIBLE
    elif Status.UNANSWERED in statuses:
        outcome = Outcome.INCOMPLETE
    elif Status.UNSURE in statuses:
        outcome = Outcome.NEEDS_REVIEW
    else:
        outcome = Outcome.ELIGIBLE
    ask = None
    if outcome is Outcome.INCOMPLETE:
        ask = next(
            f.criterion for f in findings if f.status is Status.UNANSWERED)
    elif outcome is not Outcome.NOT_ELIGIBLE:
        ask = next((q.key for q in applicable if q.informative and q.key not in answers), None)
    return Determination(
        outcome=outcome,
        estimated_damages=estimate_damages(outcome),
        findings=tuple(findings),
        ask=ask,
    )


@dataclass(frozen=True)
class Progress:
    position: int
    total: int
    #: False while an answer still to come may skip a question: "of up to 6", not "of 6".
    exact: bool


def progress(answers: Mapping[str, str], key: str) -> Progress:
    """Where the question ``key`` stands among the questions these answers lead to."""
    keys = [q.key for q in applicable_questions(answers)]
    open_branches = any(q.applies_when is not None and q.applies_when[0] not in answers
                        for q in QUESTIONS)
    return Progress(position=keys.index(key) + 1, total=len(keys), exact=not open_branches)
