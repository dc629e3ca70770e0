"""Legacy Vietnamese font encodings (TCVN3/ABC, VNI) and Windows code pages, converted to Unicode
before detection: a stamp typed in .VnTime reads "MËT" to a Unicode reader and "MẬT" to a person.

The tables are data (``legacy_vn_tables.yaml``: TCVN 5712:1993 byte -> letter, VNI letter ->
bytes); this module only applies them.

- :func:`convert` turns text in a legacy font's code points (as Word, LibreOffice and RTF keep
  them: one character per font byte, Windows-1252 or Latin-1 positions) into Unicode NFC.
- :func:`encoding_for_font` names the encoding a font implies (".VnTime" -> ``tcvn3``,
  ".VnTimeH" -> ``tcvn3h``, "VNI-Times" -> ``vni``), for documents that say which font a run uses.
- :func:`decode_bytes` decodes a plain-text file that is not UTF-8 (Windows-1258, TCVN3, VNI,
  Windows-1252) by character statistics: the reading whose words are Vietnamese syllables wins;
  when no reading is convincing the text is undecodable (``None``) and stays held.
- :func:`repair` looks at Unicode text with no font information and converts it when it reads as
  legacy-font text (many non-syllables that become syllables once converted).
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from array import array
from functools import cache, lru_cache
from pathlib import Path
from typing import cast

import yaml

from clearance.screening.normalise import Traced, traced_nfc

TCVN3 = "tcvn3"
TCVN3_CAPITALS = "tcvn3h"  # the .VnTimeH family: TCVN3 bytes drawn as capitals
VNI = "vni"
CP1258 = "cp1258"
CP1252 = "cp1252"
FONT_ENCODINGS = (TCVN3, TCVN3_CAPITALS, VNI)
ENCODINGS = (*FONT_ENCODINGS, CP1258, CP1252)

_TABLES = Path(__file__).with_name("legacy_vn_tables.yaml")


@cache
def _tables() -> tuple[dict[int, str], dict[str, str]]:
    raw = yaml.safe_load(_TABLES.read_text(encoding="utf-8"))
    tcvn3 = {int(byte): str(letter) for byte, letter in raw["tcvn3"].items()}
    vni: dict[str, str] = {}
    for letter, sequence in raw["vni"].items():
        vni["".join(_byte_char(int(h, 16)) for h in str(sequence).split())] = str(letter)
    return tcvn3, vni


def _byte_char(byte: int) -> str:
    """The character a font byte is stored as in a Unicode document (Windows-1252 position)."""
    return bytes([byte]).decode("cp1252", errors="strict") if byte >= 0x80 else chr(byte)


def _font_byte(char: str) -> int | None:
    """The font byte a stored character stands for (Windows-1252 or Latin-1 position)."""
    code = ord(char)
    if code < 0x100:
        return code
    try:
        encoded = char.encode("cp1252")
    except UnicodeEncodeError:
        return None
    return encoded[0] if len(encoded) == 1 else None


@cache
def _common() -> frozenset[str]:
    raw = yaml.safe_load(_TABLES.read_text(encoding="utf-8"))
    return frozenset(str(raw["common"]).split())


def _common_words(text: str, limit: int = 4000) -> int:
    common = _common()
    return sum(1 for word in sample(text).lower().split()[:limit] if word.strip(_EDGE) in common)


@cache
def _tcvn3_map() -> dict[int, str]:
    tcvn3, _vni = _tables()
    table: dict[int, str] = {}
    for byte, letter in tcvn3.items():
        table[byte] = letter
        stored = _byte_char(byte) if byte not in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else chr(byte)
        table[ord(stored)] = letter
    return table


@cache
def _vni_regex() -> tuple[re.Pattern[str], dict[str, str]]:
    _tcvn3, vni = _tables()
    keys = sorted(vni, key=len, reverse=True)
    return re.compile("|".join(re.escape(k) for k in keys)), vni


def _normalise_stored(text: str) -> str:
    """Characters outside Windows-1252 that stand for a font byte (C1 controls) -> 1252 form."""
    if all(ord(c) < 0x80 or 0xA0 <= ord(c) < 0x100 for c in text):
        return text
    out: list[str] = []
    for char in text:
        byte = _font_byte(char)
        out.append(
            _byte_char(byte)
            if byte is not None and byte >= 0x80 and byte not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)
            else char
        )
    return "".join(out)


def _vni(text: str) -> tuple[str, bool]:
    """(the VNI reading of ``text``, whether every letter outside ASCII was a VNI sequence: in
    VNI text they all are, so a leftover letter means the text is something else)."""
    pattern, table = _vni_regex()
    stored = _normalise_stored(text)
    pieces: list[str] = []
    position = leftover = consumed = 0
    for match in pattern.finditer(stored):
        between = stored[position : match.start()]
        leftover += sum(1 for c in between if not c.isascii() and c.isalpha())
        pieces.append(between)
        pieces.append(table[match.group(0)])
        consumed += 1
        position = match.end()
    tail = stored[position:]
    leftover += sum(1 for c in tail if not c.isascii() and c.isalpha())
    pieces.append(tail)
    return unicodedata.normalize("NFC", "".join(pieces)), leftover * 50 <= consumed


def convert(text: str, encoding: str) -> str:
    """``text`` written in a legacy font's code points, as Unicode NFC.

    ``encoding`` is one of :data:`ENCODINGS`; an unknown name raises ``ValueError``."""
    if encoding in (TCVN3, TCVN3_CAPITALS):
        out = text.translate(_tcvn3_map())
        out = unicodedata.normalize("NFC", out)
        return out.upper() if encoding == TCVN3_CAPITALS else out
    if encoding == VNI:
        return _vni(text)[0]
    if encoding in (CP1258, CP1252):
        raw = bytes(b for b in (_font_byte(c) for c in text) if b is not None)
        if len(raw) != len(text):
            raise ValueError(f"the text has characters outside {encoding}")
        return unicodedata.normalize("NFC", raw.decode(encoding, errors="replace"))
    raise ValueError(f"unknown legacy encoding {encoding!r}; use one of {', '.join(ENCODINGS)}")


def convert_traced(text: str, encoding: str) -> Traced | None:
    """:func:`convert` of ``text`` with, for each character of the result, the span of
    ``text`` it came from (``text[starts[j]:ends[j]]``). The conversion is not length
    preserving (a VNI letter is two bytes, NFC joins a letter and its tone), so a finding in
    the converted text is placed in the source through this. None when the trace does not give
    :func:`convert`'s result (never a wrong place)."""
    if encoding in (TCVN3, TCVN3_CAPITALS):
        table = _tcvn3_map()
        chars = [table.get(ord(c), c) for c in text]
        step = traced_nfc(("".join(chars), list(range(len(text))), list(range(1, len(text) + 1))))
        if step is not None and encoding == TCVN3_CAPITALS:
            step = _traced_upper(step)
    elif encoding == VNI:
        pattern, vni = _vni_regex()
        stored = _normalise_stored(text)  # one character for one
        out: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        position = 0
        for match in pattern.finditer(stored):
            out.append(stored[position : match.start()])
            starts.extend(range(position, match.start()))
            ends.extend(range(position + 1, match.start() + 1))
            out.append(vni[match.group(0)])
            starts.append(match.start())
            ends.append(match.end())
            position = match.end()
        out.append(stored[position:])
        starts.extend(range(position, len(stored)))
        ends.extend(range(position + 1, len(stored) + 1))
        step = traced_nfc(("".join(out), starts, ends))
    elif encoding in (CP1258, CP1252):
        codes = [_font_byte(c) for c in text]
        if None in codes:
            return None
        decoded = bytes(cast(list[int], codes)).decode(encoding, errors="replace")
        step = traced_nfc((decoded, list(range(len(text))), list(range(1, len(text) + 1))))
    else:
        raise ValueError(f"unknown legacy encoding {encoding!r}; use one of {', '.join(ENCODINGS)}")
    if step is None or step[0] != convert(text, encoding):
        return None
    return step


