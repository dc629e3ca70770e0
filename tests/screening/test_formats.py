"""ODF, EML/MIME, RTF and ZIP: every part read or reported, stamps found in each, near-misses
clear (generated corpus: tests/screening/corpus_formats.py)."""

from __future__ import annotations

import io
import subprocess
import zipfile
from pathlib import Path

import pytest

from clearance.screening import ScreeningRules, Verdict, screen_file
from clearance.screening import legacy_vn as L
from clearance.screening.types import FileResult
from tests.screening import corpus_formats as C

PRESS = [
    C.p("THÔNG CÁO BÁO CHÍ"),
    C.p("Lễ hội mật ong rừng U Minh năm nay thu hút đông đảo du khách."),
    C.p("Mật độ dân cư của huyện tăng; du khách được phục vụ thân mật."),
    C.p("Độ mật: Thường"),
]
STAMP = "TỐI MẬT"


def _rules_of(result: FileResult) -> set[str]:
    return {f.rule for f in result.findings}


def _read_and_clear(result: FileResult) -> bool:
    """Read in full with nothing found: held only because the format has no rebuilt derivative."""
    held = {f.rule for f in result.findings if f.severity != "info"}
    return result.verdict is Verdict.REVIEW and held == {"screening.no_derivative"}


def _rebuilt_and_clear(result: FileResult) -> bool:
    """Read in full with nothing found, and published as its rebuilt derivative."""
    return result.verdict is Verdict.CLEAR and result.sanitized is not None


def _uninspected(result: FileResult) -> list[str]:
    return [f.part for f in result.findings if f.rule == "screening.uninspected"]


# --- ODF ----------------------------------------------------------------------------------


def _object_content(text: str) -> str:
    return (
        f'<?xml version="1.0"?><office:document-content {C.NS}><office:body><office:text>'
        f"{C.p(text)}</office:text></office:body></office:document-content>"
    )


def test_benign_press_release_odt_is_clear_and_every_part_covered(rules: ScreeningRules) -> None:
    data = C.odt(PRESS)
    result = screen_file(data, "thong-cao.odt", rules)
    assert result.verdict is Verdict.CLEAR, result.findings
    covered = {c.part.split(" ")[0] for c in result.coverage}
    assert set(zipfile.ZipFile(io.BytesIO(data)).namelist()) <= covered
    assert result.sanitized is not None and result.sanitized_type == C.ODT


@pytest.mark.parametrize(
    "where",
    [
        {"body": [C.p(STAMP), C.p("BÁO CÁO")]},
        {"header": STAMP},
        {"frame": STAMP},
        {"note": STAMP},
        {"annotation": STAMP},
        {"deletion": STAMP},
        {"extra": {"Object 1/content.xml": _object_content(STAMP)}},
    ],
    ids=["body", "header", "text box", "footnote", "annotation", "tracked deletion", "object"],
)
def test_stamp_anywhere_in_an_odt_blocks(rules: ScreeningRules, where: dict[str, object]) -> None:
    body = where.pop("body", PRESS)
    result = screen_file(C.odt(body, **where), "a.odt", rules)  # type: ignore[arg-type]
    assert result.verdict is Verdict.BLOCKED, result.findings


def test_annotations_and_tracked_changes_are_observed_and_removed(rules: ScreeningRules) -> None:
    data = C.odt(PRESS, annotation="Ghi chú của người soạn", deletion="Đoạn đã xoá")
    result = screen_file(data, "a.odt", rules)
    parts = {f.part for f in result.findings}
    assert "content.xml" in parts
    assert result.sanitized is not None
    clean = zipfile.ZipFile(io.BytesIO(result.sanitized))
    content = clean.read("content.xml").decode()
    assert "Ghi chú của người soạn" not in content and "Đoạn đã xoá" not in content
    assert "Lễ hội mật ong" in content
    assert "meta.xml" not in clean.namelist()
    assert clean.namelist()[0] == "mimetype"
    assert "meta.xml" not in clean.read("META-INF/manifest.xml").decode()
    rescreened = screen_file(result.sanitized, "a.odt", rules)
    assert rescreened.verdict is Verdict.CLEAR, rescreened.findings


