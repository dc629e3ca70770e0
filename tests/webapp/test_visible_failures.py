"""Visible failures through the real web forms (CSRF on) and the real pipeline (the inline
trigger runs the core's review and publication): per-channel publication status with the reason
in Vietnamese, the administrator's retry, unconfigured channels hidden and refused, file types
refused at submission and pre-check, the plain "will be blocked" wording, and the state-secret
notifications (in-app, and e-mailed through a real local SMTP server)."""

from __future__ import annotations

import io
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import update

from clearance.auditlog.entry import parse_leaf
from clearance.auditlog.store import leaf_at, seqs_for_item
from clearance.runtime import Runtime
from clearance.services.queries import list_items
from clearance.storage.models import User
from tests.channels import KEY as RECEIVER_KEY
from tests.channels import Receiver, Sink
from tests.webapp.conftest import settings_for
from tests.webapp.helpers import Browser, browser
from tests.webapp.test_story import decide
from webapp import create_app

KEY_ENV = "CLEARANCE_SOCIAL_WEBHOOK_KEY"
KEY = RECEIVER_KEY.decode()
BODY = "Thông cáo báo chí về lễ hội mùa xuân của tỉnh.\nMời đồng bào tham dự."
SECRET_BODY = "MẬT\n\nKế hoạch bố trí lực lượng bảo vệ mục tiêu trọng điểm trong dịp lễ."
SECRET_TITLE = "Kế hoạch bảo vệ mục tiêu dịp lễ"


def _form(
    title: str,
    body: str,
    channels: list[str],
    *,
    files: dict[str, bytes] | None = None,
    **more: str,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": title,
        "body": body,
        "channels": channels,
        "declared_level": "cong_khai",
        **more,
    }
    if files:
        data["attachments"] = [(io.BytesIO(content), name) for name, content in files.items()]
    return data


def _post_submit(author: Browser, data: dict[str, Any]) -> Any:
    return author.post(
        "/author/submit", data, form_page="/author/submit", content_type="multipart/form-data"
    )


def _log_types(rt: Runtime, item_id: str) -> list[tuple[str, str | None]]:
    with rt.sessions() as session:
        leaves = [parse_leaf(leaf_at(session, s)) for s in seqs_for_item(session, item_id)]
    return [(leaf.type, leaf.actor) for leaf in leaves]


@pytest.fixture
def social_app(
    tmp_path: Path,
    template_home: Path,
    webhook_receiver: tuple[Receiver, str],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[Flask, Runtime]]:
    """The web app with the social channel's key in its settings (a test may take it away:
    the installation restarted without it) and its webhook pointed at a real local receiver."""
    home = tmp_path / "home"
    shutil.copytree(template_home, home)
    settings = settings_for(
        home, CLEARANCE_WEBHOOK_URL_SOCIAL=webhook_receiver[1], **{KEY_ENV: KEY}
    )
    rt = Runtime.open(settings)
    app = create_app(settings, runtime=rt)
    app.config.update(TESTING=True)
    yield app, rt
    rt.close()


