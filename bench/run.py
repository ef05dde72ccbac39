"""The benchmark of issue 2, measured in one run on this machine.

(a) wall time from launching ``mockserver serve`` to its first 200 on ``/api/customers``;
(b) requests per second under wrk with a realistic mix (bench/mix.lua), as a ratio to a bare
    Starlette app serving a page of the same size (bench/baseline_app.py), rounds alternated;
(c) time and peak RSS of generating 100,000 customers and 500,000 invoices, then of building
    the Store from them (in a fresh subprocess);
(d) latency of a filtered list (``name`` substring + ``is_customer=1``) over those 100,000
    customers, through the whole ASGI app in-process.

Usage: .venv/bin/python bench/run.py [--only abcd] [--rounds 3] [--duration 10] ...
Prints a table with target and verdict per figure and writes bench/results/latest.json.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results" / "latest.json"
PYTHON = sys.executable
MOCKSERVER = str(Path(PYTHON).parent / "mockserver")
HOST = "127.0.0.1"
GIB = 1024**3

TARGET_STARTUP_S = 0.8
TARGET_RATIO = 0.7
TARGET_GENERATE_S = 20.0
TARGET_GENERATE_RSS = 2 * GIB
TARGET_LATENCY_MS = 20.0


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Answer:
    status: int
    header_bytes: int
    body: bytes


def fetch(port: int, path: str, timeout: float = 5.0) -> Answer:
    """One raw HTTP/1.1 GET, so the exact header size is known."""
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        request = f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n"
        sock.sendall(request.encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    # The "connection: close" this request provokes is absent on wrk's keep-alive answers.
    kept = [line for line in lines if not line.lower().startswith(b"connection:")]
    header_bytes = sum(len(line) + 2 for line in kept) + 2
    return Answer(int(lines[0].split(b" ", 2)[1]), header_bytes, body)


def wait_for_200(port: int, path: str, process: subprocess.Popen[bytes], limit: float) -> None:
    """Poll every 2 ms until ``path`` answers 200 (a refused connection or a 503 means not
    yet)."""
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering")
        try:
            answer = fetch(port, path, timeout=limit)
        except OSError:
            time.sleep(0.002)
            continue
        if answer.status == 200:
            return
        if answer.status == 503:  # listening, data still loading
            time.sleep(0.002)
            continue
        raise RuntimeError(f"{path} answered {answer.status}: {answer.body[:200]!r}")
    raise RuntimeError(f"no answer on port {port} within {limit} s")


@dataclass
class Launched:
    pid: int
    seconds_to_200: float


@contextmanager
def server(command: list[str], port: int, limit: float = 60.0) -> Iterator[Launched]:
    """Run a server until the block ends; yields its pid and the seconds from launch to
    its first 200."""
    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=log)
        try:
            try:
                wait_for_200(port, "/api/customers", process, limit)
            except RuntimeError:
                log.seek(0)
                sys.stderr.write(log.read().decode(errors="replace")[-3000:])
                raise
            yield Launched(process.pid, time.perf_counter() - started)
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def mock_command(port: int) -> list[str]:
    return [MOCKSERVER, "serve", "--port", str(port), "--log-level", "warning"]


def baseline_command(port: int, body_bytes: int) -> list[str]:
    return [PYTHON, str(BENCH / "baseline_app.py"), str(port), str(body_bytes)]


# --------------------------------------------------------------------------- (a) start-up


def bench_startup(repeats: int) -> dict[str, Any]:
    times = []
    for _ in range(repeats):
        port = free_port()
        with server(mock_command(port), port) as launched:
            times.append(launched.seconds_to_200)
    return {
        "runs_s": [round(t, 4) for t in times],
        "median_s": round(statistics.median(times), 4),
        "max_s": round(max(times), 4),
    }


# --------------------------------------------------------------------------- (b) throughput


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit("wrk is missing: run `sudo apt-get install -y wrk`, then try again")
    print("installing wrk from Debian ...", file=sys.stderr)
    install = ["apt-get", "install", "-y", "-q", "wrk"]
    if subprocess.run(install, stdout=subprocess.DEVNULL).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], stdout=subprocess.DEVNULL, check=True)
        subprocess.run(install, stdout=subprocess.DEVNULL, check=True)
    found = shutil.which("wrk")
    if not found:
        raise SystemExit("wrk could not be installed")
    return found


def mix_window() -> tuple[int, int]:
    """The five years before the default dataset's reference date, as Unix seconds."""
    from mockserver.datagen import generate

    reference = generate(1, 200, 1000).reference_date
    if reference.tzinfo is None:
        reference = reference.replace(tzinfo=UTC)
    end = int(reference.timestamp())
    return end - 5 * 365 * 86400, end


