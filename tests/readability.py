"""Flesch-Kincaid grade of English text, for the public pages' plain-language test (issue 21).

A small restatement instead of the ``textstat`` package: the grade needs words, sentences and
syllables, and a vowel-group syllable count is within a few tenths of a dictionary's on this
kind of text. Kincaid et al. (1975): 0.39 × words/sentence + 11.8 × syllables/word − 15.59."""

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


def sentences(text: str) -> list[str]:
    text = _ABBREVIATIONS.sub(lambda m: m.group(0).replace(".", ""), text)
    return [part for part in _SENTENCE_END.split(text) if _WORD.search(part)]


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def flesch_kincaid_grade(text: str) -> float:
    all_words = words(text)
    if not all_words:
        return 0.0
    count = len(sentences(text)) or 1
    total = sum(syllables(word) for word in all_words)
    return 0.39 * len(all_words) / count + 11.8 * total / len(all_words) - 15.59
