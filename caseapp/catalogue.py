"""Pure: reads a gettext catalogue (.po) well enough to say what is missing from it.

`make i18n-check` and tests/test_catalogue.py ask it which entries are untranslated or fuzzy
and whether a translation keeps its English placeholders; msgfmt checks the syntax.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

# %(name)s, %s, %d and {name}: what Python fills in; a translation must keep each one.
PLACEHOLDER = re.compile(r"%\([a-z_0-9]+\)[sdfr]|%[sdfr]|\{[a-z_0-9]*\}")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str = ""
    msgctxt: str | None = None
    msgstr: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr)

    def lost_placeholders(self) -> set[str]:
        """English placeholders that some translation of this entry leaves out or changes."""
        wanted = set(PLACEHOLDER.findall(self.msgid)) | set(PLACEHOLDER.findall(self.msgid_plural))
        lost: set[str] = set()
        for form, text in enumerate(self.msgstr):
            missing = wanted - set(PLACEHOLDER.findall(text))
            if self.msgid_plural and form == 0:
                # The form for one may say the number in words ("un día").
                missing -= set(PLACEHOLDER.findall(self.msgid_plural))
            lost |= missing
        return lost


def parse(text: str) -> list[Entry]:
    """The entries of a PO file, header (msgid "") first, obsolete ones marked."""
    entries: list[Entry] = []
    current = Entry()
    key = None
    seen_any = False

    def finish():
        nonlocal current, seen_any
        if seen_any:
            entries.append(current)
        current, seen_any = Entry(), False

    for raw in text.splitlines():
        line = raw.strip()
        obsolete = line.startswith("#~")
        if obsolete:
            line = line[2:].strip()
            if line.startswith("|"):
                continue
        if not line:
            if seen_any:
                finish()
            key = None
            continue
        if line.startswith("#,"):
            if seen_any and key in ("msgstr",):
                finish()
            current.flags |= {f.strip() for f in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        current.obsolete = current.obsolete or obsolete
        word, _, rest = line.partition(" ")
        if line.startswith('"'):
            value = ast.literal_eval(line)
            if key == "msgstr":
                current.msgstr[-1] += value
            elif key is not None:
                setattr(current, key, (getattr(current, key) or "") + value)
            continue
        if word == "msgctxt":
            if seen_any and key == "msgstr":
                finish()
            key, seen_any = "msgctxt", True
            current.msgctxt = ast.literal_eval(rest)
        elif word == "msgid":
            if seen_any and key == "msgstr":
                finish()
            key, seen_any = "msgid", True
            current.msgid = ast.literal_eval(rest)
        elif word == "msgid_plural":
            key = "msgid_plural"
            current.msgid_plural = ast.literal_eval(rest)
        elif word.startswith("msgstr"):
            key = "msgstr"
            current.msgstr.append(ast.literal_eval(rest))
    finish()
    return entries


def problems(entries: list[Entry]) -> list[str]:
    """One line per entry a Spanish reader would see in English or wrongly filled in."""
    found = []
    for entry in entries:
        if entry.obsolete or not entry.msgid:
            continue
        label = (f"[{entry.msgctxt}] " if entry.msgctxt else "") + entry.msgid[:70]
        if entry.fuzzy:
            found.append(f"fuzzy: {label}")
        elif not entry.translated:
            found.append(f"untranslated: {label}")
        elif lost := entry.lost_placeholders():
            found.append(f"placeholders {sorted(lost)} missing: {label}")
    return found
