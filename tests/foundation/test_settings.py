"""Settings: coercers, the embedded default, and no well-known secret fallback."""

from __future__ import annotations

from pathlib import Path

import pytest

from clearance.errors import BadInput, ConfigurationError
from clearance.settings import Mode, generate_secret_key, load_settings, serving_base_url


def test_embedded_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    s = load_settings({})
    assert s.home == tmp_path / "var"
    assert s.database_url == f"sqlite:///{tmp_path / 'var' / 'clearance.db'}"
    assert s.mode is Mode.EMBEDDED


def test_postgres_url_unchanged() -> None:
    url = "postgresql+psycopg://u:p@127.0.0.1:5432/db"
    assert load_settings({"CLEARANCE_DATABASE_URL": url}).database_url == url


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("CLEARANCE_MAX_UPLOAD_BYTES", "ten", "must be a whole number, found 'ten'"),
        ("CLEARANCE_MAX_UPLOAD_BYTES", "-1", "must not be negative"),
        ("CLEARANCE_ENV", "prod", "must be one of embedded, production, test"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str, message: str) -> None:
    with pytest.raises(BadInput, match=message) as info:
        load_settings({name: value})
    assert name in str(info.value)


def test_production_refuses_without_explicit_secrets(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="CLEARANCE_DATABASE_URL"):
        load_settings({"CLEARANCE_ENV": "production", "CLEARANCE_HOME": str(tmp_path)})
    s = load_settings(
        {
            "CLEARANCE_ENV": "production",
            "CLEARANCE_HOME": str(tmp_path),
            "CLEARANCE_DATABASE_URL": "postgresql://x@127.0.0.1/db",
            "CLEARANCE_PUBLIC_BASE_URL": "https://clearance.example.gov.vn",
        }
    )
    generate_secret_key(tmp_path)  # a generated file must not be used in production
    with pytest.raises(ConfigurationError, match="CLEARANCE_SECRET_KEY is not set"):
        s.require_secret_key()


def test_embedded_secret_generated_once_with_0600(tmp_path: Path) -> None:
    s = load_settings({"CLEARANCE_HOME": str(tmp_path)})
    with pytest.raises(ConfigurationError, match="clearance init"):
        s.require_secret_key()
    assert generate_secret_key(tmp_path) is True
    assert generate_secret_key(tmp_path) is False
    key_file = tmp_path / "secrets" / "secret_key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert len(s.require_secret_key()) >= 40


def test_production_needs_the_public_base_url(tmp_path: Path) -> None:
    env = {
        "CLEARANCE_ENV": "production",
        "CLEARANCE_HOME": str(tmp_path),
        "CLEARANCE_DATABASE_URL": "postgresql://x@127.0.0.1/db",
    }
    with pytest.raises(ConfigurationError, match="needs CLEARANCE_PUBLIC_BASE_URL"):
        load_settings(env)
    url = "https://clearance.example.gov.vn"
    s = load_settings({**env, "CLEARANCE_PUBLIC_BASE_URL": url})
    assert s.public_base_url == url
    assert serving_base_url(s, "10.0.0.5", 9000).public_base_url == url  # explicit wins


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        ("127.0.0.1", 8000, "http://127.0.0.1:8000"),
        ("10.20.30.40", 8080, "http://10.20.30.40:8080"),
        ("clearance.lan", 5000, "http://clearance.lan:5000"),
        ("::1", 8000, "http://[::1]:8000"),
    ],
)
def test_embedded_links_follow_the_serving_address(
    tmp_path: Path, host: str, port: int, expected: str
) -> None:
    s = load_settings({"CLEARANCE_HOME": str(tmp_path)})
    assert serving_base_url(s, host, port).public_base_url == expected
    explicit = load_settings(
        {"CLEARANCE_HOME": str(tmp_path), "CLEARANCE_PUBLIC_BASE_URL": "https://a.gov.vn"}
    )
    assert serving_base_url(explicit, host, port).public_base_url == "https://a.gov.vn"


def test_a_wildcard_host_names_this_machine(tmp_path: Path) -> None:
    import socket

    s = load_settings({"CLEARANCE_HOME": str(tmp_path)})
    url = serving_base_url(s, "0.0.0.0", 8000).public_base_url
    assert url == f"http://{socket.gethostname()}:8000"
