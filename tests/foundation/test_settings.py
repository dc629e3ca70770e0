"""Settings: coercers, the embedded default, and no well-known secret fallback."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

from clearance.errors import BadInput, ConfigurationError
from clearance.settings import (
    WEBHOOK_KEY_SUFFIX,
    WEBHOOK_URL_PREFIX,
    InternalSettings,
    Mode,
    Pipeline,
    SmtpSettings,
    UnknownSetting,
    coerce_bool,
    coerce_database_url,
    coerce_http_url,
    coerce_int,
    coerce_mode,
    coerce_pipeline,
    coerce_port,
    coerce_positive,
    coerce_seconds,
    coerce_secret,
    coerce_text,
    coerce_unix_socket,
    documented,
    env_name,
    generate_secret_key,
    load_internal_settings,
    load_log_key_passphrase,
    load_screening_settings,
    load_settings,
    serving_base_url,
    settings_markdown,
)


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


# --- every variable a typed field ---------------------------------------------------------------

REPO = Path(__file__).resolve().parents[2]
SOURCE_ROOTS = ("clearance", "flows", "webapp", "cli")
#: Flask config keys that happen to share the prefix; not environment variables
APP_CONFIG_KEYS = {"CLEARANCE_SETTINGS", "CLEARANCE_TRIGGER"}


def _is_environ(node: ast.AST) -> bool:
    """``os.environ`` or a bare ``environ``."""
    if isinstance(node, ast.Attribute) and node.attr == "environ":
        return True
    return isinstance(node, ast.Name) and node.id == "environ"


def _string_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Module-level names bound to a CLEARANCE_ variable name (a string or ``env_name(...)``),
    and those bound to any other string."""
    clearance: set[str] = set()
    other: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
            if not isinstance(target, ast.Name):
                continue
            if isinstance(value, ast.Constant) and isinstance(value.value, str):
                (clearance if value.value.startswith("CLEARANCE_") else other).add(target.id)
            if isinstance(value, ast.Call) and getattr(value.func, "id", "") == "env_name":
                clearance.add(target.id)
    return clearance, other


def _may_name_clearance(node: ast.AST | None, clearance: set[str], other: set[str]) -> bool:
    """Whether the key ``node`` is, or may be, a CLEARANCE_ name: a constant or f-string with
    the prefix, a name bound to one, or a key computed at run time (a parameter, a loop
    variable) that this scan cannot see through."""
    if node is None:
        return False
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and node.value.startswith("CLEARANCE_")
    if isinstance(node, ast.JoinedStr):
        first = node.values[0] if node.values else None
        return not isinstance(first, ast.Constant) or str(first.value).startswith("CLEARANCE_")
    if isinstance(node, ast.Name):
        return node.id not in other
    return True


def environment_reads(source: str) -> list[int]:
    """Lines of ``source`` that read, or may read, a CLEARANCE_ variable from the process
    environment (``os.environ[...]``, ``.get``/``.pop``/``.setdefault``, ``os.getenv``, ``in
    os.environ``, or a scan of ``os.environ`` filtered by the prefix). Writes for a child
    process are allowed; a read with a key computed at run time counts."""
    tree = ast.parse(source)
    clearance, other = _string_names(tree)
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and _is_environ(node.value):
            if isinstance(node.ctx, ast.Load) and _may_name_clearance(node.slice, clearance, other):
                found.add(node.lineno)
        elif isinstance(node, ast.Call):
            func = node.func
            reads = (
                isinstance(func, ast.Attribute)
                and func.attr in {"get", "pop", "setdefault"}
                and _is_environ(func.value)
            ) or getattr(func, "attr", getattr(func, "id", "")) == "getenv"
            if reads and node.args and _may_name_clearance(node.args[0], clearance, other):
                found.add(node.lineno)
        elif isinstance(node, ast.Compare):
            if any(_is_environ(c) for c in node.comparators) and _may_name_clearance(
                node.left, clearance, other
            ):
                found.add(node.lineno)
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            iterates = any(
                _is_environ(g.iter)
                or (
                    isinstance(g.iter, ast.Call)
                    and _is_environ(getattr(g.iter.func, "value", None))
                )
                for g in node.generators
            )
            prefixed = any(
                isinstance(n, ast.Constant) and str(n.value).startswith("CLEARANCE_")
                for n in ast.walk(node)
            )
            if iterates and prefixed:
                found.add(node.lineno)
    return sorted(found)


