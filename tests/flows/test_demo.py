"""The demo scenario, inline: every story ends where it should and the exported log verifies."""

from __future__ import annotations

import pytest

from clearance.publishing import publish_all
from clearance.runtime import Runtime
from clearance.services.review import review_revision
from flows.demo import run_demo
from tests.flows.conftest import PASSWORD


def _review(rt: Runtime, item: str) -> None:
    review_revision(rt, item)


def _publish(rt: Runtime, item: str) -> None:
    publish_all(rt, item)


@pytest.mark.slow
def test_demo_runs_end_to_end_and_its_log_verifies(rt: Runtime) -> None:
    result = run_demo(
        rt, password=PASSWORD, after_submit=_review, after_signoff=_publish, say=lambda _: None
    )
    states = result.states
    assert states["investment"] == "published"
    assert states["festival"] == "published"
    assert states["partners"] == "published"
    assert states["security"] == "published"
    assert {states[k] for k in ("secret-plan", "top-secret", "banner")} == {"blocked"}
    assert states["rejected"] == "rejected"
    assert states["changes"] == "published"
    assert states["waiting"] == "awaiting_signoff"
    assert result.report is not None
    assert result.report.ok, [str(f) for f in result.report.findings[:5]]
    assert result.report.signatures >= 15
    assert _stages(rt, result.items["security"]) == [
        "security_review",
        "unit_review",
        "leadership_release",
    ]
    assert _stages(rt, result.items["investment"]) == ["unit_review", "leadership_release"]
    _every_event_and_approver_reads_by_its_label(rt)


def _every_event_and_approver_reads_by_its_label(rt: Runtime) -> None:
    """Every kind of entry the demo writes has a label for the audit pages, and the published
    pages name the approvers' roles and stages by the policy's labels, never by their ids."""
    from sqlalchemy import text

    from webapp.i18n import EVENT_LABELS

    with rt.sessions() as session:
        kinds = set(
            session.execute(text("SELECT DISTINCT event_type FROM audit_entries")).scalars()
        )
    assert {"revision.screened", "revision.approved", "revision.rejected"} <= kinds
    assert kinds - set(EVENT_LABELS) == set()
    policy = rt.policy
    ids = set(policy.signoff_roles) | {
        stage.id for chain in policy.chains.values() for stage in chain.stages
    }
    pages = sorted(rt.settings.published_dir.glob("items/*/index.html"))
    assert pages
    for page in pages:
        html = page.read_text(encoding="utf-8")
        shown = html.split("Người duyệt:", 1)[1].split("</ul>", 1)[0]
        assert not [i for i in ids if f"{i}," in shown or f"{i})" in shown], page
        assert policy.stage_label("leadership_release") in shown, page


def _stages(rt: Runtime, item: str) -> list[str]:
    from clearance.auditlog.entry import parse_leaf
    from clearance.auditlog.store import leaf_at, seqs_for_item

    with rt.sessions() as session:
        entries = [parse_leaf(leaf_at(session, s)) for s in seqs_for_item(session, item)]
    return [str(e.body["stage"]) for e in entries if e.type == "signoff.decided"]