def test_unknown_part_is_uninspected_and_dropped(rules: ScreeningRules) -> None:
    data = C.odt(PRESS, extra={"ObjectReplacements/Object 1": b"\x01\x02binary metafile"})
    result = screen_file(data, "a.odt", rules)
    assert result.verdict is Verdict.REVIEW
    assert "ObjectReplacements/Object 1" in _uninspected(result)


def test_part_missing_from_the_manifest_is_still_read(rules: ScreeningRules) -> None:
    stray = _object_content(STAMP)
    buffer = io.BytesIO(C.odt(PRESS))
    with zipfile.ZipFile(buffer, "a") as zf:
        zf.writestr("hidden/part.xml", stray)
    assert screen_file(buffer.getvalue(), "a.odt", rules).verdict is Verdict.BLOCKED


def test_macros_are_refused(rules: ScreeningRules) -> None:
    data = C.odt(PRESS, extra={"Basic/Standard/Module1.xml": "<x>Sub Main</x>"})
    result = screen_file(data, "a.odt", rules)
    assert result.verdict is Verdict.BLOCKED
    assert "macro" in (result.held_reason or "")


def test_no_manifest_is_held(rules: ScreeningRules) -> None:
    data = C.odf_package(C.ODT, {"content.xml": "<x/>"}, manifest=False)
    assert screen_file(data, "a.odt", rules).verdict is Verdict.REVIEW


@pytest.mark.parametrize(
    ("encoding", "font", "text"),
    [(L.TCVN3, ".VnTimeH", "tối mật"), (L.VNI, "VNI-Times", STAMP)],  # .VnTimeH draws capitals
)
def test_legacy_font_text_in_odt_is_converted(
    rules: ScreeningRules, encoding: str, font: str, text: str
) -> None:
    stored = L.encode(text, encoding).decode("cp1252")  # what LibreOffice keeps for the run
    data = C.odt([C.p(stored, "Legacy"), C.p("BAO CAO")], font=font)
    result = screen_file(data, "a.odt", rules)
    assert result.verdict is Verdict.BLOCKED, result.findings
    assert any(encoding in c.method for c in result.coverage)
    near = L.encode("Đặc sản mật ong rừng của huyện", encoding).decode("cp1252")
    plain_font = ".VnTime" if encoding == L.TCVN3 else font
    clear = screen_file(C.odt([C.p(near, "Legacy")], font=plain_font), "b.odt", rules)
    assert clear.verdict is Verdict.CLEAR, clear.findings


def test_ods_cells_and_odp_notes(rules: ScreeningRules) -> None:
    assert screen_file(C.ods(["Số liệu", STAMP]), "a.ods", rules).verdict is Verdict.BLOCKED
    assert screen_file(C.ods(["Mật độ dân số", "1200"]), "b.ods", rules).verdict is Verdict.CLEAR
    slides = C.odp(["Giới thiệu du lịch", "Mật ong rừng"], notes=STAMP)
    assert screen_file(slides, "a.odp", rules).verdict is Verdict.BLOCKED
    clean = C.odp(["Giới thiệu du lịch"], notes="Nói về mật ong")
    assert screen_file(clean, "b.odp", rules).verdict is Verdict.CLEAR


def test_pictures_are_screened_as_images(rules: ScreeningRules) -> None:
    result = screen_file(C.odt(PRESS, picture=C.small_png()), "a.odt", rules)
    assert any(c.part.startswith("Pictures/scan.png > ") for c in result.coverage)


def test_english_odt(rules: ScreeningRules) -> None:
    secret = C.odt([C.p("TOP SECRET"), C.p("Quarterly security report")])
    assert screen_file(secret, "a.odt", rules).verdict is Verdict.BLOCKED
    benign = C.odt([C.p("Press release"), C.p("The honey festival welcomes visitors.")])
    assert screen_file(benign, "b.odt", rules).verdict is Verdict.CLEAR


# --- EML ----------------------------------------------------------------------------------


