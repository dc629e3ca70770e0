"""Secrecy markings judged by where they stand, so a stamp blocks and a mention does not.

A marking phrase found by the automaton counts when:

- ``stamp``: the phrase is the whole line once decorations (``*``, brackets, dashes, quotes,
  box-drawing) are stripped, anywhere in the part; or it opens one of the first ``top_lines``
  lines of the part, written in capitals and followed by a separator ("MẬT - Số 12/BC"),
- ``field``: it is the label of a field whose value is a level ("Độ mật: Tối mật"),
- ``anywhere``: the phrase is distinctive enough on its own ("CHỈ NGƯỜI CÓ TÊN MỚI ĐƯỢC BÓC BÌ").

A capitalised multi-word level inside running text ("ba cấp độ TUYỆT MẬT, TỐI MẬT và MẬT") is only
an ``info`` mention: news about the state-secret law must stay clear. A stamp line that equals a
marking only after accent folding is the stamp when it is written in capitals with no diacritics
at all in the top lines ("TUYET MAT", "TOI MAT", "MAT" above the title); otherwise ("TỐI MẶT",
"Toi mat", further down) it raises a ``warn`` hint, never a block.
Markings that need a decision reference (``GIẢI MẬT``) drop to ``info`` when one is nearby.

A line whose letters spell a stamp or handling phrase once the separators obfuscators put between
letters are dropped ("T Ố I M Ậ T", "mậ t", "TỐ I-MẬT", "TỐIMẬT") is that stamp too
(:func:`judge_loose`); candidates come from the same scan as the phrases (``loose_pattern``).
Two shapes with letters set apart in places get the verdict of their plain form too:

- a stamp opening one of the top lines, followed by other text ("MẬ T - Số 12/UBND",
  "TỐIMẬT  Số: 45"): :func:`judge_loose_top` runs the plain rule (capitals, separator) on the
  few top lines of the part (at most ``top_lines`` lines in the first 4,000 characters),
- a field label ("Đ ộ  m ậ t: Mật", "Đ.ộ m.ậ.t: Tối mật"): :func:`judge_loose_fields` confirms the
  candidates of ``loose_field_pattern`` (label, separator, level value), which come from the
  same scan as the loose stamp lines.
"""

from __future__ import annotations

import re

from clearance.screening.detectors.hits import Hit
from clearance.screening.normalise import SPACED_SEPARATORS, fold
from clearance.screening.rules import Marking, MarkingCase, MarkingPosition, ScreeningRules
from clearance.screening.types import Severity

DECORATION = " \t\r\f\v*#=~_-–—|:;.,!\"'`«»“”‘’()[]{}<>【】〔〕「」『』•·○●□■◆◇─━│┃┌┐└┘├┤┬┴┼═║╔╗╚╝"
_TOP_SEPARATOR = re.compile(r"\s*[:\-–—|/,(]|\s{2,}|\t")
LEVEL_VALUES = ("tuyệt mật", "tối mật", "mật")
_GAP = "[" + re.escape(SPACED_SEPARATORS) + "]*"
# The value of a level field, its letters possibly set apart ("Độ mật: T ố i m ậ t").
_FIELD_VALUE_BODY = (
    r"\s*[:：|]?\s*("
    + "|".join(_GAP.join(re.escape(ch) for ch in value.replace(" ", "")) for value in LEVEL_VALUES)
    + r")(?!\w)"
)
_FIELD_VALUE = re.compile(_FIELD_VALUE_BODY)
_TOP_WINDOW = 4000


def _line_bounds(lower: str, start: int, end: int) -> tuple[int, int]:
    line_start = lower.rfind("\n", 0, start) + 1
    line_end = lower.find("\n", end)
    return line_start, len(lower) if line_end < 0 else line_end


def _in_top(lower: str, line_start: int, top_lines: int) -> bool:
    if line_start > _TOP_WINDOW:
        return False
    before = lower[:line_start].split("\n")
    return sum(1 for line in before if line.strip(DECORATION)) < top_lines


_DECORATION_RUN = re.compile("[" + re.escape(DECORATION) + "]*")


