"""Image derivative with Pillow: orientation applied, then the pixels alone re-encoded in the same
format, so EXIF (GPS included), XMP, IPTC, comments and trailing data are gone.

Every page of a TIFF and every frame of a GIF, WebP or APNG is kept (each re-encoded from its
pixels, with only the animation's frame durations and loop count carried over), up to the frame
count screening reads (``max_frames``, the limits' page cap): frames past it were not read, so they
are left out and reported. The decoded image is re-encoded in place (its metadata dropped), not
copied: a single-frame scan costs its decoded pixels once, plus one rotated copy only when EXIF
says it is turned."""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps

_ORIENTATION = 0x0112
#: Formats whose writer keeps several frames (``save_all``), with what each frame may carry over.
_ANIMATED = frozenset({"GIF", "WEBP", "PNG"})
_MULTI = frozenset({"TIFF", "MPO", *_ANIMATED})


@dataclass(frozen=True, slots=True)
class ImageDerivative:
    data: bytes
    mime: str
    dropped: tuple[str, ...] = ()  # frames left out, as the finding names them


def _clean(image: Image.Image, fmt: str) -> Image.Image:
    """One frame's pixels, upright, with no metadata left in ``info`` or EXIF."""
    exif = image.getexif()
    turned = exif.get(_ORIENTATION, 1) != 1
    frame = ImageOps.exif_transpose(image) if turned else image
    exif.clear()
    frame.info = {}
    if fmt in ("JPEG", "MPO") and frame.mode not in ("RGB", "L", "CMYK"):
        frame = frame.convert("RGB")
    return frame


def sanitise_image(data: bytes, *, max_frames: int) -> ImageDerivative:
    with Image.open(io.BytesIO(data)) as opened:
        fmt = opened.format or "PNG"
        count = int(getattr(opened, "n_frames", 1) or 1) if fmt in _MULTI else 1
        out = io.BytesIO()
        if count == 1:
            opened.load()
            _clean(opened, fmt).save(out, format=fmt)
            return ImageDerivative(out.getvalue(), Image.MIME.get(fmt, "application/octet-stream"))
        kept = min(count, max_frames)
        frames: list[Image.Image] = []
        durations: list[int] = []
        loop = opened.info.get("loop", 0)
        for index in range(kept):
            opened.seek(index)
            opened.load()
            durations.append(int(opened.info.get("duration", 0) or 0))
            frames.append(_clean(opened.copy(), fmt))
        options: dict[str, object] = {"save_all": kept > 1, "append_images": frames[1:]}
        if fmt in _ANIMATED:
            options.update(duration=durations, loop=loop)
        if fmt == "TIFF":
            options["compression"] = "tiff_deflate"
        frames[0].save(out, format=fmt, **options)
    noun = "page" if fmt == "TIFF" else "frame"
    dropped = () if kept == count else (
        f"{noun}s {kept + 1}-{count} of the image (not read: past the {max_frames}-{noun} cap)",
    )  # fmt: skip
    return ImageDerivative(out.getvalue(), Image.MIME.get(fmt, "application/octet-stream"), dropped)
