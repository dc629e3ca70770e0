"""The verifier streams: the tree holds O(log n) hashes and a window, old cited checkpoints are
checked by re-reading their block, cold revisions wait in a temporary file, and memory does not
grow with the number of entries."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearance.auditlog import verify as verify_module
from clearance.auditlog import workflow as workflow_module
from clearance.auditlog.rfc6962 import leaf_hash
from clearance.auditlog.tree import Block, Levels, StreamingTree
from clearance.errors import BadInput
from tests.auditlog.auditlog_scenario import Scenario

ROOT = Path(__file__).resolve().parents[2]


def _root_anyhow(tree: StreamingTree, hashes: bytes, size: int) -> bytes:
    """The tree's root at ``size``, from its window or by rebuilding the block (as the verifier
    does for an old cited checkpoint)."""
    root = tree.root(size)
    if root is not None:
        return root
    number = tree.block_of(size)
    ((_, before),) = list(tree.edges_before([number]))
    first = number * tree.block
    block = Block(first, before, hashes[first * 32 : (first + tree.block) * 32])
    assert block.levels[-1] == tree.block_root(number)
    return block.root(size)


@given(
    st.integers(0, 200),
    st.sampled_from([1, 2, 4, 8, 16]),
    st.integers(1, 3),
    st.lists(st.integers(1, 40), min_size=1, max_size=30),
)
@settings(max_examples=60, deadline=None)
def test_streaming_tree_roots_are_rfc6962_roots_at_every_size(
    total: int, block: int, keep: int, steps: list[int]
) -> None:
    hashes = b"".join(leaf_hash(i.to_bytes(4, "big")) for i in range(total))
    levels = Levels.from_blob(hashes)
    tree = StreamingTree(block, keep)
    fed, step = 0, 0
    while fed < total:
        take = min(steps[step % len(steps)], total - fed)
        completed = tree.extend(hashes[fed * 32 : (fed + take) * 32])
        fed += take
        step += 1
        assert [b.first for b in completed] == [
            n * block for n in range((fed - take) // block, fed // block)
        ]
        for size in range(fed + 1):
            assert _root_anyhow(tree, hashes, size) == levels.root(size), (size, fed)
    assert tree.root() == levels.root()
    # only the window is held: a size in a block older than `keep` blocks needs its leaves
    if total >= block * (keep + 2):
        assert tree.root(1) is None


def test_streaming_tree_refuses_bad_shapes() -> None:
    with pytest.raises(BadInput, match="power of two"):
        StreamingTree(3, 1)
    tree = StreamingTree(2, 1)
    with pytest.raises(BadInput, match="32 bytes"):
        tree.extend(b"x" * 33)
    with pytest.raises(BadInput, match="outside"):
        tree.root(1)


def _scenarios(honest: Scenario, forged: Scenario, tmp_path: Path) -> list[tuple[str, Path]]:
    """An honest log and one whose approver cites a forged root (export_thinning's attack)."""
    out = [(honest.signer.verifier.vkey, honest.export(tmp_path / "honest"))]
    for selection in ("all", "latest"):
        export = forged.export(tmp_path / f"forged-{selection}", selection)
        out.append((forged.signer.verifier.vkey, export))
    return out


def test_a_tiny_window_and_revision_cache_give_the_same_report(
    honest_story: Scenario, forged_story: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a window of one two-leaf block every cited checkpoint is checked by re-reading its
    block, and with one revision in memory the others go through the temporary file: the
    reports are those of the defaults, findings included."""
    cases = _scenarios(honest_story, forged_story, tmp_path)
    expected = [verify_module.verify_export(export, vkey).as_dict() for vkey, export in cases]
    assert expected[0]["ok"] is True
    codes = [[f["code"] for f in report["findings"]] for report in expected[1:]]  # type: ignore[attr-defined]
    assert codes == [["signoff-checkpoint"]] * 2
    rereads: list[int] = []
    writes: list[int] = []
    reread, write = verify_module._Stream._reread, workflow_module.Revisions._write

    def counting_reread(self: Any, number: int, before: tuple[bytes, ...]) -> Block:
        rereads.append(number)
        return reread(self, number, before)

    def counting_write(self: Any) -> None:
        writes.append(len(self._cold))
        write(self)

    monkeypatch.setattr(verify_module._Stream, "_reread", counting_reread)
    monkeypatch.setattr(workflow_module.Revisions, "_write", counting_write)
    monkeypatch.setattr(verify_module, "TREE_BLOCK", 2)
    monkeypatch.setattr(verify_module, "TREE_KEEP", 1)
    monkeypatch.setattr(workflow_module.Revisions, "HOT", 1)
    monkeypatch.setattr(workflow_module.Revisions, "_WRITE_BATCH", 1)
    got = [verify_module.verify_export(export, vkey).as_dict() for vkey, export in cases]
    assert got == expected
    assert rereads and writes  # both paths were taken


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "auditlog_verify_bench", ROOT / "bench" / "auditlog_verify.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_CHILD = """
import json, resource, sys
from pathlib import Path
from clearance.auditlog import workflow, verify
workflow.Revisions.HOT = 500
directory = Path(sys.argv[1])
report = verify.verify_export(directory, (directory / "log.vkey").read_text().strip(), workers=1)
print(json.dumps({"ok": report.ok, "entries": report.entries, "signatures": report.signatures,
                  "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def _peak(directory: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(directory)],
        capture_output=True, text=True, timeout=600, check=True, cwd=ROOT,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.mark.slow
def test_memory_does_not_grow_with_entries(tmp_path: Path) -> None:
    """Verify a 40k- and a 200k-entry export, each in a fresh process, both opening with
    several slices of dense workflow lines (a fifth of the entries are sign-offs; revisions
    beyond 500 go to the temporary file): the peak RSS differs by far less than the old
    verifier's 0.34 KB per entry (about 55 MiB here)."""
    bench = _bench()
    small, large = tmp_path / "small", tmp_path / "large"
    bench.build(small, 40_000, 8_000)
    bench.build(large, 200_000, 40_000)
    a, b = _peak(small), _peak(large)
    assert a["ok"] and b["ok"], (a, b)
    assert (a["entries"], b["entries"], b["signatures"]) == (40_000, 200_000, 40_000)
    grown = b["rss_kib"] - a["rss_kib"]
    assert grown < 40 * 1024, f"peak RSS grew {grown} KiB from 40k to 200k entries"


def _group(pgid: int) -> list[str]:
    """The processes of group ``pgid`` (Linux /proc), zombies included."""
    members = []
    for pid in (p for p in Path("/proc").iterdir() if p.name.isdigit()):
        try:
            stat = (pid / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[2]) == pgid:
            members.append(pid.name)
    return members


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process groups in /proc")
def test_the_verifier_leaves_no_process_in_its_group(tmp_path: Path) -> None:
    """With worker processes (an export above the parallel threshold), nothing of the verifier's
    process group is left once it has exited: the pool's workers are joined, and its helper
    (the resource tracker) ends with it."""
    export = tmp_path / "export"
    _bench().build(export, 3 * verify_module.PARALLEL_THRESHOLD, 1_000)
    child = subprocess.Popen(
        [sys.executable, "-m", "clearance.auditlog.offline", "verify", str(export),
         "--vkey", str(export / "log.vkey"), "--workers", "2"],
        start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
    )  # fmt: skip
    seen: set[str] = set()
    while child.poll() is None:
        seen.update(_group(child.pid))
        time.sleep(0.05)
    out, err = child.communicate()
    assert child.returncode == 0 and out.startswith(b"OK:"), err
    assert len(seen - {str(child.pid)}) >= 2, seen  # the workers did run, in its group
    deadline = time.monotonic() + 5
    while _group(child.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _group(child.pid) == []
