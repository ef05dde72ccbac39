"""The fleet's figures of issue 14 (shared state on Redis), measured in one run on this machine.

(r) read throughput of one process on Redis as a ratio to the same process on memory, under
    the throughput mix of bench/run.py (b) (``bench/mix.lua``), rounds alternated: for a
    tenant without writes (target >= 0.6), then for the same tenant after 1,000 writes;
(w) write latency (p50/p90/p99 of sequential customer creates over one keep-alive
    connection) on memory, on one process on Redis and on a fleet of three processes on
    one Redis (a write is answered once all three applied it); and requests per second of
    the write mix (``bench/write_mix.lua``) on memory, on Redis and on ``--workers 3``;
(m) RSS of every process (memory, Redis, the fleet of three, each worker of ``--workers 3``)
    after its runs, and the Redis memory used per 1,000 customer creates and per 1,000
    updates, with the length of the fleet's log.

A ``redis-server`` of its own (temporary folder, free port, nothing saved) and every server
bind 127.0.0.1 and are stopped at the end. Not a test: figures depend on the machine.

Usage: .venv/bin/python bench/fleet.py [--quick] [--rounds 3] [--duration 10] ...
Prints a table and writes bench/results/fleet.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run
import writes
from security import rss, server

BENCH = run.BENCH
RESULTS = BENCH / "results" / "fleet.json"
TARGET_RATIO = 0.6
SEEDED_CUSTOMERS = 200  # the default data's, which every server here serves
JSON_HEADERS = {"Content-Type": "application/json"}


# --------------------------------------------------------------------------- Redis


def redis_server_class() -> Any:
    """tests/redis_server.py's ``RedisServer`` (its own folder, a free port, no persistence)."""
    path = run.ROOT / "tests" / "redis_server.py"
    spec = importlib.util.spec_from_file_location("bench_redis_server", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.RedisServer


@dataclass
class Redis:
    url: str
    client: Any  # a redis.Redis of that server
    pid: int

    def used_memory(self) -> int:
        return int(self.client.info("memory")["used_memory"])

    def key_bytes(self, key: str) -> int:
        return int(self.client.memory_usage(key, samples=0) or 0)


@contextmanager
def redis_server() -> Iterator[Redis]:
    with redis_server_class()() as found:
        client = found.client()
        try:
            yield Redis(found.url, client, found.process.pid)
        finally:
            client.close()


def on_redis(url: str, prefix: str) -> list[str]:
    return ["--state", url, "--state-prefix", prefix]


# --------------------------------------------------------------------------- writes


def percentiles(times_s: list[float]) -> dict[str, float]:
    ordered = sorted(times_s)

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1e6, 1)

    return {
        "count": len(ordered),
        "p50_us": at(0.50),
        "p90_us": at(0.90),
        "p99_us": at(0.99),
        "max_us": round(ordered[-1] * 1e6, 1),
        "mean_us": round(statistics.fmean(ordered) * 1e6, 1),
    }


def customer_count(port: int) -> int:
    """The default tenant's customers (``X-Total-Count`` of a list)."""
    connection = http.client.HTTPConnection(run.HOST, port, timeout=30)
    try:
        connection.request("GET", "/api/customers?page_size=1")
        answer = connection.getresponse()
        answer.read()
        if answer.status != 200:
            raise RuntimeError(f"/api/customers answered {answer.status}")
        return int(answer.headers["X-Total-Count"])
    finally:
        connection.close()


