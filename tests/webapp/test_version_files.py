"""A language version's files through the real submit and revise forms (CSRF on): the revise
form keeps or removes each version's files, a failed submit keeps the files of every version
row (in that form only, never in another tab's item), and the author's pre-check screens them
and names the version."""

from __future__ import annotations

import io
import re
from typing import Any

from flask import Flask

from clearance.runtime import Runtime
from clearance.services.queries import RevisionView, item_detail, list_items
from tests.screening import corpus as c
from tests.webapp.helpers import Browser, browser, csrf_token
from tests.webapp.test_story import BODY, decide

EN_TITLE = "Spring festival of the province"
EN_BODY = "The province invites everyone to the spring festival."
EN_PDF = "festival.pdf"


def _form(**extra: Any) -> dict[str, Any]:
    return {
        "title": "Lễ hội mùa xuân",
        "body": BODY,
        "channels": ["website"],
        "declared_level": "cong_khai",
        "language": "vi",
        "versions-0-language": "en",
        "versions-0-title": EN_TITLE,
        "versions-0-body": EN_BODY,
        "submit": "1",
        **extra,
    }


def hidden(html: str, name: str) -> str:
    """The value of the hidden input ``name`` of the page ('' when it has none)."""
    for tag in re.findall(r"<input[^>]*>", html):
        if f'name="{name}"' in tag:
            found = re.search(r'value="([^"]*)"', tag)
            return found.group(1) if found else ""
    return ""


def _tokens(html: str, rows: int = 2) -> dict[str, str]:
    """What the page's form carries from one post to the next: its CSRF token, its own
    staging token and each version row's."""
    names = ["staged", *(f"versions-{i}-staged" for i in range(rows))]
    return {"csrf_token": csrf_token(html), **{n: hidden(html, n) for n in names}}


def _row(html: str, index: int) -> str:
    """The HTML of version row ``index`` of the form."""
    rows = html.split('<fieldset class="field versions">', 1)[1]
    rows = re.split(r'<section class="precheck">|<div class="actions">', rows)[0]
    return rows.split('<div class="version"')[index + 1]


def _revision(rt: Runtime, item_id: str) -> RevisionView:
    return item_detail(rt, item_id).revisions[-1]


def _manifest_files(rt: Runtime, item_id: str, number: int, language: str) -> list[str]:
    """The names the signed manifest of revision ``number`` links to the version."""
    from sqlalchemy import select

    from clearance.domain.manifest import Manifest
    from clearance.storage.models import Revision

    with rt.sessions() as session:
        text = session.scalar(
            select(Revision.manifest_json).where(
                Revision.item_id == item_id, Revision.number == number
            )
        )
    assert text is not None
    return [p.name for p in Manifest.from_json_text(text).files_of(language)]


def _files_of(rev: RevisionView) -> dict[str, tuple[str | None, str]]:
    """name -> (language, sha256) of the revision's attachments."""
    return {p.name: (p.language, p.sha256) for p in rev.parts if p.role == "attachment"}


def _precheck_form(**extra: Any) -> dict[str, Any]:
    data = _form(precheck="1", **extra)
    del data["submit"]
    return data


