#!/usr/bin/env python
"""Load and fault test: caseapp under gunicorn, driven by simulated people, then reconciled
against the database and the SMTP server.

``make loadtest`` (or ``.venv/bin/python scripts/loadtest.py``); what it sets up, does and
checks is in docs/loadtest.md. It exits non-zero when any reconciliation check fails.
Traffic goes to 127.0.0.1 only. The app's email code is never imported: tables, management
commands and HTTP.
"""

from __future__ import annotations

import argparse
import asyncio
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
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlsplit

import harness
from harness import HOST, Response, Server

sys.path.insert(0, str(harness.BASE_DIR))

from caseapp import eligibility  # noqa: E402  (pure Python: no Django needed)

SCRATCH_DB = "caseapp_loadtest"
STATES = ["CA", "NY", "TX", "WA", "IL", "FL", "MA", "CO", "outside_us"]
FORM_TOKEN_RE = re.compile(r'name="form_token" value="([^"]+)"')
OUTCOME_RE = re.compile(r'data-outcome="([a-z_]+)"')
REFERENCE_RE = re.compile(r'data-reference="([^"]+)"')
REDIRECTS = {301, 302, 303, 307, 308}

log = harness.logger("loadtest")


def server_log_summary(log_path: Path) -> dict:
    text = log_path.read_text(errors="replace") if log_path.exists() else ""
    # Each traceback with the line before it (gunicorn's), up to its exception's line.
    tracebacks = re.findall(r"^(?:.*\n)?Traceback \(most recent call last\):\n(?:[ \t].*\n)*.*",
                            text, re.M)
    kinds = Counter(t.splitlines()[-1][:200] for t in tracebacks)
    return {"tracebacks": len(tracebacks), "traceback_kinds": dict(kinds.most_common(10)),
            "first_traceback": tracebacks[0] if tracebacks else "",
            "worker_timeouts": text.count("WORKER TIMEOUT"),
            "workers_booted": text.count("Booting worker")}


# --- simulated people ------------------------------------------------------------------------

class GaveUp(Exception):
    """A request still failed after every retry; the person leaves."""