def test_eml_subject_body_html_and_attachments(rules: ScreeningRules) -> None:
    benign = C.eml("Thông cáo: lễ hội mật ong", "Kính gửi quý báo,\nLễ hội mật ong rừng.")
    result = screen_file(benign, "thu.eml", rules)
    assert _rebuilt_and_clear(result), result.findings
    assert screen_file(C.eml(STAMP, "Nội dung"), "a.eml", rules).verdict is Verdict.BLOCKED
    body = C.eml("Báo cáo", f"{STAMP}\nBÁO CÁO tình hình")
    assert screen_file(body, "b.eml", rules).verdict is Verdict.BLOCKED
    html = C.eml("Tin", "Xem bản HTML", html=f"<p>{STAMP}</p><p>Nội dung</p>")
    assert screen_file(html, "c.eml", rules).verdict is Verdict.BLOCKED
    attached = C.eml(
        "Gửi tài liệu",
        "Đính kèm",
        attachments=[("bao-cao.odt", C.odt([C.p(STAMP)]), "application/octet-stream")],
    )
    result = screen_file(attached, "d.eml", rules)
    assert result.verdict is Verdict.BLOCKED
    assert any(f.part.startswith("bao-cao.odt > ") for f in result.findings)


def test_eml_charsets_are_honoured(rules: ScreeningRules) -> None:
    for charset, codec in (("utf-8", "utf-8"), ("windows-1258", L.CP1258)):
        text = f"{STAMP}\nNội dung"
        body = text.encode() if codec == "utf-8" else L.encode(text, codec)
        data = (
            b"From: a@example.vn\nTo: b@example.vn\nSubject: =?utf-8?q?Tin_t=E1=BB=A9c?=\n"
            b"MIME-Version: 1.0\nContent-Type: text/plain; charset=" + charset.encode() + b"\n"
            b"Content-Transfer-Encoding: 8bit\n\n" + body + b"\n"
        )
        assert screen_file(data, "a.eml", rules).verdict is Verdict.BLOCKED, charset
    broken = (
        b"From: a@example.vn\nTo: b@example.vn\nSubject: x\nMIME-Version: 1.0\n"
        b"Content-Type: text/plain; charset=x-unknown-charset\n\nT\xd4I M\xc2T\n"
    )
    assert screen_file(broken, "b.eml", rules).verdict is Verdict.REVIEW


def test_nested_messages_recursive_and_capped(rules: ScreeningRules) -> None:
    inner = C.eml("Chuyển tiếp", f"{STAMP}\nNội dung")
    outer = C.eml("Fwd", "Xem thư đính kèm", attachments=[("thu.eml", inner, "message/rfc822")])
    assert screen_file(outer, "a.eml", rules).verdict is Verdict.BLOCKED
    deep = C.eml("Tin", "mật ong")
    for level in range(6):
        deep = C.zip_of({f"l{level}.eml": deep})
        deep = C.eml("Fwd", "x", attachments=[(f"z{level}.zip", deep, "application/zip")])
    result = screen_file(deep, "deep.eml", rules)
    assert result.verdict is Verdict.REVIEW
    assert "nest deeper" in str([f.message for f in result.findings])


def test_english_eml(rules: ScreeningRules) -> None:
    assert screen_file(C.eml("TOP SECRET", "x"), "a.eml", rules).verdict is Verdict.BLOCKED
    assert _rebuilt_and_clear(screen_file(C.eml("Honey fair", "Welcome"), "b.eml", rules))


# --- RTF ----------------------------------------------------------------------------------


def test_rtf_text_escapes_and_code_pages(rules: ScreeningRules) -> None:
    unicode_body = C.rtf(C.rtf_text(f"{STAMP}\nBÁO CÁO"))
    assert screen_file(unicode_body, "a.rtf", rules).verdict is Verdict.BLOCKED
    cp1258 = "".join(f"\\'{b:02x}" if b > 127 else chr(b) for b in L.encode(STAMP, L.CP1258))
    data = C.rtf(cp1258 + "\\par BAO CAO", codepage=1258, charset=163)
    assert screen_file(data, "b.rtf", rules).verdict is Verdict.BLOCKED
    near = C.rtf(C.rtf_text("Lễ hội mật ong rừng, mật độ dân cư, bảo vệ bí mật nhà nước"))
    assert _read_and_clear(screen_file(near, "c.rtf", rules))