#: reads with a computed key that are known not to be CLEARANCE_ variables
DYNAMIC_READS_ALLOWED = {
    # saves and restores PREFECT_API_URL and PREFECT_RESULTS_LOCAL_STORAGE_PATH around the block
    ("flows/server.py", "previous = {name: os.environ.get(name) for name in shared}"),
    ("flows/server.py", "os.environ.pop(name, None)"),
}


def _source_files() -> list[Path]:
    files = [
        p for root in SOURCE_ROOTS if (REPO / root).is_dir() for p in (REPO / root).rglob("*.py")
    ]
    return [p for p in files if p != REPO / "clearance" / "settings.py"]


@pytest.mark.parametrize(
    "source",
    [
        'import os\nx = os.environ.get("CLEARANCE_TESSERACT", "tesseract")\n',
        'import os\nx = os.environ["CLEARANCE_HOME"]\n',
        'import os\nx = os.getenv("CLEARANCE_OCR_WORKERS")\n',
        'from os import environ\nx = environ.get("CLEARANCE_X")\n',
        'import os\nNAME = "CLEARANCE_PARENT_PID"\nx = os.environ.get(NAME, "")\n',
        'import os\nx = os.environ.get(f"CLEARANCE_WEBHOOK_URL_{c.upper()}")\n',
        'import os\nx = "CLEARANCE_PIPELINE" in os.environ\n',
        'import os\nx = {k: v for k, v in os.environ.items() if k.startswith("CLEARANCE_")}\n',
        'import os\nx = os.environ.pop("CLEARANCE_CRASH_POINT", None)\n',
        "import os\ndef f(name):\n    return os.environ.get(name) or None\n",  # a computed key
    ],
)
def test_the_scan_finds_an_environment_read(source: str) -> None:
    assert environment_reads(source) == [len(source.splitlines())]


@pytest.mark.parametrize(
    "source",
    [
        'import os\nos.environ["CLEARANCE_PUBLIC_BASE_URL"] = url\n',  # a write for the children
        'import os\nx = os.environ.get("PATH", "/usr/bin")\n',
        'import os\nenv = {**os.environ, "OMP_THREAD_LIMIT": "1"}\n',
        'import os\nAPI = "PREFECT_API_URL"\nx = os.environ.get(API)\n',
        'x = app.config["CLEARANCE_SETTINGS"]\n',
    ],
)
def test_the_scan_leaves_other_code_alone(source: str) -> None:
    assert environment_reads(source) == []


def test_nothing_but_settings_reads_a_clearance_variable() -> None:
    offenders = []
    for path in _source_files():
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        where = str(path.relative_to(REPO))
        for line in environment_reads(text):
            if (where, lines[line - 1].strip()) not in DYNAMIC_READS_ALLOWED:
                offenders.append(f"{where}:{line}")
    assert offenders == [], "read these through clearance.settings.Settings: " + ", ".join(
        offenders
    )


def test_the_settings_table_is_the_one_generated_from_the_fields() -> None:
    written = (REPO / "docs" / "settings.md").read_text(encoding="utf-8")
    assert written == settings_markdown(), (
        "docs/settings.md is stale; run `python -m clearance.settings > docs/settings.md`"
    )


def test_every_variable_the_code_names_is_documented() -> None:
    documented_names = [row.env for row in documented()]
    plain = {name for name in documented_names if "<" not in name}
    mentioned: dict[str, str] = {}
    for path in [*_source_files(), REPO / "clearance" / "settings.py"]:
        for name in re.findall(r"CLEARANCE_[A-Z0-9_]+", path.read_text(encoding="utf-8")):
            mentioned.setdefault(name.rstrip("_"), str(path.relative_to(REPO)))
    missing = {
        name: where
        for name, where in mentioned.items()
        if name not in plain
        and name not in APP_CONFIG_KEYS
        and not name.startswith(WEBHOOK_URL_PREFIX)
        and not name.endswith(WEBHOOK_KEY_SUFFIX)
        and not any(known.startswith(name + "_") for known in documented_names)
    }
    assert missing == {}


