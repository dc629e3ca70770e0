"""Cheap detection of the obfuscation that full normalisation undoes.

The text is encoded to UTF-8 and every byte is classified with one ``bytes.translate`` that also
deletes continuation bytes, so the class string has exactly one byte per character (its index
equals the index in the ``str``). Then C-speed ``find`` calls answer:

- does the text hold a character from a script used for confusables (U+0300-U+04FF: combining
  marks, Greek, Cyrillic), a private tag or a format character (U+00AD, U+200B-U+200F,
  U+202A-U+202E, U+2060-U+206F, U+FEFF, U+FFF9-U+FFFB, U+180E, astral planes)?
- where are single letters standing between separators ("M Ậ T" has one in the middle)?

This costs a few milliseconds per megabyte where a regex character class or extra automaton keys
cost tens (measured in ``bench/screening_text.py``).
"""

from __future__ import annotations

from clearance.screening.normalise import has_spaced_run, invisible_characters

_LETTER = ord("L")
_SEPARATOR = ord("S")
_ALARM = ord("!")
_OTHER = ord("o")
_E2 = ord("E")  # U+2000-U+2FFF: punctuation (common) and format characters (rare)
_EF = ord("F")  # U+F000-U+FFFF: BOM, interlinear annotation controls


def _table() -> bytes:
    table = bytearray([_OTHER] * 256)
    for byte in b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ":
        table[byte] = _LETTER
    for byte in (0xC3, 0xC4, 0xC5, 0xC6, 0xC7, 0xC8, 0xC9, 0xE1):  # Latin supplements, Viet
        table[byte] = _LETTER
    for byte in b" \t.-_*/|":
        table[byte] = _SEPARATOR
    for byte in range(0xCC, 0xD4):  # U+0300-U+04FF
        table[byte] = _ALARM
    for byte in (0xF3, 0xF0, 0x00, 0xD8, 0xDB, 0xDC, 0xE0, 0xE3):  # astral, NUL, Arabic, fillers
        table[byte] = _ALARM
    table[0xE2], table[0xEF] = _E2, _EF
    table[0xC2] = _SEPARATOR  # U+0080-U+00BF holds the middle dot "·" (and the soft hyphen)
    return bytes(table)


_TABLE = _table()
_CONTINUATION = bytes(range(0x80, 0xC0))
_IN_E2 = tuple(ch for ch in invisible_characters() if 0x2000 <= ord(ch) <= 0x2FFF)
_IN_EF = tuple(ch for ch in invisible_characters() if 0xF000 <= ord(ch) <= 0xFFFF)
_IN_E1 = tuple(ch for ch in invisible_characters() if 0x1000 <= ord(ch) <= 0x1FFF)


def classify(text: str) -> bytes:
    """One class byte per character of ``text``."""
    return text.encode("utf-8", "surrogatepass").translate(_TABLE, _CONTINUATION)


def needs_cleaning(text: str, classes: bytes) -> bool:
    """Whether invisible or confusable characters may be present."""
    if _ALARM in classes:
        return True
    if "\xad" in text:
        return True
    if _E2 in classes and any(ch in text for ch in _IN_E2):
        return True
    if _EF in classes and any(ch in text for ch in _IN_EF):
        return True
    return any(ch in text for ch in _IN_E1)


def spaced_lines(text: str, classes: bytes) -> list[tuple[int, int]]:
    """(start, end) of every line holding a real run of spaced single letters."""
    lines: list[tuple[int, int]] = []
    last_line_end = -1
    position = classes.find(b"SLS")
    while position >= 0:
        letter = position + 1
        after = letter + 1
        while after < len(classes) and classes[after] == _SEPARATOR and after - letter <= 3:
            after += 1
        another = after < len(classes) and classes[after] == _LETTER
        single = another and (after + 1 >= len(classes) or classes[after + 1] != _LETTER)
        if single and letter > last_line_end and has_spaced_run(text, letter - 1, letter + 2):
            start = text.rfind("\n", 0, letter) + 1
            end = text.find("\n", letter)
            last_line_end = len(text) if end < 0 else end
            lines.append((start, last_line_end))
        position = classes.find(b"SLS", letter)
    return lines
