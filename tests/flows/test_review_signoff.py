"""Review and sign-off through the core services, on a real audit log."""

from __future__ import annotations

import pytest

from clearance.domain.lifecycle import State
from clearance.errors import BadInput, Conflict, IllegalTransition, PolicyRefusal, VerificationError
from clearance.notifications import list_for_user
from clearance.policy import SignoffStatus
from clearance.runtime import Runtime
from clearance.services.review import review_revision
from clearance.services.signoff import decide
from tests.flows.conftest import PASSWORD, SECRET_BODY, log_types, outside_env, submit_text


def test_clean_item_awaits_signoff_and_notifies_the_unit_head(rt: Runtime) -> None:
    item = submit_text(rt)
    outcome = review_revision(rt, item)
    assert outcome.state is State.AWAITING_SIGNOFF
    assert outcome.verdict == "clear"
    assert outcome.level == "cong_khai"
    assert outcome.stages == ("unit_review", "leadership_release")
    assert outcome.notified == ("hung.le",)
    notes = list_for_user(rt, "hung.le")
    assert [(n.item_id, n.stage) for n in notes] == [(item, "unit_review")]
    assert item in notes[0].link


def test_review_is_idempotent(rt: Runtime) -> None:
    item = submit_text(rt)
    first = review_revision(rt, item)
    again = review_revision(rt, item)
    assert again.state is first.state
    assert again.release_manifest_hash == first.release_manifest_hash
    assert again.notified == ()


def test_secret_marking_blocks_and_tells_the_author(rt: Runtime) -> None:
    item = submit_text(rt, SECRET_BODY, title="Kế hoạch bảo vệ")
    outcome = review_revision(rt, item)
    assert outcome.state is State.BLOCKED
    assert outcome.reasons
    # a block for a state-secret level has its own kind (the security officer gets it too)
    assert [n.kind.value for n in list_for_user(rt, "lan.nguyen")] == ["secret_blocked"]


def test_full_chain_approves_and_asks_for_publication(rt: Runtime) -> None:
    item = submit_text(rt)
    review_revision(rt, item)
    first = decide(rt, item_id=item, approver="hung.le", password=PASSWORD, decision="approve")
    assert first.status is SignoffStatus.WAITING and not first.publish
    assert first.stage == "unit_review" and first.role == "unit_head"
    for leader in ("thao.pham", "quan.vo"):
        assert [n.stage for n in list_for_user(rt, leader)] == ["leadership_release"]
    second = decide(
        rt,
        item_id=item,
        approver="quan.vo",
        password=PASSWORD,
        decision="approve-with-recommendations",
        comment="Bổ sung ảnh đoàn khách.",
    )
    assert second.status is SignoffStatus.APPROVED
    assert second.state is State.APPROVED
    assert second.publish


@pytest.mark.parametrize(
    ("approver", "error"),
    [
        ("thao.pham", PolicyRefusal),  # stage leadership_release is not open yet
        ("ha.dang", PolicyRefusal),  # security review does not apply to a clear item
        ("lan.nguyen", PolicyRefusal),  # the author is not an approver
    ],
)
def test_wrong_people_are_refused(rt: Runtime, approver: str, error: type[Exception]) -> None:
    item = submit_text(rt)
    review_revision(rt, item)
    with pytest.raises(error):
        decide(rt, item_id=item, approver=approver, password=PASSWORD, decision="approve")


def test_a_refused_approver_is_told_which_stage_is_open_and_what_it_needs(rt: Runtime) -> None:
    item = submit_text(rt)
    review_revision(rt, item)
    with pytest.raises(PolicyRefusal, match=r"you cannot sign stage unit_review of this item now"):
        decide(rt, item_id=item, approver="thao.pham", password=PASSWORD, decision="approve")


def test_the_author_cannot_sign_their_own_item_even_holding_the_open_role(rt: Runtime) -> None:
    from clearance.services.users import set_roles

    set_roles(rt, actor="test", username="hung.le", roles="author approver",
              signoff_roles="unit_head")  # fmt: skip
    item = submit_text(rt, author="hung.le")
    review_revision(rt, item)
    before = log_types(rt, item)
    with pytest.raises(PolicyRefusal, match=r"hung\.le wrote, uploaded or edited item"):
        decide(rt, item_id=item, approver="hung.le", password=PASSWORD, decision="approve")
    assert log_types(rt, item) == before  # nothing signed, stored or logged


def test_wrong_password_records_nothing(rt: Runtime) -> None:
    item = submit_text(rt)
    review_revision(rt, item)
    with pytest.raises(VerificationError):
        decide(rt, item_id=item, approver="hung.le", password="wrong password!", decision="approve")
    ok = decide(rt, item_id=item, approver="hung.le", password=PASSWORD, decision="approve")
    assert ok.status is SignoffStatus.WAITING


