#!/usr/bin/env python
"""Load and fault test: caseapp under gunicorn, driven by simulated people, then reconciled.

``make loadtest`` (or ``.venv/bin/python scripts/loadtest.py``), described in docs/loadtest.md:
for each run a fresh database (a temp SQLite file, or ``caseapp_loadtest`` on the PostgreSQL
server ``DATABASE_URL`` names), gunicorn with production settings, concurrent simulated people
through the whole public flow (retrying as a person would), their confirmation emails sent by
``db_worker`` processes to an SMTP sink in this script; then the reconciliation of what people
were told against the database, and of the database against what the SMTP server received.
Run 2 injects faults: a gunicorn worker and an email worker killed with SIGKILL, then the
database locked while a second gunicorn worker is killed.

The app's email code is never imported (it is being moved): tables, management commands, HTTP.
It prints a table, writes ``bench-results/loadtest-<db>.json`` and exits non-zero when any
reconciliation check fails. Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import random
import re
import resource
import secrets
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import harness
from harness import HOST, Response, Server

sys.path.insert(0, str(harness.BASE_DIR))

from caseapp import eligibility  # noqa: E402  (pure Python: no Django needed)

SCRATCH_DB = "caseapp_loadtest"
SETTINGS_MODULE = "caseapp_loadtest_settings"
STATES = ["CA", "NY", "TX", "WA", "IL", "FL", "MA", "CO", "outside_us"]
FORM_TOKEN_RE = re.compile(r'name="form_token" value="([^"]+)"')
OUTCOME_RE = re.compile(r'data-outcome="([a-z_]+)"')
REFERENCE_RE = re.compile(r'data-reference="([^"]+)"')
REDIRECTS = {301, 302, 303, 307, 308}

log = harness.logger("loadtest")


# --- faults and the server log -----------------------------------------------------------------

def kill_worker(server: Server, rng: random.Random) -> int | None:
    pids = server.worker_pids()
    if not pids:
        return None
    pid = rng.choice(pids)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    return pid


def server_log_summary(log_path: Path) -> dict:
    text = log_path.read_text(errors="replace") if log_path.exists() else ""
    tracebacks = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Traceback"):
            block = lines[max(0, i - 1):i + 60]
            end = next((j for j, x in enumerate(block[1:], 1)
                        if x and not x.startswith((" ", "Traceback", "During", "The above"))
                        and ":" in x), len(block) - 1)
            tracebacks.append("\n".join(block[:end + 1]))
    kinds = collections.Counter(t.splitlines()[-1][:200] for t in tracebacks)
    return {
        "tracebacks": len(tracebacks),
        "traceback_kinds": dict(kinds.most_common(10)),
        "first_traceback": tracebacks[0] if tracebacks else "",
        "worker_timeouts": text.count("WORKER TIMEOUT"),
        "workers_booted": text.count("Booting worker"),
    }


# --- simulated people ------------------------------------------------------------------------

class GaveUp(Exception):
    """A request still failed after every retry; the person leaves."""


class FlowError(Exception):
    """The app answered, but not with the page a person expects."""


@dataclass
class Stats:
    started_at: float = 0.0
    finished_at: float = 0.0
    people: int = 0
    requests: int = 0
    latencies: list[float] = field(default_factory=list)
    latencies_by_step: dict[str, list[float]] = field(
        default_factory=lambda: collections.defaultdict(list))
    errors: collections.Counter = field(default_factory=collections.Counter)
    retries: int = 0
    retries_register: int = 0
    completed: int = 0
    ruled_out: int = 0
    outcomes: collections.Counter = field(default_factory=collections.Counter)
    gave_up: collections.Counter = field(default_factory=collections.Counter)
    gave_up_after_register_post: int = 0
    flow_errors: collections.Counter = field(default_factory=collections.Counter)
    samples: list[str] = field(default_factory=list)
    confirmations: list[dict] = field(default_factory=list)
    emails: dict[str, str] = field(default_factory=dict)  # form token: the address typed

    def sample(self, text: str) -> None:
        if len(self.samples) < 10:
            self.samples.append(text[:500])


# What makes a person's answers need review or rule them out: one change of each list is
# drawn at random (a tuple is a choice among its values).
NEEDS_REVIEW = ({"inmail": "unsure", "inmail_before_cutoff": "unsure"}, {"country": "OTHER"},
                {"premium": "unsure"}, {"premium_before_cutoff": "unsure"})
RULED_OUT = ({"country": ("CA", "GB", "EU")}, {"premium": "no"}, {"inmail": "neither"},
             {"affiliation": "linkedin_or_microsoft"})


def person_answers(rng: random.Random) -> dict[str, str]:
    """A person's true answers: 60 % eligible, 28 % to check, 12 % ruled out."""
    answers = {"country": "US", "premium": "yes", "premium_before_cutoff": "yes",
               "inmail": rng.choice(["sent", "received", "both"]),
               "inmail_before_cutoff": "yes", "affiliation": "none",
               "discovered": rng.choice([eligibility.DISCOVERED_BEFORE_POLICY,
                                         eligibility.DISCOVERED_UNKNOWN])}
    roll = rng.random()
    if roll >= 0.60:
        changes = NEEDS_REVIEW if roll < 0.88 else RULED_OUT
        change = changes[rng.randrange(len(changes))]
        answers.update({key: rng.choice(value) if isinstance(value, tuple) else value
                        for key, value in change.items()})
    return answers


