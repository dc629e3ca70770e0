"""Generated corpus for ODF (ODT/ODS/ODP), EML/MIME, RTF and ZIP: each builder returns bytes."""

from __future__ import annotations

import email
import email.policy
import io
import zipfile
from email.message import EmailMessage
from xml.sax.saxutils import escape, quoteattr

from tests.screening.corpus import png

NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
    'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
    'xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" '
    'xmlns:xlink="http://www.w3.org/1999/xlink" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0"'
)
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
ODP = "application/vnd.oasis.opendocument.presentation"


def p(text: str, style: str | None = None) -> str:
    attribute = f" text:style-name={quoteattr(style)}" if style else ""
    return f"<text:p{attribute}>{escape(text)}</text:p>"


def _fonts(font: str | None) -> str:
    if font is None:
        return ""
    return (
        f"<office:font-face-decls><style:font-face style:name={quoteattr(font)} "
        f"svg:font-family={quoteattr(font)}/></office:font-face-decls>"
        '<office:automatic-styles><style:style style:name="Legacy" style:family="paragraph">'
        f"<style:text-properties style:font-name={quoteattr(font)}/></style:style>"
        '<style:style style:name="Bold" style:family="text">'
        '<style:text-properties fo:font-weight="bold"/></style:style></office:automatic-styles>'
    )


def _manifest(media_type: str, parts: dict[str, str | bytes]) -> str:
    entries = "".join(
        f'<manifest:file-entry manifest:full-path={quoteattr(name)} manifest:media-type="'
        f'{"text/xml" if name.endswith(".xml") else "application/octet-stream"}"/>'
        for name in parts
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{media_type}"/>'
        f"{entries}</manifest:manifest>"
    )


def odf_package(media_type: str, parts: dict[str, str | bytes], *, manifest: bool = True) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), media_type, zipfile.ZIP_STORED)
        for name, content in parts.items():
            zf.writestr(name, content)
        if manifest:
            zf.writestr("META-INF/manifest.xml", _manifest(media_type, parts))
    return out.getvalue()


def odt(
    body: list[str],
    *,
    header: str | None = None,
    annotation: str | None = None,
    deletion: str | None = None,
    frame: str | None = None,
    note: str | None = None,
    title: str = "",
    keywords: str = "",
    font: str | None = None,
    extra: dict[str, str | bytes] | None = None,
    picture: bytes | None = None,
) -> bytes:
    """An ODT with ``body`` (pre-rendered ``text:p`` XML, see :func:`p`) and optional parts."""
    inner = "".join(body)
    if annotation is not None:
        inner += (
            "<text:p>Xem lại<office:annotation><dc:creator>Trần Thị B</dc:creator>"
            f"{p(annotation)}</office:annotation></text:p>"
        )
    tracked = ""
    if deletion is not None:
        tracked = (
            '<text:tracked-changes><text:changed-region text:id="c1"><text:deletion>'
            "<office:change-info><dc:creator>Lê C</dc:creator></office:change-info>"
            f"{p(deletion)}</text:deletion></text:changed-region></text:tracked-changes>"
        )
        inner = '<text:p><text:change text:change-id="c1"/></text:p>' + inner
    if frame is not None:
        inner += (
            '<text:p><draw:frame draw:name="Khung 1"><draw:text-box>'
            f"{p(frame)}</draw:text-box></draw:frame></text:p>"
        )
    if note is not None:
        inner += (
            '<text:p>Chú thích<text:note text:note-class="footnote"><text:note-body>'
            f"{p(note)}</text:note-body></text:note></text:p>"
        )
    if picture is not None:
        inner += (
            '<text:p><draw:frame draw:name="Ảnh"><draw:image xlink:href="Pictures/scan.png"/>'
            "</draw:frame></text:p>"
        )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {NS} office:version="1.3">'
        f"{_fonts(font)}<office:body><office:text>{tracked}{inner}</office:text></office:body>"
        "</office:document-content>"
    )
    header_xml = f"<style:header>{p(header)}</style:header>" if header is not None else ""
    styles = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-styles {NS}>'
        '<office:master-styles><style:master-page style:name="Standard">'
        f"{header_xml}</style:master-page></office:master-styles></office:document-styles>"
    )
    meta = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-meta {NS}><office:meta>'
        f"<meta:initial-creator>Nguyễn Văn A</meta:initial-creator>"
        f"<dc:title>{escape(title)}</dc:title><meta:keyword>{escape(keywords)}</meta:keyword>"
        "</office:meta></office:document-meta>"
    )
    parts: dict[str, str | bytes] = {"content.xml": content, "styles.xml": styles, "meta.xml": meta}
    if picture is not None:
        parts["Pictures/scan.png"] = picture
    parts.update(extra or {})
    return odf_package(ODT, parts)


