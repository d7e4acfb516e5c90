"""The staff review workspace: overview, queue, one submission, export, case record, audit."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import wraps
from urllib.parse import quote

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from caseapp import eligibility, selectors, services, wording
from caseapp.forms_staff import (
    AssignForm,
    AuditFilterForm,
    BulkForm,
    CaseForm,
    DuplicateForm,
    EraseForm,
    NoteForm,
    OtpTokenForm,
    QueueFilterForm,
    ReviewForm,
    StaffAuthenticationForm,
)
from caseapp.models import OUTCOME_CHOICES, STATE_CHOICES, Submission

OTP_WRONG_CODE = gettext_lazy(
    "That code did not work. Enter the 6-digit code your authenticator app shows now."
)
CONFLICT_MESSAGE = gettext_lazy(
    "Someone else changed this submission while you were editing, so your change was not "
    "saved. The page now shows the current state. What you entered is kept in the form: "
    "check it against the changes and save again."
)


def _staff_headers(response: HttpResponse) -> HttpResponse:
    # Staff pages show personal data: no copy in any cache, no search engine.
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def staff_view(permission: str, *, second_factor: bool = True) -> Callable:
    """Sign-in and ``permission`` required; anonymous users go to the sign-in page, signed-in
    users without the permission get a 403. The permission is kept on the view so a test can
    prove that every staff URL declares one. With ``second_factor``, a user who has a TOTP
    device (or must have one) is sent to verify (or enrol) first."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return _staff_headers(redirect_to_login(request.get_full_path()))
            if not request.user.has_perm(permission):
                return _staff_headers(render(request, "caseapp/staff/403.html", status=403))
            if second_factor and (step := second_factor_step(request)):
                return _staff_headers(
                    redirect(f"{reverse(step)}?next={quote(request.get_full_path())}")
                )
            return _staff_headers(view(request, *args, **kwargs))

        wrapped.staff_permission = permission
        return wrapped

    return decorator


# --- two-factor sign-in (TOTP) -------------------------------------------------------------
# Whether the user has a device, or must enrol one, is decided once at sign-in and kept in
# the session, so ordinary staff pages cost no extra query.

OTP_SESSION_KEY = "staff_second_factor"


def second_factor_step(request: HttpRequest) -> str | None:
    """The URL name of the step the user must take before staff pages, or None."""
    if request.user.is_verified():
        return None
    state = request.session.get(OTP_SESSION_KEY)
    if state is None:  # a session from before this feature: decide now
        state = second_factor_remember(request, request.user)
    if state == "enrolled":
        return "staff:otp_verify"
    if state == "required":
        return "staff:otp_setup"
    return None


def second_factor_remember(request: HttpRequest, user) -> str:
    """Decide at sign-in (any sign-in: staff, admin, tests) and keep it in the session."""
    state = selectors.staff_second_factor_state(
        user=user, required_for_supervisors=settings.CASEAPP_OTP_REQUIRED_FOR_SUPERVISORS
    )
    request.session[OTP_SESSION_KEY] = state
    return state


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return target
    return reverse("staff:overview")


@staff_view("caseapp.view_submission", second_factor=False)
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    device = selectors.staff_totp_device(user=request.user, confirmed=True)
    if device is None:
        return redirect(_safe_next(request))
    form = OtpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.staff_second_factor_verify(request=request, device=device,
                                               token=form.cleaned_data["token"]):
            return redirect(_safe_next(request))
        form.add_error("token", ValidationError(OTP_WRONG_CODE, code="wrong_code"))
    return render(request, "caseapp/staff/otp_verify.html", {
        "form": form, "next": _safe_next(request),
    })


@staff_view("caseapp.view_submission", second_factor=False)
@require_http_methods(["GET", "POST"])
def otp_setup(request: HttpRequest) -> HttpResponse:
    if selectors.staff_totp_device(user=request.user, confirmed=True) is not None \
            and not request.user.is_verified():
        return redirect(f"{reverse('staff:otp_verify')}?next={quote(_safe_next(request))}")
    device = services.staff_totp_device_pending(user=request.user)
    form = OtpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.staff_second_factor_enrol(request=request, device=device,
                                              token=form.cleaned_data["token"]):
            request.session[OTP_SESSION_KEY] = "enrolled"
            messages.success(request, _("Two-factor sign-in is on for your account."))
            return redirect(_safe_next(request))
        form.add_error("token", ValidationError(OTP_WRONG_CODE, code="wrong_code"))
    return render(request, "caseapp/staff/otp_setup.html", {
        "form": form,
        "next": _safe_next(request),
        "qr_svg": totp_qr_svg(device),
        "secret": base64.b32encode(device.bin_key).decode().rstrip("="),
        "required": request.session.get(OTP_SESSION_KEY) == "required",
    })


