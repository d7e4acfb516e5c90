"""Email to registrants, as one subsystem with one public face.

- ``outbox``: enqueue in the caller's transaction; claim under a lease; deliver; retry with
  backoff; ``unknown`` when the server may have it.
- ``compose`` and ``links``: texts from templates in the registrant's language, headers,
  Message-ID, signed links.
- ``failures``: one classification of SMTP failures for single messages and update lanes.
- ``lanes`` (a case update's delivery) and ``liveness`` (lanes kept alive on our own rows).
- ``recovery``: what a killed worker left behind, above the outbox and the lanes.

Below it: ``services/access_codes.py`` (the sign-in code drawn as its email is sent). Above
it: the features that cause email (intake, registrant, review, updates, staff messages).
Nothing outside this package reads the task backend's tables or its private names.
"""

from caseapp.services.email.compose import Composed, email_build, message_compose
from caseapp.services.email.lanes import lanes_resume, lanes_start
from caseapp.services.email.links import (
    confirm_token_read,
    unsubscribe_token_read,
    unsubscribe_url,
)
from caseapp.services.email.outbox import (
    message_deliver,
    message_enqueue,
    message_requeue,
    retry_delay,
)
from caseapp.services.email.recovery import messages_recover, recovery_schedule

__all__ = [
    "Composed", "confirm_token_read", "email_build", "lanes_resume", "lanes_start",
    "message_compose", "message_deliver", "message_enqueue", "message_requeue",
    "messages_recover", "recovery_schedule", "retry_delay", "unsubscribe_token_read",
    "unsubscribe_url",
]