def _traced_upper(traced: Traced) -> Traced:
    text, starts, ends = traced
    out_starts: list[int] = []
    out_ends: list[int] = []
    for j, ch in enumerate(text):
        count = len(ch.upper())
        out_starts.extend([starts[j]] * count)
        out_ends.extend([ends[j]] * count)
    return text.upper(), out_starts, out_ends


class SourceSpans:
    """Spans of a text converted from a legacy encoding (``converted``, which is
    ``convert(source, encoding)``) as spans of ``source``: the conversion never moves a
    newline, so the span's line is traced alone (each line once, on demand)."""

    def __init__(self, source: str, converted: str, encoding: str) -> None:
        self._source = source
        self._converted = converted
        self._encoding = encoding
        self._source_lines: array[int] | None = None
        self._converted_lines: array[int] | None = None
        self._traces: dict[int, Traced | None] = {}

    def span(self, start: int, end: int) -> tuple[int, int] | None:
        """The span of ``source`` that ``converted[start:end]`` came from, or None."""
        if not 0 <= start < end <= len(self._converted):
            return None
        if self._source_lines is None or self._converted_lines is None:
            self._source_lines = _line_starts(self._source)
            self._converted_lines = _line_starts(self._converted)
            if len(self._source_lines) != len(self._converted_lines):
                return None
        line = bisect.bisect_right(self._converted_lines, start) - 1
        base = self._converted_lines[line]
        line_end = self._converted.find("\n", base)
        if line_end >= 0 and end > line_end:
            return None  # a span across lines is not a finding's
        trace = self._trace(line)
        if trace is None:
            return None
        source_base = self._source_lines[line]
        return source_base + trace[1][start - base], source_base + trace[2][end - 1 - base]

    def _trace(self, line: int) -> Traced | None:
        if line not in self._traces:
            assert self._source_lines is not None and self._converted_lines is not None
            begin = self._source_lines[line]
            finish = self._source.find("\n", begin)
            piece = self._source[begin : len(self._source) if finish < 0 else finish]
            trace = convert_traced(piece, self._encoding)
            c_begin = self._converted_lines[line]
            c_finish = self._converted.find("\n", c_begin)
            target = self._converted[c_begin : len(self._converted) if c_finish < 0 else c_finish]
            self._traces[line] = trace if trace is not None and trace[0] == target else None
        return self._traces[line]


