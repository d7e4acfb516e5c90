#!/usr/bin/env python
"""Measure a case update to many registrants: delivery rate, worker memory, and what is left
after killing a worker mid-send (issue 13).

``.venv/bin/python scripts/bench_updates.py`` (``--count 100000`` by default) does:

1. a scratch PostgreSQL database ``caseapp_bench_updates`` on the server ``DATABASE_URL``
   names (never that database itself; dropped and made anew each run), migrated and seeded with
   ``--count`` demo submissions (``seed_demo``: fake people, 8 % registered in Spanish);
2. a real SMTP server (aiosmtpd) on a free port of 127.0.0.1 in this process, keeping the
   Message-ID and recipient of every message it accepts;
3. a case update to everyone (``update_send``: one row per recipient), then ``--workers``
   ``manage.py db_worker`` processes with production settings sending it; the resident memory
   of each worker is sampled every half second;
4. ``--kills`` times, when a share of the rows is sent, one worker is killed with SIGKILL and
   started again;
5. when the update is done: the reconciliation of the database against what the server
   received. Rows the kills left *unknown* are settled as an operator would: those the server
   received count as delivered, the rest are resent (same Message-ID) and waited for. Then
   every recipient must have exactly one message: nothing lost, nothing twice.

It prints a table, writes ``bench-results/bench-updates.json`` and exits non-zero when a target
is missed. Traffic goes to 127.0.0.1 only; every wait is bounded.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "bench-results"
SCRATCH_DB = "caseapp_bench_updates"
HOST = "127.0.0.1"
TARGETS = {"messages_per_s": 200, "worker_peak_mb": 150}


def log(message: str) -> None:
    print(f"[bench-updates {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- the SMTP server ---------------------------------------------------------------------------

class Received:
    """What the server accepted: Message-IDs and recipients, counted (never the bodies)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_message_id: Counter[str] = Counter()
        self.by_recipient: Counter[str] = Counter()
        self.first = self.last = 0.0

    @property
    def total(self) -> int:
        return sum(self.by_message_id.values())

    async def handle_DATA(self, server, session, envelope):
        message_id = ""
        for line in envelope.content.split(b"\r\n"):
            if not line:
                break  # end of the headers
            if line[:11].lower() == b"message-id:":
                # <message-{row id}.{keyed hash}@domain> (email/compose.py)
                message_id = line[11:].strip().decode("ascii", "replace")
                message_id = message_id.removeprefix("<message-").partition(".")[0]
        now = time.monotonic()
        with self.lock:
            self.by_message_id[message_id] += 1
            for recipient in envelope.rcpt_tos:
                self.by_recipient[recipient.lower()] += 1
            self.first = self.first or now
            self.last = now
        return "250 2.0.0 Ok: queued"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_smtp(received: Received, port: int):
    from aiosmtpd.controller import Controller

    controller = Controller(received, hostname=HOST, port=port)
    controller.start()
    return controller


# --- the database and the app ------------------------------------------------------------------

def scratch_url(server_url: str) -> tuple[str, str]:
    parts = urlsplit(server_url)
    url = urlunsplit((parts.scheme, parts.netloc, f"/{SCRATCH_DB}", parts.query, ""))
    admin = urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))
    return url, admin


