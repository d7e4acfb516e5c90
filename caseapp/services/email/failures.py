"""What an SMTP failure means for the message it hit: one classification for single messages
and update lanes alike (docs/decisions.md, "One policy for SMTP failures").

- **Not connected**: the connection could not be opened; nothing reached the server. Retry.
- **Refused for now** (a 4xx reply): the server answered and did not take it. Retry.
- **Refused for good** (a 5xx reply): retrying cannot help. Failed.
- **Dropped** (the connection broke after the message was handed over): the server may have
  taken it. Unknown, never resent by itself: a person gets no message twice; staff can resend.
"""

from __future__ import annotations

import enum
import smtplib
from dataclasses import dataclass


class Outcome(enum.Enum):
    RETRY = "retry"
    FAILED = "failed"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Failure:
    outcome: Outcome
    #: The server's reply or the error, for the row's ``last_reply`` (sealed there).
    reply: str


#: What a backend can raise while talking to a server.
SMTP_ERRORS = (smtplib.SMTPException, OSError)


def failure_classify(exc: BaseException, *, connected: bool) -> Failure:
    """The outcome of ``exc``, raised while connecting (``connected=False``) or while
    sending on an open connection."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, reply = next(iter(exc.recipients.values()))
    elif isinstance(exc, smtplib.SMTPResponseException):
        code, reply = exc.smtp_code, exc.smtp_error
    else:
        text = f"{type(exc).__name__}: {exc}"[:500]
        return Failure(Outcome.UNKNOWN if connected else Outcome.RETRY, text)
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", "replace")
    permanent = 500 <= int(code) < 600
    return Failure(Outcome.FAILED if permanent else Outcome.RETRY, f"{code} {reply}"[:500])
