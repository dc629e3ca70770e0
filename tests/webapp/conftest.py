"""Web fixtures: an initialised home (secret, schema, log key, policy), people in every role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from clearance.runtime import Runtime
from clearance.settings import Settings, generate_secret_key, load_settings
from clearance.storage.db import make_engine
from clearance.storage.migrate import upgrade
from tests.webapp.helpers import make_people
from webapp import create_app


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


@pytest.fixture
def web_settings(tmp_path: Path, database_url: str) -> Settings:
    return load_settings(
        {
            "CLEARANCE_HOME": str(tmp_path / "home"),
            "CLEARANCE_DATABASE_URL": database_url,
            "CLEARANCE_ENV": "test",
            "CLEARANCE_MAX_UPLOAD_BYTES": str(2 * 1024 * 1024),
            "CLEARANCE_LOG_ORIGIN": "test.clearance.local/log",
            "CLEARANCE_SITE_DIR": str(tmp_path / "site"),
        }
    )


@pytest.fixture
def rt(web_settings: Settings) -> Iterator[Runtime]:
    runtime = init_home(web_settings)
    make_people(runtime)
    yield runtime
    runtime.close()


@pytest.fixture
def app(web_settings: Settings, rt: Runtime) -> Flask:
    flask_app = create_app(web_settings, runtime=rt)
    flask_app.config.update(TESTING=True)
    return flask_app