@pytest.mark.parametrize("encoding", [L.TCVN3, L.VNI])
def test_rtf_legacy_font_table(rules: ScreeningRules, encoding: str) -> None:
    font = ".VnTimeH" if encoding == L.TCVN3 else "VNI-Times"
    text = "tối mật" if encoding == L.TCVN3 else STAMP
    raw = L.encode(text, encoding)
    body = "".join(f"\\'{b:02x}" if b > 127 else chr(b) for b in raw)
    result = screen_file(C.rtf(body + "\\par BAO CAO", font=font), "a.rtf", rules)
    assert result.verdict is Verdict.BLOCKED, result.findings


def test_rtf_hidden_text_fields_and_info(rules: ScreeningRules) -> None:
    hidden = C.rtf("{\\v " + C.rtf_text(STAMP) + "\\par}Thong cao\\par")
    result = screen_file(hidden, "a.rtf", rules)
    assert result.verdict is Verdict.BLOCKED
    field = C.rtf('{\\field{\\*\\fldinst HYPERLINK "x"}{\\fldrslt ' + C.rtf_text(STAMP) + "}}")
    assert screen_file(field, "b.rtf", rules).verdict is Verdict.BLOCKED
    info = C.rtf(C.rtf_text("Thông cáo"), info=C.rtf_text(STAMP))
    assert screen_file(info, "c.rtf", rules).verdict in (Verdict.REVIEW, Verdict.BLOCKED)


def test_rtf_objects_and_pictures(rules: ScreeningRules) -> None:
    obj = C.rtf("{\\object\\objemb{\\*\\objclass Excel.Sheet}{\\*\\objdata 01050000}}")
    result = screen_file(obj, "a.rtf", rules)
    assert result.verdict is Verdict.REVIEW
    assert "object 1" in _uninspected(result)
    wmf = C.rtf(C.rtf_picture(b"\x01\x00\x09\x00", "wmetafile8"))
    assert "picture 1" in _uninspected(screen_file(wmf, "b.rtf", rules))
    pic = screen_file(C.rtf(C.rtf_picture(C.small_png())), "c.rtf", rules)
    assert any(c.part.startswith("picture 1.png > ") for c in pic.coverage)


def test_not_rtf_is_held(rules: ScreeningRules) -> None:
    assert screen_file(b"{\\rtf1 unterminated {{{", "a.rtf", rules).verdict is not Verdict.CLEAR


# --- formats without a rebuilt derivative ----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "make", "carried"),
    [
        (
            "a.rtf",
            lambda: C.rtf(C.rtf_text("Thông cáo"), info=C.rtf_text("Nguyễn Văn A")),
            "\\info",
        ),
    ],
)
def test_unrebuilt_formats_are_held_not_published_unchanged(
    rules: ScreeningRules, name: str, make: object, carried: str
) -> None:
    # the sanitiser publishes only what it read and rebuilt: these are read but not rebuilt, so
    # a benign one is held with a finding saying what the bytes would carry and what to do
    result = screen_file(make(), name, rules)  # type: ignore[operator]
    assert result.sanitized is None
    assert result.verdict is Verdict.REVIEW
    held = [f for f in result.findings if f.rule == "screening.no_derivative"]
    assert len(held) == 1 and held[0].severity == "review" and held[0].part == "derivative"
    assert (
        carried in held[0].message and "Submit the content as PDF, DOCX or ODT" in held[0].message
    )
    # inside an archive the member is left out of the archive's rebuilt derivative, named, and
    # the archive is held: its derivative would not hold everything that was submitted
    nested = screen_file(C.zip_of({"b.rtf": make(), "c.txt": b"ok"}), "d.zip", rules)  # type: ignore[operator]
    assert nested.verdict is Verdict.REVIEW
    assert nested.sanitized is not None
    with zipfile.ZipFile(io.BytesIO(nested.sanitized)) as rebuilt:
        assert rebuilt.namelist() == ["c.txt"]
    [lost] = [f for f in nested.findings if f.rule == "screening.no_derivative"]
    assert lost.severity == "review" and "b.rtf" in lost.message