def _submitted(author: Browser, **extra: Any) -> str:
    response = author.post(
        "/author/submit",
        _form(**extra),
        form_page="/author/submit",
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return str(response.headers["Location"]).rsplit("/", 1)[-1]


def test_the_revise_form_keeps_or_removes_a_version_s_files(app: Flask, rt: Runtime) -> None:
    author = browser(app, "tac.gia")
    pdf = c.pdf(["Spring festival of the province"])
    item_id = _submitted(author, **{"versions-0-files": [(io.BytesIO(pdf), EN_PDF)]})
    (sha,) = [s for (lang, s) in _files_of(_revision(rt, item_id)).values() if lang == "en"]

    # keep: the revise form lists the file in the English row with a labelled remove control
    decide(app, "lanh.dao", item_id, "request_changes", "Sửa bản tiếng Anh.")
    form = author.get(f"/author/items/{item_id}/revise").get_data(as_text=True)
    row = _row(form, 0)
    assert EN_PDF in row
    control = re.search(r'<input[^>]*name="versions-0-remove"[^>]*>', row)
    assert control is not None and f'value="{EN_PDF}"' in control.group(0)
    box_id = re.search(r'id="([^"]+)"', control.group(0)).group(1)  # type: ignore[union-attr]
    assert f'<label for="{box_id}" class="inline">Gỡ bỏ {EN_PDF}</label>' in row
    assert 'name="remove" value="festival.pdf"' not in form  # never a main file
    kept = author.client.post(
        f"/author/items/{item_id}/revise",
        data=_form(note="Giữ tệp.", answers="1", **_tokens(form)),
        content_type="multipart/form-data",
    )
    assert kept.status_code == 302, kept.get_data(as_text=True)[:2000]
    rev = _revision(rt, item_id)
    assert rev.number == 2 and _files_of(rev) == {EN_PDF: ("en", sha)}
    assert _manifest_files(rt, item_id, 2, "en") == [EN_PDF]
    page = author.get(f"/author/items/{item_id}").get_data(as_text=True)
    version = page[page.index('<section class="version" lang="en">') :].split("</section>")[0]
    assert EN_PDF in version

    # remove: ticked, the file is gone from the next revision and from the author's page
    decide(app, "lanh.dao", item_id, "request_changes", "Bỏ tệp tiếng Anh.")
    form = author.get(f"/author/items/{item_id}/revise").get_data(as_text=True)
    removed = author.client.post(
        f"/author/items/{item_id}/revise",
        data=_form(note="Bỏ tệp.", answers="2", **{"versions-0-remove": EN_PDF},
                   **_tokens(form)),
        content_type="multipart/form-data",
    )  # fmt: skip
    assert removed.status_code == 302, removed.get_data(as_text=True)[:2000]
    rev = _revision(rt, item_id)
    assert rev.number == 3 and _files_of(rev) == {}
    assert _manifest_files(rt, item_id, 3, "en") == []
    page = author.get(f"/author/items/{item_id}").get_data(as_text=True)
    version = page[page.index('<section class="version" lang="en">') :].split("</section>")[0]
    assert EN_PDF not in version


def test_a_new_file_is_added_to_a_version_on_revise_beside_the_kept_one(
    app: Flask, rt: Runtime
) -> None:
    author = browser(app, "tac.gia")
    pdf = c.pdf(["Spring festival of the province"])
    item_id = _submitted(author, **{"versions-0-files": [(io.BytesIO(pdf), EN_PDF)]})
    decide(app, "lanh.dao", item_id, "request_changes", "Thêm chương trình.")
    form = author.get(f"/author/items/{item_id}/revise").get_data(as_text=True)
    programme = c.pdf(["Programme of the festival"])
    revised = author.client.post(
        f"/author/items/{item_id}/revise",
        data=_form(note="Thêm tệp.", answers="1",
                   **{"versions-0-files": [(io.BytesIO(programme), "programme.pdf")]},
                   **_tokens(form)),
        content_type="multipart/form-data",
    )  # fmt: skip
    assert revised.status_code == 302, revised.get_data(as_text=True)[:2000]
    files = _files_of(_revision(rt, item_id))
    assert {name: lang for name, (lang, _sha) in files.items()} == {
        EN_PDF: "en",
        "programme.pdf": "en",
    }


def test_a_failed_submit_keeps_every_version_row_s_files_in_that_form_only(
    app: Flask, rt: Runtime
) -> None:
    author = browser(app, "tac.gia")
    tab_a = author.client.get("/author/submit").get_data(as_text=True)
    tab_b = author.client.get("/author/submit").get_data(as_text=True)
    pdf = c.pdf(["Spring festival of the province"])
    failed = author.client.post(
        "/author/submit",
        data=_form(title="", **_tokens(tab_a),
                   attachments=[(io.BytesIO("Lễ hội.".encode()), "le-hoi.txt")],
                   **{"versions-0-files": [(io.BytesIO(pdf), EN_PDF)]}),
        content_type="multipart/form-data",
    )  # fmt: skip
    assert failed.status_code == 400
    page = failed.get_data(as_text=True)
    assert EN_PDF in _row(page, 0) and 'name="versions-0-remove"' in _row(page, 0)
    assert "le-hoi.txt" in page.split('<fieldset class="field versions">', 1)[0]  # main files

    # another tab of the same session sends its own item: none of tab A's files reach it
    sent_b = author.client.post(
        "/author/submit",
        data=_form(title="Thông cáo B", **_tokens(tab_b)),
        content_type="multipart/form-data",
    )
    assert sent_b.status_code == 302, sent_b.get_data(as_text=True)[:2000]
    (b,) = [r for r in list_items(rt, author="tac.gia") if r.title == "Thông cáo B"]
    assert _files_of(_revision(rt, b.id)) == {}

    # tab A sent again with the title: its files are the item's, each where it was chosen
    sent_a = author.client.post(
        "/author/submit", data=_form(**_tokens(page)), content_type="multipart/form-data"
    )
    assert sent_a.status_code == 302, sent_a.get_data(as_text=True)[:2000]
    item_id = str(sent_a.headers["Location"]).rsplit("/", 1)[-1]
    files = _files_of(_revision(rt, item_id))
    assert {name: lang for name, (lang, _sha) in files.items()} == {
        "le-hoi.txt": None,
        EN_PDF: "en",
    }


def test_a_version_file_refused_by_the_core_stays_in_its_row(app: Flask, rt: Runtime) -> None:
    """The core's refusal (here: a file in a row that has no version) comes back with the
    file still in the row, where the author removes it or gives the row a version."""
    author = browser(app, "tac.gia")
    tab = author.client.get("/author/submit").get_data(as_text=True)
    pdf = c.pdf(["Spring festival of the province"])
    failed = author.client.post(
        "/author/submit",
        data=_form(**{"versions-0-language": "", "versions-0-title": "", "versions-0-body": "",
                      "versions-0-files": [(io.BytesIO(pdf), EN_PDF)]}, **_tokens(tab)),
        content_type="multipart/form-data",
    )  # fmt: skip
    assert failed.status_code == 400
    page = failed.get_data(as_text=True)
    assert "Tệp “festival.pdf” thuộc bản ngôn ngữ" in page
    assert EN_PDF in _row(page, 0)
    sent = author.client.post(
        "/author/submit", data=_form(**_tokens(page)), content_type="multipart/form-data"
    )
    assert sent.status_code == 302, sent.get_data(as_text=True)[:2000]
    item_id = str(sent.headers["Location"]).rsplit("/", 1)[-1]
    assert {n: lang for n, (lang, _s) in _files_of(_revision(rt, item_id)).items()} == {
        EN_PDF: "en"
    }


def test_the_precheck_screens_a_version_s_file_and_names_the_version(
    app: Flask, rt: Runtime
) -> None:
    author = browser(app, "tac.gia")
    tab = author.client.get("/author/submit").get_data(as_text=True)
    secret = c.pdf(["MAT", "Deployment plan of the protection forces"])
    checked = author.client.post(
        "/author/submit",
        data=_precheck_form(**_tokens(tab),
                   **{"versions-0-files": [(io.BytesIO(secret), EN_PDF)]}),
        content_type="multipart/form-data",
    )  # fmt: skip
    assert checked.status_code == 200, checked.get_data(as_text=True)[:2000]
    page = checked.get_data(as_text=True)
    blocked = page.split('class="flash error precheck-blocked"', 1)[1].split("</div>", 1)[0]
    why = [li for li in re.findall(r"<li>(.*?)</li>", blocked, re.S) if EN_PDF in li]
    assert why and all("Vị trí: phiên bản Tiếng Anh, festival.pdf" in li for li in why), why
    assert any("<code>marking.mat</code>" in li for li in why), why
    # the same wording and level as a marked main file's findings, the version named first
    main = author.client.post(
        "/author/submit",
        data=_precheck_form(**_tokens(tab), attachments=[(io.BytesIO(secret), EN_PDF)]),
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    main_blocked = main.split('class="flash error precheck-blocked"', 1)[1].split("</div>", 1)[0]
    main_why = [li for li in re.findall(r"<li>(.*?)</li>", main_blocked, re.S) if EN_PDF in li]
    assert main_why == [li.replace("phiên bản Tiếng Anh, ", "") for li in why]
    assert list_items(rt, author="tac.gia") == []
    # the checked file stays in its row for the submission
    assert EN_PDF in _row(page, 0)
