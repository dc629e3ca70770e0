"""Who may reach what: every route x every role, including object-level checks
(author A cannot see author B's item, an approver sees only what is routed to them, the auditor
reads everything and changes nothing). New routes must be added here or the coverage test fails."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.screening.corpus import pdf_pages
from tests.webapp.helpers import Browser, browser
from tests.webapp.test_story import submit

ROLES = ("anon", "tac.gia", "tac.gia.b", "lanh.dao", "thu.truong", "kiem.toan", "quan.tri")
ALL_SIGNED_IN = frozenset(ROLES) - {"anon"}
AUTHORS = frozenset({"tac.gia", "tac.gia.b"})
APPROVERS = frozenset({"lanh.dao", "thu.truong"})

#: (method, url template, who may reach it); {A} is tac.gia's item
ROUTES: list[tuple[str, str, frozenset[str]]] = [
    ("GET", "/author/", AUTHORS),
    ("GET", "/author/submit", AUTHORS),
    ("GET", "/author/items/{A}", frozenset({"tac.gia"})),
    ("GET", "/author/items/{A}/revise", frozenset({"tac.gia"})),
    ("POST", "/author/items/{A}/withdraw", frozenset({"tac.gia"})),
    ("POST", "/author/submit", AUTHORS),
    ("GET", "/approvals/", APPROVERS),
    ("GET", "/approvals/key", APPROVERS),
    ("GET", "/approvals/decided", APPROVERS),
    ("GET", "/approvals/all", APPROVERS),
    ("GET", "/approvals/items/{A}", frozenset({"lanh.dao"})),
    ("POST", "/approvals/items/{A}/decide", frozenset({"lanh.dao"})),
    ("GET", "/approvals/items/{A}/receipt", frozenset({"lanh.dao", "kiem.toan"})),
    # an administrator who may not read the item is sent to the publication page
    ("GET", "/items/{A}", frozenset({"tac.gia", "lanh.dao", "kiem.toan", "quan.tri"})),
    ("GET", "/items/{A}/r/1/parts/0", frozenset({"tac.gia", "lanh.dao", "kiem.toan"})),
    # {P}: the PDF attachment, whose pages the review drew
    ("GET", "/items/{A}/r/1/parts/{P}/pages/1", frozenset({"tac.gia", "lanh.dao", "kiem.toan"})),
    ("GET", "/audit/", frozenset({"kiem.toan"})),
    ("GET", "/audit/verify", frozenset({"kiem.toan"})),
    ("GET", "/audit/verify/report", frozenset({"kiem.toan"})),
    ("GET", "/audit/verify.json", frozenset({"kiem.toan"})),
    ("GET", "/audit/items/{A}", frozenset({"kiem.toan"})),
    ("GET", "/audit/export.zip", frozenset({"kiem.toan"})),
    ("GET", "/audit/key", frozenset({"kiem.toan"})),
    ("GET", "/audit/log.vkey", ALL_SIGNED_IN),
    ("GET", "/admin/users", frozenset({"quan.tri"})),
    ("POST", "/admin/users", frozenset({"quan.tri"})),
    ("GET", "/admin/users/tac.gia", frozenset({"quan.tri"})),
    ("POST", "/admin/users/tac.gia", frozenset({"quan.tri"})),
    ("GET", "/admin/changes", frozenset({"quan.tri"})),
    ("POST", "/admin/changes/1/confirm", frozenset({"quan.tri"})),
    ("POST", "/admin/changes/1/reject", frozenset({"quan.tri"})),
    ("GET", "/admin/policy", frozenset({"quan.tri"})),
    ("POST", "/admin/policy", frozenset({"quan.tri"})),
    ("GET", "/admin/keys", frozenset({"quan.tri"})),
    ("GET", "/admin/publications", frozenset({"quan.tri"})),
    ("POST", "/admin/publications/{A}/website/retry", frozenset({"quan.tri"})),
    ("GET", "/admin/setup/", frozenset({"quan.tri"})),
    ("POST", "/admin/setup/", frozenset({"quan.tri"})),
    ("POST", "/admin/setup/confirm", frozenset({"quan.tri"})),
    ("GET", "/notifications/", ALL_SIGNED_IN),
    ("POST", "/notifications/{N}/read", frozenset({"lanh.dao"})),
    ("POST", "/notifications/read-all", ALL_SIGNED_IN),
    ("GET", "/auth/password", ALL_SIGNED_IN),
    ("POST", "/auth/password", ALL_SIGNED_IN),
    ("POST", "/approvals/key", APPROVERS),
    ("GET", "/reports/", APPROVERS | {"kiem.toan", "quan.tri"}),
    ("GET", "/reports/entries", APPROVERS | {"kiem.toan", "quan.tri"}),
    ("GET", "/reports/report.csv", APPROVERS | {"kiem.toan", "quan.tri"}),
]
#: the index of the sweep item's PDF among its parts (the body, lich.txt, le-hoi.pdf)
PDF_PART = "2"
#: routes every visitor reaches (or that only end a session)
PUBLIC = {
    "/auth/login",
    "/lang",
    "/auth/logout",
    "/",
    "/static/<path:filename>",
    "/published.css",
}


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory, template_home
) -> Iterator[tuple[Flask, str, dict[str, Browser]]]:  # type: ignore[no-untyped-def]
    import shutil

    from clearance.runtime import Runtime
    from tests.webapp.conftest import settings_for
    from webapp import create_app

    home = tmp_path_factory.mktemp("sweep") / "home"
    shutil.copytree(template_home, home)
    settings = settings_for(home)
    rt = Runtime.open(settings)
    app = create_app(settings, runtime=rt)
    app.config.update(TESTING=True)
    item_a = submit(
        app,
        files={"lich.txt": "Lịch trình lễ hội".encode(), "le-hoi.pdf": pdf_pages([["Le hoi"]])},
    )
    clients = {
        name: (Browser(app.test_client()) if name == "anon" else browser(app, name))
        for name in ROLES
    }
    clients["anon"].get("/auth/login")
    from clearance.admin.service import propose_roles
    from clearance.notifications import list_for_user

    change = propose_roles(
        rt, admin="quan.tri.2", username="tac.gia.b", roles=["author"], signoff_roles=[], unit="vp2"
    )
    assert change.id == 1

    notes = list_for_user(rt, "lanh.dao")
    assert notes, "the approver was not notified of the submission"
    yield app, item_a, clients, notes[0].id
    rt.close()


def test_every_route_is_in_the_sweep(world) -> None:  # type: ignore[no-untyped-def]
    app, _item, _clients, _note = world
    swept = {
        url.replace("{A}", "<item_id>").replace("{N}", "1").replace("{P}", "0")
        for _m, url, _who in ROUTES
    }
    normalised = set()
    for rule in app.url_map.iter_rules():
        path = rule.rule
        for old, new in (
            ("<int:number>", "1"),
            ("<int:index>", "0"),
            ("<int:change_id>", "1"),
            ("<int:note_id>", "1"),
            ("<int:page>", "1"),
            ("<username>", "tac.gia"),
            ("<channel>", "website"),
            ("report.<kind>", "report.csv"),
        ):
            path = path.replace(old, new)
        normalised.add(path)
    missing = normalised - swept - PUBLIC
    assert not missing, f"routes missing from the sweep: {sorted(missing)}"


@pytest.mark.parametrize(
    ("method", "url", "allowed"), ROUTES, ids=[f"{m} {u}" for m, u, _ in ROUTES]
)
@pytest.mark.parametrize("who", ROLES)
def test_access(world, who: str, method: str, url: str, allowed: frozenset[str]) -> None:  # type: ignore[no-untyped-def]
    _app, item_a, clients, note_id = world
    b = clients[who]
    target = url.replace("{A}", item_a).replace("{N}", str(note_id)).replace("{P}", PDF_PART)
    # POSTs carry a real token but an empty form: reaching the view is checked, not its effect
    response = b.client.get(target) if method == "GET" else b.post(target, {})
    status = response.status_code
    assert b'id="error-csrf"' not in response.get_data(), "the CSRF token was refused"
    if who == "anon":
        assert status == 302 and "/auth/login" in response.headers["Location"], status
        return
    if who in allowed:
        assert status not in (403, 404), f"{who} was refused {method} {target}: {status}"
        if status == 302:
            assert "/auth/login" not in response.headers["Location"]
    else:
        assert status in (403, 404), f"{who} reached {method} {target}: {status}"


def test_post_without_csrf_token_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    _app, item_a, clients, _note = world
    response = clients["tac.gia"].client.post(
        f"/author/items/{item_a}/withdraw", data={"reason": "x"}
    )
    assert response.status_code == 400
    page = clients["tac.gia"].client.get(f"/author/items/{item_a}").get_data(as_text=True)
    assert "state-withdrawn" not in page
