"""Workflow basics of the author and the approver: a stale POST gets a 409 page in Vietnamese that
says what changed, links to the current state and shows the typed text back; the revise page
shows the approvers' request and removes an attachment; the public site is linked."""

from __future__ import annotations

import io
import re
from typing import Any

from flask import Flask

from clearance.runtime import Runtime
from tests.webapp.helpers import PASSWORD, Browser, add_person, browser
from tests.webapp.test_story import BODY, decide, submit


def _opened(app: Flask, who: str, item_id: str) -> tuple[Browser, dict[str, str]]:
    """``who`` opens the approver page; the hidden fields the decision form carries."""
    b = browser(app, who)
    html = b.get(f"/approvals/items/{item_id}").get_data(as_text=True)
    fields = dict(re.findall(r'name="(manifest_hash|stage)" type="hidden" value="([^"]*)"', html))
    assert fields.get("manifest_hash"), "the decision form is not on the page"
    return b, fields


def _decide(b: Browser, item_id: str, fields: dict[str, str], **data: str) -> Any:
    return b.post(f"/approvals/items/{item_id}/decide", {**fields, "password": PASSWORD, **data})


def _second_unit_head(rt: Runtime) -> None:
    add_person(rt, "lanh.dao.2", "approver", "vp", "unit_head")


def test_deciding_a_stage_another_approver_decided_meanwhile_is_a_clear_409(
    app: Flask, rt: Runtime
) -> None:
    _second_unit_head(rt)
    item_id = submit(app)
    late, fields = _opened(app, "lanh.dao.2", item_id)
    assert fields["stage"] == "unit_review"
    decide(app, "lanh.dao", item_id, "approve")  # the stage closes while the page is open
    response = _decide(late, item_id, fields, decision="reject", comment="Chưa đủ căn cứ pháp lý.")
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "được một người duyệt khác quyết định" in html
    assert "Lãnh đạo đơn vị soạn thảo duyệt" in html  # the stage by its label
    assert "Chưa đủ căn cứ pháp lý." in html  # the typed comment is shown back
    assert f'id="current-state" href="/approvals/items/{item_id}"' in html
    assert "This conflicts" not in html and "Reload the page" not in html


def test_a_decision_from_a_form_whose_stage_is_still_open_is_recorded(app: Flask) -> None:
    """The form carries the stage it was opened for; while that stage is open it decides."""
    item_id = submit(app)
    b, fields = _opened(app, "lanh.dao", item_id)
    assert fields["stage"] == "unit_review"
    response = _decide(b, item_id, fields, decision="approve")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def test_deciding_an_item_whose_sign_off_ended_meanwhile_is_a_clear_409(
    app: Flask, rt: Runtime
) -> None:
    _second_unit_head(rt)
    item_id = submit(app)
    late, fields = _opened(app, "lanh.dao.2", item_id)
    decide(app, "lanh.dao", item_id, "reject", "Không phù hợp.")
    response = _decide(late, item_id, fields, decision="approve", comment="Đồng ý đăng.")
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Việc duyệt mục này đã kết thúc" in html
    assert "“Bị từ chối”" in html  # the state by its label
    assert "Đồng ý đăng." in html
    assert f'href="/approvals/items/{item_id}"' in html


def _revise_form(author: Browser, item_id: str) -> tuple[str, str, str]:
    html = author.get(f"/author/items/{item_id}/revise").get_data(as_text=True)
    staged = html.split('id="staged" name="staged" type="hidden" value="')[1].split('"')[0]
    answers = html.split('id="answers" name="answers" type="hidden" value="')[1].split('"')[0]
    return html, staged, answers


def _revision(author: Browser, item_id: str, staged: str, answers: str, **extra: Any) -> Any:
    data: dict[str, Any] = {
        "title": "Lễ hội mùa xuân",
        "body": BODY + "\nThời gian: 01/03/2026.",
        "channels": ["website"],
        "declared_level": "cong_khai",
        "note": "Đã bổ sung thời gian.",
        "staged": staged,
        "answers": answers,
        "submit": "1",
        **extra,
    }
    return author.post(f"/author/items/{item_id}/revise", data, content_type="multipart/form-data")


def test_the_revise_page_shows_what_the_approver_asked(app: Flask) -> None:
    item_id = submit(app)
    decide(app, "lanh.dao", item_id, "request_changes", "Bổ sung thời gian tổ chức lễ hội.")
    author = browser(app, "tac.gia")
    html, _staged, answers = _revise_form(author, item_id)
    section = html.split('id="change-requests"')[1].split("</section>")[0]
    assert "Bổ sung thời gian tổ chức lễ hội." in section
    assert "Lãnh đạo đơn vị" in section  # the approver's sign-off role by its label
    assert answers == "1"