class FlowError(Exception):
    """The app answered, but not with the page a person expects."""


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
    def __init__(self, run: Run, n: int) -> None:
        super().__init__(run.server.port)
        self.run, self.n = run, n
        self.rng = random.Random(f"{run.args.seed}-{run.tag}-{n}")
        self.answers = person_answers(self.rng)
        self.expected = eligibility.evaluate(self.answers).outcome.value
        self.registers = self.expected in ("eligible", "needs_review")
        self.path, self.page = "/", ""

    async def request(self, method: str, path: str, data: dict | None = None,
                      step: str = "get") -> Response:
        """One request, retried like a person who reloads or presses the button again."""
        run, count = self.run, self.run.count
        headers = {**self.headers(method, self.path),
                   "Accept": "text/html", "Accept-Encoding": "identity"}
        kind = "other"
        for attempt in range(run.args.retries + 1):
            if attempt:
                count["retries"] += 1
                if step == "post_register":
                    count["retries_register_post"] += 1
                await asyncio.sleep(min(3.0, 0.25 * 2 ** (attempt - 1)) * (0.5 + self.rng.random()))
            count["requests"] += 1
            try:
                response = await harness.fetch_async(self.port, method, path, headers, data,
                                                     run.args.request_timeout)
            except asyncio.TimeoutError:
                kind = "timeout"
            except harness.ConnectFailed:
                kind = "connect_error"
            except harness.Disconnected:
                kind = "disconnected"
            except Exception as exc:  # counted, retried, never fatal to the run
                kind = f"other:{type(exc).__name__}"
            else:
                run.latencies[step].append(response.seconds)
                self.store_cookies(response)
                if response.status < 500:
                    return response
                kind = f"http_{response.status}"
            run.errors[kind] += 1
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
            response = await self.request("GET", path)
        else:
            raise FlowError(f"redirect loop at {path}")
        self.path, self.page = path, response.text
        if response.status != 200:
            raise FlowError(f"HTTP {response.status} at {path}")
        return response

    def csrf(self) -> str:
        token = harness.csrf_token(self.page)
        if not token:
            raise FlowError(f"no CSRF token on {self.path}")
        return token

    async def visit(self) -> None:
        run = self.run
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
            await self.go("POST", self.path, {"csrfmiddlewaretoken": self.csrf(),
                                               key: self.answers[key]}, step="post_question")
        if self.path == "/check/answers/":
            await self.go("POST", self.path, {"csrfmiddlewaretoken": self.csrf()},
                          step="post_answers")
        if self.path != "/result/":
            raise FlowError(f"expected the result page, got {self.path}")
        match = OUTCOME_RE.search(self.page)
        shown = match.group(1) if match else "none"
        if shown != self.expected:
            raise FlowError(f"result {shown!r}, expected {self.expected!r}")
        run.outcomes[shown] += 1
        if not self.registers:
            run.count["ruled_out_checks"] += 1
            return

        await self.go("GET", "/register/")
        token = FORM_TOKEN_RE.search(self.page)
        if not token:
            raise FlowError("no form_token on the registration form")
        form_token = token.group(1)
        n = self.n if self.rng.random() > 0.02 else max(1, self.n // 2)  # some register twice
        data = {"csrfmiddlewaretoken": self.csrf(), "form_token": form_token,
                "full_name": f"Loadtest Person {run.tag} {n}",
                "email": f"person{n}.{run.tag}@loadtest.example",
                "phone": f"+1 415 555 {n % 10000:04d}", "state": STATES[n % len(STATES)],
                "consent_contact": "on", "attest_true": "on", "website": "",
                "register": "Register"}
        run.emails[form_token] = data["email"]
        try:
            await self.go("POST", "/register/", data, step="post_register")
        except GaveUp:
            run.count["gave_up_after_register_post"] += 1
            raise
        if self.path != "/confirmation/":
            raise FlowError(f"registration ended on {self.path}")
        match = REFERENCE_RE.search(self.page)
        if not match:
            raise FlowError("confirmation page without a reference")
        run.count["completed_registrations"] += 1
        run.confirmations.append({"reference": match.group(1), "form_token": form_token,
                                  "outcome": self.expected, "person": self.n})


# --- one run -------------------------------------------------------------------------------

COUNTS = ("people", "requests", "retries", "retries_register_post", "completed_registrations",
          "ruled_out_checks", "gave_up_after_register_post")


class Run:
    """One run's people, what happened to them, and its faults."""

    def __init__(self, name: str, tag: str, target: int, args: argparse.Namespace,
                 server: Server, db, sink: harness.SmtpSink | None,
                 workers: harness.Workers | None) -> None:
        self.name, self.tag, self.target, self.args = name, tag, target, args
        self.server, self.db, self.sink, self.workers = server, db, sink, workers
        self.count: Counter[str] = Counter()
        self.latencies: defaultdict[str, list[float]] = defaultdict(list)  # by step
        self.errors: Counter[str] = Counter()  # by kind
        self.outcomes, self.gave_up, self.flow_errors = Counter(), Counter(), Counter()
        self.samples: list[str] = []
        self.confirmations: list[dict] = []
        self.emails: dict[str, str] = {}  # form token: the address typed
        self.events: list[dict] = []
        self.cpu: dict[str, float] = {}  # seconds: client_s, server_s
        self.assigned, self.started_at, self.finished_at = 0, 0.0, 0.0

    def event(self, kind: str, **details) -> None:
        details = {"kind": kind, "at_s": round(time.monotonic() - self.started_at, 2),
                   "completed_then": self.count["completed_registrations"], **details}
        self.events.append(details)
        log(f"{self.name}: fault {details}")

    async def person_loop(self, numbers) -> None:
        """People one after another until every registration is handed out."""
        while self.assigned < self.target:
            person = Person(self, next(numbers))
            self.assigned += person.registers
            self.count["people"] += 1
            try:
                await person.visit()
            except GaveUp as exc:
                self.gave_up[str(exc)] += 1
            except FlowError as exc:
                self.flow_errors[re.sub(r"LI-\S+|\d+", "#", str(exc))[:120]] += 1
                if len(self.samples) < 10:
                    self.samples.append(f"{exc}: {person.page[:300]!r}"[:500])

    async def progress(self) -> None:
        while True:
            await asyncio.sleep(10)
            requests = self.count["requests"]
            log(f"{self.name}: {self.count['completed_registrations']}/{self.target} "
                f"registrations, {requests} requests "
                f"({requests / (time.monotonic() - self.started_at):.0f}/s), "
                f"errors {sum(self.errors.values())}, retries {self.count['retries']}")

    async def inject_faults(self) -> None:
        rng, server, db = random.Random(self.args.seed), self.server, self.db

        async def reached(fraction: float) -> None:
            while self.count["completed_registrations"] < self.target * fraction:
                await asyncio.sleep(0.05)

        def kill_worker() -> int | None:
            pids = server.worker_pids()
            if not pids:
                return None
            pid = rng.choice(pids)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            return pid

        await reached(0.3)
        if self.workers is not None:
            # Mid-send for certain: the SMTP server keeps its replies back until every email
            # worker has handed it a message and waits for the answer; then one is killed.
            sink, workers = self.sink, self.workers
            sink.holding.set()
            try:
                await asyncio.to_thread(harness.wait_until,
                                        lambda: sink.held >= len(workers.processes), 20, 0.02)
                held = sink.held
                self.event("kill_email_worker", pid=workers.kill_one(), held_then=held,
                           workers=len(workers.processes), received_then=sink.total)
            finally:
                sink.holding.clear()
        before = server.worker_pids()
        self.event("sigkill_worker", pid=kill_worker(), workers_before=before)
        await reached(0.6)
        lock = asyncio.ensure_future(asyncio.to_thread(db.lock, self.args.lock_seconds))
        await asyncio.sleep(min(1.0, self.args.lock_seconds / 2))
        self.event("sigkill_worker_during_db_lock", pid=kill_worker())
        waited, held = await lock
        self.event("db_lock", waited_s=round(waited, 2), held_s=round(held, 2),
                   statement="BEGIN EXCLUSIVE" if db.kind == "sqlite"
                   else "LOCK TABLE caseapp_submission IN ACCESS EXCLUSIVE MODE")
        await asyncio.to_thread(harness.wait_until,  # the master replaces killed workers
                                lambda: len(server.worker_pids()) == server.workers, 10, 0.1)
        self.event("workers_after", pids=server.worker_pids())

    async def drive(self, faults: bool, deadline: float) -> None:
        self.started_at = time.monotonic()
        helpers = [asyncio.ensure_future(self.progress())]
        if faults:
            helpers.append(asyncio.ensure_future(self.inject_faults()))
        numbers = iter(range(1, 10**9))
        people = [asyncio.ensure_future(self.person_loop(numbers))
                  for _ in range(self.args.clients)]
        try:
            remaining = deadline - time.monotonic()
            done, pending = await asyncio.wait(people, timeout=max(1.0, remaining))
            if pending:
                self.events.append({"kind": "run_timeout", "after_s": round(remaining)})
                log(f"{self.name}: run timeout; stopping the clients")
                for task in pending:
                    task.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
            for task in done:
                task.result()
        finally:
            self.finished_at = time.monotonic()
            for task in helpers:
                task.cancel()
            for result in await asyncio.gather(*helpers, return_exceptions=True):
                if isinstance(result, Exception):  # not a CancelledError
                    self.events.append({"kind": "fault_injector_error", "error": repr(result)})


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
    return (
        not row["reference"] or not row["idempotency_key"]
        or row["outcome"] not in ("eligible", "needs_review")
        or not isinstance(answers, dict) or "country" not in answers
        or not all(str(row[f]).startswith("v2:") for f in ("full_name", "email"))
        or not row["email_index"] or not row["name_state_index"]
        or not all(row[f] for f in ("rules_version", "consent_version", "attestation_version",
                                    "notice_version", "language", "state"))
        or row["estimated_damages"] != 1000 or row["case_id"] is None
    )


def reconcile(run: Run, faults: bool, settled: dict | None) -> dict:
    db = run.db
    rows = [dict(zip(ROW_COLUMNS, r, strict=True))
            for r in db.query(f"SELECT {', '.join(ROW_COLUMNS)} FROM caseapp_submission")]
    counters = dict(db.query("SELECT metric, SUM(count) FROM caseapp_dailycount GROUP BY metric"))
    by_reference = Counter(r["reference"] for r in rows)
    by_key = Counter(r["idempotency_key"] for r in rows)
    row_of = {r["reference"]: r for r in rows}
    confirmed = Counter(c["reference"] for c in run.confirmations)
    missing = [ref for ref in confirmed if ref not in row_of]
    mismatched = [c["reference"] for c in run.confirmations if c["reference"] in row_of and (
        row_of[c["reference"]]["idempotency_key"] != c["form_token"]
        or row_of[c["reference"]]["outcome"] != c["outcome"])]
    unconfirmed = [ref for ref in row_of if ref not in confirmed]
    gave_up_late = run.count["gave_up_after_register_post"]
    registered = int(counters.get("registered", 0) or 0)
    half = sum(half_written(r) for r in rows)
    checks = [
        ("every confirmed reference is in the database", not missing,
         f"{len(confirmed) - len(missing)}/{len(confirmed)} found, {len(missing)} missing"),
        ("no duplicate references in the database", all(n == 1 for n in by_reference.values()),
         f"{sum(n - 1 for n in by_reference.values() if n > 1)} duplicates"),
        ("no duplicate form tokens in the database", all(n == 1 for n in by_key.values()),
         f"{sum(n - 1 for n in by_key.values() if n > 1)} duplicates"),
        ("no reference confirmed to two people", all(n == 1 for n in confirmed.values()),
         f"{sum(n - 1 for n in confirmed.values() if n > 1)} shared"),
        ("confirmed rows match the person's form token and outcome", not mismatched,
         f"{len(mismatched)} mismatched"),
        ("no half-written rows (empty/unencrypted required fields)", not half,
         f"{half} half-written"),
        ("rows no person saw confirmed <= people who gave up after posting",
         len(unconfirmed) <= gave_up_late,
         f"{len(unconfirmed)} unconfirmed rows, {gave_up_late} gave up after posting"),
        ("'registered' counter equals rows", registered == len(rows),
         f"counter {registered}, rows {len(rows)}"),
    ]
    completed = run.count["completed_registrations"]
    if not faults:
        checks.append(("every registering person got a confirmation", completed == run.target,
                       f"{completed}/{run.target}"))
    else:
        kills = [e for e in run.events if e["kind"].startswith("sigkill") and e.get("pid")]
        if settled is not None:
            kill = next((e for e in run.events if e["kind"] == "kill_email_worker"), {})
            checks.append(("an email worker was killed (SIGKILL) mid-send",
                           bool(kill) and kill["held_then"] >= kill["workers"],
                           f"{kill.get('held_then', 0)} of {kill.get('workers', 0)} workers "
                           "waiting on the SMTP server's reply when one was killed"))
        locks = [e for e in run.events if e["kind"] == "db_lock"]
        checks.append(("faults were injected (2 SIGKILLs, database lock)",
                       len(kills) == 2 and bool(locks)
                       and locks[0]["held_s"] >= run.args.lock_seconds * 0.9,
                       f"{len(kills)} workers killed, lock held "
                       f"{locks[0]['held_s'] if locks else 0}s"))
    if settled is not None:
        checks += reconcile_email(run, settled)
    return {"rows": len(rows), "email": settled, "confirmed_to_clients": len(confirmed),
            "missing_confirmed": missing[:20], "unconfirmed_rows": len(unconfirmed),
            "daily_counts": {k: int(v) for k, v in counters.items()},
            "checks": [{"check": name, "pass": ok, "detail": detail}
                       for name, ok, detail in checks]}


# --- the confirmation emails: drained, settled, counted at the SMTP server ---------------------

CONFIRMATIONS_SQL = """SELECT s.idempotency_key, s.reference, m.id, m.status
    FROM caseapp_message m JOIN caseapp_submission s ON s.id = m.submission_id
    WHERE m.kind = 'confirmation'"""
OPEN_STATUSES = ("queued", "sending")


def email_drained(db) -> bool:
    return not any(status in OPEN_STATUSES for *_r, status in db.query(CONFIRMATIONS_SQL))


def settle_email(run: Run, env: dict, timeout: float) -> dict:
    """Wait for the workers to send everything; then settle what a killed worker left as an
    operator would: ``recover_messages`` marks a send cut off past its lease *unknown*; an
    unknown one the server received (by its Message-ID) counts as delivered, one it never
    received is resent from the submission's staff page (HTTP), and waited for."""
    db, started = run.db, time.monotonic()
    drained = harness.wait_until(lambda: email_drained(db), timeout, interval=1)
    time.sleep(float(env["CASEAPP_EMAIL_LEASE_SECONDS"]))  # any cut-off send's lease lapses
    harness.manage(env, "recover_messages")
    received, resent, browser = run.sink.by_row(), [], None
    for _key, reference, message_id, status in db.query(CONFIRMATIONS_SQL):
        if status == "unknown" and not received[message_id]:
            if browser is None:
                browser = harness.Visitor(run.server.port)
                browser.sign_in("loadtest-reviewer", env["LOADTEST_PASSWORD"],
                                env["LOADTEST_TOTP_KEY"])
            page = f"/staff/submissions/{reference}/"
            response = browser.post_form(page, action=f"{page}messages/{message_id}/resend/")
            if response.status != 302:
                raise SystemExit(f"resending message {message_id} answered {response.status}")
            resent.append({"message": message_id, "status": response.status})
    if resent:
        harness.wait_until(lambda: email_drained(db), 120, interval=1)
    statuses = Counter(status for *_r, status in db.query(CONFIRMATIONS_SQL))
    log(f"{run.name}: email drained={drained} in {time.monotonic() - started:.0f} s; "
        f"statuses {dict(statuses)}; resent {len(resent)}")
    return {"drained": drained, "seconds": round(time.monotonic() - started, 1),
            "received": run.sink.total, "statuses": dict(statuses), "resent": resent,
            "worker_peak_mb": run.workers.peak_mb}


def reconcile_email(run: Run, settled: dict) -> list[tuple[str, bool, str]]:
    """Every registration's confirmation delivered exactly once: the count per recipient at
    the SMTP server against the confirmation rows of that recipient's registrations."""
    # A resent unknown row is superseded by the new row the Resend button made.
    superseded = {r["message"] for r in settled["resent"]}
    rows = [row for row in run.db.query(CONFIRMATIONS_SQL) if row[2] not in superseded]
    keys = [key for (key,) in run.db.query(
        "SELECT idempotency_key FROM caseapp_submission WHERE email <> ''")]
    per_submission = Counter(key for key, *_r in rows)
    expected = Counter(run.emails.get(key, "?") for key, *_r in rows)
    received = run.sink.by_recipient
    wrong = {a: (received[a], n) for a, n in expected.items() if received[a] != n}
    strangers = [a for a in received if a not in expected]
    statuses = Counter(status for *_r, status in rows)
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

def summarise(run: Run, reconciliation: dict) -> dict:
    wall = max(1e-9, run.finished_at - run.started_at)
    count, server_s = run.count, run.cpu.get("server_s", 0)
    return {
        "run": run.name, "clients": run.args.clients, "target_registrations": run.target,
        **{name: count[name] for name in COUNTS}, "outcomes_shown": dict(run.outcomes),
        "errors": dict(run.errors), "gave_up": dict(run.gave_up),
        "flow_errors": dict(run.flow_errors), "flow_error_samples": run.samples,
        "wall_seconds": round(wall, 1),
        "requests_per_second": round(count["requests"] / wall, 1),
        "registrations_per_second": round(count["completed_registrations"] / wall, 2),
        "latency_ms": harness.latency_ms([s for v in run.latencies.values() for s in v]),
        "latency_ms_by_step": {step: harness.latency_ms(v)
                               for step, v in sorted(run.latencies.items())},
        "cpu_seconds": run.cpu,
        "server_cpu_ms_per_request": round(1000 * server_s / max(1, count["requests"]), 2),
        "events": run.events, "server_log": server_log_summary(run.server.log_path),
        "reconciliation": reconciliation,
    }


def report_column(r: dict) -> list[tuple[str, object]]:
    """One run's column of the table: (label, value)."""
    email, rec = r["reconciliation"]["email"], r["reconciliation"]

    def lat(step: str | None = None) -> str:
        d = r["latency_ms"] if step is None else r["latency_ms_by_step"].get(step, {})
        return "/".join(f"{d.get(p, 0):.0f}" for p in ("p50", "p95", "p99"))

    return [
        ("run", r["run"]),
        ("clients (concurrent people)", r["clients"]),
        ("completed registrations",
         f"{r['completed_registrations']} of {r['target_registrations']}"),
        ("ruled-out checks (no registration)", r["ruled_out_checks"]),
        ("requests", r["requests"]),
        ("errors by kind", ", ".join(f"{k} {v}" for k, v in sorted(r["errors"].items()))
         or "none"),
        ("retries (of them on Register)", f"{r['retries']} ({r['retries_register_post']})"),
        ("people who gave up", sum(r["gave_up"].values())),
        ("unexpected pages", sum(r["flow_errors"].values())),
        ("app tracebacks in server log", r["server_log"]["tracebacks"]),
        ("wall time (s)", f"{r['wall_seconds']:.1f}"),
        ("throughput req/s", f"{r['requests_per_second']:.1f}"),
        ("throughput registrations/s", f"{r['registrations_per_second']:.2f}"),
        ("CPU s: client / gunicorn",
         f"{r['cpu_seconds']['client_s']:.0f} / {r['cpu_seconds']['server_s']:.0f}"),
        ("gunicorn CPU ms per request", f"{r['server_cpu_ms_per_request']:.1f}"),
        ("latency p50/p95/p99 ms, all", lat()),
        ("  GET pages", lat("get")),
        ("  POST question", lat("post_question")),
        ("  POST Register", lat("post_register")),
        ("rows in caseapp_submission", rec["rows"]),
        ("confirmed references told to people", rec["confirmed_to_clients"]),
        ("rows no person saw confirmed", rec["unconfirmed_rows"]),
        ("emails at the SMTP server (resent)",
         f"{email['received']} ({len(email['resent'])})" if email else "-"),
        ("email drained after the last request (s)", email["seconds"] if email else "-"),
        ("peak email worker RSS (MB)", email["worker_peak_mb"] if email else "-"),
    ]


def print_report(results: list[dict], meta: dict) -> None:
    print(f"\ncaseapp load test: {meta['database']} ({meta['database_label']}), gunicorn "
          f"{meta['workers']} workers, {meta['machine']['cores']} CPUs, Python "
          f"{meta['machine']['python']}")
    columns = [[(label, str(value)) for label, value in report_column(r)] for r in results]
    first = max(len(label) for label, _value in columns[0]) + 2
    width = max(24, *(len(value) + 2 for column in columns for _label, value in column))
    rule = "-" * (first + width * len(columns))
    print(rule)
    for index, (label, _value) in enumerate(columns[0]):
        print((label.ljust(first) + "".join(c[index][1].ljust(width) for c in columns)).rstrip())
        if index == 0:  # the runs' names
            print(rule)
    print(rule)
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
    option("--registrations", type=int, default=5000, help="registrations in the normal run")
    option("--clients", type=int, default=50, help="concurrent simulated people")
    option("--workers", type=int, default=4, help="gunicorn workers")
    option("--fault-registrations", type=int, default=1000, help="registrations in the fault run")
    option("--skip-fault", action="store_true", help="only the normal run")
    option("--skip-normal", action="store_true", help="only the fault run")
    option("--email-workers", type=int, default=2, help="db_worker processes (0: no email)")
    option("--email-timeout", type=float, default=600.0, help="seconds to wait for the emails")
    option("--retries", type=int, default=6, help="retries of a request before giving up")
    option("--request-timeout", type=float, default=30.0, help="seconds per request")
    option("--lock-seconds", type=float, default=2.0, help="the fault run's database lock")
    option("--run-timeout", type=float, default=2400.0, help="seconds of traffic per run")
    option("--timeout", type=float, default=5400.0, help="seconds for the whole script")
    option("--seed", type=int, default=20250130)
    option("--keep", action="store_true", help="keep the temp dir and scratch database")
    option("--output", type=Path, help="JSON results (default bench-results/loadtest-<db>.json)")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.workers < 1 or args.registrations < 1:
        parser.error("--clients, --workers and --registrations must be positive")
    return args


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def run_once(index: int, name: str, target: int, faults: bool, args, tmp: Path, meta: dict,
             hard_deadline: float) -> dict:
    """One run on its own fresh database and gunicorn: people, settling, reconciliation."""
    label = f"{index} {name}" + (f" ({target} reg.)" if faults else "")
    # Each run drops and creates the scratch database: never the one the developer named.
    db = harness.scratch_database(SCRATCH_DB, tmp / f"run{index}.sqlite3")
    meta.update(database=db.kind, database_label=db.label)
    sink = harness.SmtpSink().start() if args.email_workers else None
    env = harness.app_environment(tmp, db.url, harness.fresh_keys(), {
        # Short leases: a send the kill cut off is settled within seconds, not minutes.
        "CASEAPP_EMAIL_LEASE_SECONDS": "5", "CASEAPP_RECOVER_SECONDS": "5",
        "LOADTEST_PASSWORD": secrets.token_urlsafe(18), **(sink.environment() if sink else {})})
    log(f"run {label}: fresh database {db.label}")
    harness.fresh_database(db, env, keep=args.keep)
    harness.manage(env, "example_firm")
    workers = None
    if sink is not None:
        env["LOADTEST_TOTP_KEY"] = harness.make_staff(env, env["LOADTEST_PASSWORD"],
                                                      {"loadtest-reviewer": "Reviewer"})
        harness.manage(env, "recover_messages")  # schedules the recurring recovery
        workers = harness.Workers(env, args.email_workers, tmp / f"workers-run{index}.log")
    if index == 1:
        harness.manage(env, "collectstatic", "--noinput")
    server = Server(env, args.workers, tmp / f"gunicorn-run{index}.log")
    log(f"run {label}: starting gunicorn, {args.workers} workers on {HOST}:{server.port}")
    server.start()
    run = Run(label, f"r{index}x{secrets.token_hex(2)}", target, args, server, db, sink,
              workers)
    deadline = min(time.monotonic() + args.run_timeout, hard_deadline)
    log(f"run {label}: {args.clients} people at once until {target} registrations"
        + ("; faults: SIGKILL a worker at 30%, lock the database and SIGKILL another "
           "at 60%" if faults else ""))
    client_cpu, server_cpu = cpu_seconds(resource.RUSAGE_SELF), cpu_seconds(
        resource.RUSAGE_CHILDREN)
    settled = None
    try:
        asyncio.run(run.drive(faults, deadline))
        client_cpu = cpu_seconds(resource.RUSAGE_SELF) - client_cpu
        if workers is not None:
            log(f"run {label}: waiting for {args.email_workers} email workers to send")
            settled = settle_email(run, env, args.email_timeout)
    finally:
        server.stop()  # gunicorn's workers are reaped by its master, then the master by us
        server_cpu = cpu_seconds(resource.RUSAGE_CHILDREN) - server_cpu
        if workers is not None:
            workers.stop()
        if sink is not None:
            sink.stop()
    run.cpu = {"client_s": round(client_cpu, 1), "server_s": round(server_cpu, 1)}
    log(f"run {label}: reconciling against the database and the SMTP server")
    result = summarise(run, reconcile(run, faults, settled))
    meta["machine"] = harness.machine(db)  # its version: before the database is dropped
    if not args.keep:
        db.drop()
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # The hard limit: SIGTERM ourselves, which unwinds through every finally and atexit.
    watchdog = threading.Timer(args.timeout, os.kill, (os.getpid(), signal.SIGTERM))
    watchdog.daemon = True
    watchdog.start()
    started = time.monotonic()
    tmp = harness.temp_dir("caseapp-loadtest-", keep=args.keep)
    plan = [] if args.skip_normal else [("normal", args.registrations, False)]
    if not args.skip_fault:
        plan.append(("faults", args.fault_registrations, True))
    meta = {"workers": args.workers, "clients": args.clients, "seed": args.seed,
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    results = [run_once(index, name, target, faults, args, tmp, meta, started + args.timeout - 120)
               for index, (name, target, faults) in enumerate(plan, 1)]

    print_report(results, meta)
    output = harness.write_results(f"loadtest-{meta['database']}",
                                   {"meta": meta, "runs": results}, args.output)
    failed = [c["check"] for r in results for c in r["reconciliation"]["checks"] if not c["pass"]]
    log(f"results written to {output}")
    if args.keep:
        log(f"kept {tmp} and database {meta['database_label']}")
    if failed:
        log(f"FAIL: {len(failed)} reconciliation check(s) failed")
        return 1
    log("PASS: every reconciliation check passed")
    return 0


if __name__ == "__main__":
    harness.run_main(main, log)