def recreate_database(admin_url: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{SCRATCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{SCRATCH_DB}"')


def drop_database(admin_url: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{SCRATCH_DB}" WITH (FORCE)')


def app_environment(database_url: str, smtp_port: int, args) -> dict[str, str]:
    from cryptography.fernet import Fernet

    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("DJANGO_", "CASEAPP_", "EMAIL_"))
           and key not in ("DATABASE_URL", "REDIS_URL")}
    env.update({
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "CASEAPP_FIELD_KEYS": Fernet.generate_key().decode(),
        "CASEAPP_BLIND_INDEX_KEY": secrets.token_urlsafe(32),
        "CASEAPP_FIELD_KEY_FILE": str(Path(tempfile.gettempdir()) / "bench-updates-no-keys"),
        "DATABASE_URL": database_url,
        "EMAIL_HOST": HOST, "EMAIL_PORT": str(smtp_port),
        "DEFAULT_FROM_EMAIL": "Firm intake <intake@firm.example>",
        "CASEAPP_UPDATE_BATCH": str(args.batch),
        "CASEAPP_UPDATE_LANES": str(args.lanes),
        "CASEAPP_UPDATE_RATE": "0",
        # Short leases, so a killed worker's batch is taken over within seconds.
        "CASEAPP_EMAIL_LEASE_SECONDS": str(args.lease),
        "CASEAPP_RECOVER_SECONDS": str(args.lease),
    })
    return env


def manage(env: dict, *args: str, timeout: float = 3600) -> str:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env,
                            capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)[:80]} failed:\n{result.stdout}\n"
                         f"{result.stderr[-3000:]}")
    return result.stdout


SEND_CODE = """
import time
from django.contrib.auth.models import Group, User
from caseapp.selectors.case_record import case_current
from caseapp.services.updates import update_send
user, _ = User.objects.get_or_create(username="bench-supervisor")
user.groups.add(Group.objects.get(name="Supervisor"))
started = time.perf_counter()
update = update_send(case=case_current(), actor=user, audience={},
                     subject="The case was refiled", body="The case was filed again today.",
                     subject_es="El caso se volvió a presentar", body_es="Hoy se presentó.")
print(f"BENCH_UPDATE {update.pk} {update.recipients} {time.perf_counter() - started:.3f}")
"""

RESEND_CODE = """
import sys
from django.contrib.auth.models import User
from caseapp.models import Message
from caseapp.services.staff_messages import message_resend
user = User.objects.get(username="bench-supervisor")
ids = [int(x) for x in sys.stdin.read().split()]
for message in Message.objects.filter(pk__in=ids).select_related("submission"):
    message_resend(message=message, actor=user)
print(f"BENCH_RESENT {len(ids)}")
"""


