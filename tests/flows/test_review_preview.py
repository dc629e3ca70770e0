"""The review stores the pages of what will be published (the sanitised derivative, never the
upload) as blobs next to it: for an office attachment the PDF LibreOffice lays out and one PNG
per page, for a PDF one PNG per page; the approver's page serves them from the blob store."""

from __future__ import annotations

import io
import subprocess
import tempfile
from pathlib import Path

import pytest

from clearance.runtime import Runtime
from clearance.services.items import Submission, submit
from clearance.services.queries import item_detail
from clearance.services.review import review_revision
from clearance.services.uploads import Upload
from tests.flows.conftest import CLEAN_BODY
from tests.screening import corpus as c
from tests.screening import corpus_render as cr

#: a paragraph with a tracked deletion: LibreOffice shows the deleted words (struck through) in
#: the upload; the derivative drops tracked deletions, so its pages must not show them
TRACKED = (
    '<w:p><w:r><w:t xml:space="preserve">Giữ lại đoạn này. </w:t></w:r>'
    '<w:del w:id="1" w:author="A" w:date="2024-01-01T00:00:00Z"><w:r>'
    "<w:delText>DOAN DA XOA</w:delText></w:r></w:del></w:p>"
)


def pdf_text(data: bytes) -> str:
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "doc.pdf"
        path.write_bytes(data)
        return subprocess.run(
            ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
        ).stdout.decode()


def submitted(rt: Runtime, files: dict[str, bytes]) -> dict[str, dict[str, object]]:
    item_id = submit(
        rt,
        author="lan.nguyen",
        submission=Submission(
            title="Bản tin lễ hội",
            channels=["press"],
            declared_level="cong_khai",
            body_text=CLEAN_BODY,
            attachments=[Upload(name, io.BytesIO(data)) for name, data in files.items()],
        ),
    )
    review_revision(rt, item_id)
    revision = item_detail(rt, item_id).revisions[-1]
    assert revision.screening is not None
    parts = {p["name"]: p for p in revision.screening["parts"]}
    for part in revision.parts:
        if part.name in parts:
            assert parts[part.name]["sanitized_sha256"] == part.sanitized_sha256
    return parts


@pytest.mark.slow
def test_the_rendered_pages_of_an_office_attachment_are_stored(rt: Runtime) -> None:
    parts = submitted(
        rt,
        {
            "ban-tin.docx": cr.numbered_docx("Mục %1:", pages=2),
            "ghi-chu.txt": "Lễ hội mùa xuân".encode(),
        },
    )
    rendered = parts["ban-tin.docx"]["rendered"]
    assert isinstance(rendered, dict)
    assert rt.blobs.read(rendered["pdf_sha256"]).startswith(b"%PDF-")
    pages = [rt.blobs.read(sha) for sha in rendered["page_png_sha256"]]
    assert len(pages) == 2 and all(p.startswith(b"\x89PNG\r\n\x1a\n") for p in pages)
    assert rendered["of"] == parts["ban-tin.docx"]["sanitized_sha256"]
    assert "rendered" not in parts["ghi-chu.txt"]  # only what has pages is drawn


@pytest.mark.slow
def test_the_pages_are_those_of_the_derivative_not_the_upload(rt: Runtime) -> None:
    upload = c.docx([TRACKED])
    parts = submitted(rt, {"ban-tin.docx": upload})
    rendered = parts["ban-tin.docx"]["rendered"]
    assert isinstance(rendered, dict)
    text = pdf_text(rt.blobs.read(rendered["pdf_sha256"]))
    assert "Giữ lại đoạn này." in text
    assert "DOAN DA XOA" not in text  # the upload's tracked deletion is not what is published


@pytest.mark.slow
def test_a_pdf_attachment_gets_its_pages_drawn(rt: Runtime) -> None:
    parts = submitted(rt, {"le-hoi.pdf": c.pdf_pages([["Trang mot"], ["Trang hai"], ["Ba"]])})
    rendered = parts["le-hoi.pdf"]["rendered"]
    assert isinstance(rendered, dict)
    assert rendered["pdf_sha256"] == rendered["of"] == parts["le-hoi.pdf"]["sanitized_sha256"]
    pages = [rt.blobs.read(sha) for sha in rendered["page_png_sha256"]]
    assert len(pages) == 3 and all(p.startswith(b"\x89PNG\r\n\x1a\n") for p in pages)
