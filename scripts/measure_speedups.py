"""What each hand-made speed-up saves of its request against Django's own way (issue 18's 10 %
rule, docs/decisions.md): in process, production settings, on the bench's seeded database (run
``make bench`` first; without it, a scratch SQLite with no submissions). Pages go through
Django's test client; the Jinja2 lookups through the WSGI handler gunicorn calls, as the
bench's wrk script walks the check (the test client's own work would hide two thirds of it).

    .venv/bin/python scripts/measure_speedups.py [--cpu] [--middleware]

By instruction count, which a busy machine does not change: the walk alone, N checks minus
none, under valgrind, with and without the lookups:

    valgrind --tool=callgrind .venv/bin/python scripts/measure_speedups.py --check N \
        [--without-lookups] [--without-middleware PATH]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import secrets
import statistics
import sys
import time

import harness
from bench import CHECK_ANSWERS

sys.path.insert(0, str(harness.BASE_DIR))

#: Wall time, or with ``--cpu`` this process's CPU time: on cores shared with others, a
#: request's wall time varies by milliseconds with their load, its CPU time far less (but
#: the CPU time leaves out the database server's part of a query).
clock = time.perf_counter


def configure() -> tuple[str, bool]:
    """Production settings on the bench's database, else a scratch SQLite: its label, and
    whether it is the scratch one."""
    db = harness.scratch_database("caseapp_bench", harness.RESULTS / "bench.sqlite3")
    keys_path = harness.RESULTS / f"bench-{db.kind}.keys.json"
    tmp = harness.temp_dir("caseapp-speedups-")
    scratch = not (keys_path.exists() and db.exists())
    if scratch:
        db = harness.SqliteDatabase(tmp / "db.sqlite3")
    keys = harness.fresh_keys() if scratch else json.loads(keys_path.read_text())
    os.environ.clear()
    os.environ.update(harness.app_environment(tmp, db.url, keys, {
        "DJANGO_ALLOWED_HOSTS": "testserver"}))
    sys.path.insert(0, str(tmp / "settings"))
    return db.label, scratch


# --- B: Django's own way, patched in for the measurement ---------------------------------------

def no_case_cache():
    from django.test import override_settings

    return override_settings(CASEAPP_PUBLIC_CASE_MAX_AGE=0)


@contextlib.contextmanager
def django_widgets():
    """The staff form controls through Django's widget templates (``BoundField.as_widget``),
    with the attributes the app's own tag gives them. Compiled templates are forgotten on the
    way in and out: the cached loader holds the tag they were compiled with."""
    from django.template import engines

    from caseapp.templatetags.staff_forms import control_attrs

    engine = engines["django"].engine
    library = engine.template_libraries["staff_forms"]
    old = library.tags["control"]
    library.simple_tag(lambda field: field.as_widget(attrs=control_attrs(field)), name="control")
    for loader in engine.template_loaders:
        loader.reset()
    try:
        yield
    finally:
        library.tags["control"] = old
        for loader in engine.template_loaders:
            loader.reset()


def writer_csv(qs, *, case, completed):
    """The export with the standard library's ``csv.writer``, the candidate that would replace
    the hand encoder: the same cells as ``export.export_csv`` (keep them in step), every cell
    disarmed, the writer quotes."""
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
    rows, written = [], 0
    for (reference, received, n, e, p, middle, assignee, tail, r, decided_by, decided_utc,
         decision_token, confirmed, info_requested, info_received) in export.stream_values(
            export.export_values(qs, case=case)):
        override_reason = reason_of(r)
        decision_reason = (decision_text(decision_token) or override_reason) if decided_utc \
            else ""
        rows.append([
            safe(reference), firm_time(received), safe(name(n)), safe(email(e)), safe(phone(p)),
            *map(safe, middle.split(sep)), safe(assignee), *map(safe, tail.split(sep)),
            safe(override_reason), safe(decided_by or ""),
            firm_time(decided_utc) if decided_utc else "", safe(decision_reason), confirmed,
            firm_time(info_requested) if info_requested else "",
            firm_time(info_received) if info_received else ""])
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


@contextlib.contextmanager
def django_lookups():
    """The public pages' texts, URLs and static files through Django's own lookups each time."""
    from django.template import engines
    from django.templatetags.static import static
    from django.urls import reverse
    from django.utils import translation

    from caseapp import jinja

    env = engines["jinja2"].env
    saved = jinja.translated, env.globals["url"], env.globals["static"]
    # The request's language is the active one: Django's ``gettext`` finds it.
    jinja.translated = lambda language, message: translation.gettext(message)
    env.globals["url"] = lambda name, *args: reverse(name, args=args)
    env.globals["static"] = static
    try:
        yield
    finally:
        jinja.translated, env.globals["url"], env.globals["static"] = saved


def walk_check(checks: int) -> int:
    """The whole check ``checks`` times, each as a new person, as make bench's wrk script walks
    it, through ``caseapp.wsgi.application`` as gunicorn calls it (CSRF checked, connections
    closed after each request): the number of requests made."""
    import io

    from caseapp.wsgi import application

    steps = [("GET", "/", None)]
    for key, code in CHECK_ANSWERS.items():
        steps += [("GET", f"/check/{key}/", None), ("POST", f"/check/{key}/", f"{key}={code}")]
    steps += [("GET", "/check/answers/", None), ("POST", "/check/answers/", ""),
              ("GET", "/result/", None)]
    for _ in range(checks):
        csrf, draft = secrets.token_hex(16), ""
        for method, path, answer in steps:
            body = b"" if answer is None else f"csrfmiddlewaretoken={csrf}&{answer}".encode()
            environ = {
                "REQUEST_METHOD": method, "PATH_INFO": path, "SERVER_NAME": "testserver",
                "SERVER_PORT": "443", "wsgi.input": io.BytesIO(body), "wsgi.url_scheme": "http",
                "HTTP_HOST": "testserver", "HTTP_X_FORWARDED_PROTO": "https",
                "HTTP_COOKIE": f"csrftoken={csrf}" + (f"; {draft}" if draft else ""),
                "CONTENT_TYPE": "application/x-www-form-urlencoded",
                "CONTENT_LENGTH": str(len(body)), "REMOTE_ADDR": "127.0.0.1",
                "HTTP_ORIGIN": "https://testserver", "HTTP_REFERER": f"https://testserver{path}"}
            answered = {}

            def start_response(status, headers, _exc_info=None, answered=answered):
                answered.update(status=status, headers=headers)

            response = application(environ, start_response)
            b"".join(response)
            response.close()
            if not answered["status"].startswith("302" if method == "POST" else "200"):
                raise SystemExit(f"{method} {path}: {answered['status']}")
            cookies = [v for k, v in answered["headers"] if k == "Set-Cookie"]
            draft = next((c.split(";")[0].strip() for c in cookies if "caseapp_check=" in c),
                         draft)
    return checks * len(steps)


def check_ms(plain: bool, checks: int) -> float:
    """CPU (or wall) milliseconds a request of the walked check, with the lookups or without."""
    with django_lookups() if plain else contextlib.nullcontext():
        walk_check(1)  # warm: templates compiled, lookups filled
        started = clock()
        requests = walk_check(checks)
        return (clock() - started) * 1000 / requests


SPEEDUPS = {  # name: (pages, B)
    "staff widgets (templatetags/staff_forms.py)": (["/staff/submissions/"], django_widgets),
    "case-record cache (PublicCaseCache)": (["/", "/check/country/"], no_case_cache),
}


# --- the measurements --------------------------------------------------------------------------

def request_ms(client, path: str, n: int) -> float:
    times = []
    for _ in range(n):
        started = clock()
        response = client.get(path)
        times.append((clock() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code}")
    return statistics.median(times)


def export_ms(rows: int, plain: bool) -> float:
    """Milliseconds per thousand rows of the export's CSV, read to the end (the rows it read,
    which a smaller database makes fewer than ``rows``)."""
    from caseapp.models import Submission
    from caseapp.selectors import export
    from caseapp.selectors.case_record import case_current

    qs = Submission.objects.order_by("created_at", "id")[:rows]
    encoder = writer_csv if plain else export.export_csv
    read = []
    started = clock()
    for _chunk in encoder(qs, case=case_current(), completed=read.append):
        pass
    if not read or not read[0]:
        raise SystemExit("the export read no rows: measure on a seeded database (make bench)")
    return (clock() - started) * 1000 / (read[0] / 1000)


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


def measure(name: str, pages: list[str], plain, client, rounds: int, requests: int) -> None:
    for path in pages:
        def timed(b: bool, path: str = path) -> float:
            with plain() if b else contextlib.nullcontext():
                request_ms(client, path, 3)  # warm: templates compiled, caches filled
                return request_ms(client, path, requests)

        a, b, savings = alternate(rounds, timed)
        print(f"{name:44} {path:22} with {statistics.median(a):7.2f} ms, without "
              f"{statistics.median(b):7.2f} ms: saves {statistics.median(savings):5.1f} % "
              f"(spread {min(savings):.1f}..{max(savings):.1f})", flush=True)


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


def measure_middleware(requests: int, paths: list[str]) -> None:
    """What each of settings.MIDDLEWARE costs a public page in its own code (``process_view``
    hooks run with the view and count there), in CPU time: the median over ``requests``
    requests, and its share of the page."""
    from django.conf import settings
    from django.test import Client, override_settings

    full = list(settings.MIDDLEWARE)
    marker = f"{__name__}.Stopwatch"
    with override_settings(MIDDLEWARE=[x for name in full for x in (marker, name)] + [marker]):
        Stopwatch.made = 0
        client = Client()
        client.get("/")
        for path in paths:
            per = {name: [] for name in [*full, "view"]}
            totals = []
            for _ in range(requests):
                # Django builds the chain from the inside out: marker 0 is next to the view.
                found = client.get(path).wsgi_request.stopwatch
                marks = [found[len(full) - i] for i in range(len(full) + 1)] + [0]
                for i, name in enumerate(per):
                    per[name].append(marks[i] - marks[i + 1])
                totals.append(marks[0])
            total = statistics.median(totals) * 1000
            print(f"{path}: {total:.3f} ms a request (median of {requests})")
            for name, seconds in per.items():
                ms = statistics.median(seconds) * 1000
                print(f"  {name:56} {ms:7.3f} ms {100 * ms / total:5.1f} %")


def main() -> int:
    global clock
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--export-rows", type=int, default=100_000)
    parser.add_argument("--cpu", action="store_true",
                        help="time this process's CPU, not the wall clock")
    parser.add_argument("--middleware", action="store_true",
                        help="only what each middleware costs a public page")
    parser.add_argument("--check", type=int, metavar="N",
                        help="only walk the check N times, for valgrind (see above)")
    parser.add_argument("--without-lookups", action="store_true",
                        help="with --check: Django's own lookups, not the Jinja2 ones")
    parser.add_argument("--without-middleware", metavar="PATH", action="append", default=[],
                        help="with --check: leave out this entry of settings.MIDDLEWARE")
    args = parser.parse_args()
    if args.check is None and (args.without_lookups or args.without_middleware):
        parser.error("--without-lookups and --without-middleware go with --check N")
    label, scratch = configure()
    if args.cpu:
        clock = time.process_time

    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django_otp import DEVICE_ID_SESSION_KEY

    setup_test_environment()
    if scratch:
        call_command("migrate", verbosity=0)
        call_command("example_firm", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    if args.check is not None:
        from django.conf import settings

        unknown = set(args.without_middleware) - set(settings.MIDDLEWARE)
        if unknown:
            raise SystemExit(f"not in settings.MIDDLEWARE: {', '.join(sorted(unknown))}")
        # Before the WSGI handler is made (walk_check imports it): it builds its chain once.
        settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m not in args.without_middleware]
        walk_check(1)  # start-up, in both the N run and the none run
        with django_lookups() if args.without_lookups else contextlib.nullcontext():
            print(f"{walk_check(args.check)} requests of the check walked")
        return 0
    public, staff = Client(), Client()
    public.get("/")  # the draft and CSRF cookies, as a person's second page has
    supervisor = User.objects.filter(username="bench-supervisor").first()
    if supervisor is not None:  # signed in, second factor verified (the bench's authenticator)
        staff.force_login(supervisor)
        session = staff.session
        session[DEVICE_ID_SESSION_KEY] = supervisor.sealedtotpdevice_set.first().persistent_id
        session.save()

    print(f"{label}; Python {sys.version.split()[0]}, Django {django.get_version()}; "
          f"{args.rounds} rounds A/B alternating, each the median of {args.requests} requests; "
          f"{'CPU' if args.cpu else 'wall'} time")
    if args.middleware:
        measure_middleware(args.requests * args.rounds, ["/", "/check/country/"])
        return 0
    a, b, savings = alternate(args.rounds, lambda plain: check_ms(plain, 5))
    print(f"{'Jinja2 lookups (caseapp/jinja.py)':44} {'the check, by WSGI':22} with "
          f"{statistics.median(a):7.2f} ms, without {statistics.median(b):7.2f} ms a request: "
          f"saves {statistics.median(savings):5.1f} % (spread "
          f"{min(savings):.1f}..{max(savings):.1f})", flush=True)
    for name, (pages, plain) in SPEEDUPS.items():
        by_staff = pages[0].startswith("/staff/")
        if by_staff and supervisor is None:
            print(f"{name}: no bench-supervisor in this database (run make bench first)")
            continue
        measure(name, pages, plain, staff if by_staff else public, args.rounds, args.requests)
    if scratch:
        print("CSV export: no submissions in a scratch database (run make bench first)")
        return 0
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
