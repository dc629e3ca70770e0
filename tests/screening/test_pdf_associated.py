"""PDF associated files (PDF 2.0, PDF/A-3 ``/AF``): a file attached through the catalogue's,
a page's, a structure element's or an annotation's ``/AF`` array, never named in the
``EmbeddedFiles`` tree, is screened as a part of its own, appears in the coverage, and is
dropped from the derivative with a ``screening.no_derivative`` finding."""

from __future__ import annotations

import io

import pikepdf
import pytest

from clearance.screening import ScreeningRules, Verdict, screen_file
from clearance.screening.engine import NO_DERIVATIVE_RULE
from tests.screening import corpus as K
from tests.screening import corpus_pdf as P

MARKED_DOCX = K.docx([K.para(K.run("TỐI MẬT")), K.para(K.run("Kế hoạch tuần tra biên giới"))])
MARKED_TXT = "Danh sách cán bộ\nCCCD 001203004567, SĐT 0905 123 456\nMẬT\n".encode()
BENIGN_TXT = "Lễ hội mật ong rừng U Minh, mật độ du khách tăng.".encode()


def _with_associated(name: str, data: bytes, on: str, *, typed: bool = True) -> bytes:
    doc = P.PdfDoc()
    doc.page(P.letter())
    doc.associate(name, data, on=on, typed=typed)
    return doc.save()


def _streams(pdf_bytes: bytes) -> list[bytes]:
    with pikepdf.open(io.BytesIO(pdf_bytes)) as pdf:
        return [obj.read_bytes() for obj in pdf.objects if isinstance(obj, pikepdf.Stream)]


@pytest.mark.parametrize("on", ["catalog", "page", "structure", "link"])
@pytest.mark.parametrize("typed", [True, False])
def test_a_marked_docx_attached_only_through_af_blocks(
    rules: ScreeningRules, on: str, typed: bool
) -> None:
    data = _with_associated("ke-hoach.docx", MARKED_DOCX, on, typed=typed)
    result = screen_file(data, "a.pdf", rules)
    assert result.verdict is Verdict.BLOCKED, result.findings
    marking = [f for f in result.findings if f.rule == "marking.toi_mat"]
    assert marking and all("ke-hoach.docx" in f.part for f in marking), marking
    assert any("ke-hoach.docx" in entry.part for entry in result.coverage), result.coverage


@pytest.mark.parametrize("on", ["catalog", "page", "structure", "link"])
def test_a_marked_text_attached_through_af_is_found_and_dropped(
    rules: ScreeningRules, on: str
) -> None:
    data = _with_associated("danh-sach.txt", MARKED_TXT, on)
    result = screen_file(data, "a.pdf", rules)
    rules_found = {f.rule for f in result.findings if "danh-sach.txt" in f.part}
    assert {"pii.cccd", "marking.mat"} <= rules_found, result.findings
    assert result.verdict is Verdict.BLOCKED


@pytest.mark.parametrize("on", ["catalog", "page", "structure", "link"])
def test_a_benign_associated_file_is_read_then_dropped_with_a_review_finding(
    rules: ScreeningRules, on: str
) -> None:
    data = _with_associated("ghi-chu.txt", BENIGN_TXT, on, typed=on != "page")
    result = screen_file(data, "a.pdf", rules)
    assert result.verdict is Verdict.REVIEW, result.findings
    lost = [f for f in result.findings if f.rule == NO_DERIVATIVE_RULE]
    assert lost and any("ghi-chu.txt" in f.message for f in lost), result.findings
    assert not any(f.rule.startswith("marking.") for f in result.findings), result.findings
    assert result.sanitized is not None
    assert BENIGN_TXT not in _streams(result.sanitized)
    with pikepdf.open(io.BytesIO(result.sanitized)) as pdf:
        assert not any("/AF" in obj for obj in pdf.objects if isinstance(obj, pikepdf.Dictionary))


