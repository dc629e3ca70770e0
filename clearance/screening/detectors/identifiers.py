"""Personal identifiers and coordinates, recognised Presidio-style: a pattern, a validator, and
context words that raise the score (here: the severity) when found nearby.

One regex with a character-class prefix finds number-like candidates (C-speed scan); Python only
looks at candidates. Validation:

- CCCD (12 digits): a real province code in the first three digits, a century/sex digit of the
  20th or 21st century, a birth year that is not in the future.
- CMND (9 digits): any nine digits that do not look like an amount of money.
- Phones: ten-digit mobiles with a live prefix, eleven-digit landlines 02x, ``+84`` forms.
- Plates: only next to a context word ("biển số"...), otherwise too many false positives.
- Coordinates: decimal pairs with four or more decimals in range, and degree-minute-second forms.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from clearance.screening.detectors.vn_data import MOBILE_PREFIXES, PROVINCE_CODES
from clearance.screening.rules import IdentifierKind

CANDIDATE = re.compile(r"[+(0-9][0-9 .,\-()]{5,28}[0-9]")
# Characters the fast scanner's number runs may hold (its class bytes D, S and P): every
# character a candidate can hold and a few more. A window cut at any other character parses
# like the whole text, because no candidate can span it.
_OUTSIDE_RUN = re.compile(r"[^0-9 .,\-()+\t_*/|\u0080-\u00bf]")
_MIN_DIGITS = 9  # every reportable number or coordinate pair has at least this many digits


def find_numbers_in_runs(lower: str, run_ends: list[int]) -> list[IdentifierMatch]:
    """:func:`find_numbers` restricted to the runs of candidate characters that end at
    ``run_ends`` (sorted) and hold at least nine digits, as reported by the fast scanner."""
    out: list[IdentifierMatch] = []
    floor = 0
    for reported in run_ends:
        # The report ends just after the character that closed the run (or at the text's end).
        run_end = reported - 1 if _OUTSIDE_RUN.match(lower, reported - 1) else reported
        if run_end <= floor:
            continue
        step = 64
        while True:
            low = max(floor, run_end - step)
            last = -1
            for match in _OUTSIDE_RUN.finditer(lower, low, run_end):
                last = match.start()
            if last >= 0:
                start = last + 1
                break
            if low == floor:
                start = floor
                break
            step *= 4
        out.extend(find_numbers(lower, start, run_end))
        floor = run_end
    return out


_GROUP = re.compile(r"[0-9]+")
_COORD_PAIR = re.compile(r"(-?[0-9]{1,3})[.,]([0-9]{4,})\s*[,;]?\s*(-?[0-9]{1,3})[.,]([0-9]{4,})")
_DMS = re.compile(
    r"([0-9]{1,3})\s*°\s*([0-9]{1,2})\s*['′’]\s*([0-9]{1,2}(?:[.,][0-9]+)?)?\s*(?:[\"″”]|'')?"
    r"\s*([nsewbđt])?"
)
_PLATE = re.compile(
    r"(?<![0-9a-z])[1-9][0-9]\s?[a-zđ]{1,2}[0-9]?\s?[ .\-]?\s?(?:[0-9]{3}\.?[0-9]{2}|[0-9]{4})(?![0-9])"
)
_MONEY_AFTER = re.compile(r"\s*(?:đồng|đ\b|vnđ|vnd|usd|\$|%|tỷ|triệu|nghìn|người|km|m2|ha)")


@dataclass(frozen=True, slots=True)
class IdentifierMatch:
    kind: IdentifierKind
    start: int
    end: int
    value: str  # digits only for numbers, the matched text for coordinates and plates


def cccd_valid(digits: str, today: dt.date | None = None) -> bool:
    """A 12-digit CCCD: province code, century/sex digit, plausible birth year."""
    if len(digits) != 12 or not digits.isdigit() or digits[:3] not in PROVINCE_CODES:
        return False
    century = digits[3]
    if century in "01":
        return True
    if century in "23":
        year = 2000 + int(digits[4:6])
        return year <= (today or dt.date.today()).year
    return False


def phone_digits(digits: str, plus: bool) -> str | None:
    """The national form of a phone number, or None when ``digits`` is not one."""
    if plus or (digits.startswith("84") and len(digits) in (11, 12)):
        if not digits.startswith("84"):
            return None
        digits = "0" + digits[2:]
    if len(digits) == 10 and digits[0] == "0" and digits[1:3] in MOBILE_PREFIXES:
        return digits
    if len(digits) == 11 and digits.startswith("02"):
        return digits
    return None


def _numbers(text: str, start: int, end: int, money: bool) -> list[IdentifierMatch]:
    groups = list(_GROUP.finditer(text, start, end))
    found: list[IdentifierMatch] = []
    i = 0
    while i < len(groups):
        digits = ""
        best: IdentifierMatch | None = None
        best_j = i
        plus = text[max(start, groups[i].start() - 1) : groups[i].start()] == "+"
        for j in range(i, len(groups)):
            if j > i:
                separator = text[groups[j - 1].end() : groups[j].start()]
                if len(separator) > 2 or "," in separator:
                    break
            digits += groups[j].group(0)
            if len(digits) > 12:
                break
            s, e = groups[i].start() - (1 if plus else 0), groups[j].end()
            national = phone_digits(digits, plus)
            if national is not None:
                best, best_j = IdentifierMatch(IdentifierKind.PHONE, s, e, national), j
            elif not money and cccd_valid(digits):
                best, best_j = IdentifierMatch(IdentifierKind.CCCD, s, e, digits), j
            elif not money and len(digits) == 9 and best is None and j == len(groups) - 1:
                best, best_j = IdentifierMatch(IdentifierKind.CMND, s, e, digits), j
        if best is not None:
            found.append(best)
            i = best_j + 1
        else:
            i += 1
    return found


def _looks_like_money(text: str, start: int, end: int) -> bool:
    sizes = [len(m.group(0)) for m in _GROUP.finditer(text, start, end)]
    grouped = len(sizes) > 1 and all(size == 3 for size in sizes[1:]) and "." in text[start:end]
    return grouped or bool(_MONEY_AFTER.match(text, end))


def find_numbers(lower: str, start: int = 0, end: int | None = None) -> list[IdentifierMatch]:
    """CCCD, CMND, phones and decimal coordinate pairs in lower-cased text (or a window of it
    that begins and ends at a character no candidate can contain)."""
    out: list[IdentifierMatch] = []
    for cand in CANDIDATE.finditer(lower, start, len(lower) if end is None else end):
        start, end = cand.span()
        if start > 0 and (lower[start - 1].isalnum() or lower[start - 1] in ".,"):
            continue
        pair = _COORD_PAIR.match(lower, start, end)
        if pair is not None:
            lat = int(pair.group(1))
            lon = int(pair.group(3))
            if abs(lat) <= 90 and abs(lon) <= 180:
                out.append(
                    IdentifierMatch(IdentifierKind.COORDINATES, start, pair.end(), pair.group(0))
                )
                continue
        if sum(ch.isdigit() for ch in cand.group(0)) < _MIN_DIGITS:
            continue
        money = _looks_like_money(lower, start, end)
        out.extend(_numbers(lower, start, end, money))
    return out


def find_dms(lower: str, start: int, end: int) -> list[IdentifierMatch]:
    """Degree-minute-second coordinates near a degree sign at ``start``."""
    out: list[IdentifierMatch] = []
    for match in _DMS.finditer(lower, max(0, start - 4), min(len(lower), end + 40)):
        if match.group(3) is not None or match.group(4) is not None:
            out.append(
                IdentifierMatch(IdentifierKind.COORDINATES, *match.span(), match.group(0).strip())
            )
    return out


def find_plates(lower: str, start: int, end: int) -> list[IdentifierMatch]:
    """Vehicle plates within a short window after a context word ending at ``end``."""
    return [
        IdentifierMatch(IdentifierKind.PLATE, *m.span(), m.group(0))
        for m in _PLATE.finditer(lower, end, min(len(lower), end + 40))
    ]
