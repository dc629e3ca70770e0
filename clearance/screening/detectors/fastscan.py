"""Hyperscan passes over the lower-cased text find everything the hot path needs.

Why: pyahocorasick walks its trie one character at a time in a Python extension (25-40 ms/MB
with 2,000 phrases, measured in ``bench/screening_text.py``); Hyperscan compiles the same
literals into SIMD matchers (about 1.5 ms/MB here). The text is lower-cased and scanned in
chunks of about 64K characters cut after a newline (cache-resident; every candidate and every
phrase lies within a line), each chunk's UTF-8 going through one database that finds:

- any character that full normalisation would change (format and zero-width characters,
  confusable scripts, combining marks; the first one ends the pass, the whole text is then
  normalised and scanned again);
- every line that spells a stamp phrase with separators between its letters ("T Ố I M Ậ T",
  "mậ t"; ``markings.judge_loose`` decides), and every place where a level field's label departs
  from its plain form ("Đ ộ  m ậ t: Mật"; ``markings.judge_loose_fields`` decides on the lines
  around it);
- ``spaced``, a single letter between separators followed by another single letter ("M Ậ T"),
  a superset of what ``normalise.rejoin_spaced`` joins (Python confirms each and rejoins the
  line in its chunk); ``numbers``, the end of every run of number characters holding nine
  digits or more, the only places an identifier or a coordinate pair can be
  (``identifiers.find_numbers_in_runs`` parses them);
- every policy phrase (automaton key) as a literal.

Byte offsets become ``str`` indices without a pass over the text: a phrase is found again by
``str.find`` a few characters from the previous hit, and the rare class ends are counted from
the nearest phrase hit. Rules with a phrase holding a newline look for the phrases in the
whole text's UTF-16 (:meth:`FastMatcher.keyword_hits`) instead.

Findings are exactly those of the portable path (``automaton.build_matcher``, ``prefilter``,
``find_numbers``); ``tests/screening/test_fastscan.py`` compares both, also with tiny chunks.
Hyperscan needs x86-64 with SSSE3: where the wheel is missing or compilation fails,
:func:`fast_matcher` returns None and the portable path runs.
"""

from __future__ import annotations

import contextlib
import threading
from bisect import bisect_right
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


_CONTINUATION = bytes(range(0x80, 0xC0))
# Marks continuation bytes with "c" so that a byte offset becomes a character index by one
# C-speed count (decoding the stretches between hits costs five times more).
_MARK_CONTINUATION = bytes(ord("c") if 0x80 <= b < 0xC0 else ord("n") for b in range(256))