def totp_qr_svg(device) -> str:
    """The enrolment QR code drawn on the server as SVG (no script, no other origin)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage,
                        box_size=8, border=2)
    return mark_safe(image.to_string(encoding="unicode"))  # noqa: S308 (our own SVG, no input)


def _htmx_fragment(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


# --- sign in and out -----------------------------------------------------------------------

class StaffLoginView(auth_views.LoginView):
    template_name = "caseapp/staff/login.html"
    authentication_form = StaffAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        step = {"enrolled": "staff:otp_verify", "required": "staff:otp_setup"}.get(
            self.request.session.get(OTP_SESSION_KEY))
        if step:
            return redirect(f"{reverse(step)}?next={quote(self.get_success_url())}")
        return response

    def dispatch(self, request, *args, **kwargs):
        return _staff_headers(super().dispatch(request, *args, **kwargs))


login = StaffLoginView.as_view()
logout = method_decorator(require_POST, name="dispatch")(auth_views.LogoutView).as_view()


# --- overview ------------------------------------------------------------------------------

CHART_WIDTH, CHART_HEIGHT, CHART_TOP, CHART_BOTTOM, CHART_LEFT = 720, 240, 16, 40, 48


def _week_chart(weeks: list[selectors.WeekCount]) -> dict:
    """Bar geometry for the server-drawn SVG chart (no script, no CDN)."""
    peak = max((week.count for week in weeks), default=0) or 1
    plot_height = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    slot = (CHART_WIDTH - CHART_LEFT) / max(len(weeks), 1)
    bars = []
    for i, week in enumerate(weeks):
        height = round(plot_height * week.count / peak, 1)
        bars.append({
            "x": round(CHART_LEFT + i * slot + slot * 0.15, 1),
            "y": round(CHART_TOP + plot_height - height, 1),
            "width": round(slot * 0.7, 1),
            "height": height,
            "label_x": round(CHART_LEFT + i * slot + slot / 2, 1),
            "show_label": (len(weeks) - 1 - i) % 4 == 0,
            "week": week,
        })
    return {
        "bars": bars, "peak": peak if any(w.count for w in weeks) else 0,
        "width": CHART_WIDTH, "height": CHART_HEIGHT, "left": CHART_LEFT,
        "top": CHART_TOP, "baseline": CHART_HEIGHT - CHART_BOTTOM,
        "label_y": CHART_HEIGHT - CHART_BOTTOM + 18,
    }


@staff_view("caseapp.view_submission")
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    counts = selectors.overview_counts()
    weeks = selectors.submissions_per_week(weeks=26)
    return render(request, "caseapp/staff/overview.html", {
        "counts": counts,
        "chart": _week_chart(weeks),
        "weeks": weeks,
        "funnel": selectors.funnel_totals(),
        "exposure": selectors.exposure_estimate(
            accepted=counts["accepted"], open_needs_review=counts["open_needs_review"]),
        "nav": "overview",
    })


# --- the queue -----------------------------------------------------------------------------

QUEUE_COLUMNS = [
    ("reference", gettext_lazy("Reference")),
    ("received", gettext_lazy("Received")),
    (None, gettext_lazy("Name")),
    ("state", gettext_lazy("State")),
    ("outcome", gettext_lazy("Automatic outcome")),
    ("review_status", gettext_lazy("Review status")),
    (None, gettext_lazy("Assignee")),
    (None, gettext_lazy("Duplicate")),
]


def _queue_filter_form(request: HttpRequest) -> QueueFilterForm:
    form = QueueFilterForm(request.GET, reviewers=selectors.staff_reviewers())
    form.is_valid()
    return form


def _queue_queryset(request: HttpRequest, form: QueueFilterForm, case):
    filters = form.filters()
    return filters, selectors.submission_queue(filters=filters, user=request.user, case=case)


def _sort_of(form: QueueFilterForm) -> tuple[str, bool]:
    sort = form.cleaned_data.get("sort") or selectors.QUEUE_DEFAULT_SORT
    return sort.lstrip("-"), sort.startswith("-")


@dataclass(frozen=True)
class QueueRow:
    """What one queue row shows, worked out here rather than by template filters: at 25 to
    100 rows a page, per-row date formatting, URL reversing and display lookups were most
    of the queue's rendering time."""

    reference: str
    url: str
    received_iso: str
    received_text: str
    time_limit: bool
    name: str | None  # None once the person's data was erased
    state: str
    outcome: str
    outcome_label: str
    override_label: str
    status_label: str
    assignee: str
    duplicate: str  # "marked", "possible" or ""


