"""Scenario rules seen from real HTTP clients over a real socket: every rule kind, condition
and fault, matching, counters, the admin endpoints and ``X-Mock-Scenario``."""

from __future__ import annotations

import asyncio
import http.client
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from threaded import UvicornThread

from mockserver.app import create_app
from mockserver.faults import ConnectionFault
from mockserver.protocol import h11_protocol
from mockserver.scenarios import activate, load_text, unknown_name
from mockserver.serving import uvicorn_config
from mockserver.settings import Settings

SMALL = {"customers": 5, "invoices": 20}
JSON_TYPE = "application/json; charset=utf-8"
YAML = {"Content-Type": "application/yaml"}  # admin writes name their content type


class Served:
    """An app on 127.0.0.1 and a free port, served by uvicorn in a thread."""

    def __init__(self, app: Any, **overrides: Any) -> None:
        self.app = app
        self.state = app.state.mock
        self.fired: list[list[str] | None] = []
        recorder = self._recording(app)
        self.uvicorn = UvicornThread(
            lambda port: uvicorn_config(
                recorder, Settings(log_level="warning"), port=port, log_config=None, **overrides
            )
        )
        self.port = self.uvicorn.port
        self.url = f"http://127.0.0.1:{self.port}"
        self.client = httpx.Client(base_url=self.url, timeout=10)

    def _recording(self, app: Any) -> Any:
        """The app, noting which rules fired for each request (as the journal reads them)."""

        async def recorder(scope: Any, receive: Any, send: Any) -> None:
            try:
                await app(scope, receive, send)
            finally:
                if scope["type"] == "http":
                    self.fired.append(scope.get("state", {}).get("mock_rules_fired"))

        return recorder

    def activate(self, text: str) -> None:
        activate(self.state, load_text(text))

    def close(self) -> None:
        self.client.close()
        self.uvicorn.stop()


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    """``serve(scenario_text, **settings)``: a fresh server, stopped after the test."""
    running: list[Served] = []

    def start(text: str | None = None, protocol: Any = None, **settings: Any) -> Served:
        options = {**SMALL, "scenarios_dir": str(tmp_path), "log_level": "warning", **settings}
        app = create_app(Settings(**options))
        served = Served(app, **({"http": protocol} if protocol is not None else {}))
        running.append(served)
        if text is not None:
            served.activate(text)
        return served

    yield start
    for served in running:
        served.close()


def statuses(client: httpx.Client, path: str, n: int, **kwargs: Any) -> list[int]:
    return [client.get(path, **kwargs).status_code for _ in range(n)]


def login(client: httpx.Client, database: str = "acme", password: str = "p") -> str:
    answer = client.post(
        "/api/auth/login",
        json={"UserName": "u", "Password": password, "Database": database, "ApiKey": "k"},
    )
    assert answer.status_code == 200
    session_id: str = answer.json()["session_id"]
    return session_id


# --- latency --------------------------------------------------------------------------------


def test_fixed_latency_delays_the_answer(serve: Callable[..., Served]) -> None:
    served = serve("rules: [{match: {path: /api/customers}, latency: {ms: 150}}]")
    started = time.perf_counter()
    assert served.client.get("/api/customers").status_code == 200
    assert time.perf_counter() - started >= 0.15
    assert served.client.get("/api/invoices").status_code == 200
    assert not served.fired[-1]  # no rule, so no delay, for another path


def test_latency_does_not_block_other_requests(serve: Callable[..., Served]) -> None:
    """Orders, not durations: the quick request is answered while all six delayed ones are
    still waiting, and all six were in the server at once (each arrived before any was
    answered), so their delays overlap instead of queueing."""
    served = serve("rules: [{match: {path: /api/customers}, latency: {ms: 1000}}]")

    async def run() -> bool:
        async with httpx.AsyncClient(base_url=served.url) as client:
            slow = [asyncio.create_task(client.get("/api/customers")) for _ in range(6)]
            await asyncio.sleep(0.05)
            assert (await client.get("/api/invoices")).status_code == 200
            pending = not any(task.done() for task in slow)
            assert [r.status_code for r in await asyncio.gather(*slow)] == [200] * 6
            return pending

    assert asyncio.run(run()), "the quick request waited for the delayed ones"
    delayed = [e for e in served.state.journal.entries() if e.route == "/api/customers"]
    assert len(delayed) == 6
    assert max(e.time for e in delayed) < min(e.time + e.latency_ms / 1000 for e in delayed)


