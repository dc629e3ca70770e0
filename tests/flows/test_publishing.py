"""Publication: byte for byte, exactly once, and refused at the release point when anything
about the approval or the bytes does not hold."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, update

from clearance.auditlog.receipt import verify_receipt
from clearance.auditlog.store import latest_checkpoint
from clearance.domain.lifecycle import State
from clearance.errors import PolicyRefusal, VerificationError
from clearance.publishing import PublicationStatus, publication_status, publish, publish_all, recall
from clearance.publishing.release import ReleasePart
from clearance.runtime import Runtime
from clearance.services.items import load_item
from clearance.services.review import review_revision
from clearance.signing.approver import sign_decision, signoff_event
from clearance.storage.models import Decision, Item, Revision, User
from tests.flows.conftest import (
    CLEAN_BODY,
    PASSWORD,
    SECRET_BODY,
    approve_fully,
    log_types,
    submit_text,
)


def _approved(rt: Runtime, **kwargs: object) -> str:
    item = submit_text(rt, **kwargs)  # type: ignore[arg-type]
    review_revision(rt, item)
    approve_fully(rt, item)
    return item


def _release_bytes(rt: Runtime, item: str) -> dict[str, bytes]:
    from clearance.domain.manifest import Manifest

    with rt.sessions() as session:
        rev = session.scalar(select(Revision).where(Revision.item_id == item))
        assert rev is not None and rev.release_manifest_json is not None
        manifest = Manifest.from_json_text(rev.release_manifest_json)
    return {p.name: rt.blobs.read(p.sha256) for p in manifest.parts}


def test_approved_item_is_published_byte_for_byte_with_a_verifiable_receipt(rt: Runtime) -> None:
    item = _approved(rt)
    [outcome] = publish_all(rt, item)
    assert outcome.status is PublicationStatus.PUBLISHED and outcome.matches is True
    folder = rt.settings.published_dir / "items" / item
    for name, data in _release_bytes(rt, item).items():
        assert (folder / "files" / name).read_bytes() == data
    vkey = (rt.settings.published_dir / "log.vkey").read_text()
    check = verify_receipt((folder / "receipt.json").read_text(), vkey.strip())
    assert {e.type for e in check.entries} >= {"item.submitted", "signoff.decided"}
    page = (folder / "index.html").read_text("utf-8")
    assert '<html lang="vi">' in page and "tiếp đoàn doanh nghiệp Nhật Bản" in page
    assert "tiếp đoàn" in (rt.settings.published_dir / "feed.atom").read_text("utf-8")
    with rt.sessions() as session:
        assert load_item(session, item).state == State.PUBLISHED.value


def test_the_page_and_the_feed_carry_the_body_and_not_an_attachment(rt: Runtime) -> None:
    """The release's text is its body part's, even when other parts come first or after."""
    from clearance.publishing import check_release

    item = _approved(rt)
    release = check_release(rt, item)
    assert release.body_text == CLEAN_BODY
    with_attachment = replace(
        release,
        parts=(
            ReleasePart("a.txt", "attachment", "text/plain", "0" * 64, b"not the body"),
            *release.parts,
        ),
    )
    assert with_attachment.body_text == CLEAN_BODY
    assert replace(release, parts=with_attachment.parts[:1]).body_text is None
    publish_all(rt, item)
    page = (rt.settings.published_dir / "items" / item / "index.html").read_text("utf-8")
    assert "cơ hội đầu tư vào khu công nghiệp phía Bắc tỉnh" in page
    feed = (rt.settings.published_dir / "feed.atom").read_text("utf-8")
    assert "Ngày 20/11/2026, Ủy ban nhân dân tỉnh" in feed


def test_the_release_names_the_approvals_that_counted(rt: Runtime) -> None:
    """The release (its approvals.json, its page) carries exactly the sign-offs the policy
    counted: the unit head, then the spokesperson, each with a signed statement."""
    from clearance.publishing import check_release

    item = _approved(rt)
    approvals = check_release(rt, item).approvals
    assert [(a.approver, a.decision) for a in approvals] == [
        ("hung.le", "approve"),
        ("quan.vo", "approve"),
    ]
    assert all(a.statement for a in approvals)
    publish_all(rt, item)
    page = (rt.settings.published_dir / "items" / item / "index.html").read_text("utf-8")
    for approval in approvals:
        assert approval.display_name in page


def test_publishing_again_changes_nothing(rt: Runtime) -> None:
    item = _approved(rt)
    publish_all(rt, item)
    [again] = publish_all(rt, item)
    assert again.already
    assert log_types(rt, item).count("publication.published") == 1
    _, views = publication_status(rt, item)
    assert [(v.channel, v.status, v.attempts) for v in views] == [
        ("website", PublicationStatus.PUBLISHED, 1)
    ]


def test_blocked_item_never_reaches_a_channel(rt: Runtime) -> None:
    item = submit_text(rt, SECRET_BODY, title="Kế hoạch")
    review_revision(rt, item)
    with pytest.raises(PolicyRefusal):
        publish(rt, item, "website")
    assert not (rt.settings.published_dir / "items" / item).exists()
    assert "publication.published" not in log_types(rt, item)


def test_unapproved_item_is_refused(rt: Runtime) -> None:
    item = submit_text(rt)
    review_revision(rt, item)
    with pytest.raises(PolicyRefusal):
        publish(rt, item, "website")


def _force(rt: Runtime, item: str, username: str, role: str, stage: str, index: int) -> None:
    """Record a validly signed approval that bypassed ``decide`` and mark the item approved:
    what a bug or a tampered database would look like to the release point."""
    now = datetime.now(UTC)
    with rt.uow() as uow:
        s = uow.session
        it = s.get(Item, item)
        assert it is not None
        rev = s.scalar(select(Revision).where(Revision.item_id == item))
        user = s.scalar(select(User).where(User.username == username))
        assert rev is not None and user is not None and rev.release_manifest_hash is not None
        signed = sign_decision(
            s,
            username=username,
            password=PASSWORD,
            origin=rt.settings.log_origin,
            item_id=item,
            revision=rev.number,
            manifest_hash=rev.release_manifest_hash,
            decision="approve",
            role=role,
            stage=stage,
            checkpoint=latest_checkpoint(s) or "",
            now=now,
        )
        s.add(
            Decision(
                revision_id=rev.id,
                approver_id=user.id,
                stage=index,
                role=role,
                decision="approve",
                manifest_hash=rev.release_manifest_hash,
                policy_hash=rev.policy_hash,
                statement=signed.note,
                created_at=now,
            )
        )
        uow.record(signoff_event(signed, policy_hash=rev.policy_hash))
        it.state = State.APPROVED.value
        uow.commit(now=now)


def test_approval_by_the_wrong_role_is_refused_at_the_release_point(rt: Runtime) -> None:
    item = submit_text(rt)
    review_revision(rt, item)
    _force(rt, item, "hung.le", "unit_head", "unit_review", 1)
    _force(rt, item, "ha.dang", "security_officer", "leadership_release", 2)
    with pytest.raises(VerificationError, match="do not satisfy"):
        publish(rt, item, "website")
    assert not (rt.settings.published_dir / "items" / item).exists()


def test_approval_claiming_a_role_not_held_is_refused(rt: Runtime) -> None:
    item = submit_text(rt)
    review_revision(rt, item)
    _force(rt, item, "hung.le", "unit_head", "unit_review", 1)
    _force(rt, item, "ha.dang", "spokesperson", "leadership_release", 2)
    with pytest.raises(VerificationError):
        publish(rt, item, "website")


def test_approval_by_the_author_is_refused(rt: Runtime) -> None:
    from clearance.services.users import set_roles

    set_roles(rt, actor="test", username="hung.le", roles="author approver",
              signoff_roles="unit_head")  # fmt: skip
    item = submit_text(rt, author="hung.le")
    review_revision(rt, item)
    _force(rt, item, "hung.le", "unit_head", "unit_review", 1)
    _force(rt, item, "quan.vo", "spokesperson", "leadership_release", 2)
    with pytest.raises(VerificationError):
        publish(rt, item, "website")


def test_stale_approval_copied_onto_a_new_revision_is_refused(rt: Runtime) -> None:
    from clearance.services.items import Submission, new_revision
    from clearance.services.signoff import decide

    item = submit_text(rt)
    review_revision(rt, item)
    decide(rt, item_id=item, approver="hung.le", password=PASSWORD, decision="approve")
    decide(rt, item_id=item, approver="quan.vo", password=PASSWORD,
           decision="request-changes", comment="Sửa tiêu đề.")  # fmt: skip
    new_revision(rt, author="lan.nguyen", item_id=item, submission=Submission(
        title="Tiêu đề mới", channels=["website"], declared_level="cong_khai",
        body_text="Nội dung đã sửa."))  # fmt: skip
    review_revision(rt, item)
    with rt.uow() as uow:
        revs = list(uow.session.scalars(select(Revision).where(Revision.item_id == item)))
        old, new = sorted(revs, key=lambda r: r.number)
        uow.session.execute(
            update(Decision).where(Decision.revision_id == old.id).values(revision_id=new.id)
        )
        uow.session.execute(update(Item).where(Item.id == item).values(state="approved"))
        uow.commit()
    with pytest.raises(VerificationError):
        publish(rt, item, "website")


def test_bytes_changed_in_the_blob_store_are_refused(rt: Runtime) -> None:
    item = _approved(rt)
    with rt.sessions() as session:
        rev = session.scalar(select(Revision).where(Revision.item_id == item))
        assert rev is not None
        sha = rev.parts[0].sanitized_sha256
    assert sha is not None
    path: Path = rt.blobs.path(sha)
    path.chmod(0o644)
    path.write_bytes(path.read_bytes().replace("Nhật".encode(), "Hàn".encode()))
    with pytest.raises(VerificationError, match="changed"):
        publish(rt, item, "website")
    assert not (rt.settings.published_dir / "items" / item).exists()


def test_directory_drop_and_recall(rt: Runtime) -> None:
    item = _approved(rt, channels=("press", "website"))
    outcomes = publish_all(rt, item)
    assert {o.channel for o in outcomes} == {"press", "website"}
    press = Path(next(o.location for o in outcomes if o.channel == "press") or "")
    for name, data in _release_bytes(rt, item).items():
        assert (press / "files" / name).read_bytes() == data
    assert log_types(rt, item).count("publication.published") == 2
    recall(rt, item, actor="thao.pham", reason="Thông tin cần cập nhật.")
    assert not press.exists()
    assert not (rt.settings.published_dir / "items" / item).exists()
    types = log_types(rt, item)
    assert types.count("publication.recalled") == 2 and types[-1] == "item.recalled"
    with rt.sessions() as session:
        assert load_item(session, item).state == State.WITHDRAWN.value
