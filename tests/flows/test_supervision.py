"""Process supervision: a second pipeline on the same home refuses to start, and ``kill -9`` of
``clearance pipeline run`` alone leaves none of its processes behind (server, workers)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clearance.errors import ConfigurationError
from flows.supervise import pipeline_lock
from tests.conftest import REPO
from tests.flows.conftest import make_settings, outside_env


def test_a_second_pipeline_on_the_same_home_is_refused(tmp_path: Path) -> None:
    with (
        pipeline_lock(tmp_path),
        pytest.raises(ConfigurationError, match="already running"),
        pipeline_lock(tmp_path),
    ):
        pass
    with pipeline_lock(tmp_path):  # released when the holder let go
        pass


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _descendants(pid: int) -> set[int]:
    tree, found, todo = _children(), set(), [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.xdist_group("prefect_server")
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_kill_9_of_the_pipeline_leaves_nothing_behind(world_template: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(world_template, home)
    settings = make_settings(home)
    env = {
        **outside_env(),
        "CLEARANCE_HOME": str(home),
        "CLEARANCE_DATABASE_URL": settings.database_url,
        "CLEARANCE_ENV": "test",
        "CLEARANCE_LOG_ORIGIN": settings.log_origin,
    }
    cli = [str(Path(sys.executable).parent / "clearance"), "pipeline", "run"]
    first = subprocess.Popen(cli, env=env, cwd=REPO, stdout=subprocess.PIPE, start_new_session=True)
    try:
        assert first.stdout is not None
        line = first.stdout.readline().decode()  # printed once the workers serve
        assert "Prefect API" in line, line
        second = subprocess.run(
            cli, check=False, env=env, cwd=REPO, capture_output=True, timeout=120
        )
        assert second.returncode != 0
        assert b"already running" in second.stderr + second.stdout
        tree = _descendants(first.pid)
        assert len(tree) >= 3  # the server and both workers, at least
        os.kill(first.pid, signal.SIGKILL)  # serve alone, not its group
        first.wait()
        deadline = time.monotonic() + 20
        while any(_alive(p) for p in tree) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [p for p in tree if _alive(p)], "processes outlived the pipeline"
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait()


@pytest.mark.slow
@pytest.mark.xdist_group("prefect_server")
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_the_whole_pipeline_killed_after_the_channel_write_publishes_once_after_restart(
    world_template: Path, tmp_path: Path
) -> None:
    """Through real Prefect: the dispatchers' worker reaches ``channel.written`` (the page is live, no
    log entry) and the whole tree dies; the restarted pipeline completes it, once."""
    from clearance.runtime import Runtime
    from clearance.services.items import load_item
    from tests.flows.conftest import approve_fully, log_types, submit_text

    home = tmp_path / "home"
    shutil.copytree(world_template, home)
    settings = make_settings(home)
    env = {
        **outside_env(),
        "CLEARANCE_HOME": str(home),
        "CLEARANCE_DATABASE_URL": settings.database_url,
        "CLEARANCE_ENV": "test",
        "CLEARANCE_LOG_ORIGIN": settings.log_origin,
    }
    cli = [str(Path(sys.executable).parent / "clearance"), "pipeline", "run"]
    rt = Runtime.open(settings)
    item = submit_text(rt)
    from clearance.services.review import review_revision

    review_revision(rt, item)
    approve_fully(rt, item)  # approved; nothing else was sent anywhere
    crashing = subprocess.Popen(
        cli,
        env={**env, "CLEARANCE_CRASH_POINT": "channel.written"},
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        tree: set[int] = set()
        deadline = time.monotonic() + 120
        while crashing.poll() is None and time.monotonic() < deadline:
            tree |= _descendants(crashing.pid)
            time.sleep(0.1)
        assert crashing.wait(5) == -signal.SIGKILL
    finally:
        if crashing.poll() is None:
            os.killpg(crashing.pid, signal.SIGKILL)
            crashing.wait()
    time.sleep(2)
    assert not [p for p in tree if _alive(p)], "processes outlived the pipeline"
    assert (settings.published_dir / "items" / item / "index.html").is_file()
    assert "publication.published" not in log_types(rt, item)
    again = subprocess.Popen(
        cli, env=env, cwd=REPO, stdout=subprocess.DEVNULL, start_new_session=True
    )
    try:
        started = time.monotonic()
        while time.monotonic() < started + 120:
            with rt.sessions() as session:
                if load_item(session, item).state == "published":
                    break
            time.sleep(0.2)
        print(f"restart to published: {time.monotonic() - started:.1f} s")
        assert log_types(rt, item).count("publication.published") == 1
    finally:
        os.killpg(again.pid, signal.SIGTERM)
        again.wait(60)
        rt.close()
