"""Themes, language and a language version through the real submit and revise forms (CSRF on):
the item pages show them by their Vietnamese labels, the revise form is prefilled with them,
and a bad theme or language reaches the author in Vietnamese."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from tests.webapp.helpers import Browser, browser
from tests.webapp.test_story import BODY, decide

EN_TITLE = "Spring festival of the province"
EN_BODY = "The province invites everyone to the spring festival."


def _form(**extra: Any) -> dict[str, Any]:
    return {
        "title": "Lễ hội mùa xuân",
        "body": BODY,
        "channels": ["website"],
        "declared_level": "cong_khai",
        "themes": ["quang_ba_tinh", "du_lich"],
        "language": "vi",
        "versions-0-language": "en",
        "versions-0-title": EN_TITLE,
        "versions-0-body": EN_BODY,
        "submit": "1",
        **extra,
    }


def _submit(author: Browser, data: dict[str, Any]) -> Any:
    return author.post(
        "/author/submit", data, form_page="/author/submit", content_type="multipart/form-data"
    )


def _checked(html: str, name: str) -> list[str]:
    """The values of the checked checkboxes named ``name``."""
    found = []
    for tag in re.findall(r"<input[^>]*>", html):
        if f'name="{name}"' in tag and "checked" in tag:
            found.append(re.search(r'value="([^"]*)"', tag).group(1))  # type: ignore[union-attr]
    return found


def test_the_submit_form_offers_the_policy_themes_and_languages(app: Flask) -> None:
    page = browser(app, "tac.gia").get("/author/submit").get_data(as_text=True)
    assert "Cộng đồng ASEAN" in page and "Biển, đảo" in page and "Xúc tiến đầu tư" in page
    assert 'name="themes" type="checkbox" value="bien_dao"' in page
    assert '<option selected value="vi">Tiếng Việt</option>' in page
    assert '<option value="en">Tiếng Anh</option>' in page
    assert 'name="versions-0-title"' in page


def test_submit_with_themes_and_an_english_version_then_revise_keeps_them(app: Flask) -> None:
    author = browser(app, "tac.gia")
    response = _submit(author, _form())
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    item_id = response.headers["Location"].rsplit("/", 1)[-1]
    page = author.get(f"/author/items/{item_id}").get_data(as_text=True)
    assert "Quảng bá hình ảnh tỉnh" in page and "Du lịch" in page
    assert "Ngôn ngữ: Tiếng Việt" in page
    assert EN_TITLE in page and EN_BODY in page
    approver = browser(app, "lanh.dao").get(f"/approvals/items/{item_id}").get_data(as_text=True)
    assert EN_TITLE in approver and EN_BODY in approver and "Du lịch" in approver

    decide(app, "lanh.dao", item_id, "request_changes", "Bổ sung chủ đề.")
    form = author.get(f"/author/items/{item_id}/revise").get_data(as_text=True)
    assert _checked(form, "themes") == ["quang_ba_tinh", "du_lich"]
    assert '<option selected value="vi">' in form
    assert '<option selected value="en">' in form and EN_TITLE in form and EN_BODY in form
    # the revised form keeps the themes (as prefilled) and adds one
    data = _form(themes=["quang_ba_tinh", "du_lich", "xuc_tien_dau_tu"], note="Đã bổ sung.")
    revised = author.post(
        f"/author/items/{item_id}/revise", data, content_type="multipart/form-data"
    )
    assert revised.status_code == 302, revised.get_data(as_text=True)[:2000]
    page = author.get(f"/author/items/{item_id}").get_data(as_text=True)
    assert "Xúc tiến đầu tư" in page and "Du lịch" in page and EN_TITLE in page


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"themes": ["bong_da"]}, "Chủ đề “bong_da” không thuộc các chủ đề của kế hoạch"),
        ({"language": "de"}, "Ngôn ngữ “de” không được chính sách hiện hành chấp nhận"),
        ({"versions-0-language": "xx"}, "Ngôn ngữ “xx” không được chính sách hiện hành chấp nhận"),
        ({"versions-0-language": "vi"}, "Hai văn bản của tin bài cùng bằng ngôn ngữ “vi”"),
        ({"versions-0-body": ""}, "Phiên bản bằng “en” cần có cả tiêu đề và nội dung."),
        ({"versions-0-language": ""}, "Hãy chọn ngôn ngữ của phiên bản bổ sung"),
    ],
)
def test_bad_themes_and_languages_are_told_in_vietnamese(
    app: Flask, extra: dict[str, Any], message: str
) -> None:
    response = _submit(browser(app, "tac.gia"), _form(**extra))
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_the_auditor_sees_the_themes_and_language_versions_from_the_log(app: Flask) -> None:
    """The auditor's item page and log page show what the submission entries stated: themes,
    language and language versions by their Vietnamese labels, with the entry that stated them."""
    author = browser(app, "tac.gia")
    response = _submit(author, _form())
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    item_id = response.headers["Location"].rsplit("/", 1)[-1]
    auditor = browser(app, "kiem.toan")
    page = auditor.get(f"/audit/items/{item_id}").get_data(as_text=True)
    section = page.split("Chủ đề và ngôn ngữ, theo nhật ký", 1)[1].split("</section>", 1)[0]
    assert "Quảng bá hình ảnh tỉnh" in section and "Du lịch" in section
    assert "Ngôn ngữ: Tiếng Việt" in section and "Các phiên bản ngôn ngữ: " in section
    assert "Tiếng Anh" in section
    entry = re.search(r"#(\d+)</a>", section)
    assert entry is not None
    log = auditor.get(f"/audit/?item={item_id}").get_data(as_text=True)
    row = next(r for r in log.split("<tr>") if f'<td data-label="#">{entry.group(1)}</td>' in r)
    assert "Du lịch" in row and "Tiếng Anh" in row


def test_a_version_s_files_go_with_it_through_the_submit_form(app: Flask) -> None:
    """A file chosen in the English version's row is that version's file: signed into the
    submission (the manifest names its language), listed with the version on the author's and
    the approver's pages."""
    _version_files_through_the_form(app)