def test_latencies_of_several_rules_add_up(serve: Callable[..., Served]) -> None:
    served = serve(
        """
rules:
  - latency: {ms: 100}
  - match: {method: GET}
    latency: {ms: 100}
  - match: {method: POST}
    latency: {ms: 2000}
"""
    )
    started = time.perf_counter()
    assert served.client.get("/api/customers").status_code == 200
    assert time.perf_counter() - started >= 0.2
    assert served.fired[-1] == ["rules[0]", "rules[1]"]  # not the POST one's 2 s


# --- errors ---------------------------------------------------------------------------------


def test_error_shortcut_answers_aspnet_shaped(serve: Callable[..., Served]) -> None:
    served = serve("rules: [{match: {path: /api/customers}, error: 503}]")
    answer = served.client.get("/api/customers")
    assert answer.status_code == 503
    assert answer.json() == {"Message": "The service is unavailable."}
    assert answer.headers["content-type"] == JSON_TYPE
    assert "retry-after" not in answer.headers
    for status, message in (
        (500, "An error has occurred."),
        (502, "The server received an invalid response from an upstream server."),
        (504, "The server did not receive a timely response from an upstream server."),
        (418, "I'm a Teapot."),
    ):
        served.activate(f"rules: [{{error: {status}}}]")
        answer = served.client.get("/api/invoices")
        assert (answer.status_code, answer.json()) == (status, {"Message": message})


def test_error_with_any_body_and_headers(serve: Callable[..., Served]) -> None:
    served = serve(
        """
rules:
  - match: {path: /api/invoices}
    error:
      status: 409
      body: [{code: E42, detail: "Ristiriita"}]
      headers: {X-Request-Id: abc-123, Retry-After: 7}
"""
    )
    answer = served.client.get("/api/invoices")
    assert answer.status_code == 409
    assert answer.json() == [{"code": "E42", "detail": "Ristiriita"}]
    assert answer.headers["x-request-id"] == "abc-123"
    assert answer.headers["retry-after"] == "7"


def test_429_carries_retry_after(serve: Callable[..., Served]) -> None:
    served = serve("rules: [{match: {path: /api/customers}, error: 429}]")
    answer = served.client.get("/api/customers")
    assert answer.status_code == 429
    assert answer.headers["retry-after"] == "1"
    assert answer.json() == {"Message": "Too many requests. Try again later."}
    served.activate("rules: [{error: {status: 429, retry_after_s: 30}}]")
    assert served.client.get("/api/customers").headers["retry-after"] == "30"


def test_401_ends_the_session(serve: Callable[..., Served]) -> None:
    served = serve("rules: [{match: {path: /api/customers}, when: {first: 1}, error: 401}]")
    client = served.client
    session = login(client)
    answer = client.get("/api/customers", headers={"Session-Id": session})
    assert answer.status_code == 401
    assert answer.json() == {"Message": "Authorization has been denied for this request."}
    # The rule fired once; the session it ended stays ended.
    alive = client.get("/api/auth/alive", headers={"Session-Id": session})
    assert alive.status_code == 401
    assert client.get("/api/customers", headers={"Session-Id": login(client)}).status_code == 200


def test_401_can_keep_the_session(serve: Callable[..., Served]) -> None:
    served = serve(
        "rules: [{match: {path: /api/customers}, error: {status: 401, invalidate_session: false}}]"
    )
    session = login(served.client)
    assert served.client.get("/api/customers", headers={"Session-Id": session}).status_code == 401
    alive = served.client.get("/api/auth/alive", headers={"Session-Id": session})
    assert alive.status_code == 200


def test_first_error_in_file_order_wins(serve: Callable[..., Served]) -> None:
    served = serve(
        """
rules:
  - {name: slow, latency: {ms: 10}}
  - {name: gone, match: {path: /api/customers}, error: 410}
  - {name: broken, fault: connection_reset}
"""
    )
    answer = served.client.get("/api/customers")
    assert answer.status_code == 410
    assert served.fired[-1] == ["slow", "gone", "broken"]


# --- faults ---------------------------------------------------------------------------------


