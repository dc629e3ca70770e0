"""Approvers see exactly what will be published: the derivative's pages as the review drew
them (served from the blob store, never drawn per request), the body in the site's typography
with each finding marked at its place and named in Vietnamese."""

from __future__ import annotations

import re
import unicodedata

import pytest
from flask import Flask

from clearance.screening import render
from clearance.services.queries import item_detail
from tests.screening.corpus import pdf_pages
from tests.webapp.helpers import browser
from tests.webapp.test_preview import make_docx, submit_to_press
from tests.webapp.test_story import submit

PAGE_IMG = re.compile(r'<img src="([^"]+/pages/(\d+))" alt="([^"]*)"')


def test_pdf_pages_are_shown_inline_from_the_blob_store(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    pdf = pdf_pages([["Trang mot: le hoi"], ["Trang hai: chuong trinh"]])
    item_id = submit(app, files={"le-hoi.pdf": pdf})
    rt = app.extensions["clearance.runtime"]
    revision = item_detail(rt, item_id).revisions[-1]
    stored = next(p for p in revision.screening["parts"] if p["name"] == "le-hoi.pdf")
    pages = stored["rendered"]["page_png_sha256"]
    assert len(pages) == 2

    def no_drawing(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a page was drawn while serving the item page")

    # serving the page and its images never draws anything: the review did, once
    monkeypatch.setattr(render, "_draw", no_drawing)
    monkeypatch.setattr(render, "_soffice_pdf", no_drawing)
    approver = browser(app, "lanh.dao")
    html = approver.get(f"/approvals/items/{item_id}").get_data(as_text=True)
    images = PAGE_IMG.findall(html)
    assert [number for _url, number, _alt in images] == ["1", "2"]
    assert images[0][2] == "Trang 1/2 của le-hoi.pdf"
    for (url, _number, _alt), digest in zip(images, pages, strict=True):
        response = approver.client.get(url.replace("&amp;", "&"))
        assert response.status_code == 200 and response.mimetype == "image/png"
        assert response.get_data() == rt.blobs.read(digest)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    # a page that does not exist, and a part without pages, answer 404
    base = images[0][0].rsplit("/", 1)[0]
    assert approver.client.get(f"{base}/3").status_code == 404
    assert approver.client.get(base.replace("/parts/1/", "/parts/0/") + "/1").status_code == 404


def test_pages_drawn_from_other_bytes_than_the_derivative_are_not_shown(app: Flask) -> None:
    """An older review drew the upload: those pages are not what will be published."""
    from webapp.itemview import page_images

    item_id = submit(app, files={"le-hoi.pdf": pdf_pages([["Trang mot"]])})
    rt = app.extensions["clearance.runtime"]
    revision = item_detail(rt, item_id).revisions[-1]
    part = next(p for p in revision.parts if p.name == "le-hoi.pdf")
    assert len(page_images(revision, part)) == 1
    entry = next(p for p in revision.screening["parts"] if p["name"] == "le-hoi.pdf")
    entry["rendered"] = {**entry["rendered"], "of": part.sha256}  # drawn from the upload
    assert part.sha256 != part.sanitized_sha256
    assert page_images(revision, part) == ()
    del entry["rendered"]["of"]  # as reviews before the derivative was drawn recorded it
    assert page_images(revision, part) == ()


@pytest.mark.slow
def test_office_pages_are_those_of_the_derivative(app: Flask) -> None:
    docx = make_docx(["Đoạn một về lễ hội.", "Đoạn hai."], hidden="GHI CHU AN")
    item_id = submit_to_press(app, {"chuong-trinh.docx": docx})
    html = browser(app, "lanh.dao").get(f"/approvals/items/{item_id}").get_data(as_text=True)
    images = PAGE_IMG.findall(html)
    assert images and images[0][2].startswith("Trang 1/")
    # the text of the file stays available under the pages, from the same derivative
    assert "<p>Đoạn một về lễ hội.</p>" in html and "GHI CHU AN" not in html


FINDING_BODY = (
    "Thông cáo báo chí về lễ hội mùa xuân của tỉnh.\n"
    "Mời đồng bào tham dự.\n\n"
    "Liên hệ ban tổ chức: 0905 123 456 về lễ khai mạc."
)


def test_body_in_published_typography_with_findings_marked_in_place(app: Flask) -> None:
    item_id = submit(app, body=FINDING_BODY)
    html = browser(app, "lanh.dao").get(f"/approvals/items/{item_id}").get_data(as_text=True)
    shown = html.split('<div class="published" lang="vi">', 1)[1].split("</div>", 1)[0]
    # the site's paragraphs and lines, not a monospace block
    assert shown.startswith(
        "<p>Thông cáo báo chí về lễ hội mùa xuân của tỉnh.<br>Mời đồng bào tham dự.</p><p>"
    )
    assert "<pre" not in shown
    # the phone number is marked where it is, named for screen readers, linked to its row
    marked = re.search(
        r'<mark class="sev-(\w+)" title="Số điện thoại"><a href="#finding-(\d+)">'
        r'<span class="visually-hidden">Phát hiện (\d+) \(Số điện thoại\): </span>'
        r"(.*?)</a></mark>",
        shown,
    )
    assert marked is not None, shown
    assert marked.group(4) == "0905 123 456"
    assert shown.split("<mark", 1)[0].endswith("Liên hệ ban tổ chức: ")
    assert f'id="finding-{marked.group(2)}"' in html
    assert int(marked.group(3)) == int(marked.group(2)) + 1
    # the typography is the site's own, from one place
    assert '<link rel="stylesheet" href="/published.css">' in html


def test_the_published_stylesheet_is_the_sites_typography(app: Flask) -> None:
    from clearance.publishing.pages import TEXT_TYPOGRAPHY

    response = browser(app).client.get("/published.css")
    assert response.status_code == 200 and response.mimetype == "text/css"
    css = response.get_data(as_text=True)
    assert TEXT_TYPOGRAPHY in css and "Noto Serif" in css and "monospace" not in css
    assert css.startswith(".published {")


def attachment_line(html: str, name: str) -> str:
    return html.split(f"<strong>{name}</strong>", 1)[1].split('<div class="part">', 1)[0]


def test_removed_metadata_and_the_published_size_are_shown(app: Flask) -> None:
    from clearance.screening import screen_file
    from clearance.screening.sanitise import REMOVED_KINDS
    from tests.screening.corpus import jpeg_with_gps
    from webapp.i18n import fmt_size

    photo = jpeg_with_gps("Ảnh lễ hội")
    pdf = pdf_pages([["Trang mot"]], title="Ke hoach")  # its info names an author
    item_id = submit(app, files={"anh.jpg": photo, "le-hoi.pdf": pdf})
    rt = app.extensions["clearance.runtime"]
    revision = item_detail(rt, item_id).revisions[-1]
    html = browser(app, "lanh.dao").get(f"/approvals/items/{item_id}").get_data(as_text=True)
    with app.test_request_context():
        for name, upload, said in (
            ("anh.jpg", photo, "Đã gỡ siêu dữ liệu: vị trí GPS, tiêu đề và mô tả"),
            ("le-hoi.pdf", pdf, "Đã gỡ siêu dữ liệu: tác giả"),
        ):
            part = next(p for p in revision.parts if p.name == name)
            derivative = rt.blobs.read(part.sanitized_sha256)
            assert len(derivative) != len(upload) and part.size == len(upload)
            line = attachment_line(html, name)
            assert '<span class="published-size"' in line
            assert f">{fmt_size(len(derivative))}</span>" in line, line
            assert f'<p class="removed">{said}</p>' in line, line
            # what the page says was removed is really gone from the derivative
            again = screen_file(derivative, name, rt.policy.screening)
            left = {f.rule for f in again.findings}
            claimed = {r.id for r in rt.policy.screening.metadata if r.kind in REMOVED_KINDS}
            assert not left & claimed, left & claimed


def test_a_file_without_metadata_says_nothing_was_removed(app: Flask) -> None:
    item_id = submit(app, files={"le-hoi.pdf": pdf_pages([["Trang mot"]])})
    html = browser(app, "lanh.dao").get(f"/approvals/items/{item_id}").get_data(as_text=True)
    assert 'class="removed"' not in attachment_line(html, "le-hoi.pdf")


def _marks(html: str) -> list[tuple[str, str]]:
    shown = html.split('<div class="published" lang="vi">', 1)[1].split("</div>", 1)[0]
    return re.findall(
        r'<mark class="sev-\w+" title="([^"]*)"><a href="#finding-\d+">'
        r'<span class="visually-hidden">[^<]*</span>(.*?)</a></mark>',
        shown,
    )


def test_findings_in_decomposed_text_are_marked_in_place(app: Flask) -> None:
    # NFD (letters and their accents apart): the body is stored composed, and the offsets the
    # screening gives fit the text as shown
    body = unicodedata.normalize(
        "NFD",
        "Thông cáo báo chí về lễ hội mùa xuân của tỉnh.\n"
        "Liên hệ ban tổ chức: 0905 123 456 về lễ khai mạc.\n"
        "Địa điểm: TỌA ĐỘ 16.0544, 108.2022 ở quảng trường.",
    )
    item_id = submit(app, body=body)
    html = browser(app, "lanh.dao").get(f"/approvals/items/{item_id}").get_data(as_text=True)
    marks = [text for _title, text in _marks(html)]
    assert "0905 123 456" in marks, marks
    assert any("16.0544, 108.2022" in text for text in marks), marks
    # a marking after the number blocks the item: its author's page marks both in place
    blocked = submit(app, body=body + unicodedata.normalize("NFD", "\nMẬT"))
    page = browser(app, "tac.gia").get(f"/author/items/{blocked}").get_data(as_text=True)
    marks = [text for _title, text in _marks(page)]
    assert "0905 123 456" in marks and "MẬT" in marks, marks


def test_a_zero_width_obfuscated_marking_is_marked_in_place(app: Flask) -> None:
    body = "Thông cáo báo chí.\nLiên hệ ban tổ chức: 0905\u200b 123 456.\nM\u200bẬ\u200bT"
    item_id = submit(app, body=body)
    html = browser(app, "tac.gia").get(f"/author/items/{item_id}").get_data(as_text=True)
    marks = [text for _title, text in _marks(html)]
    assert "M\u200bẬ\u200bT" in marks, marks
    assert "0905\u200b 123 456" in marks, marks