class Person(harness.Visitor):
    def __init__(self, run: Run, n: int, rng: random.Random) -> None:
        super().__init__(run.client.port, "caseapp-loadtest")
        self.run = run
        self.stats = run.stats
        self.n = n
        self.rng = rng
        self.answers = person_answers(rng)
        self.expected = eligibility.evaluate(self.answers).outcome.value
        self.path = "/"
        self.page = ""

    @property
    def registers(self) -> bool:
        return self.expected in ("eligible", "needs_review")

    # One request, retried like a person who reloads or presses the button again.
    async def request(self, method: str, path: str, data: dict | None = None,
                      step: str = "get") -> Response:
        run = self.run
        headers = {**self.headers(method, self.path),
                   "Accept": "text/html", "Accept-Encoding": "identity"}
        kind = "other"
        for attempt in range(run.args.retries + 1):
            if attempt:
                self.stats.retries += 1
                if step == "post_register":
                    self.stats.retries_register += 1
                await asyncio.sleep(min(3.0, 0.25 * 2 ** (attempt - 1)) * (0.5 + self.rng.random()))
            self.stats.requests += 1
            try:
                response = await run.client.request(method, path, headers, data)
            except asyncio.TimeoutError:
                kind = "timeout"
            except harness.ConnectFailed:
                kind = "connect_error"
            except harness.Disconnected:
                kind = "disconnected"
            except Exception as exc:  # counted, retried, never fatal to the run
                kind = f"other:{type(exc).__name__}"
            else:
                self.stats.latencies.append(response.seconds)
                self.stats.latencies_by_step[step].append(response.seconds)
                self.store_cookies(response)
                if response.status < 500:
                    return response
                kind = f"http_{response.status}"
            self.stats.errors[kind] += 1
        raise GaveUp(kind)

    async def go(self, method: str, path: str, data: dict | None = None,
                 step: str = "get") -> Response:
        """Send, then follow redirects with GETs as a browser does."""
        response = await self.request(method, path, data, step)
        for _hop in range(10):
            if response.status not in REDIRECTS:
                break
            location = urlsplit(response.header("location") or "")
            if location.netloc and location.hostname not in (HOST, "localhost"):
                raise FlowError(f"redirect off the site: {response.header('location')}")
            path = location.path + (f"?{location.query}" if location.query else "")
            response = await self.request("GET", path, step="get")
        else:
            raise FlowError(f"redirect loop at {path}")
        self.path = path
        self.page = response.text
        if response.status != 200:
            raise FlowError(f"HTTP {response.status} at {path}")
        return response

    def _csrf(self) -> str:
        token = harness.csrf_token(self.page)
        if not token:
            raise FlowError(f"no CSRF token on {self.path}")
        return token

    async def visit(self) -> None:
        stats = self.stats
        await self.go("GET", "/")
        if 'href="/check/country/"' not in self.page:
            raise FlowError("start page has no link to the first question")
        await self.go("GET", "/check/country/")
        for _question in range(len(eligibility.QUESTIONS) + 1):
            if not self.path.startswith("/check/") or self.path == "/check/answers/":
                break
            key = self.path.split("/")[2]
            if key not in self.answers:
                raise FlowError(f"asked an unexpected question: {self.path}")
            await self.go("POST", self.path, {"csrfmiddlewaretoken": self._csrf(),
                                               key: self.answers[key]}, step="post_question")
        if self.path == "/check/answers/":
            await self.go("POST", self.path, {"csrfmiddlewaretoken": self._csrf()},
                          step="post_answers")
        if self.path != "/result/":
            raise FlowError(f"expected the result page, got {self.path}")
        match = OUTCOME_RE.search(self.page)
        shown = match.group(1) if match else "none"
        if shown != self.expected:
            raise FlowError(f"result {shown!r}, expected {self.expected!r}")
        stats.outcomes[shown] += 1
        if not self.registers:
            stats.ruled_out += 1
            return

        await self.go("GET", "/register/")
        token = FORM_TOKEN_RE.search(self.page)
        if not token:
            raise FlowError("no form_token on the registration form")
        form_token = token.group(1)
        n = self.n if self.rng.random() > 0.02 else max(1, self.n // 2)  # some register twice
        data = {
            "csrfmiddlewaretoken": self._csrf(),
            "full_name": f"Loadtest Person {self.run.tag} {n}",
            "email": f"person{n}.{self.run.tag}@loadtest.example",
            "phone": f"+1 415 555 {n % 10000:04d}",
            "state": STATES[n % len(STATES)],
            "consent_contact": "on",
            "attest_true": "on",
            "form_token": form_token,
            "website": "",
            "register": "Register",
        }
        stats.emails[form_token] = data["email"]
        try:
            await self.go("POST", "/register/", data, step="post_register")
        except GaveUp:
            stats.gave_up_after_register_post += 1
            raise
        if self.path != "/confirmation/":
            raise FlowError(f"registration ended on {self.path}")
        match = REFERENCE_RE.search(self.page)
        if not match:
            raise FlowError("confirmation page without a reference")
        stats.completed += 1
        stats.confirmations.append({"reference": match.group(1), "form_token": form_token,
                                    "outcome": self.expected, "person": self.n})


# --- one run -------------------------------------------------------------------------------

@dataclass
class Run:
    name: str
    tag: str
    target: int
    args: argparse.Namespace
    client: harness.AsyncClient | None = None
    stats: Stats = field(default_factory=Stats)
    assigned: int = 0
    events: list[dict] = field(default_factory=list)
    cpu: dict = field(default_factory=dict)
    workers: harness.Workers | None = None
    sink: harness.SmtpSink | None = None

    def next_person(self, counter, rng_seed: int) -> Person | None:
        """The next person to arrive, or None once every registration is handed out."""
        if self.assigned >= self.target:
            return None
        n = next(counter)
        person = Person(self, n, random.Random(f"{rng_seed}-{self.tag}-{n}"))
        if person.registers:
            self.assigned += 1
        return person


async def drive(run: Run, server: Server, db, faults: bool, deadline: float) -> None:
    args = run.args
    counter = iter(range(1, 10**9))
    stats = run.stats
    run.client = harness.AsyncClient(server.port, args.request_timeout)
    async def person_loop() -> None:
        while True:
            person = run.next_person(counter, args.seed)
            if person is None:
                return
            stats.people += 1
            try:
                await person.visit()
            except GaveUp as exc:
                stats.gave_up[str(exc)] += 1
            except FlowError as exc:
                stats.flow_errors[re.sub(r"LI-\S+|\d+", "#", str(exc))[:120]] += 1
                stats.sample(f"{exc}: {person.page[:300]!r}")

    async def progress() -> None:
        while True:
            await asyncio.sleep(10)
            elapsed = time.monotonic() - stats.started_at
            log(f"{run.name}: {stats.completed}/{run.target} registrations, "
                f"{stats.requests} requests ({stats.requests / elapsed:.0f}/s), "
                f"errors {sum(stats.errors.values())}, retries {stats.retries}")

    async def inject_faults() -> None:
        rng = random.Random(args.seed)

        async def wait_for(fraction: float) -> None:
            while stats.completed < run.target * fraction:
                await asyncio.sleep(0.05)

        def event(kind: str, **details) -> None:
            details = {"kind": kind, "at_s": round(time.monotonic() - stats.started_at, 2),
                       "completed_then": stats.completed, **details}
            run.events.append(details)
            log(f"{run.name}: fault {details}")

        await wait_for(0.3)
        if run.workers is not None:
            # Mid-send: as soon as a confirmation is being handed to the SMTP server.
            sending = []
            for _ in range(100):
                sending = await asyncio.to_thread(db.query, SENDING_SQL)
                if sending:
                    break
                await asyncio.sleep(0.05)
            pid = run.workers.kill_one()
            event("kill_email_worker", pid=pid, received_then=run.sink.total,
                  sending_then=len(sending))
        before = server.worker_pids()
        pid = kill_worker(server, rng)
        event("sigkill_worker", pid=pid, workers_before=before)
        await wait_for(0.6)
        lock = asyncio.ensure_future(asyncio.to_thread(db.lock, args.lock_seconds))
        await asyncio.sleep(min(1.0, args.lock_seconds / 2))
        pid = kill_worker(server, rng)
        event("sigkill_worker_during_db_lock", pid=pid)
        waited, held = await lock
        event("db_lock", waited_s=round(waited, 2), held_s=round(held, 2),
              statement="BEGIN EXCLUSIVE" if db.kind == "sqlite"
              else "LOCK TABLE caseapp_submission IN ACCESS EXCLUSIVE MODE")
        for _ in range(100):  # the master replaces killed workers
            if len(server.worker_pids()) == server.workers:
                break
            await asyncio.sleep(0.1)
        event("workers_after", pids=server.worker_pids())

    stats.started_at = time.monotonic()
    helpers = [asyncio.ensure_future(progress())]
    if faults:
        helpers.append(asyncio.ensure_future(inject_faults()))
    people = [asyncio.ensure_future(person_loop()) for _ in range(args.clients)]
    try:
        remaining = deadline - time.monotonic()
        done, pending = await asyncio.wait(people, timeout=max(1.0, remaining))
        if pending:
            run.events.append({"kind": "run_timeout", "after_s": round(remaining)})
            log(f"{run.name}: run timeout; stopping the clients")
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        for task in done:
            task.result()
    finally:
        stats.finished_at = time.monotonic()
        for task in helpers:
            if not task.done():
                task.cancel()
        results = await asyncio.gather(*helpers, return_exceptions=True)
        for result in results:
            if isinstance(result, Exception) and not isinstance(result,
                                                                asyncio.CancelledError):
                run.events.append({"kind": "fault_injector_error", "error": repr(result)})


# --- reconciliation --------------------------------------------------------------------------

ROW_COLUMNS = ("reference", "idempotency_key", "outcome", "answers", "full_name", "email",
               "email_index", "name_state_index", "rules_version", "consent_version",
               "attestation_version", "notice_version", "estimated_damages", "case_id",
               "language", "state")


def half_written(row: dict) -> bool:
    answers = row["answers"]
    if isinstance(answers, str):
        try:
            answers = json.loads(answers)
        except ValueError:
            return True
    encrypted = all(str(row[f]).startswith("v2:") for f in ("full_name", "email"))
    return (
        not row["reference"] or not row["idempotency_key"]
        or row["outcome"] not in ("eligible", "needs_review")
        or not isinstance(answers, dict) or "country" not in answers
        or not encrypted or not row["email_index"] or not row["name_state_index"]
        or not all(row[f] for f in ("rules_version", "consent_version", "attestation_version",
                                    "notice_version", "language", "state"))
        or row["estimated_damages"] != 1000 or row["case_id"] is None
    )


def reconcile(run: Run, db, is_fault: bool, settled: dict | None) -> dict:
    rows = [dict(zip(ROW_COLUMNS, r, strict=True))
            for r in db.query(f"SELECT {', '.join(ROW_COLUMNS)} FROM caseapp_submission")]
    counters = dict(db.query("SELECT metric, SUM(count) FROM caseapp_dailycount GROUP BY metric"))
    stats = run.stats
    by_reference = collections.Counter(r["reference"] for r in rows)
    by_key = collections.Counter(r["idempotency_key"] for r in rows)
    row_of = {r["reference"]: r for r in rows}
    confirmed = collections.Counter(c["reference"] for c in stats.confirmations)
    missing = [ref for ref in confirmed if ref not in row_of]
    mismatched = [c["reference"] for c in stats.confirmations if c["reference"] in row_of and (
        row_of[c["reference"]]["idempotency_key"] != c["form_token"]
        or row_of[c["reference"]]["outcome"] != c["outcome"])]
    unconfirmed = [ref for ref in row_of if ref not in confirmed]
    gave_up_late = stats.gave_up_after_register_post
    registered_counter = int(counters.get("registered", 0) or 0)
    checks = [
        ("every confirmed reference is in the database", len(missing) == 0,
         f"{len(confirmed) - len(missing)}/{len(confirmed)} found, {len(missing)} missing"),
        ("no duplicate references in the database",
         all(n == 1 for n in by_reference.values()),
         f"{sum(n - 1 for n in by_reference.values() if n > 1)} duplicates"),
        ("no duplicate form tokens in the database", all(n == 1 for n in by_key.values()),
         f"{sum(n - 1 for n in by_key.values() if n > 1)} duplicates"),
        ("no reference confirmed to two people", all(n == 1 for n in confirmed.values()),
         f"{sum(n - 1 for n in confirmed.values() if n > 1)} shared"),
        ("confirmed rows match the person's form token and outcome", not mismatched,
         f"{len(mismatched)} mismatched"),
        ("no half-written rows (empty/unencrypted required fields)",
         not any(half_written(r) for r in rows),
         f"{sum(half_written(r) for r in rows)} half-written"),
        ("rows no person saw confirmed <= people who gave up after posting",
         len(unconfirmed) <= gave_up_late,
         f"{len(unconfirmed)} unconfirmed rows, {gave_up_late} gave up after posting"),
        ("'registered' counter equals rows", registered_counter == len(rows),
         f"counter {registered_counter}, rows {len(rows)}"),
    ]
    if not is_fault:
        checks.append(("every registering person got a confirmation",
                       stats.completed == run.target,
                       f"{stats.completed}/{run.target}"))
    else:
        kills = [e for e in run.events if e["kind"].startswith("sigkill") and e.get("pid")]
        if settled is not None:
            checks.append(("an email worker was killed (SIGKILL) mid-send",
                           any(e["kind"] == "kill_email_worker" for e in run.events), ""))
        locks = [e for e in run.events if e["kind"] == "db_lock"]
        checks.append(("faults were injected (2 SIGKILLs, database lock)",
                       len(kills) == 2 and bool(locks)
                       and locks[0]["held_s"] >= run.args.lock_seconds * 0.9,
                       f"{len(kills)} workers killed, lock held "
                       f"{locks[0]['held_s'] if locks else 0}s"))
    if settled is not None:
        checks += reconcile_email(run, db, settled)
    return {
        "rows": len(rows),
        "email": settled,
        "confirmed_to_clients": len(confirmed),
        "missing_confirmed": missing[:20],
        "unconfirmed_rows": len(unconfirmed),
        "daily_counts": {k: int(v) for k, v in counters.items()},
        "checks": [{"check": name, "pass": ok, "detail": detail} for name, ok, detail in checks],
    }


# --- the confirmation emails: drained, settled, counted at the SMTP server ---------------------

CONFIRMATIONS_SQL = """SELECT s.idempotency_key, s.reference, m.id, m.status
    FROM caseapp_message m JOIN caseapp_submission s ON s.id = m.submission_id
    WHERE m.kind = 'confirmation'"""
OPEN_STATUSES = ("queued", "sending")
SENDING_SQL = "SELECT id FROM caseapp_message WHERE status = 'sending'"


def email_drained(db) -> bool:
    return not any(status in OPEN_STATUSES for *_r, status in db.query(CONFIRMATIONS_SQL))


def settle_email(run: Run, db, server: Server, env: dict, timeout: float) -> dict:
    """Wait for the workers to send everything; then settle what a killed worker left as an
    operator would: ``recover_messages`` marks a send cut off past its lease *unknown*; an
    unknown one the server received (by its Message-ID) counts as delivered, one it never
    received is resent from the submission's staff page (HTTP), and waited for."""
    started = time.monotonic()
    drained = harness.wait_until(lambda: email_drained(db), timeout, interval=1)
    time.sleep(float(env["CASEAPP_EMAIL_LEASE_SECONDS"]))  # any cut-off send's lease lapses
    harness.manage(env, "recover_messages")
    received = run.sink.by_row()
    resent = []
    browser = None
    for _key, reference, message_id, status in db.query(CONFIRMATIONS_SQL):
        if status == "unknown" and not received[message_id]:
            if browser is None:
                browser = harness.Visitor(server.port, "caseapp-loadtest")
                browser.sign_in("loadtest-reviewer", env["LOADTEST_PASSWORD"],
                                env["LOADTEST_TOTP_KEY"])
            page = f"/staff/submissions/{reference}/"
            response = browser.post_form(page, f"{page}messages/{message_id}/resend/")
            if response.status != 302:
                raise SystemExit(f"resending message {message_id} answered {response.status}")
            resent.append({"message": message_id, "status": response.status})
    if resent:
        harness.wait_until(lambda: email_drained(db), 120, interval=1)
    statuses = collections.Counter(status for *_r, status in db.query(CONFIRMATIONS_SQL))
    log(f"{run.name}: email drained={drained} in {time.monotonic() - started:.0f} s; "
        f"statuses {dict(statuses)}; resent {len(resent)}")
    return {"drained": drained, "seconds": round(time.monotonic() - started, 1),
            "received": run.sink.total, "statuses": dict(statuses), "resent": resent,
            "worker_peak_mb": run.workers.peak_mb if run.workers else None}


def reconcile_email(run: Run, db, settled: dict) -> list[tuple[str, bool, str]]:
    """Every registration's confirmation delivered exactly once: the count per recipient at
    the SMTP server against the confirmation rows of that recipient's registrations."""
    # A resent unknown row is superseded by the new row the Resend button made.
    superseded = {r["message"] for r in settled["resent"]}
    rows = [row for row in db.query(CONFIRMATIONS_SQL) if row[2] not in superseded]
    keys = [key for (key,) in db.query(
        "SELECT idempotency_key FROM caseapp_submission WHERE email <> ''")]
    per_submission = collections.Counter(key for key, *_r in rows)
    emails = run.stats.emails
    expected = collections.Counter(emails.get(key, "?") for key, *_r in rows)
    received = run.sink.by_recipient
    wrong = {a: (received[a], n) for a, n in expected.items() if received[a] != n}
    strangers = [a for a in received if a not in expected]
    statuses = collections.Counter(status for *_r, status in rows)
    return [
        ("every registration has one confirmation row",
         all(per_submission[k] == 1 for k in keys) and len(rows) == len(keys),
         f"{len(rows)} rows for {len(keys)} registrations"),
        ("every confirmation delivered exactly once (count per recipient at the SMTP server)",
         not wrong and sum(received.values()) == len(rows),
         f"{sum(received.values())} received for {len(rows)} rows, {len(expected)} recipients,"
         f" {len(wrong)} off (received, rows): {dict(list(wrong.items())[:5])}"),
        ("no email to an address nobody registered", not strangers,
         f"{len(strangers)} strangers"),
        ("no confirmation left queued, sending or failed",
         not any(statuses[s] for s in (*OPEN_STATUSES, "failed")),
         f"statuses {dict(statuses)}, resent {len(settled['resent'])}"),
    ]


# --- report ----------------------------------------------------------------------------------

def summarise(run: Run, reconciliation: dict, server_log: dict, clients: int) -> dict:
    stats = run.stats
    wall = max(1e-9, stats.finished_at - stats.started_at)
    return {
        "run": run.name, "clients": clients, "target_registrations": run.target,
        "completed_registrations": stats.completed, "ruled_out_checks": stats.ruled_out,
        "people": stats.people, "outcomes_shown": dict(stats.outcomes),
        "requests": stats.requests, "errors": dict(stats.errors), "retries": stats.retries,
        "retries_register_post": stats.retries_register, "gave_up": dict(stats.gave_up),
        "gave_up_after_register_post": stats.gave_up_after_register_post,
        "flow_errors": dict(stats.flow_errors), "flow_error_samples": stats.samples,
        "wall_seconds": round(wall, 1),
        "requests_per_second": round(stats.requests / wall, 1),
        "registrations_per_second": round(stats.completed / wall, 2),
        "latency_ms": harness.latency_ms(stats.latencies),
        "latency_ms_by_step": {step: harness.latency_ms(v)
                               for step, v in sorted(stats.latencies_by_step.items())},
        "cpu_seconds": run.cpu,
        "server_cpu_ms_per_request": round(
            1000 * run.cpu.get("server_s", 0) / max(1, stats.requests), 2),
        "events": run.events, "server_log": server_log, "reconciliation": reconciliation,
    }


def print_report(results: list[dict], meta: dict) -> None:
    def errors(r: dict) -> str:
        return ", ".join(f"{k} {v}" for k, v in sorted(r["errors"].items())) or "none"

    def lat(r: dict, step: str | None = None) -> str:
        d = r["latency_ms"] if step is None else r["latency_ms_by_step"].get(step, {})
        return "/".join(f"{d.get(p, 0):.0f}" for p in ("p50", "p95", "p99"))

    rows = [
        ("clients (concurrent people)", lambda r: str(r["clients"])),
        ("completed registrations", lambda r: f"{r['completed_registrations']} of "
                                              f"{r['target_registrations']}"),
        ("ruled-out checks (no registration)", lambda r: str(r["ruled_out_checks"])),
        ("requests", lambda r: str(r["requests"])),
        ("errors by kind", errors),
        ("retries (of them on Register)", lambda r: f"{r['retries']} "
                                                    f"({r['retries_register_post']})"),
        ("people who gave up", lambda r: str(sum(r["gave_up"].values()))),
        ("unexpected pages", lambda r: str(sum(r["flow_errors"].values()))),
        ("app tracebacks in server log", lambda r: str(r["server_log"]["tracebacks"])),
        ("wall time (s)", lambda r: f"{r['wall_seconds']:.1f}"),
        ("throughput req/s", lambda r: f"{r['requests_per_second']:.1f}"),
        ("throughput registrations/s", lambda r: f"{r['registrations_per_second']:.2f}"),
        ("CPU s: client / gunicorn", lambda r: f"{r['cpu_seconds']['client_s']:.0f} / "
                                               f"{r['cpu_seconds']['server_s']:.0f}"),
        ("gunicorn CPU ms per request", lambda r: f"{r['server_cpu_ms_per_request']:.1f}"),
        ("latency p50/p95/p99 ms, all", lambda r: lat(r)),
        ("  GET pages", lambda r: lat(r, "get")),
        ("  POST question", lambda r: lat(r, "post_question")),
        ("  POST Register", lambda r: lat(r, "post_register")),
        ("rows in caseapp_submission", lambda r: str(r["reconciliation"]["rows"])),
        ("confirmed references told to people",
         lambda r: str(r["reconciliation"]["confirmed_to_clients"])),
        ("rows no person saw confirmed", lambda r: str(r["reconciliation"]["unconfirmed_rows"])),
        ("emails at the SMTP server (resent)", lambda r: "-" if not r["reconciliation"]["email"]
         else f"{r['reconciliation']['email']['received']} "
              f"({len(r['reconciliation']['email']['resent'])})"),
        ("email drained after the last request (s)", lambda r: "-"
         if not r["reconciliation"]["email"] else str(r["reconciliation"]["email"]["seconds"])),
        ("peak email worker RSS (MB)", lambda r: "-" if not r["reconciliation"]["email"]
         else str(r["reconciliation"]["email"]["worker_peak_mb"])),
    ]
    width = max(len(label) for label, _ in rows) + 2
    col = max(24, *(len(r["run"]) + 2 for r in results))
    print()
    print(f"caseapp load test: {meta['database']} ({meta['database_label']}), gunicorn "
          f"{meta['workers']} workers, {meta['machine']['cores']} CPUs, Python "
          f"{meta['machine']['python']}")
    print("-" * (width + col * len(results)))
    print("run".ljust(width) + "".join(r["run"].ljust(col) for r in results))
    print("-" * (width + col * len(results)))
    for label, value in rows:
        print(label.ljust(width) + "".join(value(r).ljust(col) for r in results))
    print("-" * (width + col * len(results)))
    for r in results:
        print(f"reconciliation, {r['run']}:")
        for check in r["reconciliation"]["checks"]:
            print(f"  {'PASS' if check['pass'] else 'FAIL'}  {check['check']}: {check['detail']}")
        for event in r["events"]:
            print(f"  event: {event}")
        if r["flow_errors"]:
            print(f"  unexpected pages: {r['flow_errors']}")
        if r["server_log"]["tracebacks"]:
            print(f"  server tracebacks: {r['server_log']['traceback_kinds']}")
            print("  first traceback:\n    "
                  + r["server_log"]["first_traceback"][-2500:].replace("\n", "\n    "))
    print()


# --- main ------------------------------------------------------------------------------------

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    option = parser.add_argument
    option("--registrations", type=int, default=5000,
           help="completed registrations in the normal run")
    option("--clients", type=int, default=50, help="concurrent simulated people")
    option("--workers", type=int, default=4, help="gunicorn workers")
    option("--fault-registrations", type=int, default=1000, help="registrations in the fault run")
    option("--skip-fault", action="store_true", help="only the normal run")
    option("--skip-normal", action="store_true", help="only the fault run")
    option("--email-workers", type=int, default=2,
           help="db_worker processes sending to the SMTP sink (0: none)")
    option("--email-timeout", type=float, default=600.0,
           help="seconds to wait for every confirmation to be sent")
    option("--retries", type=int, default=6,
           help="retries of a failed request before a person gives up")
    option("--request-timeout", type=float, default=30.0, help="seconds per request")
    option("--lock-seconds", type=float, default=2.0,
           help="how long the fault run locks the database")
    option("--run-timeout", type=float, default=2400.0,
           help="seconds of client traffic per run before stopping")
    option("--timeout", type=float, default=5400.0,
           help="hard limit for the whole script in seconds")
    option("--seed", type=int, default=20250130)
    option("--keep", action="store_true",
           help="keep the temp dir and scratch database for inspection")
    option("--output", type=Path, default=None,
           help="JSON results (default bench-results/loadtest-<db>.json)")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.workers < 1 or args.registrations < 1:
        parser.error("--clients, --workers and --registrations must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    harness.exit_on_signals(log, signal.SIGTERM, signal.SIGHUP)
    # The hard limit: SIGTERM ourselves, which unwinds through every finally and atexit.
    watchdog = threading.Timer(args.timeout, os.kill, (os.getpid(), signal.SIGTERM))
    watchdog.daemon = True
    watchdog.start()
    started = time.monotonic()

    tmp = harness.temp_dir("caseapp-loadtest-", keep=args.keep)
    harness.write_settings_module(tmp, SETTINGS_MODULE, "scripts/loadtest.py: production "
                                  "settings, static files in a temp dir")

    plan = [("normal", args.registrations, False)] if not args.skip_normal else []
    if not args.skip_fault:
        plan.append(("faults", args.fault_registrations, True))
    meta = {"workers": args.workers, "clients": args.clients, "seed": args.seed,
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    results = []
    collected = False
    for index, (name, target, faults) in enumerate(plan, 1):
        label = f"{index} {name}" + (f" ({target} reg.)" if faults else "")
        # Each run drops and creates the scratch database: never the one the developer named.
        db = harness.scratch_database(SCRATCH_DB, tmp / f"run{index}.sqlite3")
        meta.update(database=db.kind, database_label=db.label)
        sink = harness.SmtpSink().start() if args.email_workers else None
        env = harness.app_environment(tmp, SETTINGS_MODULE, db.url, harness.fresh_keys(), {
            # Short leases: a send the kill cut off is settled within seconds, not minutes.
            "CASEAPP_EMAIL_LEASE_SECONDS": "5", "CASEAPP_RECOVER_SECONDS": "5",
            "LOADTEST_PASSWORD": secrets.token_urlsafe(18),
            **(sink.environment() if sink else {}),
        })
        log(f"run {label}: fresh database {db.label}")
        db.create()
        if not args.keep:
            harness.CLEANUP.callback(db.drop)
        harness.manage(env, "migrate", "--noinput")
        harness.manage(env, "example_firm")
        run = Run(name=label, tag=f"r{index}x{secrets.token_hex(2)}", target=target, args=args)
        if sink is not None:
            env["LOADTEST_TOTP_KEY"] = harness.make_staff(env, env["LOADTEST_PASSWORD"],
                                                          {"loadtest-reviewer": "Reviewer"})
            harness.manage(env, "recover_messages")  # schedules the recurring recovery
            run.sink = sink
            run.workers = harness.Workers(env, args.email_workers, tmp / f"workers-run{index}.log")
        if not collected:
            harness.manage(env, "collectstatic", "--noinput")
            collected = True
        server = Server(env, args.workers, tmp / f"gunicorn-run{index}.log")
        log(f"run {label}: starting gunicorn, {args.workers} workers on {server.base_url}")
        server.start()
        deadline = min(time.monotonic() + args.run_timeout,
                       started + args.timeout - 120)
        log(f"run {label}: {args.clients} people at once until {target} registrations"
            + ("; faults: SIGKILL a worker at 30%, lock the database and SIGKILL another "
               "at 60%" if faults else ""))
        client_cpu = _cpu(resource.RUSAGE_SELF)
        server_cpu = _cpu(resource.RUSAGE_CHILDREN)
        settled = None
        try:
            asyncio.run(drive(run, server, db, faults, deadline))
            client_cpu = _cpu(resource.RUSAGE_SELF) - client_cpu
            if run.workers is not None:
                log(f"run {label}: waiting for {args.email_workers} email workers to send")
                settled = settle_email(run, db, server, env, args.email_timeout)
        finally:
            server.stop()  # gunicorn's workers are reaped by its master, then the master by us
            server_cpu = _cpu(resource.RUSAGE_CHILDREN) - server_cpu
            if run.workers is not None:
                run.workers.stop()
            if sink is not None:
                sink.stop()
        run.cpu = {"client_s": round(client_cpu, 1), "server_s": round(server_cpu, 1)}
        log(f"run {label}: reconciling against the database and the SMTP server")
        reconciliation = reconcile(run, db, faults, settled)
        results.append(summarise(run, reconciliation, server_log_summary(server.log_path),
                                 args.clients))
        if not args.keep:
            db.drop()
        meta["machine"] = harness.machine(db)

    print_report(results, meta)
    output = args.output or harness.RESULTS / f"loadtest-{meta['database']}.json"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps({"meta": meta, "runs": results}, indent=2, default=str) + "\n")
    failed = [c["check"] for r in results for c in r["reconciliation"]["checks"] if not c["pass"]]
    log(f"results written to {output}")
    if args.keep:
        log(f"kept {tmp} and database {meta['database_label']}")
    if failed:
        log(f"FAIL: {len(failed)} reconciliation check(s) failed")
        return 1
    log("PASS: every reconciliation check passed")
    return 0


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    harness.run_main(main)
