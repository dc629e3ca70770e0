"""Attachments are screened in the isolated child (timeout, memory limit) unless turned off;
both ways give the same outcome and the same sanitized release bytes."""

from __future__ import annotations

import io

import pytest

from clearance.domain.lifecycle import State
from clearance.runtime import Runtime
from clearance.services.items import Submission, submit
from clearance.services.review import review_revision
from clearance.services.uploads import Upload
from clearance.settings import load_settings
from tests.flows.conftest import CLEAN_BODY
from tests.screening import corpus as c

SECRET_HEADER_DOCX = c.docx([c.para(c.run("Lễ hội mùa xuân"))], header="TỐI MẬT")
CLEAN_DOCX = c.docx([c.para(c.run("Lễ hội mùa xuân"))], comment="ghi chú nội bộ", title="Bản tin")


def _submit_with(rt: Runtime, name: str, data: bytes) -> str:
    return submit(
        rt,
        author="lan.nguyen",
        submission=Submission(
            title="Bản tin lễ hội",
            channels=["press"],
            declared_level="cong_khai",
            body_text=CLEAN_BODY,
            attachments=[Upload(name, io.BytesIO(data))],
        ),
    )


def _release_attachment(rt: Runtime, item_id: str) -> bytes:
    from clearance.services.queries import item_detail

    detail = item_detail(rt, item_id)
    released = [p for p in detail.revisions[-1].parts if p.role == "attachment"]
    assert len(released) == 1 and released[0].sanitized_sha256 is not None
    return rt.blobs.read(released[0].sanitized_sha256)


def test_isolation_is_on_unless_turned_off() -> None:
    assert load_settings({"CLEARANCE_HOME": "/tmp/x"}).isolate_screening is True
    off = {"CLEARANCE_HOME": "/tmp/x", "CLEARANCE_ISOLATE_SCREENING": "false"}
    assert load_settings(off).isolate_screening is False


@pytest.mark.parametrize(
    ("data", "state"),
    [(SECRET_HEADER_DOCX, State.BLOCKED), (CLEAN_DOCX, State.AWAITING_SIGNOFF)],
    ids=["marked-header", "clean-with-comment"],
)
def test_isolated_and_in_process_reviews_agree(rt: Runtime, data: bytes, state: State) -> None:
    assert rt.settings.isolate_screening
    isolated_item = _submit_with(rt, "ban-tin.docx", data)
    isolated = review_revision(rt, isolated_item)
    inline_rt = Runtime.open(rt.settings.with_overrides(isolate_screening=False))
    try:
        inline_item = _submit_with(inline_rt, "ban-tin.docx", data)
        inline = review_revision(inline_rt, inline_item)
        assert isolated.state is inline.state is state
        assert (isolated.verdict, isolated.level, isolated.reasons) == (
            inline.verdict,
            inline.level,
            inline.reasons,
        )
        if state is State.AWAITING_SIGNOFF:
            released = _release_attachment(rt, isolated_item)
            assert released == _release_attachment(inline_rt, inline_item)
            assert "ghi chú nội bộ".encode() not in released  # the comment was removed
    finally:
        inline_rt.close()