def ods(cells: list[str], *, hidden_sheet: str | None = None) -> bytes:
    rows = "".join(
        f'<table:table-row><table:table-cell office:value-type="string" office:string-value='
        f"{quoteattr(cell)}>{p(cell)}</table:table-cell></table:table-row>"
        for cell in cells
    )
    hidden = ""
    if hidden_sheet is not None:
        hidden = (
            '<table:table table:name="An"><table:table-row><table:table-cell>'
            f"{p(hidden_sheet)}</table:table-cell></table:table-row></table:table>"
        )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {NS}><office:body>'
        f'<office:spreadsheet><table:table table:name="Bang 1">{rows}</table:table>{hidden}'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    return odf_package(ODS, {"content.xml": content})


def odp(slides: list[str], *, notes: str | None = None) -> bytes:
    pages = "".join(
        f'<draw:page draw:name="Trang {i}"><draw:frame><draw:text-box>{p(text)}'
        "</draw:text-box></draw:frame>"
        + (
            f"<presentation:notes><draw:frame><draw:text-box>{p(notes)}</draw:text-box>"
            "</draw:frame></presentation:notes>"
            if notes is not None and i == 1
            else ""
        )
        + "</draw:page>"
        for i, text in enumerate(slides, 1)
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {NS}><office:body>'
        f"<office:presentation>{pages}</office:presentation></office:body>"
        "</office:document-content>"
    )
    return odf_package(ODP, {"content.xml": content})


def eml(
    subject: str,
    body: str,
    *,
    html: str | None = None,
    charset: str = "utf-8",
    attachments: list[tuple[str, bytes, str]] | None = None,
    sender: str = "Văn phòng UBND <vanphong@example.gov.vn>",
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "bao-chi@example.vn"
    message["Subject"] = subject
    message.set_content(body, charset=charset)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for name, data, mime in attachments or []:
        if mime == "message/rfc822":
            forwarded = email.message_from_bytes(data, policy=email.policy.default)
            message.add_attachment(forwarded, filename=name)
            continue
        maintype, subtype = mime.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def rtf_text(text: str) -> str:
    """``text`` as RTF body: ASCII kept, everything else as ``\\uN?``."""
    out: list[str] = []
    for char in text:
        if char == "\n":
            out.append("\\par\n")
        elif char in "\\{}":
            out.append("\\" + char)
        elif ord(char) < 128:
            out.append(char)
        else:
            out.append(f"\\u{ord(char) if ord(char) < 32768 else ord(char) - 65536}?")
    return "".join(out)


def rtf(body: str, *, font: str = "Times New Roman", charset: int = 0, codepage: int = 1252,
        info: str = "") -> bytes:  # fmt: skip
    """An RTF document; ``body`` is RTF markup (use :func:`rtf_text` for plain text)."""
    head = (
        f"{{\\rtf1\\ansi\\ansicpg{codepage}\\deff0{{\\fonttbl{{\\f0\\fnil\\fcharset{charset} "
        f"{font};}}{{\\f1\\fswiss\\fcharset0 Arial;}}}}"
    )
    information = f"{{\\info{{\\title {info}}}{{\\author Nguyen Van A}}}}" if info else ""
    return f"{head}{information}\\pard\\f0 {body}\\par}}".encode("latin-1")


def rtf_picture(data: bytes, kind: str = "pngblip") -> str:
    return f"{{\\pict\\{kind}\\picw100\\pich100 {data.hex()}}}"


def zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return out.getvalue()


def small_png() -> bytes:
    return png()


def fodt(body: list[str], *, title: str = "", annotation: str | None = None,
         picture: bytes | None = None) -> bytes:  # fmt: skip
    """A flat ODT (one XML document); ``picture`` is kept inline as base64."""
    inner = "".join(body)
    if annotation is not None:
        inner += f"<text:p>Xem<office:annotation>{p(annotation)}</office:annotation></text:p>"
    if picture is not None:
        import base64

        inner += (
            "<text:p><draw:frame><draw:image><office:binary-data>"
            f"{base64.b64encode(picture).decode()}</office:binary-data></draw:image></draw:frame>"
            "</text:p>"
        )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document {NS} office:mimetype="{ODT}">'
        f"<office:meta><dc:title>{escape(title)}</dc:title></office:meta>"
        f"<office:body><office:text>{inner}</office:text></office:body></office:document>"
    ).encode()