def _chain(error: BaseException) -> Iterator[BaseException]:
    current: BaseException | None = error
    while current is not None:
        yield current
        current = current.__cause__ or current.__context__


def _raw_get(port: int, path: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path)
    return connection.getresponse()


def test_connection_reset_is_a_tcp_reset(serve: Callable[..., Served]) -> None:
    served = serve("rules: [{match: {path: /api/customers}, fault: connection_reset}]")
    with pytest.raises(httpx.ReadError) as caught:
        served.client.get("/api/customers")
    assert any(isinstance(e, ConnectionResetError) for e in _chain(caught.value))
    with pytest.raises(ConnectionResetError):
        _raw_get(served.port, "/api/customers")
    assert served.client.get("/api/invoices").status_code == 200


def test_connection_reset_drops_the_write(serve: Callable[..., Served]) -> None:
    served = serve("rules: [{match: {method: PUT}, when: {first: 1}, fault: connection_reset}]")
    body = {"name": "Uusi Nimi Oy", "email": "uusi@example.fi"}
    before = served.client.get("/api/customers/1").json()["name"]
    with pytest.raises(httpx.ReadError):
        served.client.put("/api/customers/1", json=body)
    assert served.client.get("/api/customers/1").json()["name"] == before
    assert served.client.put("/api/customers/1", json=body).status_code == 200
    assert served.client.get("/api/customers/1").json()["name"] == "Uusi Nimi Oy"


def test_empty_response_closes_without_a_byte(serve: Callable[..., Served]) -> None:
    served = serve("rules: [{match: {path: /api/customers}, fault: empty_response}]")
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        served.client.get("/api/customers")
    with pytest.raises(http.client.RemoteDisconnected):
        _raw_get(served.port, "/api/customers")


def test_malformed_json_is_a_200_that_does_not_parse(serve: Callable[..., Served]) -> None:
    served = serve("rules: [{match: {path: /api/customers}, fault: malformed_json}]")
    answer = served.client.get("/api/customers")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == JSON_TYPE
    assert answer.content.startswith(b'{"result_count":5,"results":[')
    with pytest.raises(json.JSONDecodeError):
        answer.json()
    served.activate("rules: [{fault: {type: malformed_json, body: '<html>Bad gateway</html>'}}]")
    assert served.client.get("/api/invoices").text == "<html>Bad gateway</html>"


def test_truncated_body_promises_more_than_it_sends(serve: Callable[..., Served]) -> None:
    served = serve("rules: [{match: {path: /api/customers}, fault: truncated_body}]")
    whole = served.client.get("/api/invoices").content  # unaffected
    assert whole
    cut_short = r"without sending complete message body \(received \d+ bytes, expected \d+\)"
    with pytest.raises(httpx.RemoteProtocolError, match=cut_short):
        served.client.get("/api/customers")
    response = _raw_get(served.port, "/api/customers")
    assert response.status == 200
    promised = int(response.headers["content-length"])
    with pytest.raises(http.client.IncompleteRead) as caught:
        response.read()
    assert len(caught.value.partial) == promised // 2
    served.activate("rules: [{fault: {type: truncated_body, keep_bytes: 7}}]")
    response = _raw_get(served.port, "/api/customers")
    with pytest.raises(http.client.IncompleteRead) as caught:
        response.read()
    assert caught.value.partial == b'{"resul'


def test_slow_body_dribbles_the_whole_body(serve: Callable[..., Served]) -> None:
    served = serve(
        "rules: [{match: {path: /api/invoices}, "
        "fault: {type: slow_body, duration_ms: 400, chunks: 4}}]"
    )
    expected = served.client.get("/api/customers").content
    served.activate(
        "rules: [{match: {path: /api/customers}, "
        "fault: {type: slow_body, duration_ms: 400, chunks: 4}}]"
    )
    started = time.perf_counter()
    arrivals: list[float] = []
    body = b""
    with served.client.stream("GET", "/api/customers") as answer:
        assert answer.status_code == 200
        headers_at = time.perf_counter() - started
        for chunk in answer.iter_raw():
            body += chunk
            arrivals.append(time.perf_counter() - started)
    assert body == expected
    assert headers_at <= arrivals[0]  # the head first, then the body in pieces
    assert arrivals[-1] >= 0.4
    assert len(arrivals) >= 3  # several pieces, spread out


