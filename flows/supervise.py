"""Every process the pipeline starts dies with the one that started it, and one pipeline per home.

- ``pipeline_lock(home)``: an exclusive ``flock`` on ``CLEARANCE_HOME/pipeline.lock``, held for
  as long as the pipeline runs. The kernel releases it when the holder dies, however it dies, so
  a stale lock never blocks a restart, and a second pipeline on the same home (two review
  dispatchers on one SQLite database) refuses to start with a message naming the holder.
- ``take_group_down_with_parent()``: called first thing by a process the pipeline started in a
  session of its own (the Prefect server, ``flows.worker``, ``flows.task_worker``). Linux delivers
  ``SIGUSR2`` when the parent dies (``prctl(PR_SET_PDEATHSIG)``); the handler SIGKILLs the
  process's whole group, so the children it started (uvicorn, the flow-run processes) go too.
  If the parent is already gone when the process arms it (it died between fork and prctl), the
  group is killed at once. ``CLEARANCE_PARENT_PID`` says which parent to watch; without it
  (a worker started by hand on the scale path) nothing is armed.
- ``die_with_runner()``: called by the deployment flows, which Prefect's runner starts in
  processes of their own (possibly in a new session): SIGKILL when the runner that started them
  dies (``CLEARANCE_RUNNER_PID``, set by ``flows.worker``).

``python -m flows.supervise MODULE ARGS...`` arms the group watch, then runs ``python -m MODULE
ARGS...`` in the same process: that is how the Prefect server is started.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import fcntl
import os
import runpy
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

from clearance.errors import ConfigurationError
from clearance.settings import InternalSettings, env_name, load_internal_settings

PARENT_ENV = env_name(InternalSettings, "parent_pid")
RUNNER_ENV = env_name(InternalSettings, "runner_pid")
LOCK_NAME = "pipeline.lock"
#: prctl option: the signal this process gets when its parent dies (linux/prctl.h)
PR_SET_PDEATHSIG = 1


def _set_parent_death_signal(signum: int) -> bool:
    """Ask Linux for ``signum`` when the parent dies; False where prctl does not exist."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    return True


def _kill_group(*_: object) -> None:
    with contextlib.suppress(OSError):
        os.killpg(os.getpgid(0), signal.SIGKILL)
    os.kill(os.getpid(), signal.SIGKILL)


def take_group_down_with_parent() -> None:
    """When the parent named by ``CLEARANCE_PARENT_PID`` dies, SIGKILL this process's group."""
    parent = load_internal_settings().parent_pid
    if parent is None:
        return
    signal.signal(signal.SIGUSR2, _kill_group)
    armed = _set_parent_death_signal(signal.SIGUSR2)
    if armed and os.getppid() != parent:
        _kill_group()  # the parent died before we could ask to be told


def die_with_runner() -> None:
    """In a flow-run process: SIGKILL when the runner (``CLEARANCE_RUNNER_PID``) dies."""
    runner = load_internal_settings().runner_pid
    if runner is None or runner == os.getpid():
        return
    if os.getppid() != runner:
        return  # not started by that runner (a run executed in-process, a test)
    _set_parent_death_signal(signal.SIGKILL)
    if os.getppid() != runner:
        os.kill(os.getpid(), signal.SIGKILL)


def child_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` for a child that must die with this process."""
    return {**env, PARENT_ENV: str(os.getpid())}


@contextlib.contextmanager
def pipeline_lock(home: Path) -> Iterator[Path]:
    """Hold ``home/pipeline.lock`` exclusively while the block runs (released by the kernel
    when this process dies)."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / LOCK_NAME
    handle = path.open("a+")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise ConfigurationError(
                f"another pipeline is already running on {home} (process {holder} holds "
                f"{path}); stop it first, or give this one a CLEARANCE_HOME of its own"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield path
    finally:
        handle.close()  # closing the descriptor releases the lock


def main() -> None:
    """``python -m flows.supervise MODULE ARGS...``."""
    if len(sys.argv) < 2:
        raise SystemExit("usage: python -m flows.supervise MODULE [ARGS...]")
    take_group_down_with_parent()
    module = sys.argv[1]
    sys.argv = [module, *sys.argv[2:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
