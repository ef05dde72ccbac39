"""Profiles of the three paths the benchmark measures, to find what to make faster.

    .venv/bin/python bench/hotspots.py startup   # pyinstrument: imports .. first answer
    .venv/bin/python bench/hotspots.py mix       # py-spy on `mockserver serve` under wrk
    .venv/bin/python bench/hotspots.py filter    # pyinstrument: (d) over 100,000 customers

Needs ``.venv/bin/pip install pyinstrument py-spy`` (py-spy attaches with ptrace: root, or
``kernel.yama.ptrace_scope=0``). Profiles go to bench/results/; the top functions by own
time (and, for ``mix``, by inclusive time) are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from run import (
    BENCH,
    PYTHON,
    asgi_get,
    ensure_wrk,
    free_port,
    latency_run,
    mix_window,
    mock_command,
    run_wrk,
    server,
)

OUT = BENCH / "results"


def write_pyinstrument(profiler: Any, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    text = profiler.output_text(unicode=False, color=False, show_all=False)
    (OUT / f"{name}.txt").write_text(text)
    (OUT / f"{name}.html").write_text(profiler.output_html())
    print(text)
    print(f"written to {OUT / name}.txt and .html", file=sys.stderr)


def profile_startup() -> None:
    """Everything ``mockserver serve`` does before uvicorn listens, then the first request
    (uvicorn's own start-up is a few milliseconds and not ours to change)."""
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    profiler.start()
    from mockserver.app import create_app
    from mockserver.datagen import generate
    from mockserver.serving import uvicorn_config
    from mockserver.settings import Settings

    settings = Settings(log_level="warning")
    dataset = generate(settings.seed, settings.customers, settings.invoices)
    app = create_app(settings, dataset=dataset)
    uvicorn_config(app, settings).load()
    status, _, _ = asyncio.run(asgi_get(app, "/api/customers", ""))
    profiler.stop()
    assert status == 200
    write_pyinstrument(profiler, "profile_startup")


def profile_filter(customers: int, invoices: int, iterations: int) -> None:
    from pyinstrument import Profiler

    from mockserver.datagen import generate
    from mockserver.store import Store

    store = Store(generate(1, customers, invoices))
    store.tenant()
    profiler = Profiler(interval=0.0002)
    profiler.start()
    figures = latency_run(store, iterations)
    profiler.stop()
    print(figures, file=sys.stderr)
    write_pyinstrument(profiler, "profile_filter")


def frame_name(frame: str) -> str:
    """``function (path:line)`` -> ``function (file)``: one name per function."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    for marker in ("site-packages/", "/main/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{name} ({path})"


def summarize_collapsed(path: Path, top: int) -> str:
    """Own and inclusive share of samples per function, from py-spy's raw output."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = [frame_name(f) for f in stack.split(";")]
        total += count
        own[frames[-1]] += count
        for name in set(frames):
            inclusive[name] += count
    lines = [f"{total} samples"]
    for title, counter in (("own time", own), ("inclusive time", inclusive)):
        lines.append(f"\ntop {top} by {title}:")
        for name, count in counter.most_common(top):
            lines.append(f"  {100 * count / total:5.1f} %  {name}")
    return "\n".join(lines)


def profile_mix(seconds: int, connections: int, top: int) -> None:
    wrk = ensure_wrk()
    window = mix_window()
    port = free_port()
    OUT.mkdir(parents=True, exist_ok=True)
    raw = OUT / "profile_mix.txt"
    with server(mock_command(port), port) as launched:
        run_wrk(wrk, port, 3, connections, window)  # warm the record caches
        spy = subprocess.Popen(
            [
                str(Path(PYTHON).parent / "py-spy"),
                "record",
                "--pid",
                str(launched.pid),
                "--rate",
                "250",
                "--duration",
                str(seconds),
                "--format",
                "raw",
                "--output",
                str(raw),
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.5)
        result = run_wrk(wrk, port, seconds, connections, window)
        spy.wait()
    summary = summarize_collapsed(raw, top)
    (OUT / "profile_mix_summary.txt").write_text(summary + "\n")
    print(f"mock under py-spy: {result['rps']:.0f} req/s (sampling slows it down)")
    print(summary)
    print(f"written to {raw} and {OUT / 'profile_mix_summary.txt'}", file=sys.stderr)


def main() -> None:
    parser = argparse.ArgumentParser(description="Profile start-up, the wrk mix or (d).")
    parser.add_argument("path", choices=("startup", "mix", "filter"))
    parser.add_argument("--seconds", type=int, default=15, help="mix: wrk/py-spy seconds")
    parser.add_argument("--connections", type=int, default=64, help="mix: wrk connections")
    parser.add_argument("--customers", type=int, default=100_000, help="filter: customers")
    parser.add_argument("--invoices", type=int, default=500_000, help="filter: invoices")
    parser.add_argument("--iterations", type=int, default=300, help="filter: requests")
    parser.add_argument("--top", type=int, default=30, help="mix: functions listed")
    args = parser.parse_args()
    if args.path == "startup":
        profile_startup()
    elif args.path == "mix":
        profile_mix(args.seconds, args.connections, args.top)
    else:
        profile_filter(args.customers, args.invoices, args.iterations)


if __name__ == "__main__":
    main()
