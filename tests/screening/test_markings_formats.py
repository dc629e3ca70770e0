"""Item 6 of #12: stamps typed without diacritics at the top of a formal document block; a
marking found only in metadata, custom XML or comments holds at least for review; GPS in XMP
(and the IPTC extension's XMP fields) is found like EXIF GPS, in images and in documents."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from clearance.screening import ScreeningRules, Verdict, screen_file, screen_text
from tests.screening import corpus_formats as C

TITLE = "BÁO CÁO\nTình hình kinh tế xã hội quý III\nKính gửi: Ủy ban nhân dân tỉnh"
ASCII_STAMPS = {
    "TUYET MAT": "marking.tuyet_mat",
    "TOI MAT": "marking.toi_mat",
    "MAT": "marking.mat",
}
DECORATIONS = st.sampled_from(["", "*", "**", "[", "(", "-", "="])
HEADS = st.sampled_from(["", "UBND TỈNH QUẢNG NGÃI\n", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"])


@settings(max_examples=80, deadline=None)
@given(stamp=st.sampled_from(sorted(ASCII_STAMPS)), left=DECORATIONS, right=DECORATIONS,
       head=HEADS)  # fmt: skip
def test_ascii_stamp_above_the_title_blocks(
    rules: ScreeningRules, stamp: str, left: str, right: str, head: str
) -> None:
    result = screen_text(f"{head}{left} {stamp} {right}\n{TITLE}", rules)
    assert result.verdict is Verdict.BLOCKED, result.findings
    assert ASCII_STAMPS[stamp] in {f.rule for f in result.findings}


RUNNING = st.sampled_from([
    "Ông ấy nói chuyện Toi mat rồi trong buổi họp",
    "Bài viết có tựa Toi mat mà vẫn vui, đăng trên mạng",
    "Khu du lịch mat mẻ vào mùa hè TOI MAT ong",
    "Họ gửi lời TOI MAT va TUYET MAT trong một câu nói đùa",
])  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(sentence=RUNNING, position=st.integers(min_value=0, max_value=3))
def test_ascii_level_in_running_text_does_not_block(
    rules: ScreeningRules, sentence: str, position: int
) -> None:
    lines = TITLE.split("\n")
    lines.insert(position, sentence)
    assert screen_text("\n".join(lines), rules).verdict is not Verdict.BLOCKED


@pytest.mark.parametrize("line", ["Toi mat", "toi mat", "mat", "Tuyet mat", "TỐI MẶT", "MẮT"])
def test_near_misses_at_the_top_are_hints_only(rules: ScreeningRules, line: str) -> None:
    assert screen_text(f"{line}\n{TITLE}", rules).verdict is not Verdict.BLOCKED


def test_ascii_stamp_far_below_the_title_is_a_hint(rules: ScreeningRules) -> None:
    body = "\n".join(f"Dòng nội dung số {n}" for n in range(20))
    assert screen_text(f"{TITLE}\n{body}\nMAT\n", rules).verdict is not Verdict.BLOCKED


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(
            lambda: C.odt([C.p("Thông cáo báo chí")], title="Tài liệu tối mật"), id="odt meta"
        ),
        pytest.param(lambda: C.odt([C.p("Thông cáo")], keywords="mật, nội bộ"), id="odt keywords"),
        pytest.param(
            lambda: C.odt([C.p("Thông cáo")], annotation="Bản này là tối mật nhé"), id="odt comment"
        ),
        pytest.param(
            lambda: C.rtf("Th\\u244?ng c\\u225?o", info="T\\u7889?i m\\u7853?t"), id="rtf info"
        ),
    ],
)
def test_marking_only_in_metadata_or_comments_is_held(rules: ScreeningRules, data: object) -> None:
    blob = data()  # type: ignore[operator]
    name = "a.rtf" if blob.startswith(b"{\\rtf") else "a.odt"
    result = screen_file(blob, name, rules)
    assert result.verdict in (Verdict.REVIEW, Verdict.BLOCKED), result.findings
    assert any(f.rule.startswith("marking.") and f.severity in ("review", "block")
               for f in result.findings)  # fmt: skip


def test_mention_in_the_visible_body_stays_clear(rules: ScreeningRules) -> None:
    text = "Luật quy định ba cấp độ TUYỆT MẬT, TỐI MẬT và MẬT cho tài liệu."
    assert screen_file(C.odt([C.p(text)]), "a.odt", rules).verdict is Verdict.CLEAR


_XMP_GPS = (
    '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?><x:xmpmeta xmlns:x="adobe:ns:meta/">'
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    'xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="15,7.25N" '
    'exif:GPSLongitude="108,48.1E"/></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)
_XMP_IPTC_GPS = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
    'syntax-ns#"><rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/">'
    "<Iptc4xmpExt:LocationCreated><rdf:Bag><rdf:li><Iptc4xmpExt:GPSLatitude>15.12</Iptc4xmpExt:"
    "GPSLatitude><Iptc4xmpExt:GPSLongitude>108.8</Iptc4xmpExt:GPSLongitude></rdf:li></rdf:Bag>"
    "</Iptc4xmpExt:LocationCreated></rdf:Description></rdf:RDF></x:xmpmeta>"
)
_XMP_PLAIN = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-'
    'syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>'
    "Lễ hội</dc:title></rdf:Description></rdf:RDF></x:xmpmeta>"
)


def _png_with_xmp(xmp: str) -> bytes:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", xmp)
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 200, 200)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


@pytest.mark.parametrize(("xmp", "gps"), [(_XMP_GPS, True), (_XMP_IPTC_GPS, True),
                                          (_XMP_PLAIN, False)])  # fmt: skip
def test_xmp_gps_in_images_and_documents(rules: ScreeningRules, xmp: str, gps: bool) -> None:
    image = screen_file(_png_with_xmp(xmp), "a.png", rules)
    assert ("meta.gps" in {f.rule for f in image.findings}) is gps, image.findings
    doc = screen_file(C.odt([C.p("Thông cáo")], extra={"xmp/packet.xml": xmp}), "a.odt", rules)
    assert ("meta.gps" in {f.rule for f in doc.findings}) is gps, doc.findings


@pytest.mark.parametrize(
    "keywords",
    ["mật ong, du lịch", "bí mật thành công", "mật độ dân số", "Độ mật: Thường", "mật khẩu wifi"],
)
def test_near_misses_in_metadata_stay_clear(rules: ScreeningRules, keywords: str) -> None:
    data = C.odt([C.p("Thông cáo báo chí")], title="Lễ hội", keywords=keywords)
    assert screen_file(data, "a.odt", rules).verdict is Verdict.CLEAR


def test_odf_text_after_a_comment_in_the_same_paragraph_is_read(rules: ScreeningRules) -> None:
    # the words after a comment's anchor are the paragraph's own text: a stamp line split by
    # a comment is one line again
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {C.NS}><office:body>'
        "<office:text><text:p>TỐI<office:annotation><dc:creator>B</dc:creator>"
        "<text:p>xem lại</text:p></office:annotation> MẬT</text:p><text:p>Kế hoạch</text:p>"
        "</office:text>"
        "</office:body></office:document-content>"
    )
    result = screen_file(C.odf_package(C.ODT, {"content.xml": content}), "a.odt", rules)
    assert result.verdict is Verdict.BLOCKED
    assert any(f.rule.startswith("marking.") and f.part == "content.xml" for f in result.findings)
