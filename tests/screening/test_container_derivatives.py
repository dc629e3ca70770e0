"""ZIP archives and e-mail messages are published as rebuilt derivatives: each member replaced by
its own sanitised derivative, what was not read left out and named (generated corpus)."""

from __future__ import annotations

import dataclasses
import email
import email.policy
import io
import json
import zipfile
from email.message import EmailMessage
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from PIL import Image

from clearance.screening import ScreeningRules, Verdict, screen_file
from clearance.screening.engine import NO_DERIVATIVE_RULE, SANITISED_RULE
from clearance.screening.isolated import screen_file_isolated
from clearance.screening.rules import MetadataKind
from clearance.screening.sanitise.odf import sanitise_odf
from clearance.screening.types import FileResult, Severity
from cli.screen import register
from tests.screening import corpus as K
from tests.screening import corpus_formats as C
from tests.screening import corpus_pdf as P


def _cli() -> click.Group:
    group = click.Group("clearance")
    register(group)
    return group


PRESS = [C.p("THÔNG CÁO BÁO CHÍ"), C.p("Lễ hội mật ong rừng U Minh thu hút du khách.")]
ODT = "application/vnd.oasis.opendocument.text"


def _dropped(result: FileResult) -> list[str]:
    """What the derivative left out: removed on purpose (info) or lost (held)."""
    return [f.message for f in result.findings if f.rule in (SANITISED_RULE, NO_DERIVATIVE_RULE)]


def _lost(result: FileResult) -> list[str]:
    """What the derivative could not keep: each a review finding on the derivative."""
    found = [f for f in result.findings if f.rule.endswith(NO_DERIVATIVE_RULE)]
    assert all(f.severity == "review" for f in found)
    return [f.message for f in found]


def _holding(result: FileResult) -> set[str]:
    return {f.rule for f in result.findings if f.severity in ("review", "block")}


def _members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def _has_gps(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as image:
        return bool(image.getexif().get_ifd(0x8825)) or "exif" in image.info


def _commented_zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.comment = "Người lập: Nguyễn Văn A".encode()
        for name, content in members.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 11, 30, 9, 15, 0))
            info.comment = b"internal"
            zf.writestr(info, content)
    return out.getvalue()


# --- ZIP ----------------------------------------------------------------------------------


