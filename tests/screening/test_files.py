"""Every format and trick of the generated corpus, through ``screen_file``."""

from __future__ import annotations

import io
import zipfile

from PIL import Image
from pypdf import PdfReader

from clearance.screening import ScreeningRules, Verdict, combine, screen_file
from tests.screening import corpus as c


def rule_ids(result: object) -> set[str]:
    return {f.rule for f in result.findings}  # type: ignore[attr-defined]


def test_docx_stamp_in_body_blocks(rules: ScreeningRules) -> None:
    result = screen_file(c.docx([c.para(c.run("MẬT")), c.para(c.run("Báo cáo"))]), "a.docx", rules)
    assert result.verdict is Verdict.BLOCKED
    assert result.level == "mat"


def test_docx_stamp_in_header_blocks(rules: ScreeningRules) -> None:
    data = c.docx([c.para(c.run("Bài viết về mật ong."))], header="TỐI MẬT")
    result = screen_file(data, "b.docx", rules)
    assert result.verdict is Verdict.BLOCKED
    assert any(f.part == "word/header1.xml" for f in result.findings)


def test_docx_hidden_run_and_comment(rules: ScreeningRules) -> None:
    data = c.docx(
        [c.para(c.run("Du lịch biển"), c.run("TUYỆT MẬT", hidden=True))], comment="ĐT 0905 123 456"
    )
    result = screen_file(data, "c.docx", rules)
    assert {"meta.hidden_content", "meta.comments", "pii.phone"} <= rule_ids(result)


def test_docx_tracked_deletion_is_screened_and_removed(rules: ScreeningRules) -> None:
    deleted = '<w:del w:id="1"><w:r><w:delText>TỐI MẬT</w:delText></w:r></w:del>'
    data = c.docx([f"<w:p>{deleted}</w:p>", c.para(c.run("Tin du lịch"))])
    result = screen_file(data, "d.docx", rules)
    assert result.verdict is Verdict.BLOCKED
    benign = c.docx(
        ['<w:p><w:del w:id="1"><w:r><w:delText>bản nháp cũ</w:delText></w:r></w:del></w:p>']
    )
    cleaned = screen_file(benign, "e.docx", rules)
    assert cleaned.sanitized is not None
    with zipfile.ZipFile(io.BytesIO(cleaned.sanitized)) as zf:
        assert b"delText" not in zf.read("word/document.xml")
        assert b"Nguy" not in zf.read("docProps/core.xml")


def test_clear_docx_is_clear(rules: ScreeningRules) -> None:
    data = c.docx([c.para(c.run("Lễ hội du lịch biển Đà Nẵng thu hút du khách."))])
    result = screen_file(data, "f.docx", rules)
    assert result.verdict is Verdict.CLEAR
    assert result.sanitized is not None


def test_macro_document_is_refused(rules: ScreeningRules) -> None:
    data = c.docx([c.para(c.run("x"))], extra_parts={"word/vbaProject.bin": b"\x00" * 10})
    result = screen_file(data, "g.docx", rules)
    assert result.verdict is Verdict.BLOCKED
    assert "macro" in (result.held_reason or "")


def test_xlsx_very_hidden_sheet(rules: ScreeningRules) -> None:
    data = c.xlsx([("Tổng hợp", "visible", [["Tên"]]), ("An", "veryHidden", [["TỐI MẬT"]])])
    result = screen_file(data, "h.xlsx", rules)
    assert result.verdict is Verdict.BLOCKED
    assert "meta.hidden_content" in rule_ids(result)


def test_pdf_stamp_metadata_and_javascript(rules: ScreeningRules) -> None:
    data = c.pdf(["SECRET", "Report"], title="TUYỆT MẬT", javascript=True)
    result = screen_file(data, "i.pdf", rules)
    assert result.verdict is Verdict.BLOCKED
    assert result.level == "tuyet_mat"
    assert "meta.active_content" in rule_ids(result)


def test_pdf_earlier_revision_is_screened(rules: ScreeningRules) -> None:
    data = c.pdf_with_revision(["SECRET", "draft"], ["Public notice"])
    result = screen_file(data, "j.pdf", rules)
    assert result.verdict is Verdict.BLOCKED
    assert any(f.part.startswith("revision 1") for f in result.findings)