# --- ZIP ----------------------------------------------------------------------------------


def test_zip_members_screened_each(rules: ScreeningRules) -> None:
    benign = C.zip_of({"a.txt": "Lễ hội mật ong".encode(), "b.odt": C.odt(PRESS), "d/": b""})
    assert _rebuilt_and_clear(screen_file(benign, "a.zip", rules))
    secret = C.zip_of({"a.txt": b"ok", "sub/b.txt": f"{STAMP}\nBAO CAO".encode()})
    result = screen_file(secret, "b.zip", rules)
    assert result.verdict is Verdict.BLOCKED
    assert any(f.part.startswith("sub/b.txt > ") for f in result.findings)
    exe = C.zip_of({"setup.exe": b"MZ\x90\x00" + b"\x00" * 200})
    assert screen_file(exe, "c.zip", rules).verdict is Verdict.BLOCKED


def test_zip_depth_and_bomb_caps(rules: ScreeningRules) -> None:
    nested = b"ok"
    name = "a.txt"
    for level in range(6):
        nested = C.zip_of({name: nested})
        name = f"l{level}.zip"
    assert screen_file(nested, "n.zip", rules).verdict is Verdict.REVIEW
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.txt", b"a" * (20 * 1024 * 1024))
    assert screen_file(bomb.getvalue(), "b.zip", rules).verdict is Verdict.REVIEW


# --- a press release made by LibreOffice, through the press channel ------------------------


def _soffice(source: Path, target: str, out: Path) -> Path:
    subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{out}/profile", "--headless",
         "--infilter=HTML (StarWriter)" if source.suffix == ".html" else "--norestore",
         "--convert-to", target, "--outdir", str(out), str(source)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return out / f"{source.stem}.{target.split(':', maxsplit=1)[0]}"


@pytest.mark.slow
def test_libreoffice_press_release_passes_the_press_channel(
    rules: ScreeningRules, tmp_path: Path
) -> None:
    from clearance.policy.loader import load_policy

    policy = load_policy(
        Path(__file__).resolve().parents[2] / "clearance" / "policies_default" / "default.yaml"
    )
    allowed = policy.channel("press").file_types
    html = tmp_path / "thong-cao.html"
    html.write_text(
        "<html><body><h1>THÔNG CÁO BÁO CHÍ</h1><p>Lễ hội mật ong rừng U Minh thu hút du khách."
        "</p><p>Mật độ du khách tăng; dịch vụ thân mật.</p></body></html>",
        encoding="utf-8",
    )
    odt = _soffice(html, "odt:writer8", tmp_path)
    result = screen_file(odt.read_bytes(), "thong-cao.odt", rules, allowed_types=allowed)
    assert result.verdict is Verdict.CLEAR, result.findings
    assert not _uninspected(result)
    assert result.sanitized is not None
    clean = tmp_path / "clean" / "thong-cao.odt"
    clean.parent.mkdir()
    clean.write_bytes(result.sanitized)
    text = _soffice(clean, "txt:Text", clean.parent).read_text(encoding="utf-8-sig")
    assert "Lễ hội mật ong rừng" in text  # the derivative opens in LibreOffice with its text
    secret = tmp_path / "bao-cao.html"
    secret.write_text("<p>TỐI MẬT</p><h1>BÁO CÁO</h1><p>Nội dung</p>", encoding="utf-8")
    blocked = _soffice(secret, "odt:writer8", tmp_path)
    assert screen_file(blocked.read_bytes(), "b.odt", rules).verdict is Verdict.BLOCKED


def test_odf_event_listeners_are_active_content(rules: ScreeningRules) -> None:
    content = (
        f'<?xml version="1.0"?><office:document-content {C.NS} '
        'xmlns:script="urn:oasis:names:tc:opendocument:xmlns:script:1.0"><office:scripts>'
        '<office:event-listeners><script:event-listener script:event-name="dom:load"/>'
        "</office:event-listeners></office:scripts><office:body><office:text>"
        f"{C.p('Thông cáo')}</office:text></office:body></office:document-content>"
    )
    result = screen_file(C.odf_package(C.ODT, {"content.xml": content}), "a.odt", rules)
    assert "meta.active_content" in _rules_of(result)


