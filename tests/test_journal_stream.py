"""``GET /_mock/requests/stream`` without a browser: httpx reads the Server-Sent Events of a
server in a thread (uvicorn as ``serve`` configures it, direct lane included).

Events arrive in the shape of ``GET /_mock/requests`` with ``id:`` their seq;
``Last-Event-ID`` resumes after it; a reader that falls behind gets ``event: skipped`` with
the number dropped rather than the server holding more; a session holder sees only its own
tenant. The queue itself is checked apart (``Subscription``).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from threaded import UvicornThread

from mockserver.api import journal_stream
from mockserver.api.journal_stream import Subscription
from mockserver.app import create_app
from mockserver.journal import Row
from mockserver.serving import uvicorn_config
from mockserver.settings import Settings


class Served:
    def __init__(self, **options: Any) -> None:
        self.settings = Settings(log_level="warning", customers=5, invoices=10, **options)
        self.app = create_app(self.settings)
        self.state = self.app.state.mock
        self.uvicorn = UvicornThread(
            lambda port: uvicorn_config(self.app, self.settings, port=port, log_config=None)
        )
        self.url = f"http://127.0.0.1:{self.uvicorn.port}"


@pytest.fixture
def served() -> Iterator[Served]:
    server = Served()
    yield server
    server.uvicorn.stop()


Event = dict[str, str]


def _events(lines: Iterator[str], count: int) -> list[Event]:
    """The next ``count`` events (comments and a bare ``retry:`` skipped), each as its
    fields."""
    found: list[Event] = []
    fields: Event = {}
    for line in lines:
        if line == "":
            if "data" in fields:
                found.append(fields)
                fields = {}
                if len(found) == count:
                    return found
            fields = {}
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        fields[name] = value.removeprefix(" ")
    raise AssertionError(f"the stream ended after {found}")


def _stream(client: httpx.Client, url: str, headers: dict[str, str] | None = None) -> Any:
    return client.stream("GET", url + "/_mock/requests/stream", headers=headers or {})


def test_events_arrive_as_the_journal_shows_them(served: Served) -> None:
    with httpx.Client(timeout=10) as client, _stream(client, served.url) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert stream.headers["cache-control"] == "no-cache"
        lines = stream.iter_lines()
        assert next(lines) == "retry: 2000"
        httpx.get(served.url + "/api/customers", params={"page_size": 2})  # the direct lane
        httpx.post(
            served.url + "/api/customers", json={"name": "x"}, headers={"X-Mock-Tenant": "t"}
        )
        first, second = _events(lines, 2)
    journal = httpx.get(served.url + "/_mock/requests").json()["requests"]
    assert [first["id"], second["id"]] == [str(e["seq"]) for e in journal]
    assert [json.loads(first["data"]), json.loads(second["data"])] == journal
    assert journal[1]["tenant"] == "t" and journal[1]["status"] == 400
    assert "event" not in first


def test_last_event_id_resumes_after_it(served: Served) -> None:
    for page in (1, 2, 3):
        httpx.get(served.url + "/api/invoices", params={"page": page})
    with httpx.Client(timeout=10) as client:
        with _stream(client, served.url, {"Last-Event-ID": "1"}) as stream:
            events = _events(stream.iter_lines(), 2)
        assert [e["id"] for e in events] == ["2", "3"]
        assert [json.loads(e["data"])["query"] for e in events] == ["page=2", "page=3"]
        # since= and limit= as GET /_mock/requests takes them: the newest one after seq 1
        with client.stream("GET", served.url + "/_mock/requests/stream?since=1&limit=1") as stream:
            lines = stream.iter_lines()
            (event,) = _events(lines, 1)
            assert event["id"] == "3"
            httpx.get(served.url + "/api/invoices", params={"page": 4})
            (live,) = _events(lines, 1)
            assert live["id"] == "4"


def test_a_reader_that_falls_behind_gets_skipped(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(journal_stream, "QUEUE_ENTRIES", 5)
    journal = served.state.journal
    with httpx.Client(timeout=10) as client, _stream(client, served.url) as stream:
        lines = stream.iter_lines()
        assert next(lines) == "retry: 2000"
        deadline = time.monotonic() + 10
        while not journal._subscribers:  # the stream subscribes before its first line
            assert time.monotonic() < deadline
            time.sleep(0.01)
        subscription = journal._subscribers[0]
        assert isinstance(subscription, Subscription)

        def burst() -> None:  # on the server's loop: the stream cannot drain in between
            for n in range(20):
                journal.add_answered(
                    time.time(), "GET", f"/api/invoices/{n}", b"", [], "default", 200,
                    time.perf_counter(),
                )  # fmt: skip

        subscription.loop.call_soon_threadsafe(burst)
        events = _events(lines, 6)
    assert events[0]["event"] == "skipped"
    assert json.loads(events[0]["data"])["skipped"] == 15
    assert json.loads(events[0]["data"])["message"].startswith("15 skipped")
    assert [json.loads(e["data"])["path"] for e in events[1:]] == [
        f"/api/invoices/{n}" for n in range(5)
    ]
    deadline = time.monotonic() + 10
    while journal._subscribers:  # the reader left: the journal forgets its queue
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_the_queue_is_bounded_in_entries_and_bytes() -> None:
    async def fill() -> tuple[list[Row], int]:
        queue = Subscription("a", max_entries=3, max_bytes=1000)
        row = Row(1, 0.0, "GET", "/x", b"", [], b"", 0, "a", 200, 1.0, size=400)
        for seq in range(1, 6):
            queue(row._replace(seq=seq))
        queue(row._replace(seq=9, tenant="b"))  # another tenant's: not this stream's
        assert queue.wake.is_set()
        return queue.drain()

    rows, skipped = asyncio.run(fill())
    assert [r.seq for r in rows] == [1, 2]  # a third would pass 1000 bytes
    assert skipped == 3


def test_a_session_holder_streams_only_its_own_tenant() -> None:
    server = Served(admin_token="s3cret")
    try:
        login = httpx.post(
            server.url + "/api/auth/login",
            json={"UserName": "u", "Password": "p", "Database": "mine", "ApiKey": "k"},
        )
        session = login.json()["session_id"]
        refused = httpx.get(server.url + "/_mock/requests/stream")
        assert refused.status_code == 401
        other = httpx.get(
            server.url + "/_mock/requests/stream?tenant=theirs", headers={"Session-Id": session}
        )
        assert other.status_code == 403
        headers = {"Session-Id": session}
        with httpx.Client(timeout=10) as client, _stream(client, server.url, headers) as stream:
            lines = stream.iter_lines()
            httpx.get(server.url + "/api/customers", headers={"X-Mock-Tenant": "theirs"})
            httpx.get(server.url + "/api/invoices", headers=headers)
            events = _events(lines, 2)  # its own login, then its own read
        tenants = {json.loads(e["data"])["tenant"] for e in events}
        paths = [json.loads(e["data"])["path"] for e in events]
        assert tenants == {"mine"}
        assert paths == ["/api/auth/login", "/api/invoices"]
        page = httpx.get(server.url + "/_mock/ui")  # the page itself holds no data: open
        assert page.status_code == 200
        assert httpx.get(server.url + "/_mock/ui/app.js").status_code == 200
        assert httpx.get(server.url + "/_mock/scenarios").status_code == 401
    finally:
        server.uvicorn.stop()


def test_bad_filters_are_a_400(served: Served) -> None:
    answer = httpx.get(served.url + "/_mock/requests/stream?since=soon")
    assert answer.status_code == 400
    assert answer.json() == {
        "Message": "The request is invalid.",
        "ModelState": {"since": ["The value 'soon' is not a valid whole number."]},
    }
