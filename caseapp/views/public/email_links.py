"""The links in registrants' emails: confirming the address, and one-click unsubscribe from
case updates (RFC 8058). Each GET only asks; a POST acts, so mail scanners that open every
link act for nobody."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from caseapp.selectors.messages import submission_unsubscribed
from caseapp.services import contact
from caseapp.services.email import unsubscribe_token_read
from caseapp.views.public.render import render_page


@require_http_methods(["GET", "POST"])
def email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button and POST confirms: mail scanners that open every link in a message
    must not confirm an address on the person's behalf."""
    if request.method == "POST":
        result = contact.submission_email_confirm(token=token)
    else:
        submission = contact.submission_for_confirm_token(token=token)
        result = ("invalid" if submission is None
                  else "already" if submission.email_confirmed_at else "pending")
    heading = {
        "pending": _("Confirm your email address"),
        "invalid": _("This link has expired or is not valid"),
    }.get(result, _("Your email address is confirmed"))
    response = render_page(request, "caseapp/public/email_confirm.html",
                       {"result": result, "heading": heading},
                       status=404 if result == "invalid" else 200)
    # The token is in the URL: keep it out of any Referer the page's links would send.
    response["Referrer-Policy"] = "no-referrer"
    return response


@csrf_exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" with no cookie or token.
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (link scanners must not unsubscribe anyone); POST, from the page's button or
    the mail client's one-click, stops case updates. The signed token is the authority."""
    if request.method == "POST":
        valid = contact.submission_unsubscribe(token=token)
        result = "done" if valid else "invalid"
    elif (submission_id := unsubscribe_token_read(token)) is None:
        result = "invalid"
    else:
        # Opening the link again after unsubscribing says so, rather than asking again.
        result = "done" if submission_unsubscribed(submission_id=submission_id) else "ask"
    response = render_page(request, "caseapp/public/unsubscribe.html", {"result": result},
                       status=404 if result == "invalid" else 200)
    response["Referrer-Policy"] = "no-referrer"
    return response
