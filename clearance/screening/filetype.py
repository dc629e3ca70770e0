"""The true type of a file: libmagic (``clearance.filetype``, the one wrapper) over the whole
buffer, checked against the extension, the channel's allow list, and signs of polyglots.

Refused (blocked): executables, archives other than ZIP (ZIP members are screened one by one),
scripts, macro-enabled documents, unsupported types, a type that contradicts the extension, a type
the channel does not accept. Held (review): polyglots, i.e. a file carrying a second format's
signature where it has no business.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import PurePath

from clearance.filetype import detect_mime
from clearance.screening.extract.ooxml import kind_of
from clearance.screening.extract.opc import read_package
from clearance.screening.extract.safezip import SafeZip
from clearance.screening.limits import Budget, Held, Refused
from clearance.screening.rules import Limits

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
OOXML = frozenset({DOCX, XLSX, PPTX})
CSV = "text/csv"
TSV = "text/tab-separated-values"
TEXT = "text/plain"
HTML = "text/html"
SVG = "image/svg+xml"
PDF = "application/pdf"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
ODP = "application/vnd.oasis.opendocument.presentation"
ODF = frozenset({ODT, ODS, ODP})
FLAT_ODF = frozenset({f"{kind}-flat-xml" for kind in ODF})
_FLAT_EXTENSIONS = {".fodt": f"{ODT}-flat-xml", ".fods": f"{ODS}-flat-xml",
                    ".fodp": f"{ODP}-flat-xml"}  # fmt: skip
_ODF_TEMPLATES = {f"{kind}-template": kind for kind in ODF}
EML = "message/rfc822"
RTF = "text/rtf"
ZIP = "application/zip"
IMAGES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "image/tiff", "image/bmp"}
)

_BY_EXTENSION: dict[str, frozenset[str]] = {
    ".txt": frozenset({TEXT}),
    ".md": frozenset({TEXT, "text/markdown"}),
    ".csv": frozenset({CSV}),
    ".tsv": frozenset({TSV}),
    ".html": frozenset({HTML}),
    ".htm": frozenset({HTML}),
    ".svg": frozenset({SVG}),
    ".docx": frozenset({DOCX}),
    ".xlsx": frozenset({XLSX}),
    ".pptx": frozenset({PPTX}),
    ".pdf": frozenset({PDF}),
    ".png": frozenset({"image/png"}),
    ".jpg": frozenset({"image/jpeg"}),
    ".jpeg": frozenset({"image/jpeg"}),
    ".gif": frozenset({"image/gif"}),
    ".webp": frozenset({"image/webp"}),
    ".tif": frozenset({"image/tiff"}),
    ".tiff": frozenset({"image/tiff"}),
    ".bmp": frozenset({"image/bmp"}),
    ".odt": frozenset({ODT}),
    ".ott": frozenset({ODT}),
    ".ods": frozenset({ODS}),
    ".ots": frozenset({ODS}),
    ".odp": frozenset({ODP}),
    ".otp": frozenset({ODP}),
    **{extension: frozenset({kind}) for extension, kind in _FLAT_EXTENSIONS.items()},
    ".eml": frozenset({EML}),
    ".mht": frozenset({EML}),
    ".rtf": frozenset({RTF}),
    ".zip": frozenset({ZIP}),
}
_MACRO_EXTENSIONS = {".docm", ".dotm", ".xlsm", ".xltm", ".xlam", ".pptm", ".potm", ".ppsm"}
_NEVER = (
    "application/x-executable", "application/x-dosexec", "application/x-msdownload",
    "application/x-sharedlib", "application/x-mach-binary", "application/x-pie-executable",
    "application/x-elf", "application/vnd.microsoft.portable-executable",
    "application/x-rar", "application/vnd.rar", "application/x-7z-compressed", "application/gzip",
    "application/x-gzip", "application/x-tar", "application/x-bzip2", "application/x-xz",
    "application/zstd", "application/java-archive", "application/x-msi", "text/x-shellscript",
    "text/x-python", "text/x-script.python", "application/javascript", "text/javascript",
    "text/x-perl", "text/x-php", "application/x-bat", "text/x-msdos-batch",
    "application/x-ms-shortcut", "application/vnd.ms-office", "application/msword",
    "application/vnd.ms-excel", "application/x-ole-storage", "application/x-iso9660-image",
)  # fmt: skip
_TEXTUAL = {TEXT, "text/markdown", "text/csv", "text/x-c", "text/x-tex", "text/troff"}
_FOREIGN_SIGNATURES = (b"%PDF-", b"PK\x03\x04", b"<script", b"<html", b"MZ\x90\x00", b"\x7fELF")


def _ooxml_kind(data: bytes) -> str | None:
    """The OOXML type from the package's own index: the content type of the part that
    ``_rels/.rels`` names as the main document (not fixed part names)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist())
            types = (
                zf.read("[Content_Types].xml").lower() if "[Content_Types].xml" in names else b""
            )
    except (zipfile.BadZipFile, OSError, ValueError, KeyError):
        return None
    if b"macroenabled" in types or any(n.lower().endswith("vbaproject.bin") for n in names):
        raise Refused("the document is macro-enabled (it contains a VBA project)")
    try:
        kind = kind_of(read_package(SafeZip(data, Budget(Limits()))))
    except Held:
        return None
    return {"docx": DOCX, "xlsx": XLSX, "pptx": PPTX}.get(kind or "")


