"""PDF coverage: a stamp in any place a viewer draws or a reader reaches is found; the same places
holding benign text stay unblocked; what is not read is an ``uninspected`` finding with the object
number; a damaged file is held and what either engine read is screened."""

from __future__ import annotations

import io
from collections.abc import Callable

import pikepdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from clearance.screening import ScreeningRules, Verdict, screen_file
from clearance.screening.extract.pdf_glyphs import Glyph
from clearance.screening.extract.pdf_lines import reading_text
from tests.screening import corpus, corpus_ocr
from tests.screening import corpus_pdf as c

Builder = Callable[[str], bytes]


def _form(text: str) -> bytes:
    doc = c.PdfDoc()
    form = doc.form(c.text_op(text, 72, 600))
    doc.page(c.letter("/X1 Do"), XObject=pikepdf.Dictionary(X1=form))
    return doc.save()


def _nested_shared_form(text: str) -> bytes:
    doc = c.PdfDoc()
    inner = doc.form(c.text_op(text, 72, 600))
    outer = doc.form("q 1 0 0 1 0 -100 cm /In Do Q", XObject=pikepdf.Dictionary(In=inner))
    for _ in range(2):
        doc.page(c.letter("/X1 Do"), XObject=pikepdf.Dictionary(X1=outer))
    return doc.save()


def _unused_form(text: str) -> bytes:
    doc = c.PdfDoc()
    doc.page(c.letter(), XObject=pikepdf.Dictionary(X9=doc.form(c.text_op(text, 72, 600))))
    return doc.save()


def _annotation(subtype: str) -> Builder:
    def build(text: str) -> bytes:
        doc = c.PdfDoc()
        page = doc.page(c.letter())
        doc.annotation(page, subtype, c.text_op(text, 10, 10))
        return doc.save()

    return build


def _field_off_page(text: str) -> bytes:
    doc = c.PdfDoc()
    doc.page(c.letter())
    doc.field("ghi_chu", text)
    return doc.save()


def _field_tooltip(text: str) -> bytes:
    doc = c.PdfDoc()
    page = doc.page(c.letter())
    doc.field("so", "12/UBND", page=page)
    doc.pdf.Root.AcroForm.Fields[0].TU = pikepdf.String(text)
    return doc.save()


def _xfa(packet: str) -> Builder:
    def build(text: str) -> bytes:
        doc = c.PdfDoc()
        doc.page(c.letter())
        packets = {"template": "<template><subform/></template>", "datasets": "<xfa:data/>"}
        packets[packet] = f"<{packet}><field><value><text>{text}</text></value></field></{packet}>"
        doc.xfa(packets)
        return doc.save()

    return build


def _glyphs(order: str) -> Builder:
    return lambda text: c.one_page(c.letter(c.glyphs_op(text, 300, 810, order=order)))


def _rotated_page(text: str) -> bytes:
    return c.one_page(c.letter(c.text_op(text, 300, 810)), rotate=90)


def _turned_text(text: str) -> bytes:
    return c.one_page(c.letter(c.text_op(text, 560, 300, angle=90)))


def _hidden_layer(text: str) -> bytes:
    doc = c.PdfDoc()
    group = doc.layer("Lớp ẩn", hidden=True)
    content = c.letter(f"/OC /L1 BDC {c.text_op(text, 72, 600)} EMC")
    doc.page(content, Properties=pikepdf.Dictionary(L1=group))
    return doc.save()


def _bookmark(text: str) -> bytes:
    doc = c.PdfDoc()
    doc.page(c.letter())
    doc.outline(text)
    return doc.save()


PLACES: dict[str, Builder] = {
    "form xobject": _form,
    "nested shared form xobject": _nested_shared_form,
    "form xobject no page draws": _unused_form,
    "stamp annotation appearance": _annotation("/Stamp"),
    "freetext annotation appearance": _annotation("/FreeText"),
    "widget appearance": _annotation("/Widget"),
    "form field value off any page": _field_off_page,
    "form field tooltip": _field_tooltip,
    "xfa template": _xfa("template"),
    "xfa datasets": _xfa("datasets"),
    "glyphs drawn in reverse": _glyphs("reversed"),
    "glyphs drawn shuffled": _glyphs("shuffled"),
    "rotated page": _rotated_page,
    "turned text": _turned_text,
    "hidden layer": _hidden_layer,
    "bookmark": _bookmark,
}


@pytest.mark.parametrize("place", sorted(PLACES))
def test_a_stamp_in_any_place_blocks(rules: ScreeningRules, place: str) -> None:
    result = screen_file(PLACES[place](c.STAMP), "a.pdf", rules)
    assert result.verdict is Verdict.BLOCKED, result.findings
    assert any(f.rule == "marking.mat" for f in result.findings)


@pytest.mark.parametrize("place", sorted(PLACES))
def test_benign_text_in_the_same_place_is_not_blocked(rules: ScreeningRules, place: str) -> None:
    result = screen_file(PLACES[place](c.NEAR_MISS), "a.pdf", rules)
    assert result.verdict is not Verdict.BLOCKED, result.findings
    assert not [f for f in result.findings if f.rule.startswith("marking.")]
    if place != "hidden layer":  # a hidden layer is hidden content: review by policy
        assert result.verdict is Verdict.CLEAR, result.findings


