"""What each hand-made speed-up saves of its request, against Django's own way (issue 18).

Rule (docs/decisions.md): a speed-up that replaces Django stays only if it saves at least 10 %
of the request it was written for, at the million-row bench. ``make bench`` measures whole
flows, and its run-to-run noise on shared cores is larger than most of these, so this script
measures each one in process, with Django's test client and production settings, against the
bench's seeded database (``caseapp_bench`` on the PostgreSQL server ``DATABASE_URL`` names, or
``bench-results/bench.sqlite3``, with the keys ``make bench`` kept in ``bench-results/``; run
``make bench`` first). Without one it uses a scratch SQLite database with no submissions.

For each speed-up, ``--rounds`` rounds of A (as the code is) and B (Django's way, patched in
for the measurement) in alternating order, each the median of ``--requests`` requests; the
saving of a round is (B - A) / B. It prints the median saving and its spread (min-max).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python \\
        scripts/measure_speedups.py [--only NAME]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import harness

sys.path.insert(0, str(harness.BASE_DIR))


def configure() -> str:
    """Production settings on the bench's database (or a scratch SQLite); returns its label."""
    db = harness.scratch_database("caseapp_bench", harness.RESULTS / "bench.sqlite3")
    keys_path = harness.RESULTS / f"bench-{db.kind}.keys.json"
    if keys_path.exists() and db.exists():
        keys = json.loads(keys_path.read_text())
    else:
        keys = harness.fresh_keys()
        db = harness.SqliteDatabase(harness.temp_dir("caseapp-speedups-") / "db")
    env = harness.app_environment(Path(tempfile.gettempdir()), "caseapp.settings", db.url,
                                  keys, {"DJANGO_ALLOWED_HOSTS": "testserver"})
    env.pop("PYTHONPATH")
    os.environ.clear()
    os.environ.update(env)
    return db.label


# --- B: Django's own way, patched in for the measurement ---------------------------------------

def no_case_cache():
    from django.test import override_settings

    return override_settings(CASEAPP_PUBLIC_CASE_MAX_AGE=0)


def django_widgets():
    """The staff form controls through Django's widget templates (``BoundField.as_widget``),
    with the attributes the app's own tag gives them."""
    from caseapp.templatetags import staff_forms

    return swapped_tag("control", lambda field: field.as_widget(
        attrs=staff_forms.control_attrs(field)))


@contextlib.contextmanager
def swapped_tag(name: str, function):
    """The staff_forms tag ``name`` drawn by ``function``; compiled templates are forgotten
    on the way in and out (the cached loader holds the tag they were compiled with)."""
    from django.template import engines

    engine = engines["django"].engine
    library = engine.template_libraries["staff_forms"]
    old = library.tags[name]
    library.simple_tag(function, name=name)
    for loader in engine.template_loaders:
        loader.reset()
    try:
        yield
    finally:
        library.tags[name] = old
        for loader in engine.template_loaders:
            loader.reset()


# --- the measurements --------------------------------------------------------------------------

#: Wall time, or with ``--cpu`` this process's CPU time: on cores shared with others, a
#: request's wall time varies by milliseconds with their load, its CPU time far less (but
#: the CPU time leaves out the database server's part of a query).
CLOCK = [time.perf_counter]


