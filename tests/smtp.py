"""A real SMTP server on loopback (aiosmtpd) for the email tests, and a way to run the worker.

The server keeps every message it accepts, so a test reads what a registrant would receive;
``refuse_next`` makes it answer the next DATA commands with a given reply instead.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller


@dataclass
class Received:
    envelope_from: str
    envelope_to: list[str]
    message: email.message.EmailMessage
    #: The client's address and port: messages sent on one SMTP connection share it.
    connection: str = ""

    def part(self, content_type: str) -> str:
        for part in self.message.walk():
            if part.get_content_type() == content_type:
                return part.get_content()
        raise LookupError(content_type)

    @property
    def text(self) -> str:
        return self.part("text/plain")

    @property
    def html(self) -> str:
        return self.part("text/html")


@dataclass
class Mailbox:
    messages: list[Received] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    #: How many of the next messages are taken and then answered by a dropped connection.
    drops: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def refuse_next(self, count: int, reply: str = "451 4.3.0 Try again later") -> None:
        with self.lock:
            self.refusals.extend([reply] * count)

    def drop_after_taking_next(self, count: int) -> None:
        """The server keeps the next ``count`` messages but the connection breaks before its
        reply: the sender cannot know they arrived."""
        with self.lock:
            self.drops += count

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.envelope_to]

    # aiosmtpd handler hook
    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.refusals:
                return self.refusals.pop(0)
            self.messages.append(Received(
                envelope_from=envelope.mail_from, envelope_to=list(envelope.rcpt_tos),
                message=email.message_from_bytes(envelope.content, policy=email.policy.default),
                connection=f"{session.peer[0]}:{session.peer[1]}",
            ))
            number = len(self.messages)
            if self.drops:
                self.drops -= 1
                server.transport.close()
                return "421 4.4.2 connection dropped"
        return f"250 2.0.0 Ok: queued as TEST{number}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SMTPServer:
    def __init__(self):
        self.mailbox = Mailbox()
        self.port = free_port()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    def start(self) -> SMTPServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


def run_worker() -> None:
    """Run every task that is due, in this process, then return (db_worker --batch, without
    the signal handlers it would install in the test process)."""
    from unittest import mock

    from django_tasks_db.management.commands import db_worker

    worker = db_worker.Worker(
        queue_names=["default"], interval=0, batch=True, backend_name="default",
        startup_delay=False, max_tasks=None, worker_id="test-worker", excluded_queue_names=[])
    # The worker closes "old" connections between tasks; the test's connection holds the
    # test's transaction, so it must stay open.
    with mock.patch.object(db_worker, "close_old_connections"):
        worker.run()


def tasks_due_now() -> int:
    """Make every waiting task (a retry's backoff) due now; returns how many."""
    from django.utils import timezone
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(status=TaskResultStatus.READY).update(
        run_after=timezone.now())


def worker_process(*, smtp_port: int, site_url: str = "http://testserver",
                   extra_env: dict | None = None):
    """``manage.py db_worker`` in its own process, on this test run's database, sending to
    the loopback SMTP server. The caller stops it (SIGTERM) or kills it (SIGKILL)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from django.conf import settings
    from django.db import connection

    env = {k: v for k, v in os.environ.items() if not k.startswith(("EMAIL_", "CASEAPP_"))}
    name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        database_url = f"sqlite:///{name}"
    else:
        database_url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + f"/{name}"
    env.update({
        "DATABASE_URL": database_url,
        "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp_port),
        "DEFAULT_FROM_EMAIL": "Intake <intake@firm.example>",
        "CASEAPP_SITE_URL": site_url,
        # The keys this test seals with (the environment's, or the field_keys fixture's).
        "CASEAPP_FIELD_KEYS": ",".join(settings.FIELD_KEYS),
        "CASEAPP_BLIND_INDEX_KEY": settings.BLIND_INDEX_KEY,
        **(extra_env or {}),
    })
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--interval", "0.1",
         "--no-startup-delay", "--verbosity", "0"],
        cwd=Path(__file__).resolve().parent.parent, env=env)
