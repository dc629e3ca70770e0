"""Hyperscan passes over the lower-cased text find everything the hot path needs.

Why: pyahocorasick walks its trie one character at a time in a Python extension (25-40 ms/MB
with 2,000 phrases, measured in ``bench/screening_text.py``); Hyperscan compiles the same
literals into SIMD matchers (about 1.5 ms/MB here). The text is lower-cased and pre-scanned in
chunks of about 64K characters cut after a newline (cache-resident; every candidate lies within
a line), each chunk's UTF-8 going through two small databases:

- first: any character that full normalisation would change (format and zero-width
  characters, confusable scripts, combining marks; the first one ends the pass, the whole text
  is then normalised and scanned again), and every line that spells a stamp phrase with
  separators between its letters ("T Ố I M Ậ T", "mậ t"; ``markings.judge_loose`` decides),
  and every place where a level field's label departs from its plain form ("Đ ộ  m ậ t: Mật";
  ``markings.judge_loose_fields`` decides on the lines around it);
- classes, over one class byte per character (UTF-8 with continuation bytes deleted):
  ``spaced``, a single letter between separators followed by another single letter ("M Ậ T"),
  a superset of what ``normalise.rejoin_spaced`` joins (Python confirms each and rejoins the
  line in its chunk); ``numbers``, the end of every run of number characters holding nine
  digits or more, the only places an identifier or a coordinate pair can be
  (``identifiers.find_numbers_in_runs`` parses them).

Then one pass for the policy phrases: every automaton key as a literal over the UTF-16-LE
encoding of the whole lower-cased text, where a byte offset is twice a ``str`` index (no
mapping pass; matches at odd offsets straddle two characters and are dropped). Texts with
characters beyond the BMP (surrogate pairs) use a UTF-8 database instead, whose offsets are
mapped by counting continuation bytes.

Findings are exactly those of the portable path (``automaton.build_matcher``, ``prefilter``,
``find_numbers``); ``tests/screening/test_fastscan.py`` compares both, also with tiny chunks.
Hyperscan needs x86-64 with SSSE3: where the wheel is missing or compilation fails,
:func:`fast_matcher` returns None and the portable path runs.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass, field
from typing import Any

from clearance.screening.detectors.automaton import LooseTable, Payload
from clearance.screening.detectors.markings import (
    DECORATION,
    LEVEL_VALUES,
    LOOSE_EDGE,
    compact,
    loose_field_regex,
    loose_top_regex,
)
from clearance.screening.normalise import (
    SPACED_SEPARATORS,
    has_spaced_run,
    rejoin_spaced,
    suspicious_characters,
)

_hs: Any
try:  # pragma: no cover - depends on the platform
    import hyperscan as _hs
except ImportError:  # pragma: no cover
    _hs = None


def _alarm_literals() -> list[bytes]:
    """UTF-8 of every character normalisation would change. U+0300-U+04FF (combining marks,
    Greek, Cyrillic) are found by their lead bytes 0xCC-0xD3, which never occur otherwise."""
    chars = {c for c in suspicious_characters() if not 0x300 <= ord(c) <= 0x4FF}
    return [bytes([lead]) for lead in range(0xCC, 0xD4)] + [
        c.encode("utf-8", "surrogatepass") for c in sorted(chars)
    ]


# Character classes of the lower-cased text, one byte per character (UTF-8 with continuation
# bytes deleted; the lead byte decides). L: letter (ASCII, Latin supplements, Vietnamese),
# S: a separator obfuscators put between letters (and U+0080-U+00BF, which holds "·"),
# D: digit, P: other characters of number runs, o: anything else.
def _class_table() -> bytes:
    table = bytearray(b"o" * 256)
    for byte in b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ":
        table[byte] = ord("L")
    for byte in (0xC3, 0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9, 0xE1):
        table[byte] = ord("L")
    for byte in b"0123456789":
        table[byte] = ord("D")
    for byte in (*SPACED_SEPARATORS.replace("\u00b7", "").encode("ascii"), 0xC2):
        table[byte] = ord("S")
    for byte in b",()+":
        table[byte] = ord("P")
    return bytes(table)


_CLASSES = _class_table()
_CONTINUATION = bytes(range(0x80, 0xC0))
# Marks continuation bytes with "c" so that a byte offset becomes a character index by one
# C-speed count (decoding the stretches between hits costs five times more).
_MARK_CONTINUATION = bytes(ord("c") if 0x80 <= b < 0xC0 else ord("n") for b in range(256))
# "M Ậ T": a single letter between separators, then another single letter (a superset of the
# runs rejoin_spaced joins; Python confirms). Digits joined by number characters, nine or more:
# reported once, at the end of the run of number characters that holds them.
_SPACED = rb"SLS{1,3}L(?:[^L]|\z)"
_NUMBERS = rb"D(?:[SP]*D){8}[DSP]*(?:[^DSP]|\z)"


def _loose_line(letters: str) -> bytes:
    """A superset of :func:`markings.loose_pattern` over the UTF-8 of the lower-cased text
    (multi-line mode): around the letters, any ASCII decoration or any character of
    U+0080-U+00BF and U+2000-U+3FFF (where the other decorations are), so that the pattern
    compiles fast; Python confirms each line exactly."""
    ascii_edge = bytes(sorted({ord(ch) for ch in LOOSE_EDGE if ch.isascii()}))
    assert all(
        ch.isascii() or "\u0080" <= ch <= "\u00bf" or "\u2000" <= ch <= "\u3fff"
        for ch in LOOSE_EDGE
    )
    edge = b"(?:[" + _escaped(ascii_edge) + rb"]|\xc2[\x80-\xbf]|[\xe2\xe3][\x80-\xbf]{2})*"
    ascii_gap = bytes(sorted({ord(ch) for ch in SPACED_SEPARATORS if ch.isascii()}))
    wide_gap = [_escaped(ch.encode("utf-8")) for ch in SPACED_SEPARATORS if not ch.isascii()]
    gap = b"(?:" + b"|".join([b"[" + _escaped(ascii_gap) + b"]", *wide_gap]) + b")*"
    core = gap.join(_escaped(ch.encode("utf-8")) for ch in letters)
    return b"^" + edge + core + edge + b"$"


def _gaps() -> tuple[bytes, bytes, bytes]:
    """Byte patterns of a run of separators: any (``*``), one or more, and one that is not a
    single space (another separator, or two or more). Single byte classes only, the bytes of
    "·" among them (a superset: Python confirms): an alternative of several bytes keeps
    Hyperscan from finding a literal to look for and cost three times as much, measured."""
    wide = b"".join(ch.encode("utf-8") for ch in SPACED_SEPARATORS if not ch.isascii())
    ascii_gap = bytes(sorted({ord(ch) for ch in SPACED_SEPARATORS if ch.isascii()}))
    one = b"[" + _escaped(ascii_gap + wide) + b"]"
    other = b"[" + _escaped(bytes(sorted(set(ascii_gap) - {ord(" ")})) + wide) + b"]"
    return one + b"*", one + b"+", b"(?:" + other + one + b"*|" + one + one + b"+)"


def _loose_fields(label: str) -> list[bytes]:
    """Where a field ``label`` may be written otherwise than plainly (over the UTF-8 of the
    lower-cased text): one pattern per place where it departs from its plain form, two letters
    of a word set apart ("đ.ộ", "m ậ") or the letters around a space joined ("ộm") or set apart
    otherwise ("ộ - m"). Every loose label holds one of these, and plain text hardly has them,
    so the pass stays cheap (the whole label, value and all, in one pattern cost the screening
    4 % more, these 1 %, measured), and the label's end glued to a value's first letter.
    Python confirms each candidate's lines with
    :func:`markings.loose_field_regex`."""
    _any_gap, some_gap, not_space = _gaps()
    letters = compact(label)
    patterns: list[bytes] = []
    position = 0
    for index, letter in enumerate(letters[:-1]):
        position = label.index(letter, position) + 1
        pair = (_escaped(letter.encode("utf-8")), _escaped(letters[index + 1].encode("utf-8")))
        between = label[position : label.index(letters[index + 1], position)]
        if not between:
            patterns.append(pair[0] + some_gap + pair[1])
        else:  # joined, or set apart otherwise than by the plain single space
            patterns += [
                pair[0] + pair[1],
                pair[0] + (not_space if between == " " else some_gap) + pair[1],
            ]
    # The value glued to the label by the rejoining of single letters ("Độ mậtM ật").
    firsts = sorted({compact(value)[0] for value in LEVEL_VALUES})
    glued = b"|".join(_escaped(first.encode("utf-8")) for first in firsts)
    patterns.append(_escaped(letters[-2:].encode("utf-8")) + b"(?:" + glued + b")")
    return patterns


def _byte_classes(literals: list[bytes]) -> list[bytes]:
    """Regular expressions matching exactly ``literals``: one per common prefix, its last
    bytes as a class (a dozen patterns compile ten times faster than 200)."""
    by_prefix: dict[bytes, set[int]] = {}
    for literal in literals:
        by_prefix.setdefault(literal[:-1], set()).add(literal[-1])
    return [
        _escaped(prefix) + b"[" + _escaped(bytes(sorted(last))) + b"]"
        for prefix, last in sorted(by_prefix.items())
    ]


CHUNK = 1 << 16  # characters lower-cased and pre-scanned at a time (see lower_and_prescan)


@dataclass(slots=True)
class FastScan:
    """What one pass found. Offsets are ``str`` indices into the scanned text."""

    alarm: bool = False
    spaced_ends: list[int] = field(default_factory=list)  # exclusive end of a candidate
    number_ends: list[int] = field(default_factory=list)  # exclusive end of a number run
    loose_ends: list[int] = field(default_factory=list)  # end of a loose stamp candidate line


class FastMatcher:
    """Compiled Hyperscan databases for one rule set; thread-safe (one scratch per thread)."""

    def __init__(
        self, keys: dict[str, tuple[Payload, ...]], loose: LooseTable, fields: LooseTable
    ) -> None:
        self._payloads = list(keys.values())
        self._lengths = [len(key) for key in keys]
        self.loose = loose
        self.top_re = loose_top_regex(loose)
        self.fields = fields
        self.field_re = loose_field_regex(fields)
        # A line reading as one of these is left to the plain phrase's judge (see _loose_lines).
        self._plain = {
            spelling
            for spellings in loose.values()
            for _index, spelling in spellings
            if all(other == spelling for _other_index, other in spellings)
        }
        self._keys = list(keys)
        self._keyword_db: Any = None  # UTF-8 keys, compiled for the first text beyond the BMP
        self._keyword_lock = threading.Lock()
        # Hyperscan's literal API stops at a NUL byte, which UTF-16 has in every ASCII letter:
        # the UTF-16 keys are compiled as regular expressions made only of escaped bytes.
        self._keyword16_db = _compile(
            [_escaped(key.encode("utf-16-le", "surrogatepass")) for key in keys], False
        )
        # One pass over each chunk's UTF-8 finds the alarm characters (each reported once) and
        # the loose stamp lines (cheaper than two passes, measured).
        alarm = _byte_classes(_alarm_literals())
        self._alarms = len(alarm)
        self._fields_from = len(alarm) + len(loose)  # ids of the level field patterns
        # Level fields with a loose label ("Đ ộ  m ậ t: Mật") are reported as loose lines too.
        lines = [_loose_line(letters) for letters in loose]
        labels = [
            pattern
            for spellings in fields.values()
            for label in {label for _index, label in spellings}
            for pattern in _loose_fields(label)
        ]
        flags = [_hs.HS_FLAG_SINGLEMATCH] * len(alarm) + [_hs.HS_FLAG_MULTILINE] * len(lines)
        self._first_db = _compile(alarm + lines + labels, False, flags + [0] * len(labels))
        self._class_db = _compile([_SPACED, _NUMBERS], False)
        self._local = threading.local()

    def _scratch(self) -> tuple[Any, Any, Any, Any]:
        scratch: tuple[Any, Any, Any, Any] | None = getattr(self._local, "scratch", None)
        if scratch is None:
            assert _hs is not None
            scratch = (
                None,  # the UTF-8 keyword scratch, made with its database (_keyword_hits_utf8)
                _hs.Scratch(self._first_db),
                _hs.Scratch(self._class_db),
                _hs.Scratch(self._keyword16_db),
            )
            self._local.scratch = scratch
        return scratch

    def lower_and_prescan(
        self, text: str, *, stop_on_alarm: bool = True, rejoin: bool = True
    ) -> tuple[str, str, FastScan]:
        """(text, its lower-cased form, the candidates found in it), the text with the letters
        of real runs of spaced letters rejoined line by line (``normalise.rejoin_spaced``) when
        ``rejoin``. The work goes in chunks of about :data:`CHUNK` characters cut after a
        newline, so that each step works on data still in the CPU cache (lower-casing 20 MB at
        once is 1.7 times slower, measured) and a rejoined line costs a rescan of its chunk, not
        a copy of the whole text. Every candidate stays within one line and lower-casing
        depends only on the line (final sigma), so the chunks give what one pass gives. With
        ``stop_on_alarm`` the first alarm ends the work: the caller normalises the whole text
        and scans again (the texts returned are then the input and "")."""
        result = FastScan()
        lowers: list[str] = []
        rejoined: list[tuple[int, int, str]] = []  # (start, end) in ``text``, the new chunk
        position = length = 0
        while position < len(text):
            cut = text.find("\n", position + CHUNK)
            cut = len(text) if cut < 0 else cut + 1
            chunk = text[position:cut] if position or cut < len(text) else text
            lower = chunk.lower()
            found = self._prescan_chunk(chunk, lower, stop_on_alarm)
            if rejoin and found.spaced_ends and not found.alarm:
                joined = _rejoin_lines(chunk, found.spaced_ends)
                if joined is not None:
                    rejoined.append((position, cut, joined))
                    chunk, lower = joined, joined.lower()
                    found = self._prescan_chunk(chunk, lower, stop_on_alarm)
            if found.alarm:
                result.alarm = True
                if stop_on_alarm:
                    return text, "", result
            result.number_ends.extend(length + end for end in found.number_ends)
            result.loose_ends.extend(length + end for end in found.loose_ends)
            length += len(chunk)
            lowers.append(lower)
            position = cut
        return _spliced(text, rejoined), "".join(lowers), result

    def _prescan_chunk(self, chunk: str, lower: str, stop_on_alarm: bool) -> FastScan:
        """The candidates of one chunk (offsets within it)."""
        result = FastScan(alarm=len(lower) != len(chunk))  # U+0130 lower-cases to two
        if result.alarm and stop_on_alarm:
            return result
        encoded = lower.encode("utf-8", "surrogatepass")
        first_scratch, class_scratch = self._scratch()[1:3]
        alarms = self._alarms
        byte_ends: set[int] = set()
        field_ends: set[int] = set()
        fields_from = self._fields_from

        def on_first(ident: int, _start: int, end: int, _flags: int, _context: object) -> bool:
            if ident < alarms:
                result.alarm = True
                return stop_on_alarm  # one is enough when the text is normalised anyway
            (field_ends if ident >= fields_from else byte_ends).add(end)
            return False

        with contextlib.suppress(_hs.ScanTerminated):
            self._first_db.scan(encoded, match_event_handler=on_first, scratch=first_scratch)
        if result.alarm and stop_on_alarm:
            return result
        result.loose_ends = self._loose_lines(encoded, byte_ends, field_ends)
        classes = encoded.translate(_CLASSES, _CONTINUATION)
        del encoded
        spaced, numbers = result.spaced_ends, result.number_ends

        def on_class(ident: int, _start: int, end: int, _flags: int, _context: object) -> None:
            (numbers if ident else spaced).append(end)

        self._class_db.scan(classes, match_event_handler=on_class, scratch=class_scratch)
        spaced.sort()
        numbers.sort()
        return result

    def _loose_lines(self, encoded: bytes, byte_ends: set[int], field_ends: set[int]) -> list[int]:
        """The end index of every line spelling a stamp with its letters set apart (the lines
        ending at ``byte_ends``) and of every level field (ending at ``field_ends``). Lines that
        hold the plain phrase are left out (:func:`markings.judge_loose` skips them): the rest
        are rare, so their byte offsets are turned into indices by decoding what precedes."""
        ends: list[int] = []
        byte_at = char_at = 0
        for end in sorted(byte_ends | field_ends):
            line = encoded[encoded.rfind(b"\n", 0, end) + 1 : end].decode("utf-8", "surrogatepass")
            if end not in field_ends and line.strip(DECORATION) in self._plain:
                continue
            char_at += len(encoded[byte_at:end].decode("utf-8", "surrogatepass"))
            byte_at = end
            ends.append(char_at)
        return ends

    def keyword_hits(self, lower: str) -> list[tuple[int, tuple[Payload, ...]]]:
        """Every (end index inclusive, payloads) of every key, in pyahocorasick's order."""
        wide = lower.encode("utf-16-le", "surrogatepass")
        if len(wide) != 2 * len(lower):  # surrogate pairs: UTF-16 offsets are not indices
            del wide
            return self._keyword_hits_utf8(lower, lower.encode("utf-8", "surrogatepass"))
        found16: list[tuple[int, int, int]] = []
        append16 = found16.append
        lengths = self._lengths

        def on_key16(ident: int, _start: int, end: int, _flags: int, _context: object) -> None:
            if not end & 1:  # an odd end straddles two characters
                append16(((end >> 1) - 1, -lengths[ident], ident))

        self._keyword16_db.scan(wide, match_event_handler=on_key16, scratch=self._scratch()[3])
        found16.sort()  # by end, the longest key first
        payloads = self._payloads
        return [(end_incl, payloads[ident]) for end_incl, _neg, ident in found16]

    def _keyword_hits_utf8(
        self, lower: str, encoded: bytes
    ) -> list[tuple[int, tuple[Payload, ...]]]:
        """:meth:`keyword_hits` over UTF-8, for texts with characters beyond the BMP."""
        found: list[tuple[int, int]] = []
        append = found.append

        def on_key(ident: int, _start: int, end: int, _flags: int, _context: object) -> None:
            append((end, ident))

        with self._keyword_lock:
            if self._keyword_db is None:
                keys = [key.encode("utf-8", "surrogatepass") for key in self._keys]
                self._keyword_db = _compile(keys, True)
        scratch = getattr(self._local, "keyword8", None)
        if scratch is None:
            scratch = self._local.keyword8 = _hs.Scratch(self._keyword_db)
        self._keyword_db.scan(encoded, match_event_handler=on_key, scratch=scratch)
        found.sort()
        ascii_only = len(encoded) == len(lower)
        marks = b"" if ascii_only or not found else encoded.translate(_MARK_CONTINUATION)
        keyword: list[tuple[int, int, int]] = []
        lengths = self._lengths
        byte_at, char_at = 0, 0
        for end, ident in found:
            if not ascii_only and end != byte_at:
                char_at += end - byte_at - marks.count(b"c", byte_at, end)
                byte_at = end
            keyword.append(((end if ascii_only else char_at) - 1, -lengths[ident], ident))
        keyword.sort()  # by end, the longest key first
        payloads = self._payloads
        return [(end_incl, payloads[ident]) for end_incl, _neg, ident in keyword]


