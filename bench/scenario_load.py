"""How fast a recorded scenario loads (``mockserver validate`` / ``serve --scenario``), with
the fast record-file reader and with the marking reader alone (as before it existed).

Records a stand-in upstream with ``mockserver record``'s own code into a temporary folder
(1,000 records a file, one per line, ``$ref``'d from scenario.yaml), or takes a recorded
scenario (``--scenario``), then times
``load_files`` + ``check_data`` in CPU seconds (process time: background load on a shared
machine hurts less). Not a test: run it by hand (about a minute and a half for the default size).

Usage: .venv/bin/python bench/scenario_load.py [--customers 2000] [--invoices 10000]
       [--scenario PATH/scenario.yaml] [--fast-only]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mockserver import records
from mockserver.bridge.record import Progress, Recording, RecordOptions, fetch, shaped, write
from mockserver.bridge.upstream import Credentials, Upstream
from mockserver.scenarios import check_data, load_files
from mockserver.settings import Settings
from mockserver.testing import MockServer


def record_scenario(folder: Path, customers: int, invoices: int) -> Path:
    """A recording (``mockserver record``'s own code, anonymized) of a stand-in upstream: the
    mock itself in a background thread, seed 7, as ``bench/record.py`` does."""
    with MockServer(
        seed=7, customers=customers, invoices=invoices, base_path="/Lemonsoft30", auth="required"
    ) as upstream:
        options = RecordOptions(upstream=upstream.url, out=folder / "recorded", page_size=100)
        recording = Recording()

        async def fetched() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            client = Upstream(options.upstream, Credentials("bench", "bench", "bench", "bench"))
            try:
                return await fetch(client, options, Progress(enabled=False), recording)
            finally:
                await client.aclose()

        found_customers, found_invoices = asyncio.run(fetched())
        recording.customers, recording.invoices = len(found_customers), len(found_invoices)
        shaped_customers, shaped_invoices = shaped(
            found_customers, found_invoices, options, recording
        )
        return write(options.out, shaped_customers, shaped_invoices, options, recording)


@contextmanager
def marking_only() -> Iterator[None]:
    """Every record file read by the marking reader."""
    fast = getattr(records, "parse_plain_json")  # noqa: B009 (put back below)
    setattr(records, "parse_plain_json", lambda *args, **kwargs: None)  # noqa: B010
    try:
        yield
    finally:
        setattr(records, "parse_plain_json", fast)  # noqa: B010


def timed(scenario: Path) -> tuple[float, float, int]:
    """CPU seconds of loading and of checking the data, and the number of records."""
    t0 = time.process_time()
    loaded = load_files([str(scenario)])
    t1 = time.process_time()
    check_data(Settings(), loaded)
    t2 = time.process_time()
    return t1 - t0, t2 - t1, len(loaded.customers) + len(loaded.invoices)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--invoices", type=int, default=10_000)
    parser.add_argument("--scenario", type=Path)
    parser.add_argument("--fast-only", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        scenario = args.scenario or record_scenario(Path(folder), args.customers, args.invoices)
        timed(scenario)  # warm up: model introspection, caches
        load, check, count = timed(scenario)
        print(f"{count:,} records")
        total = load + check
        print(f"  fast reader:    load {load:6.2f} s + check {check:5.2f} s = {total:6.2f} s")
        if not args.fast_only:
            with marking_only():
                slow_load, slow_check, _ = timed(scenario)
            slow_total = slow_load + slow_check
            print(
                f"  marking reader: load {slow_load:6.2f} s + check {slow_check:5.2f} s = "
                f"{slow_total:6.2f} s"
            )
            print(
                f"  speed-up: load {slow_load / load:.1f}x, load + check {slow_total / total:.1f}x"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