def test_faults_over_h11_too(serve: Callable[..., Served]) -> None:
    served = serve(
        "rules: [{match: {path: /api/customers}, fault: connection_reset}]",
        protocol=h11_protocol(),
    )
    with pytest.raises(ConnectionResetError):
        _raw_get(served.port, "/api/customers")
    served.activate("rules: [{match: {path: /api/customers}, fault: truncated_body}]")
    with pytest.raises(http.client.IncompleteRead):
        _raw_get(served.port, "/api/customers").read()


def test_faults_in_process_raise_or_behave(tmp_path: Path) -> None:
    """Without a socket: the connection faults raise ConnectionFault out of the app."""
    app = create_app(Settings(**SMALL))

    async def get(text: str) -> httpx.Response:
        activate(app.state.mock, load_text(text))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
            return await client.get("/api/customers")

    for kind in ("connection_reset", "empty_response", "truncated_body"):
        with pytest.raises(ConnectionFault) as caught:
            asyncio.run(get(f"rules: [{{fault: {kind}}}]"))
        assert caught.value.kind == kind
        assert isinstance(caught.value, ConnectionError)
    malformed = asyncio.run(get("rules: [{fault: malformed_json}]"))
    assert malformed.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        malformed.json()
    slow = asyncio.run(get("rules: [{fault: {type: slow_body, duration_ms: 50, chunks: 2}}]"))
    assert slow.json()["result_count"] == 5


# --- conditions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "pattern"),
    [
        ("{every: 3}", [200, 200, 503, 200, 200, 503, 200]),
        ("{first: 2}", [503, 503, 200, 200, 200, 200, 200]),
        ("{after: 4}", [200, 200, 200, 200, 503, 503, 503]),
        ("{times: 2}", [503, 503, 200, 200, 200, 200, 200]),
        ("{after: 1, times: 2}", [200, 503, 503, 200, 200, 200, 200]),
        ("{every: 2, first: 5}", [200, 503, 200, 503, 200, 200, 200]),
    ],
)
def test_conditions_count_matching_requests(
    serve: Callable[..., Served], when: str, pattern: list[int]
) -> None:
    served = serve(f"rules: [{{match: {{path: /api/customers}}, when: {when}, error: 503}}]")
    seen = []
    for _ in pattern:
        served.client.get("/api/invoices")  # matches nothing: counts nothing
        seen.append(served.client.get("/api/customers").status_code)
    assert seen == pattern


def test_probability_replays_with_the_seed(serve: Callable[..., Served]) -> None:
    text = (
        "seed: 11\nrules: [{match: {path: /api/customers}, when: {probability: 0.5}, error: 503}]"
    )
    first = serve(text)
    second = serve(text)
    one = statuses(first.client, "/api/customers", 40)
    two = statuses(second.client, "/api/customers", 40)
    assert one == two
    assert 8 <= one.count(503) <= 32
    reseeded = serve(text.replace("seed: 11", "seed: 12"))
    assert statuses(reseeded.client, "/api/customers", 40) != one


def test_counters_are_per_tenant_and_reset_clears_them(serve: Callable[..., Served]) -> None:
    served = serve("rules: [{match: {path: /api/customers}, when: {every: 2}, error: 503}]")
    client = served.client
    acme = {"X-Mock-Tenant": "acme"}
    beta = {"X-Mock-Tenant": "beta"}
    assert client.get("/api/customers", headers=acme).status_code == 200
    assert client.get("/api/customers", headers=beta).status_code == 200
    assert client.get("/api/customers", headers=acme).status_code == 503
    session = login(client, "beta")  # the session's tenant counts, not the header
    assert client.get("/api/customers", headers={"Session-Id": session}).status_code == 503
    assert client.get("/api/customers", headers=acme).status_code == 200  # acme: 3rd match
    assert client.post("/_mock/reset", params={"tenant": "acme"}).status_code == 200
    assert client.get("/api/customers", headers=acme).status_code == 200  # acme: 1st again
    assert client.get("/api/customers", headers=beta).status_code == 200  # beta: 3rd
    assert client.post("/_mock/reset").status_code == 200
    assert statuses(client, "/api/customers", 2, headers=beta) == [200, 503]


# --- matching -------------------------------------------------------------------------------