def test_english_stamp_in_a_form_field_blocks(rules: ScreeningRules) -> None:
    assert screen_file(_field_off_page("TOP SECRET"), "a.pdf", rules).verdict is not Verdict.CLEAR


def test_hidden_layer_is_read_and_reported(rules: ScreeningRules) -> None:
    result = screen_file(_hidden_layer(c.NEAR_MISS), "a.pdf", rules)
    assert "meta.hidden_content" in {f.rule for f in result.findings}
    assert any(cov.part == "page 1" and cov.chars > len(c.NEAR_MISS) for cov in result.coverage)


def test_damaged_file_pypdf_cannot_read_blocks_on_what_pdfium_shows(rules: ScreeningRules) -> None:
    data = c.damaged_xref(c.one_page(c.letter(c.text_op(c.STAMP, 300, 810))))
    result = screen_file(data, "a.pdf", rules)
    assert result.verdict is Verdict.BLOCKED
    held = [f for f in result.findings if f.rule == "screening.uninspected" and f.part == "file"]
    assert held and "damage" in held[0].message
    assert any(f.rule == "marking.mat" and "pdfium" in f.part for f in result.findings)


def test_damaged_benign_file_is_held_not_cleared(rules: ScreeningRules) -> None:
    data = c.damaged_xref(c.one_page(c.letter(c.text_op(c.NEAR_MISS, 72, 600))))
    result = screen_file(data, "a.pdf", rules)
    assert result.verdict is Verdict.REVIEW
    assert any("qpdf reports damage" in f.message for f in result.findings)


def test_sound_file_has_no_second_opinion_finding(rules: ScreeningRules) -> None:
    result = screen_file(c.one_page(c.letter()), "a.pdf", rules)
    assert result.verdict is Verdict.CLEAR, result.findings


@pytest.mark.parametrize("on_page", [False, True], ids=["name tree", "file attachment annot"])
def test_embedded_docx_is_screened_by_its_own_type(rules: ScreeningRules, on_page: bool) -> None:
    def build(text: str) -> bytes:
        doc = c.PdfDoc()
        page = doc.page(c.letter())
        inner = corpus.docx([corpus.para(corpus.run(text))])
        doc.attach("bao-cao.docx", inner, page=page if on_page else None)
        return doc.save()

    stamped = screen_file(build("TỐI MẬT"), "a.pdf", rules)
    assert stamped.verdict is Verdict.BLOCKED
    assert any(f.part.endswith("bao-cao.docx > word/document.xml") for f in stamped.findings)
    benign = screen_file(build(c.NEAR_MISS), "a.pdf", rules)
    assert benign.verdict is Verdict.REVIEW  # attachments are reviewed by policy, never refused
    assert not [f for f in benign.findings if f.rule in ("screening.refused", "marking.mat")]
    assert any(cov.part.endswith("bao-cao.docx > word/document.xml") for cov in benign.coverage)


def _image_page(image: Image.Image, *, extra: str = "") -> bytes:
    doc = c.PdfDoc()
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="JPEG", quality=90)
    stream = doc.pdf.make_stream(buffer.getvalue())
    stream.Type, stream.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
    stream.Width, stream.Height = image.size
    stream.BitsPerComponent, stream.ColorSpace = 8, pikepdf.Name.DeviceRGB
    stream.Filter = pikepdf.Name.DCTDecode
    placed = f"q {image.size[0] * 0.4:.1f} 0 0 {image.size[1] * 0.4:.1f} 72 60 cm /Im1 Do Q"
    doc.page(c.letter(placed + extra), XObject=pikepdf.Dictionary(Im1=stream))
    return doc.save()


def test_unknown_stream_is_uninspected_and_images_are_read(rules: ScreeningRules) -> None:
    data = _image_page(Image.new("RGB", (4, 4), "white"))
    with pikepdf.open(io.BytesIO(data)) as pdf:
        pdf.Root.Mystery = pdf.make_stream(b"MAT hidden payload")
        out = io.BytesIO()
        pdf.save(out)
    with pikepdf.open(io.BytesIO(out.getvalue())) as pdf:
        mystery = pdf.Root.Mystery.objgen[0]
        image = pdf.pages[0].Resources.XObject.Im1.objgen[0]
    result = screen_file(out.getvalue(), "a.pdf", rules)
    assert result.verdict is Verdict.REVIEW
    unread = [f.part for f in result.findings if f.rule == "screening.uninspected"]
    assert unread == [f"object {mystery}"], unread
    assert any(cov.part == f"object {image} (image 4x4)" for cov in result.coverage)