def test_an_associated_file_also_in_the_name_tree_is_screened_once(rules: ScreeningRules) -> None:
    doc = P.PdfDoc()
    doc.page(P.letter())
    doc.attach("bang.txt", BENIGN_TXT)
    spec = doc.pdf.Root.Names.EmbeddedFiles.Names[1]
    doc.pdf.Root.AF = pikepdf.Array([spec])
    result = screen_file(doc.save(), "a.pdf", rules)
    parts = [e.part for e in result.coverage if "bang.txt" in e.part]
    assert len({p.split(" ", 1)[0] for p in parts}) == 1, parts
    lost = [f for f in result.findings if f.rule == NO_DERIVATIVE_RULE]
    assert len(lost) == 1, lost


# What a page draws: image and Form XObjects, an image inside a form, marked-content property
# lists (drawn under a tag, or only present in the resources). Each file is named by where it
# hangs.
DRAWN = {
    "image": "page 1 XObject Im1 associated file",
    "form": "page 1 XObject Fm1 associated file",
    "nested": "page 1 XObject Fm1 XObject Im1 associated file",
    "marked": "page 1 marked content Figure associated file",
    "unused property": "page 1 marked content MC1 associated file",
}


@pytest.mark.parametrize("on", sorted(DRAWN))
@pytest.mark.parametrize("typed", [True, False])
def test_a_marked_docx_on_what_a_page_draws_blocks_named_by_where_it_hangs(
    rules: ScreeningRules, on: str, typed: bool
) -> None:
    data = _with_associated("ke-hoach.docx", MARKED_DOCX, on, typed=typed)
    result = screen_file(data, "a.pdf", rules)
    assert result.verdict is Verdict.BLOCKED, result.findings
    marking = [f for f in result.findings if f.rule == "marking.toi_mat"]
    assert marking, result.findings
    assert all(f.part.startswith(f"{DRAWN[on]} ke-hoach.docx > ") for f in marking), marking
    assert not [f for f in result.findings if f.rule == "screening.uninspected"], result.findings


@pytest.mark.parametrize("on", sorted(DRAWN))
def test_a_benign_file_on_what_a_page_draws_is_read_and_in_the_coverage(
    rules: ScreeningRules, on: str
) -> None:
    data = _with_associated("ghi-chu.txt", BENIGN_TXT, on)
    result = screen_file(data, "a.pdf", rules)
    assert not [f for f in result.findings if f.rule == "screening.uninspected"], result.findings
    assert not any(f.rule.startswith("marking.") for f in result.findings), result.findings
    read = [e for e in result.coverage if e.part.startswith(f"{DRAWN[on]} ghi-chu.txt > ")]
    assert read and read[0].chars == len(BENIGN_TXT.decode()), result.coverage
    # as for the catalogue's files: read, then left out of the derivative, which says so
    assert result.verdict is Verdict.REVIEW, result.findings
    lost = [f for f in result.findings if f.rule == NO_DERIVATIVE_RULE]
    assert [f.message for f in lost if "ghi-chu.txt" in f.message], result.findings
    assert result.sanitized is not None
    assert BENIGN_TXT not in _streams(result.sanitized)
    with pikepdf.open(io.BytesIO(result.sanitized)) as pdf:
        assert not any(
            "/AF" in obj
            for obj in pdf.objects
            if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream))
        )


def test_a_file_shared_by_a_tag_and_the_resources_is_read_once_under_the_tag(
    rules: ScreeningRules,
) -> None:
    data = _with_associated("ke-hoach.docx", MARKED_DOCX, "marked")
    result = screen_file(data, "a.pdf", rules)
    parts = {e.part.split(" > ", 1)[0] for e in result.coverage if "ke-hoach.docx" in e.part}
    assert parts == {"page 1 marked content Figure associated file ke-hoach.docx"}, parts


# Every /AF reference is read or reported: an /AF entry that names no file, names something
# that is not a file specification, or a specification without its file, holds the PDF for
# review with an ``uninspected`` finding naming where it hangs; an /AF entry on an object no
# named reader walks (a font, the outline) is still read.
UNINSPECTED = "screening.uninspected"


