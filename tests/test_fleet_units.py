"""The fleet's parts that need no Redis: pins (replay.py), lent tenants (store.py), log entries
(fleet/entries.py) and the shared journal's mirror (fleet/journal.py)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest

from mockserver.datagen import generate
from mockserver.fleet.entries import decode, entry_of
from mockserver.fleet.journal import FleetJournal
from mockserver.journal.buffer import Row
from mockserver.replay import PIN, READ_ONLY, Pin, PinnedClock, new_pin, session_id
from mockserver.sessions import Sessions
from mockserver.store import Store

MOMENT = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)


def test_a_pin_decides_the_clock_and_the_session_id_of_its_replay() -> None:
    clock = PinnedClock()
    token = PIN.set(Pin(MOMENT, 1234.5, "ab" * 16))
    try:
        assert clock.now() == MOMENT
        assert clock.seconds() == 1234.5
        assert session_id() == "ab" * 16
        sessions = Sessions(clock=clock.seconds)
        session = sessions.login("t")
        assert (session.session_id, session.expires) == ("ab" * 16, 1234.5 + sessions.ttl_s)
    finally:
        PIN.reset(token)
    # Unpinned: the wall clock (epoch seconds, whole UTC seconds for stamps), fresh ids.
    before = time.time()
    assert before - 1 <= clock.seconds() <= time.time() + 1
    assert clock.now().microsecond == 0
    assert session_id() != session_id()
    pin = new_pin()
    assert len(pin.session_id) == 32 and pin.now.microsecond == 0


def test_a_read_only_request_is_lent_a_tenant_that_the_store_does_not_keep() -> None:
    store = Store(generate(1, 5, 10))
    token = READ_ONLY.set(True)
    try:
        lent = store.tenant("reader")
        assert store.tenant("reader") is lent  # the same object for the next reads
    finally:
        READ_ONLY.reset(token)
    assert "reader" not in store.tenants
    kept = store.tenant("reader")  # a change makes it: kept from now on, never the lent one
    assert kept is not lent and store.tenants["reader"] is kept
    token = READ_ONLY.set(True)
    try:
        assert store.tenant("reader") is kept
    finally:
        READ_ONLY.reset(token)


def test_the_lent_tenants_are_bounded_and_the_limit_still_applies() -> None:
    store = Store(generate(1, 5, 10))
    token = READ_ONLY.set(True)
    try:
        for index in range(1000):
            store.tenant(f"t{index}")
        assert len(store._lent) <= 256
        assert store.tenants == {}
    finally:
        READ_ONLY.reset(token)


def _scope(headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    return {
        "method": "POST",
        "path": "/api/auth/login",
        "raw_path": b"/api/auth/login",
        "query_string": b"x=1",
        "root_path": "",
        "headers": headers,
    }


def test_an_entry_keeps_what_the_replay_needs_and_no_credential() -> None:
    body = b'{"UserName": "u", "Password": "hunter2", "Database": "t", "ApiKey": "k-123"}'
    headers = [
        (b"authorization", b"Bearer admin-secret"),
        (b"cookie", b"a=b"),
        (b"session-id", b"s1"),
        (b"content-type", b"application/json"),
    ]
    pin = Pin(MOMENT, 99.25, "cd" * 16)
    entry, data = entry_of(_scope(headers), body, pin, "host:1:abc", "tok")
    assert b"hunter2" not in data and b"k-123" not in data and b"admin-secret" not in data
    back = decode(data)
    assert back == entry
    assert back.headers == [(b"session-id", b"s1"), (b"content-type", b"application/json")]
    assert msgspec.json.decode(back.body) == {
        "UserName": "u",
        "Password": "***",
        "Database": "t",
        "ApiKey": "***",
    }
    assert (back.method, back.path, back.query, back.origin, back.token) == (
        "POST",
        "/api/auth/login",
        b"x=1",
        "host:1:abc",
        "tok",
    )
    assert back.pin == pin


def test_an_entry_keeps_a_body_without_secrets_byte_for_byte() -> None:
    body = b'{ "name" : "Oy",\n "email": "a@b.fi" }'
    _, data = entry_of(_scope([]), body, new_pin(), "m", "t")
    assert decode(data).body == body


class _Stream:
    """A fleet's journal calls, in memory: the stream is a list."""

    def __init__(self) -> None:
        self.rows: list[tuple[int, bytes]] = []

    async def journal_add(self, rows: list[bytes]) -> None:
        for row in rows:
            self.rows.append((len(self.rows) + 1, row))

    async def journal_read(self, after: int, count: int = 1000) -> list[tuple[int, bytes]]:
        return [(seq, row) for seq, row in self.rows if seq > after][:count]

    async def barrier(self) -> None:
        return None