@pytest.mark.slow
def test_stamp_in_an_image_on_a_text_page_blocks(rules: ScreeningRules) -> None:
    stamped = screen_file(_image_page(corpus_ocr.letter("MẬT")), "a.pdf", rules)
    assert stamped.verdict is Verdict.BLOCKED
    assert any(f.rule == "marking.mat" for f in stamped.findings)
    # a large image makes the page a scan (pdf_ocr renders it); the image is covered by that
    assert any(cov.method.startswith("ocr") and "(image" in cov.part for cov in stamped.coverage)
    benign = screen_file(_image_page(corpus_ocr.letter("HỎA TỐC")), "a.pdf", rules)
    assert benign.verdict is not Verdict.BLOCKED, benign.findings


def test_strings_in_unknown_places_are_screened(rules: ScreeningRules) -> None:
    doc = c.PdfDoc()
    doc.page(c.letter())
    doc.pdf.Root.StructTreeRoot = pikepdf.Dictionary(
        Type=pikepdf.Name.StructTreeRoot, Alt=pikepdf.String("TUYỆT MẬT")
    )
    result = screen_file(doc.save(), "a.pdf", rules)
    assert result.verdict is Verdict.BLOCKED


def test_derivative_keeps_only_what_was_read(rules: ScreeningRules) -> None:
    doc = c.PdfDoc()
    page = doc.page(c.letter())
    doc.field("ghi_chu", "Lịch trình tham quan", page=page)
    doc.xfa({"template": "<template/>", "datasets": "<data/>"})
    doc.pdf.Root.OpenAction = pikepdf.Dictionary(
        S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)")
    )
    doc.attach("ghi-chu.txt", "Lịch trình tham quan".encode())
    doc.pdf.Root.Mystery = pikepdf.Dictionary(Note=pikepdf.String("x"))
    result = screen_file(doc.save(), "a.pdf", rules)
    assert result.sanitized is not None
    with pikepdf.open(io.BytesIO(result.sanitized)) as pdf:
        assert set(pdf.Root.keys()) <= {"/Type", "/Pages", "/Names"}
        assert "/EmbeddedFiles" not in pdf.Root.get("/Names", {})
        assert not list(pdf.pages[0].obj.get("/Annots", []))
        assert not any(
            isinstance(o, pikepdf.Stream) and o.get("/Type") == pikepdf.Name.EmbeddedFile
            for o in pdf.objects
        )
    dropped = " ".join(f.message for f in result.findings if f.rule == "screening.sanitised")
    for what in ("form fields and XFA", "open action", "EmbeddedFiles", "/Mystery", "annotations"):
        assert what in dropped, dropped


def test_coverage_names_every_page_and_annotation(rules: ScreeningRules) -> None:
    doc = c.PdfDoc()
    page = doc.page(c.letter())
    doc.page(c.letter(c.text_op("Trang hai", 72, 500)))
    doc.annotation(page, "/FreeText", c.text_op("Ghi chú", 10, 10))
    coverage = screen_file(doc.save(), "a.pdf", rules).coverage
    parts = {cov.part: cov for cov in coverage if cov.method != "ocr"}
    assert parts["page 1"].method == "text" and parts["page 1"].chars > 200
    assert parts["page 2"].chars == parts["page 1"].chars + len("Trang hai") + 1
    assert parts["page 1 annotation 1 (FreeText) appearance"].chars == len("Ghi chú")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from("MẬTỐIUYỆabcđơ"), min_size=1, max_size=12),
    st.randoms(use_true_random=False),
)
def test_reading_order_does_not_depend_on_drawing_order(letters: list[str], rnd: object) -> None:
    glyphs = [Glyph(ch, 100 + 7.2 * i, 700, 0, 12, 7.2) for i, ch in enumerate(letters)]
    shuffled = list(glyphs)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert reading_text(shuffled) == reading_text(glyphs) == "".join(letters)


@settings(max_examples=15, deadline=None)
@given(st.permutations(range(3)), st.sampled_from([0, 90, 180, 270]))
def test_stamp_drawn_in_any_glyph_order_and_turn_blocks(
    rules: ScreeningRules, order: list[int], rotate: int
) -> None:
    ops = ["BT /F1 14 Tf"]
    for index in order:
        ops.append(f"1 0 0 1 {300 + index * 8.4:.1f} 810 Tm {c.hex_text(c.STAMP[index])} Tj")
    ops.append("ET")
    data = c.one_page(c.letter("\n".join(ops)), rotate=rotate)
    assert screen_file(data, "a.pdf", rules).verdict is Verdict.BLOCKED


def test_second_engine_rule_counts_only_what_the_first_reading_missed() -> None:
    from clearance.screening.extract.pdf_second import is_material, missing_lines

    assert is_material("", "ỦY BAN NHÂN DÂN TỈNH\nMẬT")
    assert not is_material("ỦY BAN NHÂN DÂN TỈNH MẬT", "TỈNH ỦY BAN NHÂN DÂN\nMẬT")
    assert not is_material("Độ mật: Thường", "m t: Th ng")  # the second engine dropped glyphs
    assert missing_lines("Thông cáo báo chí", "Thông cáo\nbáo chí\nMẬT") == ["MẬT"]
