"""The scale path once: Clearance on PostgreSQL and the Prefect server on PostgreSQL too
(``CLEARANCE_PREFECT_DATABASE_URL``), an item reviewed and published through it."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from clearance.services.items import load_item
from flows.people import open_home
from flows.server import pipeline_running
from flows.trigger import after_signoff, after_submit
from tests.conftest import PG_URL, pg_schema_url
from tests.flows.conftest import PASSWORD, approve_fully, make_settings, submit_text

#: with the other server-starting tests on one xdist worker (see test_prefect_pipeline)
pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.xdist_group("prefect_server")]


@pytest.fixture
def prefect_database() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("CLEARANCE_TEST_POSTGRES_URL is not set (CI sets it; see .ci/run)")
    name = f"prefect_{secrets.token_hex(4)}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = PG_URL.split("://", 1)[1].rsplit("/", 1)[0]
    try:
        yield f"postgresql+asyncpg://{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _wait(rt: object, item: str, leaving: str, timeout: float = 90) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with rt.sessions() as session:  # type: ignore[attr-defined]
            state = str(load_item(session, item).state)
        if state != leaving:
            return state
        time.sleep(0.2)
    return leaving


def test_review_and_publish_on_postgresql(
    prefect_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert PG_URL
    for clearance_url in pg_schema_url(PG_URL):
        extra = {
            "CLEARANCE_DATABASE_URL": clearance_url,
            "CLEARANCE_PREFECT_DATABASE_URL": prefect_database,
        }
        settings = make_settings(tmp_path / "home", extra)
        for key, value in {
            **extra,
            "CLEARANCE_HOME": str(settings.home),
            "CLEARANCE_ENV": "test",
            "CLEARANCE_LOG_ORIGIN": settings.log_origin,
        }.items():
            monkeypatch.setenv(key, value)
        monkeypatch.delenv("PREFECT_API_URL", raising=False)
        rt = open_home(settings, PASSWORD, actor="test")
        try:
            with pipeline_running(settings):
                assert os.environ["PREFECT_API_URL"].startswith("http://127.0.0.1:")
                item = submit_text(rt)
                after_submit(rt, item)
                assert _wait(rt, item, "submitted") == "awaiting_signoff"
                approve_fully(rt, item)
                after_signoff(rt, item)
                assert _wait(rt, item, "approved") == "published"
        finally:
            rt.close()