def test_benign_zip_becomes_a_publishable_rebuilt_archive(rules: ScreeningRules) -> None:
    text = "Lễ hội mật ong rừng U Minh".encode()
    odt = C.odt(PRESS)
    original = _commented_zip({"tin/a.txt": text, "tin/b.odt": odt, "tin/bang.csv": b"a,b\n1,2\n"})
    result = screen_file(original, "a.zip", rules)
    assert result.verdict is Verdict.CLEAR, result.findings
    assert result.sanitized is not None and result.sanitized_type == "application/zip"
    members = _members(result.sanitized)
    assert members == {
        "tin/a.txt": text,
        "tin/b.odt": sanitise_odf(odt, ODT),
        "tin/bang.csv": b"a,b\n1,2\n",
    }
    with zipfile.ZipFile(io.BytesIO(result.sanitized)) as zf:
        assert zf.comment == b""
        assert {info.date_time for info in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert {info.comment for info in zf.infolist()} == {b""}
    # the derivative is itself read and clear
    assert screen_file(result.sanitized, "a.zip", rules).verdict is Verdict.CLEAR


def test_gps_is_stripped_from_a_member_image(rules: ScreeningRules) -> None:
    photo = K.jpeg_with_gps()
    assert _has_gps(photo)
    inner = C.zip_of({"anh.jpg": photo})
    result = screen_file(C.zip_of({"anh.jpg": photo, "con/inner.zip": inner}), "a.zip", rules)
    assert result.verdict is not Verdict.BLOCKED
    assert any(f.part == "anh.jpg > exif gps" for f in result.findings)
    assert result.sanitized is not None
    members = _members(result.sanitized)
    assert not _has_gps(members["anh.jpg"])
    with Image.open(io.BytesIO(members["anh.jpg"])) as kept, Image.open(io.BytesIO(photo)) as was:
        assert kept.size == was.size and kept.format == "JPEG"
    nested = _members(members["con/inner.zip"])  # recursively: the nested archive rebuilt too
    assert list(nested) == ["anh.jpg"] and not _has_gps(nested["anh.jpg"])


def test_unknown_member_is_dropped_and_reported(rules: ScreeningRules) -> None:
    original = C.zip_of({"a.txt": "Lễ hội mật ong".encode(), "du-lieu.bin": bytes(range(256))})
    result = screen_file(original, "a.zip", rules)
    assert result.verdict is Verdict.REVIEW
    unread = [f for f in result.findings if f.rule == "screening.uninspected"]
    assert [f.part for f in unread] == ["du-lieu.bin"]
    assert result.sanitized is not None
    assert _members(result.sanitized) == {"a.txt": "Lễ hội mật ong".encode()}
    assert any("du-lieu.bin" in message and "not read" in message for message in _dropped(result))


def test_held_or_underivable_members_are_left_out(rules: ScreeningRules) -> None:
    rtf = C.rtf(C.rtf_text("Thông cáo"), info=C.rtf_text("Nguyễn Văn A"))
    broken = b"%PDF-1.7\n" + b"\x00" * 64
    original = C.zip_of({"a.txt": b"ok", "b.rtf": rtf, "c.pdf": broken})
    result = screen_file(original, "a.zip", rules)
    assert result.verdict is Verdict.REVIEW
    assert result.sanitized is not None
    assert _members(result.sanitized) == {"a.txt": b"ok"}
    dropped = " | ".join(_dropped(result))
    assert "b.rtf (no sanitised derivative is made for text/rtf)" in dropped
    assert "c.pdf (not read in full" in dropped


def test_member_names_are_screened(rules: ScreeningRules) -> None:
    result = screen_file(C.zip_of({"TỐI MẬT/a.txt": b"ok"}), "a.zip", rules)
    assert result.verdict is Verdict.BLOCKED
    assert result.sanitized is None


# --- EML ----------------------------------------------------------------------------------


def _message(data: bytes) -> EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _relayed(message: bytes) -> bytes:
    return (
        b"Received: from mail.noibo.gov.vn (10.1.2.3) by mx.example.vn\n"
        b"X-Mailer: Outlook 16.0 (may-tinh-phong-tong-hop)\n"
        b"Message-ID: <123@may-tinh-phong-tong-hop.noibo.gov.vn>\n" + message
    )


def test_benign_eml_becomes_a_rebuilt_message(rules: ScreeningRules) -> None:
    odt = C.odt(PRESS)
    body = "Kính gửi quý báo,\nLễ hội mật ong rừng."
    html = "<p>Lễ hội <b>mật ong</b></p>"
    original = _relayed(
        C.eml(
            "Thông cáo: lễ hội mật ong",
            body,
            html=html,
            attachments=[("thong-cao.odt", odt, "application/vnd.oasis.opendocument.text")],
        )
    )
    result = screen_file(original, "thu.eml", rules)
    # read in full: only the policy's "a file is attached" review stands (no uninspected part)
    assert _holding(result) == {"meta.embedded_files"}, result.findings
    assert result.sanitized is not None and result.sanitized_type == "message/rfc822"
    rebuilt = _message(result.sanitized)
    assert rebuilt["Subject"] == "Thông cáo: lễ hội mật ong"
    assert rebuilt["From"] == "Văn phòng UBND <vanphong@example.gov.vn>"
    assert rebuilt["To"] == "bao-chi@example.vn"
    for header in ("Received", "X-Mailer", "Message-ID"):
        assert header not in rebuilt
    assert b"may-tinh-phong-tong-hop" not in result.sanitized
    assert any("Received, X-Mailer, Message-ID" in m for m in _dropped(result))
    plain = rebuilt.get_body(preferencelist=("plain",))
    rich = rebuilt.get_body(preferencelist=("html",))
    assert plain is not None and plain.get_content().rstrip("\n") == body
    assert rich is not None and "mật ong" in rich.get_content()
    attachments = list(rebuilt.iter_attachments())
    assert [a.get_filename() for a in attachments] == ["thong-cao.odt"]
    assert attachments[0].get_content() == sanitise_odf(odt, ODT)
    assert _holding(screen_file(result.sanitized, "thu.eml", rules)) == {"meta.embedded_files"}
    active = C.eml("Tin", body, html='<p onclick="x()">Lễ hội</p><script>alert(1)</script>')
    held = screen_file(active, "b.eml", rules)  # active content holds it; the derivative is inert
    assert held.verdict is Verdict.REVIEW and held.sanitized is not None
    rich = _message(held.sanitized).get_body(preferencelist=("html",))
    assert rich is not None and "Lễ hội" in rich.get_content()
    assert "<script" not in rich.get_content() and "onclick" not in rich.get_content()


def test_eml_attachment_gps_stripped_and_forwarded_message_rebuilt(
    rules: ScreeningRules,
) -> None:
    photo = K.jpeg_with_gps()
    inner = _relayed(C.eml("Ảnh hiện trường", "Ảnh đính kèm", attachments=[
        ("anh.jpg", photo, "image/jpeg")]))  # fmt: skip
    outer = C.eml("Fwd", "Chuyển tiếp", attachments=[("thu.eml", inner, "message/rfc822")])
    result = screen_file(outer, "a.eml", rules)
    assert result.verdict is not Verdict.BLOCKED
    assert result.sanitized is not None
    rebuilt = _message(result.sanitized)
    forwarded = next(rebuilt.iter_attachments())
    assert forwarded.get_content_type() == "message/rfc822"
    inner_rebuilt = forwarded.get_content()
    assert inner_rebuilt["Subject"] == "Ảnh hiện trường" and "Received" not in inner_rebuilt
    image = next(inner_rebuilt.iter_attachments())
    assert image.get_filename() == "anh.jpg" and not _has_gps(image.get_content())
    assert b"may-tinh-phong-tong-hop" not in result.sanitized


def test_eml_unread_attachment_dropped_and_reported(rules: ScreeningRules) -> None:
    original = C.eml(
        "Tài liệu",
        "Đính kèm",
        attachments=[
            ("a.txt", "Lễ hội mật ong".encode(), "text/plain"),
            ("du-lieu.bin", bytes(range(256)), "application/octet-stream"),
        ],
    )
    result = screen_file(original, "a.eml", rules)
    assert result.verdict is not Verdict.CLEAR  # the unknown attachment holds it
    assert result.sanitized is not None
    rebuilt = _message(result.sanitized)
    assert [a.get_filename() for a in rebuilt.iter_attachments()] == ["a.txt"]
    kept = next(rebuilt.iter_attachments())
    assert kept.get_payload(decode=True) == "Lễ hội mật ong".encode()
    assert any("du-lieu.bin" in m for m in _dropped(result))


# --- a derivative that loses a member is never clear --------------------------------------


def _lenient(rules: ScreeningRules) -> ScreeningRules:
    """The rules with embedded files at ``info``: what holds a lost member is not the policy."""
    metadata = tuple(
        dataclasses.replace(rule, severity=Severity.INFO)
        if rule.kind is MetadataKind.EMBEDDED_FILES
        else rule
        for rule in rules.metadata
    )
    return dataclasses.replace(rules, metadata=metadata)


RTF = C.rtf(C.rtf_text("Thông cáo báo chí: lễ hội mật ong"))


def test_a_zip_of_only_an_rtf_is_held_not_published_empty(rules: ScreeningRules) -> None:
    original = C.zip_of({"thong-cao.rtf": RTF})
    for result in (
        screen_file(original, "a.zip", rules),
        screen_file_isolated(original, "a.zip", rules),  # the pipeline's and the CLI's child
    ):
        assert result.verdict is Verdict.REVIEW, result.findings
        assert result.sanitized is not None and _members(result.sanitized) == {}
        [lost] = _lost(result)
        assert "thong-cao.rtf (no sanitised derivative is made for text/rtf)" in lost


def test_the_cli_says_review_for_a_zip_whose_member_is_lost(tmp_path: Path) -> None:
    path = tmp_path / "a.zip"
    path.write_bytes(C.zip_of({"thong-cao.rtf": RTF, "tin.txt": "Lễ hội".encode()}))
    out = CliRunner().invoke(_cli(), ["screen", str(path), "--json"])
    [result] = json.loads(out.output)["results"]
    assert result["verdict"] == "review"
    assert any(f["rule"] == NO_DERIVATIVE_RULE for f in result["findings"])


def test_a_nested_zip_that_loses_a_member_holds_the_outer_one(rules: ScreeningRules) -> None:
    inner = C.zip_of({"thong-cao.rtf": RTF, "tin.txt": b"ok"})
    result = screen_file(C.zip_of({"con/inner.zip": inner}), "a.zip", rules)
    assert result.verdict is Verdict.REVIEW
    assert result.sanitized is not None
    assert _members(_members(result.sanitized)["con/inner.zip"]) == {"tin.txt": b"ok"}
    assert [f.part for f in result.findings if f.rule == NO_DERIVATIVE_RULE] == [
        "con/inner.zip > derivative"
    ]


def test_an_eml_that_loses_an_attachment_is_held_whatever_the_policy(
    rules: ScreeningRules,
) -> None:
    original = C.eml("Thông cáo", "Đính kèm", attachments=[("thong-cao.rtf", RTF, "text/rtf")])
    result = screen_file(original, "a.eml", _lenient(rules))
    assert result.verdict is Verdict.REVIEW, result.findings
    assert result.sanitized is not None
    assert list(_message(result.sanitized).iter_attachments()) == []
    [lost] = _lost(result)
    assert "thong-cao.rtf" in lost


def test_members_that_are_rebuilt_are_kept_and_clear(rules: ScreeningRules) -> None:
    message = C.eml("Tin", "Lễ hội mật ong rừng.")
    original = C.zip_of({"thu.eml": message, "bang.csv": b"a,b\n1,2\n", "b.odt": C.odt(PRESS)})
    result = screen_file(original, "a.zip", rules)
    assert result.verdict is Verdict.CLEAR, result.findings
    assert result.sanitized is not None
    members = _members(result.sanitized)
    assert set(members) == {"thu.eml", "bang.csv", "b.odt"}
    assert _message(members["thu.eml"])["Subject"] == "Tin"


def test_a_pdf_whose_attached_file_is_dropped_is_held_whatever_the_policy(
    rules: ScreeningRules,
) -> None:
    doc = P.PdfDoc()
    page = doc.page(P.letter())
    doc.attach("bang.txt", "Lễ hội mật ong".encode())
    doc.attach("ghi-chu.txt", b"ok", page=page)
    result = screen_file(doc.save(), "a.pdf", _lenient(rules))
    assert result.verdict is Verdict.REVIEW, result.findings
    lost = " | ".join(_lost(result))
    assert "bang.txt" in lost and "ghi-chu.txt" in lost
    assert result.sanitized is not None and b"EmbeddedFile" not in result.sanitized


def test_office_documents_whose_embedded_pdf_is_dropped_are_held(rules: ScreeningRules) -> None:
    pdf = P.one_page(P.letter())
    docx = K.docx([K.para(K.run("Báo cáo du lịch"))], extra_parts={"word/embeddings/a.pdf": pdf})
    odt = C.odt(PRESS, extra={"Object 1/a.pdf": pdf})
    for data, name, part in ((docx, "a.docx", "word/embeddings/a.pdf"),
                             (odt, "a.odt", "Object 1/a.pdf")):  # fmt: skip
        result = screen_file(data, name, _lenient(rules))
        assert result.verdict is Verdict.REVIEW, (name, result.findings)
        [lost] = _lost(result)
        assert part in lost
        assert result.sanitized is not None and part not in _members(result.sanitized)
    thumbnail = C.odt(PRESS, extra={"Thumbnails/thumbnail.png": K.png()})
    kept = screen_file(thumbnail, "b.odt", _lenient(rules))  # a thumbnail is no member
    assert not _lost(kept) and kept.verdict is not Verdict.BLOCKED


def test_an_odf_derivative_is_the_same_whenever_it_is_made(rules: ScreeningRules) -> None:
    odt = C.odt(PRESS)
    first = sanitise_odf(odt, ODT)
    with zipfile.ZipFile(io.BytesIO(first)) as zf:
        assert {info.date_time for info in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert sanitise_odf(odt, ODT) == first


def test_odf_xml_is_cleaned_as_a_stream_keeping_prefixes_and_text(rules: ScreeningRules) -> None:
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {C.NS}><office:body>'
        '<office:text><text:p text:style-name="P&amp;1">Lễ hội<office:annotation>'
        "<dc:creator>B</dc:creator><text:p>ghi chú</text:p></office:annotation> mật ong &lt;"
        '2026&gt;<text:hidden-text text:string-value="ẩn"/> rừng</text:p></office:text>'
        "</office:body></office:document-content>"
    )
    clean = _members(sanitise_odf(C.odf_package(C.ODT, {"content.xml": content}), ODT))
    xml = clean["content.xml"].decode()
    assert "<office:document-content" in xml and "<text:p " in xml  # the document's prefixes
    assert 'text:style-name="P&amp;1"' in xml
    assert "Lễ hội mật ong &lt;2026&gt; rừng" in xml  # the text after the comment kept
    assert "ghi chú" not in xml and "annotation" not in xml and "hidden-text" not in xml
    derivative = C.odf_package(C.ODT, {"content.xml": xml})
    assert screen_file(derivative, "b.odt", rules).verdict is not Verdict.BLOCKED


@pytest.mark.parametrize(
    "inner",
    [
        "<text:p>Lễ hội<office:annotation><text:p>ghi chú</text:p></office:annotation></text:p>",
        '<text:p>Lễ hội<annotation xmlns="urn:oasis:names:tc:opendocument:xmlns:office:1.0">'
        "<text:p>ghi chú</text:p></annotation></text:p>",
        "<text:p>Lễ hội<!-- ghi chú --></text:p>",
        "<text:p>Lễ hội<?ghi chú?></text:p>",
    ],
)
def test_a_part_is_copied_as_it_is_only_when_nothing_in_it_is_removed(inner: str) -> None:
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {C.NS}><office:body>'
        f"<office:text>{inner}</office:text></office:body></office:document-content>"
    )
    for encoding in ("utf-8", "utf-16"):
        data = content.replace('encoding="UTF-8"', f'encoding="{encoding.upper()}"')
        package = C.odf_package(C.ODT, {"content.xml": data.encode(encoding)})
        xml = _members(sanitise_odf(package, ODT))["content.xml"].decode("utf-8")
        assert "ghi chú" not in xml and "Lễ hội" in xml, (encoding, xml)
    plain = content.replace(inner, "<text:p>Lễ hội</text:p>")
    package = C.odf_package(C.ODT, {"content.xml": plain})
    assert _members(sanitise_odf(package, ODT))["content.xml"] == plain.encode()


def test_an_archive_with_no_file_is_never_clear(rules: ScreeningRules) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("tin/", b"")
    result = screen_file(out.getvalue(), "a.zip", rules)  # folders only
    assert result.verdict is Verdict.REVIEW, result.findings
    [lost] = _lost(result)
    assert "the archive holds none" in lost
    assert screen_file(C.zip_of({}), "b.zip", rules).verdict is Verdict.REVIEW  # no entry
