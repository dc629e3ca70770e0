"""The scale path end to end, without a shared disk (README "Scale path").

Three folders stand for three machines: the Prefect server's, home A (the web process: this
test's Flask client over home A's settings) and home B (the workers). A and B share only the
PostgreSQL database (``CLEARANCE_BLOB_STORE=database``: the file bytes are rows in it) and the
Prefect API URL; B gets a copy of the sealed log key, as an operator would install it on each
machine. B runs exactly the README's commands: ``prefect work-pool create``, ``prefect deploy
--all`` from the checkout, ``prefect worker start --pool clearance`` and ``python -m
flows.task_worker``. B's processes get no path of A in their environment, and at the end none
of them has A's folder as its working directory or a file of it open.

An author submits an item with attachments through A, B screens it, the approvers enrol their
keys and sign through A, B publishes; the published bytes are checked against the approved
manifest, ``clearance audit verify`` passes on an export, and a ``deadlines`` flow run created
from A is picked up by B's worker and completes without any result file in either home.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import PG_URL

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.xdist_group("prefect_server")]

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSWORD = "correct horse battery staple"
ORIGIN = "scale.clearance.local/log"
#: the environment variable marking every process this test starts (for the final sweep)
MARK = "CLEARANCE_TEST_SCALE_RUN"
HEX64 = re.compile(r"^[0-9a-f]{64}$")
BODY = (
    "Ngày 20/11/2026, Ủy ban nhân dân tỉnh đã tiếp đoàn doanh nghiệp Nhật Bản đến tìm hiểu "
    "cơ hội đầu tư vào khu công nghiệp phía Bắc tỉnh."
)
NOTICE = "Lịch làm việc của đoàn doanh nghiệp: sáng thăm khu công nghiệp, chiều làm việc.\n"
#: the cast: username -> (roles, sign-off roles)
CAST = {
    "lan.nguyen": (["author"], []),
    "hung.le": (["approver"], ["unit_head"]),
    "quan.vo": (["approver"], ["spokesperson"]),
}


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (24, 24), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


@dataclass
class Processes:
    """Every process the test starts, each in a session of its own, all killed at the end
    (their groups, then anything still carrying this run's mark)."""

    mark: str
    logs: Path
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(
        self, name: str, argv: list[str], env: Mapping[str, str], cwd: Path
    ) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("ab")
        try:
            proc = subprocess.Popen(
                argv,
                env={**env, MARK: self.mark},
                cwd=cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        finally:
            log.close()
        self.started.append(proc)
        return proc

    def run(self, name: str, argv: list[str], env: Mapping[str, str], cwd: Path) -> str:
        return self.finish(name, self.start(name, argv, env, cwd))

    def finish(self, name: str, proc: subprocess.Popen[bytes]) -> str:
        """Wait for a command started with ``start``; its output, or the test fails."""
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{name} did not finish within 120 s: {self.tail(name)}")
        if proc.returncode != 0:
            pytest.fail(f"{name} exited with {proc.returncode}: {self.tail(name)}")
        return (self.logs / f"{name}.log").read_text(encoding="utf-8", errors="replace")

    def tail(self, name: str, size: int = 4000) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(encoding="utf-8", errors="replace")[-size:] if path.exists() else ""

    def marked(self) -> list[int]:
        """Processes still running with this run's mark in their environment."""
        found = []
        needle = f"{MARK}={self.mark}".encode()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError):
                if needle in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
        return found

    def stop_all(self) -> None:
        for proc in reversed(self.started):
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in self.started:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        for proc in self.started:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        for pid in self.marked():  # e.g. flow-run processes in sessions of their own
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _base_env() -> dict[str, str]:
    """Nothing of this test process's CLEARANCE_* or PREFECT_* settings leaks into a home."""
    keep = {"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TZ": "UTC"}
    path = f"{BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}"
    return {
        **keep,
        "PATH": path,
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_SERVER_UI_ENABLED": "false",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


def _free_port() -> int:
    from flows.server import free_port

    return free_port()


@pytest.fixture
def clearance_database() -> Iterator[str]:
    if not PG_URL:
        pytest.skip(
            "CLEARANCE_TEST_POSTGRES_URL is not set: the scale path needs PostgreSQL "
            "(scripts/postgres.sh starts it; `make test` does where it is installed)"
        )
    name = f"scale_{secrets.token_hex(4)}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def machines(tmp_path: Path) -> Iterator[tuple[Path, Path, Path, Path]]:
    """Folders for the Prefect server, home A, home B (apart from A's tree) and the logs."""
    b_root = Path(tempfile.mkdtemp(prefix="clearance-home-b-"))
    try:
        yield tmp_path / "prefect-server", tmp_path / "home-a", b_root / "home", tmp_path / "logs"
    finally:
        shutil.rmtree(b_root, ignore_errors=True)


def _wait_state(rt: Any, item_id: str, wanted: str, timeout: float, procs: Processes) -> None:
    from clearance.services.items import load_item

    deadline = time.monotonic() + timeout
    state = "?"
    while time.monotonic() < deadline:
        with rt.readers() as session:
            state = str(load_item(session, item_id).state)
        if state == wanted:
            return
        for proc in procs.started:
            if proc.poll() not in (None, 0):
                break
        time.sleep(0.3)
    pytest.fail(
        f"item {item_id} is {state}, not {wanted}, after {timeout:.0f} s\n"
        f"task worker: {procs.tail('b-task-worker')}\nworker: {procs.tail('b-prefect-worker')}"
    )


def _files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_web_and_workers_share_only_postgresql_and_the_prefect_api(
    clearance_database: str,
    machines: tuple[Path, Path, Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flows.server import DEPLOYMENTS, wait_ready

    server_home, home_a, home_b, logs = machines
    logs.mkdir()
    server_home.mkdir()
    procs = Processes(secrets.token_hex(8), logs)
    try:
        # -- the Prefect server's machine: its own PREFECT_HOME and SQLite database ------------
        port = _free_port()
        api = f"http://127.0.0.1:{port}/api"
        server_env = {
            **_base_env(),
            "HOME": str(server_home),
            "PREFECT_HOME": str(server_home),
            "PREFECT_SERVER_DATABASE_CONNECTION_URL": (
                f"sqlite+aiosqlite:///{server_home / 'prefect.db'}"
            ),
        }
        server = procs.start(
            "prefect-server",
            [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            server_env,
            server_home,
        )
        shared = {
            "PREFECT_API_URL": api,
            "CLEARANCE_DATABASE_URL": clearance_database,
            "CLEARANCE_BLOB_STORE": "database",
            "CLEARANCE_ENV": "test",
            "CLEARANCE_LOG_ORIGIN": ORIGIN,
            "CLEARANCE_LOG_KEY_PASSPHRASE": "scale path passphrase " + secrets.token_hex(8),
        }
        env_a = {
            **_base_env(),
            **shared,
            "HOME": str(home_a),
            "CLEARANCE_HOME": str(home_a),
            "PREFECT_HOME": str(home_a / "prefect"),
        }
        env_b = {
            **_base_env(),
            **shared,
            "HOME": str(home_b),
            "CLEARANCE_HOME": str(home_b),
            "PREFECT_HOME": str(home_b / "prefect"),
            # an operator who turns Prefect's result persistence on must not get result files
            # in one machine's folder that another machine would need
            "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "true",
            "PREFECT_WORKER_QUERY_SECONDS": "1",
            "PREFECT_WORKER_PREFETCH_SECONDS": "5",
            "PREFECT_LOGGING_LEVEL": "INFO",
        }

        # -- home A: `clearance init` (database, log key), the people --------------------------
        home_a.mkdir(mode=0o700)
        procs.run("a-init", [str(BIN / "clearance"), "init"], env_a, home_a)
        home_a.chmod(0o700)
        from clearance.runtime import Runtime
        from clearance.services.users import add_user
        from clearance.settings import load_settings

        settings_a = load_settings(env_a)
        rt_a = Runtime.open(settings_a)
        for username, (roles, signoff) in CAST.items():
            add_user(
                rt_a,
                actor="admin",
                username=username,
                display_name=username.replace(".", " ").title(),
                roles=roles,
                unit="so-ngoai-vu",
                email=f"{username}@example.gov.vn",
                signoff_roles=signoff or None,
                password=PASSWORD,
            )

        # -- home B: the sealed log key installed by the operator, nothing else of A's ---------
        (home_b / "keys").mkdir(parents=True, mode=0o700)
        for name in ("log.key", "log.vkey"):
            shutil.copy2(home_a / "keys" / name, home_b / "keys" / name)
        assert not any(str(home_a) in value for value in env_b.values())

        wait_ready(api, proc=server, timeout=120)
        procs.run(
            "b-work-pool",
            [str(BIN / "prefect"), "work-pool", "create", "clearance", "--type", "process"],
            env_b,
            home_b,
        )
        # the deployments are created while the item goes through (only the flow run at the
        # end needs them); the review and publication dispatchers need none
        deploy = procs.start(
            "b-deploy",
            [str(BIN / "prefect"), "--no-prompt", "deploy", "--all"],
            env_b,
            REPO,
        )
        worker = procs.start(
            "b-prefect-worker",
            [str(BIN / "prefect"), "worker", "start", "--pool", "clearance"],
            env_b,
            home_b,
        )
        task_worker = procs.start(
            "b-task-worker",
            [sys.executable, "-m", "flows.task_worker"],
            env_b,
            home_b,
        )

        # -- home A's web process: the Flask app over home A's settings -------------------------
        for name in list(os.environ):
            if name.startswith(("CLEARANCE_", "PREFECT_")) and not name.startswith(
                "CLEARANCE_TEST_"
            ):
                monkeypatch.delenv(name)
        for name, value in env_a.items():
            if name.startswith(("CLEARANCE_", "PREFECT_")):
                monkeypatch.setenv(name, value)
        from tests.webapp.helpers import browser
        from webapp import create_app

        app = create_app(settings_a, runtime=rt_a)
        app.config.update(TESTING=True)

        png = _png()
        author = browser(app, "lan.nguyen")
        response = author.post(
            "/author/submit",
            {
                "title": "UBND tỉnh tiếp đoàn doanh nghiệp Nhật Bản",
                "body": BODY,
                "channels": ["website"],
                "declared_level": "cong_khai",
                "submit": "1",
                "attachments": [
                    (io.BytesIO(NOTICE.encode("utf-8")), "lich-lam-viec.txt"),
                    (io.BytesIO(png), "anh.png"),
                ],
            },
            form_page="/author/submit",
            content_type="multipart/form-data",
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        item_id = response.headers["Location"].rsplit("/", 1)[-1]

        _wait_state(rt_a, item_id, "awaiting_signoff", 120, procs)  # screened by B

        manifest_hash = ""
        for approver in ("hung.le", "quan.vo"):
            b = browser(app, approver)
            page = b.get("/approvals/key")
            assert page.status_code == 200, page.get_data(as_text=True)[:1000]
            enrolled = b.post("/approvals/key", {"password": PASSWORD})
            assert enrolled.status_code == 302, enrolled.get_data(as_text=True)[:1000]
            html = b.get(f"/approvals/items/{item_id}").get_data(as_text=True)
            found = html.split('name="manifest_hash" type="hidden" value="')[1].split('"')[0]
            assert not manifest_hash or found == manifest_hash
            manifest_hash = found
            decided = b.post(
                f"/approvals/items/{item_id}/decide",
                {
                    "decision": "approve",
                    "comment": "",
                    "password": PASSWORD,
                    "manifest_hash": manifest_hash,
                },
            )
            assert decided.status_code == 302, decided.get_data(as_text=True)[:2000]

        _wait_state(rt_a, item_id, "published", 120, procs)  # published by B

        # -- the published bytes are the approved manifest's, byte for byte --------------------
        from clearance.domain.manifest import Manifest
        from clearance.storage.blobs import DatabaseBlobStore

        folder = home_b / "site" / "items" / item_id
        manifest_text = (folder / "manifest.json").read_text(encoding="utf-8")
        manifest = Manifest.from_json_text(manifest_text)
        assert manifest.hash == manifest_hash  # what the approvers signed
        published = {p.name for p in (folder / "files").iterdir()}
        assert published == {p.name for p in manifest.parts}
        assert {"lich-lam-viec.txt", "anh.png"} <= {p.name for p in manifest.parts}
        assert isinstance(rt_a.blobs, DatabaseBlobStore)
        for part in manifest.parts:
            data = (folder / "files" / part.name).read_bytes()
            assert hashlib.sha256(data).hexdigest() == part.sha256, part.name
            assert len(data) == part.size
            assert data == rt_a.blobs.read(part.sha256), part.name  # the bytes A's store holds
        notice = next(p for p in manifest.parts if p.name == "lich-lam-viec.txt")
        assert (folder / "files" / notice.name).read_bytes() == NOTICE.encode("utf-8")

        # -- a flow run created from A, run by B's worker: no result file anywhere -------------
        from prefect.client.schemas.objects import FlowRun
        from prefect.deployments import run_deployment
        from prefect.settings import PREFECT_API_URL, temporary_settings

        procs.finish("b-deploy", deploy)
        for name in DEPLOYMENTS:  # every deployment of prefect.yaml, on the pool
            with urllib.request.urlopen(f"{api}/deployments/name/{name}", timeout=10) as answer:
                assert json.loads(answer.read())["work_pool_name"] == "clearance", name
        with temporary_settings(updates={PREFECT_API_URL: api}):
            run = run_deployment("deadlines/deadlines", timeout=150, poll_interval=1)
        assert isinstance(run, FlowRun) and run.state is not None
        assert run.state.is_completed(), (run.state, procs.tail("b-prefect-worker"))

        # -- the audit log, appended by both homes, verifies offline ---------------------------
        export = logs / "export"
        procs.run(
            "a-export", [str(BIN / "clearance"), "audit", "export", str(export)], env_a, home_a
        )
        verified = procs.run(
            "a-verify",
            [str(BIN / "clearance"), "audit", "verify", str(export), "--vkey",
             str(home_a / "keys" / "log.vkey"), "--json"],
            env_a,
            home_a,
        )  # fmt: skip
        report = json.loads(verified[verified.index("{") :])
        assert report.get("ok") is True, report

        # -- isolation: no blob file in either home, B never saw A's folder ---------------------
        assert worker.poll() is None, procs.tail("b-prefect-worker")
        assert task_worker.poll() is None, procs.tail("b-task-worker")
        for home in (home_a, home_b):
            assert not (home / "blobs").exists()
            stray = [p for p in _files_under(home) if HEX64.match(p.name)]
            assert stray == [], stray
            results = _files_under(home / "prefect" / "storage")
            assert results == [], results
        b_pids = [pid for pid in procs.marked() if pid != server.pid]
        assert task_worker.pid in b_pids and worker.pid in b_pids
        for pid in b_pids:
            with contextlib.suppress(FileNotFoundError, ProcessLookupError):
                environ = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")
                if f"CLEARANCE_HOME={home_a}" in environ:
                    continue  # A's own commands (init, export) have ended; not B's
                assert str(home_a) not in environ, pid
                assert not os.readlink(f"/proc/{pid}/cwd").startswith(str(home_a)), pid
                for fd in Path(f"/proc/{pid}/fd").iterdir():
                    with contextlib.suppress(OSError):
                        assert not os.readlink(fd).startswith(str(home_a)), (pid, fd)
        rt_a.close()
    finally:
        procs.stop_all()
    assert procs.marked() == []