def _queue_rows(rows, *, sca_from) -> list[QueueRow]:
    url = reverse("staff:submission", args=["REFERENCE"])
    outcomes = {value: str(label) for value, label in OUTCOME_CHOICES}
    statuses = {value: str(label) for value, label in Submission.ReviewStatus.choices}
    shown = []
    for row in rows:
        local = timezone.localtime(row.created_at)
        shown.append(QueueRow(
            reference=row.reference, url=url.replace("REFERENCE", row.reference),
            received_iso=local.isoformat(), received_text=local.strftime("%Y-%m-%d %H:%M"),
            time_limit=row.created_at >= sca_from,
            name=None if row.personal_data_erased_at else Truncator(row.full_name).chars(80),
            state=row.state, outcome=row.outcome, outcome_label=outcomes[row.outcome],
            override_label=outcomes.get(row.outcome_override, ""),
            status_label=statuses.get(row.review_status, row.review_status),
            assignee=row.assignee.username if row.assignee else "",
            duplicate=("marked" if row.duplicate_of_id
                       else "possible" if row.possible_duplicate else ""),
        ))
    return shown


def _columns(sort_key: str, descending: bool) -> list[dict]:
    columns = []
    for key, label in QUEUE_COLUMNS:
        column = {"key": key, "label": label, "aria_sort": None, "next": None}
        if key is not None:
            current = key == sort_key
            if current:
                column["aria_sort"] = "descending" if descending else "ascending"
            # A first click sorts newest/Z first for dates, A first for the rest.
            first = f"-{key}" if key == "received" else key
            column["next"] = (key if descending else f"-{key}") if current else first
        columns.append(column)
    return columns


@staff_view("caseapp.view_submission")
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    case = selectors.case_for_request(request)
    form = _queue_filter_form(request)
    filters, qs = _queue_queryset(request, form, case)
    if filters["search"] is not None:
        services.audit_record(actor=request.user, action="submission.search", request=request,
                              details={"kind": filters["search"].kind})
    sort_key, descending = _sort_of(form)
    per_page = form.cleaned_data.get("per_page") or 25
    page = selectors.keyset_page(
        selectors.submission_queue_rows(qs), sort_field=selectors.QUEUE_SORTS[sort_key],
        descending=descending, per_page=per_page,
        after=request.GET.get("after", "")[:500], before=request.GET.get("before", "")[:500],
    )
    if not (page.next_cursor or page.previous_cursor):
        count, more = len(page.rows), False  # all of it is on this page: no COUNT to run
    else:
        count, more = selectors.count_bounded(qs)
    can_bulk = request.user.has_perm("caseapp.bulk_update_submission")
    context = {
        "form": form,
        "page": page,
        "count": count,
        "count_more": more,
        "columns": _columns(sort_key, descending),
        "rows": _queue_rows(page.rows, sca_from=selectors.sca_flag_from(case=case)),
        "can_bulk": can_bulk,
        "can_export": request.user.has_perm("caseapp.export_submission"),
        "bulk_form": (BulkForm(reviewers=form.reviewers.values(), auto_id="bulk-%s")
                      if can_bulk else None),
        "review_statuses": Submission.ReviewStatus.choices,
        "rules_versions": [eligibility.RULES_VERSION],
        "nav": "queue",
    }
    template = "caseapp/staff/queue.html"
    if _htmx_fragment(request):
        template = "caseapp/staff/_queue_results.html"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _queue_url(next_url: str, request: HttpRequest) -> str:
    queue_path = reverse("staff:queue")
    if next_url.startswith(queue_path) and url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}):
        return next_url
    return queue_path


