"""Benchmark: a witness (``clearance witness serve``, its own process) answering add-checkpoint.

A log of 200,000 leaves is built in memory; the witness is first given size 1,000, then each
request advances the tree by 1,000 entries with the RFC 6962 consistency proof from the previous
size, over one keep-alive HTTP connection, as the log's collector sends them. Target: p95 <= 20 ms.
Also printed: the bare HTTP round trip of the same server (a 404 GET) as the baseline ratio.
Usage: python bench/witness_add.py [REQUESTS]
"""

from __future__ import annotations

import http.client
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from clearance.auditlog.checkpoint import Checkpoint
from clearance.auditlog.note import Signer
from clearance.auditlog.proof import consistency_proof
from clearance.auditlog.tree import Levels
from clearance.auditlog.witnessrequest import format_request

STEP = 1000


def _clearance(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "cli", *args], capture_output=True,
                          text=True, check=True)  # fmt: skip
    return done.stdout


def main() -> None:
    requests = int(sys.argv[1]) if len(sys.argv) > 1 else 199
    signer = Signer.generate("bench.clearance.local/log")
    levels = Levels([os.urandom(32) for _ in range((requests + 1) * STEP)])
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "witness"
        _clearance("witness", "init", "--home", str(home), "--name", "bench.example/w1")
        _clearance("witness", "trust", "--home", str(home), signer.verifier.vkey)
        server = subprocess.Popen(
            [sys.executable, "-m", "cli", "witness", "serve", "--home", str(home),
             "--listen", "127.0.0.1:0"],
            stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert server.stderr is not None
            found = re.search(r"http://([\d.]+):(\d+)", server.stderr.readline())
            assert found
            conn = http.client.HTTPConnection(found.group(1), int(found.group(2)), timeout=10)

            def post(body: bytes) -> int:
                conn.request("POST", "/add-checkpoint", body=body)
                response = conn.getresponse()
                response.read()
                return response.status

            def note(size: int) -> str:
                return Checkpoint(signer.name, size, levels.root(size)).sign([signer])

            assert post(format_request(0, [], note(STEP))) == 200
            bodies = [
                format_request(n, consistency_proof(levels, n, n + STEP), note(n + STEP))
                for n in range(STEP, requests * STEP + 1, STEP)
            ]
            timings = []
            for body in bodies:
                t0 = time.perf_counter()
                status = post(body)
                timings.append(time.perf_counter() - t0)
                assert status == 200, status
            bare = []
            for _ in range(len(bodies)):
                t0 = time.perf_counter()
                conn.request("GET", "/nothing")
                conn.getresponse().read()
                bare.append(time.perf_counter() - t0)
        finally:
            server.terminate()
            server.wait(10)
    p95 = statistics.quantiles(timings, n=20)[-1] * 1000
    bare95 = statistics.quantiles(bare, n=20)[-1] * 1000
    print(f"add-checkpoint with a {STEP}-entry consistency proof, {len(timings)} requests")
    print(f"  median {statistics.median(timings) * 1000:.2f} ms, p95 {p95:.2f} ms "
          f"(target <= 20 ms: {p95 / 20:.2f}x the limit)")  # fmt: skip
    print(f"  bare HTTP round trip p95 {bare95:.2f} ms; ratio {p95 / bare95:.1f}")


if __name__ == "__main__":
    main()
