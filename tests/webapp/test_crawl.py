"""Every page every role reaches by links, on a world with items in every state: no server
error, no link that leads nowhere, no raw policy id and no English UI word in what a
Vietnamese user reads."""

from __future__ import annotations

import re

from flask import Flask

from clearance.auditlog.rfc6962 import leaf_hash
from tests.webapp.crawl import ROLES, crawl, problems, raw_ids, read, seed
from tests.webapp.helpers import browser
from tests.webapp.test_story import submit
from webapp.context import runtime


def test_every_page_of_every_role_is_vietnamese_with_labels(app: Flask) -> None:
    items = seed(app)
    with app.app_context():
        ids = raw_ids(runtime().policy)
    report: list[tuple[str | None, str, str]] = []
    for who in (None, *ROLES):
        visits = crawl(app, who, ids)
        pages = [v for v in visits if v.html and v.status == 200]
        assert len(pages) >= (1 if who is None else 5), (who, [v.url for v in visits])
        if who == "tac.gia":  # the crawl reached the items in every state
            reached = {v.url for v in pages}
            assert {f"/author/items/{i}" for i in items.values()} <= reached, reached
        for v in visits:
            if v.status >= 500 or v.status == 404:
                report.append((who, v.url, f"HTTP {v.status} (linked from {v.linked_from})"))
            report += [(who, v.url, p) for p in v.problems]
    assert not report, "\n".join(map(str, report))


def test_the_checks_see_what_they_look_for() -> None:
    """Not vacuous: English words, raw ids and links are found; code and user content are not
    read."""
    text, links = read(
        "<p>Mức: cong_khai. Submit the form</p><code>cong_khai</code><pre>and</pre>"
        '<a href="/author/">x</a><input placeholder="Search">'
    )
    assert problems(text, {"cong_khai"}) == [
        "English: Search", "English: Submit", "English: the", "raw id: cong_khai"
    ]  # fmt: skip
    assert links == ["/author/"]
    assert problems("Mức: Công khai. Gửi đi", {"cong_khai"}) == []


def test_the_auditor_reads_a_failed_verification_in_vietnamese(app: Flask) -> None:
    """A tampered entry (its bytes changed in the database, the triggers dropped): the crawl
    of the auditor's verify page reaches the report, which says what failed in Vietnamese with
    the verifier's English detail only inside code elements."""
    from sqlalchemy import text

    submit(app, title="Lịch tiếp công dân tháng 3")
    with app.app_context():
        rt = runtime()
    with rt.sessions() as session:
        session.execute(text("DROP TRIGGER audit_entries_no_update"))
        seq, leaf = session.execute(
            text("SELECT seq, leaf FROM audit_entries WHERE event_type = 'item.submitted'")
        ).one()
        changed = bytes(leaf).replace(b"tac.gia", b"tac.gib", 1)
        assert changed != bytes(leaf)
        session.execute(
            text("UPDATE audit_entries SET leaf = :leaf WHERE seq = :seq"),
            {"leaf": changed, "seq": seq},
        )
        session.commit()
    with app.app_context():
        ids = raw_ids(runtime().policy)
    visits = crawl(app, "kiem.toan", ids, start="/audit/verify")
    report = [v for v in visits if v.url == "/audit/verify/report"]
    assert report and report[0].status == 200, [v.url for v in visits]
    assert not [(v.url, p) for v in visits for p in v.problems]
    html = browser(app, "kiem.toan").get("/audit/verify/report").get_data(as_text=True)
    assert "Xác minh THẤT BẠI" in html
    findings = re.findall(r'<dd class="finding">(.*?)</dd>', html, re.S)
    # what is wrong and where, in Vietnamese: the altered entry, the one after it that links
    # it, the hash that entry records and the one the altered entry has (the finding's params)
    recorded, actual = leaf_hash(bytes(leaf)).hex()[:16], leaf_hash(changed).hex()[:16]
    assert (
        f"Mục {seq} đã bị sửa đổi: mục {seq + 1} ghi nhận mã băm của mục trước nó là "
        f"<code>{recorded}</code>…, nhưng mã băm của mục {seq} là <code>{actual}</code>…. <code>"
        in ("".join(findings))
    ), findings
    assert any(f.endswith("[entry-chain]</code>") for f in findings), findings