def test_path_templates_match_what_the_route_binds(serve: Callable[..., Served]) -> None:
    served = serve("rules: [{match: {path: '/api/customers/{customer_id}'}, error: 503}]")
    client = served.client
    assert client.get("/api/customers/1").status_code == 503
    assert client.get("/API/Customers/2/").status_code == 503  # routed case-insensitively
    assert client.get("/api/customers/base").status_code == 200  # not an integer
    assert client.get("/api/customers").status_code == 200
    assert client.get("/api/customers/99999999999").status_code == 400  # beyond int32
    served.activate("rules: [{match: {path: /api/customers/3}, error: 503}]")
    assert client.get("/api/customers/3").status_code == 503
    assert client.get("/api/customers/03").status_code == 503  # binds 3, as the route does
    assert client.get("/api/customers/4").status_code == 200


def test_paths_are_matched_without_the_base_path(serve: Callable[..., Served]) -> None:
    served = serve("rules: [{match: {path: /api/invoices}, error: 503}]", base_path="/Lemonsoft30")
    assert served.client.get("/Lemonsoft30/api/invoices").status_code == 503
    assert served.client.get("/lemonsoft30/API/invoices").status_code == 503
    assert served.client.get("/Lemonsoft30/api/customers").status_code == 200
    assert served.client.get("/Lemonsoft30/health").status_code == 200


def test_methods(serve: Callable[..., Served]) -> None:
    served = serve("rules: [{match: {method: [put, POST]}, error: 503}]")
    assert served.client.get("/api/customers/1").status_code == 200
    body = {"name": "X", "email": "x@example.fi"}
    assert served.client.put("/api/customers/1", json=body).status_code == 503
    assert served.client.post("/api/customers", json=body).status_code == 503


def test_query_matching_follows_the_binding_rules(serve: Callable[..., Served]) -> None:
    served = serve(
        """
rules:
  - match: {path: /api/invoices, query: {filter.customer_number: "10001"}}
    error: 503
  - match: {path: /api/customers, query: {Customer_Number: [10002, 10003]}}
    error: 502
"""
    )
    client = served.client
    assert client.get("/api/invoices?customer_number=10001").status_code == 503
    assert client.get("/api/invoices?FILTER.CUSTOMER_NUMBER=10001").status_code == 503
    assert client.get("/api/invoices?customer_number=+10001").status_code == 503
    assert client.get("/api/invoices?customer_number=10002").status_code == 200
    # Once a prefixed key is present, unprefixed keys do not bind.
    assert client.get("/api/invoices?customer_number=10001&filter.page=1").status_code == 200
    assert client.get("/api/invoices?customer_number=x").status_code == 400  # no match: a 400
    # A list parameter matches when it holds every listed value, in any form.
    query = "customer_number=10003&customer_number=10002&customer_number=10004"
    assert client.get(f"/api/customers?{query}").status_code == 502
    indexed = "customer_number[0]=10002&customer_number[1]=10003"
    assert client.get(f"/api/customers?{indexed}").status_code == 502
    assert client.get("/api/customers?customer_number[]=10002").status_code == 200


def test_header_body_and_tenant_matching(serve: Callable[..., Served]) -> None:
    served = serve(
        """
rules:
  - match: {headers: {x-client: Batch}}
    error: 503
  - match: {method: POST, path: /api/customers, body: {name: "Acme Oy", contacts: [{name: M}]}}
    error: 409
  - match: {tenant: acme}
    error: 502
"""
    )
    client = served.client
    assert client.get("/api/invoices", headers={"X-Client": "Batch"}).status_code == 503
    assert client.get("/api/invoices", headers={"X-Client": "batch"}).status_code == 200
    body: dict[str, Any] = {
        "NAME": "Acme Oy",
        "email": "a@example.fi",
        "contacts": [{"name": "M", "customer_id": 0}],
    }
    assert client.post("/api/customers", json=body).status_code == 409
    body["contacts"] = []
    answer = client.post("/api/customers", json=body)
    assert answer.status_code == 200  # the handler read the body the rule looked at
    assert answer.json()["name"] == "Acme Oy"
    assert client.get("/api/invoices", headers={"X-Mock-Tenant": "acme"}).status_code == 502
    session = login(client, "acme")
    assert client.get("/api/invoices", headers={"Session-Id": session}).status_code == 502
    assert client.get("/api/invoices", headers={"X-Mock-Tenant": "Acme"}).status_code == 200