def run_wrk(
    wrk: str, port: int, seconds: int, connections: int, window: tuple[int, int]
) -> dict[str, Any]:
    command = [
        wrk,
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "5s",
        "-s",
        str(BENCH / "mix.lua"),
        f"http://{HOST}:{port}",
    ]
    env = dict(os.environ, MIX_FROM=str(window[0]), MIX_TO=str(window[1]))
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    for line in done.stdout.splitlines():
        if line.startswith("MIX_RESULT "):
            result: dict[str, Any] = json.loads(line.removeprefix("MIX_RESULT "))
            result["rps"] = round(result["requests"] / (result["duration_us"] / 1e6), 1)
            result["mean_response_bytes"] = round(result["bytes"] / max(1, result["requests"]))
            return result
    raise RuntimeError(f"wrk printed no result:\n{done.stdout}\n{done.stderr}")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux /proc), None where unavailable."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured_round(
    wrk: str, launched: Launched, port: int, seconds: int, connections: int, window: tuple[int, int]
) -> dict[str, Any]:
    """One wrk round, plus the server's CPU time per request: less sensitive to other load
    on the machine than requests per second, so a cross-check of the ratio."""
    before = cpu_seconds(launched.pid)
    result = run_wrk(wrk, port, seconds, connections, window)
    after = cpu_seconds(launched.pid)
    if before is not None and after is not None and result["requests"]:
        result["server_cpu_us_per_request"] = round((after - before) / result["requests"] * 1e6, 1)
    return result


