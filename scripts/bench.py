#!/usr/bin/env python
"""Benchmark: caseapp under gunicorn with production settings, at size, against its peers.

``make bench`` (or ``.venv/bin/python scripts/bench.py``); what it seeds, measures, prints and
writes is in docs/deploy.md ("Measuring"). It exits non-zero when a target is missed. Traffic
goes to 127.0.0.1 only, and every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path
from statistics import median
from urllib.parse import urlencode

import harness
from harness import BASE_DIR, HOST, RESULTS, Server, manage, percentile

SCRATCH_DB = "caseapp_bench"
ASSET_RE = re.compile(r'<(?:link|script|img)\b[^>]*?\b(?:href|src)="([^"]+)"', re.I)
HIDDEN_RE = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')
CHECK_ANSWERS = {"country": "US", "premium": "yes", "premium_before_cutoff": "yes",
                 "inmail": "both", "inmail_before_cutoff": "yes", "affiliation": "none",
                 "discovered": "dont_remember"}

PARTS = ("flow", "register", "staff", "export", "weight")
TARGETS = {
    "flow_ratio": 0.5,          # public flow req/s over hello req/s, at least
    "register_enqueue_pct": 5,  # the flow ratio may drop this much for the confirmation email
    "queue_p95_ms": 60,         # each queue page and the submission page, at most
    "search_p95_ms": 20,        # search by reference, exact email or a word of a name
    "overview_p95_ms": 30,      # issue 18
    "admin_factor": 4,          # each list and search page this many times faster than the admin
    "export_rows_per_s": 50_000,
    "export_peak_mb": 150,
    "page_kb": 100,
}

log = harness.logger("bench", sys.stderr)  # the table goes to stdout, the progress to stderr


# --- the app: production settings and two bench-only parts -----------------------------------

BENCH_SETTINGS = '''ROOT_URLCONF = "caseapp_bench_urls"
MIDDLEWARE = ["caseapp_bench_urls.QueryCountMiddleware", *MIDDLEWARE]  # noqa: F405
'''

BENCH_URLS = '''"""Written by scripts/bench.py, bench only: the app's URLs, a bare hello view, and a
middleware that reports each response's query count and server time in headers and, when the
request asks for it, registers without enqueuing the confirmation email (issue 13's peer)."""
import contextlib
import time
from unittest import mock

from django.db import connections
from django.http import HttpResponse
from django.urls import path

from caseapp.services import intake
from caseapp.urls import urlpatterns as app_urlpatterns


class QueryCountMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = 0

        def counter(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        started = time.perf_counter()
        without = (mock.patch.object(intake, "message_enqueue", lambda **kwargs: None)
                   if request.headers.get("X-Bench-Without-Confirmation")
                   else contextlib.nullcontext())
        with connections["default"].execute_wrapper(counter), without:
            response = self.get_response(request)
        response["X-Bench-Queries"] = str(count)
        response["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
        return response


def hello(request):
    return HttpResponse("hello", content_type="text/plain")


urlpatterns = [path("bench/hello", hello), *app_urlpatterns]
'''

# --- the seeded database -----------------------------------------------------------------------

SAMPLE_CODE = """
import json
from django.db.models import Max, Min
from caseapp.crypto import name_tokens
from caseapp.models import Submission
bounds = Submission.objects.aggregate(low=Min("id"), high=Max("id"))
middle = (bounds["low"] + bounds["high"]) // 2
row = Submission.objects.filter(id__gte=middle).exclude(email="").order_by("id").first()
print("BENCH_SAMPLE " + json.dumps({
    "rows": Submission.objects.count(), "id": row.id, "reference": row.reference,
    "email": row.email, "email_index": row.email_index,
    "name_word": (name_tokens(row.full_name) or [""])[-1]}))
"""


def prepare_database(db, env: dict, state_path: Path, count: int, fresh: bool) -> dict:
    """Reuse a seeded database whose row count and keys match, or make and seed a new one."""
    def sample() -> dict:
        return json.loads(" ".join(harness.manage_shell(env, SAMPLE_CODE, "BENCH_SAMPLE")))

    state = json.loads(state_path.read_text()) if state_path.exists() else {}
    if not fresh and state.get("count") == count and db.exists():
        manage(env, "migrate", "--noinput")
        manage(env, "example_firm")
        found = sample()
        if found["rows"] == count:
            log(f"reusing {db.label}: {count:,} rows, seeded {state['seeded_at']}")
            return {"reused": True, "seed_seconds": state.get("seed_seconds"), **found}
        log(f"{db.label} has {found['rows']:,} rows, not {count:,}: seeding anew")
    harness.fresh_database(db, env, keep=True)
    manage(env, "example_firm")
    log(f"seeding {count:,} submissions into {db.label} (seed_demo; minutes at a million)")
    started = time.monotonic()
    manage(env, "seed_demo", "--count", str(count), "--weeks", "52", "--seed", "20250130",
           "--force", timeout=7200)
    state = {"count": count, "seed_seconds": round(time.monotonic() - started, 1),
             "seeded_at": time.strftime("%Y-%m-%dT%H:%M:%S")}
    db.analyze()
    log(f"seeded in {state['seed_seconds']:.0f} s")
    state_path.write_text(json.dumps(state))
    return {"reused": False, "seed_seconds": state["seed_seconds"], **sample()}


# --- 1. the public flow against hello ----------------------------------------------------------

WRK_FLOW = r'''
-- One simulated person per connection (wrk -t N -c N): the whole eligible check, again and
-- again. The csrftoken cookie is chosen by the client, as Django allows, so that the one
-- Set-Cookie a response carries is the check's sealed cookie (caseapp/drafts.py).
-- Arguments: the origin; "hello" sends the same requests to the hello view instead (the
-- client then does the same work per request, so the two rates differ only by the server);
-- "register" (or "register-without", which asks the bench's middleware to skip the
-- confirmation email's enqueue) then registers each person, under a made-up name and address.
local steps = {{"GET", "/"}}
for _, a in ipairs({ANSWERS}) do
  table.insert(steps, {"GET", "/check/" .. a[1] .. "/"})
  table.insert(steps, {"POST", "/check/" .. a[1] .. "/", a[1] .. "=" .. a[2]})
end
for _, s in ipairs({{"GET", "/check/answers/"}, {"POST", "/check/answers/", ""},
                    {"GET", "/result/"}}) do table.insert(steps, s) end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

bad, checks = 0, 0
local step, draft, csrf, origin, hello_only, without_email = 0, nil, nil, nil, false, false
local form_token = ""

function init(args)
  origin, hello_only = args[1], args[2] == "hello"
  if args[3] == "register" or args[3] == "register-without" then
    without_email = args[3] == "register-without"
    for _, s in ipairs({{"GET", "/register/"}, {"POST", "/register/", "register"},
                        {"GET", "/confirmation/"}}) do table.insert(steps, s) end
  end
  math.randomseed(os.time() * 100 + id)
end

local function random_text(length)
  local t = {}
  for i = 1, length do t[i] = string.char(math.random(97, 122)) end
  return table.concat(t)
end

function request()
  if step == 0 then draft, csrf = nil, random_text(32) end  -- a new person
  local s = steps[step + 1]
  local cookie = "csrftoken=" .. csrf
  if draft then cookie = cookie .. "; caseapp_check=" .. draft end
  local headers = {["X-Forwarded-Proto"] = "https", ["Cookie"] = cookie}
  local body = nil
  if s[1] == "POST" then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    headers["Origin"], headers["Referer"] = origin, origin .. s[2]
    body = "csrfmiddlewaretoken=" .. csrf
    if s[3] == "register" then  -- a name and address of their own: nobody's duplicate
      body = body .. "&form_token=" .. form_token .. "&full_name=Bench+" .. random_text(12)
             .. "&email=bench-" .. random_text(16) .. "%40example.org&phone=&state=CA"
             .. "&consent_contact=on&attest_true=on"
      if without_email then headers["X-Bench-Without-Confirmation"] = "1" end
    elseif s[3] ~= "" then
      body = body .. "&" .. s[3]
    end
  end
  return wrk.format(s[1], hello_only and "/bench/hello" or s[2], headers, body)
end

function response(status, headers, body)
  local s = steps[step + 1]
  local value = (headers["Set-Cookie"] or ""):match("caseapp_check=([^;]*)")
  if value then draft = value end
  if s[1] == "GET" and s[2] == "/register/" then
    form_token = body:match('name="form_token" value="([^"]+)"') or ""
  end
  local wanted = (s[1] == "POST" and not hello_only) and 302 or 200
  if status ~= wanted then bad = bad + 1 end
  step = (step + 1) % #steps
  if step == 0 then checks = checks + 1 end
end

function done(summary, latency, requests)
  local b, c = 0, 0
  for _, t in ipairs(threads) do b, c = b + t:get("bad"), c + t:get("checks") end
  io.write(string.format("BENCH_BAD %d\nBENCH_CHECKS %d\n", b, c))
end
'''.replace("{ANSWERS}", "{" + ", ".join(f'{{"{k}", "{v}"}}' for k, v in CHECK_ANSWERS.items())
            + "}")


def wrk(port: int, seconds: float, connections: int, script: Path | None = None,
        args: tuple[str, ...] = ()) -> dict:
    """wrk against the hello view, or with ``script`` the public flow from ``/``."""
    command = ["wrk", "-t", str(connections), "-c", str(connections), "-d", f"{seconds:.0f}s",
               "--latency", "-H", "X-Forwarded-Proto: https"]
    command += ["-s", str(script), f"http://{HOST}:{port}/", "--", harness.origin(port),
                *args] if script else [f"http://{HOST}:{port}/bench/hello"]
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60).stdout

    def number(pattern: str, default=None):
        match = re.search(pattern, out)
        return float(match.group(1)) if match else default

    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    bad = number(r"BENCH_BAD (\d+)")  # the flow script's count, else wrk's own
    return {
        "requests_per_second": number(r"Requests/sec:\s+([\d.]+)"),
        "unexpected_status": int(bad if bad is not None
                                 else number(r"Non-2xx or 3xx responses:\s+(\d+)", 0)),
        "socket_errors": (re.findall(r"Socket errors: (.*)", out) or [""])[0],
        "checks_completed": int(number(r"BENCH_CHECKS (\d+)", 0)),
        "latency_p50_ms": round(float(p50.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[
            p50.group(2)], 2) if p50 else None,
    }


def measure_flow(port: int, script: Path, seconds: float, connections: int) -> dict:
    wrk(port, 2, connections)  # warm every worker
    wrk(port, 2, connections, script)
    hello = wrk(port, seconds, connections)
    flow = wrk(port, seconds, connections, script)
    # The check's client script costs wrk more per request than a fixed request does, on
    # the same two cores as the server: hello through that script shows how much.
    same = wrk(port, seconds, connections, script, ("hello",))
    ratio = round(flow["requests_per_second"] / hello["requests_per_second"], 3)
    return {"hello": hello, "flow": flow, "hello_same_client": same, "ratio": ratio,
            "ratio_same_client": round(flow["requests_per_second"]
                                       / same["requests_per_second"], 3),
            "requests_per_check": 2 * len(CHECK_ANSWERS) + 4,  # with /, answers, result
            "pass": ratio >= TARGETS["flow_ratio"] and flow["unexpected_status"] == 0}


# --- 1b. the registration request, with and without its confirmation email -----------------------

DELETE_AFTER = """
import os
from django_tasks_db.models import DBTaskResult
from caseapp.models import Submission
print(Submission.objects.filter(id__gt=int(os.environ["BENCH_LAST_ID"])).delete())
# The confirmations they enqueued: no worker runs in the bench, so they wait, unsent.
print(DBTaskResult.objects.filter(task_path="caseapp.services.email.outbox.deliver_message").delete())
"""


def register_once(port: int, without_confirmation: bool) -> harness.Response:
    """One person through the eligible check to a registration, the POST to /register/
    returned; with ``without_confirmation`` the bench's middleware skips the enqueue."""
    person = harness.Visitor(port)
    person.request("GET", "/")
    for key, value in CHECK_ANSWERS.items():
        person.post_form(f"/check/{key}/", {key: value})
    person.post_form("/check/answers/")
    page = person.request("GET", "/register/")
    form = dict(HIDDEN_RE.findall(page.text)) | {
        "full_name": f"Bench {secrets.token_hex(6)}", "phone": "", "state": "CA",
        "email": f"bench-{secrets.token_hex(8)}@example.org",  # nobody's duplicate
        "consent_contact": "on", "attest_true": "on"}
    response = person.request("POST", "/register/", form, {"X-Bench-Without-Confirmation": "1"}
                              if without_confirmation else None)
    if response.status != 302 or "/confirmation/" not in (response.header("location") or ""):
        raise SystemExit(f"POST /register/ answered {response.status}, not a redirect to "
                         "the confirmation")
    return response


def measure_register(port: int, env: dict, db, script: Path, repeat: int, seconds: float,
                     connections: int) -> dict:
    """What enqueuing the confirmation email costs a registration (issue 13): the request's
    server time, in pairs with and without it in turn; and the flow ratio with a registration
    per person under wrk, three runs each way in the order ABBAAB, the median of each. The
    registrations are deleted afterwards, so that the seeded database can be reused."""
    last_id = db.query("SELECT COALESCE(MAX(id), 0) FROM caseapp_submission")[0][0]
    samples, flows = {True: [], False: []}, {True: [], False: []}
    try:
        for i in range(repeat + 3):
            for without in ((False, True) if i % 2 else (True, False)):
                response = register_once(port, without)
                if i >= 3:  # the first pairs warm every worker's templates
                    samples[without].append(response)
        hello = wrk(port, seconds, connections)
        for without in (True, False, False, True, True, False):
            flows[without].append(wrk(port, seconds, connections, script, (
                "flow", "register-without" if without else "register")))
    finally:
        manage({**env, "BENCH_LAST_ID": str(last_id)}, "shell", "-c", DELETE_AFTER)
        db.analyze()  # the staff pages measured next must not walk the deleted rows

    def flow_summary(runs: list[dict]) -> dict:
        rate = median(run["requests_per_second"] for run in runs)
        return {"requests_per_second": round(rate, 1),
                "ratio": round(rate / hello["requests_per_second"], 3),
                "unexpected_status": sum(run["unexpected_status"] for run in runs),
                "registrations": sum(run["checks_completed"] for run in runs),
                "runs": [run["requests_per_second"] for run in runs]}

    with_email, without_email = page_summary(samples[False]), page_summary(samples[True])
    added = with_email["app_p50_ms"] - without_email["app_p50_ms"]
    flow_with, flow_without = flow_summary(flows[False]), flow_summary(flows[True])
    change = round(100 * (flow_with["ratio"] / flow_without["ratio"] - 1), 1)
    return {"with": with_email, "without": without_email, "added_ms": round(added, 2),
            "added_pct": round(100 * added / without_email["app_p50_ms"], 1), "hello": hello,
            "flow_with": flow_with, "flow_without": flow_without,
            "flow_ratio_change_pct": change,
            "pass": -change <= TARGETS["register_enqueue_pct"]
            and flow_with["unexpected_status"] == flow_without["unexpected_status"] == 0}


# --- 2. staff pages against the admin ----------------------------------------------------------

def page_summary(responses: list[harness.Response], path: str = "") -> dict:
    """Client time (loopback), server time and queries of the same request made again."""
    times = [r.seconds * 1000 for r in responses]
    server = [r.app_ms for r in responses if r.app_ms is not None]
    return {"path": path, "requests": len(times), "p50_ms": round(median(times), 1),
            "p95_ms": round(percentile(times, 95), 1),
            "app_p50_ms": round(median(server), 2) if server else None,
            "app_p95_ms": round(percentile(server, 95), 2) if server else None,
            "queries": int(responses[-1].header("x-bench-queries") or -1),
            "bytes": len(responses[-1].body)}


def time_page(browser: harness.Visitor, path: str, repeat: int, warmup: int) -> dict:
    for _ in range(warmup):
        browser.request("GET", path)
    responses, deadline = [], time.monotonic() + 120
    while len(responses) < repeat and time.monotonic() < deadline:
        responses.append(browser.request("GET", path))
        if responses[-1].status != 200:
            raise SystemExit(f"GET {path} answered {responses[-1].status}")
    return page_summary(responses, path)


def time_decide_and_next(browser: harness.Visitor, repeat: int) -> dict:
    """The "Accept and next" POST of work-queue mode (issue 14) through the new eligible
    submissions, oldest first, up to ``repeat`` of them: each decides one and answers with the
    next one's address. Only the POST is timed (the page it leads to is measured above)."""
    queue = "review_status=new&outcome=eligible&sort=received"
    location = browser.request("GET", f"/staff/submissions/start/?{queue}").header("location")
    responses = []
    while len(responses) < repeat and "/staff/submissions/LI-" in (location or ""):
        path = "/" + location.split("://", 1)[-1].split("/", 1)[-1].lstrip("/")
        page = browser.request("GET", path)
        version = re.search(r'name="version" value="(\d+)"', page.text)
        action = path.replace("/?", "/decide/?", 1)
        response = browser.request("POST", action, {
            "csrfmiddlewaretoken": harness.csrf_token(page.text),
            "version": version.group(1) if version else "", "decision": "accepted:next"})
        if response.status != 302:
            raise SystemExit(f"POST {action} answered {response.status}")
        responses.append(response)
        location = response.header("location")
    if not responses:
        raise SystemExit("decide and next: no new submission to decide")
    return page_summary(responses, f"/staff/submissions/<ref>/decide/?{queue}&wq=1")


def measure_staff(port: int, sample: dict, password: str, totp_key: str, repeat: int,
                  warmup: int) -> list[dict]:
    reviewer, admin = harness.Visitor(port), harness.Visitor(port)
    reviewer.sign_in("bench-reviewer", password, totp_key=totp_key)
    admin.sign_in("bench-admin", password, totp_key=totp_key)
    queue, admin_list = "/staff/submissions/?", "/admin/caseapp/submission/?"
    by_reference = urlencode({"q": sample["reference"]})
    pages = [  # label, kind (its target), the page, the admin's page on the same rows
        ("queue, first page", "queue", queue, admin_list),
        ("queue, filtered + sorted", "queue",
         queue + "outcome=needs_review&review_status=new&sort=received",
         admin_list + "outcome__exact=needs_review&review_status__exact=new&o=2"),
        ("queue, filter state + sort ref", "queue",
         queue + "state=TX&review_status=in_review&sort=reference",
         admin_list + "state__exact=TX&review_status__exact=in_review&o=1"),
        ("search by reference", "search", queue + by_reference, admin_list + by_reference),
        ("search by email", "search", queue + urlencode({"q": sample["email"]}),
         admin_list + urlencode({"q": sample["email_index"]})),
        # The admin shows one submission read-only (issue 12); this page adds the timeline,
        # messages, duplicates and the decision forms: its figure is shown, not a target.
        ("submission page", "page", f"/staff/submissions/{sample['reference']}/",
         f"/admin/caseapp/submission/{sample['id']}/change/"),
        ("overview", "overview", "/staff/", None),
        # Issue 14: a word of a name (the demo's serial, one person; "person", everyone).
        ("search by a name word", "search", queue + urlencode({"q": sample["name_word"]}),
         None),
        ("search by a common name word", "search", queue + "q=person", None),
        ("decide and next", "queue", None, None),
    ]
    limits = {"queue": TARGETS["queue_p95_ms"], "page": TARGETS["queue_p95_ms"],
              "search": TARGETS["search_p95_ms"], "overview": TARGETS["overview_p95_ms"]}
    rows = []
    for label, kind, path, admin_path in pages:
        log(f"staff: {label}")
        page = (time_page(reviewer, path, repeat, warmup) if path
                else time_decide_and_next(reviewer, repeat))
        peer = admin_path and time_page(admin, admin_path, max(5, repeat // 4), warmup)
        factor = round(peer["p95_ms"] / page["p95_ms"], 1) if peer else None
        rows.append({"page": label, "kind": kind, "target_p95_ms": limits[kind], **page,
                     "admin": peer or None, "admin_factor": factor,
                     "pass": page["p95_ms"] <= limits[kind] and (
                         factor is None or kind == "page" or factor >= TARGETS["admin_factor"])})
    return rows


# --- 3. export and 4. page weight --------------------------------------------------------------

def measure_export(env: dict, tmp: Path, password: str, totp_key: str, rows: int) -> dict:
    server = Server(env, 1, tmp / "gunicorn-export.log", timeout=1800)
    server.start()
    try:
        supervisor = harness.Visitor(server.port)
        supervisor.sign_in("bench-supervisor", password, totp_key=totp_key)
        (worker,) = server.worker_pids()
        before = harness.proc_status_kb(worker)
        lines = size = 0
        started = time.perf_counter()
        connection = http.client.HTTPConnection(HOST, server.port, timeout=1800)
        connection.request("GET", "/staff/submissions/export.csv", headers={
            "X-Forwarded-Proto": "https", "Cookie": supervisor.cookie_header()})
        response = connection.getresponse()
        if response.status != 200:
            raise SystemExit(f"export answered {response.status}")
        while chunk := response.read1(1 << 20):  # streamed: never the whole CSV in memory
            size += len(chunk)
            lines += chunk.count(b"\n")
        connection.close()
        seconds = time.perf_counter() - started
        after = harness.proc_status_kb(worker)
    finally:
        server.stop()
    result = {"rows": lines - 1, "seconds": round(seconds, 2),  # less the CSV's header line
              "rows_per_second": round((lines - 1) / seconds),
              "megabytes": round(size / 1e6, 1), "rss_before_mb": round(before["VmRSS"] / 1024, 1),
              "peak_rss_mb": round(after["VmHWM"] / 1024, 1)}
    result["pass"] = (result["rows"] == rows
                      and result["rows_per_second"] >= TARGETS["export_rows_per_s"]
                      and result["peak_rss_mb"] <= TARGETS["export_peak_mb"])
    return result


def measure_weight(port: int) -> list[dict]:
    results = []
    accept = {"Accept-Encoding": "br, gzip", "Accept": "text/html"}
    for label, path in (("start page", "/"), ("question page", "/check/country/")):
        page = harness.fetch(port, "GET", path, accept)
        total, parts, other_origins = page.wire_bytes, [("html", page.wire_bytes)], []
        for url in dict.fromkeys(ASSET_RE.findall(page.text)):
            if url.startswith(("http:", "https:", "//")):
                other_origins.append(url)
            elif url.startswith("/"):
                asset = harness.fetch(port, "GET", url, accept)
                total += asset.wire_bytes
                encoding = asset.header("content-encoding") or "identity"
                parts.append((f"{url.rsplit('/', 1)[-1]} ({encoding})", asset.wire_bytes))
        results.append({"page": label, "path": path, "bytes": total, "parts": parts,
                        "other_origins": other_origins,
                        "pass": total <= TARGETS["page_kb"] * 1024 and not other_origins})
    return results


# --- the report --------------------------------------------------------------------------------

def ok(passed: bool) -> str:
    return "PASS" if passed else "FAIL"


def print_report(result: dict) -> None:
    meta, flow, register, export = (result[k] for k in ("meta", "flow", "register", "export"))
    machine = meta["machine"]
    print(f"\ncaseapp bench: {meta['database']} ({meta['database_label']}), "
          f"{meta['rows']:,} submissions{' (reused)' if meta['reused'] else ''}")
    print(f"machine: {machine['cores']} cores ({machine['cpu']}), {machine['memory']}; Python "
          f"{machine['python']}, Django {machine['django']}, gunicorn {machine['gunicorn']} "
          f"({meta['workers']} sync workers), {meta['wrk']}")
    print(f"load average before/after: {meta['load_before']} / {machine['load_average']} "
          "(other processes share these cores)")
    if flow:
        same = flow["hello_same_client"]
        print(f"\n1. public flow vs bare hello view (wrk, {meta['connections']} connections, "
              f"{meta['seconds']:.0f} s each)")
        print(f"   hello view        {flow['hello']['requests_per_second']:8.1f} req/s")
        print(f"   full check flow   {flow['flow']['requests_per_second']:8.1f} req/s  "
              f"({flow['flow']['checks_completed']} checks of {flow['requests_per_check']} "
              f"requests, {flow['flow']['unexpected_status']} unexpected statuses)")
        print(f"   ratio             {flow['ratio']:8.3f}      target >= "
              f"{TARGETS['flow_ratio']}   {ok(flow['pass'])}")
        print(f"   hello view, sent by the check's own client script: "
              f"{same['requests_per_second']:.1f} req/s ({same['unexpected_status']} "
              "unexpected statuses)")
        print(f"   ratio to that     {flow['ratio_same_client']:8.3f}      (wrk's own work "
              "per request the same on both sides)")
    if register:
        print(f"\n1b. the registration request (POST /register/), {register['with']['requests']}"
              " with its confirmation email enqueued and as many without, in turn "
              "(server time, ms)")
        for label, row in (("with the email", register["with"]),
                           ("without", register["without"])):
            print(f"   {label:17} p50 {row['app_p50_ms']:6.2f}  p95 {row['app_p95_ms']:6.2f}  "
                  f"{row['queries']} queries")
        print(f"   enqueuing adds    {register['added_ms']:6.2f} ms = {register['added_pct']} % "
              "of the request")
        print(f"   the check and a registration per person under wrk ({meta['seconds']:.0f} s x 3"
              f" each, alternating, median); hello view "
              f"{register['hello']['requests_per_second']:.1f} req/s")
        for label, row in (("with the email", register["flow_with"]),
                           ("without", register["flow_without"])):
            print(f"   {label:17} {row['requests_per_second']:8.1f} req/s, ratio "
                  f"{row['ratio']:.3f} (runs {', '.join(f'{r:.0f}' for r in row['runs'])}; "
                  f"{row['registrations']} registrations, {row['unexpected_status']} unexpected "
                  "statuses)")
        print(f"   ratio change      {register['flow_ratio_change_pct']:+6.1f} %      target >= "
              f"-{TARGETS['register_enqueue_pct']} %   {ok(register['pass'])}")
    if result["staff"]:
        print(f"\n2. staff pages, {meta['repeat']} sequential requests each, client time on "
              "loopback (ms); admin = Django admin changelist/change form on the same rows")
        header = (f"   {'page':31} {'p50':>6} {'p95':>6} {'app50':>6} {'qry':>4} {'target':>6} "
                  f"{'admin p50':>9} {'admin p95':>9} {'a.qry':>5} {'x faster':>8}")
        print(header + "\n   " + "-" * (len(header) - 3))
    for row in result["staff"]:
        peer = row["admin"] or {"p50_ms": float("nan"), "p95_ms": float("nan"), "queries": "-"}
        print(f"   {row['page']:31} {row['p50_ms']:6.1f} {row['p95_ms']:6.1f} "
              f"{row['app_p50_ms'] or 0:6.1f} {row['queries']:4d} {row['target_p95_ms']:6d} "
              f"{peer['p50_ms']:9.1f} {peer['p95_ms']:9.1f} {peer['queries']:>5} "
              f"{row['admin_factor'] or '-':>8}  {ok(row['pass'])}")
    if export:
        print(f"\n3. CSV export of all rows (1 worker): {export['rows']:,} rows in "
              f"{export['seconds']:.1f} s = {export['rows_per_second']:,} rows/s "
              f"(target >= {TARGETS['export_rows_per_s']:,}), {export['megabytes']} MB; worker "
              f"RSS {export['rss_before_mb']} MB before, peak {export['peak_rss_mb']} MB "
              f"(target <= {TARGETS['export_peak_mb']})   {ok(export['pass'])}")
    if result["weight"]:
        print("\n4. page weight on first load, as served (br/gzip), all origins")
    for page in result["weight"]:
        print(f"   {page['page']:14} {page['bytes'] / 1024:6.1f} KB (target <= "
              f"{TARGETS['page_kb']}), other origins: {len(page['other_origins'])}   "
              f"{ok(page['pass'])}")
        print("      " + ", ".join(f"{name} {size / 1024:.1f}" for name, size in page["parts"]))
    failed = result["failed"]
    print("\ntargets: " + ("all hold" if not failed else "MISSED: " + "; ".join(failed)) + "\n")


def failures(flow, register, staff, export, weight) -> list[str]:
    """The parts that missed their target; their figures are in the report above."""
    parts = [("public flow", flow), ("registration's email", register), ("export", export),
             *((f"staff: {row['page']}", row) for row in staff),
             *((f"weight: {page['page']}", page) for page in weight)]
    return [label for label, part in parts if part and not part["pass"]]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=None,
                        help="submissions (default 1,000,000 on PostgreSQL, 100,000 on SQLite)")
    parser.add_argument("--fresh", action="store_true", help="seed anew even if reusable")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1,
                        help="gunicorn workers (default: the deploy rule, 2 x cores + 1)")
    parser.add_argument("--seconds", type=float, default=10, help="each wrk run (default 10)")
    parser.add_argument("--repeat", type=int, default=60,
                        help="sequential requests per staff page (default 60)")
    parser.add_argument("--only", choices=PARTS, action="append",
                        help="measure only this part (repeatable); the table shows what ran")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (make bench does it)")

    db = harness.scratch_database(SCRATCH_DB, RESULTS / "bench.sqlite3")
    count = args.count or (1_000_000 if db.kind == "postgresql" else 100_000)
    RESULTS.mkdir(exist_ok=True)
    # The keys and passwords live beside the database they seeded (bench-results/ is ignored).
    keys_path = RESULTS / f"bench-{db.kind}.keys.json"
    state_path = RESULTS / f"bench-{db.kind}.state.json"
    if not keys_path.exists() or args.fresh:
        keys_path.write_text(json.dumps({**harness.fresh_keys(),
                                         "password": secrets.token_urlsafe(24)}))
        keys_path.chmod(0o600)
        state_path.unlink(missing_ok=True)
    keys = json.loads(keys_path.read_text())
    tmp = harness.temp_dir("caseapp-bench-")
    env = harness.app_environment(tmp, db.url, keys, {"CASEAPP_ADMIN_ENABLED": "1"},
                                  BENCH_SETTINGS)  # the admin: the staff pages' peer
    (tmp / "settings" / "caseapp_bench_urls.py").write_text(BENCH_URLS)

    load_before = [round(x, 2) for x in os.getloadavg()]
    prepared = prepare_database(db, env, state_path, count, args.fresh)
    totp_key = harness.make_staff(env, keys["password"], {  # as in the keys file, always
        "bench-reviewer": "Reviewer", "bench-supervisor": "Supervisor", "bench-admin": None})
    manage(env, "collectstatic", "--noinput")

    connections = 2 * args.workers
    script = tmp / "flow.lua"
    script.write_text(WRK_FLOW)
    server = Server(env, args.workers, tmp / "gunicorn.log", timeout=300)
    log(f"gunicorn: {args.workers} workers on {HOST}:{server.port}")
    server.start()
    parts = set(args.only or PARTS)
    flow, register, staff, export, weight = None, None, [], None, []
    try:
        if "flow" in parts:
            log("1. public flow vs hello (wrk)")
            flow = measure_flow(server.port, script, args.seconds, connections)
        if "register" in parts:
            log("1b. the registration request, with and without its email")
            register = measure_register(server.port, env, db, script, args.repeat,
                                        args.seconds, connections)
        if "staff" in parts:
            log("2. staff pages vs admin")
            # Each worker compiles a page's templates on its first request: warm them all, so
            # that the figures are the steady state, not five first requests in sixty.
            staff = measure_staff(server.port, prepared, keys["password"], totp_key,
                                  args.repeat, warmup=3 * args.workers)
        if "weight" in parts:
            log("4. page weight")
            weight = measure_weight(server.port)
    finally:
        server.stop()
    if "export" in parts:
        log("3. export (1 worker)")
        export = measure_export(env, tmp, keys["password"], totp_key, prepared["rows"])

    result = {
        "meta": {"database": db.kind, "database_label": db.label, "rows": prepared["rows"],
                 "reused": prepared["reused"], "seed_seconds": prepared["seed_seconds"],
                 "workers": args.workers, "connections": connections, "seconds": args.seconds,
                 "repeat": args.repeat, "machine": harness.machine(db),
                 "wrk": subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout
                 .split("[")[0].strip(), "load_before": load_before,
                 "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "targets": TARGETS},
        "flow": flow, "register": register, "staff": staff, "export": export, "weight": weight,
        "failed": failures(flow, register, staff, export, weight),
    }
    print_report(result)
    output = harness.write_results(f"bench-{db.kind}", result)
    log(f"results written to {output.relative_to(BASE_DIR)}")
    return 1 if result["failed"] else 0


if __name__ == "__main__":
    harness.run_main(main, log)
