"""Composing a message: its texts from the templates in the registrant's language, its
headers and its Message-ID."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from caseapp import crypto
from caseapp.models import Case, Message
from caseapp.services.email import links


@dataclass(frozen=True)
class Composed:
    subject: str
    text: str
    html: str

    def replace(self, old: str, new: str) -> Composed:
        """The same texts with ``old`` replaced by ``new`` in each."""
        return Composed(subject=self.subject.replace(old, new),
                        text=self.text.replace(old, new), html=self.html.replace(old, new))


def message_compose(*, message: Message, extra: dict | None = None) -> Composed:
    """The message's subject, plain text and HTML, in the registrant's language."""
    submission = message.submission
    case = submission.case
    context = {
        "message": message, "submission": submission, "case": case,
        "reference": submission.reference,
        "firm_name": case.firm_name, "firm_email": case.firm_email, "firm_phone": case.firm_phone,
        "status_note": case.status_text(message.language),
        "subject": message.subject, "body": message.body, **(extra or {}),
    }
    if message.kind == Message.Kind.UPDATE and message.update is not None:
        update = message.update
        context.update({
            "subject": update.in_language("subject", message.language),
            "body": update.in_language("body", message.language),
        })
        if "unsubscribe_url" not in context:
            context["unsubscribe_url"] = links.unsubscribe_url(submission=submission)
    context["manage_url"] = links.manage_url()
    if message.kind == Message.Kind.CONFIRMATION:
        context["confirm_days"] = round(settings.CASEAPP_CONFIRM_LINK_DAYS)
        context["confirm_url"] = links.confirm_url(submission=submission)
    template = f"caseapp/email/{message.kind}"
    with translation.override(message.language):
        text = render_to_string(f"{template}.txt", context)
        html = render_to_string(f"{template}.html", context)
    subject, _, text = text.partition("\n")
    return Composed(subject=subject.strip(), text=text.lstrip("\n"), html=html)


def message_headers(*, message: Message) -> dict[str, str]:
    """The headers of a registrant's message: automatic kinds say so, updates are bulk with
    one-click unsubscribe, and every try of one row carries the same Message-ID."""
    headers = {}
    if message.kind != Message.Kind.STAFF:
        headers["Auto-Submitted"] = "auto-generated"
    if message.kind == Message.Kind.UPDATE:
        headers["Precedence"] = "bulk"
        headers.update(links.unsubscribe_headers(submission=message.submission))
    headers["Message-ID"] = message_id_header(message=message)
    return headers


def message_email(*, message: Message, extra: dict | None = None) -> EmailMultiAlternatives:
    """The email for this row, ready for a connection."""
    return email_build(message_compose(message=message, extra=extra),
                       to=message.to_address or message.submission.email,
                       case=message.submission.case,
                       headers=message_headers(message=message))


def email_build(composed: Composed, *, to: str, case: Case,
                headers: dict[str, str]) -> EmailMultiAlternatives:
    """Plain text with an HTML alternative, from the site's address; replies go to the firm."""
    email = EmailMultiAlternatives(
        subject=composed.subject, body=composed.text, from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to], reply_to=[case.firm_email] if case.firm_email else None,
        headers=headers or None,
    )
    email.attach_alternative(composed.html, "text/html")
    return email


def message_id_header(*, message: Message) -> str:
    """The same Message-ID for every try of one message row: a resend after an interrupted
    send can be recognised (and is folded together by mail systems that de-duplicate).

    Unique beyond this database too, as RFC 5322 asks: the row's id alone would come again
    after a database is restored or started afresh, or on another firm's deployment, and a
    mail system that has seen it would drop the new email as a copy. So the id carries a keyed
    hash of itself and the row's creation time."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "caseapp.invalid"
    token = crypto.keyed_digest(f"{message.pk}:{message.created_at.isoformat()}",
                                purpose="message id")[:16]
    return f"<message-{message.pk}.{token}@{domain}>"