def test_every_documented_variable_is_read_by_load_settings(tmp_path: Path) -> None:
    """Each field's variable changes the loaded value (no documented field is dead)."""
    base = {"CLEARANCE_HOME": str(tmp_path)}
    default = load_settings(base)
    samples = {
        "CLEARANCE_ENV": "test",
        "CLEARANCE_DATABASE_URL": "postgresql+psycopg://u@127.0.0.1/db",
        "CLEARANCE_LOG_SIGNER": "unix:/run/signer.sock",
        "CLEARANCE_PUBLIC_BASE_URL": "https://clearance.example.gov.vn",
        "CLEARANCE_PIPELINE": "inline",
        "CLEARANCE_ISOLATE_SCREENING": "0",
        "CLEARANCE_SMTP_STARTTLS": "1",
        "CLEARANCE_COOKIE_SECURE": "1",
        "CLEARANCE_SCREENING_WORKERS": "0",
        "CLEARANCE_BLOB_STORE": "database",
        "CLEARANCE_HOME": str(tmp_path / "other"),
    }
    for row in documented():
        if "<" in row.env:
            continue
        if row.type.startswith(("int", "float")):
            value = samples.get(row.env, "7")
        elif "Path" in row.type:
            value = samples.get(row.env, str(tmp_path / "x"))
        else:
            value = samples.get(row.env, "some-value")
        changed = load_settings({**base, row.env: value})
        assert changed != default, f"{row.env} does not change the settings"


# --- coercers and the messages that name the variable --------------------------------------------