# --- scans inside messages and documents: OCR through the embedded files --------------------


@pytest.mark.slow
def test_scanned_stamp_inside_odt_rtf_eml_and_zip_blocks(rules: ScreeningRules) -> None:
    from tests.screening import corpus_ocr

    scan = corpus_ocr.encode(corpus_ocr.letter("TỐI MẬT"), "PNG")
    clean_scan = corpus_ocr.encode(corpus_ocr.letter(None), "PNG")
    containers = {
        "odt": lambda image: (C.odt(PRESS, picture=image), "a.odt"),
        "rtf": lambda image: (C.rtf("Th\\u244?ng c\\u225?o\\par " + C.rtf_picture(image)), "a.rtf"),
        "eml": lambda image: (
            C.eml("Công văn", "Đính kèm", attachments=[("cong-van.png", image, "image/png")]),
            "a.eml",
        ),
        "zip": lambda image: (C.zip_of({"scan/cong-van.png": image}), "a.zip"),
    }
    for kind, build in containers.items():
        data, name = build(scan)
        result = screen_file(data, name, rules)
        assert result.verdict is Verdict.BLOCKED, (kind, result.findings)
        assert any(c.method == "ocr" for c in result.coverage), kind
        data, name = build(clean_scan)
        assert screen_file(data, name, rules).verdict is not Verdict.BLOCKED, kind


def test_flat_odt(rules: ScreeningRules) -> None:
    benign = C.fodt(PRESS, title="Thông cáo", annotation="ghi chú riêng", picture=C.small_png())
    result = screen_file(benign, "thong-cao.fodt", rules)
    assert result.verdict is Verdict.CLEAR, result.findings
    assert any(c.part.startswith("picture 1.png > ") for c in result.coverage)
    assert result.sanitized is not None
    assert b"ghi ch" not in result.sanitized and b"office:meta" not in result.sanitized
    assert "Lễ hội mật ong".encode() in result.sanitized
    assert screen_file(C.fodt([C.p(STAMP), C.p("BÁO CÁO")]), "a.fodt", rules).verdict is (
        Verdict.BLOCKED
    )
    held = screen_file(C.fodt(PRESS, title="Tài liệu tối mật"), "b.fodt", rules)
    assert held.verdict is Verdict.REVIEW, held.findings


def test_flat_odt_with_basic_source_is_refused(rules: ScreeningRules) -> None:
    macro = (
        f'<?xml version="1.0"?><office:document {C.NS} xmlns:ooo="http://openoffice.org/2004/office"'
        f' office:mimetype="{C.ODT}"><office:scripts><office:script><ooo:libraries>'
        "<ooo:library-embedded><ooo:module><ooo:source-code>Sub Main</ooo:source-code>"
        "</ooo:module></ooo:library-embedded></ooo:libraries></office:script></office:scripts>"
        f"<office:body><office:text>{C.p('Thông cáo')}</office:text></office:body></office:document>"
    ).encode()
    result = screen_file(macro, "a.fodt", rules)
    assert result.verdict is Verdict.BLOCKED
    assert "macro" in (result.held_reason or "")


def test_legacy_font_of_the_default_paragraph_style(rules: ScreeningRules) -> None:
    stored = L.encode("tối mật", L.TCVN3).decode("cp1252")
    styles = (
        f'<?xml version="1.0"?><office:document-styles {C.NS}><office:font-face-decls>'
        '<style:font-face style:name="VnH" svg:font-family=".VnTimeH"/></office:font-face-decls>'
        '<office:styles><style:default-style style:family="paragraph"><style:text-properties '
        'style:font-name="VnH"/></style:default-style></office:styles></office:document-styles>'
    )
    data = C.odt([C.p(stored), C.p("BAO CAO")], extra={"styles.xml": styles})
    assert screen_file(data, "a.odt", rules).verdict is Verdict.BLOCKED