def test_pdf_derivative_is_rewritten_whole(rules: ScreeningRules) -> None:
    data = c.pdf(["Tourism report"], title="Du lich", javascript=True)
    result = screen_file(data, "k.pdf", rules)
    assert result.verdict is Verdict.REVIEW
    assert result.sanitized is not None
    assert result.sanitized.count(b"%%EOF") == 1
    reader = PdfReader(io.BytesIO(result.sanitized))
    assert "/OpenAction" not in reader.trailer["/Root"]
    assert not reader.metadata


def test_jpeg_gps_is_found_and_stripped(rules: ScreeningRules) -> None:
    result = screen_file(c.jpeg_with_gps("Ảnh hội nghị"), "l.jpg", rules)
    assert result.verdict is Verdict.REVIEW
    assert {"meta.gps", "geo.coordinates"} <= rule_ids(result)
    assert result.sanitized is not None
    clean = Image.open(io.BytesIO(result.sanitized))
    assert not clean.getexif()


def test_png_text_chunk_stamp(rules: ScreeningRules) -> None:
    assert screen_file(c.png("MẬT"), "m.png", rules).verdict is Verdict.BLOCKED


def test_html_hidden_comment_and_script(rules: ScreeningRules) -> None:
    html = (
        "<html><body><p>Tin du lịch</p><div style='display:none'>TỐI MẬT</div>"
        "<!-- ghi chú --><script>x()</script></body></html>"
    ).encode()
    result = screen_file(html, "n.html", rules)
    assert result.verdict is Verdict.BLOCKED
    assert {"meta.hidden_content", "meta.active_content", "meta.comments"} <= rule_ids(result)


def test_svg_script_and_external_reference(rules: ScreeningRules) -> None:
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
        b'<image xlink:href="https://example.org/x.png"/><script>alert(1)</script></svg>'
    )
    result = screen_file(svg, "o.svg", rules)
    assert result.verdict is Verdict.REVIEW
    assert {"meta.active_content", "meta.external_references"} <= rule_ids(result)


def test_utf16_text_and_undecodable_text(rules: ScreeningRules) -> None:
    assert screen_file("Độ mật: Mật".encode("utf-16"), "p.txt", rules).verdict is Verdict.BLOCKED
    held = screen_file(b"Tin tuc moi " + b"\xe0\x80\x81 \xc0", "q.txt", rules)
    assert held.verdict is Verdict.REVIEW
    assert held.held_reason


def test_type_checks(rules: ScreeningRules) -> None:
    exe = screen_file(b"MZ\x90\x00" + bytes(300), "r.exe", rules)
    mismatch = screen_file(b"hello world", "s.pdf", rules)
    channel = screen_file(c.png(), "t.png", rules, allowed_types=frozenset({"application/pdf"}))
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a.txt", "x")
    zipped = screen_file(archive.getvalue(), "u.docx", rules)
    for result in (exe, mismatch, channel, zipped):
        assert result.verdict is Verdict.BLOCKED, result


def test_polyglot_is_held(rules: ScreeningRules) -> None:
    result = screen_file(c.png() + b"%PDF-1.4\n", "v.png", rules)
    assert result.verdict is Verdict.REVIEW
    assert "polyglot" in (result.held_reason or "")


def test_zip_bomb_is_held(rules: ScreeningRules) -> None:
    body = c.para(c.run("a")) * 10
    bomb = c.docx([body], extra_parts={"word/media/zeros.bin": bytes(150 * 1024 * 1024)})
    result = screen_file(bomb, "w.docx", rules)
    assert result.verdict is Verdict.REVIEW
    assert "bomb" in (result.held_reason or "") or "expands" in (result.held_reason or "")


def test_embedded_docx_is_screened(rules: ScreeningRules) -> None:
    inner = c.docx([c.para(c.run("TỐI MẬT"))])
    outer = c.docx(
        [c.para(c.run("Báo cáo du lịch"))], extra_parts={"word/embeddings/inner.docx": inner}
    )
    result = screen_file(outer, "x.docx", rules)
    assert result.verdict is Verdict.BLOCKED
    assert any(f.part.startswith("word/embeddings/inner.docx >") for f in result.findings)