@pytest.mark.parametrize(
    ("coerce", "raw", "expected"),
    [
        (coerce_bool, "yes", True),
        (coerce_bool, "Off", False),
        (coerce_int, "1_000", 1000),
        (coerce_positive, "3", 3),
        (coerce_port, "587", 587),
        (coerce_seconds, "0.5", 0.5),
        (coerce_text, "  /usr/bin/tesseract ", "/usr/bin/tesseract"),
        (coerce_secret, " spaced passphrase ", " spaced passphrase "),
        (coerce_http_url, "https://a.gov.vn/x", "https://a.gov.vn/x"),
        (coerce_unix_socket, "unix:/run/s.sock", "unix:/run/s.sock"),
        (coerce_database_url, "sqlite:///x.db", "sqlite:///x.db"),
        (coerce_mode, "PRODUCTION", Mode.PRODUCTION),
        (coerce_pipeline, "inline", Pipeline.INLINE),
    ],
)
def test_coercers_read_good_values(coerce: Any, raw: str, expected: object) -> None:
    assert coerce("CLEARANCE_X", raw) == expected


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "CLEARANCE_SMTP_PORT",
            "abc",
            "CLEARANCE_SMTP_PORT must be a whole number 1–65535, found 'abc'",
        ),
        (
            "CLEARANCE_SMTP_PORT",
            "70000",
            "CLEARANCE_SMTP_PORT must be a whole number 1–65535, found '70000'",
        ),
        (
            "CLEARANCE_SMTP_STARTTLS",
            "maybe",
            "CLEARANCE_SMTP_STARTTLS must be true or false, found 'maybe'",
        ),
        ("CLEARANCE_SMTP_TIMEOUT", "0", "CLEARANCE_SMTP_TIMEOUT must be at least 1, found 0"),
        ("CLEARANCE_SMTP_HOST", "   ", "CLEARANCE_SMTP_HOST must not be blank"),
        (
            "CLEARANCE_REVIEW_WORKERS",
            "many",
            "CLEARANCE_REVIEW_WORKERS must be a whole number, found 'many'",
        ),
        (
            "CLEARANCE_REVIEW_POLL",
            "soon",
            "CLEARANCE_REVIEW_POLL must be a number of seconds above 0, found 'soon'",
        ),
        (
            "CLEARANCE_PUBLISH_LEASE",
            "-5",
            "CLEARANCE_PUBLISH_LEASE must be a number of seconds above 0, found '-5'",
        ),
        (
            "CLEARANCE_REVIEW_POLL",
            "inf",
            "CLEARANCE_REVIEW_POLL must be a number of seconds above 0",
        ),
        (
            "CLEARANCE_DEADLINES_INTERVAL",
            "15m",
            "CLEARANCE_DEADLINES_INTERVAL must be a whole number, found '15m'",
        ),
        ("CLEARANCE_OCR_WORKERS", "0", "CLEARANCE_OCR_WORKERS must be at least 1, found 0"),
        (
            "CLEARANCE_SCREENING_WORKERS",
            "2",
            "CLEARANCE_SCREENING_WORKERS must be a whole number 0–1, found '2'",
        ),
        (
            "CLEARANCE_SESSION_IDLE_MINUTES",
            "0",
            "CLEARANCE_SESSION_IDLE_MINUTES must be at least 1",
        ),
        ("CLEARANCE_TRUSTED_PROXIES", "-1", "CLEARANCE_TRUSTED_PROXIES must not be negative"),
        ("CLEARANCE_COOKIE_SECURE", "sometimes", "CLEARANCE_COOKIE_SECURE must be true or false"),
        (
            "CLEARANCE_PIPELINE",
            "deployment",
            "CLEARANCE_PIPELINE must be one of auto, inline, found 'deployment'",
        ),
        (
            "CLEARANCE_PUBLIC_BASE_URL",
            "clearance.gov.vn",
            "CLEARANCE_PUBLIC_BASE_URL must be an http:// or https:// address with a host",
        ),
        (
            "CLEARANCE_PUBLIC_BASE_URL",
            "ftp://x",
            "CLEARANCE_PUBLIC_BASE_URL must be an http:// or https:// address",
        ),
        (
            "CLEARANCE_WEBHOOK_URL_SOCIAL",
            "not a url",
            "CLEARANCE_WEBHOOK_URL_SOCIAL must be an http:// or https:// address",
        ),
        ("CLEARANCE_WEBHOOK_URL_", "https://x", "CLEARANCE_WEBHOOK_URL_ names no channel"),
        (
            "CLEARANCE_LOG_SIGNER",
            "/run/s.sock",
            "CLEARANCE_LOG_SIGNER must be unix:/path/to/socket, found '/run/s.sock'",
        ),
        (
            "CLEARANCE_LOG_ORIGIN",
            "my log",
            "CLEARANCE_LOG_ORIGIN must be a log origin without spaces",
        ),
        (
            "CLEARANCE_DATABASE_URL",
            "mysql://root:hunter2@db/x",
            "CLEARANCE_DATABASE_URL must be a sqlite:/// or postgresql\\+psycopg:// URL",
        ),
        ("CLEARANCE_PARENT_PID", "abc", "CLEARANCE_PARENT_PID must be a whole number, found 'abc'"),
    ],
)
def test_every_bad_value_is_refused_naming_the_variable(
    tmp_path: Path, name: str, value: str, message: str
) -> None:
    with pytest.raises(BadInput, match=message):
        load_settings({"CLEARANCE_HOME": str(tmp_path), name: value})


def test_a_refused_database_url_never_shows_its_password(tmp_path: Path) -> None:
    with pytest.raises(BadInput) as info:
        load_settings({"CLEARANCE_DATABASE_URL": "mysql://root:hunter2@db/x"})
    assert "hunter2" not in str(info.value)


def test_defaults(tmp_path: Path) -> None:
    s = load_settings({"CLEARANCE_HOME": str(tmp_path)})
    assert s.home == tmp_path and s.mode is Mode.EMBEDDED and s.pipeline is Pipeline.AUTO
    assert s.max_upload_bytes == 50 * 1024 * 1024 and s.log_origin == "clearance.local/log"
    assert (s.session_idle_minutes, s.session_max_hours) == (30, 8)
    assert (s.login_max_failures, s.login_max_wait_minutes, s.trusted_proxies) == (5, 15, 0)
    assert s.isolate_screening is True and s.cookie_secure is None
    assert s.log_signer is None and s.witness_policy is None and s.prefect_database_url is None
    assert s.smtp == SmtpSettings() and not s.smtp.enabled
    assert (s.smtp.port, s.smtp.sender, s.smtp.starttls, s.smtp.timeout) == (
        25,
        "clearance@localhost",
        False,
        10,
    )
    review = s.review
    assert (review.workers, review.batch_size, review.concurrency) == (1, 50, 4)
    assert (review.poll, review.publish_lease) == (0.2, 120.0)
    assert (s.schedule.deadlines_interval, s.schedule.monitor_interval) == (900, 3600)
    assert s.screening.tesseract == "tesseract"
    assert s.screening.ocr_workers is None and s.screening.workers is None
    assert s.internal == InternalSettings()
    assert s.webhook_urls == {} and s.webhook_keys == {}


