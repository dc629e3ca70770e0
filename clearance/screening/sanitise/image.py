"""Image derivative with Pillow: orientation applied, then the pixels alone re-encoded in the same
format, so EXIF (GPS included), XMP, IPTC, comments and trailing data are gone.

The decoded image is re-encoded in place (its metadata dropped), not copied: a large scan costs
its decoded pixels once, plus one rotated copy only when EXIF says it is turned."""

from __future__ import annotations

import io

from PIL import Image, ImageOps

_ORIENTATION = 0x0112


def sanitise_image(data: bytes) -> tuple[bytes, str]:
    with Image.open(io.BytesIO(data)) as opened:
        fmt = opened.format or "PNG"
        opened.load()
        exif = opened.getexif()
        turned = exif.get(_ORIENTATION, 1) != 1
        image = ImageOps.exif_transpose(opened) if turned else opened
        exif.clear()
        image.info = {}
        if fmt == "JPEG" and image.mode not in ("RGB", "L", "CMYK"):
            image = image.convert("RGB")
        out = io.BytesIO()
        image.save(out, format=fmt)
    return out.getvalue(), Image.MIME.get(fmt, "application/octet-stream")
