"""One Aho-Corasick automaton (pyahocorasick) per rule set, over lower-cased text.

Why an automaton: thousands of policy phrases are matched in one pass whose cost does not grow
with the number of phrases; a regex alternation of 2,000 phrases backtracks at every position
(~0.3 MB/s measured). The same pass also carries:

- marking phrases (position is judged per hit, see ``markings.py``),
- accent variants of marking phrases, for hints only: every variant of multi-word phrases
  ("tối mặt"), only the ASCII folding of one-word ones ("mat": "mặt" and "mắt" are common words
  and would cost a Python step per occurrence),

Every extra key that widens the root of the trie slows the whole pass (measured: the keys for
invisible characters alone halved the speed), so obfuscation sentinels live in ``prefilter.py``.
- the degree sign (DMS coordinates) and plate context words.

Payloads are small tuples ``(tag, index, phrase)`` so the hot loop does no attribute lookups.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

import ahocorasick

from clearance.screening.detectors.markings import (
    compact,
    field_labels,
    loose_field_regex,
    loose_pattern,
    loose_top_regex,
)
from clearance.screening.normalise import fold
from clearance.screening.rules import IdentifierKind, MarkingPosition, ScreeningRules

TAG_KEYWORD = 0
TAG_MARKING = 1
TAG_FOLDED = 2
TAG_SUSPICIOUS = 3
TAG_SPACED = 4
TAG_DEGREE = 5
TAG_PLATE_CONTEXT = 6

Payload = tuple[int, int, str]
# The letters of stamp phrases (separators dropped) -> the (marking index, phrase) they spell.
LooseTable = dict[str, tuple[tuple[int, str], ...]]

_FAMILIES = [
    "aàáảãạăằắẳẵặâầấẩẫậ",
    "eèéẻẽẹêềếểễệ",
    "iìíỉĩị",
    "oòóỏõọôồốổỗộơờớởỡợ",
    "uùúủũụưừứửữự",
    "yỳýỷỹỵ",
    "dđ",
]
_FAMILY_OF = {ch: family for family in _FAMILIES for ch in family}
_LETTERS = "abcdefghijklmnopqrstuvwxyz" + "".join(_FAMILIES)
_MAX_VARIANTS = 600


def accent_variants(phrase: str) -> set[str]:
    """Other spellings of ``phrase`` that differ only in diacritics (bounded), plus its folding."""
    variants = {fold(phrase)}
    choices: list[list[str]] = []
    for word in phrase.split(" "):
        marked = [i for i, ch in enumerate(word) if ch in _FAMILY_OF and ch not in "aeiouyd"]
        if not marked:
            choices.append([word])
            continue
        index = marked[-1]
        family = _FAMILY_OF[word[index]]
        choices.append([word[:index] + alt + word[index + 1 :] for alt in family])
    total = 1
    for options in choices:
        total *= len(options)
    if total <= _MAX_VARIANTS:
        variants.update(" ".join(combo) for combo in itertools.product(*choices))
    variants.discard(phrase)
    return variants


@dataclass(frozen=True, slots=True)
class Matcher:
    automaton: Any  # ahocorasick.Automaton has no type stubs
    loose: LooseTable
    loose_re: re.Pattern[str] | None
    top_re: re.Pattern[str] | None  # markings.loose_top_regex
    fields: LooseTable  # markings.field_labels
    field_re: re.Pattern[str] | None  # markings.loose_field_regex

    def hits(self, lower: str) -> list[tuple[int, tuple[Payload, ...]]]:
        """Every (end index inclusive, payloads) of every key in ``lower``."""
        return list(self.automaton.iter(lower))


def loose_keys(rules: ScreeningRules) -> LooseTable:
    """The stamp phrases a line may spell with separators between the letters."""
    by_letters: dict[str, list[tuple[int, str]]] = {}
    for index, marking in enumerate(rules.markings):
        if marking.position is MarkingPosition.FIELD:
            continue
        for phrase in marking.phrases:
            lowered = phrase.lower()
            letters = compact(lowered)
            if letters:
                by_letters.setdefault(letters, []).append((index, lowered))
    return {letters: tuple(spellings) for letters, spellings in by_letters.items()}


def loose_regex(table: LooseTable) -> re.Pattern[str] | None:
    """Lines spelling a loose stamp: one alternation of :func:`markings.loose_pattern` over a
    handful of stamp phrases (not the policy's keyword lists)."""
    if not table:
        return None
    alternatives = "|".join(f"(?:{loose_pattern(letters)})" for letters in sorted(table))
    return re.compile(alternatives, re.MULTILINE)


def loose_line_ends(
    pattern: re.Pattern[str] | None, lower: str, fields: re.Pattern[str] | None = None
) -> list[int]:
    """The end index of every line of ``lower`` that :func:`loose_regex` matches, and of every
    level field (``fields``, :func:`markings.loose_field_regex`), ascending."""
    ends = [] if pattern is None else [match.end() for match in pattern.finditer(lower)]
    if fields is not None:
        ends.extend(match.end() for match in fields.finditer(lower))
        ends.sort()
    return ends


def matcher_keys(rules: ScreeningRules) -> dict[str, tuple[Payload, ...]]:
    """Every key the matcher looks for (lower case) and what a hit on it means."""
    keys: dict[str, list[Payload]] = {}

    def add(key: str, payload: Payload) -> None:
        if key:
            keys.setdefault(key, []).append(payload)

    for index, keyword_list in enumerate(rules.keyword_lists):
        for phrase in keyword_list.phrases:
            add(phrase.lower(), (TAG_KEYWORD, index, phrase.lower()))
    for index, marking in enumerate(rules.markings):
        for phrase in marking.phrases:
            lowered = phrase.lower()
            add(lowered, (TAG_MARKING, index, lowered))
            for variant in accent_variants(lowered):
                if " " in lowered or variant.isascii():
                    add(variant, (TAG_FOLDED, index, lowered))
    add("°", (TAG_DEGREE, 0, ""))
    for index, rule in enumerate(rules.identifiers):
        if rule.kind is IdentifierKind.PLATE:
            for word in rule.context_words:
                add(word, (TAG_PLATE_CONTEXT, index, word))
    return {key: tuple(payloads) for key, payloads in keys.items()}


def build_matcher(rules: ScreeningRules) -> Matcher:
    """The pyahocorasick automaton (the portable path; ``fastscan`` is the fast one)."""
    automaton = ahocorasick.Automaton()
    for key, payloads in matcher_keys(rules).items():
        automaton.add_word(key, payloads)
    automaton.make_automaton()
    loose = loose_keys(rules)
    fields = field_labels(rules)
    return Matcher(
        automaton,
        loose,
        loose_regex(loose),
        loose_top_regex(loose),
        fields,
        loose_field_regex(fields),
    )