def test_families_become_typed_mappings(tmp_path: Path) -> None:
    s = load_settings(
        {
            "CLEARANCE_HOME": str(tmp_path),
            "CLEARANCE_WEBHOOK_URL_SOCIAL": "https://staging.example.vn/hook",
            "CLEARANCE_WEBHOOK_URL_PRESS": "",  # empty: unset
            "CLEARANCE_SOCIAL_WEBHOOK_KEY": " key with spaces ",
            "CLEARANCE_SMTP_HOST": "mail.example.vn",
            "CLEARANCE_SMTP_PORT": "587",
            "CLEARANCE_SMTP_STARTTLS": "1",
        }
    )
    assert s.webhook_urls == {"social": "https://staging.example.vn/hook"}
    assert s.webhook_key("CLEARANCE_SOCIAL_WEBHOOK_KEY") == " key with spaces "
    assert s.webhook_key("CLEARANCE_PRESS_WEBHOOK_KEY") is None
    with pytest.raises(ConfigurationError, match="must name a CLEARANCE_<NAME>_WEBHOOK_KEY"):
        s.webhook_key("HOME")
    assert s.smtp.enabled and (s.smtp.host, s.smtp.port, s.smtp.starttls) == (
        "mail.example.vn",
        587,
        True,
    )


@pytest.mark.parametrize("mode", ["embedded", "production", "test"])
def test_a_misspelt_variable_is_refused_with_the_closest_name(tmp_path: Path, mode: str) -> None:
    """A typo was left at its default without a word (SMTP off, mail never sent); now the
    start-up stops, in every mode, naming the variable and the one it probably meant."""
    env = {
        "CLEARANCE_HOME": str(tmp_path),
        "CLEARANCE_ENV": mode,
        "CLEARANCE_DATABASE_URL": "postgresql+psycopg://u@127.0.0.1/db",
        "CLEARANCE_PUBLIC_BASE_URL": "https://clearance.example.gov.vn",
        "CLEARANCE_SMTP_HOTS": "mail.example.vn",
    }
    with pytest.raises(UnknownSetting) as refused:
        load_settings(env)
    assert "CLEARANCE_SMTP_HOTS (did you mean CLEARANCE_SMTP_HOST?)" in refused.value.message
    assert refused.value.code == "settings.unknown"
    assert refused.value.params == {
        "names": "CLEARANCE_SMTP_HOTS",
        "suggestions": "CLEARANCE_SMTP_HOTS → CLEARANCE_SMTP_HOST",
    }
    assert refused.value.exit_code == 2  # a ConfigurationError: the CLI exits 2


def test_every_unknown_name_is_listed_and_a_far_one_gets_no_guess(tmp_path: Path) -> None:
    with pytest.raises(UnknownSetting) as refused:
        load_settings(
            {
                "CLEARANCE_HOME": str(tmp_path),
                "CLEARANCE_SECRET_KYE": "x" * 40,
                "CLEARANCE_FROBNICATE": "1",
            }
        )
    assert refused.value.unknown == {
        "CLEARANCE_FROBNICATE": None,
        "CLEARANCE_SECRET_KYE": "CLEARANCE_SECRET_KEY",
    }
    assert refused.value.message.startswith(
        "unknown settings: CLEARANCE_FROBNICATE, "
        "CLEARANCE_SECRET_KYE (did you mean CLEARANCE_SECRET_KEY?)"
    )


