"""Legacy Vietnamese encodings: known answers for every letter with every tone (TCVN3 checked
against glibc's TCVN 5712 converter, VNI against the typing rule of the VNI fonts), statistics-based
decoding of plain text, and screening of stamps written in each encoding."""

from __future__ import annotations

import subprocess
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearance.screening import ScreeningRules, Verdict, screen_file
from clearance.screening import legacy_vn as L

TONES = ("", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323")  # none, sắc, huyền, hỏi, ngã, nặng
VOWELS = ("a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y")
LETTERS = [unicodedata.normalize("NFC", v + t) for v in VOWELS for t in TONES] + ["đ"]

# VNI as its users type it: base letter, then one mark byte (Windows-1252 glyph shown), in the
# order none, sắc, huyền, hỏi, ngã, nặng. One-byte letters: ơ ô, ư ö, đ ñ, and i with a tone.
VNI_SPEC = {
    "a": ("a", "aù", "aø", "aû", "aõ", "aï"),
    "ă": ("aê", "aé", "aè", "aú", "aü", "aë"),
    "â": ("aâ", "aá", "aà", "aå", "aã", "aä"),
    "e": ("e", "eù", "eø", "eû", "eõ", "eï"),
    "ê": ("eâ", "eá", "eà", "eå", "eã", "eä"),
    "i": ("i", "í", "ì", "æ", "ó", "ò"),
    "o": ("o", "où", "oø", "oû", "oõ", "oï"),
    "ô": ("oâ", "oá", "oà", "oå", "oã", "oä"),
    "ơ": ("ô", "ôù", "ôø", "ôû", "ôõ", "ôï"),
    "u": ("u", "uù", "uø", "uû", "uõ", "uï"),
    "ư": ("ö", "öù", "öø", "öû", "öõ", "öï"),
    "y": ("y", "yù", "yø", "yû", "yõ", "yî"),
}


def _tcvn_bytes(letter: str) -> bytes:
    return subprocess.run(
        ["iconv", "-f", "UTF-8", "-t", "TCVN5712-1"],
        input=letter.encode(),
        capture_output=True,
        check=True,
    ).stdout


@pytest.fixture(scope="module")
def tcvn_oracle() -> dict[str, bytes]:
    joined = "\n".join(LETTERS)
    lines = _tcvn_bytes(joined).split(b"\n")
    return dict(zip(LETTERS, lines, strict=True))


@pytest.mark.parametrize("letter", LETTERS)
def test_tcvn3_every_letter_every_tone(letter: str, tcvn_oracle: dict[str, bytes]) -> None:
    stored = tcvn_oracle[letter].decode("cp1252")  # how Word keeps a .VnTime run
    assert len(stored) == 1
    assert L.convert(stored, L.TCVN3) == letter
    assert L.convert(stored, L.TCVN3_CAPITALS) == letter.upper()  # the .VnTimeH companion font
    assert L.encode(letter, L.TCVN3) == tcvn_oracle[letter]


@pytest.mark.parametrize(("vowel", "tone"), [(v, t) for v in VOWELS for t in range(6)])
def test_vni_every_letter_every_tone(vowel: str, tone: int) -> None:
    letter = unicodedata.normalize("NFC", vowel + TONES[tone])
    typed = VNI_SPEC[vowel][tone]
    assert L.convert(typed, L.VNI) == letter
    assert L.convert(typed.upper(), L.VNI) == letter.upper()
    assert L.encode(letter, L.VNI) == typed.encode("cp1252")


def test_known_words() -> None:
    assert L.convert("T\u00e8i m\u00cbt", L.TCVN3) == "Tối mật"
    assert L.convert("tèi mËt", L.TCVN3_CAPITALS) == "TỐI MẬT"
    assert L.convert("Ñoä maät: Toái maät", L.VNI) == "Độ mật: Tối mật"
    assert L.convert("ñöôïc", L.VNI) == "được"
    assert L.convert("§é mËt: Tèi mËt", L.TCVN3) == "Độ mật: Tối mật"  # § is 0xA7, Đ


def test_font_names() -> None:
    assert L.encoding_for_font(".VnTime") == L.TCVN3
    assert L.encoding_for_font(".VnArial Narrow") == L.TCVN3
    assert L.encoding_for_font(".VnTimeH") == L.TCVN3_CAPITALS
    assert L.encoding_for_font("VNI-Times") == L.VNI
    assert L.encoding_for_font("VNI-Helve-Condense") == L.VNI
    for unicode_font in ("Times New Roman", "Arial", "DejaVu Sans", "Vnsomething", "", None):
        assert L.encoding_for_font(unicode_font) is None


def test_unknown_encoding_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown legacy encoding"):
        L.convert("x", "koi8")


SENTENCES = (
    "Ủy ban nhân dân tỉnh Quảng Ngãi báo cáo tình hình kinh tế xã hội quý ba",
    "Nghiêm cấm sao chụp, tài liệu này chỉ người có tên mới được đọc",
    "Khuyến khích người dân tham gia bảo vệ môi trường và giữ gìn vệ sinh",
)


@pytest.mark.parametrize("encoding", [L.TCVN3, L.VNI, L.CP1258])
@pytest.mark.parametrize("sentence", SENTENCES)
def test_plain_bytes_decoded_by_statistics(encoding: str, sentence: str) -> None:
    assert L.decode_bytes(L.encode(sentence, encoding)) == (sentence, encoding)


def test_western_text_stays_western_and_noise_is_undecodable() -> None:
    assert L.decode_bytes("Café, déjà vu, naïve résumé".encode("cp1252")) == (
        "Café, déjà vu, naïve résumé",
        L.CP1252,
    )
    assert L.decode_bytes(b"Tin tuc moi \xe0\x80\x81 \xc0") is None


_SYLLABLES = st.sampled_from(
    [
        "một",
        "hai",
        "ba",
        "bốn",
        "năm",
        "sáu",
        "bảy",
        "tám",
        "chín",
        "mười",
        "người",
        "được",
        "quyết",
        "định",
        "khuyến",
        "khích",
        "nghiêng",
        "uỷ",
        "ban",
        "tỉnh",
        "huyện",
        "xã",
        "phường",
        "giấy",
        "chứng",
        "nhận",
        "tháng",
        "năm",
        "ngày",
        "ưu",
        "tiên",
        "đường",
        "phố",
    ]
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_SYLLABLES, min_size=4, max_size=30), st.sampled_from([L.TCVN3, L.VNI, L.CP1258]))
def test_round_trip_or_nothing(words: list[str], encoding: str) -> None:
    text = " ".join(words)
    decoded = L.decode_bytes(L.encode(text, encoding))
    assert decoded is None or decoded[0] == text  # held or read right, never a wrong reading
    if len({w for w in words if not w.isascii()}) >= 4:
        assert decoded is not None  # a few words of real text are enough to tell