def test_combine_takes_the_worst(rules: ScreeningRules) -> None:
    clear = screen_file(c.png(), "y.png", rules)
    blocked = screen_file(c.png("MẬT"), "z.png", rules)
    assert combine([]) is Verdict.CLEAR
    assert combine([clear, blocked]) is Verdict.BLOCKED


OLE_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


def test_embedded_ole_object_is_held_with_a_reason(rules: ScreeningRules) -> None:
    data = c.docx(
        [c.para(c.run("Bảng số liệu du lịch"))],
        extra_parts={"word/embeddings/oleObject1.bin": OLE_HEADER + b"Equation.3" * 10},
    )
    result = screen_file(data, "ole.docx", rules)
    assert result.verdict is Verdict.REVIEW
    held = [f for f in result.findings if f.rule == "screening.held"]
    assert held and "oleObject1.bin cannot be inspected" in held[0].message
    assert held[0].part.startswith("word/embeddings/oleObject1.bin")


def test_embedded_ole_package_with_an_executable_is_blocked(rules: ScreeningRules) -> None:
    package = OLE_HEADER + b"\x01Ole10Native\x00\x00\x02\x00invoice.exe\x00C:\\tmp\\invoice.exe\x00"
    data = c.docx([c.para(c.run("x"))], extra_parts={"word/embeddings/oleObject2.bin": package})
    result = screen_file(data, "ole2.docx", rules)
    assert result.verdict is Verdict.BLOCKED
    assert any("invoice.exe" in f.message for f in result.findings)


def test_sanitised_docx_drops_hidden_runs(rules: ScreeningRules) -> None:
    data = c.docx([c.para(c.run("Du lịch biển"), c.run("ghi chú ẩn", hidden=True))])
    result = screen_file(data, "hidden.docx", rules)
    assert result.verdict is Verdict.REVIEW  # hidden content is looked at by a human
    assert result.sanitized is not None
    with zipfile.ZipFile(io.BytesIO(result.sanitized)) as zf:
        body = zf.read("word/document.xml").decode()
    assert "Du lịch biển" in body
    assert "ghi chú ẩn" not in body and "vanish" not in body


def test_sanitised_xlsx_drops_comments_and_properties(rules: ScreeningRules) -> None:
    rels = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/comments" Target="../comments1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/vmlDrawing" Target="../drawings/vmlDrawing1.vml"/></Relationships>'
    )
    comments = (
        '<comments xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><commentList>'
        '<comment ref="A1"><text><t>anh Bình xem lại</t></text></comment></commentList></comments>'
    )
    overrides = (
        '<Override PartName="/xl/comments1.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.comments+xml"/>'
    )
    data = c.xlsx(
        [("Tổng hợp", "visible", [["Khách du lịch"]])],
        extra_parts={
            "xl/comments1.xml": comments,
            "xl/drawings/vmlDrawing1.vml": "<xml><v:shape/></xml>",
            "xl/worksheets/_rels/sheet1.xml.rels": rels,
        },
        content_types=overrides,
    )
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        parts: dict[str, str | bytes] = {name: zf.read(name) for name in zf.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    assert isinstance(sheet, bytes)
    parts["xl/worksheets/sheet1.xml"] = sheet.replace(
        b"</sheetData>",
        b'</sheetData><legacyDrawing xmlns:r="http://schemas.openxmlformats.org/'
        b'officeDocument/2006/relationships" r:id="rId2"/>',
    )
    data = c._zip(parts)
    result = screen_file(data, "comments.xlsx", rules)
    assert "meta.comments" in rule_ids(result)
    assert result.sanitized is not None
    with zipfile.ZipFile(io.BytesIO(result.sanitized)) as zf:
        names = set(zf.namelist())
        assert "xl/comments1.xml" not in names and "xl/drawings/vmlDrawing1.vml" not in names
        assert b"comments1" not in zf.read("[Content_Types].xml")
        assert b"Target" not in zf.read("xl/worksheets/_rels/sheet1.xml.rels")
        assert b"legacyDrawing" not in zf.read("xl/worksheets/sheet1.xml")
        assert b"Nguy" not in zf.read("docProps/core.xml")
        assert "Khách du lịch".encode() in zf.read("xl/sharedStrings.xml")