def test_one_person_decides_once(rt: Runtime) -> None:
    item = submit_text(rt)
    review_revision(rt, item)
    decide(rt, item_id=item, approver="hung.le", password=PASSWORD, decision="approve")
    with pytest.raises((Conflict, PolicyRefusal)):
        decide(rt, item_id=item, approver="hung.le", password=PASSWORD, decision="approve")


def test_reject_needs_a_reason_and_ends_the_item(rt: Runtime) -> None:
    item = submit_text(rt)
    review_revision(rt, item)
    with pytest.raises(BadInput):
        decide(rt, item_id=item, approver="hung.le", password=PASSWORD, decision="reject")
    out = decide(
        rt,
        item_id=item,
        approver="hung.le",
        password=PASSWORD,
        decision="reject",
        comment="Không phù hợp.",
    )
    assert out.state is State.REJECTED and not out.publish
    with pytest.raises(IllegalTransition):
        decide(rt, item_id=item, approver="quan.vo", password=PASSWORD, decision="approve")


def test_request_changes_then_resubmit_reopens_review(rt: Runtime) -> None:
    from clearance.services.items import Submission, new_revision

    item = submit_text(rt)
    review_revision(rt, item)
    out = decide(
        rt,
        item_id=item,
        approver="hung.le",
        password=PASSWORD,
        decision="request-changes",
        comment="Ghi rõ thời gian.",
    )
    assert out.state is State.CHANGES_REQUESTED
    new_revision(
        rt,
        author="lan.nguyen",
        item_id=item,
        submission=Submission(
            title="UBND tỉnh tiếp đoàn doanh nghiệp Nhật Bản ngày 20/11",
            channels=["website"],
            declared_level="cong_khai",
            body_text="Sáng 20/11/2026, UBND tỉnh tiếp đoàn doanh nghiệp Nhật Bản.",
        ),
        note="Đã ghi rõ thời gian.",
    )
    again = review_revision(rt, item)
    assert again.revision == 2 and again.state is State.AWAITING_SIGNOFF
    ok = decide(rt, item_id=item, approver="hung.le", password=PASSWORD, decision="approve")
    assert ok.revision == 2 and ok.status is SignoffStatus.WAITING


def test_approval_with_recommendations_is_signed_as_such_and_still_publishes(rt: Runtime) -> None:
    from clearance.approval import DecisionKind as Signed
    from clearance.auditlog.note import split
    from clearance.auditlog.statement import parse_statement
    from clearance.publishing import check_release

    item = submit_text(rt)
    review_revision(rt, item)
    decide(rt, item_id=item, approver="hung.le", password=PASSWORD, decision="approve")
    out = decide(
        rt,
        item_id=item,
        approver="quan.vo",
        password=PASSWORD,
        decision="approve-with-recommendations",
        comment="Thêm ảnh.",
    )
    assert out.publish
    signed = parse_statement(split(out.statement)[0])
    assert signed.decision is Signed.APPROVE_WITH_RECOMMENDATIONS
    assert check_release(rt, item).item_id == item  # the release point accepts it


@pytest.mark.parametrize(
    "title",
    ["TỐI MẬT: Kế hoạch bảo vệ biên giới", "TUYỆT MẬT"],
)
def test_a_marking_in_the_title_alone_blocks(rt: Runtime, title: str) -> None:
    # the title is published as the headline: a marking there blocks like one in the body
    item = submit_text(rt, title=title)
    outcome = review_revision(rt, item)
    assert outcome.state is State.BLOCKED
    assert any(reason.startswith("title:") for reason in outcome.reasons)


def test_a_level_word_in_the_title_raises_the_level(rt: Runtime) -> None:
    # "MẬT" inside the headline is not a stamp, but it is a finding: the item is no longer
    # public, so a public channel refuses it
    item = submit_text(rt, title="Tài liệu MẬT về phương án di dời")
    outcome = review_revision(rt, item)
    assert outcome.state is State.BLOCKED
    assert outcome.level != "cong_khai"


@pytest.mark.parametrize("title", ["Mật ong Hưng Yên vào mùa", "Bảo vệ bí mật nhà nước"])
def test_a_near_miss_in_the_title_does_not_block(rt: Runtime, title: str) -> None:
    item = submit_text(rt, title=title)
    assert review_revision(rt, item).state is State.AWAITING_SIGNOFF