# Character classes over the UTF-8 of the lower-cased text, one whole character each (the lead
# byte decides). L: a letter (ASCII, Latin supplements and extensions U+00C0-U+027F, U+1000-U+1FFF
# where Vietnamese letters are), S: a separator obfuscators put between letters (and
# U+0080-U+00BF, which holds "·"), D: a digit, P: other characters of number runs. A pattern
# ending in "not L" (or "not D, S, P") ends one byte into that character: its end counts as
# the character's end (:meth:`FastMatcher._char_ends`).
def _class_patterns() -> tuple[bytes, bytes]:
    """ "M Ậ T": a single letter between separators, then another single letter (a superset of
    the runs rejoin_spaced joins; Python confirms). Digits joined by number characters, nine or
    more: reported once, at the end of the run of number characters that holds them."""
    separators = _escaped(SPACED_SEPARATORS.replace("\u00b7", "").encode("ascii"))
    letter = rb"(?:[A-Za-z]|[\xc3-\xc9][\x80-\xbf]|\xe1[\x80-\xbf][\x80-\xbf])"
    not_letter = rb"(?:[^A-Za-z\xc3-\xc9\xe1]|\z)"
    separator = b"(?:[" + separators + rb"]|\xc2[\x80-\xbf])"
    number_part = b"(?:[" + separators + rb",()+]|\xc2[\x80-\xbf])"
    digit = b"[0-9]"
    run_char = b"(?:[0-9" + separators + rb",()+]|\xc2[\x80-\xbf])"
    not_run = b"(?:[^0-9" + separators + rb",()+\xc2]|\z)"
    spaced = separator + letter + separator + b"{1,3}" + letter + not_letter
    numbers = digit + b"(?:" + number_part + b"*" + digit + b"){8}" + run_char + b"*" + not_run
    return spaced, numbers


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
    # (end index inclusive, payloads) of every policy phrase, as :meth:`FastMatcher.keyword_hits`
    keywords: list[tuple[int, tuple[Payload, ...]]] = field(default_factory=list)


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
        self._keyword16_db: Any = None  # UTF-16 keys, compiled for keys holding a newline
        self._keyword_lock = threading.Lock()
        # One pass over each chunk's UTF-8 finds everything: the alarm characters (each reported
        # once), the loose stamp lines, the loose level fields, the spaced letters, the number
        # runs and every policy phrase (one pass instead of three, and no class-byte string nor
        # UTF-16 copy of the text: 1.15-1.28 times less CPU per MB, measured). A key holding a newline
        # could straddle two chunks: such rules keep the phrases' pass over the whole text.
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
        self._spaced_id = len(alarm) + len(lines) + len(labels)
        self._keys_from = self._spaced_id + 2  # ids of the policy phrases
        self._chunked_keys = not any("\n" in key for key in keys)
        phrases = (
            [_escaped(key.encode("utf-8", "surrogatepass")) for key in keys]
            if self._chunked_keys
            else []
        )
        flags = [_hs.HS_FLAG_SINGLEMATCH] * len(alarm) + [_hs.HS_FLAG_MULTILINE] * len(lines)
        flags += [0] * (len(labels) + 2 + len(phrases))
        self._chunk_db = _compile(
            [*alarm, *lines, *labels, _SPACED, _NUMBERS, *phrases], False, flags
        )
        self._local = threading.local()

    def _scratch(self) -> Any:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            assert _hs is not None
            scratch = self._local.scratch = _hs.Scratch(self._chunk_db)
        return scratch

    def lower_and_prescan(
        self, text: str, *, stop_on_alarm: bool = True, rejoin: bool = True
    ) -> tuple[str, str, FastScan]:
        """(text, its lower-cased form, what was found in it: the candidates and every policy
        phrase), the text with the letters of real runs of spaced letters rejoined line by line
        (``normalise.rejoin_spaced``) when ``rejoin``. The work goes in chunks of about
        :data:`CHUNK` characters cut after a newline, so that each step works on data still in
        the CPU cache (lower-casing 20 MB at once is 1.7 times slower, measured) and a rejoined
        line costs a rescan of its chunk, not a copy of the whole text. Every candidate and every
        phrase (none holds a newline, else they are looked for in the whole text) stays within
        one line and lower-casing depends only on the line (final sigma), so the chunks give
        what one pass gives. With ``stop_on_alarm`` the first alarm ends the work: the caller
        normalises the whole text and scans again (the texts returned are then the input and
        "")."""
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
            if length:
                result.number_ends.extend(length + end for end in found.number_ends)
                result.loose_ends.extend(length + end for end in found.loose_ends)
                result.keywords.extend((length + end, hit) for end, hit in found.keywords)
            else:
                result.number_ends, result.loose_ends = found.number_ends, found.loose_ends
                result.keywords = found.keywords
            length += len(chunk)
            lowers.append(lower)
            position = cut
        lowered = "".join(lowers)
        if not self._chunked_keys:
            result.keywords = self.keyword_hits(lowered)
        return _spliced(text, rejoined), lowered, result

    def _prescan_chunk(self, chunk: str, lower: str, stop_on_alarm: bool) -> FastScan:
        """What one chunk holds (offsets within it)."""
        result = FastScan(alarm=len(lower) != len(chunk))  # U+0130 lower-cases to two
        if result.alarm and stop_on_alarm:
            return result
        encoded = lower.encode("utf-8", "surrogatepass")
        alarms, fields_from, spaced_id = self._alarms, self._fields_from, self._spaced_id
        keys_from = self._keys_from
        byte_ends: set[int] = set()
        field_ends: set[int] = set()
        classes: list[tuple[int, int]] = []  # (byte end, 0 spaced or 1 numbers)
        phrases: list[tuple[int, int]] = []  # (byte end, key)
        add_phrase = phrases.append

        def on_match(ident: int, _start: int, end: int, _flags: int, _context: object) -> bool:
            if ident >= keys_from:
                add_phrase((end, ident - keys_from))
            elif ident < alarms:
                result.alarm = True
                return stop_on_alarm  # one is enough when the text is normalised anyway
            elif ident >= spaced_id:
                classes.append((end, ident - spaced_id))
            else:
                (field_ends if ident >= fields_from else byte_ends).add(end)
            return False

        with contextlib.suppress(_hs.ScanTerminated):
            self._chunk_db.scan(encoded, match_event_handler=on_match, scratch=self._scratch())
        if result.alarm and stop_on_alarm:
            return result
        if byte_ends or field_ends:
            result.loose_ends = self._loose_lines(encoded, byte_ends, field_ends)
        anchors: list[tuple[int, int]] = [(0, 0)]  # (byte, character) offsets known to match
        if phrases:
            result.keywords = self._phrase_hits(lower, phrases, anchors)
        if classes:
            spaced, numbers = result.spaced_ends, result.number_ends
            for end, kind in _char_ends(encoded, classes, anchors):
                (numbers if kind else spaced).append(end)
        return result

    def _phrase_hits(
        self, lower: str, phrases: list[tuple[int, int]], anchors: list[tuple[int, int]]
    ) -> list[tuple[int, tuple[Payload, ...]]]:
        """(end index inclusive, payloads) of each phrase found at a byte end, in
        pyahocorasick's order (by end, the longest key first). The k-th occurrence of a key in
        the UTF-8 is its k-th occurrence in the text (a key starts and ends on whole
        characters), and every occurrence is reported, so each is found by ``str.find`` from
        just after the key's previous occurrence; ends never decrease with the byte ends, so the
        search also starts no earlier than the previous hit's end less the key's length (a
        search of a few characters, instead of a pass counting every character). Each hit's
        (byte end, character end) goes to ``anchors``, ascending."""
        phrases.sort()
        keys, lengths, payloads = self._keys, self._lengths, self._payloads
        previous: dict[int, int] = {}  # key -> start of its last occurrence
        hits: list[tuple[int, int, int]] = []
        last_end = 0
        for byte_end, ident in phrases:
            length = lengths[ident]
            start = max(last_end - length, previous.get(ident, -1) + 1, 0)
            found = lower.find(keys[ident], start)
            previous[ident] = found
            last_end = found + length
            hits.append((last_end - 1, -length, ident))
            anchors.append((byte_end, last_end))
        hits.sort()
        return [(end_incl, payloads[ident]) for end_incl, _neg, ident in hits]

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

        with self._keyword_lock:
            if self._keyword16_db is None:
                # Hyperscan's literal API stops at a NUL byte, which UTF-16 has in every ASCII
                # letter: the UTF-16 keys are compiled as regular expressions of escaped bytes.
                self._keyword16_db = _compile(
                    [_escaped(key.encode("utf-16-le", "surrogatepass")) for key in self._keys],
                    False,
                )
        scratch16 = getattr(self._local, "keyword16", None)
        if scratch16 is None:
            scratch16 = self._local.keyword16 = _hs.Scratch(self._keyword16_db)
        self._keyword16_db.scan(wide, match_event_handler=on_key16, scratch=scratch16)
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


def _char_ends(
    encoded: bytes, ends: list[tuple[int, int]], anchors: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """``(byte end, kind)`` as ``(character end, kind)``, ascending: the characters whose first
    byte lies before the byte end (a class pattern's end falls one byte into the character that
    closes it, which counts as read). Few: counted from the nearest ``anchor`` before (a known
    pair of offsets, ascending) by deleting the continuation bytes between."""
    ends.sort()
    out: list[tuple[int, int]] = []
    for end, kind in ends:
        byte_at, char_at = anchors[bisect_right(anchors, (end, 1 << 62)) - 1]
        if end != byte_at:
            char_at += len(encoded[byte_at:end].translate(None, _CONTINUATION))
        out.append((char_at, kind))
    return out


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


_SPACED, _NUMBERS = _class_patterns()


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