def _line_starts(text: str) -> array[int]:
    starts = array("q", [0])
    position = text.find("\n")
    while position >= 0:
        starts.append(position + 1)
        position = text.find("\n", position + 1)
    return starts


_TCVN3_FONT = re.compile(r"^\.vn[a-z]", re.IGNORECASE)
_VNI_FONT = re.compile(r"^vni[-_ ]", re.IGNORECASE)


def encoding_for_font(font: str | None) -> str | None:
    """The legacy encoding a font name implies, or ``None`` for a Unicode font."""
    if not font:
        return None
    name = font.strip().strip("'\"")
    if _VNI_FONT.match(name):
        return VNI
    if _TCVN3_FONT.match(name):
        return TCVN3_CAPITALS if name.endswith("H") else TCVN3
    return None


# --- statistics: how Vietnamese a reading looks --------------------------------------------

_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
# Vowel nuclei of Vietnamese syllables (tones removed); a final consonant follows the open ones.
_CLOSED_NUCLEI = "iêu yêu oai oay oao oeo uây uôi ươi ươu uya uyu ai ao au ay âu ây eo êu ia iu oi ôi ơi ua ưa ui ưi ưu"
_OPEN_NUCLEI = "uyê iê yê oa oă oe ua uâ uê uô uơ ươ uy a ă â e ê i o ô ơ u ư y"
_SYLLABLE = re.compile(
    r"^(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|b|c|d|đ|g|h|k|l|m|n|p|r|s|t|v|x)?"
    r"(?P<nucleus>" + "|".join(_CLOSED_NUCLEI.split()) + r"|"
    r"(?:" + "|".join(_OPEN_NUCLEI.split()) + r"))(?P<coda>ch|ng|nh|c|m|n|p|t)?$"
)
_PALATAL_NUCLEI = frozenset(("a", "ê", "i", "y", "oa", "uê", "uy"))  # before -nh, -ch
_CLOSED = frozenset(_CLOSED_NUCLEI.split())
_STOP_TONES = frozenset(("", "\u0301", "\u0323"))  # -p -t -c -ch take no tone, sắc or nặng
_EDGE = "\"'()[]{}<>.,;:!?-–—…“”‘’«»/\\*"


@lru_cache(maxsize=65536)
def _is_syllable(word: str) -> bool:
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = sum(1 for c in decomposed if c in _TONES)
    if tones > 1:
        return False
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
    match = _SYLLABLE.match(base)
    if match is None:
        return False
    coda = match.group("coda") or ""
    if coda in ("nh", "ch") and match.group("nucleus") not in _PALATAL_NUCLEI:
        return False
    closed = match.group("nucleus") in _CLOSED
    if closed and coda:
        return False
    tone = "".join(c for c in decomposed if c in _TONES)
    return coda not in ("p", "t", "c", "ch") or tone in _STOP_TONES


_WINDOW = 8192


def sample(text: str) -> str:
    """What the statistics look at: the start of the text and four windows spread over the rest
    (cheap on a long text, and a legacy passage further down is still seen)."""
    if len(text) <= 6 * _WINDOW:
        return text
    step = (len(text) - 2 * _WINDOW) // 4
    windows = [text[: 2 * _WINDOW]]
    windows += [text[2 * _WINDOW + i * step : 2 * _WINDOW + i * step + _WINDOW] for i in range(4)]
    return "\n".join(windows)


def vietnamese_score(text: str, *, limit: int = 4000) -> tuple[float, int]:
    """(share of the words with a non-ASCII character that are Vietnamese syllables, how many
    such words), over the first ``limit`` words of :func:`sample` of ``text``."""
    total = good = 0
    for index, token in enumerate(sample(text).split()):
        if index >= limit:
            break
        word = token.strip(_EDGE)
        if word.isascii() or not word:
            continue
        total += 1
        if word.isalpha() and _is_syllable(word):
            good += 1
    return (good / total if total else 0.0), total