def test_a_revision_sent_from_a_superseded_form_is_a_clear_409(app: Flask) -> None:
    item_id = submit(app)
    decide(app, "lanh.dao", item_id, "request_changes", "Bổ sung thời gian.")
    author = browser(app, "tac.gia")
    _html, staged, answers = _revise_form(author, item_id)  # the first tab
    _html, staged_2, answers_2 = _revise_form(author, item_id)  # the second tab
    assert _revision(author, item_id, staged, answers).status_code == 302
    decide(app, "lanh.dao", item_id, "request_changes", "Thêm địa điểm.")
    # the second tab still answers revision 1, and the item asks again (on revision 2)
    response = _revision(author, item_id, staged_2, answers_2, note="Bản sửa từ tab thứ hai.")
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "phiên bản 1" in html and "phiên bản 2" in html
    assert "Bản sửa từ tab thứ hai." in html  # the note and the body are shown back
    assert "Thời gian: 01/03/2026." in html
    assert f'id="current-state" href="/author/items/{item_id}"' in html
    page = author.get(f"/author/items/{item_id}").get_data(as_text=True)
    assert "Bản sửa từ tab thứ hai." not in page  # nothing was stacked on revision 2


def test_revising_an_item_that_awaits_no_change_says_its_state(app: Flask) -> None:
    item_id = submit(app)
    response = browser(app, "tac.gia").get(f"/author/items/{item_id}/revise")
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "chỉ trả lời được một yêu cầu chỉnh sửa" in html
    assert f'href="/author/items/{item_id}"' in html


def _submitted_bodies(rt: Runtime, item_id: str) -> list[dict[str, Any]]:
    from clearance.auditlog.entry import parse_leaf
    from clearance.auditlog.store import leaf_at, seqs_for_item

    with rt.sessions() as session:
        entries = [parse_leaf(leaf_at(session, s)) for s in seqs_for_item(session, item_id)]
    return [dict(e.body) for e in entries if e.type == "item.submitted"]


def test_an_attachment_removed_on_revise_leaves_the_new_revision_and_is_logged(
    app: Flask, rt: Runtime
) -> None:
    from clearance.services.queries import item_detail

    item_id = submit(
        app, files={"lich.txt": "Lịch trình lễ hội".encode(), "cu.txt": "Bản cũ".encode()}
    )
    decide(app, "lanh.dao", item_id, "request_changes", "Bỏ tệp cũ.")
    author = browser(app, "tac.gia")
    html, staged, answers = _revise_form(author, item_id)
    assert 'name="remove" value="cu.txt"' in html and 'name="remove" value="lich.txt"' in html
    response = _revision(author, item_id, staged, answers, remove=["cu.txt"])
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    current = item_detail(rt, item_id).revisions[-1]
    names = {p.name for p in current.parts if p.role == "attachment"}
    assert names == {"lich.txt"}
    first, second = _submitted_bodies(rt, item_id)
    assert "cu.txt" in first["manifest"] and "cu.txt" not in second["manifest"]
    assert second["removed_attachments"] == ["cu.txt"]


def test_a_removed_file_is_dropped_from_the_form_that_shows_it_again(app: Flask) -> None:
    item_id = submit(app, files={"cu.txt": "Bản cũ".encode()})
    decide(app, "lanh.dao", item_id, "request_changes", "Bỏ tệp cũ.")
    author = browser(app, "tac.gia")
    _html, staged, answers = _revise_form(author, item_id)
    # the title is missing: the form comes back, without the file ticked for removal
    response = _revision(author, item_id, staged, answers, remove=["cu.txt"], title="")
    assert response.status_code == 400
    again = response.get_data(as_text=True)
    assert 'value="cu.txt"' not in again
    token = again.split('id="staged" name="staged" type="hidden" value="')[1].split('"')[0]
    assert token != staged  # sealed again without it


def test_the_header_links_the_public_site(app: Flask) -> None:
    for who in ("tac.gia", "lanh.dao", "kiem.toan"):
        html = browser(app, who).get("/auth/password").get_data(as_text=True)
        assert 'id="public-site" href="https://example.gov.vn/thong-tin/"' in html
        assert "Trang công khai" in html


def test_a_published_item_links_its_page_on_the_public_site(app: Flask) -> None:
    item_id = submit(app)
    decide(app, "lanh.dao", item_id, "approve")
    decide(app, "phat.ngon", item_id, "approve")
    html = browser(app, "tac.gia").get(f"/author/items/{item_id}").get_data(as_text=True)
    row = html.split('id="channel-website"')[1].split("</tr>")[0]
    assert f'href="https://example.gov.vn/thong-tin/items/{item_id}/"' in row


def test_an_upload_field_exists_on_revise(app: Flask) -> None:
    item_id = submit(app)
    decide(app, "lanh.dao", item_id, "request_changes", "Thêm ảnh.")
    author = browser(app, "tac.gia")
    _html, staged, answers = _revise_form(author, item_id)
    response = _revision(
        author, item_id, staged, answers, attachments=[(io.BytesIO(b"anh moi"), "moi.txt")]
    )
    assert response.status_code == 302
