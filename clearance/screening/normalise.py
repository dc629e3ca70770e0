"""Normalisation that defeats obfuscation yet stays diacritic-sensitive.

Steps, each skipped when the text does not need it (the common case costs one C-speed check):

1. NFKC (full-width letters, compatibility forms; NFC for Vietnamese composed the usual way).
   ``unicodedata.is_normalized`` is a fast quick-check, so clean text is not copied.
2. Removal of format characters (Unicode category Cf: zero-width space/joiners, soft hyphen,
   bidi controls, BOM...) and variation selectors, then mapping of confusable letters from other
   scripts (Cyrillic/Greek look-alikes of Latin letters) to Latin, with one ``str.translate``.
3. Reattaching combining marks set apart from their letter by separators ("MA ̣̂T"), then
   rejoining letters spaced or dotted apart ("M Ậ T", "M.Ậ.T", "T-Ố-I") with one regex.
   Stamps whose letters are set apart only in places ("mậ t", "TỐ I MẬT"), alone on their line
   or opening a top line ("MẬ T - Số 12"), and field labels so written ("Đ ộ  m ậ t: Mật") are
   found by the loose checks of ``detectors/markings.py``.

Diacritics are never dropped here: "MẬT" stays distinct from "mát", "mắt", "mặt". Accent folding
(:func:`fold`) exists only to raise hints on short lines.

The hot path of plain-text screening does not call :func:`normalise` up front: cheap scans
detect the characters of step 2 and spaced single letters, and the full normalisation runs only
when one of them fires (see ``detectors/fastscan.py`` and ``prefilter.py``).
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import cache
from typing import Literal

# Cyrillic and Greek letters that render like Latin ones (upper and lower case).
_CONFUSABLES: dict[str, str] = {
    # Cyrillic
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "У": "Y", "Х": "X", "І": "I", "Ј": "J", "Ѕ": "S", "Ԛ": "Q",
    "Ԝ": "W", "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o",
    "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s",
    "ԛ": "q", "ԝ": "w", "ӏ": "l", "Ӏ": "I",
    # Greek
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
    "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "ο": "o", "ν": "v",
    "ι": "i", "κ": "k", "τ": "t", "υ": "u", "ρ": "p", "α": "a",
}  # fmt: skip

# Invisible characters that are not category Cf but are used to split words.
_EXTRA_INVISIBLE = "\u034f\u115f\u1160\u3164\uffa0" + "".join(chr(c) for c in range(0xFE00, 0xFE10))


@cache
def invisible_characters() -> str:
    """Every character of category Cf, plus variation selectors and fillers."""
    chars = [chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"]
    return "".join(chars) + _EXTRA_INVISIBLE


@cache
def suspicious_characters() -> str:
    """Characters whose presence means step 2 must run."""
    return invisible_characters() + "".join(_CONFUSABLES)


@cache
def _translate_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {ord(ch): None for ch in invisible_characters()}
    table.update({ord(k): v for k, v in _CONFUSABLES.items()})
    return table


@cache
def _suspicious_re() -> re.Pattern[str]:
    return re.compile("[" + re.escape(suspicious_characters()) + "]")


# Separators that obfuscators put between letters; never a newline (stamps are line-based).
SPACED_SEPARATORS = " \t.-_·*/|"
_SEP = r"[ \t.\-_·*/|]{1,3}"
_SPACED = re.compile(rf"(?<!\w)(?:[^\W\d_]{_SEP}){{2,}}[^\W\d_](?!\w)")
_SEPARATOR_RUN = re.compile(_SEP)


def _rejoin(match: re.Match[str]) -> str:
    return _SEPARATOR_RUN.sub("", match.group(0))


def rejoin_spaced(text: str) -> str:
    """Join runs of three or more single letters separated by spaces, dots or dashes."""
    return _SPACED.sub(_rejoin, text)


def has_spaced_run(text: str, start: int, end: int) -> bool:
    """Whether a run of spaced single letters overlaps ``text[start:end]`` (a sentinel hit)."""
    lo = max(0, start - 8)
    for match in _SPACED.finditer(text, lo, min(len(text), end + 8)):
        if match.start() <= end and match.end() >= start:
            return True
    return False


def nfkc(text: str) -> str:
    if text.isascii() or unicodedata.is_normalized("NFKC", text):
        return text
    return unicodedata.normalize("NFKC", text)


def strip_invisible(text: str) -> str:
    """Drop format characters and map confusables (only when any is present)."""
    if not _suspicious_re().search(text):
        return text
    cleaned = text.translate(_translate_table())
    return unicodedata.normalize("NFC", cleaned)


# Separators in front of a combining mark (which then sits on the separator, not the letter).
_SEPARATED_MARK = re.compile(
    r"[ \t.\-_·*/|]+(?=[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f])"
)


def attach_marks(text: str) -> str:
    """Drop separators standing between a letter and its combining marks, then recompose."""
    if _SEPARATED_MARK.search(text) is None:
        return text
    return unicodedata.normalize("NFC", _SEPARATED_MARK.sub("", text))


def normalise(text: str) -> str:
    """The full normalisation: NFKC, invisible characters, confusables, separated marks, spaced
    letters."""
    return rejoin_spaced(attach_marks(strip_invisible(nfkc(text))))


_FOLD_EXTRA = str.maketrans({"đ": "d", "Đ": "D"})


def fold(text: str) -> str:
    """Accent-folded lower case ("Mật" -> "mat"); for hints only, never for blocking."""
    decomposed = unicodedata.normalize("NFD", text.translate(_FOLD_EXTRA))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


# --- Where each character of the normalised text came from --------------------------------
#
# Normalising changes a text's length (NFC of decomposed letters, zero-width characters
# dropped, spaced letters rejoined), so offsets found in the normalised text do not fit the
# text as given. :func:`traced` repeats :func:`normalise` on one line while recording, for
# every character of the result, the span of the original characters it came from. It runs
# only for the lines holding a finding, and only when the lengths differ
# (``detectors/realign.py``); the hot path never calls it.

#: (text, starts, ends): ``text[j]`` came from ``original[starts[j]:ends[j]]``.
Traced = tuple[str, list[int], list[int]]


def _untraced(text: str) -> Traced:
    return text, list(range(len(text))), list(range(1, len(text) + 1))


def _traced_form(form: Literal["NFC", "NFKC"], traced: Traced) -> Traced | None:
    """``unicodedata.normalize(form)`` of ``traced``, cluster by cluster (a cluster is a
    starter and the combining marks after it): the characters a cluster becomes come from all
    of its characters, but for a beginning the form keeps (a letter whose marks are only
    reordered). None when cluster by cluster is not the whole text's form (Hangul
    jamo and the like: no trace then)."""
    text, starts, ends = traced
    if unicodedata.is_normalized(form, text):
        return traced
    out: list[str] = []
    new_starts: list[int] = []
    new_ends: list[int] = []
    cluster = 0
    for index in range(1, len(text) + 1):
        if index < len(text) and unicodedata.combining(text[index]):
            continue
        piece = text[cluster:index]
        formed = unicodedata.normalize(form, piece)
        if formed == piece:
            out.append(piece)
            new_starts.extend(starts[cluster:index])
            new_ends.extend(ends[cluster:index])
        else:  # a common beginning is kept one for one, the rest comes from the rest
            same = 0
            while same < min(len(piece), len(formed)) - 1 and piece[same] == formed[same]:
                same += 1
            out.append(formed)
            new_starts.extend(starts[cluster : cluster + same])
            new_ends.extend(ends[cluster : cluster + same])
            rest = len(formed) - same
            new_starts.extend([starts[cluster + same]] * rest)
            new_ends.extend([ends[index - 1]] * rest)
        cluster = index
    result = "".join(out)
    if result != unicodedata.normalize(form, text):
        return None
    return result, new_starts, new_ends


def traced_nfc(traced: Traced) -> Traced | None:
    """NFC of ``traced`` with where each character came from (None: no trace; see above)."""
    return _traced_form("NFC", traced)


def _traced_drop(
    traced: Traced, dropped: set[int], mapping: dict[int, str] | None = None
) -> Traced:
    """``traced`` without the characters at ``dropped``, others replaced one for one by
    ``mapping`` (by code point)."""
    text, starts, ends = traced
    keep = [j for j in range(len(text)) if j not in dropped]
    chars = [text[j] for j in keep]
    if mapping:
        chars = [mapping.get(ord(ch), ch) for ch in chars]
    return "".join(chars), [starts[j] for j in keep], [ends[j] for j in keep]


def _traced_strip_invisible(traced: Traced) -> Traced | None:
    text = traced[0]
    if not _suspicious_re().search(text):
        return traced
    table = _translate_table()
    dropped = {j for j, ch in enumerate(text) if ord(ch) in table and table[ord(ch)] is None}
    mapping = {k: v for k, v in table.items() if v is not None}
    return _traced_form("NFC", _traced_drop(traced, dropped, mapping))


def _traced_attach_marks(traced: Traced) -> Traced | None:
    text = traced[0]
    if _SEPARATED_MARK.search(text) is None:
        return traced
    dropped = {j for m in _SEPARATED_MARK.finditer(text) for j in range(m.start(), m.end())}
    return _traced_form("NFC", _traced_drop(traced, dropped))


def _traced_rejoin(traced: Traced) -> Traced:
    text = traced[0]
    dropped = {
        match.start() + j
        for match in _SPACED.finditer(text)
        for sep in _SEPARATOR_RUN.finditer(match.group(0))
        for j in range(sep.start(), sep.end())
    }
    return _traced_drop(traced, dropped) if dropped else traced


def traced_lower(traced: Traced) -> Traced:
    """``str.lower`` of ``traced`` (one character may lower-case to two: U+0130)."""
    text, starts, ends = traced
    lower = text.lower()
    if len(lower) == len(text):
        return lower, starts, ends
    out_starts: list[int] = []
    out_ends: list[int] = []
    for j, ch in enumerate(text):
        count = len(ch.lower())
        out_starts.extend([starts[j]] * count)
        out_ends.extend([ends[j]] * count)
    return lower, out_starts, out_ends


def traced(text: str, *, rejoin: bool = True) -> Traced | None:
    """:func:`normalise` of ``text`` (one line) with where each character came from; without
    ``rejoin``, spaced letters are left as they are. None when the trace cannot be made."""
    step: Traced | None = _traced_form("NFKC", _untraced(text))
    for function in (_traced_strip_invisible, _traced_attach_marks):
        if step is None:
            return None
        step = function(step)
    if step is None:
        return None
    return _traced_rejoin(step) if rejoin else step