def alone(lower: str, start: int, end: int) -> bool:
    """Whether ``lower[start:end]`` is all its line holds but decorations: the same as
    ``line.strip(DECORATION) == lower[start:end]`` for a phrase that starts and ends with a
    letter, without copying or stripping a long line."""
    line_start = lower.rfind("\n", 0, start) + 1
    before = _DECORATION_RUN.match(lower, line_start, start)
    if before is None or before.end() != start:
        return False
    line_end = lower.find("\n", end)
    line_end = len(lower) if line_end < 0 else line_end
    after = _DECORATION_RUN.match(lower, end, line_end)
    return after is not None and after.end() == line_end


def _bounded(lower: str, start: int, end: int) -> bool:
    before = lower[start - 1] if start > 0 else " "
    after = lower[end] if end < len(lower) else " "
    return not before.isalnum() and not after.isalnum()


def _is_upper(original: str, start: int, end: int) -> bool:
    segment = original[start:end]
    return segment == segment.upper() and segment != segment.lower()


def judge_marking(
    rules: ScreeningRules,
    marking: Marking,
    phrase: str,
    lower: str,
    original: str,
    start: int,
    end: int,
) -> Hit | None:
    """The hit this occurrence of ``phrase`` makes, or None when it is a mere mention."""
    if not _bounded(lower, start, end):
        return None
    upper = _is_upper(original, start, end)
    if marking.case is MarkingCase.UPPER and not upper:
        return None
    if marking.position is MarkingPosition.STAMP and not upper and not alone(lower, start, end):
        return None  # cheap exit for the common mention in running text ("mật ong")
    line_start, line_end = _line_bounds(lower, start, end)
    line = lower[line_start:line_end]
    core = line.strip(DECORATION)
    if marking.position is MarkingPosition.FIELD:
        value = _FIELD_VALUE.match(lower, end)
        if value is None:
            return None
        return _field_hit(rules, marking, phrase, start, value.group(1), value.end())
    stamp = marking.position is MarkingPosition.ANYWHERE or core == phrase
    if (
        not stamp
        and upper
        and core.startswith(phrase)
        and _in_top(lower, line_start, rules.top_lines)
    ):
        stamp = _TOP_SEPARATOR.match(lower, end) is not None
    if not stamp:
        if upper and " " in phrase:
            return _mention_hit(marking, phrase, start, end)
        return None
    return _stamp_hit(marking, phrase, lower, start, end, "")


def _field_hit(
    rules: ScreeningRules, marking: Marking, phrase: str, start: int, value: str, end: int
) -> Hit:
    letters = compact(value)
    level = next(
        (
            m.level
            for m in rules.markings
            if m.level and any(compact(p) == letters for p in m.phrases)
        ),
        None,
    )
    return Hit(
        marking.id,
        marking.severity,
        f"Field '{phrase}' declares the level '{value}'.",
        start,
        end,
        marking.explanation,
        marking.reference,
        level,
    )


def _mention_hit(marking: Marking, phrase: str, start: int, end: int) -> Hit:
    """A level named in running text (news about the law): information, never a block."""
    return Hit(
        f"{marking.id}.mention",
        Severity.INFO,
        f"'{phrase.upper()}' is mentioned in running text, not as a stamp.",
        start,
        end,
        "A mention of a level (e.g. in news about the law) does not block.",
        marking.reference,
    )


def _stamp_hit(marking: Marking, phrase: str, lower: str, start: int, end: int, how: str) -> Hit:
    severity = marking.severity
    message = f"Secrecy marking '{phrase.upper()}' stands as a stamp{how}."
    if marking.requires_reference is not None:
        window = lower[max(0, start - 300) : min(len(lower), end + 300)]
        if marking.requires_reference.search(window):
            severity = Severity.INFO
            message = f"'{phrase.upper()}' with a decision reference nearby."
        else:
            message = f"'{phrase.upper()}' without a decision reference: check the decision."
    return Hit(
        marking.id,
        severity,
        message,
        start,
        end,
        marking.explanation,
        marking.reference,
        marking.level,
    )


