"""RTF: a tokenizer over the whole file (no RTF library reads hidden text, fields and legacy fonts
the way we must), every group accounted for.

- Text: literal characters, ``\\'hh`` bytes decoded in the code page of the current font
  (``\\fcharsetN``) or of the document (``\\ansicpgN``), ``\\uN`` with its ``\\ucN`` fallback
  skipped. Text in a TCVN3 or VNI font (font table name) is converted to Unicode.
- Hidden text (``\\v``) is read into the body and raises the hidden-content observation; field
  instructions (``\\fldinst``) and results are read; annotations (``\\annotation``) are a part of
  their own (comments); the ``\\info`` group (title, author, keywords...) is metadata; unknown
  ``\\*`` destinations are read as text too, never dropped.
- Pictures (``\\pict``): PNG and JPEG data go to the engine as embedded images; other picture
  formats (WMF, EMF, PICT) are ``uninspected``. Objects (``\\object``): the OLE data is
  ``uninspected`` (its result picture, if any, is a picture like the others). ``\\binN`` data
  outside a picture is ``uninspected``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from clearance.screening import legacy_vn
from clearance.screening.extract.base import Embedded, Extraction
from clearance.screening.limits import Budget, Held
from clearance.screening.rules import MetadataKind

_TOKEN = re.compile(
    rb"\\([a-zA-Z]{1,32})(-?\d{1,10})? ?|\\'([0-9a-fA-F]{2})|\\([^a-zA-Z'])|([{}])|([^\\{}\r\n]+)|[\r\n]+"
)
# \fcharsetN -> Python codec (RTF specification, font charsets)
_CHARSETS = {
    0: "cp1252", 1: "cp1252", 2: "cp1252", 77: "mac_roman", 128: "cp932", 129: "cp949",
    134: "gbk", 136: "big5", 161: "cp1253", 162: "cp1254", 163: "cp1258", 177: "cp1255",
    178: "cp1256", 186: "cp1257", 204: "cp1251", 222: "cp874", 238: "cp1250",
}  # fmt: skip
_DESTINATIONS = {
    "fonttbl": "fonts", "colortbl": "skip", "stylesheet": "styles", "info": "info",
    "pict": "pict", "object": "ignorable", "objdata": "objdata", "annotation": "annotation",
    "atnauthor": "annotation", "atnid": "annotation", "fldinst": "fields", "fldrslt": "body",
    "header": "body", "footer": "body", "headerl": "body", "headerr": "body", "headerf": "body",
    "footerl": "body", "footerr": "body", "footerf": "body", "footnote": "body", "shptxt": "body",
    "xmlnstbl": "skip", "listtable": "styles", "listoverridetable": "styles",
    "rsidtbl": "skip", "generator": "info", "themedata": "objdata", "colorschememapping": "skip",
    "datastore": "objdata", "latentstyles": "styles", "pgdsctbl": "styles", "filetbl": "info",
    "revtbl": "info", "mmathPr": "skip", "wgrffmtfilter": "skip", "passwordhash": "skip",
}  # fmt: skip
_INFO_FIELDS = ("title", "subject", "author", "operator", "keywords", "comment", "doccomm",
                "company", "manager", "category", "hlinkbase")  # fmt: skip
_PICTURE_KINDS = {"pngblip": ".png", "jpegblip": ".jpg", "wmetafile": "wmf", "emfblip": "emf",
                  "macpict": "pict", "pmmetafile": "os2", "dibitmap": "dib", "wbitmap": "bmp"}  # fmt: skip
_MAX_DEPTH = 500


@dataclass(slots=True)
class _State:
    destination: str = "body"
    font: int | None = None
    hidden: bool = False
    uc: int = 1
    picture: str = ""


@dataclass(slots=True)
class _Reader:
    ansi: str = "cp1252"
    fonts: dict[int, tuple[str, str | None]] = field(default_factory=dict)  # codec, legacy
    out: dict[str, list[str]] = field(default_factory=dict)
    pending: bytearray = field(default_factory=bytearray)
    pending_key: tuple[str, int | None] = ("body", None)
    font_entry: list[str] = field(default_factory=list)
    font_charset: int | None = None
    font_index: int | None = None
    hex_digits: bytearray = field(default_factory=bytearray)
    hex_data: bytearray = field(default_factory=bytearray)  # \\bin data of a picture
    saw_hidden: bool = False
    legacy: set[str] = field(default_factory=set)

    def emit(self, destination: str, text: str) -> None:
        self.out.setdefault(destination, []).append(text)

    def flush(self) -> None:
        if not self.pending:
            return
        destination, font = self.pending_key
        codec, legacy = self.fonts.get(font, (self.ansi, None)) if font is not None else (
            self.ansi, None)  # fmt: skip
        if legacy is not None:
            self.legacy.add(legacy)
            text = legacy_vn.convert(bytes(self.pending).decode("latin-1"), legacy)
        else:
            try:
                text = bytes(self.pending).decode(codec)
            except (UnicodeDecodeError, LookupError) as exc:
                raise Held(f"RTF text does not decode in its code page {codec} ({exc})") from exc
        self.pending.clear()
        self.emit(destination, text)

    def add_bytes(self, state: _State, data: bytes) -> None:
        key = (state.destination, state.font)
        if key != self.pending_key:
            self.flush()
            self.pending_key = key
        self.pending.extend(data)

    def add_text(self, state: _State, text: str) -> None:
        self.flush()
        self.emit(state.destination, text)


def _codec(charset: int | None, ansi: str) -> str:
    return _CHARSETS.get(charset, ansi) if charset is not None else ansi


def _read(data: bytes, budget: Budget, out: Extraction) -> _Reader:
    reader = _Reader()
    stack: list[_State] = []
    state = _State()
    skip_chars = 0
    pictures = objects = 0
    position = 0
    size = len(data)
    count = 0
    while position < size:
        match = _TOKEN.match(data, position)
        if match is None:  # a lone backslash at the end
            position += 1
            continue
        position = match.end()
        count += 1
        if count % 20000 == 0:
            budget.check()
        word, argument, hex_byte, symbol, brace, text = match.groups()
        if skip_chars and (text or hex_byte or symbol):
            if text:
                skipped = min(skip_chars, len(text))
                skip_chars -= skipped
                text = text[skipped:]
                if not text:
                    continue
            else:
                skip_chars -= 1
                continue
        if brace == b"{":
            if len(stack) >= _MAX_DEPTH:
                raise Held(f"RTF groups nest deeper than {_MAX_DEPTH}")
            stack.append(state)
            state = _State(state.destination, state.font, state.hidden, state.uc, "")
            continue
        if brace == b"}":
            reader.flush()
            if state.destination == "pict" and stack and stack[-1].destination != "pict":
                pictures += 1
                _picture(reader, state, pictures, out)
            elif state.destination == "objdata" and stack and stack[-1].destination != "objdata":
                objects += 1
                if reader.hex_data or reader.hex_digits:
                    out.uninspected(f"object {objects}", "embedded OLE object data")
                reader.hex_data.clear()
                reader.hex_digits.clear()
            if state.destination == "fonts" and stack and reader.font_index is not None:
                _end_font(reader)
            state = stack.pop() if stack else _State()
            continue
        if word is not None:
            name = word.decode("ascii")
            value = int(argument) if argument is not None else None
            if name == "bin" and value:
                blob = data[position : position + value]
                position += value
                if state.destination == "pict":
                    reader.hex_data.extend(blob)
                else:
                    out.uninspected(f"binary data at byte {match.start()}", "RTF \\bin data")
                continue
            if name in _DESTINATIONS:
                reader.flush()
                state.destination = _DESTINATIONS[name]
                if state.destination in ("objdata", "pict"):
                    reader.hex_data.clear()
                    reader.hex_digits.clear()
                continue
            if name in _INFO_FIELDS and state.destination == "info":
                reader.add_text(state, f"\n{name}: ")
                continue
            if state.destination == "pict" and name in _PICTURE_KINDS:
                state.picture = _PICTURE_KINDS[name]
                continue
            if name == "ansicpg" and value is not None:
                reader.ansi = f"cp{value}"
            elif name == "f" and value is not None:
                if state.destination == "fonts":
                    reader.font_index = value
                    reader.font_entry = []
                    reader.font_charset = None
                else:
                    state.font = value
            elif name == "fcharset" and state.destination == "fonts":
                reader.font_charset = value
            elif name == "uc" and value is not None:
                state.uc = max(value, 0)
            elif name == "u" and value is not None:
                reader.add_text(state, chr(value % 65536 if value >= 0 else value + 65536))
                skip_chars = state.uc
            elif name == "v":
                state.hidden = value != 0
                reader.saw_hidden = reader.saw_hidden or state.hidden
            elif name in ("par", "line", "row", "sect", "page"):
                reader.add_text(state, "\n")
            elif name in ("tab", "cell"):
                reader.add_text(state, "\t")
            continue
        if symbol is not None:
            if symbol == b"*":
                reader.flush()
                if state.destination == "body":
                    state.destination = "ignorable"
            elif symbol in (b"\\", b"{", b"}"):
                _text(reader, state, symbol)
            elif symbol == b"~":
                reader.add_text(state, "\u00a0")
            elif symbol in (b"\n", b"\r"):
                reader.add_text(state, "\n")
            continue
        if hex_byte is not None:
            _text(reader, state, bytes([int(hex_byte, 16)]))
            continue
        if text is not None:
            _text(reader, state, text)
    reader.flush()
    if stack:
        raise Held(f"the RTF file ends with {len(stack)} groups still open; it is truncated")
    return reader


_NOT_HEX = re.compile(rb"[^0-9a-fA-F]")


def _text(reader: _Reader, state: _State, data: bytes) -> None:
    if state.destination in ("pict", "objdata"):
        reader.hex_digits.extend(_NOT_HEX.sub(b"", data))
        return
    if state.destination == "skip":
        return
    if state.destination == "fonts":
        reader.font_entry.append(data.decode("latin-1"))
        return
    reader.add_bytes(state, data)


def _end_font(reader: _Reader) -> None:
    name = "".join(reader.font_entry).split(";")[0].strip()
    legacy = legacy_vn.encoding_for_font(name)
    assert reader.font_index is not None
    reader.fonts[reader.font_index] = (_codec(reader.font_charset, reader.ansi), legacy)
    reader.emit("fonts", name + "\n")
    reader.font_index = None


def _picture(reader: _Reader, state: _State, index: int, out: Extraction) -> None:
    digits = bytes(reader.hex_digits[: len(reader.hex_digits) // 2 * 2])
    blob = bytes.fromhex(digits.decode("ascii")) + bytes(reader.hex_data)
    reader.hex_data.clear()
    reader.hex_digits.clear()
    if state.picture.startswith("."):
        out.embedded.append(Embedded(f"picture {index}{state.picture}", blob))
    elif blob:
        kind = state.picture or "unknown"
        out.uninspected(
            f"picture {index}", f"{kind} picture data (not a raster the screener reads)"
        )


def extract_rtf(data: bytes, budget: Budget) -> Extraction:
    if not data.lstrip().startswith(b"{\\rtf"):
        raise Held("the file does not start with an RTF header ({\\rtf)")
    out = Extraction()
    reader = _read(data, budget, out)
    method = "rtf" if not reader.legacy else "rtf (" + ", ".join(sorted(reader.legacy)) + ")"
    parts = reader.out
    out.text("body", "".join(parts.get("body", [])), method=method)
    for key, label in (("fields", "field instructions"), ("ignorable", "ignorable destinations"), ("styles", "styles"),
                       ("fonts", "font table")):  # fmt: skip
        out.text(label, "".join(parts.get(key, [])), method="rtf", metadata=True)
    if reader.saw_hidden:
        out.observe(MetadataKind.HIDDEN_CONTENT, "body", "hidden text (\\v)")
    annotation = "".join(parts.get("annotation", []))
    if annotation.strip():
        out.observe(MetadataKind.COMMENTS, "annotations", "annotations")
    out.text("annotations", annotation, method="rtf", metadata=True)
    info = "".join(parts.get("info", []))
    if info.strip():
        out.observe(MetadataKind.AUTHOR, "info", "document information (author, title...)")
    out.text("info", info, method="rtf", metadata=True)
    return out
