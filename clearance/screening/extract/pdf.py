"""PDF through pypdf (pure Python, actively maintained, reads broken files leniently and exposes
the raw object tree we need for actions and attachments).

Inspected: text per page (page cap), document information and XMP metadata, annotations
(comments, their authors, link targets, JavaScript actions), attachments (screened recursively by
the engine), document-level JavaScript, ``/OpenAction`` and ``/AA``, and earlier incremental
revisions: the file is cut after each earlier ``%%EOF`` and the text that the final revision no
longer shows is scanned too (that is where "deleted" secrets hide). Encrypted files are held.
"""

from __future__ import annotations

import io
import logging
import re
from typing import Any

from pypdf import PdfReader
from pypdf.generic import DictionaryObject, IndirectObject

from clearance.screening.extract.base import Embedded, Extraction
from clearance.screening.extract.pdf_ocr import ocr_scanned_pages, raster_pixels
from clearance.screening.limits import Budget, Held
from clearance.screening.metadata import observe_xmp_gps
from clearance.screening.rules import MetadataKind

logging.getLogger("pypdf").setLevel(logging.ERROR)

_EOF = re.compile(rb"%%EOF")
_TAGS = re.compile(r"<[^>]+>")
MAX_REVISIONS = 20


def _resolve(value: Any) -> Any:
    return value.get_object() if isinstance(value, IndirectObject) else value


def _reader(data: bytes) -> PdfReader:
    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted and not reader.decrypt(""):
        raise Held("the PDF is encrypted; submit it without a password")
    return reader


def _page_texts(reader: PdfReader, budget: Budget) -> list[str]:
    if len(reader.pages) > budget.limits.max_pages:
        raise Held(f"the PDF has {len(reader.pages)} pages, more than {budget.limits.max_pages}")
    texts: list[str] = []
    for page in reader.pages:
        budget.check()
        texts.append(page.extract_text() or "")
    return texts


def _annotations(reader: PdfReader, budget: Budget, out: Extraction) -> None:
    for number, page in enumerate(reader.pages, start=1):
        budget.check()
        annots = _resolve(page.get("/Annots"))
        if not annots:
            continue
        texts: list[str] = []
        for raw in annots:
            annot = _resolve(raw)
            if not isinstance(annot, DictionaryObject):
                continue
            subtype = str(annot.get("/Subtype", ""))
            for key in ("/Contents", "/T", "/Subj", "/RC"):
                if key in annot:
                    texts.append(str(_resolve(annot[key])))
            if subtype not in ("/Link", "/Widget"):
                out.observe(MetadataKind.COMMENTS, f"page {number}", f"{subtype[1:]} annotation")
            action = _resolve(annot.get("/A"))
            if isinstance(action, DictionaryObject):
                kind = str(action.get("/S", ""))
                if kind in ("/JavaScript", "/Launch", "/SubmitForm", "/ImportData"):
                    out.observe(MetadataKind.ACTIVE_CONTENT, f"page {number}", f"{kind[1:]} action")
                    texts.append(str(_resolve(action.get("/JS", ""))))
                elif kind == "/URI":
                    out.observe(
                        MetadataKind.EXTERNAL_REFERENCES, f"page {number}", "link to a web address"
                    )
                    texts.append(str(_resolve(action.get("/URI", ""))))
            if "/AA" in annot:
                out.observe(MetadataKind.ACTIVE_CONTENT, f"page {number}", "annotation actions")
        out.text(f"page {number} annotations", "\n".join(texts))


def _document(reader: PdfReader, out: Extraction) -> None:
    root = _resolve(reader.trailer["/Root"])
    info = reader.metadata
    if info:
        out.text("metadata", "\n".join(str(value) for value in info.values()))
        if "/Author" in info or "/Creator" in info:
            out.observe(MetadataKind.AUTHOR, "metadata", "author or creator recorded")
    xmp = _resolve(root.get("/Metadata"))
    if xmp is not None and hasattr(xmp, "get_data"):
        raw = xmp.get_data().decode("utf-8", "replace")
        out.text("xmp", _TAGS.sub("\n", raw))
        observe_xmp_gps(out, "xmp", raw)
        out.observe(MetadataKind.DESCRIPTION, "xmp", "XMP metadata")
    if "/OpenAction" in root:
        action = _resolve(root["/OpenAction"])
        if isinstance(action, DictionaryObject):
            out.observe(MetadataKind.ACTIVE_CONTENT, "catalog", "open action")
            out.text("open action", str(_resolve(action.get("/JS", ""))))
    if "/AA" in root:
        out.observe(MetadataKind.ACTIVE_CONTENT, "catalog", "document actions (/AA)")
    names = _resolve(root.get("/Names"))
    if isinstance(names, DictionaryObject) and "/JavaScript" in names:
        out.observe(MetadataKind.ACTIVE_CONTENT, "catalog", "document-level JavaScript")
    for page in reader.pages:
        if "/AA" in page:
            out.observe(MetadataKind.ACTIVE_CONTENT, "page", "page actions (/AA)")
            break
    for name, contents in reader.attachments.items():
        out.observe(MetadataKind.EMBEDDED_FILES, f"attachment {name}", "attached file")
        for index, payload in enumerate(contents):
            out.embedded.append(Embedded(f"attachment {name}#{index}", payload))


def _revisions(data: bytes, final: list[str], budget: Budget, out: Extraction) -> None:
    ends = [m.end() for m in _EOF.finditer(data)]
    linearized = b"/Linearized" in data[:2048]
    earlier = ends[:-1][1:] if linearized else ends[:-1]
    if not earlier:
        return
    out.observe(MetadataKind.REVISIONS, "file", f"{len(earlier)} earlier incremental revision(s)")
    if len(earlier) > MAX_REVISIONS:
        raise Held(f"the PDF has {len(earlier)} revisions, more than {MAX_REVISIONS}")
    final_lines = {line.strip() for text in final for line in text.splitlines()}
    for number, end in enumerate(earlier, start=1):
        try:
            texts = _page_texts(_reader(data[:end]), budget)
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
        out.text(f"revision {number} (removed text)", "\n".join(gone))


def extract_pdf(data: bytes, budget: Budget) -> Extraction:
    out = Extraction()
    reader = _reader(data)
    texts = _page_texts(reader, budget)
    for number, text in enumerate(texts, start=1):
        out.text(f"page {number}", text)
    sizes = [(float(page.mediabox.width), float(page.mediabox.height)) for page in reader.pages]
    rasters = [raster_pixels(page) for page in reader.pages]
    ocr_scanned_pages(data, texts, sizes, budget, out, rasters)
    _annotations(reader, budget, out)
    _document(reader, out)
    _revisions(data, texts, budget, out)
    return out
