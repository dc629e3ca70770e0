"""PDF derivative with pikepdf (qpdf): only what the extractor reads and a viewer needs is kept.

The catalogue and every page keep only the keys on an allow list (page tree, content, resources,
boxes, links, labels, bookmarks, structure, layers); everything else goes: document and page
actions, JavaScript, XFA and form fields, embedded files and associated files (``/AF``, on
any object kept: their children are screened but not rebuilt), annotations other than plain links, XMP and document information, page-piece data,
thumbnails. Bookmarks keep only in-document jumps. Resources no content uses are removed, and
the file is written whole (never an incremental update), which drops every earlier revision and
every object nothing points to. :func:`sanitise_pdf_report` also says what was left out.
"""

from __future__ import annotations

import io

import pikepdf

_CATALOG_KEEP = {
    "/Type", "/Version", "/Pages", "/PageLabels", "/PageLayout", "/PageMode", "/Lang",
    "/MarkInfo", "/StructTreeRoot", "/Outlines", "/Dests", "/ViewerPreferences", "/OCProperties",
    "/Names",
}  # fmt: skip
_PAGE_KEEP = {
    "/Type", "/Parent", "/Resources", "/MediaBox", "/CropBox", "/BleedBox", "/TrimBox",
    "/ArtBox", "/Contents", "/Rotate", "/Annots", "/UserUnit", "/Group", "/Tabs", "/StructParents",
}  # fmt: skip
_DESCRIBED = {
    "/AcroForm": "form fields and XFA forms",
    "/Metadata": "XMP metadata",
    "/OpenAction": "the open action",
    "/AA": "automatic actions",
    "/PieceInfo": "application data (page pieces)",
    "/Thumb": "page thumbnails",
    "/AF": "associated files (screened, not rebuilt)",
}
_SAFE_ACTIONS = {pikepdf.Name.GoTo, pikepdf.Name.URI}
MAX_OUTLINE_ITEMS = 100_000


def _harmless_link(annot: pikepdf.Object) -> bool:
    if annot.get("/Subtype") != pikepdf.Name.Link:
        return False
    action = annot.get("/A")
    return action is None or action.get("/S") in _SAFE_ACTIONS


def _outline_actions(root: pikepdf.Object, dropped: set[str]) -> None:
    outlines = root.get("/Outlines")
    if outlines is None:
        return
    stack = [outlines.get("/First")]
    seen: set[tuple[int, int]] = set()
    while stack and len(seen) < MAX_OUTLINE_ITEMS:
        item = stack.pop()
        if not isinstance(item, pikepdf.Dictionary) or item.objgen in seen:
            continue
        if item.is_indirect:
            seen.add(item.objgen)
        action = item.get("/A")
        if action is not None and action.get("/S") != pikepdf.Name.GoTo:
            del item["/A"]
            dropped.add("bookmark actions other than jumps inside the document")
        stack.extend([item.get("/Next"), item.get("/First")])


def _drop_associated(obj: pikepdf.Object, dropped: set[str], depth: int = 0) -> None:
    """Remove every ``/AF`` (associated files) from ``obj`` and its direct parts: kept
    structure elements and links may carry them (the catalogue's and pages' go by the allow
    lists)."""
    if depth > 64:
        return
    if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
        if "/AF" in obj:
            del obj["/AF"]
            dropped.add(_DESCRIBED["/AF"])
        children = [obj.get(key) for key in list(obj.keys())]
    elif isinstance(obj, pikepdf.Array):
        children = list(obj)
    else:
        return
    for child in children:
        if isinstance(child, (pikepdf.Dictionary, pikepdf.Array)) and not child.is_indirect:
            _drop_associated(child, dropped, depth + 1)


def sanitise_pdf_report(data: bytes) -> tuple[bytes, list[str]]:
    """The derivative and a sorted list of what it leaves out."""
    dropped: set[str] = set()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        root = pdf.Root
        for key in list(root.keys()):
            if key not in _CATALOG_KEEP:
                del root[key]
                dropped.add(_DESCRIBED.get(key, f"catalogue entry {key}"))
        names = root.get("/Names")
        if names is not None:
            for key in list(names.keys()):
                if key != "/Dests":
                    del names[key]
                    dropped.add(f"named {key[1:]} (JavaScript, embedded files and the like)")
        _outline_actions(root, dropped)
        for page in pdf.pages:
            obj = page.obj
            for key in list(obj.keys()):
                if key not in _PAGE_KEEP:
                    del obj[key]
                    dropped.add(_DESCRIBED.get(key, f"page entry {key}"))
            if "/Annots" in obj:
                annots = list(obj.Annots)
                kept = [annot for annot in annots if _harmless_link(annot)]
                if len(kept) != len(annots):
                    dropped.add("annotations other than plain links (comments, stamps, fields)")
                obj.Annots = pikepdf.Array(kept)
        for indirect in pdf.objects:
            _drop_associated(indirect, dropped)
        if "/Info" in pdf.trailer:
            del pdf.trailer["/Info"]
            dropped.add("document information")
        pdf.remove_unreferenced_resources()
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True, linearize=False)
    return out.getvalue(), sorted(dropped)


def sanitise_pdf(data: bytes) -> bytes:
    return sanitise_pdf_report(data)[0]