def sample_paths(window: tuple[int, int]) -> list[str]:
    """One request of each shape in mix.lua, checked for a 200 before loading."""
    day = datetime.fromtimestamp((window[0] + window[1]) // 2, UTC)
    return [
        "/api/customers?page=20",
        "/api/customers?filter.is_customer=0&filter.page=1",
        "/api/customers?filter.name=oy&filter.is_customer=1",
        "/api/customers?name=AB",
        "/api/invoices?page=20",
        "/api/customers/base?page=10",
        "/api/customers/base?is_supplier=1",
        f"/api/customers?modified_after={day:%Y-%m-%dT%H:%M:%S}&page=3",
        f"/api/invoices?invoice_date_before={day:%Y-%m-%d}&page=3",
    ]


def bench_throughput(rounds: int, seconds: int, connections: int) -> dict[str, Any]:
    wrk = ensure_wrk()
    window = mix_window()
    mock_port, base_port = free_port(), free_port()
    with server(mock_command(mock_port), mock_port) as mock:
        for path in sample_paths(window):
            answer = fetch(mock_port, path)
            if answer.status != 200:
                raise RuntimeError(f"{path} answered {answer.status}: {answer.body[:300]!r}")
        header_bytes = fetch(mock_port, "/api/customers?page=1").header_bytes
        # The warm-up also measures the mix's mean answer, which sizes the baseline's page.
        warm = run_wrk(wrk, mock_port, 3, connections, window)
        body_bytes = warm["mean_response_bytes"] - header_bytes
        with server(baseline_command(base_port, body_bytes), base_port) as baseline:
            base_answer = fetch(base_port, "/api/customers")
            run_wrk(wrk, base_port, 3, connections, window)
            rows = []
            for index in range(rounds):
                # ABBA order, so a drift in background load does not favour one side.
                order = ("mock", "baseline") if index % 2 == 0 else ("baseline", "mock")
                row: dict[str, Any] = {}
                for side in order:
                    launched, port = (mock, mock_port) if side == "mock" else (baseline, base_port)
                    row[side] = measured_round(wrk, launched, port, seconds, connections, window)
                row["ratio"] = round(row["mock"]["rps"] / row["baseline"]["rps"], 3)
                mock_cpu = row["mock"].get("server_cpu_us_per_request")
                base_cpu = row["baseline"].get("server_cpu_us_per_request")
                if mock_cpu and base_cpu:
                    row["cpu_ratio"] = round(base_cpu / mock_cpu, 3)
                rows.append(row)
                print(
                    f"  (b) round {index + 1}: mock {row['mock']['rps']:.0f} req/s, "
                    f"baseline {row['baseline']['rps']:.0f} req/s, ratio {row['ratio']:.3f}",
                    file=sys.stderr,
                )
    errors = sum(sum(r[s]["errors"].values()) for r in rows for s in ("mock", "baseline"))
    cpu_ratios = [r["cpu_ratio"] for r in rows if "cpu_ratio" in r]
    cpu = {
        side: [r[side]["server_cpu_us_per_request"] for r in rows if "cpu_ratio" in r]
        for side in ("mock", "baseline")
    }
    return {
        "connections": connections,
        "seconds_per_round": seconds,
        "mock_mean_response_bytes": warm["mean_response_bytes"],
        "baseline_response_bytes": base_answer.header_bytes + len(base_answer.body),
        "rounds": rows,
        "ratios": [r["ratio"] for r in rows],
        "median_ratio": round(statistics.median(r["ratio"] for r in rows), 3),
        "median_mock_rps": round(statistics.median(r["mock"]["rps"] for r in rows), 1),
        "median_baseline_rps": round(statistics.median(r["baseline"]["rps"] for r in rows), 1),
        "errors": errors,
        "cpu_ratios": cpu_ratios,
        "median_cpu_ratio": round(statistics.median(cpu_ratios), 3) if cpu_ratios else None,
        "median_mock_cpu_us": statistics.median(cpu["mock"]) if cpu_ratios else None,
        "median_baseline_cpu_us": statistics.median(cpu["baseline"]) if cpu_ratios else None,
    }


# --------------------------------------------------------------------------- (c) + (d)


def max_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def timed(step: Callable[[], Any]) -> tuple[Any, float, int]:
    started = time.perf_counter()
    value = step()
    return value, time.perf_counter() - started, max_rss_bytes()


async def asgi_get(app: Any, path: str, query: str) -> tuple[int, dict[bytes, bytes], bytes]:
    """Call the ASGI app the way uvicorn would for one GET; no socket, no HTTP parsing."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8080),
        "state": {},
    }
    answer: dict[str, Any] = {"body": []}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
            answer["headers"] = dict(message["headers"])
        else:
            answer["body"].append(message.get("body", b""))

    await app(scope, receive, send)
    return answer["status"], answer["headers"], b"".join(answer["body"])


def name_needles(names: list[str], count: int, rng: random.Random) -> list[str]:
    """Substrings of real customer names, 2-6 characters, in varied case."""
    needles: list[str] = []
    while len(needles) < count:
        name = rng.choice(names)
        length = rng.randint(2, 6)
        if len(name) <= length:
            continue
        start = rng.randrange(len(name) - length)
        needle = name[start : start + length].strip()
        if not needle:
            continue
        needles.append(rng.choice((needle, needle.lower(), needle.upper())))
    return needles


def latency_run(store: Any, iterations: int) -> dict[str, Any]:
    from mockserver.app import create_app
    from mockserver.settings import Settings

    app = create_app(Settings(log_level="warning"), store=store)
    rng = random.Random(2)
    names = [f.name for f in store.dataset.customers if f.name]
    needles = name_needles(names, iterations + 20, rng)

    async def run() -> dict[str, Any]:
        first_started = time.perf_counter()
        status, _, body = await asgi_get(app, "/api/customers", "page=1")
        first_ms = (time.perf_counter() - first_started) * 1000
        if status != 200:
            raise RuntimeError(f"/api/customers answered {status}: {body[:300]!r}")
        times, totals = [], []
        for number, needle in enumerate(needles):
            query = f"name={quote(needle)}&is_customer=1"
            started = time.perf_counter()
            status, headers, body = await asgi_get(app, "/api/customers", query)
            elapsed = time.perf_counter() - started
            if status != 200:
                raise RuntimeError(f"?{query} answered {status}: {body[:300]!r}")
            if number >= 20:  # the first 20 warm up code paths
                times.append(elapsed * 1000)
                totals.append(int(headers.get(b"x-total-count", b"-1")))
        times.sort()
        return {
            "iterations": len(times),
            "first_request_ms": round(first_ms, 2),
            "median_ms": round(statistics.median(times), 3),
            "p95_ms": round(times[int(0.95 * (len(times) - 1))], 3),
            "max_ms": round(times[-1], 3),
            "median_matches": statistics.median(totals),
        }

    return asyncio.run(run())


def scale_child(customers: int, invoices: int, iterations: int) -> dict[str, Any]:
    """Runs in a fresh interpreter: (c) generation and Store, then (d) on that store."""
    started = time.perf_counter()
    from mockserver.datagen import generate
    from mockserver.store import Store

    import_s = time.perf_counter() - started
    dataset, generate_s, generate_rss = timed(lambda: generate(1, customers, invoices))
    store, store_s, store_rss = timed(lambda: Store(dataset))
    _, tenant_s, tenant_rss = timed(store.tenant)
    result: dict[str, Any] = {
        "customers": customers,
        "invoices": invoices,
        "import_s": round(import_s, 3),
        "generate_s": round(generate_s, 3),
        "generate_peak_rss_bytes": generate_rss,
        "store_s": round(store_s, 3),
        "store_peak_rss_bytes": store_rss,
        "first_tenant_s": round(tenant_s, 3),
        "first_tenant_peak_rss_bytes": tenant_rss,
    }
    if iterations:
        store.reset()  # (d) pays for its own first tenant, as a fresh server does
        result["latency"] = latency_run(store, iterations)
    return result


def bench_scale(customers: int, invoices: int, iterations: int) -> dict[str, Any]:
    command = [PYTHON, __file__, "--scale-child", str(customers), str(invoices), str(iterations)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"scale run failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


# --------------------------------------------------------------------------- report


@dataclass
class Row:
    figure: str
    value: str
    target: str = ""
    passed: bool | None = None

    @property
    def verdict(self) -> str:
        return "" if self.passed is None else ("PASS" if self.passed else "FAIL")


def gib(size: int) -> str:
    return f"{size / GIB:.2f} GiB"


def table_rows(results: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    if "startup" in results:
        a = results["startup"]
        rows.append(
            Row(
                "(a) launch -> first 200, median",
                f"{a['median_s']:.3f} s",
                f"<= {TARGET_STARTUP_S} s",
                a["median_s"] <= TARGET_STARTUP_S,
            )
        )
        rows.append(Row("(a) launch -> first 200, max", f"{a['max_s']:.3f} s"))
    if "throughput" in results:
        b = results["throughput"]
        rows.append(
            Row(
                "(b) req/s ratio mock/baseline, median",
                f"{b['median_ratio']:.3f}",
                f">= {TARGET_RATIO}",
                b["median_ratio"] >= TARGET_RATIO and b["errors"] == 0,
            )
        )
        rows.append(Row("(b) ratio per round", ", ".join(f"{r:.3f}" for r in b["ratios"])))
        rows.append(
            Row(
                "(b) median req/s mock / baseline",
                f"{b['median_mock_rps']:.0f} / {b['median_baseline_rps']:.0f}",
            )
        )
        if b["median_cpu_ratio"] is not None:
            rows.append(
                Row(
                    "(b) server CPU us/request mock / baseline",
                    f"{b['median_mock_cpu_us']:.1f} / {b['median_baseline_cpu_us']:.1f}",
                )
            )
            rows.append(
                Row("(b) cross-check: CPU-per-request ratio", f"{b['median_cpu_ratio']:.3f}")
            )
        rows.append(Row("(b) wrk errors (any non-2xx, socket)", str(b["errors"])))
    if "scale" in results:
        c = results["scale"]
        size = f"{c['customers']:,} cust + {c['invoices']:,} inv"
        rows.append(
            Row(
                f"(c) generate {size}",
                f"{c['generate_s']:.2f} s",
                f"<= {TARGET_GENERATE_S:.0f} s",
                c["generate_s"] <= TARGET_GENERATE_S,
            )
        )
        rows.append(
            Row(
                "(c) generate, peak RSS",
                gib(c["generate_peak_rss_bytes"]),
                "<= 2 GiB",
                c["generate_peak_rss_bytes"] <= TARGET_GENERATE_RSS,
            )
        )
        rows.append(
            Row(
                "(c) Store build, time / peak RSS",
                f"{c['store_s']:.2f} s / {gib(c['store_peak_rss_bytes'])}",
            )
        )
        rows.append(
            Row(
                "(c) first tenant copy, time / peak RSS",
                f"{c['first_tenant_s']:.2f} s / {gib(c['first_tenant_peak_rss_bytes'])}",
            )
        )
        total_s = c["generate_s"] + c["store_s"] + c["first_tenant_s"]
        rows.append(
            Row(
                "(c) generate + Store + tenant (total)",
                f"{total_s:.2f} s / {gib(c['first_tenant_peak_rss_bytes'])}",
                "<= 20 s, 2 GiB",
                total_s <= TARGET_GENERATE_S
                and c["first_tenant_peak_rss_bytes"] <= TARGET_GENERATE_RSS,
            )
        )
        if "latency" in c:
            d = c["latency"]
            rows.append(
                Row(
                    "(d) name + is_customer=1, median",
                    f"{d['median_ms']:.2f} ms",
                    f"<= {TARGET_LATENCY_MS:.0f} ms",
                    d["median_ms"] <= TARGET_LATENCY_MS,
                )
            )
            rows.append(Row("(d) p95 / max", f"{d['p95_ms']:.2f} / {d['max_ms']:.2f} ms"))
            rows.append(Row("(d) first request (tenant copy)", f"{d['first_request_ms']:.0f} ms"))
    return rows


def print_table(rows: list[Row]) -> None:
    widths = [max(len(getattr(r, f)) for r in rows) for f in ("figure", "value", "target")]
    for row in rows:
        print(
            f"{row.figure:<{widths[0]}}  {row.value:>{widths[1]}}  "
            f"{row.target:<{widths[2]}}  {row.verdict}".rstrip()
        )


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="abcd", help="figures to measure, e.g. 'ab'")
    parser.add_argument("--startups", type=int, default=5, help="(a) launches")
    parser.add_argument("--rounds", type=int, default=3, help="(b) rounds per server")
    parser.add_argument("--duration", type=int, default=10, help="(b) seconds per round")
    parser.add_argument("--connections", type=int, default=64, help="(b) wrk connections")
    parser.add_argument("--customers", type=int, default=100_000, help="(c)/(d) customers")
    parser.add_argument("--invoices", type=int, default=500_000, help="(c) invoices")
    parser.add_argument("--iterations", type=int, default=300, help="(d) timed requests")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON results file")
    parser.add_argument("--scale-child", nargs=3, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.scale_child:
        print(json.dumps(scale_child(*args.scale_child)))
        return 0

    started = datetime.now(UTC)
    results: dict[str, Any] = {"started": started.isoformat(timespec="seconds")}
    results["machine_before"] = machine()
    if "a" in args.only:
        print("(a) start-up ...", file=sys.stderr)
        results["startup"] = bench_startup(args.startups)
    if "b" in args.only:
        print("(b) throughput ...", file=sys.stderr)
        results["throughput"] = bench_throughput(args.rounds, args.duration, args.connections)
    if "c" in args.only or "d" in args.only:
        print("(c)/(d) scale ...", file=sys.stderr)
        iterations = args.iterations if "d" in args.only else 0
        results["scale"] = bench_scale(args.customers, args.invoices, iterations)
    results["machine_after"] = machine()
    results["seconds"] = round((datetime.now(UTC) - started).total_seconds(), 1)
    sys.stderr.flush()
    rows = table_rows(results)
    results["table"] = [
        {"figure": r.figure, "value": r.value, "target": r.target, "verdict": r.verdict}
        for r in rows
    ]
    print_table(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {args.out}", file=sys.stderr)
    return 1 if any(r.passed is False for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
