"""Images through Pillow (the maintained standard; it decodes EXIF, GPS IFD, XMP, IPTC and PNG
text chunks, and has a built-in decompression-bomb guard we tighten to our limits).

Text scanned: EXIF descriptions, artist, copyright, Windows XP tags, user comments, GPS (also
reported as a GPS leak), XMP packets, IPTC records, PNG text chunks. The pixel count is checked from the header before decoding (see
:func:`~clearance.screening.extract.ocr.cap_pixels`); the pixels are then decoded in full so a
truncated or malformed image is held, not passed. Every page (TIFF) and every frame that differs
from the ones before (GIF, WebP, APNG) is read by OCR; a frame equal to an earlier one is covered
by that one's reading.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings

from PIL import Image, IptcImagePlugin
from PIL.ImageFile import ImageFile

from clearance.screening.extract.base import Extraction
from clearance.screening.extract.ocr import DECODE_BYTES, cap_pixels, ocr_image
from clearance.screening.limits import Budget, Held
from clearance.screening.metadata import xmp_has_gps
from clearance.screening.rules import MetadataKind

#: Pillow's own bomb guard, set to the decode cap at one byte a pixel: the cap itself is checked
#: from the header by the bytes the mode needs (a 140 Mpx grey scan decodes; 80 Mpx of RGB does
#: not), so the guard only stops what no mode could decode within it.
MAX_PIXELS = DECODE_BYTES
_TAGS = re.compile(r"<[^>]+>")
_TEXT_TAGS = {0x010E: "ImageDescription", 0x013B: "Artist", 0x8298: "Copyright",
              0x010D: "DocumentName", 0x9C9B: "XPTitle", 0x9C9C: "XPComment",
              0x9C9D: "XPAuthor", 0x9C9E: "XPKeywords", 0x9C9F: "XPSubject"}  # fmt: skip
_GPS_IFD = 0x8825
_EXIF_IFD = 0x8769
_USER_COMMENT = 0x9286


def _as_text(value: object) -> str:
    if isinstance(value, bytes):
        if value[:8] in (b"ASCII\x00\x00\x00", b"UNICODE\x00"):
            encoding = "utf-16-le" if value.startswith(b"UNICODE") else "ascii"
            return value[8:].decode(encoding, "replace")
        if len(value) % 2 == 0 and value[1:2] == b"\x00":
            return value.decode("utf-16-le", "replace").rstrip("\x00")
        return value.decode("utf-8", "replace")
    if isinstance(value, tuple | list):
        return " ".join(_as_text(item) for item in value)
    return str(value)


def _gps_text(gps: dict[int, object]) -> str:
    def dms(values: object) -> str:
        if isinstance(values, tuple) and len(values) == 3:
            d, m, s = (float(v) for v in values)
            return f"{d:.0f}°{m:.0f}'{s:.1f}\""
        return str(values)

    lat = f"{dms(gps.get(2))}{_as_text(gps.get(1, ''))}"
    lon = f"{dms(gps.get(4))}{_as_text(gps.get(3, ''))}"
    return f"GPS {lat} {lon}"


def extract_image(data: bytes, budget: Budget) -> Extraction:
    out = Extraction()
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = cap_pixels(Image.open(io.BytesIO(data)), "image")
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise Held(f"the image is too large to decode safely ({exc})") from exc
    budget.check()
    _frames(image, budget, out)
    return out


class _Metadata:
    """Reads the metadata of each frame (a TIFF page has its own EXIF, GPS and XMP; a GIF frame
    its own comment). The first frame's parts are named ``exif``, ``xmp``...; a later frame's
    ``page 2 exif``..., and what a later frame repeats of an earlier one is not read twice."""

    def __init__(self, out: Extraction) -> None:
        self.out = out
        self.seen: set[tuple[str, str]] = set()

    def text(self, where: str, kind: str, text: str) -> None:
        key = (kind, text)
        if where and (key in self.seen or not text):
            return
        self.seen.add(key)
        self.out.text(f"{where}{kind}", text, metadata=True)

    def observe(self, kind: MetadataKind, where: str, part: str, message: str) -> None:
        on = f" ({where.strip()})" if where else ""
        self.out.observe(kind, f"{where}{part}", f"{message}{on}")

    def read(self, image: Image.Image, where: str) -> None:
        """The metadata of the frame ``image`` is at; ``where``: "" or "page 2 "."""
        exif = image.getexif()
        texts: list[str] = []
        for tag, name in _TEXT_TAGS.items():
            if tag in exif:
                texts.append(_as_text(exif[tag]))
                author = name in ("Artist", "XPAuthor")
                kind = MetadataKind.AUTHOR if author else MetadataKind.DESCRIPTION
                self.observe(kind, where, "exif", f"EXIF {name}")
        sub = exif.get_ifd(_EXIF_IFD)
        if _USER_COMMENT in sub:
            texts.append(_as_text(sub[_USER_COMMENT]))
            self.observe(MetadataKind.DESCRIPTION, where, "exif", "EXIF UserComment")
        gps = exif.get_ifd(_GPS_IFD)
        if gps:
            self.observe(MetadataKind.GPS, where, "exif gps", "GPS position recorded")
            texts.append(_gps_text(dict(gps)))
        self.text(where, "exif", "\n".join(texts))
        xmp = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")
        raw = "" if not xmp else xmp.decode("utf-8", "replace") if isinstance(xmp, bytes) else (
            str(xmp)
        )  # fmt: skip
        if raw and not (where and ("xmp", raw) in self.seen):
            self.seen.add(("xmp", raw))
            self.observe(MetadataKind.DESCRIPTION, where, "xmp", "XMP metadata")
            self.text(where, "xmp", _TAGS.sub("\n", raw))
            if xmp_has_gps(raw):
                self.observe(
                    MetadataKind.GPS, where, "xmp", "GPS position recorded in XMP metadata"
                )
        self._rest(image, where)

    def _rest(self, image: Image.Image, where: str) -> None:
        try:
            iptc = IptcImagePlugin.getiptcinfo(image) if isinstance(image, ImageFile) else None
        except (SyntaxError, ValueError, OSError):
            iptc = None
        if iptc:
            text = "\n".join(_as_text(value) for value in iptc.values())
            if not where or ("iptc", text) not in self.seen:
                self.observe(MetadataKind.DESCRIPTION, where, "iptc", "IPTC metadata")
            self.text(where, "iptc", text)
        chunks = getattr(image, "text", None) if not where else None  # PNG: file-level chunks
        if isinstance(chunks, dict) and chunks:
            self.observe(MetadataKind.DESCRIPTION, where, "png text", "PNG text chunks")
            self.text(
                where, "png text", "\n".join(f"{key}:\n{value}" for key, value in chunks.items())
            )
        comment = image.info.get("comment")
        if comment:
            self.text(where, "comment", _as_text(comment))


def _frames(image: Image.Image, budget: Budget, out: Extraction) -> None:
    """OCR every page or distinct frame; frames past the page cap are uninspected."""
    count = int(getattr(image, "n_frames", 1) or 1)
    noun = "page" if image.format == "TIFF" else "frame"
    read: dict[bytes, str] = {}
    metadata = _Metadata(out)
    for index in range(count):
        part = "image" if count == 1 else f"{noun} {index + 1}"
        if index >= budget.limits.max_pages:
            out.uninspected(
                f"{noun}s {index + 1}-{count}",
                f"the image has {count} {noun}s, more than the {budget.limits.max_pages} read",
            )
            return
        budget.check()
        if index:
            image.seek(index)
            image = cap_pixels(image, part)
            image.load()
        metadata.read(image, f"{part} " if index else "")
        if count > 1:
            pixels_rgb = image.convert("RGBA").tobytes()  # frames after a GIF's first are RGB(A)
            digest = hashlib.sha256(pixels_rgb).digest() + repr(image.size).encode()
            if digest in read:
                pixels = image.size[0] * image.size[1]
                out.covered(part, f"ocr (same pixels as {read[digest]})", pixels=pixels)
                continue
            read[digest] = part
        ocr_image(image, budget, part, out)