def test_a_version_s_files_on_postgresql(pg_app: Flask) -> None:
    _version_files_through_the_form(pg_app)


def _version_files_through_the_form(app: Flask) -> None:
    import io
    import json

    from clearance.domain.manifest import Manifest
    from tests.screening import corpus as c

    author = browser(app, "tac.gia")
    pdf = c.pdf(["Spring festival of the province"])
    response = _submit(author, _form(**{"versions-0-files": [(io.BytesIO(pdf), "festival.pdf")]}))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    item_id = response.headers["Location"].rsplit("/", 1)[-1]
    for who, url in (("tac.gia", f"/author/items/{item_id}"),
                     ("lanh.dao", f"/approvals/items/{item_id}")):  # fmt: skip
        page = browser(app, who).get(url).get_data(as_text=True)
        version = page[page.index('<section class="version" lang="en">') :].split("</section>")[0]
        assert "Tệp của phiên bản này" in version and "festival.pdf" in version
    from webapp.context import runtime

    with app.app_context():
        from clearance.services.queries import item_detail

        revision = item_detail(runtime(), item_id).revisions[-1]
    auditor = browser(app, "kiem.toan").get(f"/audit/items/{item_id}").get_data(as_text=True)
    logged = auditor.split("Chủ đề và ngôn ngữ, theo nhật ký", 1)[1].split("</section>", 1)[0]
    assert "Tiếng Anh (festival.pdf)" in logged  # the version's files, as the log links them
    manifest = Manifest.from_json_text(json.dumps(_manifest_doc(app, item_id)))
    assert [p.name for p in manifest.files_of("en")] == ["festival.pdf"]
    assert {p.name: p.language for p in revision.parts}["festival.pdf"] == "en"
    decide(app, "lanh.dao", item_id, "request_changes", "Sửa bản tiếng Anh.")
    form = author.get(f"/author/items/{item_id}/revise").get_data(as_text=True)
    # not kept as a main file of the next revision (its own row keeps it)
    assert 'name="remove" value="festival.pdf"' not in form


def _manifest_doc(app: Flask, item_id: str) -> dict[str, Any]:
    import json

    from sqlalchemy import select

    from clearance.storage.models import Revision
    from webapp.context import runtime

    with app.app_context(), runtime().sessions() as session:
        text = session.scalar(select(Revision.manifest_json).where(Revision.item_id == item_id))
    assert text is not None
    return dict(json.loads(text))


def test_a_file_in_a_version_row_without_a_version_is_refused_in_vietnamese(app: Flask) -> None:
    import io

    data = _form(**{"versions-0-language": "", "versions-0-title": "", "versions-0-body": "",
                    "versions-0-files": [(io.BytesIO(b"%PDF-1.4 x"), "lac.pdf")]})  # fmt: skip
    response = _submit(browser(app, "tac.gia"), data)
    assert response.status_code == 400
    assert "Tệp “lac.pdf” thuộc bản ngôn ngữ" in response.get_data(as_text=True)
