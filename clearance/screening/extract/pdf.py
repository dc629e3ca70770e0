"""PDF: every object a viewer draws or a reader can reach, read twice where it matters.

- Page text as a reader sees it: every glyph the page content and its Form XObjects draw, with
  its position (:mod:`pdf_glyphs`), put back into lines by position (:mod:`pdf_lines`).
- A second opinion (:mod:`pdf_second`): pdfium's text of every page. Where the two readings
  disagree materially, or qpdf reports damage, or one engine cannot read the file, the file is
  held with the reason and what either engine read is screened (the union).
- Annotations (comments, stamps, FreeText, widgets: their text and their appearance streams),
  form fields and every other text string in the object table (:mod:`pdf_inventory`), XFA
  packets, XMP streams, JavaScript, document information, embedded files (name tree,
  FileAttachment annotations, and the associated files of PDF 2.0 and PDF/A-3: the ``/AF``
  arrays of the catalogue, of pages, of annotations, of structure elements, of image and Form
  XObjects and patterns (named by the page and the path of resource names) and of
  marked-content property lists (named by the ``BDC`` tag); each handed to
  the engine as a child under its own file name, so the child's own type decides; the same
  stream reached twice is read once), Form XObjects no page draws, and earlier incremental revisions (the
  file is cut after each earlier ``%%EOF``; text the final revision no longer shows is scanned).
- Everything else is accounted for: fonts and colour profiles as structure, images as
  ``uninspected`` until OCR reads them, any stream of unknown role as ``uninspected`` with its
  object number. Encrypted files are held.
"""

from __future__ import annotations

import html
import io
import logging
import re
from typing import Any

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

from clearance.screening.extract.base import Embedded, Extraction
from clearance.screening.extract.pdf_glyphs import MAX_FORM_DEPTH, GlyphCollector
from clearance.screening.extract.pdf_images import page_images, read_images
from clearance.screening.extract.pdf_inventory import Inventory, take_inventory
from clearance.screening.extract.pdf_lines import reading_text
from clearance.screening.extract.pdf_ocr import needs_ocr, ocr_scanned_pages, raster_pixels
from clearance.screening.extract.pdf_second import is_material, missing_lines, pdfium_pages
from clearance.screening.limits import Budget, Held
from clearance.screening.metadata import observe_xmp_gps
from clearance.screening.rules import MetadataKind

logging.getLogger("pypdf").setLevel(logging.ERROR)

_EOF = re.compile(rb"%%EOF")
_TAGS = re.compile(r"<[^>]+>")
_ATTRIBUTE = re.compile(r"""=\s*(?:"([^"]*)"|'([^']*)')""")
MAX_REVISIONS = 20
MAX_EMBEDDED = 100
MAX_STRUCTURE = 200_000


def _resolve(value: Any) -> Any:
    return value.get_object() if isinstance(value, IndirectObject) else value


def _reader(data: bytes) -> PdfReader:
    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted and not reader.decrypt(""):
        raise Held("the PDF is encrypted; submit it without a password")
    return reader


def _xml_text(raw: bytes) -> str:
    """Text of an XML packet: element text and attribute values, entities decoded."""
    decoded = raw.decode("utf-8", "replace")
    values = [a or b for a, b in _ATTRIBUTE.findall(decoded) if (a or b).strip()]
    body = html.unescape(_TAGS.sub("\n", decoded))
    return "\n".join([*(line for line in body.splitlines() if line.strip()), *values])


