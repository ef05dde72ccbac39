"""The request journal of a fleet: every process's requests, in one capped Redis stream.

A process records as it always does (``Journal.add``, the direct lane's ``add_answered``),
but a row it records goes to the stream (in batches, never on the request's path), and what
it keeps and shows is a mirror of the stream: its own rows and every other process's, each
numbered by the stream (``seq``, fleet-wide), listed in the order they arrived. Reading it
(``asettle``, which every journal reader awaits first) asks every live process to put what
it holds into the stream and waits for them, so a request answered anywhere before the read
is in it.

A clear (``DELETE /_mock/requests``, a reset) is a change every process applies from the
log: each hides the rows of the tenant that arrived before the clear's pinned time, also
rows still on their way. This module knows the journal and the fleet, not HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import msgspec

from ..journal import Journal
from ..journal.buffer import Entry, Row
from ..replay import PIN

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(Row)
_CLEARS_KEPT = 10_000


def _arrival(entry: Entry) -> tuple[float, int]:
    return entry.time, entry.seq


TAIL_S = 0.1  # how often a process with live streams (SSE) reads the stream


class FleetJournal(Journal):
    """A ``Journal`` mirroring the fleet's stream (``fleet``: the ``member.Fleet``)."""

    def __init__(self, fleet: Any, size: int, base_path: str, max_bytes: int) -> None:
        super().__init__(size, base_path, max_bytes)
        self.fleet = fleet
        self._pending: list[bytes] = []
        self._flushing: asyncio.Task[None] | None = None
        self._fleet_seq = 0  # the newest stream seq mirrored
        self._cleared_all = 0.0  # rows that arrived before it are hidden (epoch seconds)
        self._cleared: dict[str, float] = {}  # per tenant
        self._tail: asyncio.Task[None] | None = None

    # --- this process's rows go to the stream -------------------------------------------

    def _keep(self, row: Row) -> None:
        if row.size > self.max_bytes:
            row = self._trimmed(row)
        pending = self._pending
        pending.append(_encoder.encode(row))
        if len(pending) > max(self.size, 1):  # Redis away for long: the oldest go, as kept
            del pending[: len(pending) - self.size]
        if self._flushing is None or self._flushing.done():
            with contextlib.suppress(RuntimeError):  # no loop: the next read flushes
                self._flushing = asyncio.get_running_loop().create_task(self.flush())
        if self._subscribers and self._tail is None:
            self._start_tail()

    async def flush(self) -> None:
        """Put the rows recorded here into the stream (one call for all of them)."""
        while self._pending:
            rows, self._pending = self._pending, []
            try:
                await self.fleet.journal_add(rows)
            except Exception:
                # Redis is away: the rows wait for the next flush (bounded: the oldest go).
                self._pending[:0] = rows
                del self._pending[: max(0, len(self._pending) - self.size)]
                return

    # --- the stream comes back here --------------------------------------------------------

    async def pull(self) -> None:
        """Mirror every row the stream holds after the newest mirrored."""
        while True:
            rows = await self.fleet.journal_read(self._fleet_seq)
            for seq, data in rows:
                self._fleet_seq = max(self._fleet_seq, seq)
                row = _decoder.decode(data)
                if row.arrived < max(self._cleared_all, self._cleared.get(row.tenant, 0.0)):
                    continue
                Journal._keep(self, row._replace(seq=seq))
            if len(rows) < 1000:
                return

    async def asettle(self, timeout_s: float = 1.0) -> None:
        await super().asettle(timeout_s)
        with contextlib.suppress(Exception):  # Redis away: what is mirrored is shown
            await self.flush()
            await self.fleet.barrier()
            await self.pull()

    def entries(self, tenant: str | None = None, since: int | None = None) -> list[Entry]:
        """As ``Journal.entries``, in the order the requests arrived: each process sends its
        rows in batches after answering, so the stream's order (``seq``) may put a request
        after one that arrived later on another process."""
        kept = super().entries(tenant, since)
        kept.sort(key=_arrival)
        return kept

    def forget_stream(self) -> None:
        """Redis lost the stream (and the fleet's state): mirror it afresh from its start."""
        self._fleet_seq = 0
        self._pending.clear()

    def last_seq(self) -> int:
        return self._fleet_seq

    def clear(self, tenant: str | None = None) -> int:
        pin = PIN.get()
        at = pin.seconds if pin is not None else time.time()
        if tenant is None:
            self._cleared_all = max(self._cleared_all, at)
            self._cleared.clear()
        else:
            if len(self._cleared) >= _CLEARS_KEPT:
                self._cleared.clear()
            self._cleared[tenant] = max(self._cleared.get(tenant, 0.0), at)
        return super().clear(tenant)

    # --- live streams ----------------------------------------------------------------------

    def subscribe(self, callback: Any) -> Any:
        unsubscribe = super().subscribe(callback)
        self._start_tail()
        return unsubscribe

    def _start_tail(self) -> None:
        if self._tail is None or self._tail.done():
            with contextlib.suppress(RuntimeError):
                self._tail = asyncio.get_running_loop().create_task(self._tailing())

    async def _tailing(self) -> None:
        """While anybody streams the journal, mirror the stream as it grows."""
        while self._subscribers:
            with contextlib.suppress(Exception):
                await self.flush()
                await self.pull()
            await asyncio.sleep(TAIL_S)
        self._tail = None