class Database:
    """Read-only views of the scratch database for the progress loop and the reconciliation."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.conn = psycopg.connect(url, autocommit=True, connect_timeout=10)

    def statuses(self, update_id: int) -> dict[str, int]:
        rows = self.conn.execute(
            "SELECT status, count(*) FROM caseapp_message WHERE update_id = %s GROUP BY status",
            [update_id]).fetchall()
        return dict(rows)

    def update_status(self, update_id: int) -> str:
        return self.conn.execute("SELECT status FROM caseapp_caseupdate WHERE id = %s",
                                 [update_id]).fetchone()[0]

    def rows(self, update_id: int) -> list[tuple[int, str]]:
        return self.conn.execute(
            "SELECT id, status FROM caseapp_message WHERE update_id = %s", [update_id]
        ).fetchall()


# --- workers -------------------------------------------------------------------------------------

class Workers:
    def __init__(self, env: dict, count: int) -> None:
        self.env = env
        self.processes: list[subprocess.Popen] = [self._start() for _ in range(count)]
        self.peak_kb: dict[int, int] = {}
        self.samples = 0
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()

    def _start(self) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--no-reload", "--interval", "0.2",
             "--no-startup-delay", "--verbosity", "0"],
            cwd=BASE_DIR, env=self.env)

    def _sample(self) -> None:
        while not self._stop.wait(0.5):
            for process in list(self.processes):
                with contextlib.suppress(OSError, ValueError):
                    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
                        if line.startswith("VmRSS:"):
                            kb = int(line.split()[1])
                            self.peak_kb[process.pid] = max(self.peak_kb.get(process.pid, 0), kb)
            self.samples += 1

    def kill_one(self) -> int:
        victim = self.processes[-1]
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
        self.processes[-1] = self._start()
        return victim.pid

    def stop(self) -> None:
        self._stop.set()
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


# --- the run -------------------------------------------------------------------------------------

def wait_until(predicate, timeout: float, interval: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def run(args) -> dict:
    server_url = args.database_url or os.environ.get("DATABASE_URL", "")
    if not server_url.startswith("postgres"):
        raise SystemExit("bench_updates needs PostgreSQL: DATABASE_URL=postgres://user@host/db")
    url, admin_url = scratch_url(server_url)
    received = Received()
    port = free_port()
    smtp = start_smtp(received, port)
    env = app_environment(url, port, args)
    result: dict = {"count": args.count, "workers": args.workers, "lanes": args.lanes,
                    "batch": args.batch, "kills": args.kills}
    log(f"scratch database {SCRATCH_DB}: migrate and seed {args.count:,} registrants")
    recreate_database(admin_url)
    workers = None
    try:
        manage(env, "migrate", "--noinput")
        started = time.monotonic()
        manage(env, "seed_demo", "--count", str(args.count), "--weeks", "52", "--seed",
               "20250130", "--force", timeout=7200)
        result["seed_seconds"] = round(time.monotonic() - started, 1)
        db = Database(url)
        db.conn.execute("VACUUM (ANALYZE) caseapp_submission")
        output = manage(env, "shell", "-c", SEND_CODE)
        _tag, update_id, recipients, seconds = next(
            line for line in output.splitlines() if line.startswith("BENCH_UPDATE")).split()
        update_id, recipients = int(update_id), int(recipients)
        result.update(recipients=recipients, create_seconds=float(seconds))
        log(f"update {update_id}: {recipients:,} recipient rows in {float(seconds):.1f} s; "
            f"starting {args.workers} workers")
        sent_start = time.monotonic()
        workers = Workers(env, args.workers)
        kills = []
        for share in [(i + 1) / (args.kills + 1) for i in range(args.kills)]:
            threshold = int(recipients * share * 0.9)
            if not wait_until(lambda t=threshold: received.total >= t, args.timeout):
                raise SystemExit(f"stalled before {threshold:,} messages were received")
            pid = workers.kill_one()
            kills.append({"at_received": received.total, "pid": pid})
            log(f"killed worker {pid} at {received.total:,} received; started another")

        def done() -> bool:
            return db.update_status(update_id) == "done"

        finished = wait_until(done, args.timeout, interval=1)
        elapsed = time.monotonic() - sent_start
        statuses = db.statuses(update_id)
        result.update(finished=finished, kills_done=kills, send_seconds=round(elapsed, 1),
                      statuses=statuses)
        if received.last > received.first:
            result["messages_per_s"] = round(received.total / (received.last - received.first))
        result["worker_peak_mb"] = round(max(workers.peak_kb.values(), default=0) / 1024, 1)
        result["worker_peaks_mb"] = sorted(round(kb / 1024, 1)
                                           for kb in workers.peak_kb.values())
        log(f"done={finished} in {elapsed:.0f} s; statuses {statuses}; "
            f"{result.get('messages_per_s')} msg/s; peak worker RSS {result['worker_peak_mb']} MB")
        result["reconciliation"] = reconcile(db, update_id, received, env, workers, args)
    finally:
        if workers is not None:
            workers.stop()
        smtp.stop()
        if not args.keep:
            with contextlib.suppress(Exception):
                drop_database(admin_url)
    return result


def message_id(row_id: int) -> str:
    """What ``Received`` counts a message under: its row's id, read from its Message-ID."""
    return str(row_id)