@staff_view("caseapp.bulk_update_submission")
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    form = BulkForm(request.POST, reviewers=selectors.staff_reviewers())
    back = _queue_url(request.POST.get("next", ""), request)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    data = form.cleaned_data
    try:
        result = services.submission_bulk_update(
            actor=request.user, references=data["references"], action=data["action"],
            assignee=data.get("assignee_user"), review_status=data.get("review_status", ""),
            request=request,
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(back)
    text = _("%(updated)d submissions updated.") % {"updated": result.updated}
    if result.skipped:
        text += " " + _(
            "%(skipped)d left unchanged: they were already so, or the review workflow does "
            "not allow that status from where they are."
        ) % {"skipped": result.skipped}
    messages.success(request, text)
    return redirect(back)


# --- export --------------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value) -> str:
    """Text a spreadsheet will show, not run (OWASP CSV injection): a leading ' disarms it."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


EXPORT_COLUMNS = [
    "reference", "received_at", "full_name", "email", "phone", "state", "language",
    "outcome", "outcome_override", "effective_outcome", "review_status", "assignee",
    "possible_duplicate", "duplicate_of", "sca_time_limit_flag", "estimated_damages",
    "rules_version", "consent_version", "attestation_version", "notice_version",
]


_NEEDS_QUOTES = re.compile(r'[",\r\n]')


def csv_cell(value: str) -> str:
    """One CSV cell as Python's csv module writes it (minimal quoting)."""
    return '"' + value.replace('"', '""') + '"' if _NEEDS_QUOTES.search(value) else value


def _export_lines(rows) -> Iterator[str]:
    """CSV text from ``selectors.export_values``, a thousand rows at a time. The database
    wrote the vocabulary columns; here the sealed values are opened, and each typed value is
    disarmed for spreadsheets and quoted."""
    keys = [q.key for q in eligibility.QUESTIONS]
    lines = [",".join(EXPORT_COLUMNS + keys) + "\r\n"]
    name, email, phone = (Submission._meta.get_field(f).open
                          for f in ("full_name", "email", "phone"))
    safe, cell = spreadsheet_safe, csv_cell
    for head, name_token, email_token, phone_token, middle, assignee, tail in \
            selectors.stream_values(rows):
        # Only people and staff type names, emails, phones and usernames; every other value
        # comes from the app's own vocabularies, so only these can start a formula.
        lines.append(f"{head},{cell(safe(name(name_token)))},{cell(safe(email(email_token)))},"
                     f"{cell(safe(phone(phone_token)))},{middle},{cell(safe(assignee))},"
                     f"{tail}\r\n")
        if len(lines) == 1000:  # one write to the socket per thousand rows
            yield "".join(lines)
            lines.clear()
    yield "".join(lines)


@staff_view("caseapp.export_submission")
@require_GET
def export(request: HttpRequest) -> StreamingHttpResponse:
    case = selectors.case_for_request(request)
    form = _queue_filter_form(request)
    filters, qs = _queue_queryset(request, form, case)
    sort_key, descending = _sort_of(form)
    field = selectors.QUEUE_SORTS[sort_key]
    order = [f"-{f}" if descending else f for f in dict.fromkeys([field, "created_at", "id"])]
    rows = selectors.export_values(qs.order_by(*order),
                                   sca_from=selectors.sca_flag_from(case=case))
    services.audit_record(actor=request.user, action="submission.export", request=request,
                          details={"rows": qs.count(), "filters": _audit_filters(filters)})
    response = StreamingHttpResponse(
        _export_lines(rows),
        content_type="text/csv; charset=utf-8",
    )
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="submissions-{stamp}.csv"'
    return response


def _audit_filters(filters: dict) -> dict:
    """The filters an export used, minus any searched text (it may be a person's email)."""
    kept = {}
    for key, value in filters.items():
        if key in ("q", "search", "per_page") or value in (None, ""):
            continue
        kept[key] = str(value)
    if filters.get("search") is not None:
        kept["search"] = filters["search"].kind
    return kept


# --- one submission ------------------------------------------------------------------------

def _submission_or_404(reference: str) -> Submission:
    try:
        return selectors.submission_for_staff(reference=reference)
    except Submission.DoesNotExist:
        raise Http404(_("No submission has this reference.")) from None


def _determination_rows(submission: Submission) -> list[dict]:
    try:
        determination = eligibility.evaluate(submission.answers)
    except ValueError:
        return []
    rows = []
    for finding in determination.findings:
        q = eligibility.question(finding.criterion)
        rows.append({
            "key": q.key,
            "question": _(q.text),
            "code": finding.code or "",
            "answer": _(q.choice(finding.code).label) if finding.code else _("Not answered"),
            "status": finding.status.value,
            "explanation": _(finding.explanation),
        })
    return rows


def _timeline(submission: Submission) -> list:
    """Timeline events with their values in words (statuses and outcomes are stored as codes)."""
    words = {
        "status": dict(Submission.ReviewStatus.choices),
        "override": dict(OUTCOME_CHOICES),
    }
    events = selectors.submission_timeline(submission=submission)
    for event in events:
        labels = words.get(event.kind, {})
        event.from_label = labels.get(event.from_value, event.from_value)
        event.to_label = labels.get(event.to_value, event.to_value)
    return events


def _detail(request: HttpRequest, submission: Submission, *, status: int = 200,
            **forms) -> HttpResponse:
    can_review = request.user.has_perm("caseapp.review_submission")
    case = selectors.case_for_request(request)
    labels = dict(OUTCOME_CHOICES)
    context = {
        "submission": submission,
        "state_label": dict(STATE_CHOICES).get(submission.state, submission.state),
        "automatic_outcome_label": labels.get(submission.outcome, submission.outcome),
        "effective_outcome_label": labels.get(submission.effective_outcome,
                                              submission.effective_outcome),
        "findings": _determination_rows(submission),
        "rules_current": submission.rules_version == eligibility.RULES_VERSION,
        "current_rules_version": eligibility.RULES_VERSION,
        "wordings": [
            (_("Consent to contact"), submission.consent_version, wording.CONSENT_CONTACT),
            (_("Attestation"), submission.attestation_version, wording.ATTESTATION),
            (_("Privacy notice"), submission.notice_version, wording.PRIVACY_NOTICE),
        ],
        "sca_flagged": submission.created_at >= selectors.sca_flag_from(case=case),
        "sca_reference_date": case.sca_reference_date,
        "timeline": _timeline(submission),
        "duplicates": selectors.submission_possible_duplicates(submission=submission),
        "can_review": can_review,
        "nav": "queue",
    }
    if request.user.has_perm("caseapp.erase_submission") \
            and not submission.personal_data_erased_at:
        context["erase_form"] = forms.get("erase_form") or EraseForm()
    if can_review:
        context.update({
            "review_form": forms.get("review_form") or ReviewForm(submission=submission),
            # Only a reviewer's page lists the reviewers, and only when it has no form yet.
            "assign_form": forms.get("assign_form") or AssignForm(
                submission=submission, reviewers=selectors.staff_reviewers()),
            "note_form": forms.get("note_form") or NoteForm(),
            "duplicate_form": forms.get("duplicate_form"),
        })
    return render(request, "caseapp/staff/submission.html", context, status=status)


@staff_view("caseapp.view_submission")
@require_GET
def submission_detail(request: HttpRequest, reference: str) -> HttpResponse:
    submission = _submission_or_404(reference)
    services.audit_record(actor=request.user, action="submission.view",
                          target=submission.reference, request=request)
    return _detail(request, submission)


@staff_view("caseapp.erase_submission")
@require_POST
def erase(request: HttpRequest, reference: str) -> HttpResponse:
    submission = _submission_or_404(reference)
    form = EraseForm(request.POST)
    if form.is_valid():
        services.submission_erase_personal_data(
            submission=submission, actor=request.user, reason=form.cleaned_data["reason"],
            request=request,
        )
        messages.success(request, _("The personal data was deleted. The anonymous record "
                                    "stays for the counts."))
        return redirect("staff:submission", reference=submission.reference)
    return _detail(request, submission, status=400, erase_form=form)


def _conflict(request, error: services.StaleEditError, form_name: str, form) -> HttpResponse:
    """Re-show the page at its current state with the reviewer's input kept, unsaved."""
    messages.error(request, CONFLICT_MESSAGE)
    current = selectors.submission_for_staff(reference=error.current.reference)
    kept = {**form.cleaned_data, "version": current.version}
    forms = {}
    if form_name == "review_form":
        forms[form_name] = ReviewForm(submission=current, initial=kept)
    elif form_name == "assign_form":
        forms[form_name] = AssignForm(submission=current, reviewers=selectors.staff_reviewers(),
                                      initial=kept)
    return _detail(request, current, status=409, **forms)


@staff_view("caseapp.review_submission")
@require_POST
def review(request: HttpRequest, reference: str) -> HttpResponse:
    submission = _submission_or_404(reference)
    form = ReviewForm(request.POST, submission=submission)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.submission_review(
                submission=submission, actor=request.user, expected_version=data["version"],
                review_status=data["review_status"], outcome_override=data["outcome_override"],
                override_reason=data["override_reason"], request=request,
            )
        except services.StaleEditError as error:
            return _conflict(request, error, "review_form", form)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Review saved."))
            return redirect("staff:submission", reference=submission.reference)
    return _detail(request, submission, review_form=form)


@staff_view("caseapp.review_submission")
@require_POST
def assign(request: HttpRequest, reference: str) -> HttpResponse:
    submission = _submission_or_404(reference)
    form = AssignForm(request.POST, submission=submission,
                      reviewers=selectors.staff_reviewers())
    if form.is_valid():
        try:
            services.submission_assign(
                submission=submission, actor=request.user,
                expected_version=form.cleaned_data["version"],
                assignee=form.cleaned_data["assignee"], request=request,
            )
        except services.StaleEditError as error:
            return _conflict(request, error, "assign_form", form)
        messages.success(request, _("Assignment saved."))
        return redirect("staff:submission", reference=submission.reference)
    return _detail(request, submission, assign_form=form)


@staff_view("caseapp.review_submission")
@require_POST
def note(request: HttpRequest, reference: str) -> HttpResponse:
    submission = _submission_or_404(reference)
    form = NoteForm(request.POST)
    if form.is_valid():
        services.submission_note_add(submission=submission, actor=request.user,
                                     text=form.cleaned_data["text"], request=request)
        messages.success(request, _("Note added."))
        return redirect(reverse("staff:submission", args=[submission.reference]) + "#timeline")
    return _detail(request, submission, note_form=form)


@staff_view("caseapp.review_submission")
@require_POST
def duplicate(request: HttpRequest, reference: str) -> HttpResponse:
    submission = _submission_or_404(reference)
    form = DuplicateForm(request.POST, submission=submission)
    if form.is_valid():
        try:
            services.submission_mark_duplicate(
                submission=submission, actor=request.user,
                expected_version=form.cleaned_data["version"],
                duplicate_of=form.cleaned_data["duplicate_of"], request=request,
            )
        except services.StaleEditError:
            messages.error(request, CONFLICT_MESSAGE)
            return redirect("staff:submission", reference=submission.reference)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Duplicate mark saved."))
            return redirect(reverse("staff:submission", args=[submission.reference])
                            + "#duplicates")
    return _detail(request, submission, duplicate_form=form)


# --- the case record -----------------------------------------------------------------------

@staff_view("caseapp.change_case")
@require_http_methods(["GET", "POST"])
def case_record(request: HttpRequest) -> HttpResponse:
    case = selectors.case_for_request(request)
    status = 200
    if request.method == "POST":
        form = CaseForm(request.POST, instance=selectors.case_for_request(request))
        if form.is_valid():
            changes = {field: form.cleaned_data[field] for field in form.Meta.fields}
            try:
                services.case_update(case=case, actor=request.user,
                                     expected_updated_at=form.cleaned_data["loaded_at"],
                                     changes=changes, request=request)
            except services.StaleEditError as error:
                messages.error(request, _(
                    "Someone else saved the case record while you were editing, so your "
                    "changes were not saved. The form still shows what you entered; the "
                    "current saved values are listed above it. Check them and save again."))
                current = error.current
                form = CaseForm(initial={**changes, "loaded_at": current.updated_at},
                                instance=current)
                return render(request, "caseapp/staff/case.html", {
                    "form": form, "case_saved": current, "conflict": True, "nav": "case",
                }, status=409)
            messages.success(request, _("Case record saved. The public pages show it now."))
            return redirect("staff:case")
    else:
        form = CaseForm(instance=case)
    return render(request, "caseapp/staff/case.html", {
        "form": form, "case_saved": case, "conflict": False, "nav": "case",
    }, status=status)


# --- the audit log -------------------------------------------------------------------------

@staff_view("caseapp.view_auditevent")
@require_GET
def audit(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    form.is_valid()
    page = selectors.keyset_page(
        selectors.audit_events(filters=form.filters()), sort_field="created_at",
        descending=True, per_page=50,
        after=request.GET.get("after", "")[:500], before=request.GET.get("before", "")[:500],
    )
    for event in page.rows:
        event.action_label = selectors.AUDIT_ACTIONS.get(event.action, event.action)
        event.details_text = json.dumps(event.details, sort_keys=True, ensure_ascii=False)
    return render(request, "caseapp/staff/audit.html", {
        "form": form, "page": page, "actions": selectors.AUDIT_ACTIONS, "nav": "audit",
    })
