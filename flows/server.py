"""Run the pipeline: a local Prefect server (embedded default) and a process serving the flows.

``pipeline_running(settings)`` is what the product's run command wraps around the web server:

- when ``PREFECT_API_URL`` is set, that server is used (the scale path: a Prefect server on
  PostgreSQL, workers on several machines running ``python -m flows.worker``);
- otherwise ``prefect server start`` runs as a subprocess with ``PREFECT_HOME`` and its SQLite
  database under ``CLEARANCE_HOME/prefect``, analytics off and ``DO_NOT_TRACK=1``
  (``CLEARANCE_PREFECT_DATABASE_URL=postgresql+asyncpg://...`` puts that server on PostgreSQL).

Then ``python -m flows.worker`` serves the scheduled ``deadlines`` and ``monitor-channels``
deployments and ``python -m flows.task_worker`` (``CLEARANCE_REVIEW_WORKERS`` of them, default 1)
reviews and publishes the waiting items (``flows.dispatch``: the database is the queue). Leaving the block stops the workers and the server
(SIGTERM, then SIGKILL after a grace period); if this process dies without leaving it, they die
with it (``flows.supervise``), and a second pipeline on the same home refuses to start.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from clearance.auditlog.witnessing import witnessing_in_background
from clearance.errors import ConfigurationError
from clearance.settings import Settings
from flows.supervise import child_env, pipeline_lock

READY_TIMEOUT = 90.0
STOP_GRACE = 15.0
#: fresh ports tried when the embedded server cannot bind the one it was given
START_ATTEMPTS = 3
#: the scheduled deployments the worker serves (``flow/deployment``), awaited before the block runs
DEPLOYMENTS = (
    "deadlines/deadlines",
    "monitor-channels/monitor-channels",
    "previews-backfill/previews-backfill",
)

OFFLINE = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_UI_ENABLED": "false",
    "PREFECT_UI_ENABLED": "false",
}


@dataclass(frozen=True, slots=True)
class Pipeline:
    """A running pipeline: where its API is and whether we started the server."""

    api_url: str
    embedded: bool
    log_dir: Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_env(settings: Settings, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for an embedded server: state under CLEARANCE_HOME/prefect, offline."""
    home = settings.home / "prefect"
    env = dict(os.environ if base is None else base)
    env.update(OFFLINE)
    env["PREFECT_HOME"] = str(home)
    env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = (
        settings.prefect_database_url or f"sqlite+aiosqlite:///{home / 'prefect.db'}"
    )
    env.pop("PREFECT_API_URL", None)
    return env


def wait_ready(
    api_url: str,
    *,
    timeout: float = READY_TIMEOUT,
    proc: subprocess.Popen[bytes] | None = None,
    home: Path | None = None,
) -> None:
    """Wait until the API answers; with ``home``, until it is *our* server that answers.

    The port comes from ``free_port()`` and is free only when probed: another server starting at
    the same moment (a second pipeline on this host, a parallel test) can take it, ours then exits
    with "address already in use" and the other one answers the health check. Asking the server
    for its ``PREFECT_HOME`` tells the two apart.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise ServerExited(
                f"the Prefect server exited with code {proc.returncode} while starting; "
                "see prefect-server.log under CLEARANCE_HOME/prefect"
            )
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2) as response:  # noqa: S310
                if response.status == 200 and (home is None or _serves_home(api_url, home)):
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.25)
    raise ConfigurationError(f"the Prefect API at {api_url} did not answer within {timeout:.0f} s")


class ServerExited(ConfigurationError):
    """The embedded server stopped while starting (most often: its port was taken)."""


def _serves_home(api_url: str, home: Path) -> bool:
    """Whether the server at ``api_url`` keeps its state in ``home`` (i.e. is the one we started)."""
    try:
        with urllib.request.urlopen(f"{api_url}/admin/settings", timeout=2) as response:  # noqa: S310
            served = json.loads(response.read()).get("home")
    except (urllib.error.URLError, OSError, ValueError, AttributeError):
        return False
    return isinstance(served, str) and Path(served).resolve() == home.resolve()


def stop(proc: subprocess.Popen[bytes], *, grace: float = STOP_GRACE) -> None:
    """SIGTERM the process group, wait, then SIGKILL what is left."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@contextlib.contextmanager
