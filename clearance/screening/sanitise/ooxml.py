"""DOCX/XLSX derivative: the zip is rebuilt part by part.

- core/app/custom properties replaced by empty ones (author, company, custom fields gone),
- DOCX: tracked deletions removed and insertions accepted, hidden runs (``w:vanish``) removed,
  comment anchors removed, comment parts dropped together with their relationships and
  content-type overrides.
- XLSX: cell comments removed: comment and threaded-comment parts, the people list, the legacy
  VML drawings that display comments (and legacy header/footer drawings), their relationships,
  the ``legacyDrawing`` references in the sheets and the content-type overrides.

The XML is edited as text with narrow patterns instead of re-serialised by ElementTree, because
re-serialising renames namespace prefixes that ``mc:Ignorable`` refers to and Word then refuses
the file.
"""

from __future__ import annotations

import io
import re
import zipfile

_EMPTY_CORE = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
    b'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"/>'
)
_EMPTY_APP = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-'
    b'properties"/>'
)
_DEL = re.compile(
    rb"<w:del\b[^>]*/>|<w:del\b[^>]*>.*?</w:del>|<w:moveFrom\b[^>]*>.*?</w:moveFrom>", re.S
)
_INS = re.compile(rb"</?w:(?:ins|moveTo)\b[^>]*>")
_COMMENT_ANCHOR = re.compile(
    rb"<w:commentRange(?:Start|End)\b[^>]*/>|<w:r\b[^>]*>(?:(?!</w:r>).)*?<w:commentReference\b[^>]*/>\s*</w:r>",
    re.S,
)
_COMMENT_PART = re.compile(r"^word/comments\w*\.xml$|^word/people\.xml$")
_DROP_RELATIONSHIP = re.compile(rb'<Relationship\b[^>]*Target="(?:comments\w*|people)\.xml"[^>]*/>')
_DROP_OVERRIDE = re.compile(
    rb'<Override\b[^>]*PartName="/(?:word/(?:comments\w*|people)|docProps/custom)\.xml"[^>]*/>'
)
_DROP_CUSTOM_REL = re.compile(rb'<Relationship\b[^>]*Target="docProps/custom\.xml"[^>]*/>')
# A run whose properties hide it (w:vanish, unless switched off with val false/0/off).
_HIDDEN_RUN = re.compile(
    rb"<w:r(?:\s[^>]*)?>(?:(?!</w:r>).)*?"
    rb'<w:vanish(?!\s+w:val="(?:false|0|off)")(?:\s[^>]*)?/>(?:(?!</w:r>).)*?</w:r>',
    re.S,
)
_XL_DROP_PART = re.compile(
    r"^xl/(?:comments\d*\.xml|threadedComments/.*|persons/.*|drawings/vmlDrawing[^/]*\.vml"
    r"|drawings/_rels/vmlDrawing[^/]*\.vml\.rels)$"
)
_XL_DROP_RELATIONSHIP = re.compile(
    rb"<Relationship\b[^>]*Target=\"[^\"]*(?:comments\d*\.xml|threadedComments/[^\"]*"
    rb"|persons/[^\"]*|vmlDrawing[^\"]*\.vml)\"[^>]*/>"
)
_XL_DROP_OVERRIDE = re.compile(
    rb'<Override\b[^>]*PartName="/xl/(?:comments\d*\.xml|threadedComments/[^"]*|persons/[^"]*'
    rb'|drawings/vmlDrawing[^"]*)"[^>]*/>'
)
_XL_LEGACY_DRAWING = re.compile(rb"<(?:\w+:)?legacyDrawing(?:HF)?\b[^>]*/>")


def _clean(name: str, data: bytes, docx: bool) -> bytes | None:
    if name == "docProps/core.xml":
        return _EMPTY_CORE
    if name == "docProps/app.xml":
        return _EMPTY_APP
    if name == "docProps/custom.xml":
        return None
    if name == "[Content_Types].xml":
        data = _DROP_OVERRIDE.sub(b"", data)
        return data if docx else _XL_DROP_OVERRIDE.sub(b"", data)
    if name == "_rels/.rels":
        return _DROP_CUSTOM_REL.sub(b"", data)
    if docx:
        if _COMMENT_PART.match(name):
            return None
        if name.startswith("word/_rels/"):
            return _DROP_RELATIONSHIP.sub(b"", data)
        if name.startswith("word/") and name.endswith(".xml"):
            data = _DEL.sub(b"", data)
            data = _INS.sub(b"", data)
            data = _HIDDEN_RUN.sub(b"", data)
            return _COMMENT_ANCHOR.sub(b"", data)
        return data
    if _XL_DROP_PART.match(name):
        return None
    if name.startswith("xl/") and name.endswith(".rels"):
        return _XL_DROP_RELATIONSHIP.sub(b"", data)
    if name.startswith("xl/worksheets/") and name.endswith(".xml"):
        return _XL_LEGACY_DRAWING.sub(b"", data)
    return data


def sanitise_ooxml(data: bytes, *, docx: bool) -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            cleaned = _clean(info.filename, source.read(info), docx)
            if cleaned is None:
                continue
            item = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            item.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(item, cleaned)
    return out.getvalue()
