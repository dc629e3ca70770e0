"""DOCX and XLSX: every XML part through ``defusedxml`` (no DTDs, no entity expansion), read from
a :class:`SafeZip` (bomb checks). ``zipfile`` + ``defusedxml`` rather than python-docx/openpyxl:
those libraries expose the visible model and silently skip what we must see (tracked deletions,
hidden runs, veryHidden sheets, custom properties) and they parse XML without the protection.

DOCX: body, headers, footers, footnotes, endnotes, comments, tracked insertions and deletions
(``w:ins``/``w:del``/``w:delText``), hidden runs (``w:vanish``), text boxes, field codes, core,
app and custom properties, embedded objects and media (screened recursively by the engine).
XLSX: shared strings, every sheet including hidden and veryHidden ones (inline strings, values,
formulas), cell comments, defined names, properties. Macro projects are refused.
"""

from __future__ import annotations

import io
import re

import defusedxml.ElementTree as DET

from clearance.screening import legacy_vn
from clearance.screening.extract.base import Embedded, Extraction
from clearance.screening.extract.safezip import SafeZip
from clearance.screening.limits import Budget, Held, Refused
from clearance.screening.rules import MetadataKind

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
S = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_DOCX_TEXT = re.compile(
    r"^word/(document|header\d*|footer\d*|footnotes|endnotes|comments\w*|glossary/document)\.xml$"
)
_SHEET = re.compile(r"^xl/worksheets/sheet\d+\.xml$")
_XL_COMMENTS = re.compile(r"^xl/(comments\d*\.xml|threadedComments/.+\.xml)$")
_EMBEDDED = re.compile(r"^(word|xl)/(embeddings|media)/.+")
_EXTERNAL_REL = re.compile(
    rb'TargetMode="External"[^>]*|Target="([^"]+)"[^>]*TargetMode="External"'
)


def _iter(data: bytes, budget: Budget) -> DET.iterparse:
    budget.check()
    return DET.iterparse(io.BytesIO(data), events=("start", "end"), forbid_dtd=True)


def check_macros(zf: SafeZip) -> None:
    for name in zf.names():
        lowered = name.lower()
        if lowered.endswith("vbaproject.bin") or lowered.endswith("vbadata.xml"):
            raise Refused("the document contains a macro project (vbaProject.bin)")
    if "[Content_Types].xml" in zf.infos:
        types = zf.read("[Content_Types].xml").lower()
        if b"macroenabled" in types or b"vbaproject" in types:
            raise Refused("the document declares macro-enabled content")


def _docx_part(data: bytes, budget: Budget, name: str, out: Extraction) -> str:
    chunks: list[str] = []
    seen_ins = seen_del = seen_hidden = False
    count = 0
    legacy: str | None = None  # the run's legacy Vietnamese font encoding (w:rFonts), if any
    for event, element in _iter(data, budget):
        count += 1
        if count % 5000 == 0:
            budget.check()
        tag = element.tag
        if event == "start":
            if tag == f"{W}r":
                legacy = None
            elif tag == f"{W}rFonts":
                legacy = legacy_vn.encoding_for_font(
                    element.get(f"{W}ascii") or element.get(f"{W}hAnsi")
                )
            if tag in (f"{W}ins", f"{W}moveTo") and not seen_ins:
                seen_ins = True
                out.observe(MetadataKind.TRACKED_CHANGES, name, "tracked insertions")
            elif tag in (f"{W}del", f"{W}moveFrom") and not seen_del:
                seen_del = True
                out.observe(MetadataKind.TRACKED_CHANGES, name, "tracked deletions")
            elif tag in (f"{W}vanish", f"{W}specVanish") and not seen_hidden:
                seen_hidden = True
                out.observe(MetadataKind.HIDDEN_CONTENT, name, "hidden text (w:vanish)")
            continue
        if tag in (f"{W}t", f"{W}delText", f"{W}instrText", f"{W}delInstrText"):
            text = element.text or ""
            chunks.append(legacy_vn.convert(text, legacy) if legacy else text)
        elif tag == f"{W}tab":
            chunks.append("\t")
        elif tag in (f"{W}br", f"{W}cr", f"{W}p", f"{W}tc"):
            chunks.append("\n")
        if tag in (f"{W}p", f"{W}tbl"):
            element.clear()
    return "".join(chunks)


def _plain_xml_text(data: bytes, budget: Budget) -> str:
    chunks: list[str] = []
    for event, element in _iter(data, budget):
        if event == "end":
            if element.text and element.text.strip():
                chunks.append(element.text.strip())
            element.clear()
    return "\n".join(chunks)


