"""Approvers see only the items routed to their own scope, as the policy says: a ``same_unit``
stage admits the heads of the drafting unit only (other units' heads see neither the item nor
it in their queue), and approvers never download the uploaded originals."""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask

from clearance.readmodels import queue as queue_module
from clearance.runtime import Runtime
from clearance.services.uploads import Upload
from tests.webapp.helpers import add_units, browser, submit_reviewed

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture
def units(rt: Runtime) -> Runtime:
    return add_units(rt)


def _item(rt: Runtime, author: str, title: str = "Tin của sở", attach: bool = False) -> str:
    files = [Upload("anh.png", io.BytesIO(PNG))] if attach else []
    return submit_reviewed(rt, author, title, files)


def test_a_head_of_another_unit_sees_neither_the_item_nor_it_in_the_queue(
    app: Flask, units: Runtime
) -> None:
    item = _item(units, "tg.so.a")
    other = browser(app, "ld.so.b")
    assert item not in other.get("/approvals/").get_data(as_text=True)
    assert other.get(f"/approvals/items/{item}").status_code == 404
    assert other.client.get(f"/items/{item}/r/1/parts/0").status_code == 404
    own = browser(app, "ld.so.a")
    assert item in own.get("/approvals/").get_data(as_text=True)
    assert own.get(f"/approvals/items/{item}").status_code == 200


def test_a_stage_without_a_unit_rule_is_everyone_with_the_role(app: Flask, units: Runtime) -> None:
    item = _item(units, "tg.so.a")
    assert browser(app, "phat.ngon").get(f"/approvals/items/{item}").status_code == 200


def test_approvers_never_download_the_originals(app: Flask, units: Runtime) -> None:
    item = _item(units, "tg.so.a", attach=True)
    original = f"/items/{item}/r/1/parts/1?variant=original"
    release = f"/items/{item}/r/1/parts/1"
    approver = browser(app, "ld.so.a")
    assert approver.client.get(release).status_code == 200
    assert approver.client.get(original).status_code == 404
    assert browser(app, "tg.so.a").client.get(original).status_code == 200
    assert browser(app, "kiem.toan").client.get(original).status_code == 200


def test_the_queue_pages_through_other_units_items_without_skipping_any(
    app: Flask, units: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages of two rows: the rows the scope drops never hide the next one of mine."""
    monkeypatch.setattr(queue_module, "PAGE", 2)
    mine = []
    for n, author in enumerate(["tg.so.b", "tg.so.a", "tg.so.b", "tg.so.b", "tg.so.a",
                                "tg.so.b", "tg.so.a", "tg.so.b", "tg.so.a"]):  # fmt: skip
        item = _item(units, author, title=f"Tin {n}")
        if author == "tg.so.a":
            mine.append(item)
    b = browser(app, "ld.so.a")
    seen: list[str] = []
    url: str | None = "/approvals/"
    while url is not None:
        html = b.get(url).get_data(as_text=True)
        seen += [i for i in mine if f"/approvals/items/{i}" in html]
        found = re.search(r'<a href="([^"]+)">[^<]*→</a>', html)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert sorted(seen) == sorted(mine) and len(seen) == len(set(seen))
