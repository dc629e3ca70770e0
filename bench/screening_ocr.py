"""OCR speed and memory: one A4 page scanned at 300 dpi (JPEG, a red stamp, slightly turned)
OCR'd and screened on one core (target <= 2 s median), a 20-page scanned PDF on two cores
(target <= 30 s), and the peak resident memory of the screening process and of its largest
helper process (Tesseract, pdftoppm) in each case (target <= 500 MB).

Each run is a fresh process pinned to the cores it may use, so the figures include nothing
cached between runs except the operating system's file cache.

Run: .venv/bin/python bench/screening_ocr.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.screening import corpus_ocr  # noqa: E402

A4_300DPI = 2480  # pixels across an A4 page at 300 dpi


def _page(stamp: str | None) -> bytes:
    page = corpus_ocr.photograph(corpus_ocr.letter(stamp, width=A4_300DPI), skew=1.5, noise=3000)
    return corpus_ocr.encode(page, "JPEG", quality=80)


def _pdf() -> bytes:
    pages = [corpus_ocr.letter("MẬT" if n == 19 else None, width=A4_300DPI) for n in range(20)]
    return corpus_ocr.image_pdf(pages, dpi=300)


def _high_water_mb(pid: int | str) -> int:
    """VmHWM (peak resident set since the process's last exec; ru_maxrss would carry the
    parent's peak across fork and exec)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return 0


def _descendants(pid: int) -> list[str]:
    found: list[str] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            found.append(child)
            found.extend(_descendants(int(child)))
    return found


def _child(path: str, name: str) -> None:
    from dataclasses import replace

    from clearance.screening import load_screening_rules, screen_file

    rules = load_screening_rules(ROOT / "clearance" / "policies_default" / "screening.yaml")
    seconds_cap = os.environ.get("BENCH_MAX_SECONDS")
    if seconds_cap:  # a loaded machine: let the file finish so its CPU time is measured whole
        rules = replace(rules, limits=replace(rules.limits, max_seconds=int(seconds_cap)))
    data = Path(path).read_bytes()
    peak = [0]
    done = threading.Event()

    def watch() -> None:  # samples the helpers' high-water marks while they run
        while not done.wait(0.01):
            for pid in _descendants(os.getpid()):
                try:
                    command = Path(f"/proc/{pid}/comm").read_text().strip()
                except OSError:
                    continue
                if not command.startswith("python"):  # before exec it is still our own copy
                    peak[0] = max(peak[0], _high_water_mb(pid))

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    start = time.perf_counter()
    result = screen_file(data, name, rules)
    seconds = time.perf_counter() - start
    done.set()
    watcher.join()
    own, helpers = _high_water_mb("self"), peak[0]
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    cpu = sum(u.ru_utime + u.ru_stime for u in usage)
    print(json.dumps({"seconds": seconds, "verdict": str(result.verdict), "cpu": cpu, "own_mb": own,
                      "helper_mb": helpers}))  # fmt: skip


def _run(path: Path, name: str, cores: int) -> dict[str, float | str]:
    env = {**os.environ, "CLEARANCE_OCR_WORKERS": str(cores), "CLEARANCE_SCREENING_WORKERS": "0"}
    cpus = sorted(os.sched_getaffinity(0))[:cores]
    command = ["taskset", "-c", ",".join(map(str, cpus)), sys.executable, __file__, "--child",
               str(path), name]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _report(label: str, runs: list[dict[str, float | str]], target: float) -> None:
    times = [float(r["seconds"]) for r in runs]
    median = statistics.median(times)
    own = max(float(r["own_mb"]) for r in runs)
    helper = max(float(r["helper_mb"]) for r in runs)
    cpu = statistics.median(float(r["cpu"]) for r in runs)
    print(
        f"{label}: verdict {runs[0]['verdict']}, median {median:.2f} s over {len(runs)} runs "
        f"(min {min(times):.2f}, max {max(times):.2f}), CPU {cpu:.2f} s; target <= {target:.0f} s, "
        f"ratio {median / target:.2f}; peak RSS screening process {own:.0f} MB, "
        f"largest helper process {helper:.0f} MB, sum {own + helper:.0f} MB (target <= 500, "
        f"ratio {(own + helper) / 500:.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", nargs=2)
    parser.add_argument(
        "--max-seconds", type=int, help="raise the policy's time cap (measure a loaded machine)"
    )
    args = parser.parse_args()
    if args.max_seconds:
        os.environ["BENCH_MAX_SECONDS"] = str(args.max_seconds)
    if args.child:
        _child(*args.child)
        return
    with tempfile.TemporaryDirectory() as folder:
        page, pdf = Path(folder) / "page.jpg", Path(folder) / "scan.pdf"
        page.write_bytes(_page("TỐI MẬT"))
        pdf.write_bytes(_pdf())
        print(f"A4 page: {page.stat().st_size} bytes JPEG, 2480 x 3508 px; "
              f"20-page PDF: {pdf.stat().st_size} bytes")  # fmt: skip
        _run(page, "page.jpg", 1)  # warm the file cache
        _report("A4 300 dpi page, 1 core", [_run(page, "page.jpg", 1) for _ in range(args.runs)],
                2.0)  # fmt: skip
        runs = max(1, args.runs // 2)
        _report("20-page scanned PDF, 2 cores", [_run(pdf, "scan.pdf", 2) for _ in range(runs)],
                30.0)  # fmt: skip


if __name__ == "__main__":
    main()