class _PdfReading:
    """One extraction: the readers, the inventory and what has been read so far."""

    def __init__(self, data: bytes, budget: Budget) -> None:
        self.data = data
        self.budget = budget
        self.out = Extraction()
        self.read_strings: set[str] = set()
        self.read_text: list[str] = []
        self.collector = GlyphCollector(budget, self.out.uninspected)
        self.embedded_seen: set[int] = set()
        #: the ``/AF`` entries read (or reported), by object number or identity
        self.associated_seen: set[tuple[str, int]] = set()

    def text(self, part: str, text: str, *, method: str = "text") -> None:
        self.out.text(part, text, method=method)
        self.read_text.append(text)

    # pages ------------------------------------------------------------------------------------

    def pages(self, reader: PdfReader) -> list[str]:
        if len(reader.pages) > self.budget.limits.max_pages:
            raise Held(
                f"the PDF has {len(reader.pages)} pages, more than {self.budget.limits.max_pages}"
            )
        texts: list[str] = []
        for number, page in enumerate(reader.pages, start=1):
            self.budget.check()
            self.collector.glyphs = []
            try:
                self.collector.run(page.get_contents(), _resolve(page.get("/Resources")), reader)
                positional = reading_text(self.collector.glyphs)
            except Held:
                raise
            except Exception as exc:
                self.out.uninspected(f"page {number}", f"its content cannot be read ({exc})")
                positional = ""
            self._marked_files(f"page {number}")
            self.text(f"page {number}", positional)
            texts.append(positional)
        return texts

    def second_opinion(self, first: list[str] | None, damage: list[str]) -> None:
        second = pdfium_pages(self.data, self.budget)
        reasons: list[str] = []
        if damage:
            reasons.append("qpdf reports damage (" + "; ".join(damage[:3])[:300] + ")")
        if first is None:
            reasons.append("pypdf cannot read it")
        if second.pages is None:
            reasons.append(f"pdfium cannot read it ({second.error})")
        elif first is not None and len(first) != len(second.pages):
            reasons.append(f"pypdf reads {len(first)} pages and pdfium {len(second.pages)}")
        for index, text in enumerate(second.pages or [], start=1):
            mine = first[index - 1] if first is not None and index <= len(first) else ""
            extra = missing_lines(mine, text)
            if extra:
                self.text(f"page {index} (pdfium)", "\n".join(extra), method="pdfium")
            if is_material(mine, text):
                reasons.append(f"on page {index} pypdf and pdfium read different text")
        if reasons:
            self.out.uninspected(
                "file",
                "the file may be damaged: " + "; ".join(reasons)
                + "; what either engine read was screened, a human must compare it with the file",
            )  # fmt: skip

    # annotations and appearances -------------------------------------------------------------

    def annotations(self, reader: PdfReader) -> None:
        for number, page in enumerate(reader.pages, start=1):
            self.budget.check()
            annots = _resolve(page.get("/Annots"))
            if not isinstance(annots, ArrayObject):
                continue
            texts: list[str] = []
            for index, raw in enumerate(annots, start=1):
                annot = _resolve(raw)
                if not isinstance(annot, DictionaryObject):
                    continue
                self._annotation(number, index, annot, reader, texts)
            self.text(f"page {number} annotations", "\n".join(texts))

    def _annotation(
        self, number: int, index: int, annot: DictionaryObject, reader: PdfReader, texts: list[str]
    ) -> None:
        out = self.out
        subtype = str(annot.get("/Subtype", ""))
        for key in ("/Contents", "/T", "/Subj", "/RC", "/TU", "/V", "/DV"):
            value = _resolve(annot.get(key))
            if isinstance(value, str):
                texts.append(str(value))
                self.read_strings.add(str(value))
        if subtype not in ("/Link", "/Widget"):
            out.observe(MetadataKind.COMMENTS, f"page {number}", f"{subtype[1:]} annotation")
        action = _resolve(annot.get("/A"))
        if isinstance(action, DictionaryObject):
            kind = str(action.get("/S", ""))
            if kind in ("/JavaScript", "/Launch", "/SubmitForm", "/ImportData"):
                out.observe(MetadataKind.ACTIVE_CONTENT, f"page {number}", f"{kind[1:]} action")
                texts.append(_script(action.get("/JS")))
            elif kind == "/URI":
                out.observe(
                    MetadataKind.EXTERNAL_REFERENCES, f"page {number}", "link to a web address"
                )
                texts.append(str(_resolve(action.get("/URI", ""))))
        if "/AA" in annot:
            out.observe(MetadataKind.ACTIVE_CONTENT, f"page {number}", "annotation actions")
        if subtype == "/FileAttachment":
            self._filespec(annot.get("/FS"), f"page {number} attachment")
        self._associated(annot.get("/AF"), f"page {number} annotation {index} associated file")
        self._appearance(
            annot.get("/AP"), f"page {number} annotation {index} ({subtype[1:]})", reader
        )

    def _appearance(self, ap: Any, part: str, reader: PdfReader) -> None:
        ap = _resolve(ap)
        if not isinstance(ap, DictionaryObject):
            return
        streams: list[Any] = []
        for key in ("/N", "/R", "/D"):
            value = ap.get(key)
            resolved = _resolve(value)
            if isinstance(resolved, StreamObject):
                streams.append(value)
            elif isinstance(resolved, DictionaryObject):
                streams.extend(resolved.values())
        self.collector.glyphs = []
        for stream in streams:
            self.collector.form(stream, (1.0, 0.0, 0.0, 1.0, 0.0, 0.0), reader)
        self.text(f"{part} appearance", reading_text(self.collector.glyphs))
        self._marked_files(f"{part} appearance")
        for index, stream in enumerate(streams, start=1):
            self._xobject_files(stream, f"{part} appearance {index}", set(), 0)

    def unseen_forms(self, reader: PdfReader, inventory: Inventory) -> None:
        """Form XObjects and appearance streams no page or annotation draws: still read."""
        for number, role in sorted(inventory.roles.items()):
            if role not in ("form", "appearance") or number in self.collector.forms_seen:
                continue
            self.budget.check()
            self.collector.glyphs = []
            try:
                self.collector.form(
                    IndirectObject(number, 0, reader), (1.0, 0.0, 0.0, 1.0, 0.0, 0.0), reader
                )
            except Held:
                raise
            except Exception as exc:
                self.out.uninspected(f"object {number}", f"the form cannot be read ({exc})")
                continue
            place = f"object {number} (form no page draws)"
            self.text(place, reading_text(self.collector.glyphs))
            self._marked_files(place)
            self._xobject_files(IndirectObject(number, 0, reader), place, set(), 0)

    # document-level --------------------------------------------------------------------------

    def document(self, reader: PdfReader) -> None:
        out = self.out
        root = _resolve(reader.trailer["/Root"])
        info = reader.metadata
        if info:
            values = [str(value) for value in info.values()]
            self.read_strings.update(values)
            self.text("metadata", "\n".join(values))
            if "/Author" in info or "/Creator" in info:
                out.observe(MetadataKind.AUTHOR, "metadata", "author or creator recorded")
        if "/OpenAction" in root:
            action = _resolve(root["/OpenAction"])
            if isinstance(action, DictionaryObject):
                out.observe(MetadataKind.ACTIVE_CONTENT, "catalog", "open action")
                self.text("open action", _script(action.get("/JS")))
        if "/AA" in root:
            out.observe(MetadataKind.ACTIVE_CONTENT, "catalog", "document actions (/AA)")
        names = _resolve(root.get("/Names"))
        if isinstance(names, DictionaryObject):
            if "/JavaScript" in names:
                out.observe(MetadataKind.ACTIVE_CONTENT, "catalog", "document-level JavaScript")
            for spec in _name_tree(names.get("/EmbeddedFiles")):
                self._filespec(spec, "attachment")
        self._associated(root.get("/AF"), "associated file")
        for number, page in enumerate(reader.pages, start=1):
            self._associated(page.get("/AF"), f"page {number} associated file")
            self._resource_files(_resolve(page.get("/Resources")), f"page {number}", set(), 0)
        self._structure_files(root.get("/StructTreeRoot"))
        for page in reader.pages:
            if "/AA" in page:
                out.observe(MetadataKind.ACTIVE_CONTENT, "page", "page actions (/AA)")
                break
        acroform = _resolve(root.get("/AcroForm"))
        if isinstance(acroform, DictionaryObject) and "/XFA" in acroform:
            self._xfa(acroform["/XFA"])
        layers = _resolve(root.get("/OCProperties"))
        default = _resolve(layers.get("/D")) if isinstance(layers, DictionaryObject) else None
        if isinstance(default, DictionaryObject) and _resolve(default.get("/OFF")):
            out.observe(MetadataKind.HIDDEN_CONTENT, "catalog", "hidden optional-content layer")

    def _xfa(self, xfa: Any) -> None:
        xfa = _resolve(xfa)
        packets: list[tuple[str, Any]] = []
        if isinstance(xfa, StreamObject):
            packets.append(("xfa", xfa))
        elif isinstance(xfa, ArrayObject):
            items = list(xfa)
            for name, stream in zip(items[0::2], items[1::2], strict=False):
                packets.append((f"xfa {_resolve(name)}", _resolve(stream)))
        for part, stream in packets:
            if isinstance(stream, StreamObject):
                data = stream.get_data()
                self.budget.spend(len(data))
                self.text(part, _xml_text(data), method="xml")
                if b"<script" in data:
                    self.out.observe(MetadataKind.ACTIVE_CONTENT, part, "XFA script")
            else:
                self.out.uninspected(part, "the XFA packet is not a stream")

    def _associated(self, raw: Any, where: str) -> None:
        """The files of an ``/AF`` array (PDF 2.0, PDF/A-3 associated files): each a child;
        an entry that names no file, or something that is not a file specification, is
        reported (each entry once, wherever it is reached from)."""
        if raw is None:
            return
        key = _identity(raw)
        if key in self.associated_seen:
            return
        self.associated_seen.add(key)
        found = _resolve(raw)
        if isinstance(found, DictionaryObject):  # one file specification, not in an array
            found = [found]
        if isinstance(found, (ArrayObject, list)):
            if not found:
                self.out.uninspected(where, "the /AF entry names no file")
            for spec in found:
                if isinstance(_resolve(spec), (DictionaryObject, str)):
                    self._filespec(spec, where)
                else:
                    self.out.uninspected(where, "the /AF entry holds no file specification")
        else:
            self.out.uninspected(where, "the /AF entry is neither an array nor a file")

    def unread_associated(self, reader: PdfReader, inventory: Inventory) -> None:
        """The ``/AF`` entries of objects no named reader walks (a font, the outline...):
        read, or reported, like the others, named by their object."""
        for number in sorted(inventory.associated):
            self.budget.check()
            try:
                holder = reader.get_object(number)
            except Exception as exc:
                self.out.uninspected(f"object {number}", f"it cannot be read ({exc})")
                continue
            label = inventory.labels.get(number, "object")
            for raw in _af_entries(holder):
                self._associated(raw, f"object {number} ({label}) associated file")

    def _marked_files(self, where: str) -> None:
        """Associated files of the marked-content sequences just drawn (``BDC`` property lists
        with ``/AF``), each named by its tag."""
        marked, self.collector.marked = self.collector.marked, []
        for tag, properties in marked:
            self._associated(properties.get("/AF"), f"{where} marked content {tag} associated file")

    def _resource_files(self, resources: Any, where: str, seen: set[int], depth: int) -> None:
        """Associated files hung on what ``resources`` holds: image and Form XObjects (a
        form's own resources walked in turn, named by the path of XObject names), patterns, and
        marked-content property lists (those no ``BDC`` drew are named by their resource name;
        a file already read under its tag is not read again)."""
        if not isinstance(resources, DictionaryObject):
            return
        if depth > MAX_FORM_DEPTH:
            raise Held(f"resources nest deeper than {MAX_FORM_DEPTH} levels")
        for key, kind in (("/XObject", "XObject"), ("/Pattern", "pattern")):
            entries = _resolve(resources.get(key))
            if isinstance(entries, DictionaryObject):
                for name, raw in entries.items():
                    self._xobject_files(raw, f"{where} {kind} {str(name)[1:]}", seen, depth)
        properties = _resolve(resources.get("/Properties"))
        if isinstance(properties, DictionaryObject):
            for name, raw in properties.items():
                found = _resolve(raw)
                if isinstance(found, DictionaryObject) and "/AF" in found:
                    place = f"{where} marked content {str(name)[1:]} associated file"
                    self._associated(found.get("/AF"), place)

    def _xobject_files(self, raw: Any, place: str, seen: set[int], depth: int) -> None:
        """The associated files of one XObject (or pattern) and of what its resources hold."""
        key = raw.idnum if isinstance(raw, IndirectObject) else id(raw)
        if key in seen:
            return
        seen.add(key)
        if len(seen) % 256 == 0:
            self.budget.check()
        found = _resolve(raw)
        if not isinstance(found, (StreamObject, DictionaryObject)):
            return
        if "/AF" in found:
            self._associated(found.get("/AF"), f"{place} associated file")
        if found.get("/Subtype") != "/Image":
            self._resource_files(_resolve(found.get("/Resources")), place, seen, depth + 1)

    def _structure_files(self, tree: Any) -> None:
        """Associated files of the structure tree's elements (``/K`` walked, each once)."""
        stack: list[Any] = [tree]
        seen: set[int] = set()
        while stack:
            raw = stack.pop()
            if isinstance(raw, IndirectObject):
                if raw.idnum in seen:
                    continue
                seen.add(raw.idnum)
            node = _resolve(raw)
            if isinstance(node, ArrayObject):
                stack.extend(node)
                continue
            if not isinstance(node, DictionaryObject):
                continue
            if len(seen) % 1024 == 0:
                self.budget.check()
            if len(seen) > MAX_STRUCTURE:
                self.out.uninspected(
                    "structure tree", f"more than {MAX_STRUCTURE} elements: the rest not walked"
                )
                return
            if "/AF" in node:
                kind = str(node.get("/S", "") or "element").lstrip("/")
                self._associated(node.get("/AF"), f"structure {kind} associated file")
            if "/K" in node:
                stack.append(node.get("/K"))

    def _filespec(self, raw: Any, where: str) -> None:
        spec = _resolve(raw)
        if isinstance(spec, str):
            self.out.uninspected(where, f"it names an external file '{spec}' that is not inside")
            return
        if not isinstance(spec, DictionaryObject):
            if spec is not None:
                self.out.uninspected(where, "it names something that is not a file specification")
            return
        name = str(_resolve(spec.get("/UF")) or _resolve(spec.get("/F")) or "unnamed")
        ef = _resolve(spec.get("/EF"))
        if not isinstance(ef, DictionaryObject):
            self.out.uninspected(f"{where} {name}", "the file specification carries no file")
            return
        stream_ref = ef.get("/UF") or ef.get("/F")
        if stream_ref is None:
            self.out.uninspected(f"{where} {name}", "the embedded file cannot be found")
            return
        number = stream_ref.idnum if isinstance(stream_ref, IndirectObject) else id(stream_ref)
        if number in self.embedded_seen:
            return
        self.embedded_seen.add(number)
        stream = _resolve(stream_ref)
        if not isinstance(stream, StreamObject):
            self.out.uninspected(f"{where} {name}", "the embedded file cannot be found")
            return
        if len(self.embedded_seen) > MAX_EMBEDDED:
            raise Held(f"the PDF embeds more than {MAX_EMBEDDED} files")
        try:
            payload = stream.get_data()
        except Exception as exc:
            self.out.uninspected(f"{where} {name}", f"the embedded file cannot be decoded ({exc})")
            return
        encoded = getattr(stream, "_data", b"")  # pypdf's raw bytes (it drops /Length)
        if not payload and encoded:  # pypdf could not decode it and said so only in a warning
            self.out.uninspected(f"{where} {name}", "the embedded file cannot be decoded")
            return
        self.budget.spend(len(payload))
        self.out.observe(MetadataKind.EMBEDDED_FILES, f"{where} {name}", "attached file")
        self.out.embedded.append(Embedded(f"{where} {name}", payload))

    # the object table ------------------------------------------------------------------------

    def objects(self, reader: PdfReader | None, inventory: Inventory) -> None:
        out = self.out
        for number, reason in sorted(inventory.unknown.items()):
            out.uninspected(f"object {number}", reason)
        for number, role in sorted(inventory.roles.items()):
            if reader is None:
                break
            if role in ("metadata", "js"):
                self._stream_text(reader, number, role)
            elif role == "embedded" and number not in self.embedded_seen:
                out.uninspected(f"object {number}", "an embedded file no file specification names")
        counts: dict[str, int] = {}
        for role in inventory.roles.values():
            counts[role] = counts.get(role, 0) + 1
        for role in ("font", "structure", "mask"):
            if counts.get(role):
                out.covered(f"{counts[role]} {role} objects", "structure")
        read = "\n".join(self.read_text)
        for number, strings in sorted(inventory.strings.items()):
            self.budget.check()
            left = [s for s in strings if s not in self.read_strings and s.strip() not in read]
            if left:
                label = inventory.labels.get(number, "object")
                self.out.text(f"object {number} ({label})", "\n".join(left), method="strings")

    def _stream_text(self, reader: PdfReader, number: int, role: str) -> None:
        try:
            stream = reader.get_object(number)
            data = stream.get_data() if isinstance(stream, StreamObject) else b""
        except Exception as exc:
            self.out.uninspected(f"object {number}", f"the stream cannot be decoded ({exc})")
            return
        self.budget.spend(len(data))
        if role == "metadata":
            self.text(f"object {number} (xmp)", _xml_text(data), method="xml")
            observe_xmp_gps(self.out, f"object {number} (xmp)", data.decode("utf-8", "replace"))
            self.out.observe(MetadataKind.DESCRIPTION, "xmp", "XMP metadata")
        else:
            self.out.observe(MetadataKind.ACTIVE_CONTENT, f"object {number}", "JavaScript")
            self.text(f"object {number} (javascript)", data.decode("latin-1"))

    # revisions -------------------------------------------------------------------------------

    def revisions(self, final: list[str]) -> None:
        data = self.data
        ends = [m.end() for m in _EOF.finditer(data)]
        linearized = b"/Linearized" in data[:2048]
        earlier = ends[:-1][1:] if linearized else ends[:-1]
        if not earlier:
            return
        self.out.observe(
            MetadataKind.REVISIONS, "file", f"{len(earlier)} earlier incremental revision(s)"
        )
        if len(earlier) > MAX_REVISIONS:
            raise Held(f"the PDF has {len(earlier)} revisions, more than {MAX_REVISIONS}")
        final_lines = {line.strip() for text in final for line in text.splitlines()}
        for number, end in enumerate(earlier, start=1):
            try:
                reader = _reader(data[:end])
                texts = [page.extract_text() or "" for page in reader.pages]
            except Held:
                raise
            except Exception as exc:
                raise Held(f"earlier revision {number} cannot be read ({exc})") from exc
            gone = [
                line
                for text in texts
                for line in text.splitlines()
                if line.strip() and line.strip() not in final_lines
            ]
            self.out.text(f"revision {number} (removed text)", "\n".join(gone))