def judge_folded(
    rules: ScreeningRules,
    marking: Marking,
    phrase: str,
    lower: str,
    original: str,
    start: int,
    end: int,
) -> Hit | None:
    """A stamp line that equals ``phrase`` only after accent folding: the stamp itself when it is
    written in capitals without any diacritics in the top lines of the part ("TUYET MAT",
    "TOI MAT", "MAT" above the title: typed on a keyboard without Vietnamese input), else a hint
    (diacritics altered, "TỐI MẶT"; lower case; further down the text)."""
    if not _bounded(lower, start, end) or marking.position is MarkingPosition.FIELD:
        return None
    line_start, line_end = _line_bounds(lower, start, end)
    if line_end - line_start > 4 * len(phrase) + 16:
        return None  # a long line is running text, not a stamp (cheap exit on the hot path)
    core = lower[line_start:line_end].strip(DECORATION)
    # NFC folding maps one character to one, so a different length can never fold equal.
    if core == phrase or len(core) != len(phrase) or fold(core) != fold(phrase):
        return None
    if (
        core.isascii()
        and marking.requires_reference is None
        and _is_upper(original, start, end)
        and _in_top(lower, line_start, rules.top_lines)
    ):
        return _stamp_hit(marking, phrase, lower, start, end, " (written without diacritics)")
    return Hit(
        f"{marking.id}.folded",
        Severity.WARN,
        f"A stamp line reads like '{phrase.upper()}' once accents are ignored.",
        start,
        end,
        "Accent-folded matches are hints only; check whether the diacritics were altered.",
        marking.reference,
    )


# Separators dropped between the letters of a loose stamp (never a newline: stamps are lines).
_DROP_SEPARATORS = str.maketrans(dict.fromkeys(SPACED_SEPARATORS))
# What may stand around a loose stamp on its line.
LOOSE_EDGE = DECORATION + "".join(ch for ch in SPACED_SEPARATORS if ch not in DECORATION)


def compact(phrase: str) -> str:
    """``phrase`` without separators or spaces: the letters a loose stamp must spell."""
    return phrase.translate(_DROP_SEPARATORS)


def loose_pattern(phrase: str) -> str:
    """A whole line (``re.MULTILINE``) spelling ``phrase`` with any separators between its
    letters and decorations around them."""
    edge = "[" + re.escape(LOOSE_EDGE) + "]*"
    gap = "[" + re.escape(SPACED_SEPARATORS) + "]*"
    return "^" + edge + gap.join(re.escape(letter) for letter in compact(phrase)) + edge + "$"


def judge_loose(
    rules: ScreeningRules,
    marking: Marking,
    phrase: str,
    lower: str,
    original: str,
    end: int,
) -> Hit | None:
    """The stamp hit of the line ending at ``end`` when it spells ``phrase`` with separators
    between the letters (the line matched :func:`loose_pattern`). The plain phrase alone on its
    line is left to :func:`judge_marking` (one finding)."""
    if marking.position is MarkingPosition.FIELD:
        return None
    line_start, line_end = _line_bounds(lower, max(0, end - 1), end)
    line = lower[line_start:line_end]
    core = line.strip(LOOSE_EDGE)
    if line.strip(DECORATION) == phrase or compact(core) != compact(phrase):
        return None
    start = line_start + len(line) - len(line.lstrip(LOOSE_EDGE))
    stop = start + len(core)
    if marking.case is MarkingCase.UPPER and not _is_upper(original, start, stop):
        return None
    return _stamp_hit(marking, phrase, lower, start, stop, " (its letters set apart)")


def _gapped(letters: str) -> str:
    return _GAP.join(re.escape(letter) for letter in letters)


def _alternation(phrases: set[str]) -> str:
    return "|".join(_gapped(letters) for letters in sorted(phrases, key=lambda p: (-len(p), p)))


def loose_top_regex(table: dict[str, tuple[tuple[int, str], ...]]) -> re.Pattern[str] | None:
    """The start of a line (``match`` at its first character) spelling a stamp of ``table``
    (letters -> spellings) with separators between the letters; group 1 is the stamp."""
    if not table:
        return None
    return re.compile("[" + re.escape(DECORATION) + "]*(" + _alternation(set(table)) + ")")


