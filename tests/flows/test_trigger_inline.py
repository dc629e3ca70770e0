"""Without a Prefect server the triggers run the core services inline (scripts, tests)."""

from __future__ import annotations

import pytest

from clearance.runtime import Runtime
from clearance.services.items import load_item
from clearance.settings import Pipeline
from flows.trigger import Mode, after_signoff, after_submit, mode
from tests.flows.conftest import approve_fully, make_settings, submit_text


def test_inline_when_no_prefect_api_is_configured(
    rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    assert mode(rt.settings) is Mode.INLINE
    item = submit_text(rt)
    assert after_submit(rt, item).mode is Mode.INLINE
    approve_fully(rt, item)
    assert after_signoff(rt, item).mode is Mode.INLINE
    with rt.sessions() as session:
        assert load_item(session, item).state == "published"


def test_inline_can_be_forced(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    assert mode(rt.settings) is Mode.PREFECT
    forced = make_settings(rt.settings.home, {"CLEARANCE_PIPELINE": "inline"})
    assert forced.pipeline is Pipeline.INLINE
    assert mode(forced) is Mode.INLINE
