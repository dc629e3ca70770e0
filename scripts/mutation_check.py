"""Mutation check: flip each guarded condition of the rules' modules, run the tests that guard
them, and list the mutants no test kills ("if I delete this line, which test goes red?").

A mutant replaces the test of one ``if``, ``elif``, ``while``, conditional expression or
comprehension filter with ``not (...)``, one at a time, in the working tree; the original file is
put back after each run (also on Ctrl-C). A mutant is killed when its tests fail (or time out),
and survives when they pass. Usage::

    python scripts/mutation_check.py [--area NAME ...] [--file PATH ...] [--jobs N] [--timeout S]
                                     [--list] [--only FILE:LINE ...]

Areas (module -> tests) are listed in ``AREAS``; by default every area runs. Prints one line per
survivor (file:line and the condition) and a summary per file; exit 1 when any mutant survives.
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: area -> (modules to mutate, tests that guard them)
AREAS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "engine": (
        (
            "clearance/approval/rules.py",
            "clearance/approval/walk.py",
            "clearance/approval/chain.py",
            "clearance/approval/statement.py",
            "clearance/policy/signoff.py",
        ),
        (
            "tests/approval",
            "tests/policy/test_signoff.py",
            "tests/policy/test_versioning.py",
            "tests/auditlog/test_chains.py",
        ),
    ),
    "verifier": (
        ("clearance/auditlog/chains.py", "clearance/auditlog/workflow.py"),
        (
            "tests/auditlog/test_chains.py",
            "tests/auditlog/test_tamper.py",
            "tests/auditlog/test_signoff_read.py",
            "tests/auditlog/test_product_log.py",
            "tests/auditlog/test_workflow_grants.py",
        ),
    ),
    "signoff": (
        ("clearance/services/signoff.py",),
        (
            "tests/flows/test_review_signoff.py",
            "tests/webapp/test_signoff_view.py",
            "tests/webapp/test_workflow_views.py",  # the stale-stage and closed-item 409s
        ),
    ),
    "release": (
        ("clearance/publishing/release.py",),
        ("tests/flows/test_publishing.py", "tests/flows/test_release_grants.py"),
    ),
    "policy": (
        (
            "clearance/policy/loader.py",
            "clearance/policy/versioning.py",
            "clearance/policy/classify.py",
            "clearance/policy/store.py",
            "clearance/policy/reader.py",
            "clearance/yamlsource.py",
        ),
        ("tests/policy",),
    ),
}


@dataclass(frozen=True, slots=True)
class Mutant:
    path: str
    line: int
    start: int  # character offsets of the condition in the source
    end: int
    condition: str


def _offsets(source: str) -> list[int]:
    starts, total = [0], 0
    for line in source.splitlines(keepends=True):
        total += len(line)
        starts.append(total)
    return starts


def _guards(tree: ast.AST) -> Iterator[ast.expr]:
    for node in ast.walk(tree):
        if isinstance(node, ast.If | ast.While | ast.IfExp):
            test = node.test
            if isinstance(test, ast.Name) and test.id == "TYPE_CHECKING":
                continue
            yield test
        elif isinstance(node, ast.comprehension):
            yield from node.ifs


def mutants(path: str) -> list[Mutant]:
    source = (ROOT / path).read_text(encoding="utf-8")
    starts = _offsets(source)
    found: list[Mutant] = []
    for test in _guards(ast.parse(source)):
        assert test.end_lineno is not None and test.end_col_offset is not None
        # ast offsets count UTF-8 bytes within a line
        line_start = starts[test.lineno - 1]
        line_end = starts[test.end_lineno - 1]
        first = source[line_start:].encode()[: test.col_offset].decode()
        last = source[line_end:].encode()[: test.end_col_offset].decode()
        start, end = line_start + len(first), line_end + len(last)
        text = " ".join(source[start:end].split())
        found.append(Mutant(path, test.lineno, start, end, text))
    return sorted(found, key=lambda m: m.start)


def run_tests(tests: tuple[str, ...], timeout: float, jobs: int) -> bool:
    """True when the tests pass (the mutant survives)."""
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:randomly", "-p",
               "no:cacheprovider", "-m", "not slow", "--no-header", "-W", "ignore"]  # fmt: skip
    if jobs > 1:
        command += ["-n", str(jobs)]
    try:
        done = subprocess.run(
            [*command, *tests], cwd=ROOT, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


def check(mutant: Mutant, tests: tuple[str, ...], timeout: float, jobs: int) -> bool:
    file = ROOT / mutant.path
    original = file.read_text(encoding="utf-8")
    mutated = original[: mutant.start] + f"not ({original[mutant.start : mutant.end]})"
    mutated += original[mutant.end :]
    try:
        file.write_text(mutated, encoding="utf-8")
        return run_tests(tests, timeout, jobs)
    finally:
        file.write_text(original, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--area", action="append", choices=sorted(AREAS))
    parser.add_argument("--jobs", type=int, default=1, help="pytest-xdist workers per run")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per test run")
    parser.add_argument("--list", action="store_true", help="list the mutants, run nothing")
    parser.add_argument(
        "--only", action="append", metavar="FILE:LINE", help="run only these mutants (re-check)"
    )
    parser.add_argument(
        "--file", action="append", metavar="PATH", help="mutate only these modules of the areas"
    )
    args = parser.parse_args()
    areas = args.area or sorted(AREAS)
    if args.file:  # only the areas that mutate the named modules
        areas = [a for a in areas if set(AREAS[a][0]) & set(args.file)]
    if not args.list and not all(run_tests(AREAS[a][1], args.timeout, args.jobs) for a in areas):
        print("the unmutated tests fail; fix them first", file=sys.stderr)
        return 2
    survivors: list[Mutant] = []
    for area in areas:
        modules, tests = AREAS[area]
        for path in modules:
            if args.file and path not in args.file:
                continue
            found = [m for m in mutants(path) if not args.only or f"{m.path}:{m.line}" in args.only]
            if args.list:
                for m in found:
                    print(f"{m.path}:{m.line}: {m.condition}")
                continue
            began, lived = time.monotonic(), []
            for m in found:
                if check(m, tests, args.timeout, args.jobs):
                    lived.append(m)
                    print(f"SURVIVED {m.path}:{m.line}: not ({m.condition})", flush=True)
            survivors += lived
            print(
                f"{path}: {len(found)} mutants, {len(found) - len(lived)} killed, "
                f"{len(lived)} survived ({time.monotonic() - began:.0f} s)",
                flush=True,
            )
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
