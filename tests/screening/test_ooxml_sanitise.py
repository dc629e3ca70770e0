"""The OOXML derivative holds only parts that were read and rebuilt, with a consistent index."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearance.screening import ScreeningRules, Verdict, screen_file
from clearance.screening.engine import SANITISED_RULE, UNINSPECTED_RULE
from clearance.screening.extract.opc import read_package
from clearance.screening.extract.safezip import SafeZip
from clearance.screening.limits import Budget
from clearance.screening.rules import Limits
from clearance.screening.sanitise.ooxml import rebuild_ooxml
from tests.screening import corpus_ooxml as ox

NOTE = "Ghi chú của chuyên viên"


def _with_parts(data: bytes, extra: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            target.writestr(name, source.read(name))
        for name, content in extra.items():
            target.writestr(name, content)
    return out.getvalue()


def _consistent(derivative: bytes) -> set[str]:
    """Every relationship of the derivative resolves, every part is reached and typed."""
    zf = SafeZip(derivative, Budget(Limits()))
    package = read_package(zf)
    names = set(package.names)
    for relationship in package.relationships:
        if not relationship.external:
            assert relationship.target in names, relationship
    content = {n for n in names if not n.endswith(".rels") and n != "[Content_Types].xml"}
    assert content <= set(package.reached), content - set(package.reached)
    assert set(package.overrides) <= names
    return names


def test_docx_comments_custom_xml_and_unknown_parts_are_dropped(rules: ScreeningRules) -> None:
    data = _with_parts(
        ox.docx(place="comments", text=NOTE),
        {"word/orphan.xml": b"<x>orphan</x>", "word/media/a.emf": b"\x01\x00\x00\x00" * 8},
    )
    result = screen_file(data, "a.docx", rules)
    assert result.sanitized is not None
    names = _consistent(result.sanitized)
    assert "word/comments.xml" not in names
    assert "word/orphan.xml" not in names and "word/media/a.emf" not in names
    dropped = " ".join(f.message for f in result.findings if f.rule == SANITISED_RULE)
    for part in ("word/comments.xml", "word/orphan.xml", "word/media/a.emf"):
        assert part in dropped
    assert "docProps/core.xml" in names  # structural, emptied
    assert b"Th\xc3\xb4ng c\xc3\xa1o" not in zipfile.ZipFile(io.BytesIO(result.sanitized)).read(
        "docProps/core.xml"
    )


@pytest.mark.parametrize(
    ("builder", "name"), [(ox.docx, "a.docx"), (ox.xlsx, "b.xlsx"), (ox.pptx, "c.pptx")]
)
def test_derivative_of_a_benign_file_is_clear_and_fully_read(
    rules: ScreeningRules, builder: object, name: str
) -> None:
    assert callable(builder)
    result = screen_file(builder(), name, rules)
    assert result.verdict is Verdict.CLEAR and result.sanitized is not None
    again = screen_file(result.sanitized, name, rules)
    assert again.verdict is Verdict.CLEAR, again.findings
    assert not [f for f in again.findings if f.rule in (UNINSPECTED_RULE, SANITISED_RULE)]
    _consistent(result.sanitized)


def test_pptx_comments_and_their_relationships_are_dropped(rules: ScreeningRules) -> None:
    for place in ("comment_legacy", "comment_modern"):
        derivative = rebuild_ooxml(ox.pptx(place=place, text=NOTE))
        names = _consistent(derivative.data)
        assert not [n for n in names if "comment" in n.lower()], names
        with zipfile.ZipFile(io.BytesIO(derivative.data)) as zf:
            assert b"comment" not in zf.read("ppt/slides/_rels/slide1.xml.rels").lower()
            assert b"comment" not in zf.read("[Content_Types].xml").lower()
        assert any("comment" in part for part in derivative.dropped)


_ALL_PLACES = sorted(ox.DOCX_PLACES)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_ALL_PLACES), st.sampled_from(sorted(ox.XLSX_PLACES)),
       st.sampled_from(ox.PPTX_PLACES))  # fmt: skip
def test_every_derivative_is_a_consistent_package(docx: str, xlsx: str, pptx: str) -> None:
    for data in (
        ox.docx(place=docx, text=NOTE),
        ox.xlsx(place=xlsx, text=NOTE),
        ox.pptx(place=pptx, text=NOTE),
    ):
        derivative = rebuild_ooxml(data)
        names = _consistent(derivative.data)
        original = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        assert names <= original
        assert set(derivative.dropped) == original - names


@pytest.mark.slow
def test_derivatives_open_in_libreoffice(rules: ScreeningRules, tmp_path: Path) -> None:
    soffice = shutil.which("soffice")
    assert soffice is not None, "LibreOffice (soffice) must be installed"
    files = {
        "ban-tin.docx": ox.docx(place="header", text="Sở Du lịch"),
        "thong-ke.xlsx": ox.xlsx(place="chart", text="Biểu đồ dân số"),
        "hoi-nghi.pptx": ox.pptx(place="notes", text="Ghi chú diễn giả"),
    }
    for name, data in files.items():
        result = screen_file(data, name, rules)
        assert result.sanitized is not None, result.findings
        (tmp_path / name).write_bytes(result.sanitized)
    subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
         "--convert-to", "pdf", "--outdir", str(tmp_path), *(str(tmp_path / n) for n in files)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    expected = {"ban-tin": "Đà Nẵng", "thong-ke": "652572 2453", "hoi-nghi": "Mời các doanh nghiệp"}
    for stem, words in expected.items():
        pdf = tmp_path / f"{stem}.pdf"
        assert pdf.exists(), f"LibreOffice did not convert {stem}"
        text = subprocess.run(
            ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
        ).stdout
        assert all(word in text.split() for word in words.split()), (stem, text[:300])
