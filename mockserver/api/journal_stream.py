"""``GET /_mock/requests/stream``: the request journal live, as Server-Sent Events.

One event per journaled request, ``id:`` its ``seq`` and ``data:`` the entry in the shape of
``GET /_mock/requests`` (one line of JSON), in the order the journal keeps them. A client first
gets the kept entries after ``since`` (or after the ``Last-Event-ID`` its ``EventSource`` sends
when it reconnects; the newest ``limit`` of them), then every new one (with ``follow=false``,
the stream ends after the kept ones, like ``tail`` without ``-f``). The stream takes the
filters of ``GET /_mock/requests`` (a session holder's is confined to its own tenant by the
guard, as there).

A slow reader never makes the server hold more: each stream has a bounded queue (entries and
bytes); what does not fit is dropped and counted, and the reader gets an ``event: skipped``
whose data say how many (``{"skipped": N, "message": "N skipped: ..."}``) before the next
entries. A comment line every 15 s keeps idle connections (and proxies) open.

The queue is filled by the journal's subscription hook (``Journal.subscribe``), on the
server's loop; the journal knows nothing of streams and costs nothing while none is open.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import AsyncIterator, Callable

import msgspec
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from ..binding import parse_query
from ..journal import FilterError, Journal, RequestFilter, Row, filter_from_query, select
from .common import invalid, state_of

EVENT_STREAM = "text/event-stream; charset=utf-8"
QUEUE_ENTRIES = 1000  # per stream, waiting to be sent
QUEUE_BYTES = 4 * 1024 * 1024  # of those entries, as the journal counts them
HEARTBEAT_S = 15.0
RETRY_MS = 2000  # how long an EventSource waits before it reconnects
_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


class Subscription:
    """The queue of one stream: ``__call__`` is the journal's subscriber (on the server's
    loop, or on another thread, which then wakes the loop thread-safely), ``drain`` takes
    what waits and how many were skipped since the last drain."""

    def __init__(
        self,
        tenant: str | None,
        max_entries: int = QUEUE_ENTRIES,
        max_bytes: int = QUEUE_BYTES,
    ) -> None:
        self.tenant = tenant
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.rows: deque[Row] = deque()
        self.bytes = 0
        self.skipped = 0
        self.wake = asyncio.Event()
        self.loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()

    def __call__(self, row: Row) -> None:
        if self.tenant is not None and row.tenant != self.tenant:
            return
        if len(self.rows) >= self.max_entries or self.bytes + row.size > self.max_bytes:
            self.skipped += 1
        else:
            self.rows.append(row)
            self.bytes += row.size
        if threading.get_ident() == self._thread:
            self.wake.set()
        else:
            self.loop.call_soon_threadsafe(self.wake.set)

    def drain(self) -> tuple[list[Row], int]:
        rows, skipped = list(self.rows), self.skipped
        self.rows.clear()
        self.bytes = self.skipped = 0
        return rows, skipped


def _nothing() -> None:
    return None


def event(entry_json: bytes, seq: int) -> bytes:
    return b"id: %d\ndata: %s\n\n" % (seq, entry_json)


def skipped_event(count: int) -> bytes:
    message = (
        f"{count} skipped: the reader fell behind and the stream dropped them rather than "
        "hold them (GET /_mock/requests still has what the journal keeps)"
    )
    return b"event: skipped\ndata: %s\n\n" % msgspec.json.encode(
        {"skipped": count, "message": message}
    )


def _resume_from(request: Request, since: int | None) -> int | None:
    """``since``, or the ``Last-Event-ID`` a reconnecting client sends (the later of both)."""
    last = request.headers.get("last-event-id", "").strip()
    if last.isdigit():
        return max(int(last), since or 0)
    return since


async def _events(
    journal: Journal,
    subscription: Subscription,
    criteria: RequestFilter,
    since: int | None,
    limit: int | None,
    unsubscribe: Callable[[], None],
    follow: bool,
) -> AsyncIterator[bytes]:
    try:
        yield b"retry: %d\n: mockserver journal stream\n\n" % RETRY_MS
        # Subscribed first, then the backlog read: nothing falls between; a row in both
        # (recorded meanwhile) is sent once.
        kept = journal.entries(criteria.tenant, since)
        sent = {entry.seq for entry in kept}
        backlog = list(select(kept, criteria))
        if limit is not None:
            backlog = backlog[-limit:] if limit else []
        if backlog:
            yield b"".join(event(msgspec.json.encode(e.to_dict()), e.seq) for e in backlog)
        while follow:
            subscription.wake.clear()
            rows, skipped = subscription.drain()
            if not rows and not skipped:
                try:
                    await asyncio.wait_for(subscription.wake.wait(), HEARTBEAT_S)
                except TimeoutError:
                    yield b": keep-alive\n\n"
                continue
            chunks = [skipped_event(skipped)] if skipped else []
            for row in rows:
                if row.seq in sent:
                    sent.discard(row.seq)
                    continue
                if since is not None and row.seq <= since:
                    continue
                entry = journal.entry(row)
                if not criteria.matches(entry):
                    continue
                chunks.append(event(msgspec.json.encode(entry.to_dict()), entry.seq))
            if chunks:
                yield b"".join(chunks)
    finally:
        unsubscribe()


_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


def _follow(params: list[tuple[str, str]]) -> tuple[bool, list[tuple[str, str]]]:
    """``follow`` (default true; false: the kept entries only, then the stream ends) and
    the other parameters, for the journal's filter."""
    follow, rest = True, []
    for key, value in params:
        if key.lower() != "follow":
            rest.append((key, value))
        elif value.strip().lower() in _BOOLEANS:
            follow = _BOOLEANS[value.strip().lower()]
        else:
            raise invalid(
                {key: [f"The value '{value}' is not valid for follow: use true or false."]}
            )
    return follow, rest


async def stream_requests(request: Request) -> Response:
    follow, params = _follow(parse_query(request.scope["query_string"]))
    try:
        criteria, limit = filter_from_query(params)
    except FilterError as error:
        raise invalid(error.model_state) from None
    if request.method == "HEAD":
        return Response(status_code=200, headers=_HEADERS, media_type=EVENT_STREAM)
    journal = state_of(request).journal
    since = _resume_from(request, criteria.since)
    subscription = Subscription(criteria.tenant, QUEUE_ENTRIES, QUEUE_BYTES)
    unsubscribe = journal.subscribe(subscription) if follow else _nothing
    return StreamingResponse(
        _events(journal, subscription, criteria, since, limit, unsubscribe, follow),
        headers=_HEADERS,
        media_type=EVENT_STREAM,
    )
