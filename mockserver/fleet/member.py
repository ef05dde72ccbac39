"""One process's membership of a fleet: it applies the shared log, holds a lease, and tells
the others how far it got.

**The log.** Every request that changes state (a write, a login, an admin change, a request a
counting scenario rule matches) is appended to the log in Redis before anything applies it,
and every process, the one that took it included, replays the log in its order through the
same application, with the time and the session id pinned (``mockserver.replay``). Each
process so holds the same state, built from the seed it generates itself plus the log: Redis
holds only what changed.

**Read your writes, with no round trip for reads.** A process answers a write only when every
live process has applied it (their ``ack``), or has lost its lease; a process serves nothing
once its lease is past (it renews it every second, only while it hears the log). So a request
that starts after a write was answered finds that write applied wherever it lands, and a read
costs no call to Redis at all: only the check of a deadline.

**Trouble.** Every call to Redis is bounded (``link.TIMEOUT_S``). While Redis is unreachable
writes answer 503 at once and the lease runs out within ``LEASE_MS`` (reads then answer 503
too); the process reconnects by itself, catches up on what it missed, and serves again.

One module, though past 600 lines, because it is one protocol: the lease decides when the log
must have been applied, the acks when a write may be answered, and each reads the other's
state; the shared journal's barrier rides on the same membership.

This module knows Redis and ASGI (it replays requests through the application below the
fleet's middleware), not what any request does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from ..replay import DEFER, FOREIGN, PIN, Deferred
from . import link
from .entries import decode

log = logging.getLogger("mockserver.fleet")

BATCH = 256  # entries fetched per call
KNOWN_KEPT = 4096  # announced entries kept until applied; past it they are fetched
MARGIN_S = 0.5  # a process stops serving this long before its lease ends
FIRST_WAIT_S = 10.0  # how long a request waits for a process that is joining
OWN_WAIT_S = 60.0  # how long a write waits for its own entry to be applied


class FleetUnavailable(Exception):
    """Redis cannot be reached, or this process is not current: the message says why."""


class FleetFull(Exception):
    """The log holds ``--fleet-log`` entries: changes wait for a reset."""


class FleetJoinError(ValueError):
    """This process cannot join the fleet (other seed or sizes, or no Redis at start-up)."""


@dataclass
class Captured:
    """What a replayed request answered, kept for the process that took it."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    error: BaseException | None = None

    async def send(self, message: dict[str, Any]) -> None:
        self.messages.append(message)


@dataclass
class Own:
    """A request this process logged, waiting for its entry to be applied: the live scope and
    body replace the entry's (the journal sees the request's state, the handler its exact
    body), and the answer comes back through ``done``."""

    scope: MutableMapping[str, Any]
    body: bytes
    done: asyncio.Future[tuple[Captured, Deferred]]


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def member_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


def body_receiver(body: bytes) -> Callable[[], Awaitable[dict[str, Any]]]:
    """An ASGI ``receive`` that hands over ``body`` once, then a disconnect."""
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return {"type": "http.disconnect"}

    return receive


