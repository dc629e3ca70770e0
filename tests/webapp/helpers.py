"""Test helpers: a world with every role, and a client that submits real CSRF tokens."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from clearance.runtime import Runtime

PASSWORD = "correct horse battery staple"
TOKEN = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)

#: username -> (roles, sign-off roles, unit)
PEOPLE: dict[str, tuple[list[str], list[str], str | None]] = {
    "tac.gia": (["author"], [], "vp"),
    "tac.gia.b": (["author"], [], "vp"),
    "lanh.dao": (["approver"], ["unit_head"], "vp"),
    "phat.ngon": (["approver"], ["spokesperson"], "vp"),
    "bao.mat": (["approver"], ["security_officer"], "vp"),
    "thu.truong": (["approver"], ["agency_head"], "vp"),
    "kiem.toan": (["auditor"], [], None),
    "quan.tri": (["admin"], [], None),
    "quan.tri.2": (["admin"], [], None),
}


def workbook(rows: dict[str, list[list[object]]]) -> bytes:
    """An XLSX file: sheet title -> its rows."""
    import io

    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, values in rows.items():
        sheet = book.create_sheet(title)
        for row in values:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csrf_token(html: str) -> str:
    match = TOKEN.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1) or match.group(2)


@dataclass
class Browser:
    """A test client that fetches a form page for its token before every POST."""

    client: FlaskClient
    token: str | None = field(default=None)

    def get(self, url: str, **kw: Any) -> TestResponse:
        response = self.client.get(url, **kw)
        text = response.get_data(as_text=True)
        if "csrf_token" in text:
            self.token = csrf_token(text)
        return response

    def post(
        self,
        url: str,
        data: dict[str, Any] | None = None,
        *,
        form_page: str | None = None,
        **kw: Any,
    ) -> TestResponse:
        if form_page is not None or self.token is None:
            self.get(form_page or "/auth/login")
        payload = dict(data or {})
        payload.setdefault("csrf_token", self.token)
        return self.client.post(url, data=payload, **kw)

    def login(self, username: str, password: str = PASSWORD) -> TestResponse:
        return self.post(
            "/auth/login",
            {"username": username, "password": password},
            form_page="/auth/login",
        )


def browser(app: Flask, username: str | None = None) -> Browser:
    b = Browser(app.test_client())
    if username is not None:
        response = b.login(username)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        b.get("/auth/password")  # the session was renewed at login: take its CSRF token
    return b


#: the first-run roster the browser tests and the screenshots type in: (username, display
#: name, role, sign-off role or None, unit or "")
ROSTER = (
    ("lanh.dao", "Nguyễn Văn Lãnh", "approver", "unit_head", "Văn phòng"),
    ("bao.mat", "Trần Thị Bảo", "approver", "security_officer", "Phòng Bảo mật"),
    ("kiem.toan", "Lê Văn Kiểm", "auditor", None, ""),
    ("quan.tri.2", "Phạm Thị Quản", "admin", None, ""),
)


def fill_roster(
    page: Any,
    units: str = "Văn phòng\nPhòng Bảo mật",
    people: Sequence[tuple[str, str, str, str | None, str]] = ROSTER,
) -> None:
    """Type ``units`` and ``people`` into the first-run setup form open in a Playwright page."""
    page.wait_for_selector("textarea[name=units]")
    page.fill("textarea[name=units]", units)
    for i, (name, shown, role, signoff, unit) in enumerate(people):
        page.fill(f"#people-{i}-username", name)
        page.fill(f"#people-{i}-display_name", shown)
        page.select_option(f"#people-{i}-role", role)
        if signoff:
            page.check(f"input[name=people-{i}-signoff_roles][value={signoff}]")
        if unit:
            page.fill(f"#people-{i}-unit", unit)


def make_people(rt: Runtime) -> None:
    from clearance.services.users import add_user

    for name, (roles, signoff, unit) in PEOPLE.items():
        add_user(
            rt,
            actor="test",
            username=name,
            display_name=name.replace(".", " ").title(),
            roles=roles,
            signoff_roles=signoff,
            unit=unit,
            password=PASSWORD,
        )


def enrol_keys(rt: Runtime) -> None:
    from datetime import UTC, datetime

    from clearance.signing.approver import enroll_approver_key

    for name, (roles, _signoff, _unit) in PEOPLE.items():
        if "approver" in roles:
            now = datetime.now(UTC)
            with rt.uow() as uow:
                _vkey, event = enroll_approver_key(
                    uow.session, username=name, password=PASSWORD, now=now
                )
                uow.record(event)
                uow.commit(now=now)


#: two units, each with an author and its unit head (the scope tests of the web and of the core's
#: access policy share this world): name -> (roles, unit, sign-off roles)
UNIT_PEOPLE: dict[str, tuple[str, str, str | None]] = {
    "tg.so.a": ("author", "so-a", None),
    "tg.so.b": ("author", "so-b", None),
    "ld.so.a": ("approver", "so-a", "unit_head"),
    "ld.so.b": ("approver", "so-b", "unit_head"),
}


def add_person(rt: Runtime, name: str, roles: str, unit: str, signoff: str | None = None) -> None:
    """One more user (an approver also gets a signing key)."""
    from datetime import UTC, datetime

    from clearance.services.users import add_user
    from clearance.signing.approver import enroll_approver_key

    add_user(rt, actor="test", username=name, roles=roles, signoff_roles=signoff, unit=unit,
             password=PASSWORD)  # fmt: skip
    if "approver" in roles.split():
        now = datetime.now(UTC)
        with rt.uow() as uow:
            _vkey, event = enroll_approver_key(
                uow.session, username=name, password=PASSWORD, now=now
            )
            uow.record(event)
            uow.commit(now=now)


def add_units(rt: Runtime) -> Runtime:
    for name, (roles, unit, signoff) in UNIT_PEOPLE.items():
        add_person(rt, name, roles, unit, signoff)
    return rt


def submit_reviewed(
    rt: Runtime, author: str, title: str = "Tin của sở", attachments: list[Any] | None = None
) -> str:
    """A public press release by ``author``, submitted and screened (now awaiting sign-off)."""
    from clearance.services.items import Submission, submit
    from clearance.services.review import review_revision

    item = submit(rt, author=author, submission=Submission(
        title=title, channels=["website"], declared_level="cong_khai",
        body_text="Thông cáo báo chí của sở.", attachments=attachments or []))  # fmt: skip
    review_revision(rt, item)
    return item
