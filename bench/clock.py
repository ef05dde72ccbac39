"""The cost of the mock's clock (issue 13) on the hot path, measured in-process.

What a read on the direct lane does that the clock touches: the session look-up (its expiry
reads the tenant's clock) and the journal's row (it notes the tenant's mock time). Each is
timed three ways, rounds alternated, best of ``--rounds``:

- ``before``: no clocks attached (for the look-up, its code as it was before the clock);
- ``real``: the server's ``Clocks`` attached, every tenant on real time (the default);
- ``mocked``: another tenant's clock frozen, so ``Clocks.mocked`` is true and the looked-up
  tenant's clock is resolved per call (the cost a test pays while it controls time).

Then a whole ``GET /api/customers?page_size=10`` through the ASGI app (session, read lane,
journal), real vs another tenant's clock frozen.

Usage: .venv/bin/python bench/clock.py [--rounds 7] [--number 200000]
"""

from __future__ import annotations

import argparse
import asyncio
import time
import timeit
from datetime import UTC, datetime
from typing import Any

from mockserver.app import create_app
from mockserver.clock import Clocks
from mockserver.journal import Journal
from mockserver.sessions import Sessions
from mockserver.settings import Settings
from mockserver.state import SystemClock

JULY = datetime(2025, 7, 1, 12, tzinfo=UTC)


class _Before(Sessions):
    """``Sessions.lookup`` exactly as it was before the clock (one global clock)."""

    def lookup(self, session_id: str) -> Any:
        session = self._live.get(session_id)
        if session is not None and session.expires <= self.clock():
            self.invalidate(session_id)
            return None
        return session


def _lookup(clocks: Clocks | None) -> Any:
    kind = _Before if clocks is None else Sessions
    sessions = kind(clock=time.monotonic, clocks=clocks)
    session_id = sessions.login("acme").session_id
    return lambda: sessions.lookup(session_id)


def _journal(clocks: Clocks | None) -> Any:
    journal = Journal(10_000, "", 64 * 1024 * 1024)
    journal.clocks = clocks
    headers = [(b"host", b"127.0.0.1:8000"), (b"session-id", b"0" * 32)]
    started = time.perf_counter()
    return lambda: journal.add_answered(
        time.time(), "GET", "/api/customers", b"page_size=10", headers, "acme", 200, started
    )


def _best_ns(fn: Any, number: int, rounds: int) -> float:
    return min(timeit.repeat(fn, number=number, repeat=rounds)) / number * 1e9


def _micro(rounds: int, number: int) -> None:
    real = Clocks(SystemClock())
    mocked = Clocks(SystemClock())
    mocked.set("someone-else", JULY)
    for name, make in (("session lookup", _lookup), ("journal row", _journal)):
        cases = {"before": make(None), "real": make(real), "mocked": make(mocked)}
        best = {key: float("inf") for key in cases}
        for _ in range(rounds):  # alternate the cases, round by round
            for key, fn in cases.items():
                best[key] = min(best[key], _best_ns(fn, number, 1))
        shown = ", ".join(f"{key} {value:7.1f} ns" for key, value in best.items())
        print(f"{name:15s} {shown}   real-before {best['real'] - best['before']:+.1f} ns")


def _asgi_request_us(app: Any, headers: list[tuple[bytes, bytes]], number: int) -> float:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/api/customers",
        "raw_path": b"/api/customers",
        "query_string": b"page_size=10",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        return None

    async def run() -> float:
        start = time.perf_counter()
        for _ in range(number):
            await app(dict(scope), receive, send)
        return (time.perf_counter() - start) / number * 1e6

    return asyncio.run(run())


def _whole(rounds: int, number: int) -> None:
    app = create_app(Settings(customers=200, invoices=0, journal_size=1000))
    state = app.state.mock
    session_id = state.sessions.login("acme").session_id
    headers = [(b"host", b"127.0.0.1"), (b"session-id", session_id.encode())]
    best = {"real": float("inf"), "mocked": float("inf")}
    for _ in range(rounds):
        for key in best:
            if key == "mocked":
                state.clocks.set("someone-else", JULY)
            else:
                state.clocks.clear()
            best[key] = min(best[key], _asgi_request_us(app, headers, number))
    state.clocks.clear()
    print(
        f"GET /api/customers (ASGI, in-process): real {best['real']:.2f} us, "
        f"another tenant frozen {best['mocked']:.2f} us"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--number", type=int, default=200_000)
    args = parser.parse_args()
    _micro(args.rounds, args.number)
    _whole(args.rounds, max(args.number // 100, 500))


if __name__ == "__main__":
    main()