class Fleet:
    """This process in the fleet on ``url`` under ``prefix``. ``replay`` is the application
    below the fleet's middleware, ``app`` the whole application (replayed scopes name it);
    ``restart`` returns this process's state to the fleet's start (for a process that finds
    the log dropped past it: a reset to the start came meanwhile); ``journal_size`` caps the
    shared journal stream."""

    def __init__(
        self,
        url: str,
        prefix: str,
        max_log: int,
        restart: Callable[[float], None],
        journal_size: int = 1000,
        meta: dict[str, str] | None = None,
        epoch: str | None = None,
    ) -> None:
        self.url = url
        self.keys = link.Keys(prefix)
        self.channel = link.channel(url, prefix)
        self.max_log = max_log
        self.restart = restart
        self.journal_size = journal_size
        self.meta = meta or {}
        # The fleet's epoch (``P:meta``): another one means Redis lost the fleet's data (a
        # restart without persistence, a flush): everything starts afresh.
        self.epoch = epoch
        self.name = member_name()
        self.replay: Any = None  # set by the middleware
        self.app: Any = None
        self.applied = 0  # the last seq applied here
        self.target = 0  # the last seq known to exist
        self.reason = "not connected to Redis yet"
        self.connected = False
        self._lease_until = 0.0  # monotonic: serve while before it
        self._joined_at_seq: int | None = None  # must be applied before serving (None: joined)
        self._peers: dict[str, float] = {}  # other members -> lease end (monotonic)
        self._seen: dict[str, int] = {}  # members -> seq applied
        self._own: dict[str, Own] = {}  # token -> own request waiting
        # Entries known without fetching them (this process's own, those announced with
        # their entry), by seq, until applied; bounded (``KNOWN_KEPT``).
        self._known: dict[int, bytes] = {}
        self._client: Any = None
        self._tasks: list[asyncio.Task[None]] = []
        self._wanted: asyncio.Event | None = None
        self._changed: asyncio.Event | None = None
        self._current: asyncio.Event | None = None
        self._started = False
        self._closed = False
        self._scripts: dict[str, Any] = {}
        self.journal: Any = None  # the FleetJournal, when the journal is on
        self._flushes: dict[str, set[str]] = {}  # barrier token -> members that flushed
        self._rejoin = True

    # --- state of this member ------------------------------------------------------------

    def current(self) -> bool:
        """Whether this process may serve: its lease holds and it has caught up since it
        (re)joined. One clock read: the read path's only cost."""
        return self._joined_at_seq is None and time.monotonic() < self._lease_until

    def health(self) -> str | None:
        """None while serving; else why not (for ``/health``)."""
        if self.current() and self.connected:
            return None
        if not self.connected:
            return self.reason
        if self._joined_at_seq is not None:
            return f"catching up with the fleet's log ({self.applied} of {self.target})"
        return "this process's lease on the fleet's state ran out"

    async def ensure_current(self, wait_s: float | None = None) -> None:
        """Start the member (first call) and wait until it may serve, at most ``wait_s``
        (default: a short wait once started, ``FIRST_WAIT_S`` before); FleetUnavailable
        after that."""
        if self.current():
            return
        first = not self._started
        self.start()
        assert self._current is not None
        if wait_s is None:
            wait_s = FIRST_WAIT_S if first else 1.0
        deadline = time.monotonic() + wait_s
        while not self.current():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise FleetUnavailable(self.health() or "not current")
            event = self._current
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(min(remaining, 0.25)):
                    await event.wait()

    def start(self) -> None:
        if self._started:
            return
        self._started = True
        self._wanted = asyncio.Event()
        self._changed = asyncio.Event()
        self._current = asyncio.Event()
        self._client = link.client(self.url)
        for name, text in (
            ("append", link.APPEND),
            ("fetch", link.FETCH),
            ("compact", link.COMPACT),
            ("renew", link.RENEW),
            ("leave", link.LEAVE),
            ("journal_add", link.JOURNAL_ADD),
            ("join", link.JOIN),
        ):
            self._scripts[name] = self._client.register_script(text)
        self._tasks = [
            asyncio.create_task(self._listen(), name="mockserver-fleet-listen"),
            asyncio.create_task(self._apply_loop(), name="mockserver-fleet-apply"),
        ]

    # --- writing ---------------------------------------------------------------------------

    def expect(self, token: str, scope: MutableMapping[str, Any], body: bytes) -> Own:
        """Register a request about to be logged (before it is: its entry may be applied
        before ``append`` returns)."""
        loop = asyncio.get_running_loop()
        own = Own(scope, body, loop.create_future())
        self._own[token] = own
        return own

    def forget(self, token: str) -> None:
        self._own.pop(token, None)

    async def append(self, data: bytes, past_bound: bool = False) -> int:
        """Put an entry at the end of the log; its seq. FleetFull, FleetUnavailable.
        ``past_bound``: a change that returns the fleet to its start may pass the bound."""
        try:
            seq = int(
                await self._scripts["append"](
                    keys=[self.keys.seq, self.keys.log, self.keys.base],
                    args=[data, self.max_log, self.channel, "1" if past_bound else "0"],
                )
            )
        except Exception as error:
            await self._drop_connections()
            raise FleetUnavailable(self._lost(error)) from None
        if seq < 0:
            raise FleetFull()
        self._known[seq] = data  # applied from here, not fetched back
        self._want(seq)
        return seq

    async def acknowledged(self, seq: int) -> bool:
        """Wait until every live member has applied ``seq`` (or lost its lease); False if
        that takes longer than two leases (a member that renews but never applies)."""
        assert self._changed is not None
        give_up = time.monotonic() + 2 * link.LEASE_MS / 1000
        while True:
            now = time.monotonic()
            waiting = [
                end
                for member, end in self._peers.items()
                if end > now and self._seen.get(member, 0) < seq
            ]
            if not waiting:
                return True
            if now > give_up:
                return False
            event = self._changed
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.005, min(min(waiting) - now, link.RENEW_S))):
                    await event.wait()

    def _want(self, seq: int) -> None:
        if seq > self.target:
            self.target = seq
        if self._wanted is not None and self.applied < self.target:
            self._wanted.set()

    def _notify(self) -> None:
        """Wake everybody waiting for a change of acks, members or currency."""
        event, self._changed = self._changed, asyncio.Event()
        if event is not None:
            event.set()
        event, self._current = self._current, asyncio.Event()
        if event is not None:
            event.set()

    async def _drop_connections(self) -> None:
        """Forget the pooled connections (a Redis that went away left them dead): the next
        call connects afresh instead of failing once more on a stale one."""
        with contextlib.suppress(Exception):
            await self._client.connection_pool.disconnect()

    def _lost(self, error: BaseException) -> str:
        text = str(error) or type(error).__name__
        return f"Redis is unreachable ({text})"

    # --- applying the log ----------------------------------------------------------------

    async def _apply_loop(self) -> None:
        assert self._wanted is not None
        while not self._closed:
            await self._wanted.wait()
            self._wanted.clear()
            try:
                await self._catch_up()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                # Redis trouble: the listener reconnects, and its renewal wants the log again.
                self.reason = self._lost(error)
                log.debug("mockserver fleet: applying the log failed: %s", self.reason)

    async def _catch_up(self) -> None:
        while self.applied < self.target:
            data = self._known.pop(self.applied + 1, None)
            if data is not None:
                await self._apply(self.applied + 1, data)
                self.applied += 1
                continue
            base, seq, entries = await self._scripts["fetch"](
                keys=[self.keys.seq, self.keys.log, self.keys.base], args=[self.applied, BATCH]
            )
            base, seq = int(base), int(seq)
            self.target = max(self.target, seq)
            if base > self.applied:
                # A reset returned the fleet to its start and dropped the log before it: so
                # does this process, whatever it had not applied yet.
                self.restart(time.time())
                self.applied = base
                for stale in [seq for seq in self._known if seq <= base]:
                    del self._known[stale]
            for data in entries:
                self._known.pop(self.applied + 1, None)
                await self._apply(self.applied + 1, data)
                self.applied += 1
            if not entries and self.applied < self.target:
                break  # the log is behind its number (a reset dropped it): next round
        await self._ack()

    async def _ack(self) -> None:
        applied = self.applied
        self._seen[self.name] = applied
        rejoined = self._joined_at_seq is not None and applied >= self._joined_at_seq
        if rejoined:
            self._joined_at_seq = None
        now = time.monotonic()
        if not rejoined and not any(end > now for end in self._peers.values()):
            # Nobody waits for this process's acks (a process that joins later learns how far
            # it got from the next one, or from its renewal): no round trip for them.
            self._notify()
            return
        pipe = self._client.pipeline(transaction=False)
        pipe.hset(self.keys.seen, self.name, applied)
        pipe.publish(self.channel, f"ack {self.name} {applied}")
        await pipe.execute()
        self._notify()

    async def _apply(self, seq: int, data: bytes) -> None:
        entry = decode(data)
        own = self._own.pop(entry.token, None) if entry.origin == self.name else None
        if own is not None:
            scope, body = own.scope, own.body
        else:
            scope, body = self._scope(entry), entry.body
        captured, deferred = Captured(), Deferred()
        pin_token, defer_token = PIN.set(entry.pin), DEFER.set(deferred)
        foreign_token = FOREIGN.set(own is None)
        try:
            await self.replay(scope, body_receiver(body), captured.send)
        except Exception as error:  # the same failure everywhere: the origin answers it
            captured.error = error
            if own is None:
                log.warning(
                    "mockserver fleet: replaying %s %s failed", entry.method, entry.path,
                    exc_info=error,
                )  # fmt: skip
        finally:
            PIN.reset(pin_token)
            DEFER.reset(defer_token)
            FOREIGN.reset(foreign_token)
        if own is not None and not own.done.done():
            own.done.set_result((captured, deferred))
        if seq % 1000 == 0:
            log.debug("mockserver fleet: applied %d", seq)

    def _scope(self, entry: Any) -> MutableMapping[str, Any]:
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": entry.method,
            "scheme": "http",
            "path": entry.path,
            "raw_path": entry.raw_path,
            "query_string": entry.query,
            "root_path": entry.root_path,
            "headers": entry.headers,
            "client": None,
            "server": None,
            "state": {},
            "app": self.app,
            "extensions": {},
        }

    async def compact(self, seq: int) -> None:
        """The entry ``seq`` returned the fleet to its start: drop the log up to it (if
        nothing came after it), so that a busy fleet's log stays bounded."""
        with contextlib.suppress(Exception):
            await self._scripts["compact"](
                keys=[self.keys.seq, self.keys.log, self.keys.base], args=[seq]
            )

    # --- membership ------------------------------------------------------------------------

    async def _listen(self) -> None:
        """Hear the log and the others; renew the lease while hearing. Reconnects forever."""
        backoff = 0.1
        while not self._closed:
            pubsub = self._client.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                self._rejoin = True
                await self._renew()
                self.connected = True
                backoff = 0.1
                next_renew = time.monotonic() + link.RENEW_S
                while not self._closed:
                    timeout = max(0.0, next_renew - time.monotonic())
                    message = await pubsub.get_message(
                        ignore_subscribe_messages=True, timeout=timeout
                    )
                    if message is not None and message.get("type") == "message":
                        self._hear(message["data"])
                    if time.monotonic() >= next_renew:
                        await self._renew()
                        next_renew = time.monotonic() + link.RENEW_S
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self.connected = False
                self.reason = self._lost(error)
                await self._drop_connections()
                log.warning("mockserver fleet: %s; reconnecting", self.reason)
                self._notify()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 2.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    async def _renew(self) -> None:
        """Extend the lease; learn the live members and how far each got. After a lapse (or
        at first), announce the join and catch up before serving again."""
        rejoin = self._rejoin or time.monotonic() >= self._lease_until
        sent = time.monotonic()
        answer = await self._scripts["renew"](
            keys=[self.keys.members, self.keys.seen, self.keys.seq, self.keys.meta],
            args=[self.name, link.LEASE_MS, self.channel, "1" if rejoin else "0"],
        )
        received = time.monotonic()
        redis_now, seq, live, seen = int(answer[0]), int(answer[1]), answer[2], answer[3]
        epoch = _text(answer[4]) if answer[4] else None
        if epoch != self.epoch:
            await self._lost_data(epoch)
            await self._renew()  # rejoins under the new epoch
            return
        peers = {}
        for i in range(0, len(live), 2):
            member = _text(live[i])
            if member != self.name:
                peers[member] = received + (float(live[i + 1]) - redis_now) / 1000
        self._peers = peers
        for i in range(0, len(seen), 2):
            name = _text(seen[i])
            if name != self.name:
                self._seen[name] = max(self._seen.get(name, 0), int(seen[i + 1]))
        for gone in set(self._seen) - set(peers) - {self.name}:
            del self._seen[gone]
        if rejoin:
            self._rejoin = False
            self._joined_at_seq = seq
        self._lease_until = sent + link.LEASE_MS / 1000 - MARGIN_S
        self._want(seq)
        if self.applied >= seq and self._joined_at_seq is not None:
            await self._ack()
        self._notify()

    async def _lost_data(self, epoch: str | None) -> None:
        """Redis no longer holds this fleet's log (restarted without persistence, flushed):
        the state starts afresh from the seed here too, under the fleet's new epoch (made by
        whichever process notices first; the others take it). The next renewal rejoins."""
        if epoch is None:
            args = [secrets.token_hex(8), *(part for pair in self.meta.items() for part in pair)]
            answer = await self._scripts["join"](keys=[self.keys.meta], args=args)
            if int(answer[0]) != 1:
                raise FleetUnavailable("the fleet in Redis was restarted with other settings")
            epoch = _text(answer[1])
        log.warning("mockserver fleet: Redis lost the fleet's state; starting afresh")
        self.restart(time.time())
        if self.journal is not None:
            self.journal.forget_stream()
        self.epoch = epoch
        self.applied = self.target = 0
        self._known.clear()
        self._seen.clear()
        self._rejoin = True
        self._lease_until = 0.0
        self._notify()

    def _hear(self, data: bytes | str) -> None:
        raw = data if isinstance(data, bytes) else data.encode()
        if raw.startswith(b"log "):
            number, _, entry = raw[4:].partition(b" ")
            logged = int(number)
            if entry and logged > self.applied and len(self._known) < KNOWN_KEPT:
                self._known[logged] = entry
            self._want(logged)
            return
        text = raw.decode()
        kind, _, rest = text.partition(" ")
        if kind == "ack":
            member, _, seq = rest.rpartition(" ")
            if member != self.name:
                self._seen[member] = max(self._seen.get(member, 0), int(seq))
                self._peers.setdefault(member, time.monotonic() + link.LEASE_MS / 1000)
                self._notify()
        elif kind == "join":
            if rest != self.name:
                self._peers[rest] = time.monotonic() + link.LEASE_MS / 1000
                self._seen[rest] = 0
                self._notify()
        elif kind == "leave":
            self._peers.pop(rest, None)
            self._seen.pop(rest, None)
            self._notify()
        elif kind == "flush":
            if self.journal is not None:
                asyncio.get_running_loop().create_task(self._flushed(rest))
        elif kind == "flushed":
            token, _, member = rest.partition(" ")
            done = self._flushes.get(token)
            if done is not None:
                done.add(member)
                self._notify()

    # --- the shared journal ----------------------------------------------------------------

    async def journal_add(self, rows: list[bytes]) -> None:
        await self._scripts["journal_add"](
            keys=[self.keys.jseq, self.keys.journal], args=[self.journal_size, *rows]
        )

    async def journal_read(self, after: int, count: int = 1000) -> list[tuple[int, bytes]]:
        """Rows of the shared journal after seq ``after``, oldest first."""
        found = await self._client.xrange(self.keys.journal, min=f"({after}-1", count=count)
        rows = []
        for ident, fields in found:
            text = ident.decode() if isinstance(ident, bytes) else ident
            rows.append((int(text.split("-")[0]), fields[b"r"]))
        return rows

    async def _flushed(self, token: str) -> None:
        with contextlib.suppress(Exception):
            await self.journal.flush()
            await self._client.publish(self.channel, f"flushed {token} {self.name}")

    async def barrier(self) -> None:
        """Every live member has put the journal rows of the requests it answered so far
        into the shared stream (bounded by their leases)."""
        if self._client is None:
            return
        token = secrets.token_hex(6)
        done = self._flushes[token] = set()
        try:
            await self._client.publish(self.channel, f"flush {token}")
            give_up = time.monotonic() + link.LEASE_MS / 1000
            while True:
                now = time.monotonic()
                waiting = [end for m, end in self._peers.items() if end > now and m not in done]
                if not waiting or now > give_up:
                    return
                event = self._changed
                assert event is not None
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(max(0.005, min(min(waiting) - now, 0.5))):
                        await event.wait()
        finally:
            del self._flushes[token]

    # --- leaving ---------------------------------------------------------------------------

    def close(self) -> None:
        """Leave the fleet (from any thread, after the server stopped): the others stop
        waiting for this process at once instead of when its lease ends."""
        self._closed = True
        for task in self._tasks:
            with contextlib.suppress(RuntimeError):
                task.get_loop().call_soon_threadsafe(task.cancel)
        if not self._started:
            return
        with contextlib.suppress(Exception):
            client = link.sync_client(self.url)
            client.register_script(link.LEAVE)(
                keys=[self.keys.members, self.keys.seen], args=[self.name, self.channel]
            )
            client.close()
