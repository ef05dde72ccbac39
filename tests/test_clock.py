"""The mock's clock (issue 13): one clock per tenant over the server's base clock, a
server-wide setting for tenants without their own, ``/_mock/clock`` and its access rules, a
scenario's ``clock:``, ``api.clock`` in Python, ISO 8601 durations, the journal's mock time,
and byte-identical write answers under a frozen clock.

Expiry is driven only by the mock's clock (never by waiting): the tests that age sessions run
on the ``clock`` fixture's fake base clock or on a frozen mock clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from mockserver.app import create_app
from mockserver.clock import (
    BACKWARDS,
    ClockError,
    Clocks,
    format_duration,
    parse_duration,
)
from mockserver.settings import Settings
from mockserver.testing import MockServer, RemoteMockServer
from mockserver.wire import DENIED, INVALID

LOGIN = {"UserName": "u", "Password": "p", "Database": "acme", "ApiKey": "k"}
JULY = "2025-07-01T12:00:00Z"
JULY_DT = datetime(2025, 7, 1, 12, tzinfo=UTC)
REMOTE = ("203.0.113.5", 1234)  # TEST-NET-3: never loopback
TOKEN = "clock-token"


def _login(client: TestClient, tenant: str = "acme") -> str:
    answer = client.post("/api/auth/login", json={**LOGIN, "Database": tenant})
    assert answer.status_code == 200
    session_id: str = answer.json()["session_id"]
    return session_id


def _alive(client: TestClient, session_id: str) -> int:
    return client.get("/api/auth/alive", headers={"Session-Id": session_id}).status_code


def _error(status: int, field: str, message: str) -> tuple[int, dict[str, Any]]:
    return status, {"Message": INVALID, "ModelState": {field: [message]}}


# --- sessions age by their tenant's clock ---------------------------------------------------


def test_a_session_expires_after_advancing_31_minutes(make_client: Any) -> None:
    client = make_client()
    session_id = _login(client)
    headers = {"Session-Id": session_id}
    answer = client.post("/_mock/clock/advance", json={"by": "PT29M"}, headers=headers)
    assert answer.status_code == 200
    assert answer.json()["source"] == "tenant" and answer.json()["tenant"] == "acme"
    assert _alive(client, session_id) == 200
    client.post("/_mock/clock/advance", json={"seconds": 120}, headers=headers)  # 31 minutes
    answer = client.get("/api/auth/alive", headers=headers)
    assert (answer.status_code, answer.json()) == (401, {"Message": DENIED})


def test_a_renew_before_expiry_keeps_the_session(make_client: Any) -> None:
    client = make_client()
    session_id = _login(client)
    headers = {"Session-Id": session_id}
    client.put("/_mock/clock?tenant=acme", json={"now": JULY})  # frozen
    client.post("/_mock/clock/advance?tenant=acme", json={"by": "PT29M"})
    renewed = client.post("/api/auth/renew", json=LOGIN, headers=headers)
    assert renewed.status_code == 200
    client.post("/_mock/clock/advance?tenant=acme", json={"by": "PT29M"})  # 58 after login
    assert _alive(client, session_id) == 200
    client.post("/_mock/clock/advance?tenant=acme", json={"by": "PT1M1S"})  # 30:01 after renew
    assert _alive(client, session_id) == 401


def test_setting_the_date_does_not_age_sessions_time_passing_does(make_client: Any) -> None:
    client = make_client()
    session_id = _login(client)  # on the fake base clock's real time
    client.put("/_mock/clock?tenant=acme", json={"now": "2030-01-01T00:00:00Z"})  # a jump
    assert _alive(client, session_id) == 200
    client.put("/_mock/clock?tenant=acme", json={"now": "2020-01-01T00:00:00Z"})  # and back
    client.post("/_mock/clock/advance?tenant=acme", json={"by": "PT29M59S"})
    assert _alive(client, session_id) == 200
    client.post("/_mock/clock/advance?tenant=acme", json={"seconds": 1})
    assert _alive(client, session_id) == 401


def test_a_running_mock_clock_ages_sessions_as_the_base_clock_runs(
    make_client: Any, clock: Any
) -> None:
    client = make_client()
    session_id = _login(client)
    client.put("/_mock/clock?tenant=acme", json={"now": JULY, "frozen": False})
    clock.advance(minutes=29)
    assert _alive(client, session_id) == 200
    client.put("/_mock/clock?tenant=acme", json={"now": JULY})  # frozen: time stops passing
    clock.advance(hours=5)
    assert _alive(client, session_id) == 200
    client.post("/_mock/clock/advance?tenant=acme", json={"by": "PT1M"})
    assert _alive(client, session_id) == 401


def test_two_tenants_clocks_are_independent(make_client: Any, clock: Any) -> None:
    client = make_client()
    acme, globex = _login(client, "acme"), _login(client, "globex")
    client.put("/_mock/clock?tenant=acme", json={"now": JULY})
    client.put("/_mock/clock?tenant=globex", json={"now": "2030-01-02T03:04:05Z"})
    client.post("/_mock/clock/advance?tenant=acme", json={"by": "PT31M"})
    assert (_alive(client, acme), _alive(client, globex)) == (401, 200)
    assert client.get("/_mock/clock?tenant=globex").json()["now"] == "2030-01-02T03:04:05Z"
    body = {"name": "Oy", "email": "o@o.fi"}
    made = client.post("/api/customers", json=body, headers={"Session-Id": globex}).json()
    assert (made["created"], made["modified"]) == ("2030-01-02T03:04:05Z",) * 2
    other = client.post("/api/customers", json=body, headers={"X-Mock-Tenant": "initech"}).json()
    assert other["created"] == "2025-07-01T12:00:00Z"  # the fake base clock: real time here
    clock.advance(hours=2)  # base time moves; a frozen tenant does not
    assert client.get("/_mock/clock?tenant=globex").json()["now"] == "2030-01-02T03:04:05Z"
    assert client.get("/_mock/clock?tenant=initech").json() == {
        "now": "2025-07-01T14:00:00Z",
        "frozen": False,
        "real": True,
        "source": "real",
        "tenant": "initech",
    }


def test_a_running_mock_clock_runs_at_the_base_clocks_pace(make_client: Any, clock: Any) -> None:
    client = make_client()
    answer = client.put("/_mock/clock", json={"now": JULY, "frozen": False})
    assert answer.json() == {
        "now": JULY,
        "frozen": False,
        "real": False,
        "source": "server",
        "tenant": None,
    }
    clock.advance(seconds=90)
    assert client.get("/_mock/clock").json()["now"] == "2025-07-01T12:01:30Z"
    frozen = client.post("/_mock/clock/advance", json={"seconds": 30}).json()
    assert (frozen["now"], frozen["frozen"]) == ("2025-07-01T12:02:00Z", False)


# --- server-wide and per tenant -------------------------------------------------------------


def test_the_server_wide_setting_applies_to_tenants_without_their_own(make_client: Any) -> None:
    client = make_client()
    client.put("/_mock/clock", json={"now": JULY})
    shown = client.get("/_mock/clock?tenant=acme").json()
    assert (shown["now"], shown["frozen"], shown["source"]) == (JULY, True, "server")
    client.put("/_mock/clock?tenant=acme", json={"now": "2026-01-01T00:00:00Z"})
    assert client.get("/_mock/clock?tenant=acme").json()["source"] == "tenant"
    assert client.get("/_mock/clock?tenant=globex").json()["now"] == JULY
    assert client.get("/_mock/clock").json()["now"] == JULY
    client.delete("/_mock/clock?tenant=acme")  # follows the server-wide one again
    assert client.get("/_mock/clock?tenant=acme").json()["now"] == JULY
    answer = client.delete("/_mock/clock").json()
    assert (answer["real"], answer["source"], answer["frozen"]) == (True, "real", False)
    assert client.get("/_mock/clock?tenant=acme").json()["source"] == "real"


def test_a_reset_returns_the_clocks(make_client: Any) -> None:
    client = make_client()
    client.put("/_mock/clock?tenant=acme", json={"now": JULY})
    client.put("/_mock/clock?tenant=globex", json={"now": JULY})
    client.post("/_mock/reset?tenant=acme")
    assert client.get("/_mock/clock?tenant=acme").json()["source"] == "real"
    assert client.get("/_mock/clock?tenant=globex").json()["source"] == "tenant"
    client.put("/_mock/clock", json={"now": JULY})
    client.post("/_mock/reset")
    assert client.get("/_mock/clock?tenant=globex").json()["source"] == "real"
    assert client.get("/_mock/clock").json()["source"] == "real"


def test_deleting_a_tenant_drops_its_clock(make_client: Any) -> None:
    client = make_client()
    _login(client, "acme")
    client.put("/_mock/clock?tenant=acme", json={"now": JULY})
    assert client.delete("/_mock/tenants/acme").status_code == 204
    assert client.get("/_mock/clock?tenant=acme").json()["source"] == "real"


def test_tenant_clocks_are_bounded_by_max_tenants() -> None:
    client = TestClient(create_app(Settings(customers=1, invoices=0, max_tenants=2)))
    for name in ("a", "b"):
        assert client.put(f"/_mock/clock?tenant={name}", json={"now": JULY}).status_code == 200
    answer = client.put("/_mock/clock?tenant=c", json={"now": JULY})
    assert answer.status_code == 507
    assert "maximum of 2 tenants" in answer.json()["Message"]
    assert client.put("/_mock/clock?tenant=a", json={"now": JULY}).status_code == 200


# --- byte-identical answers under a frozen clock ----------------------------------------------


def _invoice(customer_number: int) -> dict[str, Any]:
    row = {"quantity": 2, "unit_price": 10.5, "total": 0, "tax_rate": 25.5, "product_name": "Työ"}
    return {"date": "2025-06-20", "customer_number": customer_number, "rows": [row]}


def _run_writes() -> list[bytes]:
    """A fixed sequence of requests, writes included, on a fresh server (the real base
    clock, seed 7) with a frozen clock: every answer but those naming the session (login,
    alive: session ids are random by design and appear in no write answer)."""
    app = create_app(Settings(customers=20, invoices=40, seed=7))
    answers = []
    with TestClient(app) as client:
        client.put("/_mock/clock", json={"now": JULY})
        session_id = _login(client, "replay")
        headers = {"Session-Id": session_id}
        body = {"name": "Replay Oy", "email": "r@r.fi", "accounts": [{"iban": "FI00 1"}]}
        made = client.post("/api/customers", json=body, headers=headers)
        customer_id = made.json()["id"]
        client.post("/_mock/clock/advance", json={"by": "PT10M"}, headers=headers)
        steps = [
            made,
            client.put(
                f"/api/customers/{customer_id}", json={**body, "city": "Oulu"}, headers=headers
            ),
            client.post(
                f"/api/customers/{customer_id}/accounts", json={"iban": "FI00 2"}, headers=headers
            ),
            client.post("/api/customers", json={"name": "B", "email": "b@b.fi"}, headers=headers),
            client.post("/api/invoices", json=_invoice(made.json()["number"]), headers=headers),
            client.get(f"/api/customers/{customer_id}", headers=headers),
            client.get("/api/customers?page_size=3&page=7", headers=headers),
        ]
        invoice_id = steps[4].json()["id"]
        row = {"quantity": 1, "unit_price": 5, "total": 0, "tax_rate": 25.5, "product_name": "Osa"}
        steps.append(client.post(f"/api/invoices/{invoice_id}/row", json=row, headers=headers))
        answers = [answer.content for answer in steps]
        assert [a.status_code for a in steps] == [200] * len(steps), answers
        assert _alive(client, session_id) == 200  # its answer names the (random) session
    return answers


def test_a_frozen_clock_gives_byte_identical_write_answers_on_every_run() -> None:
    first, second = _run_writes(), _run_writes()
    assert first == second
    created = httpx.Response(200, content=first[0]).json()
    assert (created["created"], created["modified"]) == (JULY, JULY)
    updated = httpx.Response(200, content=first[1]).json()
    assert (updated["created"], updated["modified"]) == (JULY, "2025-07-01T12:10:00Z")
    invoice = httpx.Response(200, content=first[4]).json()
    assert invoice["modified_date"] == "2025-07-01T12:10:00Z"


# --- a scenario's clock -----------------------------------------------------------------------


SCENARIO = "name: july\nclock: {now: 2025-07-01T12:00:00Z, frozen: true}\n"
YAML = {"Content-Type": "application/yaml"}


def test_a_scenario_sets_the_server_wide_clock_until_it_is_cleared(make_client: Any) -> None:
    client = make_client()
    assert client.put("/_mock/scenario", content=SCENARIO, headers=YAML).status_code == 200
    shown = client.get("/_mock/clock?tenant=acme").json()
    assert (shown["now"], shown["frozen"], shown["source"]) == (JULY, True, "server")
    assert client.get("/_mock/scenario").json()["clock"] == {"now": JULY, "frozen": True}
    client.post("/_mock/clock/advance", json={"by": "P1D"})
    client.post("/_mock/reset")  # back to the start: the scenario's clock
    assert client.get("/_mock/clock").json()["now"] == JULY
    rules_only = "name: other\nrules: [{error: 503, match: {path: /api/invoices}}]\n"
    client.put("/_mock/scenario", content=rules_only, headers=YAML)  # no clock: real again
    assert client.get("/_mock/clock").json()["source"] == "real"
    assert client.get("/_mock/scenario").json()["clock"] is None
    client.put("/_mock/scenario", content=SCENARIO, headers=YAML)
    assert client.delete("/_mock/scenario").status_code == 200
    assert client.get("/_mock/clock").json()["source"] == "real"


def test_a_scenario_without_a_clock_keeps_an_admins_setting(make_client: Any) -> None:
    client = make_client()
    client.put("/_mock/clock", json={"now": JULY})
    client.put("/_mock/scenario", content="name: r\nrules: [{error: 503}]\n", headers=YAML)
    assert client.get("/_mock/clock").json()["now"] == JULY


def test_a_scenarios_clock_is_checked_at_its_line(make_client: Any) -> None:
    client = make_client()
    text = "name: bad\nclock:\n  now: yesterday\n"
    answer = client.put("/_mock/scenario", content=text, headers=YAML)
    assert answer.status_code == 400
    [problem] = answer.json()["ModelState"]["scenario"]
    assert problem.startswith("<body>:3:8: ")
    far = "name: far\nclock: {now: 1800-01-01T00:00:00Z}\n"
    [problem] = client.put("/_mock/scenario", content=far, headers=YAML).json()["ModelState"][
        "scenario"
    ]
    assert "outside the clock's range" in problem
    assert client.get("/_mock/clock").json()["source"] == "real"  # nothing applied


def test_a_named_scenario_may_not_set_the_clock(make_client: Any, tmp_path: Any) -> None:
    (tmp_path / "july.yaml").write_text(SCENARIO)
    client = make_client(scenarios_dir=str(tmp_path))
    answer = client.get("/api/customers", headers={"X-Mock-Scenario": "july"})
    assert answer.status_code == 400
    assert "sets clock, which applies to the whole server" in answer.text


# --- the journal notes both times -----------------------------------------------------------


def test_the_journal_records_the_real_and_the_mock_time(make_client: Any) -> None:
    client = make_client()
    client.put("/_mock/clock?tenant=acme", json={"now": "2030-01-01T00:00:00Z"})
    client.get("/api/customers", headers={"X-Mock-Tenant": "acme"})
    client.get("/api/customers", headers={"X-Mock-Tenant": "globex"})
    entries = client.get("/_mock/requests").json()["requests"]
    acme, globex = entries
    assert acme["mock_time"] == "2030-01-01T00:00:00.000+00:00"
    assert acme["time"] != acme["mock_time"]
    assert globex["mock_time"] == globex["time"]

    local = client.app.state.mock.journal.entries("acme")[0]
    assert local.mock_time == datetime(2030, 1, 1, tzinfo=UTC).timestamp()


# --- access rules ----------------------------------------------------------------------------


def _guarded(**settings: Any) -> tuple[Any, str, str]:
    app = create_app(Settings(customers=2, invoices=0, **settings))
    local = TestClient(app)
    return app, _login(local, "acme"), _login(local, "globex")


def test_a_session_controls_its_own_tenants_clock_from_anywhere() -> None:
    app, acme, _ = _guarded(admin_token=TOKEN)
    remote = TestClient(app, client=REMOTE)
    headers = {"Session-Id": acme}
    answer = remote.put("/_mock/clock", json={"now": JULY}, headers=headers)
    assert answer.status_code == 200 and answer.json()["tenant"] == "acme"
    assert remote.get("/_mock/clock?tenant=acme", headers=headers).json()["now"] == JULY
    assert remote.post("/_mock/clock/advance", json={"seconds": 1}, headers=headers).is_success
    assert remote.delete("/_mock/clock", headers=headers).json()["source"] == "real"
    state = app.state.mock
    assert state.clocks.server is None and state.clocks.tenants == {}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/_mock/clock?tenant=globex", None),
        ("PUT", "/_mock/clock?tenant=globex", {"now": JULY}),
        ("POST", "/_mock/clock/advance?tenant=globex", {"seconds": 5}),
        ("DELETE", "/_mock/clock?tenant=globex", None),
    ],
)
def test_a_session_may_not_touch_another_tenants_clock(method: str, path: str, body: Any) -> None:
    app, acme, _ = _guarded(admin_token=TOKEN)
    remote = TestClient(app, client=REMOTE)
    answer = remote.request(method, path, json=body, headers={"Session-Id": acme})
    assert answer.status_code == 403
    assert "own tenant 'acme'" in answer.json()["Message"]
    assert app.state.mock.clocks.mocked is False


def test_the_server_wide_clock_needs_admin_authority() -> None:
    app, acme, _ = _guarded(admin_token=TOKEN)
    remote = TestClient(app, client=REMOTE)
    assert remote.put("/_mock/clock", json={"now": JULY}).status_code == 401
    admin = {"Authorization": f"Bearer {TOKEN}"}
    answer = remote.put("/_mock/clock", json={"now": JULY}, headers=admin)
    assert (answer.status_code, answer.json()["source"]) == (200, "server")
    # An admin's request carrying a session works on that session's tenant.
    both = {**admin, "Session-Id": acme}
    assert remote.get("/_mock/clock", headers=both).json()["tenant"] == "acme"
    # A dead session never falls back to the server-wide clock.
    dead = {**admin, "Session-Id": "0" * 32}
    answer = remote.delete("/_mock/clock", headers=dead)
    assert (answer.status_code, answer.json()) == (401, {"Message": DENIED})
    assert app.state.mock.clocks.server is not None


def test_without_a_token_remote_clients_are_refused() -> None:
    app, _, _ = _guarded()
    answer = TestClient(app, client=REMOTE).put("/_mock/clock", json={"now": JULY})
    assert answer.status_code == 403
    assert app.state.mock.clocks.mocked is False


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [
        ("PUT", "/_mock/clock", {}, _error(400, "clock.now", "The now field is required.")),
        (
            "PUT",
            "/_mock/clock",
            {"now": "1800-01-01T00:00:00Z"},
            _error(
                400,
                "clock.now",
                "'1800-01-01T00:00:00Z' is outside the clock's range 1900-01-01T00:00:00Z to "
                "9999-01-01T00:00:00Z (exclusive).",
            ),
        ),
        (
            "POST",
            "/_mock/clock/advance",
            {"seconds": -1},
            _error(400, "clock.seconds", BACKWARDS),
        ),
        (
            "POST",
            "/_mock/clock/advance",
            {"by": "-PT5M"},
            _error(400, "clock.by", BACKWARDS),
        ),
        (
            "POST",
            "/_mock/clock/advance",
            {"by": "P1M"},
            _error(
                400,
                "clock.by",
                "'P1M' has years or months, whose length varies: give weeks, days, hours, "
                "minutes or seconds (such as P30D).",
            ),
        ),
        (
            "POST",
            "/_mock/clock/advance",
            {"seconds": 1, "by": "PT1S"},
            _error(400, "clock", "Give either seconds (a number) or by (an ISO 8601 duration)."),
        ),
        (
            "POST",
            "/_mock/clock/advance",
            {},
            _error(400, "clock", "Give either seconds (a number) or by (an ISO 8601 duration)."),
        ),
        (
            "POST",
            "/_mock/clock/advance",
            {"by": "P999999999D"},
            _error(
                400,
                "clock.by",
                "The result would be outside the clock's range 1900-01-01T00:00:00Z to "
                "9999-01-01T00:00:00Z (exclusive).",
            ),
        ),
    ],
)
def test_bad_clock_bodies_are_400s_naming_the_field(
    make_client: Any, method: str, path: str, body: Any, expected: tuple[int, Any]
) -> None:
    client = make_client()
    answer = client.request(method, path, json=body)
    assert (answer.status_code, answer.json()) == expected
    assert client.get("/_mock/clock").json()["source"] == "real"  # nothing changed


def test_unreadable_clock_bodies_are_json_net_worded(make_client: Any) -> None:
    client = make_client()
    answer = client.put("/_mock/clock", json={"now": "yesterday"})
    assert answer.status_code == 400
    [message] = answer.json()["ModelState"]["clock.now"]
    assert "yesterday" in message
    answer = client.post("/_mock/clock/advance", json={"seconds": "many"})
    assert answer.status_code == 400 and list(answer.json()["ModelState"]) == ["clock.seconds"]
    answer = client.put("/_mock/clock", content=b"now=1", headers={"Content-Type": "text/plain"})
    assert answer.status_code == 415
    assert client.get("/_mock/clock").json()["source"] == "real"


def test_clock_bodies_may_be_yaml(make_client: Any) -> None:
    client = make_client()
    answer = client.put("/_mock/clock", content="now: 2025-07-01T12:00:00Z\n", headers=YAML)
    assert (answer.status_code, answer.json()["now"]) == (200, JULY)
    answer = client.post("/_mock/clock/advance", content="by: PT31M\n", headers=YAML)
    assert answer.json()["now"] == "2025-07-01T12:31:00Z"
    answer = client.put("/_mock/clock", content="now: [\n", headers=YAML)
    assert answer.status_code == 400
    [problem] = answer.json()["ModelState"]["clock"]
    assert problem.startswith("<body>:2:1: ")


# --- ISO 8601 durations ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT31M", timedelta(minutes=31)),
        ("P1DT2H", timedelta(days=1, hours=2)),
        ("P2W", timedelta(weeks=2)),
        ("P1W2DT3H4M5S", timedelta(weeks=1, days=2, hours=3, minutes=4, seconds=5)),
        ("PT90.5S", timedelta(seconds=90, milliseconds=500)),
        ("PT0,000001S", timedelta(microseconds=1)),
        ("PT0S", timedelta(0)),
        ("P0D", timedelta(0)),
    ],
)
def test_iso_durations_parse(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "P", "PT", "P1DT", "T1H", "PT1H2S3M", "P1Y", "P1M", "PT1.1234567S", "pt1m", "PT1.5M",
     "P1.5D", "PT 1M", "-PT1M", "+PT1M", "PT1M ", "P1W1W", "PT" + "9" * 13 + "S"],
)  # fmt: skip
def test_iso_durations_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


@given(st.timedeltas(min_value=timedelta(0)))
def test_a_formatted_duration_parses_back(delta: timedelta) -> None:
    text = format_duration(delta)
    assert text.startswith("P")
    assert parse_duration(text) == delta


# --- the Clocks object ------------------------------------------------------------------------


class _Base:
    def __init__(self) -> None:
        self.moment = datetime(2026, 1, 1, tzinfo=UTC)
        self.monotonic = 1000.0  # a monotonic clock's scale: not the epoch's

    def now(self) -> datetime:
        return self.moment

    def seconds(self) -> float:
        return self.monotonic

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)
        self.monotonic += seconds


def test_a_tenants_seconds_measure_time_passing_on_its_clock() -> None:
    base = _Base()
    clocks = Clocks(base)
    assert clocks.seconds("a") == 1000.0 and clocks.mocked is False
    clocks.set("a", datetime(1999, 1, 1), frozen=True)  # a date far away: no time passes
    assert clocks.seconds("a") == 1000.0
    base.advance(60)
    assert clocks.seconds("a") == 1000.0  # frozen
    assert clocks.seconds("b") == 1060.0
    clocks.advance("a", timedelta(minutes=2))
    assert clocks.seconds("a") == 1120.0
    assert clocks.now("a") == datetime(1999, 1, 1, 0, 2, tzinfo=UTC)
    clocks.set("a", datetime(2040, 1, 1), frozen=False)
    base.advance(30)
    assert clocks.seconds("a") == 1150.0
    assert clocks.now("a") == datetime(2040, 1, 1, 0, 0, 30, tzinfo=UTC)
    clocks.set(None, datetime(2001, 1, 1))  # the server-wide clock: its own seconds
    assert clocks.seconds("b") == 1090.0 and clocks.seconds("a") == 1150.0
    clocks.reset("a")  # follows the server-wide clock again
    assert clocks.seconds("a") == 1090.0 and clocks.now("a") == datetime(2001, 1, 1, tzinfo=UTC)
    clocks.reset(None)
    assert clocks.mocked is False and clocks.seconds("a") == 1090.0


def test_naive_times_are_utc_and_microseconds_never_stamp() -> None:
    clocks = Clocks(_Base())
    clocks.set(None, datetime(2025, 7, 1, 12, 0, 0, 999_999), frozen=True)
    assert clocks.now("x") == JULY_DT
    assert clocks.moment("x") == JULY_DT + timedelta(microseconds=999_999)
    with pytest.raises(ClockError):
        clocks.advance("x", timedelta(seconds=-1))


# --- api.clock in Python -------------------------------------------------------------------


def test_api_clock_on_a_mock_server_and_a_tenant_handle() -> None:
    with MockServer(customers=2, invoices=0) as api:
        api.clock.freeze(datetime(2025, 7, 1, 12))  # naive: UTC
        assert api.clock.now() == JULY_DT and api.clock.frozen
        handle = api.tenant("clocked")
        assert handle.clock.now() == JULY_DT  # follows the server-wide setting
        headers = handle.headers
        assert httpx.get(api.url + "/api/auth/alive", headers=headers).status_code == 200
        after = handle.clock.advance(minutes=31)
        assert after == JULY_DT + timedelta(minutes=31)
        assert api.clock.now() == JULY_DT  # the server-wide clock did not move
        assert httpx.get(api.url + "/api/auth/alive", headers=headers).status_code == 401
        handle.clock.set(datetime(2031, 1, 1, tzinfo=UTC))
        assert not handle.clock.frozen
        handle.clock.reset()
        assert handle.clock.now() == JULY_DT
        api.clock.reset()
        assert api.state.clocks.mocked is False
        with pytest.raises(ValueError):
            api.clock.advance(minutes=-1)


def test_api_clock_on_a_remote_mock_server() -> None:
    with MockServer(customers=2, invoices=0) as api:
        remote = RemoteMockServer(api.url)
        remote.clock.freeze(JULY_DT)
        assert remote.clock.now() == JULY_DT
        remote.clock.advance(timedelta(days=1), hours=1, seconds=0.5)
        assert remote.clock.now() == JULY_DT + timedelta(days=1, hours=1, seconds=0.5)
        handle = remote.tenant("remote-clock")
        handle.clock.freeze(datetime(2030, 1, 1))
        assert api.state.clocks.reading("remote-clock").source == "tenant"
        handle.clock.reset()
        remote.clock.reset()
        assert api.state.clocks.mocked is False