@settings(max_examples=60, deadline=None)
@given(st.lists(_SYLLABLES, min_size=1, max_size=30))
def test_repair_leaves_unicode_vietnamese_alone(words: list[str]) -> None:
    text = " ".join(words)
    assert L.repair(text) == (text, None)


@pytest.mark.parametrize("encoding", [L.TCVN3, L.VNI])
def test_repair_converts_legacy_text_kept_as_unicode(encoding: str) -> None:
    stored = L.encode(SENTENCES[1], encoding).decode("cp1252")
    assert L.repair(stored) == (SENTENCES[1], encoding)


STAMPED = "TỐI MẬT\nBÁO CÁO\nVề tình hình an ninh trên địa bàn tỉnh trong quý ba năm nay"
NEAR_MISS = "Đặc sản mật ong rừng và mật độ dân cư của huyện được giới thiệu trong tập gấp du lịch"


@pytest.mark.parametrize("encoding", [L.TCVN3, L.VNI, L.CP1258])
def test_stamp_in_a_legacy_text_file_blocks(rules: ScreeningRules, encoding: str) -> None:
    result = screen_file(L.encode(STAMPED, encoding), "bao-cao.txt", rules)
    assert result.verdict is Verdict.BLOCKED, result.findings
    clear = screen_file(L.encode(NEAR_MISS, encoding), "du-lich.txt", rules)
    assert clear.verdict is Verdict.CLEAR, clear.findings
    assert clear.coverage[0].method == f"text ({encoding})"


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32",
                                   "utf-32-le", "utf-32-be"])  # fmt: skip
def test_unicode_forms_with_and_without_bom(rules: ScreeningRules, codec: str) -> None:
    assert screen_file(STAMPED.encode(codec), "a.txt", rules).verdict is Verdict.BLOCKED
    assert screen_file(NEAR_MISS.encode(codec), "b.txt", rules).verdict is Verdict.CLEAR


def test_legacy_stamp_kept_as_unicode_mojibake_blocks(rules: ScreeningRules) -> None:
    stored = L.encode(STAMPED, L.TCVN3).decode("cp1252", errors="replace")
    assert screen_file(stored.encode(), "c.txt", rules).verdict is Verdict.BLOCKED


def test_undecodable_text_is_held(rules: ScreeningRules) -> None:
    result = screen_file(b"Tin tuc moi \xe0\x80\x81 \xc0 \x9d\x8f", "q.txt", rules)
    assert result.verdict is Verdict.REVIEW
    assert "legacy encoding" in (result.held_reason or "")


def _docx_run(text: str, font: str | None) -> str:
    fonts = f'<w:rPr><w:rFonts w:ascii="{font}" w:hAnsi="{font}"/></w:rPr>' if font else ""
    return f'<w:p><w:r>{fonts}<w:t xml:space="preserve">{text}</w:t></w:r></w:p>'


@pytest.mark.parametrize(
    ("encoding", "font", "text"),
    [(L.TCVN3, ".VnTimeH", "tối mật"), (L.VNI, "VNI-Times", "TỐI MẬT"), (L.TCVN3, None, "TỐI MẬT")],
    ids=["VnTimeH run", "VNI-Times run", "TCVN3 without a font name"],
)
def test_docx_runs_in_legacy_fonts(
    rules: ScreeningRules, encoding: str, font: str | None, text: str
) -> None:
    from tests.screening.corpus import docx

    stored = L.encode(text, encoding).decode("cp1252")
    body = [_docx_run(stored, font), _docx_run("BÁO CÁO", None)]
    if font is None:  # statistics need some words: a letter body typed in .VnTime
        body.append(_docx_run(L.encode(SENTENCES[0], encoding).decode("cp1252"), None))
    result = screen_file(docx(body), "a.docx", rules)
    assert result.verdict is Verdict.BLOCKED, result.findings
    near = L.encode(NEAR_MISS, encoding).decode("cp1252")
    clear = screen_file(docx([_docx_run(near, font)]), "b.docx", rules)
    assert clear.verdict is Verdict.CLEAR, clear.findings
