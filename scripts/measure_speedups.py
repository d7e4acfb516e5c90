"""Prints what each hand-written replacement of Django behaviour on the public pages saves.

Issue 10: a cache or hand-written replacement stays only if it saves at least 3 % of the figure
it was written for. ``make bench`` measures the public flow as a whole, and its run-to-run noise
(±5 %) is larger than any one of these, so this script measures each one alone, in process,
where the noise is small:

- how many times a start page and a question page call each helper (counted);
- what one call costs cached and uncached (``timeit``, best of several runs);
- what a whole request for that page costs through Django's test client (best of several runs);

and prints the saving per request as a share of the request. Run: ``.venv/bin/python
scripts/measure_speedups.py`` (a scratch SQLite database; nothing else is touched).
"""

from __future__ import annotations

import os
import sys
import tempfile
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
scratch = tempfile.mkdtemp(prefix="caseapp-speedups-")
# Production settings, as the bench's servers run: the static storage is the manifest one.
os.environ.update({
    "DJANGO_SETTINGS_MODULE": "caseapp.settings",
    "DATABASE_URL": f"sqlite:///{scratch}/db.sqlite3",
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "speedups-" + os.urandom(24).hex(),
    "DJANGO_ALLOWED_HOSTS": "testserver",
    "DJANGO_SECURE_SSL_REDIRECT": "0",
    "CASEAPP_FIELD_KEYS": "M2xWv3mV8yA4bE0c2JpZ3qJQmYkq9l8v0g1JvW2eX0Q=",
    "CASEAPP_BLIND_INDEX_KEY": "speedups-index-key",
})

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.template import engines  # noqa: E402
from django.templatetags.static import static  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import translation  # noqa: E402

from caseapp import jinja  # noqa: E402
from caseapp.models import Case  # noqa: E402
from caseapp.selectors.case_record import case_current  # noqa: E402

PAGES = {"start page": "/", "question page": "/check/country/"}


def best_of(statement, number: int, repeat: int = 7) -> float:
    """Seconds per call, the best of ``repeat`` runs of ``number`` calls."""
    return min(timeit.repeat(statement, number=number, repeat=repeat)) / number


def request_seconds(client: Client, path: str) -> float:
    return best_of(lambda: client.get(path), number=200)


def page_savings(found: dict, case, url, static_url, translated) -> dict:
    """``{what: (calls a page makes, seconds cached, seconds without)}`` for one page."""
    return {
        "URL cache (jinja.url)": (
            len(found["url"]),
            best_of(lambda: [url(*a) for a in found["url"]], 2000),
            best_of(lambda: [reverse(a[0], args=a[1:]) for a in found["url"]], 2000)),
        "static cache (jinja.static_url)": (
            len(found["static"]),
            best_of(lambda: [static_url(p) for p in found["static"]], 2000),
            best_of(lambda: [static(p) for p in found["static"]], 2000)),
        "gettext cache (jinja._translated)": (
            len(found["gettext"]),
            best_of(lambda: [translated(lang, m) for lang, m in found["gettext"]], 2000),
            best_of(lambda: [translation.gettext(m) for _lang, m in found["gettext"]],
                    2000)),
        "status label from the enum": (
            1,
            best_of(lambda: str(Case.Status(case.status).label), 20000),
            best_of(case.get_status_display, 20000)),
    }


def main() -> None:
    from django.conf import settings

    setup_test_environment()
    settings.STATIC_ROOT = Path(scratch) / "static"  # not the checkout's staticfiles/
    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    env = engines["jinja2"].env
    client = Client()
    client.get("/")  # the draft cookie and the CSRF cookie, as a person's second page has

    calls: dict[str, list] = {"url": [], "static": [], "gettext": []}
    url, static_url, translated = env.globals["url"], env.globals["static"], jinja._translated
    env.globals["url"] = lambda *a: calls["url"].append(a) or url(*a)
    env.globals["static"] = lambda p: calls["static"].append(p) or static_url(p)
    jinja._translated = lambda lang, msg: calls["gettext"].append((lang, msg)) or translated(
        lang, msg)
    counted = {}
    for page, path in PAGES.items():
        for recorded in calls.values():
            recorded.clear()
        client.get(path)
        counted[page] = {name: list(recorded) for name, recorded in calls.items()}
    env.globals["url"], env.globals["static"], jinja._translated = url, static_url, translated

    case = case_current()
    translation.activate("en")
    print(f"Python {sys.version.split()[0]}, Django {django.get_version()}; "
          "seconds are the best of 7 runs")
    for page, path in PAGES.items():
        per_request = request_seconds(client, path)
        savings = page_savings(counted[page], case, url, static_url, translated)
        print(f"\n{page} ({path}): {per_request * 1e6:,.0f} µs a request in process")
        for name, (count, fast, plain) in savings.items():
            saved = plain - fast
            print(f"  {name:36} {count:3} calls: {fast * 1e6:7.1f} µs cached, "
                  f"{plain * 1e6:7.1f} µs without: saves {saved * 1e6:6.1f} µs = "
                  f"{100 * saved / per_request:4.1f} % of the request")


if __name__ == "__main__":
    main()
