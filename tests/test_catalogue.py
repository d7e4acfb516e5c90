"""The Spanish catalogue (caseapp/locale/es) is complete, current and compiled
(caseapp/catalogue.py, `manage.py catalogue`, `make i18n-check`)."""

from __future__ import annotations

import gettext
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.template import engines

from caseapp import catalogue

PO = Path(settings.BASE_DIR) / "caseapp" / "locale" / "es" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def entries():
    return [e for e in catalogue.parse(PO.read_text()) if e.msgid and not e.obsolete]


def test_no_entry_is_untranslated_fuzzy_or_missing_a_placeholder():
    assert len(entries()) > 900  # the parser read the file
    assert catalogue.problems(entries()) == []


def test_the_compiled_catalogue_says_what_the_po_says():
    with MO.open("rb") as mo:
        compiled = gettext.GNUTranslations(mo)._catalog
    for entry in entries():
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if entry.msgid_plural:
            assert compiled[(key, 0)] == entry.msgstr[0], entry.msgid
        else:
            assert compiled[key] == entry.msgstr[0], entry.msgid


def test_every_string_jinja2_finds_in_the_public_templates_is_in_the_catalogue():
    """makemessages reads the Jinja2 templates as Django templates; Jinja2's own extractor
    is the judge of what they ask to translate."""
    msgids = {e.msgid for e in entries() if e.msgctxt is None}
    env = engines["jinja2"].env
    found, missing = 0, []
    for path in (Path(settings.BASE_DIR) / "templates" / "jinja2").rglob("*.html"):
        for _line, _function, message in env.extract_translations(path.read_text()):
            for text in message if isinstance(message, tuple) else (message,):
                found += 1
                if text and text not in msgids:
                    missing.append((path.name, text))
    assert found > 100
    assert missing == []


@pytest.mark.parametrize(("po_text", "problem"), [
    ('msgid "Save"\nmsgstr ""\n', "untranslated: Save"),
    ('#, fuzzy\nmsgid "Save"\nmsgstr "Guardar"\n', "fuzzy: Save"),
    ('msgid "Hi %(name)s"\nmsgstr "Hola"\n', "placeholders ['%(name)s'] missing: Hi %(name)s"),
    ('msgid "“{status}”"\nmsgstr "“{estado}”"\n', "placeholders ['{status}'] missing: “{status}”"),
    ('msgid "%(n)s day"\nmsgid_plural "%(n)s days"\nmsgstr[0] "%(n)s día"\nmsgstr[1] ""\n',
     "untranslated: %(n)s day"),
])
def test_the_check_names_each_kind_of_problem(po_text, problem):
    assert catalogue.problems(catalogue.parse(po_text)) == [problem]


def test_the_check_accepts_a_complete_entry_and_skips_obsolete_ones():
    text = ('msgctxt "time of day"\nmsgid "PM"\nmsgstr "p. m."\n\n'
            'msgid "%(n)s day"\nmsgid_plural "%(n)s days"\nmsgstr[0] "un día"\n'
            'msgstr[1] "%(n)s días"\nmsgstr[2] "%(n)s días"\n\n#~ msgid "Old"\n#~ msgstr ""\n')
    parsed = catalogue.parse(text)
    assert [(e.msgctxt, e.msgid, e.obsolete) for e in parsed] == [
        ("time of day", "PM", False), (None, "%(n)s day", False), (None, "Old", True)]
    assert catalogue.problems(parsed) == []


def test_manage_py_catalogue_check_passes_on_this_tree_and_leaves_it_as_it_was():
    before = PO.read_bytes()
    call_command("catalogue", "check")
    assert PO.read_bytes() == before


def test_manage_py_catalogue_check_fails_on_an_untranslated_entry(monkeypatch, tmp_path):
    from caseapp.management.commands import catalogue as command
    directory = tmp_path / "es" / "LC_MESSAGES"
    directory.mkdir(parents=True)
    (directory / "django.po").write_text(
        PO.read_text().replace('msgstr "Guardar la plantilla"', 'msgstr ""'))
    shutil.copy(MO, directory / "django.mo")
    monkeypatch.setattr(command, "catalogue_dir", lambda: directory)
    monkeypatch.setattr(command.Command, "stale", lambda self: [])
    with pytest.raises(CommandError, match="untranslated: Save template"):
        call_command("catalogue", "check")


def test_translation_functions_keep_names_makemessages_knows():
    """xgettext finds `_`, `gettext_lazy`, `ngettext`…; an alias such as `_lazy` hides every
    text marked with it from the catalogue (the erasure reasons were English on Spanish pages)."""
    aliases = re.compile(r"from django\.utils\.translation import .*\bas (\w+)")
    found = {alias for path in (Path(settings.BASE_DIR) / "caseapp").rglob("*.py")
             for alias in aliases.findall(path.read_text())}
    assert found <= {"_"}


#: Words docs/glossary.md replaces, and what replaces them.
STRUCK_OUT = {
    r"\bclases?\b": "grupo", r"\bsede\b": "cuenta registrada en", r"\bcostas\b": "costos",
    r"\bpuls[ea]\b": "oprima", r"\bcomprob|\bcompruebe": "verificar", "«|»": "“ ”",
    r"\w/[ao]s?\b": "gender-neutral wording", r"retención legal": "orden de conservar los datos",
    r"equipo del bufete": "personal del bufete", r"\bcítel|\bmenci[oó]nel": "indique",
    r"cumple los requisitos": "encaja en el grupo propuesto", r"se ha retirado": "retiró",
    r"afectan? a[l ]": "afectan (no 'a')",
}


@pytest.mark.parametrize(("pattern", "use_instead"), STRUCK_OUT.items())
def test_the_catalogue_uses_the_glossarys_terms(pattern, use_instead):
    wrong = [text for entry in entries() for text in entry.msgstr
             if re.search(pattern, text, re.IGNORECASE)]
    assert wrong == [], use_instead
