"""Office documents whose marking only shows when rendered: list numbering that spells the stamp
(``w:lvlText``), a DOCPROPERTY field whose result is computed from a custom property, and their
benign twins (near-misses), built by code."""

from __future__ import annotations

from xml.sax.saxutils import escape

from tests.screening import corpus as c

W = c.W_NS
_DOC_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    "{rels}</Relationships>"
)
_NUMBERING_REL = (
    '<Relationship Id="rIdNum" Target="numbering.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/numbering"/>'
)


def _filler(lines: int, page: int) -> list[str]:
    return [
        c.para(c.run(f"Trang {page}, mục {i}: kế hoạch tổ chức lễ hội du lịch biển năm 2026."))
        for i in range(lines)
    ]


def page_break() -> str:
    return '<w:p><w:r><w:br w:type="page"/></w:r></w:p>'


def numbered_docx(label: str, *, pages: int = 2, text: str = "") -> bytes:
    """A letter whose last page opens with a list item numbered ``label`` (``%1`` is the number)
    and reading ``text``: the label exists only in numbering.xml's ``w:lvlText``, the rendered
    page shows it."""
    numbering = (
        f'<w:numbering xmlns:w="{W}"><w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0">'
        f'<w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="{escape(label)}"/>'
        '</w:lvl></w:abstractNum><w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num>'
        "</w:numbering>"
    )
    item = (
        '<w:p><w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr>'
        f"{c.run(text) if text else ''}</w:p>"
    )
    body: list[str] = []
    for page in range(1, pages):
        body += [*_filler(6, page), page_break()]
    body += [item, c.para(c.run("BÁO CÁO TÌNH HÌNH")), *_filler(4, pages)]
    return c.docx(
        body,
        extra_parts={
            "word/numbering.xml": numbering,
            "word/_rels/document.xml.rels": _DOC_RELS.format(rels=_NUMBERING_REL),
        },
    )


def five_page_docx() -> bytes:
    """A benign five-page press release (the render bench)."""
    body: list[str] = []
    for page in range(1, 6):
        body += _filler(30, page)
        if page < 5:
            body.append(page_break())
    return c.docx(body, header="UBND TỈNH")
