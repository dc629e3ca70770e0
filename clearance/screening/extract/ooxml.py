"""DOCX, XLSX and PPTX by their package index: every zip entry is accounted for.

The package is walked from ``_rels/.rels`` through every part's relationships
(:mod:`~clearance.screening.extract.opc`); each entry gets a role from its content type
(:mod:`~clearance.screening.extract.ooxml_parts`) and is read accordingly:

- every XML part (main document wherever it lives, headers and footers of any name, footnotes,
  endnotes, comments in both PowerPoint formats, glossary, text boxes, charts, SmartArt, slides,
  hidden slides, notes, layouts and masters, custom XML, pivot caches, the workbook's sheet and
  defined names) through :func:`~clearance.screening.extract.xmltext.markup_text`;
- worksheets streamed row by row (:func:`~clearance.screening.extract.xmltext.sheet_text`),
  print headers and footers and data-validation messages included;
- properties as text and metadata; the index parts as structure (external targets screened);
- rasters (EXIF/XMP read and pixels OCR'd by the image extractor), embedded office documents,
  PDFs and OLE objects handed to the engine as embedded files;
- anything else (vector metafiles, fonts, media, unknown types) reported ``uninspected``.

Parts not reached by any relationship are still read when they are XML (a reader's program may
not show them, but nothing is skipped), and the sanitiser leaves them out.
``zipfile`` + ``defusedxml`` rather than python-docx/openpyxl/python-pptx: those libraries expose
the visible model and silently skip what we must see, and parse XML without the protection.
"""

from __future__ import annotations

from collections.abc import Callable

from clearance.screening.extract.base import Embedded, Extraction
from clearance.screening.extract.ooxml_parts import Role, role, unread_reason
from clearance.screening.extract.opc import Package, read_package
from clearance.screening.extract.safezip import SafeZip
from clearance.screening.extract.xmltext import MalformedPart, lenient_text, markup_text, sheet_text
from clearance.screening.limits import Budget, Held, Refused
from clearance.screening.rules import MetadataKind

MAIN_TYPES = {
    "docx": ("wordprocessingml.document.main+xml", "wordprocessingml.template.main+xml"),
    "xlsx": ("spreadsheetml.sheet.main+xml", "spreadsheetml.template.main+xml"),
    "pptx": (
        "presentationml.presentation.main+xml",
        "presentationml.slideshow.main+xml",
        "presentationml.template.main+xml",
    ),
}


def check_macros(zf: SafeZip) -> None:
    for name in zf.names():
        lowered = name.lower()
        if lowered.endswith("vbaproject.bin") or lowered.endswith("vbadata.xml"):
            raise Refused("the document contains a macro project (vbaProject.bin)")
    if "[Content_Types].xml" in zf.infos:
        types = zf.read("[Content_Types].xml").lower()
        if b"macroenabled" in types or b"vbaproject" in types:
            raise Refused("the document declares macro-enabled content")


def kind_of(package: Package) -> str | None:
    """``docx``, ``xlsx`` or ``pptx`` from the main part's content type, else ``None``."""
    if package.main is None:
        return None
    ctype = package.content_type(package.main)
    for kind, suffixes in MAIN_TYPES.items():
        if ctype.endswith(suffixes):
            return kind
    return None


class _Observer:
    """Observations made while a part is parsed (tracked changes, hidden text and slides...)."""

    def __init__(self, name: str, out: Extraction) -> None:
        self.name = name
        self.out = out
        self.seen: set[str] = set()
        self.root = ""

    def once(self, key: str, kind: MetadataKind, message: str) -> None:
        if key not in self.seen:
            self.seen.add(key)
            self.out.observe(kind, self.name, message)

    def __call__(self, local: str, attributes: dict[str, str]) -> None:
        if not self.root:
            self.root = local
        if local in ("ins", "moveTo"):
            self.once("ins", MetadataKind.TRACKED_CHANGES, "tracked insertions")
        elif local in ("del", "moveFrom"):
            self.once("del", MetadataKind.TRACKED_CHANGES, "tracked deletions")
        elif local in ("vanish", "specVanish"):
            if attributes.get(_W_VAL, "true") not in ("false", "0", "off"):
                self.once("vanish", MetadataKind.HIDDEN_CONTENT, "hidden text (w:vanish)")
        elif local == "sld" and attributes.get("show") in ("0", "false"):
            self.once("slide", MetadataKind.HIDDEN_CONTENT, "hidden slide (show=0)")
        elif local == "sheet" and attributes.get("state") in ("hidden", "veryHidden"):
            state, sheet = attributes["state"], attributes.get("name", "")
            self.once(f"sheet {sheet}", MetadataKind.HIDDEN_CONTENT, f"{state} sheet '{sheet}'")
        elif local in {"control", "ocx"}:
            self.once("activex", MetadataKind.ACTIVE_CONTENT, "ActiveX control")


_W_VAL = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}val"


_COMMENT_ROOTS = frozenset({"comments", "cmLst", "ThreadedComments", "commentsEx"})


