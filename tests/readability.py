"""Flesch-Kincaid grade of English text and Fernández Huerta's readability of Spanish text, for
the public pages' plain-language tests (issue 21).

A small restatement instead of the ``textstat`` package: each measure needs words, sentences
and syllables. In English a vowel-group syllable count is within a few tenths of a dictionary's
on this kind of text; Spanish spelling gives its syllables by rule (below).
Kincaid et al. (1975): 0.39 × words/sentence + 11.8 × syllables/word − 15.59."""

from __future__ import annotations

import re

_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
#: A sentence ends at . ! ? (or a colon that ends a line, as a list's lead-in does); the
#: abbreviations the pages use do not end one.
_ABBREVIATIONS = re.compile(r"\b(U\.S\.C?|U\.S|No|Corp|Inc|Cal|Civ|Bus|Prof|e\.g|i\.e|v|ff)\.")
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)|:\s*\n|\n\s*\n")


def syllables(word: str) -> int:
    word = word.lower().strip("'’-")
    if len(word) <= 3:
        return 1
    word = re.sub(r"(?:[^laeiouy]es|ed|[^laeiouy]e)$", "", word)
    word = re.sub(r"^y", "", word)
    return max(1, len(re.findall(r"[aeiouy]{1,2}", word)))


def _split(text: str, abbreviations: re.Pattern, word: re.Pattern) -> list[str]:
    text = abbreviations.sub(lambda m: m.group(0).replace(".", ""), text)
    return [part for part in _SENTENCE_END.split(text) if word.search(part)]


def _counts(text: str, words, sentences, syllables) -> tuple[int, int, int]:
    """Words, sentences (at least one) and syllables in ``text``."""
    found = words(text)
    return len(found), len(sentences(text)) or 1, sum(syllables(word) for word in found)


def sentences(text: str) -> list[str]:
    return _split(text, _ABBREVIATIONS, _WORD)


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def flesch_kincaid_grade(text: str) -> float:
    n_words, n_sentences, n_syllables = _counts(text, words, sentences, syllables)
    if not n_words:
        return 0.0
    return 0.39 * n_words / n_sentences + 11.8 * n_syllables / n_words - 15.59


# --- Spanish ---------------------------------------------------------------------------------
# Fernández Huerta's readability, his 1959 adaptation of Flesch's reading ease to Spanish
# (Fernández Huerta J., "Medidas sencillas de lecturabilidad", Consigna 214, 1959, 29-32), as
# corrected by Gwillim Law (LINGUIST List 22.2332, 2011: the sentence term is words per
# sentence; the often-quoted "sentences per 100 words" made shorter sentences score worse):
#     L = 206.84 − 60 × syllables/word − 1.02 × words/sentence.
# His scale: 90-100 very easy (4th grade), 80-90 easy (5th), 70-80 fairly easy (6th),
# 60-70 normal for adults (7th-8th), 50-60 fairly hard, below 50 hard.

_SPANISH_WORD = re.compile(r"[A-Za-zÁÉÍÓÚÜÑáéíóúüñ][A-Za-zÁÉÍÓÚÜÑáéíóúüñ'’-]*")
#: "1:05 p. m." does not end a sentence either; "EE. UU." ends one only where a capital
#: follows ("… en EE. UU. Lo que cuenta …").
_SPANISH_ABBREVIATIONS = re.compile(
    r"\b(U\.S\.C?|p\. ?m|a\. ?m|No|núm|Núm|Sr|Sra|Corp|Inc|Cal|Civ|Bus|Prof|v|ff)\.")
_UNITED_STATES = re.compile(r"\bEE\. ?UU\.(\s+[A-ZÁÉÍÓÚÑ¿¡])?")
_VOWELS = "aeiouáéíóúü"
#: A, e and o, and an accented i or u, are each a syllable's own nucleus: two of them side by
#: side are two syllables (hiatus: "le-er", "dí-a"); an unaccented i or u joins its neighbour
#: (diphthong: "ciu-dad", "cuen-ta").
_NUCLEUS = "aeoáéóíú"


def spanish_syllables(word: str) -> int:
    """Syllables by the rules of diphthong and hiatus (Real Academia Española, Ortografía,
    2010, § 4.1); "y" and a silent "u" (que, gui) join a neighbouring vowel, as they sound."""
    word = word.lower().strip("'’-")
    count, previous = 0, ""
    for letter in word:
        if letter not in _VOWELS:
            previous = ""
            continue
        if not previous or (previous in _NUCLEUS and letter in _NUCLEUS) or previous == letter:
            count += 1
        previous = letter
    return max(1, count)


def spanish_sentences(text: str) -> list[str]:
    text = _UNITED_STATES.sub(lambda m: "EEUU." + m.group(1) if m.group(1) else "EEUU", text)
    return _split(text, _SPANISH_ABBREVIATIONS, _SPANISH_WORD)


def spanish_words(text: str) -> list[str]:
    return _SPANISH_WORD.findall(text)


def fernandez_huerta(text: str) -> float:
    """Readability of Spanish text: higher is easier; 70 or more is "fairly easy"."""
    n_words, n_sentences, n_syllables = _counts(
        text, spanish_words, spanish_sentences, spanish_syllables)
    if not n_words:
        return 100.0
    return 206.84 - 60 * n_syllables / n_words - 1.02 * n_words / n_sentences