def _polyglot(data: bytes, detected: str) -> str | None:
    zipped = {*OOXML, ZIP, *ODF}
    own = b"%PDF-" if detected == PDF else b"PK\x03\x04" if detected in zipped else None
    if detected in zipped and not data.startswith(b"PK\x03\x04"):
        return "the document has data before its zip container"
    if detected == PDF and not data.startswith(b"%PDF-"):
        return "the PDF does not start with its header"
    head, tail = data[:1024], data[-65536:]
    for signature in _FOREIGN_SIGNATURES:
        if signature == own:
            continue
        if detected in IMAGES and (signature in head[4:] or signature in tail):
            return f"the image also carries a {signature[:5]!r} signature"
        if detected == PDF and signature == b"PK\x03\x04" and b"PK\x05\x06" in tail:
            return "the PDF also carries a zip archive"
    return None


_MAIL_HEADER = re.compile(rb"^[!-9;-~]+:[ \t]", re.MULTILINE)


def _looks_like_mail(data: bytes) -> bool:
    head = data[:8192].split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    names = {m.group(0).split(b":")[0].lower() for m in _MAIL_HEADER.finditer(head)}
    return bool(names & {b"from", b"to", b"subject", b"date", b"message-id", b"mime-version"})


def _decodes_as_text(data: bytes) -> bool:
    from clearance.screening.extract.text import decode_text

    try:
        decode_text(data)
    except Held:
        return False
    return True


def unread_member(data: bytes, filename: str) -> str | None:
    """Why a container's member is not read: its extension is one screening does not read and its
    content is not of a refused kind (an executable, a script, an archive other than ZIP, a
    macro-enabled document: those stay refused by :func:`detect`). ``None``: the member is read."""
    extension = PurePath(filename).suffix.lower()
    if extension in _BY_EXTENSION or extension in _MACRO_EXTENSIONS:
        return None
    detected = detect_mime(data)
    if detected in _NEVER or (detected.startswith("application/x-") and "exec" in detected):
        return None
    return f"its type ({detected}, extension '{extension or '(none)'}') is not one screening reads"


def detect(data: bytes, filename: str, allowed_types: frozenset[str] | None) -> str:
    """The detected MIME type, or :class:`Refused` / :class:`Held` with the reason."""
    extension = PurePath(filename).suffix.lower()
    if extension in _MACRO_EXTENSIONS:
        raise Refused(f"macro-enabled documents ({extension}) are never published")
    detected = detect_mime(data)
    detected = _ODF_TEMPLATES.get(detected, detected)
    if (
        detected == "text/plain"
        and EML in _BY_EXTENSION.get(extension, ())
        and _looks_like_mail(data)
    ):
        detected = EML  # libmagic names a message by its first header; a message may start
        # with any of them
    if detected in (*OOXML, "application/zip", "application/octet-stream") and data.startswith(
        b"PK"
    ):
        detected = _ooxml_kind(data) or detected
    if detected in _NEVER or (detected.startswith("application/x-") and "exec" in detected):
        raise Refused(f"files of type {detected} (executables, archives, scripts) are refused")
    expected = _BY_EXTENSION.get(extension)
    if expected is None:
        raise Refused(f"the extension '{extension or '(none)'}' is not an accepted file type")
    if detected in _TEXTUAL and expected & {TEXT}:
        detected = TEXT
    textual = expected & {TEXT, CSV, TSV}
    if detected == "application/octet-stream" and textual and _decodes_as_text(data):
        # BOM-less UTF-16/32 and legacy Vietnamese text libmagic cannot name
        detected = TEXT if TEXT in expected else next(iter(textual))
    elif detected in _TEXTUAL and expected & {CSV, TSV}:
        detected = next(iter(expected))
    if detected in ("text/xml", "application/xml") and extension in _FLAT_EXTENSIONS:
        detected = _FLAT_EXTENSIONS[extension]  # the extractor checks the office:document root
    if detected == "image/svg" or (detected in ("text/xml", "application/xml") and SVG in expected):
        detected = SVG
    if detected == "image/x-ms-bmp":
        detected = "image/bmp"
    if detected not in expected:
        raise Refused(f"the content is {detected} but the name says {extension}; rename or convert")
    if allowed_types is not None and detected not in allowed_types:
        raise Refused(f"the channel does not accept {detected}")
    reason = _polyglot(data, detected)
    if reason is not None:
        raise Held(f"possible polyglot file: {reason}")
    return detected
