"""Django's SMTP backend, keeping the server's reply to each message it accepts.

The reply ("250 2.0.0 Ok: queued as 4Xb1…") is what a postmaster asks for when a registrant
says a message never arrived, so each message row records it. ``smtplib.SMTP.sendmail``
discards it; this backend sends the same commands itself and keeps it.
"""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail.backends.smtp import EmailBackend
from django.core.mail.message import sanitize_address


class ReplyRecordingSMTPBackend(EmailBackend):
    """Sets ``message.smtp_reply`` on each message the server accepts."""

    def _send(self, email_message):
        if not email_message.recipients():
            return False
        encoding = email_message.encoding or settings.DEFAULT_CHARSET
        from_email = sanitize_address(email_message.from_email, encoding)
        recipients = [sanitize_address(a, encoding) for a in email_message.recipients()]
        payload = email_message.message().as_bytes(linesep="\r\n")
        smtp = self.connection
        try:
            smtp.ehlo_or_helo_if_needed()
            code, reply = smtp.mail(from_email)
            if code != 250:
                smtp.rset()
                raise smtplib.SMTPSenderRefused(code, reply, from_email)
            refused = {}
            for recipient in recipients:
                code, reply = smtp.rcpt(recipient)
                if code not in (250, 251):
                    refused[recipient] = (code, reply)
            if len(refused) == len(recipients):
                smtp.rset()
                raise smtplib.SMTPRecipientsRefused(refused)
            code, reply = smtp.data(payload)
            if code != 250:
                smtp.rset()
                raise smtplib.SMTPDataError(code, reply)
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        email_message.smtp_reply = f"{code} {reply.decode('utf-8', 'replace')}"[:500]
        return True
