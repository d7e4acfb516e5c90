"""`manage.py catalogue update` regenerates and compiles the Spanish catalogue; `check` fails
when it is stale, incomplete or does not compile (`make messages`, `make i18n-check`).

One set of makemessages options for both, so a check on a clean tree compares like with like.
References are left out (`--no-location`): a moved line or file then changes nothing, and two
branches that add strings in different files do not conflict over reference lines. The public
Jinja2 templates are ordinary `.html` files under templates/: makemessages reads their
`{{ _("...") }}` as it reads Django templates' `_("...")` (tests/test_catalogue.py checks with
Jinja2's own extractor that nothing is missed).
"""

from __future__ import annotations

import difflib
import gettext
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from caseapp import catalogue

LANGUAGE = "es"
MAKEMESSAGES_OPTIONS = {
    "locale": [LANGUAGE], "domain": "django", "extensions": ["html", "txt", "py"],
    "no_location": True, "no_obsolete": True, "verbosity": 0,
}


def msgfmt() -> str:
    """GNU gettext's msgfmt, which makemessages needs as well."""
    path = shutil.which("msgfmt")
    if path is None:
        raise CommandError("GNU gettext is missing: install Debian's `gettext` package.")
    return path


def catalogue_dir() -> Path:
    return Path(settings.LOCALE_PATHS[0]) / LANGUAGE / "LC_MESSAGES"


def _without_creation_date(text: str) -> list[str]:
    # The only line makemessages changes on every run.
    return [line for line in text.splitlines(keepends=True)
            if not line.startswith('"POT-Creation-Date:')]


class Command(BaseCommand):
    help = ("update: run makemessages and compilemessages for Spanish. check: fail if "
            "makemessages would change the catalogue, if any entry is untranslated, fuzzy or "
            "drops a placeholder, if msgfmt --check fails, or if the .mo is not compiled from "
            "the .po.")

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["update", "check"])

    def handle(self, *args, action, **options):
        if action == "update":
            call_command("makemessages", **MAKEMESSAGES_OPTIONS)
            call_command("compilemessages", locale=[LANGUAGE], verbosity=0)
            self.stdout.write(self.statistics())
            return
        failures = self.stale() + self.incomplete() + self.not_compiled()
        if failures:
            raise CommandError("The Spanish catalogue needs work (`make messages`, then "
                               "translate):\n" + "\n".join(failures))
        self.stdout.write("Spanish catalogue: current and complete. " + self.statistics())

    def statistics(self) -> str:
        result = subprocess.run(  # noqa: S603 (our own catalogue, msgfmt from the PATH)
            [msgfmt(), "--check", "--statistics", "-o", "/dev/null",
             str(catalogue_dir() / "django.po")], capture_output=True, text=True)
        if result.returncode:
            raise CommandError(result.stderr)
        return result.stderr.strip()

    def stale(self) -> list[str]:
        """What makemessages would change, as a diff; the tree is left as it was."""
        po = catalogue_dir() / "django.po"
        before = po.read_bytes()
        try:
            call_command("makemessages", **MAKEMESSAGES_OPTIONS)
            after = po.read_text()
        finally:
            po.write_bytes(before)
        diff = list(difflib.unified_diff(
            _without_creation_date(before.decode()), _without_creation_date(after),
            "django.po (committed)", "django.po (makemessages)", n=1))
        if not diff:
            return []
        return ["makemessages changes the catalogue:", *(d.rstrip("\n") for d in diff[:80])]

    def incomplete(self) -> list[str]:
        entries = catalogue.parse((catalogue_dir() / "django.po").read_text())
        found = catalogue.problems(entries)
        try:
            self.statistics()
        except CommandError as error:
            found.append(f"msgfmt --check: {error}")
        return found

    def not_compiled(self) -> list[str]:
        """The committed .mo says what the .po says (compared as catalogues, not bytes, since
        msgfmt versions lay files out differently)."""
        directory = catalogue_dir()
        with tempfile.TemporaryDirectory() as scratch:
            fresh = Path(scratch) / "django.mo"
            subprocess.run([msgfmt(), "-o", str(fresh), str(directory / "django.po")],  # noqa: S603
                           check=True)
            with fresh.open("rb") as new, (directory / "django.mo").open("rb") as committed:
                same = (gettext.GNUTranslations(new)._catalog
                        == gettext.GNUTranslations(committed)._catalog)
        return [] if same else ["django.mo is not compiled from django.po (`make messages`)."]