def prefect_server(settings: Settings) -> Iterator[Pipeline]:
    """Yield the API to use: ``PREFECT_API_URL`` if set, else a server we start and stop."""
    log_dir = settings.home / "prefect"
    log_dir.mkdir(parents=True, exist_ok=True)
    external = os.environ.get("PREFECT_API_URL")
    if external:
        wait_ready(external.rstrip("/"), timeout=30)
        yield Pipeline(external.rstrip("/"), False, log_dir)
        return
    env = server_env(settings)
    home = Path(env["PREFECT_HOME"])
    for attempt in range(1, START_ATTEMPTS + 1):
        port = free_port()
        log = (log_dir / "prefect-server.log").open("ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", "flows.supervise", "prefect", "server", "start",
             "--host", "127.0.0.1", "--port", str(port)],
            env=child_env(env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            api = f"http://127.0.0.1:{port}/api"
            try:
                wait_ready(api, proc=proc, home=home)
            except ServerExited:
                if attempt == START_ATTEMPTS:
                    raise
                continue  # most likely the port was taken in the meantime: another one
            yield Pipeline(api, True, log_dir)
            return
        finally:
            stop(proc)
            log.close()


def storage_path(settings: Settings) -> Path:
    """Where task parameters and results live: shared by triggers and workers on this host."""
    return settings.home / "prefect" / "storage"


def worker_env(api_url: str, base: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ if base is None else base)
    env.update(OFFLINE)
    env["PREFECT_API_URL"] = api_url
    env.setdefault("PREFECT_RUNNER_POLL_FREQUENCY", "1")
    env.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    # run logs stay in the worker's log file: shipping them to the API costs a write per line
    # on the embedded SQLite server
    env.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")
    return env


def start_worker(
    api_url: str,
    log_dir: Path,
    *,
    module: str = "flows.worker",
    env: Mapping[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    log = (log_dir / f"{module.rsplit('.', 1)[-1]}.log").open("ab")
    try:
        return subprocess.Popen(
            [sys.executable, "-m", module],
            env=child_env(worker_env(api_url, env)),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    finally:
        log.close()


def wait_deployments(
    api_url: str, *, timeout: float = READY_TIMEOUT, proc: subprocess.Popen[bytes] | None = None
) -> None:
    """Wait until every deployment is registered (the worker registers them on start)."""
    deadline = time.monotonic() + timeout
    for name in DEPLOYMENTS:
        url = f"{api_url}/deployments/name/{name}"
        while True:
            if proc is not None and proc.poll() is not None:
                raise ConfigurationError(
                    f"the flow worker exited with code {proc.returncode}; see worker.log"
                )
            try:
                with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise ConfigurationError(f"deployment {name} was not served within {timeout:.0f} s")
            time.sleep(0.25)


def review_workers(settings: Settings) -> int:
    """How many review worker processes to start (``CLEARANCE_REVIEW_WORKERS``, default 1).

    More than one needs Clearance on PostgreSQL, where the dispatchers share the waiting items
    through advisory locks; on SQLite a second dispatcher would screen the same items again.
    """
    count = settings.review.workers
    if count > 1 and settings.is_sqlite:
        raise ConfigurationError(
            "CLEARANCE_REVIEW_WORKERS above 1 needs Clearance on PostgreSQL "
            "(CLEARANCE_DATABASE_URL=postgresql+psycopg://...); on SQLite run one"
        )
    return count


@contextlib.contextmanager
def pipeline_running(settings: Settings) -> Iterator[Pipeline]:
    """Server (or PREFECT_API_URL) plus the workers (the scheduled flows and the dispatchers);
    PREFECT_API_URL is set in this process while the block runs, so the triggers leave the work
    to the dispatchers.

    One pipeline per home: ``CLEARANCE_HOME/pipeline.lock`` is held while the block runs (a
    second one refuses to start); every process it starts dies with this one, even by SIGKILL
    (``flows.supervise``)."""
    with pipeline_lock(settings.home), prefect_server(settings) as pipeline:
        shared = {
            "PREFECT_API_URL": pipeline.api_url,
            "PREFECT_RESULTS_LOCAL_STORAGE_PATH": str(storage_path(settings)),
        }
        previous = {name: os.environ.get(name) for name in shared}
        os.environ.update(shared)
        workers = [
            start_worker(pipeline.api_url, pipeline.log_dir, module="flows.worker"),
            *(
                start_worker(pipeline.api_url, pipeline.log_dir, module="flows.task_worker")
                for _ in range(review_workers(settings))
            ),
        ]
        try:
            wait_deployments(pipeline.api_url, proc=workers[0])
            with witnessing_in_background(settings):
                yield pipeline
        finally:
            for worker in workers:
                stop(worker)
            forget_prefect_clients()
            for name, value in previous.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def forget_prefect_clients(timeout: float = 5.0) -> None:
    """Drop this process's Prefect services bound to the API that is going away.

    Prefect keeps one events worker per process, created with the API URL current at the first
    event and reused afterwards: after the pipeline restarts on another port (``clearance serve``
    restarted in one process, a second pipeline in a test run) every event would still go to the
    old server and be lost. Draining it here makes the next trigger start one on the new API.
    """
    worker_module = sys.modules.get("prefect.events.worker")
    if worker_module is None:
        return  # this process never talked to Prefect
    with contextlib.suppress(Exception):  # best effort: the server may already be gone
        worker_module.EventsWorker.drain_all(timeout=timeout, at_exit=False)