def _script(value: Any) -> str:
    value = _resolve(value)
    if isinstance(value, StreamObject):
        return value.get_data().decode("latin-1")
    return str(value or "")


def _name_tree(node: Any, depth: int = 0) -> list[Any]:
    node = _resolve(node)
    if not isinstance(node, DictionaryObject) or depth > 32:
        return []
    found: list[Any] = []
    names = _resolve(node.get("/Names"))
    if isinstance(names, ArrayObject):
        found.extend(list(names)[1::2])
    kids = _resolve(node.get("/Kids"))
    if isinstance(kids, ArrayObject):
        for kid in kids:
            found.extend(_name_tree(kid, depth + 1))
    return found


def _identity(raw: Any) -> tuple[str, int]:
    """What tells one PDF value from another: its object number when it is (or was resolved
    from) an indirect object, else the Python object (pypdf keeps the objects it parsed)."""
    if isinstance(raw, IndirectObject):
        return "object", raw.idnum
    ref = getattr(raw, "indirect_reference", None)
    if isinstance(ref, IndirectObject):
        return "object", ref.idnum
    return "value", id(raw)


def _af_entries(holder: Any) -> list[Any]:
    """The raw ``/AF`` values in ``holder`` and its direct dictionaries and arrays."""
    found: list[Any] = []
    stack: list[tuple[Any, int]] = [(holder, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > 64:
            raise Held("an object nests more than 64 levels of dictionaries and arrays")
        if isinstance(node, DictionaryObject):
            for key, value in node.items():
                if key == "/AF":
                    found.append(value)
                elif isinstance(value, (DictionaryObject, ArrayObject)):
                    stack.append((value, depth + 1))
        elif isinstance(node, ArrayObject):
            stack.extend(
                (value, depth + 1) for value in node if not isinstance(value, IndirectObject)
            )
    return found


def extract_pdf(data: bytes, budget: Budget) -> Extraction:
    inventory = take_inventory(data, budget)
    reading = _PdfReading(data, budget)
    reader: PdfReader | None
    texts: list[str] | None
    try:
        reader = _reader(data)
        texts = reading.pages(reader)
    except Held:
        raise
    except Exception:
        reader, texts = None, None
    reading.second_opinion(texts, inventory.damage)
    rendered: dict[int, int] = {}
    if reader is not None and texts is not None:
        sizes = [(float(page.mediabox.width), float(page.mediabox.height)) for page in reader.pages]
        rasters = [raster_pixels(page) for page in reader.pages]
        ocr_scanned_pages(data, texts, sizes, budget, reading.out, rasters)
        for number, page in enumerate(reader.pages, start=1):
            if needs_ocr(texts[number - 1], rasters[number - 1]):
                rendered.update(dict.fromkeys(page_images(page), number))
    read_images(data, inventory.images, rendered, budget, reading.out)
    if reader is not None:
        reading.annotations(reader)
        reading.document(reader)
        reading.unseen_forms(reader, inventory)
        reading.unread_associated(reader, inventory)
    reading.objects(reader, inventory)
    if texts is not None:
        reading.revisions(texts)
    return reading.out
