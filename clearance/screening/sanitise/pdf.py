"""PDF derivative with pikepdf (qpdf): actions, JavaScript, attachments, annotations other than
links, XMP and document information removed, then the file is written whole (never an
incremental update), which also drops every earlier revision."""

from __future__ import annotations

import io

import pikepdf


def _harmless_link(annot: pikepdf.Object) -> bool:
    if annot.get("/Subtype") != pikepdf.Name.Link:
        return False
    action = annot.get("/A")
    return action is None or action.get("/S") != pikepdf.Name.JavaScript


def sanitise_pdf(data: bytes) -> bytes:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        root = pdf.Root
        for key in ("/OpenAction", "/AA", "/Metadata", "/PieceInfo"):
            if key in root:
                del root[key]
        if "/Names" in root:
            for key in ("/JavaScript", "/EmbeddedFiles"):
                if key in root.Names:
                    del root.Names[key]
        for page in pdf.pages:
            if "/AA" in page.obj:
                del page.obj["/AA"]
            if "/Annots" in page.obj:
                kept = pikepdf.Array([annot for annot in page.obj.Annots if _harmless_link(annot)])
                page.obj.Annots = kept
        if "/Info" in pdf.trailer:
            del pdf.trailer["/Info"]
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, linearize=False)
        return out.getvalue()
