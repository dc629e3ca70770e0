"""Tiled OCR of a very large scan: a 10,000 x 14,000 px (140 Mpx) grey page (a letter with a
TỐI MẬT stamp, rendered at that size) screened on two cores under the policy's own 30 s cap, in a
fresh process each run (as :mod:`bench.screening_ocr` runs its pages), with its peak memory.

The page is read in 2,400 px tiles with 480 px of overlap (:func:`~clearance.screening.extract.ocr
.tiles`); the run reports whether the verdict came within the cap (``blocked``) or the cap held it.

Run: .venv/bin/python bench/screening_ocr_tiled.py [--runs 3] [--max-seconds N]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from screening_ocr import _report, _run  # noqa: E402

from tests.screening import corpus_ocr  # noqa: E402

SIZE = (10_000, 14_000)


def _page() -> bytes:
    page = corpus_ocr.letter("TỐI MẬT", width=SIZE[0]).convert("L")
    if page.size != SIZE:
        page = page.crop((0, 0, *SIZE)) if page.height >= SIZE[1] else page.resize(SIZE)
    return corpus_ocr.encode(page, "PNG", optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-seconds", type=int, help="raise the 30 s cap (a loaded machine)")
    args = parser.parse_args()
    if args.max_seconds:
        os.environ["BENCH_MAX_SECONDS"] = str(args.max_seconds)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "scan.png"
        path.write_bytes(_page())
        print(f"page: {path.stat().st_size} bytes PNG, {SIZE[0]} x {SIZE[1]} px grey; "
              f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        runs = [_run(path, "scan.png", 2) for _ in range(args.runs)]
        for run in runs:
            print(f"  run: {float(run['seconds']):.1f} s, verdict {run['verdict']}, "
                  f"CPU {float(run['cpu']):.1f} s")  # fmt: skip
        _report("140 Mpx grey scan, tiled OCR, 2 cores", runs, 30.0)
        print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
