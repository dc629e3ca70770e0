"""A multi-frame image (TIFF pages, GIF/WebP/APNG frames) keeps every frame it was read with in its
sanitised derivative, with the metadata of every frame gone; frames past the read cap are not read,
hold the file and are left out of the derivative with a finding that names them.

The frames are plain colours (no text), so they are read as blank without starting Tesseract."""

from __future__ import annotations

import dataclasses
import io

import pytest
from PIL import Image, TiffImagePlugin

from clearance.screening import ScreeningRules, Verdict, screen_file
from clearance.screening.rules import MetadataKind
from tests.screening.corpus import tiff_pages

COLOURS = [(200, 30, 30), (30, 160, 40), (20, 40, 200), (30, 160, 40)]


def _frames() -> list[Image.Image]:
    return [Image.new("RGB", (64, 48), colour) for colour in COLOURS]


def _multi(fmt: str) -> bytes:
    frames = _frames()
    out = io.BytesIO()
    if fmt == "TIFF":
        described = []
        for n, frame in enumerate(frames):
            info = TiffImagePlugin.ImageFileDirectory_v2()
            info[270] = f"Trang {n + 1} - Nguyễn Văn A, Sở Nội vụ"  # ImageDescription per page
            frame.encoderinfo = {"tiffinfo": info}
            described.append(frame)
        frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:],
                       tiffinfo=described[0].encoderinfo["tiffinfo"])  # fmt: skip
    else:
        frames[0].save(out, format=fmt, save_all=True, append_images=frames[1:],
                       duration=[100, 200, 300, 400], loop=0, lossless=True,
                       comment=b"Nguyen Van A")  # fmt: skip
    return out.getvalue()


def _colours(data: bytes) -> list[tuple[int, ...]]:
    with Image.open(io.BytesIO(data)) as image:
        seen = []
        for index in range(getattr(image, "n_frames", 1)):
            image.seek(index)
            seen.append(tuple(image.convert("RGB").getpixel((10, 10))))  # type: ignore[arg-type]
        return seen


@pytest.mark.parametrize(("fmt", "name"), [("TIFF", "scan.tiff"), ("GIF", "a.gif"),
                                           ("WEBP", "a.webp"), ("PNG", "a.png")])  # fmt: skip
def test_every_frame_is_kept_in_the_derivative(rules: ScreeningRules, fmt: str, name: str) -> None:
    data = _multi(fmt)
    result = screen_file(data, name, rules)
    assert result.sanitized is not None, result.findings
    read = [c.part for c in result.coverage if c.method.startswith("ocr")]
    noun = "page" if fmt == "TIFF" else "frame"
    assert read == [f"{noun} {n}" for n in range(1, len(COLOURS) + 1)]
    with Image.open(io.BytesIO(result.sanitized)) as derivative:
        assert derivative.format == fmt
        assert derivative.n_frames == len(COLOURS)
        for index in range(len(COLOURS)):
            derivative.seek(index)
            derivative.load()
            assert "comment" not in derivative.info and "exif" not in derivative.info
            if fmt == "TIFF":
                assert 270 not in derivative.tag_v2
            if fmt != "TIFF":
                assert derivative.info.get("duration") == (index + 1) * 100
    for got, want in zip(_colours(result.sanitized), COLOURS, strict=True):
        assert all(abs(g - w) <= 8 for g, w in zip(got, want, strict=True)), (got, want)


def test_frames_past_the_read_cap_hold_the_file_and_are_left_out(rules: ScreeningRules) -> None:
    capped = dataclasses.replace(rules, limits=dataclasses.replace(rules.limits, max_pages=2))
    result = screen_file(_multi("TIFF"), "scan.tiff", capped)
    assert result.verdict is Verdict.REVIEW
    unread = [f.part for f in result.findings if f.rule == "screening.uninspected"]
    assert unread == ["pages 3-4"]
    dropped = [f.message for f in result.findings if f.rule == "screening.sanitised"]
    assert len(dropped) == 1 and "pages 3-4" in dropped[0]
    assert result.sanitized is not None
    assert _colours(result.sanitized) == COLOURS[:2]


@pytest.mark.parametrize("where", ["exif", "xmp"])
def test_gps_on_a_later_page_is_found_and_removed(rules: ScreeningRules, where: str) -> None:
    # page 1 carries nothing; page 2 records where it was taken (EXIF GPS IFD, or XMP)
    pages = {"gps_page": 2} if where == "exif" else {"xmp_page": 2}
    data = tiff_pages([(200, 30, 30), (30, 160, 40)], **pages)  # type: ignore[arg-type]
    with Image.open(io.BytesIO(data)) as original:
        assert not original.getexif().get_ifd(0x8825) and "xmp" not in original.info
    result = screen_file(data, "scan.tiff", rules)
    gps = [f for f in result.findings if f.rule == rules.metadata_rule(MetadataKind.GPS).id]
    assert [f.part for f in gps] == ["page 2 exif gps" if where == "exif" else "page 2 xmp"]
    assert "(page 2)" in gps[0].message
    if where == "exif":  # the position itself is read as text of page 2's metadata
        assert any(c.part == "page 2 exif" and c.chars for c in result.coverage)
    assert result.sanitized is not None
    with Image.open(io.BytesIO(result.sanitized)) as derivative:
        assert derivative.n_frames == 2
        for index in range(2):
            derivative.seek(index)
            assert not derivative.getexif().get_ifd(0x8825)
            assert 34853 not in derivative.tag_v2 and 700 not in derivative.tag_v2


def test_metadata_text_of_a_later_page_is_screened(rules: ScreeningRules) -> None:
    frames = _frames()[:2]
    info = TiffImagePlugin.ImageFileDirectory_v2()
    info[0x9C9B] = "TỐI MẬT".encode("utf-16-le") + b"\0\0"  # page 2's XPTitle names a level
    frames[1].encoderinfo = {"tiffinfo": info}
    out = io.BytesIO()
    frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:])
    result = screen_file(out.getvalue(), "scan.tiff", rules)
    assert result.verdict is not Verdict.CLEAR
    assert any(f.part == "page 2 exif" and f.rule.startswith("marking.") for f in result.findings)