def judge_loose_top(
    rules: ScreeningRules,
    pattern: re.Pattern[str] | None,
    table: dict[str, tuple[tuple[int, str], ...]],
    lower: str,
    original: str,
) -> list[Hit]:
    """Hits of the top lines of the part that open with a stamp whose letters are set apart,
    followed by other text ("MẬ T - Số 12/UBND"): judged as the plain phrase would be there
    (:func:`judge_marking`). A stamp written plainly is left to :func:`judge_marking`, a line
    that is the loose stamp alone to :func:`judge_loose` (one finding each)."""
    if pattern is None:
        return []
    hits: list[Hit] = []
    position = seen = 0
    while position <= min(len(lower), _TOP_WINDOW) and seen < rules.top_lines:
        line_end = lower.find("\n", position)
        line_end = len(lower) if line_end < 0 else line_end
        lead = _DECORATION_RUN.match(lower, position, line_end)
        if lead is not None and lead.end() < line_end:
            seen += 1
            match = pattern.match(lower, position, line_end)
            if match is not None:
                hits.extend(_top_hits(rules, table, lower, original, match, line_end))
        position = line_end + 1
    return hits


def _top_hits(
    rules: ScreeningRules,
    table: dict[str, tuple[tuple[int, str], ...]],
    lower: str,
    original: str,
    match: re.Match[str],
    line_end: int,
) -> list[Hit]:
    start, end = match.span(1)
    stamp_text = match.group(1)
    rest = _LOOSE_EDGE_RUN.match(lower, end, line_end)
    if rest is not None and rest.end() == line_end:
        return []  # the loose stamp alone on its line: judge_loose's
    if not _bounded(lower, start, end):
        return []
    hits: list[Hit] = []
    for index, phrase in table.get(compact(stamp_text), ()):
        marking = rules.markings[index]
        if stamp_text == phrase or marking.position is MarkingPosition.FIELD:
            continue  # written plainly: judge_marking's
        upper = _is_upper(original, start, end)
        if marking.case is MarkingCase.UPPER and not upper:
            continue
        if marking.position is MarkingPosition.ANYWHERE or (
            upper and _TOP_SEPARATOR.match(lower, end) is not None
        ):
            hits.append(_stamp_hit(marking, phrase, lower, start, end, " (its letters set apart)"))
        elif upper and " " in phrase:
            hits.append(_mention_hit(marking, phrase, start, end))
    return hits


def field_labels(rules: ScreeningRules) -> dict[str, tuple[tuple[int, str], ...]]:
    """The letters of every field label -> the (marking index, label) they spell."""
    by_letters: dict[str, list[tuple[int, str]]] = {}
    for index, marking in enumerate(rules.markings):
        if marking.position is MarkingPosition.FIELD:
            for phrase in marking.phrases:
                letters = compact(phrase.lower())
                if letters:
                    by_letters.setdefault(letters, []).append((index, phrase.lower()))
    return {letters: tuple(labels) for letters, labels in by_letters.items()}


def loose_field_regex(labels: dict[str, tuple[tuple[int, str], ...]]) -> re.Pattern[str] | None:
    """A field label with separators between its letters followed by a level value (group 1
    the label, group 2 the value)."""
    if not labels:
        return None
    return re.compile("(" + _alternation(set(labels)) + ")" + _FIELD_VALUE_BODY)


def judge_loose_fields(
    rules: ScreeningRules,
    pattern: re.Pattern[str] | None,
    labels: dict[str, tuple[tuple[int, str], ...]],
    lower: str,
    original: str,
    low: int,
    high: int,
) -> list[Hit]:
    """Hits of the level fields in ``lower[low:high]`` whose label has its letters set apart
    ("Đ ộ  m ậ t: Mật"), judged as the plain label would be (:func:`judge_marking`); a plain
    label is left to it. Letters rejoined up to the value ("ĐộmậtMật" from "Đ ộ m ậ t M ậ t",
    "Độ mậtM ật" from "Độ m ậ t | M ật") count too."""
    if pattern is None:
        return []
    hits: list[Hit] = []
    for match in pattern.finditer(lower, low, high):
        start, end = match.span(1)
        label = match.group(1)
        if start > 0 and lower[start - 1].isalnum():
            continue
        glued = end < len(lower) and lower[end].isalnum()
        if glued and match.start(2) != end:
            continue
        for index, phrase in labels.get(compact(label), ()):
            marking = rules.markings[index]
            if label == phrase and not glued:
                continue  # written plainly: judge_marking's
            if marking.case is MarkingCase.UPPER and not _is_upper(original, start, end):
                continue
            hits.append(_field_hit(rules, marking, phrase, start, match.group(2), match.end()))
    return hits


_LOOSE_EDGE_RUN = re.compile("[" + re.escape(LOOSE_EDGE) + "]*")