def _spec(name: str, **entries: object) -> pikepdf.Dictionary:
    return pikepdf.Dictionary(Type=pikepdf.Name.Filespec, F=pikepdf.String(name), **entries)


def _benign_with(af: object) -> bytes:
    doc = P.PdfDoc()
    doc.page(P.letter())
    doc.pdf.Root.AF = af
    return doc.save()


@pytest.mark.parametrize(
    ("af", "named"),
    [
        (pikepdf.Array([]), ["associated file"]),
        (pikepdf.Array([5]), ["associated file"]),
        (pikepdf.Array([None]), ["associated file"]),
        (
            pikepdf.Array(
                [_spec("a.txt", EF=pikepdf.Dictionary()), _spec("b.txt", EF=pikepdf.Dictionary())]
            ),
            ["associated file a.txt", "associated file b.txt"],
        ),
    ],
    ids=["empty", "number", "null", "two-without-stream"],
)
def test_an_af_entry_with_nothing_embedded_is_held_not_clear(
    rules: ScreeningRules, af: object, named: list[str]
) -> None:
    result = screen_file(_benign_with(af), "a.pdf", rules)
    assert result.verdict is Verdict.REVIEW, result.findings
    parts = [f.part for f in result.findings if f.rule == UNINSPECTED]
    assert parts == named, result.findings


def _on_unwalked(doc: P.PdfDoc, spec: pikepdf.Object, holder: str) -> None:
    if holder == "font":
        doc.font.AF = pikepdf.Array([spec])
    else:
        outlines = pikepdf.Dictionary(Type=pikepdf.Name.Outlines, AF=pikepdf.Array([spec]))
        doc.pdf.Root.Outlines = doc.pdf.make_indirect(outlines)


@pytest.mark.parametrize("holder", ["font", "outlines"])
def test_an_af_entry_on_an_object_no_reader_walks_is_reported(
    rules: ScreeningRules, holder: str
) -> None:
    doc = P.PdfDoc()
    doc.page(P.letter())
    _on_unwalked(doc, _spec("ghi-chu.txt"), holder)
    result = screen_file(doc.save(), "a.pdf", rules)
    assert result.verdict is Verdict.REVIEW, result.findings
    [finding] = [f for f in result.findings if f.rule == UNINSPECTED]
    assert finding.part.startswith("object ") and finding.part.endswith(
        "associated file ghi-chu.txt"
    ), finding


@pytest.mark.parametrize("holder", ["font", "outlines"])
def test_a_marked_docx_on_an_object_no_reader_walks_blocks(
    rules: ScreeningRules, holder: str
) -> None:
    doc = P.PdfDoc()
    doc.page(P.letter())
    stream = doc.pdf.make_stream(MARKED_DOCX, Type=pikepdf.Name.EmbeddedFile)
    spec = doc.pdf.make_indirect(_spec("ke-hoach.docx", EF=pikepdf.Dictionary(F=stream)))
    _on_unwalked(doc, spec, holder)
    result = screen_file(doc.save(), "a.pdf", rules)
    assert result.verdict is Verdict.BLOCKED, result.findings
    marking = [f for f in result.findings if f.rule == "marking.toi_mat"]
    assert marking and all("ke-hoach.docx > " in f.part for f in marking), marking
    assert not [f for f in result.findings if f.rule == UNINSPECTED], result.findings


def test_an_associated_file_that_cannot_be_decoded_is_held_naming_it(
    rules: ScreeningRules,
) -> None:
    doc = P.PdfDoc()
    doc.page(P.letter())
    broken = doc.pdf.make_stream(b"not deflate data at all", Filter=pikepdf.Name.FlateDecode)
    doc.pdf.Root.AF = pikepdf.Array([_spec("ghi-chu.txt", EF=pikepdf.Dictionary(F=broken))])
    result = screen_file(doc.save(), "a.pdf", rules)
    assert result.verdict is Verdict.REVIEW, result.findings
    [finding] = [f for f in result.findings if f.rule == UNINSPECTED]
    assert finding.part == "associated file ghi-chu.txt" and "decoded" in finding.message
