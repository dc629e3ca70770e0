"""Every object in a PDF's cross-reference table, with what it is for: the account that lets the
extractor say which objects it read and which it did not.

qpdf (pikepdf) opens the file and resolves every object, which is also the damage check
``qpdf --check`` makes: the warnings it gives while repairing are returned with the inventory.
Each stream gets a role from its own type and from the key that points to it (``/Contents``,
``/FontFile2``, ``/AP``...); a stream with no role the screener knows is reported, never skipped.
Every text string of every object is collected with its object number, so text in a place no
named reader knows (a structure element's ``/Alt``, an unknown key) is still screened.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field

import pikepdf

from clearance.screening.limits import Budget, Held

# Roles of streams by the key that points to them.
_FONT_KEYS = {"/FontFile", "/FontFile2", "/FontFile3", "/ToUnicode", "/CIDSet", "/CIDToGIDMap"}
_STRUCTURE_KEYS = {"/Function", "/Functions", "/Shading", "/DestOutputProfile", "/Encoding"}
_STRUCTURE_MARKS = ("/FunctionType", "/ShadingType", "/Alternate")  # functions, shadings, ICC
_SECRET_KEYS = {"/ID", "/O", "/U", "/OE", "/UE", "/Perms", "/ByteRange"}
MAX_OBJECTS = 500_000
MAX_STRING = 1_000_000


@dataclass(slots=True)
class Inventory:
    """What the object table holds: stream roles, images, strings per object, qpdf's warnings."""

    damage: list[str] = field(default_factory=list)
    roles: dict[int, str] = field(default_factory=dict)
    labels: dict[int, str] = field(default_factory=dict)
    strings: dict[int, list[str]] = field(default_factory=dict)
    images: dict[int, str] = field(default_factory=dict)
    unknown: dict[int, str] = field(default_factory=dict)
    #: the objects holding an ``/AF`` (associated files) entry, in themselves or a direct part
    associated: set[int] = field(default_factory=set)


def _name(value: object) -> str:
    return str(value) if isinstance(value, pikepdf.Name) else ""


def _label(obj: pikepdf.Object) -> str:
    if "/FT" in obj or ("/T" in obj and "/Kids" in obj):
        return f"form field '{obj.get('/T', '')}'"
    if "/Title" in obj and "/Parent" in obj:
        return "bookmark"
    kind = _name(obj.get("/Type")) or _name(obj.get("/FT"))
    sub = _name(obj.get("/Subtype")) or _name(obj.get("/S"))
    words = " ".join(w[1:] for w in (kind, sub) if w)
    return words or "dictionary"


def _children(obj: pikepdf.Object) -> Iterator[tuple[str, object]]:
    if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
        for key in obj.keys():  # noqa: SIM118 (pikepdf streams are not iterable as mappings)
            yield str(key), obj.get(key)
    elif isinstance(obj, pikepdf.Array):
        for item in obj:
            yield "", item


def _printable(text: str) -> bool:
    if not text.strip():
        return False
    shown = sum(1 for ch in text if ch.isprintable() or ch in "\n\t")
    return shown >= 0.9 * len(text)


def _walk_direct(
    obj: pikepdf.Object, key: str, number: int, inv: Inventory, strings: list[str], depth: int
) -> None:
    """Strings and stream references inside one indirect object (its direct parts only)."""
    if depth > 64:
        raise Held(f"object {number} nests more than 64 levels of dictionaries and arrays")
    for child_key, child in _children(obj):
        if child_key == "/AF":
            inv.associated.add(number)
        if not isinstance(child, pikepdf.Object):
            continue  # numbers and booleans come back as Python values
        if child.is_indirect:
            target = child.objgen[0]
            if isinstance(child, pikepdf.Stream):
                if key == "/EF":  # a file specification's file, typed or not
                    inv.roles[target] = "embedded"
                else:
                    _note_reference(target, child_key or key, inv)
            continue
        if isinstance(child, pikepdf.String):
            if (child_key or key) in _SECRET_KEYS:
                continue
            text = str(child)[:MAX_STRING]
            if _printable(text):
                strings.append(text)
        elif isinstance(child, (pikepdf.Dictionary, pikepdf.Array)):
            _walk_direct(child, child_key or key, number, inv, strings, depth + 1)