def request_ms(client, path: str, n: int) -> float:
    clock = CLOCK[0]
    times = []
    for _ in range(n):
        started = clock()
        response = client.get(path)
        times.append((clock() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code}")
    return statistics.median(times)


def export_ms(rows: int, plain: bool) -> float:
    """Milliseconds per thousand rows of the export's CSV, read to the end."""
    from caseapp.models import Submission
    from caseapp.selectors import export
    from caseapp.selectors.case_record import case_current

    qs = Submission.objects.order_by("created_at", "id")[:rows]
    encoder = writer_csv if plain else export.export_csv
    started = CLOCK[0]()
    for _chunk in encoder(qs, case=case_current(), completed=lambda n: None):
        pass
    return (CLOCK[0]() - started) * 1000 / (rows / 1000)


def writer_csv(qs, *, case, completed):
    """The export with the standard library's ``csv.writer``: the same cells as
    ``export.export_csv`` (keep them in step), every cell disarmed, the writer quotes (the
    candidate that replaces the hand encoder)."""
    import csv
    import io

    from django.utils import timezone

    from caseapp import eligibility
    from caseapp.models import ReviewEvent, Submission
    from caseapp.selectors import export

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(export.EXPORT_COLUMNS + [q.key for q in eligibility.QUESTIONS]
                    + export.EXPORT_TRAILING_COLUMNS)
    firm_time = export.FirmTime(timezone.get_default_timezone())
    name, email, phone, reason_of = (Submission._meta.get_field(f).open
                                     for f in ("full_name", "email", "phone", "override_reason"))
    decision_text = ReviewEvent._meta.get_field("text").open
    safe, sep = export.spreadsheet_safe, export.SEPARATOR

    def when(utc_text) -> str:
        return firm_time(utc_text) if utc_text else ""

    rows, written = [], 0
    for (reference, received, n, e, p, middle, assignee, tail, r, decided_by, decided_utc,
         decision_token, confirmed, info_requested, info_received) in export.stream_values(
            export.export_values(qs, case=case)):
        override_reason = reason_of(r)
        decision_reason = (decision_text(decision_token) or override_reason) if decided_utc \
            else ""
        rows.append([safe(reference), firm_time(received), safe(name(n)), safe(email(e)),
                     safe(phone(p)), *map(safe, middle.split(sep)), safe(assignee),
                     *map(safe, tail.split(sep)), safe(override_reason), safe(decided_by or ""),
                     when(decided_utc), safe(decision_reason), confirmed, when(info_requested),
                     when(info_received)])
        if len(rows) == 1000:
            writer.writerows(rows)
            written += len(rows)
            rows.clear()
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    writer.writerows(rows)
    yield buffer.getvalue()
    completed(written + len(rows))


SPEEDUPS = {
    # name: (pages, who asks, B)
    "staff widgets (templatetags/staff_forms.py)": (
        ["/staff/submissions/"], "staff", django_widgets),
    "case-record cache (PublicCaseCache)": (["/", "/check/country/"], "public", no_case_cache),
}


def alternate(rounds: int, timed) -> tuple[list[float], list[float], list[float]]:
    """``timed(plain)`` in rounds of A (``plain`` false: as the code is) and B (Django's way)
    in alternating order: the figures of A, of B, and each round's saving (B - A) / B."""
    a, b, savings = [], [], []
    for r in range(rounds):
        times = {plain: timed(plain) for plain in ((False, True), (True, False))[r % 2]}
        a.append(times[False])
        b.append(times[True])
        savings.append(100 * (times[True] - times[False]) / times[True])
    return a, b, savings


def measure(name: str, clients: dict, rounds: int, requests: int) -> dict:
    pages, who, plain = SPEEDUPS[name]
    result = {}
    for path in pages:
        def timed(b: bool, path: str = path) -> float:
            with plain() if b else contextlib.nullcontext():
                request_ms(clients[who], path, 3)  # warm: templates compiled, caches filled
                return request_ms(clients[who], path, requests)

        a_ms, b_ms, savings = alternate(rounds, timed)
        result[path] = {"with_ms": round(statistics.median(a_ms), 3),
                        "without_ms": round(statistics.median(b_ms), 3),
                        "saving_pct": round(statistics.median(savings), 1),
                        "spread_pct": [round(min(savings), 1), round(max(savings), 1)]}
    return result


class Stopwatch:
    """Put before each middleware (and after the last): notes when a request passes in and
    out, so that each middleware's own time is its span less the next one's."""

    made = 0

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.index = Stopwatch.made
        Stopwatch.made += 1

    def __call__(self, request):
        marks = request.__dict__.setdefault("stopwatch", {})
        # CPU time of this thread: on shared cores a wall clock also counts the moments the
        # process waited for a core, wherever in the chain they fell.
        entered = time.thread_time()
        response = self.get_response(request)
        marks[self.index] = time.thread_time() - entered
        return response


def measure_middleware(requests: int, paths: list[str]) -> dict:
    """What each of settings.MIDDLEWARE costs a public page, in its own code (``__call__``
    and the request/response hooks around the next one; ``process_view`` hooks run with the
    view and count there), in CPU time: the median over ``requests`` requests, and its share
    of the page."""
    from django.conf import settings
    from django.test import Client, override_settings

    full = list(settings.MIDDLEWARE)
    marker = "measure_speedups.Stopwatch"
    stack = [x for name in full for x in (marker, name)] + [marker]
    results = {}
    with override_settings(MIDDLEWARE=stack):
        Stopwatch.made = 0
        client = Client()
        client.get("/")
        for path in paths:
            per = {name: [] for name in [*full, "view"]}
            totals = []
            for _ in range(requests):
                # Django builds the chain from the inside out: marker 0 is next to the view.
                found = client.get(path).wsgi_request.stopwatch
                marks = [found[len(full) - i] for i in range(len(full) + 1)]
                for i, name in enumerate(full):
                    per[name].append(marks[i] - marks[i + 1])
                per["view"].append(marks[len(full)])
                totals.append(marks[0])
            total = statistics.median(totals) * 1000
            results[path] = {name: round(statistics.median(v) * 1000, 3)
                             for name, v in per.items()} | {"total": round(total, 3)}
            print(f"{path}: {total:.3f} ms a request (median of {requests})")
            for name, ms in results[path].items():
                if name != "total":
                    print(f"  {name:56} {ms:7.3f} ms {100 * ms / total:5.1f} %")
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--export-rows", type=int, default=100_000)
    parser.add_argument("--only", action="append", help="a name's start (repeatable)")
    parser.add_argument("--cpu", action="store_true",
                        help="time this process's CPU, not the wall clock")
    parser.add_argument("--middleware", action="store_true",
                        help="only what each middleware costs a public page")
    args = parser.parse_args()
    label = configure()
    if args.cpu:
        CLOCK[0] = time.process_time

    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django_otp import DEVICE_ID_SESSION_KEY

    setup_test_environment()
    if "caseapp-speedups-" in label:  # the scratch SQLite
        call_command("migrate", verbosity=0)
        call_command("example_firm", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    public, staff = Client(), Client()
    public.get("/")  # the draft and CSRF cookies, as a person's second page has
    supervisor = User.objects.filter(username="bench-supervisor").first()
    if supervisor is not None:  # signed in, second factor verified (the bench's authenticator)
        staff.force_login(supervisor)
        session = staff.session
        session[DEVICE_ID_SESSION_KEY] = supervisor.sealedtotpdevice_set.first().persistent_id
        session.save()
    clients = {"public": public, "staff": staff}

    print(f"{label}; Python {sys.version.split()[0]}, Django {django.get_version()}; "
          f"{args.rounds} rounds A/B alternating, each the median of {args.requests} requests; "
          f"{'CPU' if args.cpu else 'wall'} time")
    if args.middleware:
        measure_middleware(args.requests * args.rounds, ["/", "/check/country/"])
        return 0
    results = {}
    for name in SPEEDUPS:
        if args.only and not any(name.startswith(o) for o in args.only):
            continue
        if SPEEDUPS[name][1] == "staff" and supervisor is None:
            print(f"{name}: no bench-supervisor in this database (run make bench first)")
            continue
        results[name] = measure(name, clients, args.rounds, args.requests)
        for path, row in results[name].items():
            print(f"{name:44} {path:22} with {row['with_ms']:7.2f} ms, without "
                  f"{row['without_ms']:7.2f} ms: saves {row['saving_pct']:5.1f} % "
                  f"(spread {row['spread_pct'][0]}..{row['spread_pct'][1]})", flush=True)
    if not args.only or any("export".startswith(o) or o.startswith("export")
                            for o in args.only):
        a, b, savings = alternate(args.rounds, lambda plain: export_ms(args.export_rows, plain))
        a, b = [1e6 / ms for ms in a], [1e6 / ms for ms in b]  # rows per second
        print(f"{'CSV export (selectors/export.py)':44} {args.export_rows:,} rows: hand "
              f"{statistics.median(a):,.0f} rows/s, csv.writer {statistics.median(b):,.0f} "
              f"rows/s: saves {statistics.median(savings):5.1f} % (spread "
              f"{min(savings):.1f}..{max(savings):.1f}; rows/s hand {min(a):,.0f}..{max(a):,.0f},"
              f" writer {min(b):,.0f}..{max(b):,.0f})")
    return 0


if __name__ == "__main__":
    harness.run_main(main)