def test_families_foreign_prefixes_and_other_programs_variables_pass(tmp_path: Path) -> None:
    s = load_settings(
        {
            "CLEARANCE_HOME": str(tmp_path),
            "CLEARANCE_WEBHOOK_URL_PRESS": "https://press.example.vn/hook",
            "CLEARANCE_PRESS_WEBHOOK_KEY": "k",
            "CLEARANCE_TEST_POSTGRES_URL": "postgresql+psycopg://u@127.0.0.1/db",
            "CLEARANCE_BENCH_DATABASE_URL": "sqlite:///x.db",
            "PREFECT_API_URL": "http://127.0.0.1:4200/api",
            "clearance_smtp_hots": "lower case is not ours",
        }
    )
    assert s.webhook_urls == {"press": "https://press.example.vn/hook"}


def test_every_documented_name_is_known(tmp_path: Path) -> None:
    names = {row.env for row in documented() if "<" not in row.env}
    assert len(names) > 30
    load_settings(dict.fromkeys(names, "") | {"CLEARANCE_HOME": str(tmp_path)})


def test_the_command_line_stops_at_start_up_naming_the_variable(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("CLEARANCE_") or "TEST_" in k}
    env |= {"CLEARANCE_HOME": str(tmp_path / "home"), "CLEARANCE_DATABSE_URL": "sqlite:///x.db"}
    done = subprocess.run(
        [sys.executable, "-m", "cli", "users", "list"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "CLEARANCE_DATABSE_URL (did you mean CLEARANCE_DATABASE_URL?)" in done.stderr
    assert not (tmp_path / "home").exists()  # nothing was created with the wrong database


def test_secrets_stay_out_of_the_repr(tmp_path: Path) -> None:
    s = load_settings(
        {
            "CLEARANCE_HOME": str(tmp_path),
            "CLEARANCE_SECRET_KEY": "s3cret-session-key",
            "CLEARANCE_LOG_KEY_PASSPHRASE": "s3cret-passphrase",
            "CLEARANCE_SMTP_HOST": "mail",
            "CLEARANCE_SMTP_PASSWORD": "s3cret-smtp",
            "CLEARANCE_SOCIAL_WEBHOOK_KEY": "s3cret-hmac",
            "CLEARANCE_DATABASE_URL": "postgresql+psycopg://u:s3cret-db@127.0.0.1/db",
            "CLEARANCE_PREFECT_DATABASE_URL": "postgresql+asyncpg://u:s3cret-pf@127.0.0.1/p",
        }
    )
    assert "s3cret" not in repr(s)


def test_screening_and_internal_settings_read_the_process_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CLEARANCE_TESSERACT", "/opt/tesseract")
    monkeypatch.setenv("CLEARANCE_OCR_WORKERS", "3")
    monkeypatch.setenv("CLEARANCE_SCREENING_WORKERS", "0")
    screening = load_screening_settings()
    assert screening.tesseract == "/opt/tesseract"
    assert (screening.ocr_worker_count(), screening.text_worker_count()) == (3, 0)
    monkeypatch.setenv("CLEARANCE_PARENT_PID", "4242")
    monkeypatch.setenv("CLEARANCE_CRASH_POINT", "review.screened")
    monkeypatch.setenv("CLEARANCE_ENV", "test")
    internal = load_internal_settings()
    assert internal == InternalSettings(
        parent_pid=4242, runner_pid=None, crash_point="review.screened", test_mode=True
    )
    assert env_name(InternalSettings, "parent_pid") == "CLEARANCE_PARENT_PID"


def test_the_signing_helper_reads_only_its_passphrase(tmp_path: Path) -> None:
    # production, no database: the helper on its own host still finds its passphrase
    env = {"CLEARANCE_ENV": "production", "CLEARANCE_LOG_KEY_PASSPHRASE": "pass phrase"}
    assert load_log_key_passphrase(env) == "pass phrase"
    secret = tmp_path / "passphrase"
    secret.write_text("from the file\n", encoding="utf-8")
    secret.chmod(0o644)
    file_env = {"CLEARANCE_LOG_KEY_PASSPHRASE_FILE": str(secret)}
    with pytest.raises(ConfigurationError, match="readable by others"):
        load_log_key_passphrase(file_env)
    secret.chmod(0o600)
    assert load_log_key_passphrase(file_env) == "from the file"
    assert load_log_key_passphrase({}) is None
