"""OOXML read by its relationships: a stamp in any place a reader can meet it is found, the same
place with a near-miss stays clear, and every zip entry is either read or reported."""

from __future__ import annotations

import io
import zipfile

import pytest

from clearance.screening import ScreeningRules, Verdict, screen_file
from clearance.screening.engine import UNINSPECTED_RULE
from tests.screening import corpus_ooxml as ox

STAMP = "TỐI MẬT"
NEAR_MISSES = ("Độ mật: Thường", "Mật độ dân số (người/km2)", "Mật ong rừng U Minh")
# One document per place carries every near-miss (each file is also rendered by LibreOffice).
NEAR_MISS = " · ".join(NEAR_MISSES)
MARKINGS = "marking"


def _marked(result: object) -> set[str]:
    from clearance.screening.types import FileResult

    assert isinstance(result, FileResult)
    return {f.part for f in result.findings if f.rule.startswith(MARKINGS)}


def _accounted(data: bytes, result: object) -> None:
    """Every zip entry is in the coverage or in an uninspected finding."""
    from clearance.screening.types import FileResult

    assert isinstance(result, FileResult)
    names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    covered = {c.part for c in result.coverage}
    unread = {f.part for f in result.findings if f.rule == UNINSPECTED_RULE}
    assert names <= covered | unread, names - covered - unread


@pytest.mark.parametrize("place", sorted(ox.DOCX_PLACES))
def test_docx_stamp_in_every_place_is_found(rules: ScreeningRules, place: str) -> None:
    data = ox.docx(place=place, text=STAMP)
    result = screen_file(data, "ban-tin.docx", rules)
    expected = Verdict.REVIEW if place in ox.DOCX_UNSEEN else Verdict.BLOCKED
    assert result.verdict.rank >= expected.rank, result.findings
    assert _marked(result) - {"word/document.xml"} or place.startswith(
        ("textbox", "drawing", "alt_text")
    )
    _accounted(data, result)


@pytest.mark.parametrize("place", sorted(ox.DOCX_PLACES))
def test_docx_near_miss_in_every_place_stays_clear(rules: ScreeningRules, place: str) -> None:
    near_miss = NEAR_MISS
    if place in ("comments",):  # a comment is reported as metadata whatever it says
        pytest.skip("comments are a metadata finding on their own")
    data = ox.docx(place=place, text=near_miss)
    result = screen_file(data, "ban-tin.docx", rules)
    assert result.verdict is Verdict.CLEAR, result.findings
    _accounted(data, result)


def test_docx_main_part_reached_only_through_root_relationships(rules: ScreeningRules) -> None:
    data = ox.docx([STAMP, "Báo cáo tình hình"], main="noidung/chinh.xml")
    result = screen_file(data, "a.docx", rules)
    assert result.verdict is Verdict.BLOCKED
    assert "noidung/chinh.xml" in _marked(result)
    benign = ox.docx(main="noidung/chinh.xml")
    assert screen_file(benign, "a.docx", rules).verdict is Verdict.CLEAR


@pytest.mark.parametrize("place", sorted(ox.XLSX_PLACES))
def test_xlsx_stamp_in_every_place_is_found(rules: ScreeningRules, place: str) -> None:
    data = ox.xlsx(place=place, text=STAMP)
    result = screen_file(data, "thong-ke.xlsx", rules)
    expected = Verdict.REVIEW if place in ox.XLSX_UNSEEN else Verdict.BLOCKED
    assert result.verdict.rank >= expected.rank, result.findings
    assert _marked(result)
    _accounted(data, result)


@pytest.mark.parametrize("place", sorted(set(ox.XLSX_PLACES) - {"comment", "hidden_sheet"}))
def test_xlsx_near_miss_in_every_place_stays_clear(rules: ScreeningRules, place: str) -> None:
    data = ox.xlsx(place=place, text=NEAR_MISS)
    result = screen_file(data, "thong-ke.xlsx", rules)
    assert result.verdict is Verdict.CLEAR, result.findings


def test_statistics_workbook_with_density_stays_clear(rules: ScreeningRules) -> None:
    result = screen_file(ox.xlsx(), "dan-so.xlsx", rules)
    assert result.verdict is Verdict.CLEAR, result.findings
    sheet = next(c for c in result.coverage if c.part == "xl/worksheets/trang1.xml")
    assert sheet.method == "xml (streamed)" and sheet.chars > 100