def reconcile(db: Database, update_id: int, received: Received, env: dict, workers: Workers,
              args) -> dict:
    """The database's account against the server's, then the unknown rows settled."""
    rows = db.rows(update_id)
    by_status: dict[str, list[int]] = {}
    for row_id, status in rows:
        by_status.setdefault(status, []).append(row_id)
    ids = {row_id for row_id, _status in rows}
    twice = [mid for mid, n in received.by_message_id.items() if n > 1]
    foreign = [mid for mid in received.by_message_id
               if not mid.isdigit() or int(mid) not in ids]
    sent_not_received = [i for i in by_status.get("sent", [])
                         if received.by_message_id[message_id(i)] == 0]
    unknown = by_status.get("unknown", [])
    unknown_received = [i for i in unknown if received.by_message_id[message_id(i)] == 1]
    unknown_lost = [i for i in unknown if received.by_message_id[message_id(i)] == 0]
    account = {
        "rows": len(rows), "received": received.total,
        "sent_rows": len(by_status.get("sent", [])), "unknown_rows": len(unknown),
        "other_rows": {s: len(v) for s, v in by_status.items() if s not in ("sent", "unknown")},
        "received_twice": len(twice), "received_not_in_update": len(foreign),
        "sent_but_not_received": len(sent_not_received),
        "unknown_received": len(unknown_received), "unknown_not_received": len(unknown_lost),
    }
    log(f"reconciliation: {account}")
    if unknown_lost:
        # What an operator does: resend the unknown rows the server never took.
        log(f"resending {len(unknown_lost)} unknown rows the server never received")
        subprocess.run([sys.executable, "manage.py", "shell", "-c", RESEND_CODE], cwd=BASE_DIR,
                       env=env, input=" ".join(map(str, unknown_lost)), text=True, check=True,
                       capture_output=True, timeout=300)
        wait_until(lambda: all(received.by_message_id[message_id(i)] for i in unknown_lost),
                   120)
    final = Counter()
    for row_id in ids:
        final[received.by_message_id[message_id(row_id)]] += 1
    account["after_settling"] = {"exactly_once": final[1], "never": final[0],
                                 "more_than_once": sum(n for k, n in final.items() if k > 1)}
    account["every_recipient_exactly_once"] = final[1] == len(ids)
    log(f"after settling: {account['after_settling']}")
    return account


def print_report(result: dict) -> None:
    rec = result.get("reconciliation", {})
    lines = [
        ("registrants (recipient rows)", f"{result.get('recipients', 0):,}"),
        ("rows made by update_send", f"{result.get('create_seconds')} s"),
        ("workers / lanes / batch", f"{result['workers']} / {result['lanes']} / "
                                    f"{result['batch']}"),
        ("send time incl. kills", f"{result.get('send_seconds')} s"),
        ("messages per second (server)", f"{result.get('messages_per_s')} "
                                         f"(target ≥ {TARGETS['messages_per_s']})"),
        ("peak worker RSS", f"{result.get('worker_peak_mb')} MB (target < "
                            f"{TARGETS['worker_peak_mb']}); all: {result.get('worker_peaks_mb')}"),
        ("workers killed (SIGKILL)", str(len(result.get("kills_done", [])))),
        ("rows sent / unknown", f"{rec.get('sent_rows')} / {rec.get('unknown_rows')}"),
        ("received twice", str(rec.get("received_twice"))),
        ("sent but not received", str(rec.get("sent_but_not_received"))),
        ("unknown: received / not", f"{rec.get('unknown_received')} / "
                                    f"{rec.get('unknown_not_received')} (resent)"),
        ("every recipient exactly once", str(rec.get("every_recipient_exactly_once"))),
    ]
    width = max(len(label) for label, _value in lines)
    print()
    for label, value in lines:
        print(f"  {label.ljust(width)}  {value}")
    print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--lanes", type=int, default=4)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--kills", type=int, default=2)
    parser.add_argument("--lease", type=int, default=10)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    result = run(args)
    result["machine"] = {"cpus": os.cpu_count(), "python": sys.version.split()[0]}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bench-updates.json").write_text(json.dumps(result, indent=2))
    print_report(result)
    rec = result.get("reconciliation", {})
    ok = (result.get("finished") and rec.get("every_recipient_exactly_once")
          and rec.get("received_twice") == 0
          and (result.get("messages_per_s") or 0) >= TARGETS["messages_per_s"]
          and (result.get("worker_peak_mb") or 1e9) < TARGETS["worker_peak_mb"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