def test_rules_never_touch_service_routes(serve: Callable[..., Served]) -> None:
    served = serve("rules: [{error: 503}, {fault: connection_reset}]")
    client = served.client
    assert client.get("/health").status_code == 200
    assert client.get("/_mock/scenario").status_code == 200
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/docs").status_code == 200
    assert client.get("/api/customers").status_code == 503


def test_rules_fired_are_recorded_for_the_journal(serve: Callable[..., Served]) -> None:
    served = serve(
        """
rules:
  - {name: lists, match: {path: /api/customers}, latency: {ms: 1}}
  - {match: {path: /api/customers}, when: {every: 2}, latency: {ms: 1}}
"""
    )
    statuses(served.client, "/api/customers", 2)
    served.client.get("/api/invoices")
    assert served.fired == [["lists"], ["lists", "rules[1]"], []]
    entries = served.client.get("/_mock/requests").json()
    assert [e.get("rules") for e in entries["requests"]][-3:] == [
        ["lists"],
        ["lists", "rules[1]"],
        [],
    ]


# --- switching at run time ------------------------------------------------------------------


def test_put_get_delete_scenario(serve: Callable[..., Served], tmp_path: Path) -> None:
    startup = tmp_path / "startup.yaml"
    startup.write_text("name: startup\nrules: [{match: {path: /api/invoices}, error: 503}]\n")
    served = serve(scenario=(str(startup),))
    client = served.client
    shown = client.get("/_mock/scenario").json()
    assert (shown["name"], shown["startup"], shown["sources"]) == (
        "startup",
        True,
        [str(startup)],
    )
    assert client.get("/api/invoices").status_code == 503
    answer = client.put(
        "/_mock/scenario",
        content=json.dumps({"name": "json", "rules": [{"error": 502, "when": {"every": 2}}]}),
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 200
    shown = answer.json()
    assert (shown["name"], shown["startup"], shown["sources"]) == ("json", False, ["<body>"])
    assert statuses(client, "/api/invoices", 2) == [200, 502]
    shown = client.get("/_mock/scenario").json()
    assert shown["rules"] == [
        {
            "name": "rules[0]",
            "at": "<body>:1:28",
            "rule": {"when": {"every": 2}, "error": 502},
            "counters": {"default": {"matched": 2, "fired": 1}},
        }
    ]
    assert client.delete("/_mock/scenario").json()["name"] == "startup"
    assert client.get("/api/invoices").status_code == 503


def test_an_invalid_put_changes_nothing(serve: Callable[..., Served]) -> None:
    served = serve("name: before\nrules: [{match: {path: /api/invoices}, error: 503}]")
    answer = served.client.put(
        "/_mock/scenario",
        content="name: after\nrules:\n  - lateny: {ms: 5}\n  - {error: 99}\n",
        headers=YAML,
    )
    assert answer.status_code == 400
    assert answer.json() == {
        "Message": "The scenario is invalid.",
        "ModelState": {
            "scenario": [
                "<body>:3:5: rules[0]: unknown key 'lateny'; did you mean 'latency'?",
                "<body>:4:13: rules[1].error: Expected `int` >= 200",
            ]
        },
    }
    assert served.client.get("/_mock/scenario").json()["name"] == "before"
    assert served.client.get("/api/invoices").status_code == 503


def test_new_data_resets_every_tenant_same_data_keeps_them(serve: Callable[..., Served]) -> None:
    served = serve()
    client = served.client
    created = client.post("/api/customers", json={"name": "Uusi Oy", "email": "u@example.fi"})
    new_id = created.json()["id"]
    answer = client.put("/_mock/scenario", content="rules: [{latency: {ms: 1}}]", headers=YAML)
    assert answer.status_code == 200
    assert client.get(f"/api/customers/{new_id}").status_code == 200  # same data: kept
    answer = client.put("/_mock/scenario", content="data: {customers: 3}", headers=YAML)
    assert answer.json()["data"] == {"customers": 3, "invoices": 15}
    assert client.get(f"/api/customers/{new_id}").status_code == 404
    assert client.get("/api/customers").headers["x-total-count"] == "3"
    assert client.delete("/_mock/scenario").json()["data"] == {"customers": 5, "invoices": 20}


def test_session_ttl_from_the_scenario(serve: Callable[..., Served], clock: Any) -> None:
    served = serve("auth: {session_ttl_s: 0.3}")
    served.state.sessions.clock = clock.seconds  # the fake clock: no real wait, no race
    session = login(served.client)
    assert served.client.get("/api/auth/alive", headers={"Session-Id": session}).status_code == 200
    clock.advance(seconds=0.35)
    assert served.client.get("/api/auth/alive", headers={"Session-Id": session}).status_code == 401
    served.client.delete("/_mock/scenario")
    assert served.client.get("/_mock/scenario").json()["auth"] == {"session_ttl_s": 1800.0}


# --- X-Mock-Scenario ------------------------------------------------------------------------


def test_named_scenario_applies_to_that_request_alone(
    serve: Callable[..., Served], tmp_path: Path
) -> None:
    (tmp_path / "flaky.yaml").write_text(
        "rules: [{name: flaky, match: {path: /api/customers}, when: {every: 2}, error: 503}]\n"
    )
    (tmp_path / "empty.yaml").write_text("data: {customers: 0}\n")
    (tmp_path / "ttl.yaml").write_text("auth: {session_ttl_s: 1}\n")
    (tmp_path / "bad.yaml").write_text("rules: [{eror: 503}]\n")
    served = serve("rules: [{match: {path: /api/invoices}, error: 502}]")
    client = served.client
    flaky = {"X-Mock-Scenario": "flaky"}
    assert statuses(client, "/api/customers", 2, headers=flaky) == [200, 503]
    assert statuses(client, "/api/customers", 2) == [200, 200]  # not the named rules
    assert client.get("/api/invoices", headers=flaky).status_code == 200  # nor the active ones
    assert client.get("/api/invoices").status_code == 502
    acme = {**flaky, "X-Mock-Tenant": "acme"}
    assert statuses(client, "/api/customers", 2, headers=acme) == [200, 503]
    assert client.get("/api/customers", headers=flaky).status_code == 200  # 3rd for default
    assert served.fired[-1] == []
    client.post("/_mock/reset")
    assert statuses(client, "/api/customers", 2, headers=flaky) == [200, 503]
    assert served.fired[-1] == ["flaky"]
    empty = client.get("/api/customers", headers={"X-Mock-Scenario": "empty"})
    assert empty.json() == {"result_count": 0, "results": []}
    assert client.get("/api/customers").json()["result_count"] == 5

    def refused(name: str) -> list[str]:
        answer = client.get("/api/customers", headers={"X-Mock-Scenario": name})
        assert answer.status_code == 400
        body = answer.json()
        assert body["Message"] == "The request is invalid."
        messages: list[str] = body["ModelState"]["X-Mock-Scenario"]
        return messages

    folder = str(tmp_path)
    assert refused("nope") == [unknown_name("nope", folder)]
    assert "The scenarios are: bad, empty, flaky, ttl, acme-overlay," in refused("nope")[0]
    not_a_name = "is not a scenario name (letters, digits, '_', '-' and '.', without a suffix"
    assert refused("../x") == [f"'../x' {not_a_name} such as .yaml, .yml, .json)"]
    assert refused("flaky.yaml") == [f"'flaky.yaml' {not_a_name} such as .yaml, .yml, .json)"]
    assert refused("bad") == [
        f"{folder}/bad.yaml:1:10: rules[0]: unknown key 'eror'; did you mean 'error'?"
    ]
    assert refused("ttl") == [
        "The scenario 'ttl' sets auth, which applies to the whole server: activate it with "
        "PUT /_mock/scenario or --scenario instead."
    ]
    assert client.get("/health", headers={"X-Mock-Scenario": "nope"}).status_code == 200


def test_named_scenario_is_reread_when_its_file_changes(
    serve: Callable[..., Served], tmp_path: Path
) -> None:
    named = tmp_path / "switch.yaml"
    named.write_text("rules: [{error: 503}]\n")
    served = serve()
    headers = {"X-Mock-Scenario": "switch"}
    assert served.client.get("/api/customers", headers=headers).status_code == 503
    named.write_text("rules: [{error: 502}]  # changed\n")
    assert served.client.get("/api/customers", headers=headers).status_code == 502
