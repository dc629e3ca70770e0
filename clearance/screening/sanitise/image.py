"""Image derivative with Pillow: orientation applied, then the pixels alone re-encoded in the same
format, so EXIF (GPS included), XMP, IPTC, comments and trailing data are gone."""

from __future__ import annotations

import io

from PIL import Image, ImageOps


def sanitise_image(data: bytes) -> tuple[bytes, str]:
    with Image.open(io.BytesIO(data)) as opened:
        fmt = opened.format or "PNG"
        image = ImageOps.exif_transpose(opened)
        clean = Image.frombytes(image.mode, image.size, image.tobytes())
        if image.mode == "P":
            palette = image.getpalette()
            if palette is not None:
                clean.putpalette(palette)
    out = io.BytesIO()
    if fmt == "JPEG" and clean.mode not in ("RGB", "L", "CMYK"):
        clean = clean.convert("RGB")
    clean.save(out, format=fmt)
    return out.getvalue(), Image.MIME.get(fmt, "application/octet-stream")