def test_the_chain_opening_time_is_read_as_utc(rt: Runtime) -> None:
    """The first sign-off request's time comes back from an aggregate (no column type): it is
    read as UTC, comparable with the aware times of the rest of the core; None before any."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select

    from clearance.services.signoff import chain_opened_at
    from clearance.storage.models import Revision

    item = submit_text(rt)
    with rt.sessions() as session:
        revision = session.scalar(select(Revision).where(Revision.item_id == item))
        assert revision is not None
        assert chain_opened_at(session, revision) is None  # no request before the review
    review_revision(rt, item)
    with rt.sessions() as session:
        revision = session.scalar(select(Revision).where(Revision.item_id == item))
        assert revision is not None
        opened = chain_opened_at(session, revision)
    assert opened is not None and opened.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - opened) < timedelta(minutes=10)


def _request_statuses(rt: Runtime, item_id: str) -> dict[str, str]:
    """The sign-off requests of the item's current revision: stage -> status."""
    from sqlalchemy import select

    from clearance.storage.models import Item, Revision, SignoffRequest

    with rt.sessions() as session:
        rows = session.execute(
            select(SignoffRequest.stage_name, SignoffRequest.status)
            .join(Revision, Revision.id == SignoffRequest.revision_id)
            .join(Item, (Item.id == Revision.item_id) & (Item.current_revision == Revision.number))
            .where(Item.id == item_id)
        ).all()
    return {str(stage): str(status) for stage, status in rows}


def test_an_approval_marks_every_stage_complete(rt: Runtime) -> None:
    item = submit_text(rt)
    review_revision(rt, item)
    decide(rt, item_id=item, approver="hung.le", password=PASSWORD, decision="approve")
    assert _request_statuses(rt, item) == {"unit_review": "complete", "leadership_release": "open"}
    decide(rt, item_id=item, approver="quan.vo", password=PASSWORD, decision="approve")
    assert _request_statuses(rt, item) == {
        "unit_review": "complete",
        "leadership_release": "complete",
    }


@pytest.mark.parametrize(
    ("decision", "kind"), [("reject", "rejected"), ("request-changes", "changes_requested")]
)
def test_an_ending_decision_closes_the_open_stage_keeps_the_decided_one_and_tells_the_author(
    rt: Runtime, decision: str, kind: str
) -> None:
    item = submit_text(rt)
    review_revision(rt, item)
    decide(rt, item_id=item, approver="hung.le", password=PASSWORD, decision="approve")
    decide(rt, item_id=item, approver="quan.vo", password=PASSWORD, decision=decision,
           comment="Chưa phù hợp.")  # fmt: skip
    # the stage decided before stays complete, the one that ended the chain is closed
    assert _request_statuses(rt, item) == {
        "unit_review": "complete",
        "leadership_release": "closed",
    }
    notes = list_for_user(rt, "lan.nguyen")
    assert [(n.kind.value, n.stage) for n in notes] == [(kind, "leadership_release")]


CRASH_DRIVER = """
import sys
from clearance.runtime import Runtime
from clearance.services.signoff import decide
from clearance.settings import load_settings

rt = Runtime.open(load_settings())
item, password = sys.argv[1], sys.argv[2]
first = decide(rt, item_id=item, approver="hung.le", password=password, decision="approve")
print("first", first.publish, flush=True)
decide(rt, item_id=item, approver="quan.vo", password=password, decision="approve")
print("second", flush=True)
"""


def test_the_crash_point_after_commit_is_met_only_by_the_publishing_decision(
    rt: Runtime,
) -> None:
    """``signoff.committed`` (``clearance.crashpoint``) is where a power cut leaves an approved
    item that no publication has claimed yet: the last decision is committed, nothing else. A
    child process with the point set survives the first decision and dies at the last one,
    after its commit (the item is approved)."""
    import signal
    import subprocess
    import sys

    from clearance.services.items import load_item
    from tests.conftest import REPO

    item = submit_text(rt)
    review_revision(rt, item)
    env = outside_env()
    env |= {
        "CLEARANCE_HOME": str(rt.settings.home),
        "CLEARANCE_DATABASE_URL": rt.settings.database_url,
        "CLEARANCE_ENV": "test",
        "CLEARANCE_LOG_ORIGIN": rt.settings.log_origin,
        "CLEARANCE_SOCIAL_WEBHOOK_KEY": "test-webhook-key-0123456789abcdef",
        "CLEARANCE_CRASH_POINT": "signoff.committed",
    }
    done = subprocess.run(
        [sys.executable, "-c", CRASH_DRIVER, item, PASSWORD],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False,
        start_new_session=True,  # the crash point kills its own process group
    )  # fmt: skip
    assert done.returncode == -signal.SIGKILL, (done.returncode, done.stdout, done.stderr)
    assert done.stdout.split() == ["first", "False"]  # died in the second decision
    with rt.sessions() as session:
        assert load_item(session, item).state == State.APPROVED.value  # after its commit
