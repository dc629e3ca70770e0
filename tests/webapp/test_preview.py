"""The approver's preview of PDF and DOCX attachments: text per page and per paragraph, from the
sanitized bytes, every string escaped; downloads stay."""

from __future__ import annotations

import io
import zipfile
from xml.sax.saxutils import escape

from flask import Flask

from tests.screening.corpus import pdf_pages
from tests.webapp.helpers import browser
from tests.webapp.test_story import BODY
from webapp.preview import DOCX, PDF, build_preview

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def make_docx(paragraphs: list[str], *, hidden: str | None = None) -> bytes:
    """A minimal DOCX; ``hidden`` adds a run marked ``w:vanish`` to the last paragraph."""

    def run(text: str, vanish: bool = False) -> str:
        props = "<w:rPr><w:vanish/></w:rPr>" if vanish else ""
        return f'<w:r>{props}<w:t xml:space="preserve">{escape(text)}</w:t></w:r>'

    body = [f"<w:p>{run(text)}</w:p>" for text in paragraphs]
    if hidden is not None:
        body.append(f"<w:p>{run(hidden, vanish=True)}</w:p>")
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
            'package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
            'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="word/document.xml"/></Relationships>'
        ),
        "word/document.xml": (
            f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{W_NS}"><w:body>'
            f"{''.join(body)}</w:body></w:document>"
        ),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in parts.items():
            zf.writestr(name, content)
    return out.getvalue()


def submit_to_press(app: Flask, files: dict[str, bytes]) -> str:
    """An item for the press channel (the one that accepts DOCX) with ``files`` attached."""
    author = browser(app, "tac.gia")
    response = author.post(
        "/author/submit",
        {
            "title": "Lễ hội mùa xuân",
            "body": BODY,
            "channels": ["press"],
            "declared_level": "cong_khai",
            "attachments": [(io.BytesIO(content), name) for name, content in files.items()],
            "submit": "1",
        },
        form_page="/author/submit",
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response.headers["Location"].rsplit("/", 1)[-1]


def test_pdf_preview_is_text_per_page() -> None:
    preview = build_preview(PDF, pdf_pages([["First page", "line two"], ["Second page"]]))
    assert preview is not None and preview.problem is None
    pages = [s for s in preview.sections if s.kind == "page"]
    assert [s.number for s in pages] == [1, 2]
    assert "First page" in pages[0].paragraphs[0] and "line two" in pages[0].paragraphs[0]
    assert "Second page" in pages[1].paragraphs[0]


def test_docx_preview_is_paragraphs_in_order() -> None:
    preview = build_preview(DOCX, make_docx(["Một", "Hai", "Ba"]))
    assert preview is not None and preview.problem is None
    body = preview.sections[0]
    assert body.kind == "document" and body.paragraphs == ("Một", "Hai", "Ba")


def test_unreadable_and_unsupported_files_have_no_preview() -> None:
    broken = build_preview(PDF, b"%PDF-1.7 not really")
    assert broken is not None and broken.problem is not None and not broken.sections
    assert build_preview("application/zip", b"PK") is None
    empty = build_preview(DOCX, make_docx([]))
    assert empty is not None and empty.problem == "no_text"


def test_long_documents_are_cut_with_a_notice() -> None:
    import webapp.preview as preview_module

    text = ["x" * 300] * 5
    full = build_preview(DOCX, make_docx(text))
    assert full is not None and not full.truncated
    sections, truncated = preview_module._cut(full.sections, 700)
    assert truncated and sum(len(p) for s in sections for p in s.paragraphs) == 700


def test_approver_sees_sanitized_escaped_previews_and_downloads(app: Flask) -> None:
    hostile = "<script>alert(1)</script>"
    pdf = pdf_pages([["Trang mot: le hoi", hostile], ["Trang hai: chuong trinh"]])
    docx = make_docx(["Đoạn một về lễ hội.", f"Đoạn hai {hostile}"], hidden="GHI CHU AN")
    item_id = submit_to_press(app, {"le-hoi.pdf": pdf, "chuong-trinh.docx": docx})

    approver = browser(app, "lanh.dao")
    page = approver.get(f"/approvals/items/{item_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Trang mot: le hoi" in html and "Trang hai: chuong trinh" in html
    assert "Trang 1" in html and "Trang 2" in html  # page headings, in Vietnamese
    assert "<p>Đoạn một về lễ hội.</p>" in html
    assert hostile not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "GHI CHU AN" not in html  # the sanitized DOCX dropped the hidden run
    # the downloads are the sanitized bytes, as opaque attachments
    links = [
        part.split('"')[0]
        for part in html.split('href="')[1:]
        if f"/items/{item_id}/r/1/parts/" in part.split('"')[0]
    ]
    assert len(links) == 2
    for link in links:
        response = approver.client.get(link.replace("&amp;", "&"))
        assert response.status_code == 200
        assert response.mimetype == "application/octet-stream"
        assert response.headers["Content-Disposition"].startswith("attachment;")
