"""A blocked item's history says why in Vietnamese: the core stores coded reasons (code and
params, as data in the ``revision.screened`` entry and the revision's screening record) and the
web adapter says them; entries and records written before the codes (plain English lines)
still read, in the web, the reports and the offline verifier."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from clearance.auditlog.entry import parse_leaf
from clearance.auditlog.selfcheck import verify_installation
from clearance.auditlog.store import leaf_at, seqs_for_item
from clearance.domain.blocking import BlockReason
from clearance.reports.history import item_facts
from clearance.runtime import Runtime
from clearance.storage.models import Revision
from tests.webapp.crawl import problems, raw_ids, read
from tests.webapp.helpers import browser
from tests.webapp.test_story import BODY, submit
from webapp.context import runtime

SECRET = "MẬT\n\nNội dung công văn."
NEVER = "Độ mật “Mật” không bao giờ được đăng."


def _screened_body(rt: Runtime, item_id: str) -> dict[str, object]:
    with rt.sessions() as session:
        entries = [parse_leaf(leaf_at(session, s)) for s in seqs_for_item(session, item_id)]
    return next(e.body for e in entries if e.type == "revision.screened")


def test_a_blocked_items_history_reads_in_vietnamese(app: Flask, rt: Runtime) -> None:
    item_id = submit(app, title="Công văn số 12", body=SECRET)
    stored = _screened_body(rt, item_id)["blocked"]
    assert isinstance(stored, list)
    codes = [r["code"] for r in stored if isinstance(r, dict)]
    assert codes == ["blocked.part_rules", "blocked.level_unpublishable"], stored
    html = browser(app, "tac.gia").get(f"/author/items/{item_id}").get_data(as_text=True)
    row = html.split("Bị chặn theo kết quả rà soát", 1)[1].split("</tr>", 1)[0]
    assert "có nội dung bị rà soát chặn" in row and "<code>marking." in row, row
    assert NEVER in row, row
    assert "can never be published" not in html
    with app.app_context():
        ids = raw_ids(runtime().policy)
    assert problems(read(html)[0], ids) == []
    with rt.readers() as session:  # the verifier reads the new body
        assert verify_installation(session, rt.settings, _vkey(rt)).ok


def _vkey(rt: Runtime) -> str:
    return (rt.settings.keys_dir / "log.vkey").read_text(encoding="utf-8").strip()


def test_a_reason_recorded_before_the_codes_still_reads(app: Flask, rt: Runtime) -> None:
    """A revision screened before the codes holds English lines: the history shows them after
    the Vietnamese lead-in, in a code element."""
    item_id = submit(app, title="Công văn số 12", body=SECRET)
    with rt.sessions() as session:
        revision = session.scalars(select(Revision).where(Revision.item_id == item_id)).one()
        old = [str(BlockReason.from_json(r)) for r in (revision.screening or {})["blocked"]]
        revision.screening = {**(revision.screening or {}), "blocked": old}
        session.commit()
    html = browser(app, "tac.gia").get(f"/author/items/{item_id}").get_data(as_text=True)
    row = html.split("Bị chặn theo kết quả rà soát", 1)[1].split("</tr>", 1)[0]
    assert f"<code>{old[0]}</code>" in row and "mat" in old[1], row


def test_the_reports_read_old_and_new_block_reasons() -> None:
    """The reports count a block for its level whether the entry holds the coded reason or an
    older entry's English line."""
    new = {"code": "blocked.level_unpublishable", "params": {"level": "mat"},
           "text": "level mat (Mật) can never be published"}  # fmt: skip
    for blocked in ([new], [new["text"]]):
        entry = {"seq": 5, "time": "2026-03-01T08:00:00Z", "type": "revision.screened",
                 "item": "X1", "body": {"to": "blocked", "findings": [], "blocked": blocked}}  # fmt: skip
        item = item_facts("X1", [entry])
        assert item is not None
        assert [reasons for _event, reasons in item.blocked] == [("level",)], blocked


def test_a_clear_item_has_no_block_reasons(app: Flask, rt: Runtime) -> None:
    item_id = submit(app, title="Lễ hội mùa xuân", body=BODY)
    assert _screened_body(rt, item_id)["blocked"] == []
