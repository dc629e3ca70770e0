"""The pipeline's CLI commands and the deadline reminders, through their public entry points."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from clearance.notifications import NotificationKind, list_for_user
from clearance.runtime import Runtime
from clearance.services.deadlines import check_deadlines
from clearance.services.review import review_revision
from cli import main
from tests.flows.conftest import PASSWORD, log_types, submit_text


@pytest.fixture
def cli_env(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    s = rt.settings
    monkeypatch.setenv("CLEARANCE_HOME", str(s.home))
    monkeypatch.setenv("CLEARANCE_DATABASE_URL", s.database_url)
    monkeypatch.setenv("CLEARANCE_ENV", "test")
    monkeypatch.setenv("CLEARANCE_LOG_ORIGIN", s.log_origin)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    return CliRunner()


def _decide(runner: CliRunner, item: str, user: str, *extra: str) -> str:
    read, write = os.pipe()
    os.write(write, f"{PASSWORD}\n".encode())
    os.close(write)
    try:
        result = runner.invoke(
            main, ["decide", item, "--as", user, "--password-fd", str(read), *extra]
        )
    finally:
        os.close(read)
    assert result.exit_code == 0, result.output
    return result.output


def test_decide_from_the_cli_publishes_after_the_last_signoff(
    rt: Runtime, cli_env: CliRunner
) -> None:
    item = submit_text(rt)
    out = cli_env.invoke(main, ["review", item])
    assert out.exit_code == 0 and "awaiting_signoff" in out.output
    first = _decide(cli_env, item, "hung.le", "--decision", "approve")
    assert "waiting:" in first
    last = _decide(cli_env, item, "quan.vo", "--decision", "approve-with-recommendations",
                   "--comment", "Thêm ảnh.")  # fmt: skip
    assert "publication: done (inline)" in last
    status = cli_env.invoke(main, ["publish-status", item, "--json"])
    data = json.loads(status.output)
    assert data["state"] == "published"
    assert [(p["channel"], p["status"], p["matches"]) for p in data["publications"]] == [
        ("website", "published", True)
    ]


def test_decide_refusal_exits_1_with_one_sentence(rt: Runtime, cli_env: CliRunner) -> None:
    item = submit_text(rt)
    review_revision(rt, item)
    read, write = os.pipe()
    os.write(write, f"{PASSWORD}\n".encode())
    os.close(write)
    result = cli_env.invoke(
        main, ["decide", item, "--as", "thao.pham", "--decision", "approve",
               "--password-fd", str(read)],
    )  # fmt: skip
    os.close(read)
    assert result.exit_code == 1
    assert "cannot sign stage unit_review" in result.output


def test_reminder_then_escalation_once_each(rt: Runtime) -> None:
    item = submit_text(rt)
    review_revision(rt, item)
    now = datetime.now(UTC)
    assert check_deadlines(rt, now=now) == []
    soon = check_deadlines(rt, now=now + timedelta(hours=19))
    assert [(a.item_id, a.stage, a.kind) for a in soon] == [
        (item, "unit_review", NotificationKind.REMINDER)
    ]
    assert check_deadlines(rt, now=now + timedelta(hours=20)) == []
    late = check_deadlines(rt, now=now + timedelta(hours=25))
    assert [a.kind for a in late] == [NotificationKind.ESCALATION]
    assert check_deadlines(rt, now=now + timedelta(hours=26)) == []
    kinds = [n.kind for n in list_for_user(rt, "hung.le")]
    assert kinds.count(NotificationKind.ESCALATION) == 1
    assert kinds.count(NotificationKind.REMINDER) == 1
    assert log_types(rt, item).count("signoff.overdue") == 1
