"""The dashboard's journal stream (``GET /_mock/requests/stream``) under the throughput mix.

Three short wrk runs (bench/mix.lua, as bench/run.py's figure (b)) against one
``mockserver serve``:

1. no stream open: the mix's requests per second, for reference;
2. one reader that keeps up (reads as fast as the socket gives);
3. one slow reader (4 KiB every 50 ms): the stream must drop and say so with
   ``event: skipped`` ("N skipped") rather than hold more in memory.

For each: wrk's requests per second, the events and the skipped entries the reader saw, and
the server's peak resident memory (sampled from /proc every 0.2 s). It is not a test: run it
by hand. Usage: .venv/bin/python bench/ui_stream.py [--duration 10] [--connections 64]
"""

from __future__ import annotations

import argparse
import json
import re
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import run  # noqa: E402  (bench/run.py: the server launcher and wrk runner)

_SKIPPED = re.compile(rb'"skipped":\s*(\d+)')


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


class Reader(threading.Thread):
    """Reads the stream over a raw socket, counting ``id:`` lines (entries) and the numbers
    of ``event: skipped``; ``pause_s`` between reads of ``chunk`` bytes makes it slow."""

    def __init__(self, port: int, chunk: int, pause_s: float) -> None:
        super().__init__(daemon=True)
        self.port, self.chunk, self.pause_s = port, chunk, pause_s
        self.events = self.skipped = self.skipped_events = self.bytes = 0
        self.stop = threading.Event()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # A small receive window (set before connecting, so it is the advertised one): the
        # kernel buffers less, and a slow reader is slow sooner.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        self.sock.settimeout(30)
        self.sock.connect((run.HOST, port))
        request = (
            f"GET /_mock/requests/stream HTTP/1.1\r\nHost: {run.HOST}:{port}\r\n"
            "Accept: text/event-stream\r\n\r\n"
        )
        self.sock.sendall(request.encode())

    def run(self) -> None:
        carry = b""
        while not self.stop.is_set():
            try:
                data = self.sock.recv(self.chunk)
            except OSError:
                return
            if not data:
                return
            self.bytes += len(data)
            lines = (carry + data).split(b"\n")
            carry = lines.pop()
            for line in lines:
                if line.startswith(b"id: "):
                    self.events += 1
                elif line.startswith(b'data: {"skipped"'):
                    found = _SKIPPED.search(line)
                    if found:
                        self.skipped += int(found.group(1))
                        self.skipped_events += 1
            if self.pause_s:
                time.sleep(self.pause_s)

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


def one_run(
    wrk: str,
    pid: int,
    port: int,
    seconds: int,
    connections: int,
    window: tuple[int, int],
    slow: bool | None,
) -> dict[str, Any]:
    """One wrk run; ``slow`` None: no stream open; else a reader, slow or not. A slow reader
    reads at full speed once wrk is done, to collect what the stream still sends (the
    ``skipped`` event among it)."""
    reader = (
        None
        if slow is None
        else Reader(port, 4096, 0.05)
        if slow
        else Reader(port, 256 * 1024, 0.0)
    )
    peak = rss_bytes(pid)
    before = peak
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_bytes(pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    if reader is not None:
        reader.start()
    result = run.run_wrk(wrk, port, seconds, connections, window)
    if reader is not None:
        reader.chunk, reader.pause_s = 256 * 1024, 0.0
    time.sleep(3.0)  # the reader drains the tail
    done.set()
    sampler.join()
    row: dict[str, Any] = {
        "rps": result["rps"],
        "requests": result["requests"],
        "rss_before_mib": round(before / 2**20, 1),
        "rss_peak_mib": round(peak / 2**20, 1),
    }
    if reader is not None:
        reader.close()
        reader.join(5)
        row.update(
            events=reader.events,
            skipped=reader.skipped,
            skipped_events=reader.skipped_events,
            accounted=reader.events + reader.skipped,
        )
    return row


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run [10]")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections [64]")
    options = parser.parse_args()
    wrk = run.ensure_wrk()
    window = run.mix_window()
    port = run.free_port()
    results: dict[str, Any] = {}
    with run.server(run.mock_command(port), port) as launched:
        run.run_wrk(wrk, port, 2, options.connections, window)  # warm up
        cases: list[tuple[str, bool | None]] = [
            ("no stream", None),
            ("reader keeps up", False),
            ("slow reader (4 KiB / 50 ms)", True),
        ]
        for name, slow in cases:
            results[name] = one_run(
                wrk, launched.pid, port, options.duration, options.connections, window, slow
            )
            print(name, json.dumps(results[name]), flush=True)
    print()
    print(f"{'case':32} {'req/s':>9} {'events':>9} {'skipped':>9} {'RSS peak MiB':>13}")
    for name, row in results.items():
        print(
            f"{name:32} {row['rps']:>9} {row.get('events', '-'):>9} "
            f"{row.get('skipped', '-'):>9} {row['rss_peak_mib']:>13}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