def _properties(zf: SafeZip, budget: Budget, out: Extraction) -> None:
    for name in ("docProps/core.xml", "docProps/app.xml", "docProps/custom.xml"):
        if name not in zf.infos:
            continue
        data = zf.read(name)
        out.text(name, _plain_xml_text(data, budget))
        lowered = data.lower()
        if b"creator>" in lowered or b"lastmodifiedby>" in lowered or b"company>" in lowered:
            out.observe(MetadataKind.AUTHOR, name, "author, last editor or company recorded")
        if name.endswith("custom.xml"):
            out.observe(MetadataKind.DESCRIPTION, name, "custom document properties")


def _relationships(zf: SafeZip, out: Extraction) -> None:
    for name in zf.names():
        if name.endswith(".rels") and b'TargetMode="External"' in (data := zf.read(name)):
            out.observe(MetadataKind.EXTERNAL_REFERENCES, name, "external relationship target")
            out.text(
                name,
                " ".join(
                    t.decode("utf-8", "replace") for t in re.findall(rb'Target="([^"]+)"', data)
                ),
            )


def _embedded(zf: SafeZip, out: Extraction) -> None:
    for name in zf.names():
        if _EMBEDDED.match(name) and not name.endswith("/"):
            if "/embeddings/" in name:
                out.observe(MetadataKind.EMBEDDED_FILES, name, "embedded object")
            out.embedded.append(Embedded(name, zf.read(name)))


def extract_docx(data: bytes, budget: Budget) -> Extraction:
    zf = SafeZip(data, budget)
    check_macros(zf)
    if "word/document.xml" not in zf.infos:
        raise Held("the DOCX has no word/document.xml")
    out = Extraction()
    for name in sorted(zf.names(), key=lambda n: (n != "word/document.xml", n)):
        if _DOCX_TEXT.match(name):
            text = _docx_part(zf.read(name), budget, name, out)
            if name.startswith("word/comments") and text.strip():
                out.observe(MetadataKind.COMMENTS, name, "review comments")
            out.text(name, text)
        elif name.startswith("word/activeX/"):
            out.observe(MetadataKind.ACTIVE_CONTENT, name, "ActiveX control")
    _properties(zf, budget, out)
    _relationships(zf, out)
    _embedded(zf, out)
    return out


def _sheet_text(data: bytes, budget: Budget) -> str:
    rows: list[str] = []
    cells: list[str] = []
    cell_type = ""
    count = 0
    for event, element in _iter(data, budget):
        tag = element.tag
        if event == "start":
            if tag == f"{S}c":
                cell_type = element.get("t", "")
            continue
        count += 1
        if count % 5000 == 0:
            budget.check()
        if (tag == f"{S}v" and cell_type != "s") or tag in (f"{S}f", f"{S}t"):
            cells.append(element.text or "")
        elif tag == f"{S}row":
            rows.append("\t".join(cells))
            cells = []
            element.clear()
    rows.append("\t".join(cells))
    return "\n".join(rows)


def extract_xlsx(data: bytes, budget: Budget) -> Extraction:
    zf = SafeZip(data, budget)
    check_macros(zf)
    if "xl/workbook.xml" not in zf.infos:
        raise Held("the XLSX has no xl/workbook.xml")
    out = Extraction()
    workbook = DET.fromstring(zf.read("xl/workbook.xml"), forbid_dtd=True)
    for sheet in workbook.iter(f"{S}sheet"):
        state = sheet.get("state", "visible")
        if state in ("hidden", "veryHidden"):
            out.observe(
                MetadataKind.HIDDEN_CONTENT,
                "xl/workbook.xml",
                f"{state} sheet '{sheet.get('name')}'",
            )
    names = [dn.text or "" for dn in workbook.iter(f"{S}definedName")]
    sheet_names = [sheet.get("name", "") for sheet in workbook.iter(f"{S}sheet")]
    out.text("xl/workbook.xml", "\n".join(sheet_names + names))
    if "xl/sharedStrings.xml" in zf.infos:
        strings: list[str] = []
        for event, element in _iter(zf.read("xl/sharedStrings.xml"), budget):
            if event == "end" and element.tag == f"{S}si":
                strings.append("".join(element.itertext()))
                element.clear()
        out.text("xl/sharedStrings.xml", "\n".join(strings))
    for name in sorted(zf.names()):
        if _SHEET.match(name):
            out.text(name, _sheet_text(zf.read(name), budget))
        elif _XL_COMMENTS.match(name):
            out.observe(MetadataKind.COMMENTS, name, "cell comments")
            out.text(name, _plain_xml_text(zf.read(name), budget))
        elif name.startswith("xl/activeX/"):
            out.observe(MetadataKind.ACTIVE_CONTENT, name, "ActiveX control")
    _properties(zf, budget, out)
    _relationships(zf, out)
    _embedded(zf, out)
    return out
