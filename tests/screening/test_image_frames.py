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
