"""The memory figures of issue 9 ("Safe to share"), measured against a real server process.

(t) RSS after 1,000 tenants with one write each, at 20,000 customers (copy-on-write per
    record: a tenant's first write costs what it changed), and what the 1,001st tenant gets;
(s) RSS after 300,000 logins (sessions capped by ``--max-sessions``, oldest evicted);
(j) what the journal keeps after 1,000 requests with 512 KiB of headers (refused at the
    header bound, a 431), and after 1,000 requests with 60 KiB of headers (under the bound:
    kept, within ``--journal-bytes``).

Every server binds 127.0.0.1 on a free port and is stopped at the end. RSS is the server
process's ``VmRSS`` (Linux). Not a test: figures depend on the machine.

Usage: .venv/bin/python bench/security.py [--only tsj] [--logins 300000] [--out PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results" / "security.json"
HOST = "127.0.0.1"
MIB = 1024 * 1024
LOGIN = b'{"UserName":"u","Password":"p","Database":"%s","ApiKey":"k"}'


def rss(pid: int) -> int:
    """The process's resident set size in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS (Linux only)")


@contextmanager
def server(*flags: str) -> Iterator[tuple[run.Launched, int]]:
    """``mockserver serve`` with ``flags`` on a free port (bench/run.py's launcher), until it
    answers 200; yields the launched process and its port."""
    port = run.free_port()
    with run.server([*run.mock_command(port), *flags], port) as launched:
        yield launched, port


def request(
    port: int, method: bytes, path: str, body: bytes = b"", headers: bytes = b""
) -> tuple[int, bytes]:
    """One request on its own connection: the status and the body. A server that answers
    before reading everything (a 431) may close while we still send: the answer counts."""
    with socket.create_connection((HOST, port), timeout=30) as sock:
        head = (
            b"%s %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n%s"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
            % (method, path.encode(), HOST.encode(), port, headers, len(body))
        )
        with suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(head + body)
        chunks = []
        try:
            while chunk := sock.recv(1 << 20):
                chunks.append(chunk)
        except ConnectionResetError:
            pass
    raw = b"".join(chunks)
    if not raw:
        return 0, b""
    status = int(raw.split(b" ", 2)[1])
    return status, raw.split(b"\r\n\r\n", 1)[-1]


async def pipelined_logins(port: int, count: int, batch: int = 200) -> dict[int, int]:
    """``count`` logins (one database) pipelined on one keep-alive connection, ``batch``
    at a time; the statuses seen."""
    reader, writer = await asyncio.open_connection(HOST, port)
    body = LOGIN % b"bench"
    one = (
        b"POST /api/auth/login HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
        b"X-Mock-Journal: off\r\nContent-Length: %d\r\n\r\n%s"
        % (HOST.encode(), port, len(body), body)
    )
    statuses: dict[int, int] = {}
    sent = 0
    while sent < count:
        n = min(batch, count - sent)
        writer.write(one * n)
        await writer.drain()
        for _ in range(n):
            status_line = await reader.readline()
            status = int(status_line.split(b" ", 2)[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            statuses[status] = statuses.get(status, 0) + 1
        sent += n
    writer.close()
    await writer.wait_closed()
    return statuses


def figure_tenants() -> dict[str, Any]:
    with server("--customers", "20000", "--invoices", "0") as (process, port):
        body = b'{"name":"Testi Oy","email":"info@testi.fi"}'
        # Warm-up in the first tenant: shared record bytes, import-time caches.
        request(port, b"POST", "/api/customers", body, b"X-Mock-Tenant: t0\r\n")
        request(port, b"GET", "/api/customers", headers=b"X-Mock-Tenant: t0\r\n")
        time.sleep(0.5)
        before = rss(process.pid)
        started = time.perf_counter()
        statuses: dict[int, int] = {}
        for n in range(1, 1000):
            status, _ = request(port, b"POST", "/api/customers", body,
                                b"X-Mock-Tenant: t%d\r\n" % n)  # fmt: skip
            statuses[status] = statuses.get(status, 0) + 1
        elapsed = time.perf_counter() - started
        time.sleep(0.5)
        after = rss(process.pid)
        status, answer = request(port, b"POST", "/api/customers", body,
                                 b"X-Mock-Tenant: one-too-many\r\n")  # fmt: skip
        return {
            "customers": 20_000,
            "tenants": 1000,
            "statuses": statuses,
            "rss_before_mib": round(before / MIB, 1),
            "rss_after_mib": round(after / MIB, 1),
            "growth_mib": round((after - before) / MIB, 2),
            "per_tenant_kib": round((after - before) / 999 / 1024, 1),
            "seconds": round(elapsed, 2),
            "tenant_1001": {"status": status, "answer": json.loads(answer)},
        }


def figure_sessions(logins: int) -> dict[str, Any]:
    with server("--customers", "200", "--invoices", "0") as (process, port):
        request(port, b"POST", "/api/auth/login", LOGIN % b"bench")
        time.sleep(0.3)
        start = rss(process.pid)
        points = []
        statuses: dict[int, int] = {}
        started = time.perf_counter()
        step = max(1, logins // 3)
        done = 0
        while done < logins:
            n = min(step, logins - done)
            for status, count in asyncio.run(pipelined_logins(port, n)).items():
                statuses[status] = statuses.get(status, 0) + count
            done += n
            points.append({"logins": done, "rss_mib": round(rss(process.pid) / MIB, 1)})
        return {
            "logins": logins,
            "max_sessions": 100_000,
            "statuses": statuses,
            "rss_start_mib": round(start / MIB, 1),
            "rss": points,
            "seconds": round(time.perf_counter() - started, 1),
        }


def _journal_run(header_kib: int) -> dict[str, Any]:
    with server("--customers", "200", "--invoices", "0") as (process, port):
        request(port, b"GET", "/api/customers")
        time.sleep(0.3)
        before = rss(process.pid)
        filler = b"X-Filler: " + b"a" * (header_kib * 1024 - 12) + b"\r\n"
        statuses: dict[int, int] = {}
        started = time.perf_counter()
        for _ in range(1000):
            status, _ = request(port, b"GET", "/api/customers", headers=filler)
            statuses[status] = statuses.get(status, 0) + 1
        elapsed = time.perf_counter() - started
        time.sleep(0.3)
        after = rss(process.pid)
        status, listing = request(port, b"GET", "/_mock/requests")
        kept = json.loads(listing)["requests"] if status == 200 else []
        header_bytes = sum(len(k) + len(v) for e in kept for k, v in e["headers"].items())
        return {
            "header_kib": header_kib,
            "statuses": statuses,
            "journal_entries": len(kept),
            "journal_header_bytes_mib": round(header_bytes / MIB, 2),
            "rss_growth_mib": round((after - before) / MIB, 1),
            "seconds": round(elapsed, 1),
        }


def figure_journal() -> dict[str, Any]:
    return {"over_the_header_bound": _journal_run(512), "under_the_header_bound": _journal_run(60)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="tsj", help="figures to measure: t, s, j [tsj]")
    parser.add_argument("--logins", type=int, default=300_000, help="(s) logins [300000]")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON results file")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    if "t" in args.only:
        results["tenants"] = figure_tenants()
        print("(t) 1,000 tenants, one write each, 20,000 customers:", results["tenants"])
    if "s" in args.only:
        results["sessions"] = figure_sessions(args.logins)
        print(f"(s) {args.logins:,} logins:", results["sessions"])
    if "j" in args.only:
        results["journal"] = figure_journal()
        print("(j) 1,000 requests with big headers:", results["journal"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
