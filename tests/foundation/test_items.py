"""Item use cases on SQLite and PostgreSQL: submit, bad input, new revision, withdraw."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
from sqlalchemy import func, select

from clearance.domain.lifecycle import Action, State
from clearance.errors import BadInput, IllegalTransition, NotFound, PolicyRefusal
from clearance.runtime import Runtime
from clearance.services import items, users
from clearance.services.items import Submission
from clearance.services.queries import item_detail, list_items
from clearance.services.uploads import Upload
from clearance.storage.models import Item, Part, Revision, StateChange
from tests.foundation.conftest import ListSink

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.fixture
def people(rt: Runtime) -> None:
    users.add_user(rt, actor=None, username="minh", roles="author", unit="so-tttt")
    users.add_user(rt, actor=None, username="lan", roles="approver", signoff_roles=["unit_head"])


def _sub(**overrides: object) -> Submission:
    base: dict[str, object] = {
        "title": "Thông cáo báo chí về Lễ hội hoa",
        "channels": ["website"],
        "declared_level": "cong_khai",
        "body_text": "Tỉnh tổ chức lễ hội hoa vào tháng 12.",
    }
    base.update(overrides)
    return Submission(**base)  # type: ignore[arg-type]


def _counts(rt: Runtime) -> tuple[int, int, int, int]:
    with rt.sessions() as s:
        return tuple(  # type: ignore[return-value]
            int(s.scalar(select(func.count()).select_from(m)) or 0)
            for m in (Item, Revision, Part, StateChange)
        )


@pytest.mark.usefixtures("people")
def test_submit_stores_parts_manifest_history_and_event(rt: Runtime, sink: ListSink) -> None:
    item_id = items.submit(
        rt, author="minh", submission=_sub(attachments=[Upload("ảnh lễ hội.png", io.BytesIO(PNG))])
    )
    detail = item_detail(rt, item_id)
    assert detail.summary.state == State.SUBMITTED
    rev = detail.revisions[0]
    body, image = rev.parts
    assert body.role == "body" and body.mime.startswith("text/plain")
    assert image.name == "ảnh lễ hội.png" and image.mime == "image/png"
    assert image.sha256 == hashlib.sha256(PNG).hexdigest()
    assert rt.blobs.read(image.sha256) == PNG
    with rt.sessions() as s:
        stored = s.scalar(select(Revision).where(Revision.item_id == item_id))
        assert stored is not None
        manifest = json.loads(stored.manifest_json)
        assert hashlib.sha256(stored.manifest_json.encode()).hexdigest() == stored.manifest_hash
    assert [p["name"] for p in manifest["parts"]] == ["body.txt", "ảnh lễ hội.png"]
    assert [(h.from_state, h.to_state) for h in detail.history] == [
        (None, "draft"),
        ("draft", "submitted"),
    ]
    event = sink.events[-1]
    assert (event.event_type, event.item_id, event.manifest_hash) == (
        "item.submitted",
        item_id,
        rev.manifest_hash,
    )
    assert event.policy_hash == rt.policy.content_hash
    assert [i.id for i in list_items(rt, author="minh")] == [item_id]


BAD = [
    ({"title": "   "}, BadInput, "the title is empty"),
    ({"title": "x" * 501}, BadInput, "keep it under 500"),
    ({"channels": []}, BadInput, "no channel was chosen"),
    ({"channels": ["tiktok"]}, BadInput, "unknown channel 'tiktok'; use one of"),
    ({"declared_level": "public!"}, BadInput, "unknown level 'public!'; use one of"),
    ({"body_text": "  "}, BadInput, "neither body text nor attachments"),
    ({"attachments": [("big.bin", b"\0" * (3 * 1024 * 1024))]}, BadInput, "larger than the limit"),
    ({"attachments": [("empty.txt", b"")]}, BadInput, "is empty"),
    (
        {"attachments": [("a.png", PNG), ("a.png", PNG)]},
        BadInput,
        "two attachments are named 'a.png'",
    ),
]


@pytest.mark.usefixtures("people")
@pytest.mark.parametrize(("overrides", "error", "message"), BAD, ids=[m for _, _, m in BAD])
def test_bad_submission_writes_nothing(
    rt: Runtime, sink: ListSink, overrides: dict[str, object], error: type[Exception], message: str
) -> None:
    before = _counts(rt)
    if "attachments" in overrides:  # fresh streams for every parametrization
        files = overrides["attachments"]
        overrides = {"attachments": [Upload(n, io.BytesIO(d)) for n, d in files]}  # type: ignore[attr-defined]
    with pytest.raises(error, match=message):
        items.submit(rt, author="minh", submission=_sub(**overrides))
    assert _counts(rt) == before
    assert [e for e in sink.events if e.event_type == "item.submitted"] == []


@pytest.mark.usefixtures("people")
def test_unknown_user_and_wrong_role(rt: Runtime) -> None:
    with pytest.raises(NotFound, match="there is no user 'ghost'"):
        items.submit(rt, author="ghost", submission=_sub())
    with pytest.raises(PolicyRefusal, match="does not have the author role"):
        items.submit(rt, author="lan", submission=_sub())
    assert _counts(rt) == (0, 0, 0, 0)


@pytest.mark.usefixtures("people")
def test_new_revision_only_after_changes_requested(rt: Runtime, sink: ListSink) -> None:
    item_id = items.submit(rt, author="minh", submission=_sub())
    with pytest.raises(IllegalTransition, match="cannot resubmit an item in state submitted"):
        items.new_revision(rt, author="minh", item_id=item_id, submission=_sub())
    with rt.uow() as uow:  # drive the item to changes_requested as the later stages will
        item = items.load_item(uow.session, item_id)
        for action in (Action.CLASSIFY, Action.AWAIT_SIGNOFF, Action.REQUEST_CHANGES):
            items.transition(uow, item, action, actor=None)
        uow.commit()
    with pytest.raises(PolicyRefusal, match="only the author"):
        users.add_user(rt, actor=None, username="other", roles="author")
        items.new_revision(rt, author="other", item_id=item_id, submission=_sub())
    number = items.new_revision(
        rt,
        author="minh",
        item_id=item_id,
        submission=_sub(body_text="Đã sửa theo góp ý."),
        note="sửa theo yêu cầu",
    )
    detail = item_detail(rt, item_id)
    assert number == 2 and detail.summary.state == State.SUBMITTED
    assert detail.revisions[0].manifest_hash != detail.revisions[1].manifest_hash
    assert sink.events[-1].revision == 2


@pytest.mark.usefixtures("people")
def test_identical_resubmission_has_identical_manifest(rt: Runtime) -> None:
    item_id = items.submit(rt, author="minh", submission=_sub())
    with rt.uow() as uow:
        item = items.load_item(uow.session, item_id)
        for action in (Action.CLASSIFY, Action.AWAIT_SIGNOFF, Action.REQUEST_CHANGES):
            items.transition(uow, item, action, actor=None)
        uow.commit()
    items.new_revision(rt, author="minh", item_id=item_id, submission=_sub())
    first, second = item_detail(rt, item_id).revisions
    assert first.manifest_hash == second.manifest_hash


@pytest.mark.usefixtures("people")
def test_withdraw(rt: Runtime, sink: ListSink) -> None:
    item_id = items.submit(rt, author="minh", submission=_sub())
    with pytest.raises(BadInput, match="reason is required"):
        items.withdraw(rt, actor="minh", item_id=item_id, reason=" ")
    with pytest.raises(PolicyRefusal, match="only the author or an administrator"):
        items.withdraw(rt, actor="lan", item_id=item_id, reason="no")
    items.withdraw(rt, actor="minh", item_id=item_id, reason="trùng lặp")
    assert item_detail(rt, item_id).summary.state == State.WITHDRAWN
    assert sink.events[-1].event_type == "item.withdrawn"
    with pytest.raises(IllegalTransition, match="cannot withdraw an item in state withdrawn"):
        items.withdraw(rt, actor="minh", item_id=item_id, reason="again")


@pytest.mark.usefixtures("people")
def test_load_item_for_update_locks_the_item(rt: Runtime) -> None:
    item_id = items.submit(rt, author="minh", submission=_sub())
    with rt.uow() as uow:  # PostgreSQL refuses FOR UPDATE on an outer join's nullable side
        item = items.load_item(uow.session, item_id, for_update=True)
        assert item.author.username == "minh"
