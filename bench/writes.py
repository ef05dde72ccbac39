"""The write mix of issue 15: requests per second of invoice writes, and the read mix beside it.

One ``mockserver serve`` (default data) takes, in order: the read mix of ``bench/run.py`` (b)
(``bench/mix.lua``) on untouched data; the write mix (``bench/write_mix.lua``: one invoice
created with two rows per three rows or payments added, all in the default tenant); the read
mix again, now over a tenant that has written thousands of invoices (its reads go through the
copy-on-write overlay). Each phase is one wrk run (``-t1 -c<connections>``); every answer must
be a 200. Not a test: timing belongs here, run it by hand on an idle machine.

Usage: .venv/bin/python bench/writes.py [--duration 5] [--connections 16]
Prints one line per phase and writes bench/results/writes.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from run import (
    BENCH,
    HOST,
    RESULTS,
    cpu_seconds,
    ensure_wrk,
    free_port,
    mix_window,
    mock_command,
    run_wrk,
    server,
)

OUT = RESULTS.parent / "writes.json"


def run_write_mix(wrk: str, port: int, seconds: int, connections: int) -> dict[str, Any]:
    command = [
        wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s",
        "-s", str(BENCH / "write_mix.lua"), f"http://{HOST}:{port}",
    ]  # fmt: skip
    env = dict(os.environ, MIX_CUSTOMERS="200", MIX_INVOICES="1000")
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    for line in done.stdout.splitlines():
        if line.startswith("MIX_RESULT "):
            result: dict[str, Any] = json.loads(line.removeprefix("MIX_RESULT "))
            result["rps"] = round(result["requests"] / (result["duration_us"] / 1e6), 1)
            return result
    raise RuntimeError(f"wrk printed no result:\n{done.stdout}\n{done.stderr}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per phase")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--out", type=Path, default=OUT, help="JSON results file")
    args = parser.parse_args()
    wrk = ensure_wrk()
    window = mix_window()
    port = free_port()
    results: dict[str, Any] = {"connections": args.connections, "seconds": args.duration}
    with server(mock_command(port), port) as launched:
        phases = (
            ("reads_before", lambda: run_wrk(wrk, port, args.duration, args.connections, window)),
            ("writes", lambda: run_write_mix(wrk, port, args.duration, args.connections)),
            ("reads_after", lambda: run_wrk(wrk, port, args.duration, args.connections, window)),
        )
        for name, phase in phases:
            before = cpu_seconds(launched.pid)
            result = phase()
            after = cpu_seconds(launched.pid)
            if before is not None and after is not None and result["requests"]:
                result["server_cpu_us_per_request"] = round(
                    (after - before) / result["requests"] * 1e6, 1
                )
            errors = sum(result["errors"].values())
            results[name] = result
            print(
                f"{name:>12}: {result['rps']:8.0f} req/s, p50 {result['latency_us']['p50']} us, "
                f"p99 {result['latency_us']['p99']} us, server CPU "
                f"{result.get('server_cpu_us_per_request', '?')} us/request, errors {errors}"
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    failed = any(
        sum(results[p]["errors"].values()) for p in ("reads_before", "writes", "reads_after")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
