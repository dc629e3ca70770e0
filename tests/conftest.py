"""Shared fixtures: settings on a temporary home, database URLs for SQLite and PostgreSQL."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from clearance.settings import Settings, load_settings
from tests import channels
from tests.passwords import use_cheap_hashing

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
PG_URL = os.environ.get("CLEARANCE_TEST_POSTGRES_URL")

use_cheap_hashing()  # tests/passwords.py says why

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")


def pg_schema_url(base: str) -> Iterator[str]:
    """A fresh PostgreSQL schema for one test, dropped afterwards."""
    schema = f"t_{secrets.token_hex(6)}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each storage test runs on SQLite and, where CLEARANCE_TEST_POSTGRES_URL is set, PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'clearance.db'}"
        return
    if not PG_URL:
        pytest.skip("CLEARANCE_TEST_POSTGRES_URL is not set (CI sets it; see .ci/run)")
    yield from pg_schema_url(PG_URL)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    home = tmp_path / "home"
    return load_settings(
        {
            "CLEARANCE_HOME": str(home),
            "CLEARANCE_DATABASE_URL": database_url,
            "CLEARANCE_ENV": "test",
            "CLEARANCE_MAX_UPLOAD_BYTES": str(2 * 1024 * 1024),
            "CLEARANCE_LOG_ORIGIN": "test.clearance.local/log",
        }
    )


@pytest.fixture
def smtp_sink() -> Iterator[tuple[channels.Sink, int]]:
    """A real local SMTP server: its sink (the messages it accepted) and its port."""
    with channels.smtp_sink() as sink:
        yield sink


@pytest.fixture
def webhook_receiver() -> Iterator[tuple[channels.Receiver, str]]:
    """A real local webhook receiver with the tests' key (``channels.KEY``) and its URL."""
    receiver = channels.Receiver()
    with channels.serving(receiver) as url:
        yield receiver, url


#: Every warning is an error outside these folders (pyproject.toml's ``filterwarnings`` only
#: ignores deprecations, and a mark's filter wins over it): the other folders' whole run, slow
#: and PostgreSQL tests included, was surveyed with every warning shown and each warning was
#: fixed at its source. These keep the ini's ``ignore::DeprecationWarning`` until theirs is
#: done (issue #15, "filterwarnings = error"): flows (its survey met Prefect timeouts under
#: load; seen: wtforms' SelectField tuple choices deprecation from webapp forms, an unclosed
#: pipe in test_supervision), webapp (not surveyed), foundation (a psycopg connection left open
#: by a PostgreSQL test, not yet found, is collected during a later test). A new folder is
#: strict from the start.
NOT_YET_STRICT = frozenset({"flows", "webapp", "foundation"})
#: the one exception in the strict folders, until the foundation leak above is found: the
#: garbage collector may free that psycopg connection while a strict test runs on the same
#: worker (CI saw it fail tests/policy/test_signoff.py::test_a_rejection_always_vetoes, a test
#: that opens no connection), so psycopg's "deleted while still open" is not an error there
LEAKED_ELSEWHERE = (
    r"ignore:Exception ignored in. <function BaseConnection\.__del__"
    ":pytest.PytestUnraisableExceptionWarning"
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every warning is an error in the strict folders (a mark's filter wins over the ini's):
    a deprecation or a leaked file, socket or connection fails the test that causes it."""
    tests = REPO / "tests"
    for item in items:
        if not item.path.is_relative_to(tests) or item.path.relative_to(tests).parts[0] not in (
            NOT_YET_STRICT
        ):
            item.add_marker(pytest.mark.filterwarnings("error", LEAKED_ELSEWHERE), append=False)