def _vni_reading(text: str) -> str | None:
    converted, whole = _vni(text)
    return converted if whole else None


_CONVINCING = 0.85
_FOREIGN = 0.35


def decode_bytes(data: bytes) -> tuple[str, str] | None:
    """(Unicode text, encoding name) of a text file that is not UTF-8, or ``None`` when no
    reading is convincing (the caller holds the file: a guess would hide a stamp)."""
    readings: list[tuple[float, int, str, str]] = []
    latin = data.decode("latin-1")
    for encoding in (TCVN3, VNI, CP1258):
        text = convert(latin, encoding) if encoding != VNI else _vni_reading(latin)
        if text is None or (encoding == CP1258 and "\ufffd" in text):
            continue
        score, words = vietnamese_score(text)
        readings.append((score, words, encoding, text))
    if readings:
        # a tie goes to the reading with more frequent syllables; a tie that remains is
        # undecodable (held) rather than a guess
        ranked = sorted(
            ((r[0], r[1], _common_words(r[3]), r[2], r[3]) for r in readings), reverse=True
        )
        score, words, _common, encoding, text = ranked[0]
        if words and score >= _CONVINCING:
            if len(ranked) > 1 and ranked[1][:3] == ranked[0][:3] and ranked[1][4] != text:
                return None
            return text, encoding
        if score > _FOREIGN:
            return None
    try:
        western = data.decode(CP1252)
    except UnicodeDecodeError:
        return None
    if any(c in _TCVN3_SYMBOLS for c in western):
        return None  # tone bytes read as symbols inside words: legacy text we cannot read
    return western, CP1252


# Symbols Windows-1252 shows for TCVN3 tone letters (á à ả ã ạ ...): inside a word they mean
# legacy text, never a Western spelling.
_TCVN3_SYMBOLS = frozenset("¸µ¶·¹»¼½¾Æ")
_SUSPECT = re.compile(r"[\u0080-\u00ff\u2013-\u203a\u0152\u0153\u0160\u0161\u0178\u017d\u017e]")


def repair(text: str) -> tuple[str, str | None]:
    """``text`` converted from a legacy font when it reads as one (the encoding is returned),
    else ``text`` unchanged and ``None``. Cheap for text without Latin-1 letters."""
    if _SUSPECT.search(text) is None:
        return text, None
    piece = sample(text)
    score, words = vietnamese_score(piece)
    if words == 0 or score >= _CONVINCING:
        return text, None
    best: tuple[float, str] | None = None
    for encoding in (TCVN3, VNI):
        converted = convert(piece, encoding) if encoding != VNI else _vni_reading(piece)
        if converted is None:
            continue
        new_score, _ = vietnamese_score(converted)
        if new_score >= _CONVINCING and new_score > score and (best is None or new_score > best[0]):
            best = (new_score, encoding)
    if best is None:
        return text, None
    return convert(text, best[1]), best[1]


def encode(text: str, encoding: str) -> bytes:
    """``text`` as a legacy font or code page would store it (the inverse of :func:`convert`, for
    building test documents and corpora). Raises ``ValueError`` for a character it cannot write."""
    nfc = unicodedata.normalize("NFC", text)
    out = bytearray()
    if encoding in (TCVN3, TCVN3_CAPITALS):
        tcvn3, _vni = _tables()
        inverse = {letter: byte for byte, letter in tcvn3.items() if not 0xB0 <= byte <= 0xB4}
        if encoding == TCVN3_CAPITALS:
            nfc = nfc.lower()
        for char in nfc:
            if char.isascii():
                out.append(ord(char))
            elif char in inverse:
                out.append(inverse[char])
            else:
                raise ValueError(f"{char!r} cannot be written in {encoding}")
        return bytes(out)
    if encoding == VNI:
        _tcvn3, vni = _tables()
        inverse_vni = {letter: stored for stored, letter in vni.items()}
        for char in nfc:
            stored = inverse_vni.get(char, char)
            out.extend(stored.encode("cp1252"))
        return bytes(out)
    if encoding == CP1258:
        for char in nfc:
            try:
                out.extend(char.encode(CP1258))
            except UnicodeEncodeError:
                parts = unicodedata.normalize("NFD", char)
                tone = "".join(c for c in parts if c in _TONES)
                base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
                out.extend((base + tone).encode(CP1258))
        return bytes(out)
    if encoding == CP1252:
        return nfc.encode(CP1252)
    raise ValueError(f"unknown legacy encoding {encoding!r}; use one of {', '.join(ENCODINGS)}")
