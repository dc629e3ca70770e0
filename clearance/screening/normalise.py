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