def _spliced(text: str, replaced: list[tuple[int, int, str]]) -> str:
    """``text`` with ``text[start:end]`` replaced by each (start, end, new), in order."""
    if not replaced:
        return text
    pieces: list[str] = []
    position = 0
    for start, end, new in replaced:
        pieces += [text[position:start], new]
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def _rejoin_lines(text: str, spaced_ends: list[int]) -> str | None:
    """``text`` with ``rejoin_spaced`` applied to every line holding a real run of spaced
    letters (the candidates end at ``spaced_ends``), or None when no candidate is real."""
    pieces: list[str] = []
    position = 0
    for end in spaced_ends:
        if end <= position or not has_spaced_run(text, max(0, end - 8), end):
            continue
        line_start = text.rfind("\n", 0, end - 1) + 1
        line_end = text.find("\n", end - 1)
        line_end = len(text) if line_end < 0 else line_end
        if line_start < position:
            continue
        pieces += [text[position:line_start], rejoin_spaced(text[line_start:line_end])]
        position = line_end
    if not pieces:
        return None
    pieces.append(text[position:])
    return "".join(pieces)


def _escaped(literal: bytes) -> bytes:
    """A regular expression matching exactly ``literal`` (every byte escaped)."""
    return b"".join(b"\\x%02x" % byte for byte in literal)


def _compile(expressions: list[bytes], literal: bool, flags: int | list[int] = 0) -> Any:
    assert _hs is not None
    database = _hs.Database(mode=_hs.HS_MODE_BLOCK)
    database.compile(
        expressions=expressions,
        ids=list(range(len(expressions))),
        elements=len(expressions),
        flags=flags if isinstance(flags, list) else [flags] * len(expressions),
        literal=literal,
    )
    return database


def available() -> bool:
    """Whether Hyperscan can be used on this machine."""
    return _hs is not None


def fast_matcher(
    keys: dict[str, tuple[Payload, ...]], loose: LooseTable, fields: LooseTable | None = None
) -> FastMatcher | None:
    """The Hyperscan matcher for ``keys``, or None where Hyperscan is unavailable or fails."""
    if _hs is None:
        return None
    try:
        return FastMatcher(keys, loose, fields or {})
    except Exception:  # an unsupported CPU or a compile error: the portable path runs
        return None
