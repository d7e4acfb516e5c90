"""The review queue: the query it opens with, its search, filters, sort orders and the
columns a row reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Q, QuerySet, Value

from caseapp import crypto, eligibility, review_rules
from caseapp.models import Case, Submission, SubmissionNameToken
from caseapp.references import reference_parse
from caseapp.selectors.case_record import sca_flag_from, sca_flag_from_date
from caseapp.selectors.lists import created_between

#: Sortable queue columns and the field each sorts by. Names are encrypted, so the database
#: cannot sort by them; a descending sort is the column's name with a leading "-".
QUEUE_SORTS = {
    "received": "created_at",
    "reference": "reference",
    "state": "state",
    "outcome": "outcome",
    "review_status": "review_status",
}
QUEUE_DEFAULT_SORT = "-received"

#: The review-status filter's value for all undecided work (new, in review, needs information).
OPEN = "open"
#: A Reviewer's default queue: what is theirs and still undecided, oldest first.
MY_OPEN_ITEMS_QUERY = "review_status=open&assignee=me&sort=received"
#: Where the reviewer's last queue (its query string) is kept in the session.
LAST_QUEUE_SESSION_KEY = "staff_last_queue"


def queue_home_query(*, session, user) -> str:
    """The query string the Submissions link opens: the reviewer's last queue, else "My open
    items" for someone who reviews but does not supervise, else the whole queue."""
    remembered = session.get(LAST_QUEUE_SESSION_KEY, "")
    if remembered:
        return remembered
    if user.has_perm("caseapp.review_submission") and not user.has_perm(
            "caseapp.bulk_update_submission"):
        return MY_OPEN_ITEMS_QUERY
    return ""


@dataclass(frozen=True)
class Search:
    kind: str  # "reference", "email" or "name": what the audit log may record
    condition: Q


def _name_condition(text: str) -> Q:
    """Every word typed must be a word of the name ("smith", "maria smith"), each found by
    one equality seek on the token table's (token_index, submission) index."""
    tokens = crypto.name_tokens(text)
    if not tokens:  # only initials typed: the exact full name, as before tokens existed
        return Q(name_index=crypto.blind_index(crypto.normalise_name(text)))
    condition = Q()
    for token in tokens:
        condition &= Q(id__in=SubmissionNameToken.objects.filter(
            token_index=crypto.name_token_index(token)).values("submission_id"))
    return condition


def submission_search(*, text: str) -> Search | None:
    """Match a full reference, an email, or the words of a name; names and emails only
    through their blind indexes, because the database holds them encrypted."""
    text = text.strip()
    if not text:
        return None
    reference = reference_parse(text)
    if reference is not None:
        return Search("reference", Q(reference=reference))
    if "@" in text:
        return Search("email", Q(email_index=crypto.blind_index(crypto.normalise_email(text))))
    return Search("name", _name_condition(text))


def submission_queue(*, filters: Mapping[str, object], user, case: Case) -> QuerySet:
    """Submissions matching the queue filters (already cleaned by the filter form)."""
    qs = Submission.objects.all()
    if filters.get("search") is not None:
        qs = qs.filter(filters["search"].condition)
    if filters.get("outcome"):
        qs = qs.filter(outcome=filters["outcome"])
    if filters.get("review_status") == OPEN:
        # Open work, as the overview counts it: a registration withdrawn (or erased) while
        # open has nobody left to decide about, and stayed in its reviewer's "My open items"
        # for good. It is still found under its own status.
        qs = qs.filter(review_status__in=sorted(review_rules.OPEN_STATUSES),
                       personal_data_erased_at__isnull=True)
    elif filters.get("review_status"):
        qs = qs.filter(review_status=filters["review_status"])
    assignee = filters.get("assignee")
    if assignee == "me":
        qs = qs.filter(assignee=user)
    elif assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif assignee:
        qs = qs.filter(assignee_id=int(assignee))
    if filters.get("state"):
        qs = qs.filter(state=filters["state"])
    if filters.get("country"):
        qs = qs.filter(answers__country=filters["country"])
    qs = created_between(qs, filters.get("received_from"), filters.get("received_to"))
    if filters.get("duplicate") == "yes":
        # Compared with a value, not as a bare boolean column: SQLite cannot seek an index
        # for ``WHERE possible_duplicate``, only for ``possible_duplicate = 1``.
        qs = qs.filter(possible_duplicate=Value(True))
    elif filters.get("duplicate") == "no":
        qs = qs.filter(possible_duplicate=Value(False))
    if filters.get("email_confirmed") == "yes":
        qs = qs.filter(email_confirmed_at__isnull=False)
    elif filters.get("email_confirmed") == "no":
        qs = qs.filter(email_confirmed_at__isnull=True)
    if filters.get("rules_version"):
        qs = qs.filter(rules_version=filters["rules_version"])
    if filters.get("time_limit") == "flagged":
        qs = qs.filter(time_limit_flagged_q(case=case))
    return qs


def time_limit_flagged_q(*, case: Case) -> Q:
    """``review_rules.time_limit_flagged`` as a condition: received after the two years from
    the start of the period the discovery answer names, or from the case's reference date
    without one (or with "I don't remember")."""
    starts = review_rules.DISCOVERY_PERIOD_START
    key = f"answers__{eligibility.DISCOVERED}"
    condition = Q(created_at__gte=sca_flag_from(case=case)) & (
        Q(**{f"{key}__isnull": True}) | ~Q(**{f"{key}__in": sorted(starts)}))
    earliest = sca_flag_from(case=case)
    for code, start in starts.items():
        condition |= Q(**{key: code}, created_at__gte=sca_flag_from_date(start))
        earliest = min(earliest, sca_flag_from_date(start))
    # The range first, so the received-order index finds the rows (an OR alone scans all).
    return Q(created_at__gte=earliest) & condition


def submission_queue_rows(qs: QuerySet) -> QuerySet:
    """Only what the queue table shows: no email or phone is decrypted for a list."""
    return qs.select_related("assignee").only(
        "id", "reference", "created_at", "full_name", "state", "outcome", "outcome_override",
        "review_status", "assignee__username", "possible_duplicate", "duplicate_of_id",
        "personal_data_erased_at", "answers",
    )


def submissions_contactable(qs: QuerySet) -> QuerySet:
    """The queue's submissions someone can still be contacted about: one whose personal data
    was erased (withdrawn at /manage/, erased on request, purged) stays in the list for the
    counts, but there is no one left to decide about."""
    return qs.filter(personal_data_erased_at__isnull=True)
