"""The review stores the rendered pages of an office attachment (PDF and one PNG per page) as
blobs next to the sanitised derivative, for the approver's preview."""

from __future__ import annotations

import io

import pytest

from clearance.runtime import Runtime
from clearance.services.items import Submission, submit
from clearance.services.queries import item_detail
from clearance.services.review import review_revision
from clearance.services.uploads import Upload
from tests.flows.conftest import CLEAN_BODY
from tests.screening import corpus_render as cr


@pytest.mark.slow
def test_the_rendered_pages_of_an_office_attachment_are_stored(rt: Runtime) -> None:
    item_id = submit(
        rt,
        author="lan.nguyen",
        submission=Submission(
            title="Bản tin lễ hội",
            channels=["press"],
            declared_level="cong_khai",
            body_text=CLEAN_BODY,
            attachments=[
                Upload("ban-tin.docx", io.BytesIO(cr.numbered_docx("Mục %1:", pages=2))),
                Upload("ghi-chu.txt", io.BytesIO("Lễ hội mùa xuân".encode())),
            ],
        ),
    )
    review_revision(rt, item_id)
    screening = item_detail(rt, item_id).revisions[-1].screening
    assert screening is not None
    parts = {p["name"]: p for p in screening["parts"]}
    rendered = parts["ban-tin.docx"]["rendered"]
    assert rt.blobs.read(rendered["pdf_sha256"]).startswith(b"%PDF-")
    pages = [rt.blobs.read(sha) for sha in rendered["page_png_sha256"]]
    assert len(pages) == 2 and all(p.startswith(b"\x89PNG\r\n\x1a\n") for p in pages)
    assert "rendered" not in parts["ghi-chu.txt"]  # only what a viewer lays out is rendered
