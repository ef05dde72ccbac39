"""How fast ``mockserver record`` records, on this machine.

A stand-in upstream (the mock itself, in this process's background thread, under
``/Lemonsoft30`` with ``--auth required``, seed 7) holds 10,000 customers and 50,000 invoices;
the recorder pages through them (page size 100), anonymizes and writes the scenario, then the
mock's own loader checks it. Prints records per second for the whole recording and the time
of each phase. Not a test: run it by hand (about a minute on 2 cores).

Usage: .venv/bin/python bench/record.py [--customers 10000] [--invoices 50000] [--page-size 100]
       [--keep-personal-data] [--no-check]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from mockserver.bridge.record import (
    Progress,
    Recording,
    RecordOptions,
    fetch,
    problems,
    shaped,
    write,
)
from mockserver.bridge.upstream import Credentials, Upstream
from mockserver.testing import MockServer


async def _fetch(options: RecordOptions, recording: Recording) -> tuple[list, list]:  # type: ignore[type-arg]
    upstream = Upstream(options.upstream, Credentials("bench", "bench", "bench", "bench"))
    try:
        return await fetch(upstream, options, Progress(enabled=False), recording)
    finally:
        await upstream.aclose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--invoices", type=int, default=50_000)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--keep-personal-data", action="store_true")
    parser.add_argument("--no-check", dest="check", action="store_false")
    args = parser.parse_args()
    started = time.perf_counter()
    with MockServer(
        seed=7,
        customers=args.customers,
        invoices=args.invoices,
        base_path="/Lemonsoft30",
        auth="required",
    ) as upstream, tempfile.TemporaryDirectory() as folder:  # fmt: skip
        print(f"stand-in ready in {time.perf_counter() - started:.1f} s: {upstream.url}")
        options = RecordOptions(
            upstream=upstream.url,
            out=Path(folder) / "recorded",
            page_size=args.page_size,
            anonymize=not args.keep_personal_data,
        )
        recording = Recording()
        phases: dict[str, float] = {}
        t0 = time.perf_counter()
        customers, invoices = asyncio.run(_fetch(options, recording))
        t1 = time.perf_counter()
        phases["fetch (paging the upstream)"] = t1 - t0
        recording.customers, recording.invoices = len(customers), len(invoices)
        customers, invoices = shaped(customers, invoices, options, recording)
        t2 = time.perf_counter()
        phases["shape and anonymize"] = t2 - t1
        scenario = write(options.out, customers, invoices, options, recording)
        t3 = time.perf_counter()
        phases["write the files"] = t3 - t2
        found = problems(scenario) if args.check else []
        t4 = time.perf_counter()
        if args.check:
            phases["check with the mock's loader"] = t4 - t3
        size = sum(p.stat().st_size for p in options.out.rglob("*") if p.is_file())
    records = recording.customers + recording.invoices
    total = t4 - t0
    print(
        f"recorded {recording.customers:,} customers and {recording.invoices:,} invoices "
        f"({recording.requests:,} requests, {size / 2**20:.0f} MiB of files)"
    )
    for name, seconds in phases.items():
        print(f"  {name:<32} {seconds:6.1f} s")
    print(f"  {'total':<32} {total:6.1f} s  -> {records / total:,.0f} records/s")
    if args.check:
        print(f"  without the check              -> {records / (t3 - t0):,.0f} records/s")
    if found:
        print(f"the recording has {len(found)} problems, first: {found[0]}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
