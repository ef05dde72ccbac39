"""The passthrough's added latency per request (issue 12): the same ``GET`` sent straight to
a stand-in upstream, and through a mock started with ``--upstream`` pointing at it.

The stand-in is a second mock (``/Lemonsoft30``, sessions required) whose scenario answers
``GET /api/products`` (a route the mock does not implement) with a recorded page. Rounds
alternate direct and passthrough, one keep-alive client each, so background load hurts both
alike; the report is the median and p95 of each and their difference. Not a test: run it by
hand (about 20 seconds).

    .venv/bin/python bench/passthrough.py [--requests 2000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

from mockserver.settings import Settings
from mockserver.testing import MockServer

PAGE = {
    "results": [{"id": n, "product_code": f"P-{n}", "name": f"Tuote {n}"} for n in range(20)],
    "result_count": 20,
}


def timed(client: httpx.Client, url: str, headers: dict[str, str], count: int) -> list[float]:
    out = []
    for _ in range(count):
        started = time.perf_counter()
        answer = client.get(url, headers=headers)
        out.append((time.perf_counter() - started) * 1000.0)
        assert answer.status_code == 200, answer.text
    return out


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=2000, help="per round and side")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    for name in ("USERNAME", "PASSWORD", "DATABASE", "APIKEY"):
        os.environ[f"MOCKSERVER_UPSTREAM_{name}"] = "bench"
    folder = Path(tempfile.mkdtemp())
    rule = {"match": {"method": "GET", "path": "/api/products"},
            "respond": {"status": 200, "body": PAGE}}  # fmt: skip
    (folder / "vendor.yaml").write_text(yaml.safe_dump({"rules": [rule]}))
    upstream = MockServer(
        customers=10, base_path="/Lemonsoft30", auth="required",
        scenario=str(folder / "vendor.yaml"), journal_size=0,
    )  # fmt: skip
    with upstream:
        settings = Settings(log_level="warning", upstream=upstream.url, journal_size=0)
        with MockServer(customers=10, settings=settings) as bridge:
            session = upstream.login("bench")
            direct: list[float] = []
            through: list[float] = []
            with httpx.Client() as one, httpx.Client() as other:
                timed(one, upstream.url + "/api/products", {"Session-Id": session}, 50)
                timed(other, bridge.url + "/api/products", {}, 50)  # warm: login, pools
                for _ in range(args.rounds):
                    direct += timed(
                        one, upstream.url + "/api/products", {"Session-Id": session},
                        args.requests,
                    )  # fmt: skip
                    through += timed(other, bridge.url + "/api/products", {}, args.requests)
    rows = [("direct", direct), ("passthrough", through)]
    print(f"{'':12} {'median ms':>10} {'p95 ms':>10} {'mean ms':>10}   ({len(direct)} requests)")
    for name, values in rows:
        print(
            f"{name:12} {statistics.median(values):10.3f} {percentile(values, 0.95):10.3f} "
            f"{statistics.fmean(values):10.3f}"
        )
    added = statistics.median(through) - statistics.median(direct)
    print(f"added by the passthrough: {added:.3f} ms per request (median)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
