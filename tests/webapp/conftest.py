"""Web fixtures: an initialised home (secret, schema, log key, policy, people in every role and
their signing keys), built once per session on SQLite and copied for each test (argon2 and
scrypt make building it take seconds)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from clearance.runtime import Runtime
from clearance.settings import Settings, generate_secret_key, load_settings
from clearance.storage.db import make_engine
from clearance.storage.migrate import upgrade
from tests.webapp.helpers import enrol_keys, make_people
from webapp import create_app

PG_URL = os.environ.get("CLEARANCE_TEST_POSTGRES_URL")


def settings_for(home: Path, database_url: str | None = None, **extra: str) -> Settings:
    return load_settings(
        {
            "CLEARANCE_HOME": str(home),
            "CLEARANCE_DATABASE_URL": database_url or f"sqlite:///{home / 'clearance.db'}",
            "CLEARANCE_ENV": "test",
            "CLEARANCE_MAX_UPLOAD_BYTES": str(2 * 1024 * 1024),
            "CLEARANCE_LOG_ORIGIN": "test.clearance.local/log",
            "CLEARANCE_SITE_DIR": str(home / "site"),
            **extra,
        }
    )


def init_home(settings: Settings) -> Runtime:
    from clearance.auditlog.setup import init_log
    from clearance.policy.store import record_policy_if_new

    settings.home.mkdir(parents=True, exist_ok=True)
    generate_secret_key(settings.home)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    engine.dispose()
    init_log(settings)
    rt = Runtime.open(settings)
    record_policy_if_new(rt, actor="test")
    return rt


def build_world(settings: Settings) -> Runtime:
    rt = init_home(settings)
    make_people(rt)
    enrol_keys(rt)
    return rt


@pytest.fixture(scope="session")
def template_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("template") / "home"
    build_world(settings_for(home)).close()
    return home


@pytest.fixture
def web_settings(tmp_path: Path, template_home: Path) -> Settings:
    home = tmp_path / "home"
    shutil.copytree(template_home, home)
    return settings_for(home)


@pytest.fixture
def rt(web_settings: Settings) -> Iterator[Runtime]:
    runtime = Runtime.open(web_settings)
    yield runtime
    runtime.close()


@pytest.fixture
def app(web_settings: Settings, rt: Runtime) -> Flask:
    flask_app = create_app(web_settings, runtime=rt)
    flask_app.config.update(TESTING=True)
    return flask_app


@pytest.fixture
def pg_app(tmp_path: Path) -> Iterator[Flask]:
    """The same world on PostgreSQL (a fresh schema), or a visible skip."""
    if not PG_URL:
        pytest.skip("CLEARANCE_TEST_POSTGRES_URL is not set (CI sets it; see .ci/run)")
    from tests.conftest import pg_schema_url

    urls = pg_schema_url(PG_URL)
    url = next(urls)
    settings = settings_for(tmp_path / "home", url)
    runtime = build_world(settings)
    flask_app = create_app(settings, runtime=runtime)
    flask_app.config.update(TESTING=True)
    yield flask_app
    runtime.close()
    for _ in urls:
        pass