@pytest.mark.parametrize("place", ox.PPTX_PLACES)
def test_pptx_stamp_in_every_place_is_found(rules: ScreeningRules, place: str) -> None:
    data = ox.pptx(place=place, text=STAMP)
    result = screen_file(data, "hoi-nghi.pptx", rules)
    expected = Verdict.REVIEW if place in ox.PPTX_UNSEEN else Verdict.BLOCKED
    assert (
        result.detected_type
        == "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    )
    assert result.verdict.rank >= expected.rank, result.findings
    assert _marked(result)
    _accounted(data, result)


def test_pptx_hidden_slide_is_reported(rules: ScreeningRules) -> None:
    result = screen_file(ox.pptx(place="hidden_slide", text="Lịch trình"), "h.pptx", rules)
    assert any("hidden slide" in f.message for f in result.findings)


@pytest.mark.parametrize("place", ("slide", "notes", "layout", "master", "chart", "hidden_slide"))
def test_pptx_near_miss_stays_clear(rules: ScreeningRules, place: str) -> None:
    result = screen_file(ox.pptx(place=place, text=NEAR_MISS), "p.pptx", rules)
    hidden_only = {f.rule for f in result.findings if f.severity == "review"} <= {
        "meta.hidden_content"
    }
    assert result.verdict is Verdict.CLEAR or hidden_only, result.findings


@pytest.mark.parametrize(
    ("builder", "name"),
    [(ox.docx, "thong-cao.docx"), (ox.xlsx, "thong-ke.xlsx"), (ox.pptx, "hoi-nghi.pptx")],
)
def test_benign_press_release_is_clear_and_fully_read(
    rules: ScreeningRules, builder: object, name: str
) -> None:
    assert callable(builder)
    data = builder()
    result = screen_file(data, name, rules)
    assert result.verdict is Verdict.CLEAR, result.findings
    _accounted(data, result)
    assert not [f for f in result.findings if f.rule == UNINSPECTED_RULE]


def test_unknown_binary_part_is_uninspected_not_skipped(rules: ScreeningRules) -> None:
    pkg_bytes = ox.docx()
    with zipfile.ZipFile(io.BytesIO(pkg_bytes)) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    parts["word/media/image9.emf"] = b"\x01\x00\x00\x00" + bytes(60)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, content in parts.items():
            zf.writestr(name, content)
    result = screen_file(out.getvalue(), "emf.docx", rules)
    assert result.verdict is Verdict.REVIEW
    assert any(f.rule == UNINSPECTED_RULE and f.part == "word/media/image9.emf"
               for f in result.findings)  # fmt: skip


def test_a_package_whose_main_part_is_not_a_docx_is_held(rules: ScreeningRules) -> None:
    result = screen_file(ox.xlsx(), "bang.docx", rules)
    assert result.verdict is not Verdict.CLEAR


def _big_sheet_workbook(rows: int, last: str) -> bytes:
    body = [["Xã", "Mật độ dân số", "12,5"] for _ in range(rows)]
    body.append([last])
    return ox.xlsx(rows=body)


def test_large_sheet_is_streamed_not_held_for_its_size(rules: ScreeningRules) -> None:
    import dataclasses

    data = _big_sheet_workbook(20_000, STAMP)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        xml = zf.getinfo("xl/worksheets/trang1.xml").file_size
    # Less memory allowance than the sheet's XML: it is parsed as a stream, never held whole.
    small = dataclasses.replace(rules, limits=dataclasses.replace(rules.limits,
                                max_decompressed_bytes=xml // 2))  # fmt: skip
    result = screen_file(data, "lon.xlsx", small)
    assert result.verdict is Verdict.BLOCKED, result.held_reason
    stamp = next(f for f in result.findings if f.rule.startswith(MARKINGS))
    assert stamp.location == "cell A20001"
    capped = dataclasses.replace(rules, limits=dataclasses.replace(rules.limits,
                                 max_streamed_bytes=xml // 2))  # fmt: skip
    held = screen_file(data, "lon.xlsx", capped)
    assert held.verdict is Verdict.REVIEW and "streamed content exceeds" in (held.held_reason or "")


def test_a_sheet_with_a_dtd_is_held(rules: ScreeningRules) -> None:
    data = ox.xlsx()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        parts = {n: zf.read(n) for n in zf.namelist()}
    sheet = parts["xl/worksheets/trang1.xml"]
    head, _, rest = sheet.partition(b"?>")
    parts["xl/worksheets/trang1.xml"] = (
        head
        + '?><!DOCTYPE w [<!ENTITY a "TỐI MẬT">]>'.encode()
        + rest.replace("Huế".encode(), b"&a;")
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, content in parts.items():
            zf.writestr(name, content)
    result = screen_file(out.getvalue(), "dtd.xlsx", rules)
    assert result.verdict is Verdict.REVIEW
    assert "DTD" in (result.held_reason or "")