def test_one_failing_channel_does_not_stop_the_other_and_an_admin_retries(
    social_app: tuple[Flask, Runtime], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, rt = social_app
    author = browser(app, "tac.gia")
    response = _post_submit(
        author, _form("Lễ hội mùa xuân", BODY, ["social", "website"], submit="1")
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    item_id = response.headers["Location"].rsplit("/", 1)[-1]

    # restarted without the key: the social channel cannot sign
    rt.settings = replace(rt.settings, webhook_keys={})
    decide(app, "lanh.dao", item_id, "approve")
    decide(app, "phat.ngon", item_id, "approve")

    page = author.get(f"/author/items/{item_id}").get_data(as_text=True)
    assert "state-approved" in page  # not published: one channel is missing
    website = page.split('id="channel-website"')[1].split("</tr>")[0]
    assert "Đã đăng" in website
    assert f'href="https://example.gov.vn/thong-tin/items/{item_id}/"' in website
    assert "Mở trang đã đăng" in website
    social = page.split('id="channel-social"')[1].split("</tr>")[0]
    assert "Đăng tải không thành công" in social
    assert "Kênh chưa được cấu hình" in social and KEY_ENV in social
    assert KEY not in page
    assert (rt.settings.site_dir / "items" / item_id / "index.html").is_file()

    # the author and the administrators are told, by title
    notes = author.get("/notifications/").get_data(as_text=True)
    assert "Lễ hội mùa xuân" in notes and "Đăng tải lên một kênh không thành công" in notes
    admin = browser(app, "quan.tri")
    home = admin.get("/admin/users").get_data(as_text=True)
    assert 'class="badge unread-count"' in home
    # the notification's link takes the administrator to the publication page
    link = admin.client.get(f"/items/{item_id}")
    assert link.status_code == 302 and "/admin/publications" in link.headers["Location"]

    listing = admin.get("/admin/publications").get_data(as_text=True)
    setup = listing.split('id="setup-social"')[1].split("</tr>")[0]
    assert "chưa cấu hình" in setup and KEY_ENV in setup
    assert "đã cấu hình" in listing.split('id="setup-website"')[1].split("</tr>")[0]
    failed = listing.split(f'id="item-{item_id}"')[1].split("</tr>")[0]
    assert "Lễ hội mùa xuân" in failed and "Thử lại" in failed

    # nobody else may retry
    refused = author.post(f"/admin/publications/{item_id}/social/retry", {})
    assert refused.status_code == 403
    # retried while the key is still missing: it fails again, visibly
    again = admin.post(
        f"/admin/publications/{item_id}/social/retry", {}, form_page="/admin/publications"
    )
    assert again.status_code == 302
    assert "vẫn không thành công" in admin.get("/admin/publications").get_data(as_text=True)

    rt.settings = replace(rt.settings, webhook_keys={KEY_ENV: KEY})  # the key is provided
    done = admin.post(
        f"/admin/publications/{item_id}/social/retry", {}, form_page="/admin/publications"
    )
    assert done.status_code == 302
    after = admin.get("/admin/publications").get_data(as_text=True)
    assert "Đã đăng tải lên" in after and f'id="item-{item_id}"' not in after
    page = author.get(f"/author/items/{item_id}").get_data(as_text=True)
    assert "state-published" in page
    assert "Đã đăng" in page.split('id="channel-social"')[1].split("</tr>")[0]
    types = _log_types(rt, item_id)
    assert [t for t in types if t[0] == "publication.retried"] == [
        ("publication.retried", "quan.tri"),
        ("publication.retried", "quan.tri"),
    ]
    assert [t for t, _a in types].count("publication.failed") == 2


def test_an_unconfigured_channel_is_hidden_and_refused(app: Flask, rt: Runtime) -> None:
    author = browser(app, "tac.gia")
    form = author.get("/author/submit").get_data(as_text=True)
    assert 'value="website"' in form and 'value="press"' in form
    assert 'value="social"' not in form  # its HMAC key is not configured here
    response = _post_submit(author, _form("Lễ hội", BODY, ["social", "website"], submit="1"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "chưa thể đăng tải vì chưa được cấu hình" in page and KEY_ENV in page
    assert list_items(rt, author="tac.gia") == []


def test_a_file_type_a_channel_refuses_is_reported_at_precheck_and_submission(
    app: Flask, rt: Runtime
) -> None:
    author = browser(app, "tac.gia")
    files = {"trang.html": b"<html><body><p>L\xe1\xbb\x85 h\xe1\xbb\x99i</p></body></html>"}
    check = _post_submit(
        author, _form("Lễ hội", BODY, ["press"], files=files, precheck="1")
    ).get_data(as_text=True)
    assert "sẽ bị chặn" in check
    assert "thuộc loại text/html" in check and "file_type_not_accepted" in check

    response = _post_submit(author, _form("Lễ hội", BODY, ["press"], files=files, submit="1"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Tệp “trang.html” thuộc loại text/html" in page
    assert "Cung cấp thông tin cho báo chí" in page  # the channel by its label
    assert list_items(rt, author="tac.gia") == []


def test_precheck_says_plainly_what_blocks_and_what_does_not(app: Flask) -> None:
    author = browser(app, "tac.gia")
    secret = _post_submit(
        author, _form("Kế hoạch", SECRET_BODY, ["website"], precheck="1")
    ).get_data(as_text=True)
    assert "sẽ bị chặn và không bao giờ được đăng tải" in secret
    assert "dấu hiệu bí mật nhà nước" in secret and "cán bộ bảo mật" in secret

    harmless = _post_submit(
        author,
        _form("Lịch", "Liên hệ ban tổ chức: 0912345678.", ["website"], precheck="1"),
    ).get_data(as_text=True)
    assert "sẽ bị chặn" not in harmless
    assert "không chặn tin bài" in harmless


@pytest.fixture
def mail_app(
    tmp_path: Path, template_home: Path, smtp_sink: tuple[Sink, int]
) -> Iterator[tuple[Flask, Runtime]]:
    home = tmp_path / "home"
    shutil.copytree(template_home, home)
    settings = settings_for(
        home,
        CLEARANCE_SMTP_HOST="127.0.0.1",
        CLEARANCE_SMTP_PORT=str(smtp_sink[1]),
        CLEARANCE_SMTP_FROM="clearance@so-tt.example.vn",
        CLEARANCE_PUBLIC_BASE_URL="http://localhost",
    )
    rt = Runtime.open(settings)
    with rt.sessions() as session:
        session.execute(update(User).values(email=User.username + "@example.vn"))
        session.commit()
    app = create_app(settings, runtime=rt)
    app.config.update(TESTING=True)
    yield app, rt
    rt.close()


def test_a_state_secret_block_notifies_the_author_and_the_security_officer(
    mail_app: tuple[Flask, Runtime], smtp_sink: tuple[Sink, int]
) -> None:
    app, _rt = mail_app
    handler, _port = smtp_sink
    author = browser(app, "tac.gia")
    response = _post_submit(author, _form(SECRET_TITLE, SECRET_BODY, ["website"], submit="1"))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    item_id = response.headers["Location"].rsplit("/", 1)[-1]
    assert "state-blocked" in author.get(f"/author/items/{item_id}").get_data(as_text=True)

    officer = browser(app, "bao.mat")
    nav = officer.get("/approvals/").get_data(as_text=True)
    count = nav.split('class="badge unread-count"')[1].split("</span>")[0]
    assert count.endswith(">1")
    listing = officer.get("/notifications/").get_data(as_text=True)
    assert SECRET_TITLE in listing and f">{item_id}<" not in listing
    assert "phát hiện dấu hiệu bí mật nhà nước" in listing
    # the link opens the blocked item for the security officer
    opened = officer.client.get(f"/items/{item_id}")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(
        f"/approvals/items/{item_id}"
    )
    assert officer.get(f"/approvals/items/{item_id}").status_code == 200
    # an approver without that role is not told and cannot open it
    assert item_id not in browser(app, "lanh.dao").get("/notifications/").get_data(as_text=True)
    assert browser(app, "lanh.dao").client.get(f"/items/{item_id}").status_code == 404

    # e-mail to both, with the id and the kind but never the title or the text
    for _ in range(50):
        if {m["To"] for m in handler.messages} >= {"tac.gia@example.vn", "bao.mat@example.vn"}:
            break
        handler.arrived.wait(0.2)
    recipients = {m["To"] for m in handler.messages}
    assert {"tac.gia@example.vn", "bao.mat@example.vn"} <= recipients
    assert "lanh.dao@example.vn" not in recipients
    for message in handler.messages:
        whole = f"{message['Subject']}\n{message.get_content()}"
        assert item_id in whole and "bí mật nhà nước" in whole
        assert SECRET_TITLE not in whole and "lực lượng" not in whole

    # reading everything clears the count
    officer.post("/notifications/read-all", {}, form_page="/notifications/")
    assert 'class="badge unread-count"' not in officer.get("/approvals/").get_data(as_text=True)


def test_a_release_refused_under_a_retry_reads_in_vietnamese(
    social_app: tuple[Flask, Runtime], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The release point refuses an item that is no longer approved (the author withdrew it
    between the retry's check and the publication): the administrator reads the refusal in
    Vietnamese, not the core's English "item … is withdrawn, not approved"."""
    from clearance.publishing import service
    from clearance.services.items import withdraw

    app, rt = social_app
    author = browser(app, "tac.gia")
    response = _post_submit(
        author, _form("Lễ hội mùa thu", BODY, ["social", "website"], submit="1")
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    item_id = response.headers["Location"].rsplit("/", 1)[-1]
    rt.settings = replace(rt.settings, webhook_keys={})  # the social channel fails
    decide(app, "lanh.dao", item_id, "approve")
    decide(app, "phat.ngon", item_id, "approve")
    rt.settings = replace(rt.settings, webhook_keys={KEY_ENV: KEY})

    publish = service.publish

    def withdrawn_meanwhile(*args: Any, **kwargs: Any) -> Any:
        withdraw(rt, actor="tac.gia", item_id=item_id, reason="Sai ngày tổ chức")
        return publish(*args, **kwargs)

    monkeypatch.setattr(service, "publish", withdrawn_meanwhile)
    admin = browser(app, "quan.tri")
    admin.post(f"/admin/publications/{item_id}/social/retry", {}, form_page="/admin/publications")
    page = admin.get("/admin/publications").get_data(as_text=True)
    assert f"Tin bài {item_id} đang ở trạng thái “Đã gỡ bỏ”" in page, page[:3000]
    assert "not approved" not in page and "withdrawn" not in page
