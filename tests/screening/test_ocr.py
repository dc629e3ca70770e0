"""OCR of rasters and scans: a letter with a red stamp rendered, photographed and saved in every
raster format and as an image-only PDF is blocked with the page and box of the stamp; near-misses
stay clear; without Tesseract a raster with content is held, never clear; pixel caps hold."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from PIL import Image

from clearance.screening import ScreeningRules
from clearance.screening.engine import screen_file
from clearance.screening.extract import ocr
from clearance.screening.isolated import screen_file_isolated
from clearance.screening.types import FileResult, Severity, Verdict
from tests.screening import corpus_ocr as c

pytestmark = pytest.mark.slow


CAPTION = "Scanned by the provincial archive office; document register 2026, batch 14. " * 4


def _cases() -> dict[str, bytes]:
    gif_frames = [c.letter(None), c.letter("TỐI MẬT"), c.letter(None)]
    return {
        "mat.png": c.encode(c.letter("MẬT"), "PNG"),
        "toi-mat-turned-90.png": c.encode(c.photograph(c.letter("TỐI MẬT"), turn=90), "PNG"),
        "tuyet-mat-phone-180.jpg": c.encode(
            c.photograph(c.letter("TUYỆT MẬT"), turn=180, blur=1.0, noise=800), "JPEG", quality=60
        ),
        "mat-fax.png": c.encode(c.photograph(c.letter("MẬT"), fax=True, skew=2), "PNG"),
        "toi-mat-skewed.webp": c.encode(c.photograph(c.letter("TỐI MẬT"), skew=4), "WEBP"),
        "mat.bmp": c.encode(c.letter("MẬT"), "BMP"),
        "stamp-page-2.tiff": c.tiff_pages([c.letter(None), c.letter("MẬT")]),
        "stamp-frame-2.gif": c.animated(gif_frames, "GIF"),
        "scan-page-2.pdf": c.image_pdf([c.letter(None), c.letter("TỐI MẬT")]),
        "scan-with-caption.pdf": c.image_pdf([c.letter("MẬT")], text=CAPTION),
        "hoa-toc.png": c.encode(c.letter("HỎA TỐC"), "PNG"),
        "mat-ong.jpg": c.encode(
            c.letter(None, lines=("Đặc sản mật ong rừng U Minh Hạ", "Du khách mua mật ong")),
            "JPEG",
        ),
        "do-mat-thuong.png": c.encode(
            c.letter(None, lines=("Độ mật: Thường", "Kính gửi: các sở, ban, ngành")), "PNG"
        ),
        "scan-hoa-toc.pdf": c.image_pdf([c.letter("HỎA TỐC")]),
    }


@pytest.fixture(scope="session")
def screened(rules: ScreeningRules) -> dict[str, FileResult]:
    return {name: screen_file(data, name, rules) for name, data in _cases().items()}


BLOCKED = {
    "mat.png": ("image", "marking.mat"),
    "toi-mat-turned-90.png": ("image", "marking.toi_mat"),
    "tuyet-mat-phone-180.jpg": ("image", "marking.tuyet_mat"),
    "mat-fax.png": ("image", "marking.mat"),
    "toi-mat-skewed.webp": ("image", "marking.toi_mat"),
    "mat.bmp": ("image", "marking.mat"),
    "stamp-page-2.tiff": ("page 2", "marking.mat"),
    "stamp-frame-2.gif": ("frame 2", "marking.toi_mat"),
    "scan-page-2.pdf": ("page 2", "marking.toi_mat"),
    "scan-with-caption.pdf": ("page 1", "marking.mat"),
}


@pytest.mark.parametrize("name", sorted(BLOCKED))
def test_a_stamped_scan_is_blocked_at_its_page_and_box(
    screened: dict[str, FileResult], name: str
) -> None:
    result = screened[name]
    part, rule = BLOCKED[name]
    assert result.verdict is Verdict.BLOCKED, result.findings
    hits = [f for f in result.findings if f.rule == rule and f.severity is Severity.BLOCK]
    assert hits, [(f.rule, f.part) for f in result.findings]
    assert all(f.part == part for f in hits)
    assert all(f.location.startswith(f"{part}, line ") and "box (" in f.location for f in hits)
    ocr_read = [cov for cov in result.coverage if cov.part == part and cov.method == "ocr"]
    assert ocr_read and ocr_read[0].pixels > 0 and "MẬT" in ocr_read[0].text


@pytest.mark.parametrize("name", ["hoa-toc.png", "mat-ong.jpg", "do-mat-thuong.png",
                                  "scan-hoa-toc.pdf"])  # fmt: skip
def test_near_misses_read_by_ocr_stay_clear(screened: dict[str, FileResult], name: str) -> None:
    result = screened[name]
    assert result.verdict is Verdict.CLEAR, [(f.rule, f.excerpt) for f in result.findings]
    text = "\n".join(cov.text for cov in result.coverage if cov.method == "ocr")
    expected = {"hoa-toc.png": "HỎA TỐC", "mat-ong.jpg": "mật ong",
                "do-mat-thuong.png": "Thường", "scan-hoa-toc.pdf": "HỎA TỐC"}  # fmt: skip
    assert expected[name] in text


def test_every_tiff_page_and_every_distinct_gif_frame_is_accounted_for(
    screened: dict[str, FileResult],
) -> None:
    tiff = {(cov.part, cov.method) for cov in screened["stamp-page-2.tiff"].coverage}
    assert {("page 1", "ocr"), ("page 2", "ocr")} <= tiff
    gif = {cov.part: cov.method for cov in screened["stamp-frame-2.gif"].coverage}
    assert gif["frame 1"] == "ocr" and gif["frame 2"] == "ocr"
    assert gif["frame 3"] == "ocr (same pixels as frame 1)"


def test_image_only_pdf_pages_are_rendered_and_read(screened: dict[str, FileResult]) -> None:
    methods = {(cov.part, cov.method) for cov in screened["scan-page-2.pdf"].coverage}
    assert {("page 1", "text"), ("page 1", "ocr"), ("page 2", "ocr")} <= methods


def test_the_json_result_shows_the_ocr_text_to_the_approver(
    screened: dict[str, FileResult],
) -> None:
    coverage = screened["mat.png"].to_json()["coverage"]
    assert any(entry["method"] == "ocr" and "MẬT" in entry["text"] for entry in coverage)
    assert all("text" not in entry for entry in coverage if entry["method"] != "ocr")


def test_without_tesseract_a_raster_with_content_is_held(
    rules: ScreeningRules, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLEARANCE_TESSERACT", "/nonexistent/tesseract")
    result = screen_file(c.encode(c.letter("MẬT"), "PNG"), "letter.png", rules)
    assert result.verdict is Verdict.REVIEW
    held = [f for f in result.findings if f.rule == "screening.uninspected"]
    assert held and held[0].part == "image" and "/nonexistent/tesseract" in held[0].message
    pdf = screen_file(c.image_pdf([c.letter("MẬT")]), "scan.pdf", rules)
    assert pdf.verdict is Verdict.REVIEW
    assert [f.part for f in pdf.findings if f.rule == "screening.uninspected"] == ["page 1"]


def test_without_tesseract_a_blank_raster_is_read_as_blank(
    rules: ScreeningRules, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLEARANCE_TESSERACT", "/nonexistent/tesseract")
    result = screen_file(c.encode(Image.new("RGB", (300, 200), "white"), "PNG"), "b.png", rules)
    assert result.verdict is Verdict.CLEAR
    assert [(cov.part, cov.method, cov.chars) for cov in result.coverage if cov.part == "image"] \
        == [("image", "ocr", 0)]  # fmt: skip


def _png(mode: str, size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, 255 if mode in ("1", "L") else (255, 255, 255)).save(out, "PNG")
    return out.getvalue()


def test_an_image_whose_pixels_exceed_the_memory_cap_is_held_before_decoding(
    rules: ScreeningRules,
) -> None:
    data = _png("RGB", (10_000, 8_000))  # 80 Mpx, 320 MB decoded, a few hundred KB on disk
    assert len(data) < 2_000_000
    result = screen_file(data, "huge.png", rules)
    assert result.verdict is Verdict.REVIEW
    assert result.held_reason is not None and "80 Mpx" in result.held_reason
    assert "lower resolution" in result.held_reason


def test_a_79_megapixel_scan_is_read_downscaled_within_500_mb(rules: ScreeningRules) -> None:
    page = c.letter("MẬT", width=1000).convert("1")
    big = Image.new("1", (7_500, 10_600), 1)
    big.paste(page.resize((7_500, 10_600)), (0, 0))
    out = io.BytesIO()
    big.save(out, "PNG", optimize=True)
    result = screen_file_isolated(out.getvalue(), "big.png", rules, memory_bytes=900 * 2**20)
    assert result.verdict is Verdict.BLOCKED, (result.held_reason, result.findings)
    assert all(cov.pixels <= ocr.OCR_PIXELS for cov in result.coverage)


def test_the_image_derivative_drops_metadata_without_copying_pixels(
    rules: ScreeningRules,
) -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "Ảnh hội nghị du lịch")
    out = io.BytesIO()
    Image.new("RGB", (40, 20), (250, 250, 250)).save(out, "PNG", pnginfo=info)
    result = screen_file(out.getvalue(), "p.png", rules)
    assert result.sanitized is not None
    assert not getattr(Image.open(io.BytesIO(result.sanitized)), "text", {})
    exif = Image.Exif()
    exif[0x0112] = 6  # turned: the derivative is upright, without the tag
    turned = io.BytesIO()
    Image.new("RGB", (40, 20), (250, 250, 250)).save(turned, "JPEG", exif=exif)
    derivative = screen_file(turned.getvalue(), "t.jpg", rules).sanitized
    assert derivative is not None
    upright = Image.open(io.BytesIO(derivative))
    assert upright.size == (20, 40) and not upright.getexif()


def test_an_upright_page_costs_one_tesseract_run_for_its_text_and_one_for_its_stamps(
    rules: ScreeningRules, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Each Tesseract run loads the model again (0.1 s): the page text is one run and every
    stamp's two readings share one more; images go in as files (stdin is three times slower)."""
    real = shutil.which("tesseract")
    assert real is not None
    log = tmp_path / "runs.log"
    wrapper = tmp_path / "tesseract"
    wrapper.write_text(f'#!/bin/sh\necho "$1 $4" >> {log}\nexec {real} "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("CLEARANCE_TESSERACT", str(wrapper))
    page = c.letter("TỐI MẬT")
    fax = c.photograph(c.letter("MẬT"), fax=True, skew=2)  # a framed dark stamp, no red
    both = Image.new("RGB", (page.size[0], page.size[1] + fax.size[1]), "white")
    both.paste(page, (0, 0))
    both.paste(fax.convert("RGB"), (0, page.size[1]))
    result = screen_file(c.encode(both, "PNG"), "two-stamps.png", rules)
    assert result.verdict is Verdict.BLOCKED
    assert {"marking.toi_mat", "marking.mat"} <= {f.rule for f in result.findings}
    runs = log.read_text().splitlines()
    assert len(runs) == 2, runs
    assert [run.split()[1] for run in runs] == ["3", "6"], runs
    assert not any(run.startswith("stdin") for run in runs), runs