def _note_reference(target: int, key: str, inv: Inventory) -> None:
    if key in _FONT_KEYS:
        inv.roles.setdefault(target, "font")
    elif key in _STRUCTURE_KEYS:
        inv.roles.setdefault(target, "structure")
    elif key in ("/SMask", "/Mask"):
        inv.roles.setdefault(target, "mask")
    elif key in ("/N", "/D", "/R"):
        inv.roles.setdefault(target, "appearance")
    elif key == "/Contents":
        inv.roles.setdefault(target, "content")
    elif key in ("/JS", "/XFA", "/Metadata", "/EF", "/F", "/UF"):
        inv.roles.setdefault(target, key[1:].lower())


def _stream_role(number: int, stream: pikepdf.Stream, inv: Inventory) -> None:
    kind, sub = _name(stream.get("/Type")), _name(stream.get("/Subtype"))
    if kind in ("/XRef", "/ObjStm"):
        inv.roles[number] = "structure"
    elif sub == "/Image":
        if inv.roles.get(number) != "mask":
            width, height = stream.get("/Width", 0), stream.get("/Height", 0)
            inv.images[number] = f"{width}x{height}"
            inv.roles[number] = "image"
    elif sub == "/Form" or stream.get("/PatternType") == 1:
        inv.roles[number] = "form"
    elif kind == "/EmbeddedFile":
        inv.roles[number] = "embedded"
    elif kind == "/Metadata" or sub == "/XML":
        inv.roles[number] = "metadata"
    elif kind == "/CMap" or any(key in stream for key in _STRUCTURE_MARKS):
        inv.roles.setdefault(number, "structure")


def take_inventory(data: bytes, budget: Budget) -> Inventory:
    """The inventory of ``data``; :class:`Held` when qpdf cannot open it at all."""
    inv = Inventory()
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError as exc:
        raise Held("the PDF is encrypted; submit it without a password") from exc
    except Exception as exc:
        inv.damage.append(f"qpdf cannot open the file ({type(exc).__name__}: {str(exc)[:120]})")
        return inv
    with pdf:
        streams: list[tuple[int, pikepdf.Stream]] = []
        for count, obj in enumerate(pdf.objects):
            if count % 1024 == 0:
                budget.check()
            if count > MAX_OBJECTS:
                raise Held(f"the PDF has more than {MAX_OBJECTS} objects")
            if not obj.is_indirect:
                continue
            number = obj.objgen[0]
            if isinstance(obj, pikepdf.Stream):
                streams.append((number, obj))
            if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream, pikepdf.Array)):
                found: list[str] = []
                _walk_direct(obj, "", number, inv, found, 0)
                if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
                    inv.labels[number] = _label(obj)
                if found:
                    inv.strings[number] = found
            elif isinstance(obj, pikepdf.String):
                text = str(obj)[:MAX_STRING]
                if _printable(text):
                    inv.strings[number] = [text]
                    inv.labels[number] = "string"
        for number, stream in streams:
            _stream_role(number, stream, inv)
            try:
                stream.get_raw_stream_buffer()
            except Exception as exc:
                inv.unknown[number] = f"its data cannot be read ({type(exc).__name__})"
                continue
            if number not in inv.roles:
                label = inv.labels.get(number, "stream")
                inv.unknown[number] = f"a stream ({label}) with no role a reader knows"
        inv.damage.extend(_plain(w) for w in pdf.get_warnings())
    return inv


def _plain(warning: str) -> str:
    # qpdf prefixes each warning with the input's name ("stream <_io.BytesIO ...>: ")
    head, sep, rest = warning.partition(">: ")
    return rest if sep and head.startswith("stream <") else warning
