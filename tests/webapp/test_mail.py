"""A submission through the web e-mails the approver through a real SMTP sink (aiosmtpd): the
message carries the item id, the stage and a link that opens the item, never its content."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, update

from clearance.notifications.models import Notification
from clearance.runtime import Runtime
from clearance.storage.models import User
from tests.channels import Sink
from tests.webapp.conftest import settings_for
from tests.webapp.helpers import browser
from tests.webapp.test_story import submit
from webapp import create_app
from webapp.context import RUNTIME_KEY

TITLE = "Kế hoạch tuần tra biên giới quý II"
BODY = "Nội dung nội bộ: lịch trình tuần tra và số điện thoại trực ban 0912345678."


@pytest.fixture
def mail_app(tmp_path: Path, template_home: Path, smtp_sink: tuple[Sink, int]) -> Iterator[Flask]:
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
    yield app
    rt.close()


def test_the_approver_is_mailed_only_id_stage_and_link(
    mail_app: Flask, smtp_sink: tuple[Sink, int]
) -> None:
    handler, _port = smtp_sink
    item_id = submit(mail_app, title=TITLE, body=BODY)
    assert handler.arrived.wait(10), "no e-mail reached the SMTP sink"
    with mail_app.extensions[RUNTIME_KEY].readers() as session:
        notes = session.execute(
            select(User.username, Notification.stage)
            .join(User, User.id == Notification.user_id)
            .where(Notification.item_id == item_id)
        ).all()
    assert notes, "the submission notified nobody"
    link = f"http://localhost/items/{item_id}"
    for username, stage in notes:
        [message] = [m for m in handler.messages if m["To"] == f"{username}@example.vn"]
        assert message["From"] == "clearance@so-tt.example.vn"
        assert not message.is_multipart()  # no attachments
        text = message.get_content()
        whole = f"{message['Subject']}\n{text}"
        assert item_id in message["Subject"] and item_id in text
        assert stage and stage in whole
        assert link in text
        for secret in (TITLE, "tuần tra", "0912345678", "Nội dung"):
            assert secret not in whole, f"the e-mail leaks content: {secret!r}"

        # the link opens the item page for the approver it was sent to
        response = browser(mail_app, username).client.get(f"/items/{item_id}")
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/approvals/items/{item_id}")
    # and for nobody it is not routed to
    assert browser(mail_app, "tac.gia.b").client.get(f"/items/{item_id}").status_code == 404