def _is_comments(package: Package, name: str, root: str) -> bool:
    """A comments part by its relationship type, content type or root element."""
    kinds = [k.rsplit("/", 1)[-1].lower() for k in package.types_to(name)]
    ctype = package.content_type(name).lower()
    return any("comment" in k for k in kinds) or "comments+xml" in ctype or root in _COMMENT_ROOTS


def _is_custom_xml(package: Package, name: str) -> bool:
    kinds = [k.rsplit("/", 1)[-1].lower() for k in package.types_to(name)]
    return any(k.startswith("customxml") for k in kinds) or "customxml" in name.lower()


def _markup(zf: SafeZip, package: Package, name: str, out: Extraction) -> None:
    observer = _Observer(name, out)
    with zf.stream(name) as stream:
        text = markup_text(stream, zf.budget, name, observer)
    if _is_comments(package, name, observer.root) and text.strip():
        out.observe(MetadataKind.COMMENTS, name, "review comments")
    if "activex" in package.content_type(name).lower():
        out.observe(MetadataKind.ACTIVE_CONTENT, name, "ActiveX control")
    reached = "xml" if name in package.reached else "xml (not referenced by the package)"
    unseen = _is_comments(package, name, observer.root) or _is_custom_xml(package, name)
    out.text(name, text, method=reached, metadata=unseen)


def _properties(zf: SafeZip, name: str, out: Extraction) -> None:
    with zf.stream(name) as stream:
        text = markup_text(stream, zf.budget, name)
    out.text(name, text, method="metadata", metadata=True)
    if text.strip():
        ctype_custom = name.lower().endswith("custom.xml")
        if ctype_custom:
            out.observe(MetadataKind.DESCRIPTION, name, "custom document properties")
        else:
            out.observe(MetadataKind.AUTHOR, name, "author, last editor or company recorded")


def _index(zf: SafeZip, package: Package, name: str, out: Extraction) -> None:
    targets = [r.target for r in package.relationships if r.rels_part == name and r.external]
    if targets:
        out.observe(MetadataKind.EXTERNAL_REFERENCES, name, "external relationship target")
    out.text(name, " ".join(targets), method="structure")


def _printer(zf: SafeZip, name: str, out: Extraction) -> None:
    """A DEVMODE starts with the device name, 32 UTF-16 characters: the only text it holds."""
    device = zf.read(name)[:64].decode("utf-16-le", "replace").split("\x00", 1)[0]
    out.text(name, device, method="printer settings")


def _embedded(zf: SafeZip, name: str, kind: Role, out: Extraction) -> None:
    data = zf.read(name)
    if kind is Role.OLE:
        out.observe(MetadataKind.EMBEDDED_FILES, name, "embedded object")
    elif kind is Role.PACKAGE:
        out.observe(MetadataKind.EMBEDDED_FILES, name, "embedded document")
    out.embedded.append(Embedded(name, data))


def _read(zf: SafeZip, package: Package, name: str, out: Extraction) -> None:
    kind = role(package, name)
    if kind is Role.DIRECTORY:
        out.covered(name, "structure")
    elif kind is Role.INDEX:
        _index(zf, package, name, out)
    elif kind is Role.PROPERTIES:
        _properties(zf, name, out)
    elif kind is Role.SHEET:
        with zf.stream(name) as stream:
            text, cells = sheet_text(stream, zf.budget, name)
        out.text(name, text, method="xml (streamed)", locations=cells)
    elif kind is Role.MARKUP:
        _markup(zf, package, name, out)
    elif kind is Role.PRINTER:
        _printer(zf, name, out)
    elif kind in (Role.RASTER, Role.PACKAGE, Role.OLE):
        _embedded(zf, name, kind, out)
    else:
        out.uninspected(name, unread_reason(package, name))


def _read_or_lenient(zf: SafeZip, package: Package, name: str, out: Extraction) -> None:
    try:
        _read(zf, package, name, out)
    except MalformedPart:
        text = lenient_text(zf.read(name))
        zf.budget.spend(len(text))
        out.text(name, text, method="text (malformed XML, tags stripped)")


def extract_package(data: bytes, budget: Budget, want: str) -> Extraction:
    """Read every entry of an OOXML package whose main part must be of kind ``want``."""
    zf = SafeZip(data, budget)
    check_macros(zf)
    package = read_package(zf)
    kind = kind_of(package)
    if kind != want:
        found = kind or "no recognisable main part"
        raise Held(f"the {want.upper()} package's relationships lead to {found}, not a {want}")
    out = Extraction()
    main = package.main or ""
    for name in sorted(zf.names(), key=lambda n: (n != main, n)):
        budget.check()
        _read_or_lenient(zf, package, name, out)
    return out


def _extractor(want: str) -> Callable[[bytes, Budget], Extraction]:
    def extract(data: bytes, budget: Budget) -> Extraction:
        return extract_package(data, budget, want)

    extract.__name__ = f"extract_{want}"
    return extract


extract_docx = _extractor("docx")
extract_xlsx = _extractor("xlsx")
extract_pptx = _extractor("pptx")