def _row(tenant: str, arrived: float, path: str = "/api/customers") -> Row:
    return Row(1, arrived, "GET", path, b"", [(b"session-id", b"secret")], b"", 0, tenant,
               200, 1.0)  # fmt: skip


def test_the_shared_journal_mirrors_the_stream_with_fleet_wide_seqs() -> None:
    async def run() -> None:
        stream = _Stream()
        one, two = FleetJournal(stream, 100, "", 10**6), FleetJournal(stream, 100, "", 10**6)
        one.add(_row("a", 10.0, "/api/customers/1"))
        two.add(_row("b", 11.0, "/api/customers/2"))
        one.add(_row("a", 12.0, "/api/customers/3"))
        assert len(one) == 0  # nothing kept before it went through the stream
        await one.asettle()
        await two.asettle()  # flushes two's row, reads all
        await one.asettle()
        for journal in (one, two):
            entries = journal.entries()
            # Numbered in the stream's order, listed in the order the requests arrived.
            assert [(e.seq, e.path) for e in entries] == [
                (1, "/api/customers/1"),
                (3, "/api/customers/2"),
                (2, "/api/customers/3"),
            ]
            assert entries[0].headers["session-id"].startswith("sha256:")  # redacted first
            assert journal.last_seq() == 3

    asyncio.run(run())


def test_a_clear_hides_the_rows_of_its_tenant_that_arrived_before_it_also_late_ones() -> None:
    async def run() -> None:
        stream = _Stream()
        journal = FleetJournal(stream, 100, "", 10**6)
        token = PIN.set(Pin(MOMENT, 100.0, ""))
        try:
            assert journal.clear("a") == 0
        finally:
            PIN.reset(token)
        journal.add(_row("a", 99.0))  # arrived before the clear, reached the stream after it
        journal.add(_row("b", 99.0))
        journal.add(_row("a", 101.0))
        await journal.asettle()
        assert [(e.tenant, e.time) for e in journal.entries()] == [("b", 99.0), ("a", 101.0)]
        token = PIN.set(Pin(MOMENT, 200.0, ""))
        try:
            assert journal.clear() == 2
        finally:
            PIN.reset(token)
        assert journal.entries() == []

    asyncio.run(run())


@pytest.mark.parametrize("size", [1, 2])
def test_the_shared_journal_keeps_its_bounds(size: int) -> None:
    async def run() -> None:
        journal = FleetJournal(_Stream(), size, "", 10**6)
        for index in range(5):
            journal.add(_row("a", float(index)))
        await journal.asettle()
        assert [e.time for e in journal.entries()] == [float(i) for i in range(5 - size, 5)]

    asyncio.run(run())


@pytest.mark.parametrize(
    ("password", "kept"),
    [("hunter2", "***"), ("", ""), ("  ", "  "), (5, 0), (2.5, 0.0), (None, None),
     (True, True), ({"a": "b"}, {}), (["x"], [])],
)  # fmt: skip
def test_a_logged_secret_keeps_its_shape_so_every_check_answers_alike(
    password: Any, kept: Any
) -> None:
    body = msgspec.json.encode({"UserName": "u", "Password": password, "Database": "t"})
    _, data = entry_of(_scope([]), body, new_pin(), "m", "t")
    assert msgspec.json.decode(decode(data).body) == {
        "UserName": "u",
        "Password": kept,
        "Database": "t",
    }
    _, data = entry_of(_scope([]), body, new_pin(), "m", "t", mask=False)
    assert decode(data).body == body  # for a rule that matches on the secret