class Writer:
    """Sequential writes over one keep-alive connection, each timed from sending to the last
    byte of its answer; any answer but a 200 stops the bench."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection(run.HOST, port, timeout=30)
        self.created: list[int] = []

    def close(self) -> None:
        self.connection.close()

    def send(self, method: str, path: str, body: dict[str, Any]) -> tuple[float, Any]:
        data = json.dumps(body).encode()
        started = time.perf_counter()
        self.connection.request(method, path, data, JSON_HEADERS)
        answer = self.connection.getresponse()
        raw = answer.read()
        elapsed = time.perf_counter() - started
        if answer.status != 200:
            raise RuntimeError(f"{method} {path} answered {answer.status}: {raw[:300]!r}")
        return elapsed, json.loads(raw)

    def create(self, number: int) -> float:
        body = {"name": f"Penkki {number} Oy", "email": f"penkki{number}@example.fi"}
        elapsed, created = self.send("POST", "/api/customers", body)
        self.created.append(int(created["id"]))
        return elapsed

    def update(self, customer_id: int, number: int) -> float:
        body = {"name": f"Muutettu {number} Oy", "email": f"muutettu{number}@example.fi"}
        elapsed, _ = self.send("PUT", f"/api/customers/{customer_id}", body)
        return elapsed

    def creates(self, count: int) -> list[float]:
        """``count`` customers created, one after the other."""
        return [self.create(number) for number in range(count)]

    def updates(self, count: int) -> list[float]:
        """``count`` updates of the customers this writer created, round-robin."""
        return [self.update(self.created[n % len(self.created)], n) for n in range(count)]


def creates_and_updates(port: int, creates: int, updates: int) -> dict[str, Any]:
    writer = Writer(port)
    try:
        return {
            "creates": percentiles(writer.creates(creates)),
            "updates": percentiles(writer.updates(updates)),
        }
    finally:
        writer.close()


def mixed_writes(port: int, count: int) -> list[float]:
    """``count`` writes to the default tenant: every other one creates a customer, the others
    update a seeded one (copy-on-write), so the read mix reads both kinds."""
    writer = Writer(port)
    try:
        return [
            writer.create(n) if n % 2 == 0 else writer.update(1 + n // 2 % SEEDED_CUSTOMERS, n)
            for n in range(count)
        ]
    finally:
        writer.close()


# --------------------------------------------------------------------------- (r) reads


@dataclass
class Side:
    name: str
    launched: run.Launched
    port: int
    redis_pid: int | None = None  # the redis-server it uses: its CPU time is counted too


def alternated(
    wrk: str, sides: tuple[Side, Side], rounds: int, seconds: int, connections: int, label: str
) -> dict[str, Any]:
    """``rounds`` rounds of the read mix on each side, in ABBA order (bench/run.py (b)); the
    ratio of each round is the second side's req/s over the first's."""
    window = run.mix_window()
    for side in sides:
        run.run_wrk(wrk, side.port, max(1, min(3, seconds)), connections, window)  # warm-up
    first, second = sides[0].name, sides[1].name
    rows = []
    for index in range(rounds):
        order = sides if index % 2 == 0 else sides[::-1]
        row: dict[str, Any] = {}
        for side in order:
            before = run.cpu_seconds(side.redis_pid) if side.redis_pid else None
            measured = run.measured_round(
                wrk, side.launched, side.port, seconds, connections, window
            )
            after = run.cpu_seconds(side.redis_pid) if side.redis_pid else None
            if before is not None and after is not None and measured["requests"]:
                measured["redis_cpu_us_per_request"] = round(
                    (after - before) / measured["requests"] * 1e6, 1
                )
            row[side.name] = measured
        row["ratio"] = round(row[second]["rps"] / row[first]["rps"], 3)
        cpu_first = row[first].get("server_cpu_us_per_request")
        cpu_second = row[second].get("server_cpu_us_per_request")
        if cpu_first and cpu_second:
            row["cpu_ratio"] = round(cpu_first / cpu_second, 3)
        rows.append(row)
        print(
            f"  {label} round {index + 1}: {first} {row[first]['rps']:.0f} req/s, "
            f"{second} {row[second]['rps']:.0f} req/s, ratio {row['ratio']:.3f}",
            file=sys.stderr,
        )
    cpu_ratios = [r["cpu_ratio"] for r in rows if "cpu_ratio" in r]
    result: dict[str, Any] = {
        "rounds": rows,
        "ratios": [r["ratio"] for r in rows],
        "median_ratio": round(statistics.median(r["ratio"] for r in rows), 3),
        "errors": sum(sum(r[s.name]["errors"].values()) for r in rows for s in sides),
        "cpu_ratios": cpu_ratios,
        "median_cpu_ratio": round(statistics.median(cpu_ratios), 3) if cpu_ratios else None,
    }
    for side in sides:
        result[f"median_{side.name}_rps"] = round(
            statistics.median(r[side.name]["rps"] for r in rows), 1
        )
        cpu = [r[side.name]["server_cpu_us_per_request"] for r in rows if "cpu_ratio" in r]
        result[f"median_{side.name}_cpu_us"] = statistics.median(cpu) if cpu else None
        on_redis = [r[side.name].get("redis_cpu_us_per_request") for r in rows]
        if all(x is not None for x in on_redis):
            result[f"median_{side.name}_redis_cpu_us"] = statistics.median(on_redis)
    return result


def cpu_of(pids: list[int]) -> float | None:
    times = [run.cpu_seconds(pid) for pid in pids]
    return None if None in times else sum(t for t in times if t is not None)


def write_mix(
    wrk: str, side: Side, seconds: int, connections: int, pids: list[int] | None = None
) -> dict[str, Any]:
    """bench/writes.py's write mix on ``side``, with the CPU time per request of ``pids``
    (default: the side's process)."""
    pids = pids or [side.launched.pid]
    before = cpu_of(pids)
    result = writes.run_write_mix(wrk, side.port, seconds, connections)
    after = cpu_of(pids)
    if before is not None and after is not None and result["requests"]:
        result["server_cpu_us_per_request"] = round((after - before) / result["requests"] * 1e6, 1)
    print(
        f"  write mix on {side.name}: {result['rps']:.0f} req/s, "
        f"errors {sum(result['errors'].values())}",
        file=sys.stderr,
    )
    return result


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return sorted(found)


def wait_for_workers(pid: int, count: int, limit: float = 60.0) -> list[int]:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        found = children(pid)
        if len(found) >= count:
            return found
        time.sleep(0.1)
    raise RuntimeError(f"{pid} has {len(children(pid))} workers, not {count}, after {limit} s")


def wait_until_all_serve(port: int, in_a_row: int = 60, limit: float = 60.0) -> None:
    """Until ``in_a_row`` new connections in a row are answered 200: the port's workers share
    it (the kernel spreads connections by their source port), and one still loading answers
    503."""
    deadline = time.monotonic() + limit
    served = 0
    while served < in_a_row:
        if time.monotonic() > deadline:
            raise RuntimeError(f"the workers on port {port} did not all serve within {limit} s")
        if run.fetch(port, "/api/customers?page_size=1").status == 200:
            served += 1
        else:
            served = 0
            time.sleep(0.05)


def mib(size: int) -> float:
    return round(size / 2**20, 1)


# --------------------------------------------------------------------------- the run


@dataclass
class Settings:
    rounds: int
    duration: int
    connections: int
    write_duration: int
    write_connections: int
    writes: int
    latency_writes: int


def bench_single(wrk: str, redis: Redis, options: Settings) -> dict[str, Any]:
    """One process on memory and one on Redis, side by side: (r) without and with writes,
    (w) latency and the write mix of each, then their RSS."""
    results: dict[str, Any] = {}
    with ExitStack() as stack:
        memory = Side("memory", *stack.enter_context(server()))
        launched, port = stack.enter_context(server(*on_redis(redis.url, "bench-one")))
        shared = Side("redis", launched, port, redis.pid)
        sides = (memory, shared)
        results["rss_at_start_bytes"] = {s.name: rss(s.launched.pid) for s in sides}
        print("(r) reads, tenant without writes ...", file=sys.stderr)
        results["reads_clean"] = alternated(
            wrk, sides, options.rounds, options.duration, options.connections, "(r) clean"
        )
        print(f"(r) {options.writes} writes in the default tenant ...", file=sys.stderr)
        for side in sides:
            times = mixed_writes(side.port, options.writes)
            results[f"tenant_writes_{side.name}"] = percentiles(times)
        totals = {s.name: customer_count(s.port) for s in sides}
        if len(set(totals.values())) != 1:
            raise RuntimeError(f"the two servers disagree on the customers' count: {totals}")
        results["customers_after_writes"] = totals["memory"]
        results["reads_written"] = alternated(
            wrk, sides, options.rounds, options.duration, options.connections, "(r) written"
        )
        print(f"(w) {options.latency_writes} sequential creates on each ...", file=sys.stderr)
        for side in sides:
            results[f"latency_{side.name}"] = creates_and_updates(
                side.port, options.latency_writes, options.writes
            )
        for side in sides:
            results[f"write_mix_{side.name}"] = write_mix(
                wrk, side, options.write_duration, options.write_connections
            )
        results["rss_bytes"] = {s.name: rss(s.launched.pid) for s in sides}
    return results


def bench_fleet(redis: Redis, options: Settings) -> dict[str, Any]:
    """Three processes on one Redis; creates, then updates, all sent to the first: latency,
    Redis memory and the log's length, then each process's RSS."""
    prefix = "bench-three"
    keys = {name: f"{prefix}:{name}" for name in ("log", "journal")}
    results: dict[str, Any] = {}
    with ExitStack() as stack:
        members = [stack.enter_context(server(*on_redis(redis.url, prefix))) for _ in range(3)]
        port = members[0][1]
        for _, other in members[1:]:  # every member current and known to the others
            run.fetch(other, "/api/customers?page_size=1")
        time.sleep(1.5)  # a lease renewal (link.RENEW_S): each has heard of the others
        writer = Writer(port)
        try:
            writer.create(-1)  # loads the fleet's scripts into Redis: not in the figures
            marks: list[dict[str, Any]] = [
                {"writes": 0, "kind": "start", **_redis_marks(redis, keys)}
            ]
            create_times = writer.creates(options.latency_writes)
            marks.append(
                {"writes": len(create_times), "kind": "create", **_redis_marks(redis, keys)}
            )
            update_times = writer.updates(options.writes)
            marks.append(
                {"writes": len(update_times), "kind": "update", **_redis_marks(redis, keys)}
            )
        finally:
            writer.close()
        results["latency"] = {
            "creates": percentiles(create_times),
            "updates": percentiles(update_times),
        }
        results["redis_marks"] = marks
        results["rss_bytes"] = [rss(launched.pid) for launched, _ in members]
    per = 1000
    start, after_creates, after_updates = marks
    results["redis_bytes_per_1000_creates"] = round(
        (after_creates["used_memory"] - start["used_memory"]) * per / after_creates["writes"]
    )
    results["redis_bytes_per_1000_updates"] = round(
        (after_updates["used_memory"] - after_creates["used_memory"])
        * per
        / after_updates["writes"]
    )
    results["log_bytes_per_1000_creates"] = round(
        (after_creates["log_bytes"] - start["log_bytes"]) * per / after_creates["writes"]
    )
    results["log_bytes_per_1000_updates"] = round(
        (after_updates["log_bytes"] - after_creates["log_bytes"]) * per / after_updates["writes"]
    )
    return results


def _redis_marks(redis: Redis, keys: dict[str, str]) -> dict[str, int]:
    return {
        "used_memory": redis.used_memory(),
        "log_length": int(redis.client.llen(keys["log"])),
        "log_bytes": redis.key_bytes(keys["log"]),
        "journal_bytes": redis.key_bytes(keys["journal"]),
    }


def bench_workers(wrk: str, redis: Redis, options: Settings) -> dict[str, Any]:
    """``--workers 3 --state redis``: the write mix, then the RSS of the supervisor and of
    each worker."""
    flags = ("--workers", "3", *on_redis(redis.url, "bench-workers"))
    with server(*flags) as (launched, port):
        workers = wait_for_workers(launched.pid, 3)
        wait_until_all_serve(port)
        side = Side("workers3", launched, port)
        # The supervisor's CPU time leaves out its workers': count theirs.
        mix = write_mix(wrk, side, options.write_duration, options.write_connections, workers)
        return {
            "write_mix": mix,
            "supervisor_rss_bytes": rss(launched.pid),
            "worker_rss_bytes": [rss(pid) for pid in workers],
        }


# --------------------------------------------------------------------------- report


def latency_text(figures: dict[str, Any]) -> str:
    return " / ".join(f"{figures[k] / 1000:.2f}" for k in ("p50_us", "p90_us", "p99_us")) + " ms"


def read_rows(label: str, reads: dict[str, Any], target: bool) -> list[run.Row]:
    rows = [
        run.Row(
            f"(r) {label}: req/s ratio redis/memory, median",
            f"{reads['median_ratio']:.3f}",
            f">= {TARGET_RATIO}" if target else "",
            (reads["median_ratio"] >= TARGET_RATIO and reads["errors"] == 0) if target else None,
        ),
        run.Row(f"(r) {label}: ratio per round", ", ".join(f"{r:.3f}" for r in reads["ratios"])),
        run.Row(
            f"(r) {label}: median req/s memory / redis",
            f"{reads['median_memory_rps']:.0f} / {reads['median_redis_rps']:.0f}",
        ),
    ]
    if reads["median_cpu_ratio"] is not None:
        rows.append(
            run.Row(
                f"(r) {label}: server CPU us/request memory / redis",
                f"{reads['median_memory_cpu_us']:.1f} / {reads['median_redis_cpu_us']:.1f}",
            )
        )
        rows.append(
            run.Row(f"(r) {label}: CPU-per-request ratio", f"{reads['median_cpu_ratio']:.3f}")
        )
    if reads.get("median_redis_redis_cpu_us") is not None:
        rows.append(
            run.Row(
                f"(r) {label}: redis-server CPU us/request",
                f"{reads['median_redis_redis_cpu_us']:.1f}",
            )
        )
    return rows


def table_rows(results: dict[str, Any]) -> list[run.Row]:
    single, fleet, workers = results["single"], results["fleet"], results["workers"]
    writes_done = results["settings"]["writes"]
    rows = read_rows("no writes", single["reads_clean"], target=True)
    rows += read_rows(f"{writes_done:,} writes", single["reads_written"], target=False)
    rows.append(
        run.Row("(r) customers in that tenant after", f"{single['customers_after_writes']:,}")
    )
    count = results["settings"]["latency_writes"]
    for kind, done in (("creates", count), ("updates", writes_done)):
        for label, figures in (
            ("memory", single["latency_memory"]),
            ("redis x1", single["latency_redis"]),
            ("redis, fleet of 3", fleet["latency"]),
        ):
            rows.append(
                run.Row(f"(w) {done:,} {kind} p50/p90/p99, {label}", latency_text(figures[kind]))
            )
    mixes = (single["write_mix_memory"], single["write_mix_redis"], workers["write_mix"])
    rows.append(
        run.Row(
            "(w) write mix req/s memory / redis x1 / workers 3",
            " / ".join(f"{m['rps']:.0f}" for m in mixes),
        )
    )
    rows.append(
        run.Row(
            "(w) write mix server CPU us/request, same",
            " / ".join(f"{m.get('server_cpu_us_per_request', '?')}" for m in mixes),
        )
    )
    rss_single = single["rss_bytes"]
    rows.append(
        run.Row(
            "(m) RSS MiB memory / redis x1",
            f"{mib(rss_single['memory'])} / {mib(rss_single['redis'])}",
        )
    )
    rows.append(
        run.Row("(m) RSS MiB fleet of 3", " / ".join(str(mib(b)) for b in fleet["rss_bytes"]))
    )
    rows.append(
        run.Row(
            "(m) RSS MiB workers 3: supervisor; workers",
            f"{mib(workers['supervisor_rss_bytes'])}; "
            + " / ".join(str(mib(b)) for b in workers["worker_rss_bytes"]),
        )
    )
    marks = fleet["redis_marks"]
    rows.append(
        run.Row(
            "(m) Redis used_memory per 1,000 creates / updates",
            f"{fleet['redis_bytes_per_1000_creates'] / 1024:.0f} / "
            f"{fleet['redis_bytes_per_1000_updates'] / 1024:.0f} KiB",
        )
    )
    rows.append(
        run.Row(
            "(m) of which the log (MEMORY USAGE), same",
            f"{fleet['log_bytes_per_1000_creates'] / 1024:.0f} / "
            f"{fleet['log_bytes_per_1000_updates'] / 1024:.0f} KiB",
        )
    )
    rows.append(
        run.Row(
            "(m) journal stream (capped) after creates / updates",
            f"{marks[1]['journal_bytes'] / 1024:.0f} / {marks[2]['journal_bytes'] / 1024:.0f} KiB",
        )
    )
    rows.append(
        run.Row("(m) redis-server RSS at the end", f"{mib(results['redis_rss_bytes'])} MiB")
    )
    rows.append(
        run.Row(
            "(m) log length (LLEN) after creates / updates",
            f"{marks[1]['log_length']:,} / {marks[2]['log_length']:,}",
        )
    )
    errors = (
        single["reads_clean"]["errors"]
        + single["reads_written"]["errors"]
        + sum(sum(m["errors"].values()) for m in mixes)
    )
    rows.append(run.Row("wrk errors (any non-2xx, socket)", str(errors), "0", errors == 0))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short sanity run")
    parser.add_argument("--rounds", type=int, default=3, help="(r) rounds per backend")
    parser.add_argument("--duration", type=int, default=10, help="(r) seconds per round")
    parser.add_argument("--connections", type=int, default=64, help="(r) wrk connections")
    parser.add_argument("--write-duration", type=int, default=5, help="(w) write mix seconds")
    parser.add_argument("--write-connections", type=int, default=16, help="(w) connections")
    parser.add_argument("--writes", type=int, default=1000, help="writes before (r), updates")
    parser.add_argument("--latency-writes", type=int, default=2000, help="(w) creates timed")
    parser.add_argument("--out", type=Path, default=RESULTS, help="JSON results file")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.duration, args.write_duration = 1, 2, 2
        args.latency_writes = min(args.latency_writes, 300)
    options = Settings(
        args.rounds,
        args.duration,
        args.connections,
        args.write_duration,
        args.write_connections,
        args.writes,
        args.latency_writes,
    )
    wrk = run.ensure_wrk()
    started = datetime.now(UTC)
    results: dict[str, Any] = {
        "started": started.isoformat(timespec="seconds"),
        "settings": vars(options),
        "machine_before": run.machine(),
    }
    with redis_server() as redis:
        results["redis_version"] = redis.client.info("server")["redis_version"]
        results["single"] = bench_single(wrk, redis, options)
        print("(w)/(m) a fleet of three processes ...", file=sys.stderr)
        results["fleet"] = bench_fleet(redis, options)
        print("(w)/(m) --workers 3 ...", file=sys.stderr)
        results["workers"] = bench_workers(wrk, redis, options)
        results["redis_rss_bytes"] = rss(redis.pid)
    results["machine_after"] = run.machine()
    results["seconds"] = round((datetime.now(UTC) - started).total_seconds(), 1)
    sys.stderr.flush()
    rows = table_rows(results)
    results["table"] = [
        {"figure": r.figure, "value": r.value, "target": r.target, "verdict": r.verdict}
        for r in rows
    ]
    run.print_table(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {args.out}", file=sys.stderr)
    return 1 if any(r.passed is False for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
