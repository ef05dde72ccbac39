"""How fast the test helpers are, on this machine.

(1) enter-to-ready of ``MockServer(seed=3, customers=20)`` (100 invoices) in a fresh process,
    after ``import mockserver.testing`` (the import is excluded, as issue 4 says): the first
    start in a process, which pays for lazily imported modules; target 0.3 s;
(2) the same in a warm process (every later start), and the time ``stop()`` takes;
(3) creating a tenant of the default size (200 customers, 1000 invoices); target 20 ms.

Usage: .venv/bin/python bench/fixture_startup.py [--processes 5] [--starts 20]
Prints one line per figure (median, min, max) with its target; exit status 1 if a median
misses its target. Not a test: run it by hand.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

START_TARGET_S = 0.3
TENANT_TARGET_S = 0.020

_COLD = """
import json, time
import mockserver.testing
started = time.perf_counter()
server = mockserver.testing.MockServer(seed=3, customers=20).start()
ready = time.perf_counter() - started
server.stop()
print(json.dumps(ready))
"""


def cold_starts(processes: int) -> list[float]:
    timings = []
    for _ in range(processes):
        done = subprocess.run(
            [sys.executable, "-c", _COLD], capture_output=True, text=True, check=True
        )
        timings.append(float(json.loads(done.stdout)))
    return timings


def warm_starts(starts: int) -> tuple[list[float], list[float]]:
    from mockserver.testing import MockServer

    MockServer(customers=20).start().stop()
    ready, stopped = [], []
    for _ in range(starts):
        began = time.perf_counter()
        server = MockServer(seed=3, customers=20).start()
        ready.append(time.perf_counter() - began)
        began = time.perf_counter()
        server.stop()
        stopped.append(time.perf_counter() - began)
    return ready, stopped


def tenant_creations(count: int) -> list[float]:
    from mockserver.datagen import generate
    from mockserver.store import Store

    store = Store(generate(1, 200, 1000))
    store.tenant("default")
    timings = []
    for i in range(count):
        began = time.perf_counter()
        store.tenant(f"tenant-{i}")
        timings.append(time.perf_counter() - began)
    return timings


def _line(label: str, timings: list[float], target: float | None) -> bool:
    median = statistics.median(timings)
    verdict = ""
    if target is not None:
        verdict = f"  target {target * 1000:.0f} ms: " + ("ok" if median <= target else "MISSED")
    print(
        f"{label:<46} median {median * 1000:7.1f} ms  min {min(timings) * 1000:7.1f} ms  "
        f"max {max(timings) * 1000:7.1f} ms{verdict}"
    )
    return target is None or median <= target


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=5, help="fresh processes for (1)")
    parser.add_argument("--starts", type=int, default=20, help="starts in one process for (2)")
    args = parser.parse_args()
    ok = _line("(1) enter-to-ready, first start in a process", cold_starts(args.processes),
               START_TARGET_S)  # fmt: skip
    ready, stopped = warm_starts(args.starts)
    ok &= _line("(2) enter-to-ready, later starts", ready, START_TARGET_S)
    _line("    stop()", stopped, None)
    ok &= _line("(3) new tenant, 200 customers / 1000 invoices", tenant_creations(50),
                TENANT_TARGET_S)  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
