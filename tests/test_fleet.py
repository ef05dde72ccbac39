"""A fleet behaves as one server (issue 14): real ``mockserver serve --state redis://...``
processes on a real redis-server of the tests' own, asserting exact answers.

Sessions, writes (read-your-writes across processes), tenants and their limit, scenario
counters and dice, resets, the clock and the journal are shared fleet-wide; a replica may be
restarted or killed; a persistent Redis keeps everything across a restart of the whole fleet;
Redis going away answers 503s and service resumes when it is back; fleets on other prefixes or
databases never meet; a process of other data refuses to join; the log of changes is bounded;
a rule's delay and connection fault are delivered by the process that took the request.

Fleets that no test disturbs are started once for the module (``fleet``: tests keep to their
own tenants; ``admin_fleet``: for changes that reach every tenant, put back after each test).
Every wait is a hang guard (``WAIT_S``), never a budget.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from functools import partial
from typing import Any

import httpx
import pytest
from conftest import StartRedis
from fleet_harness import Fleet, FleetProcess
from redis_server import RedisServer, redis_server_path

from mockserver import MockServer
from mockserver.settings import Settings

DATA = ("--customers", "50", "--invoices", "100")
SEEDED_CUSTOMERS = 50
WAIT_S = 30.0  # hang guards, not budgets
HTTP_TIMEOUT_S = 30.0  # a write may wait for a killed replica's lease (5 s)

DENIED = {"Message": "Authorization has been denied for this request."}
UNAVAILABLE = re.compile(
    r"The mock's shared state is unavailable: Redis is unreachable \(.+\)\. "
    r"Nothing was changed; retry shortly\."
)
FULL_LOG = (
    "The fleet's log of changes is full (5 entries, --fleet-log); return the fleet to its "
    "start to go on: DELETE /_mock/scenario (if one was activated), then POST /_mock/reset."
)
JOIN_REFUSED = (
    "mockserver: error: cannot join the fleet on {url} (prefix '{prefix}'): it was started "
    "with {differ}; start with the same --seed, --customers, --invoices, --base-path and "
    "scenario, or another --state-prefix"
)


# --- HTTP helpers ---------------------------------------------------------------------------


def tenant(name: str) -> dict[str, str]:
    return {"X-Mock-Tenant": name}


def session(session_id: str) -> dict[str, str]:
    return {"Session-Id": session_id}


# One client for the module: its kept-alive connections make a request cost what the server
# takes, not a new client's set-up.
HTTP = httpx.Client(timeout=HTTP_TIMEOUT_S)


@pytest.fixture(scope="module", autouse=True)
def _close_client() -> Iterator[None]:
    yield
    HTTP.close()


def get(url: str, headers: Mapping[str, str] | None = None, **params: Any) -> httpx.Response:
    return HTTP.get(url, headers=headers, params=params)


def post(url: str, body: Any = None, headers: Mapping[str, str] | None = None) -> httpx.Response:
    return HTTP.post(url, json=body, headers=headers)


def put(
    url: str, body: Any, headers: Mapping[str, str] | None = None, **params: Any
) -> httpx.Response:
    return HTTP.put(url, json=body, headers=headers, params=params)


def put_yaml(url: str, text: str) -> httpx.Response:
    return HTTP.put(url, content=text, headers={"Content-Type": "application/yaml"})


def delete(url: str, headers: Mapping[str, str] | None = None) -> httpx.Response:
    return HTTP.delete(url, headers=headers)


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, (response.request.url, response.text)
    return response.json() if response.content else None


def login(url: str, database: str) -> str:
    body = {"UserName": "u", "Password": "p", "Database": database, "ApiKey": "k"}
    answer = ok(post(url + "/api/auth/login", body))
    session_id: str = answer["session_id"]
    return session_id


def create_customer(url: str, headers: Mapping[str, str], name: str) -> dict[str, Any]:
    body = {"name": name, "email": "laskutus@example.fi"}
    created: dict[str, Any] = ok(post(url + "/api/customers", body, headers))
    return created


def alive(url: str, session_id: str) -> httpx.Response:
    return get(url + "/api/auth/alive", session(session_id))


def total(response: httpx.Response) -> int:
    assert response.status_code == 200, response.text
    return int(response.headers["x-total-count"])


def named(url: str, headers: Mapping[str, str], name: str) -> int:
    """How many customers of the tenant have ``name`` in their name (the list's total)."""
    return total(get(url + "/api/customers", headers, **{"filter.name": name}))


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"never {what} within {WAIT_S:g} s")


def answers(
    call: Callable[[], httpx.Response], check: Callable[[httpx.Response], bool]
) -> Callable[[], bool]:
    """A condition for ``wait_until``: ``call`` answers and ``check`` holds of the answer."""

    def condition() -> bool:
        try:
            return check(call())
        except httpx.TransportError:
            return False

    return condition


def enter_all(stack: ExitStack, fleets: list[Fleet]) -> None:
    """Start several fleets at once (each stopped by ``stack``)."""
    errors: list[BaseException] = []

    def start(fleet: Fleet) -> None:
        try:
            fleet.__enter__()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=start, args=(fleet,)) for fleet in fleets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for fleet in fleets:
        stack.callback(fleet.__exit__, None, None, None)
    if errors:
        stack.close()
        raise errors[0]


# --- fleets ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def module_redis() -> Iterator[RedisServer]:
    """One redis-server for the module's fleets (each on prefixes of its own)."""
    redis_server_path()
    with RedisServer() as server:
        yield server


@pytest.fixture(scope="module")
def fleet(module_redis: RedisServer) -> Iterator[Fleet]:
    """Three processes that tests share, each test in tenants of its own."""
    with Fleet(module_redis.url, "shared", 3, *DATA) as started:
        yield started


def _put_back(urls: list[str]) -> None:
    first = urls[0]
    ok(delete(first + "/_mock/scenario"))
    ok(delete(first + "/_mock/clock"))
    ok(post(first + "/_mock/reset"))
    ok(delete(first + "/_mock/requests"))


@pytest.fixture(scope="module")
def admin_module_fleet(module_redis: RedisServer) -> Iterator[Fleet]:
    with Fleet(module_redis.url, "admin", 3, *DATA) as started:
        yield started


@pytest.fixture
def admin_fleet(admin_module_fleet: Fleet) -> Iterator[Fleet]:
    """Three processes for the tests that change every tenant (scenario, server-wide clock,
    reset, journal): the start-up state before and after each test."""
    _put_back(admin_module_fleet.urls)
    yield admin_module_fleet
    _put_back(admin_module_fleet.urls)


@pytest.fixture
def prefix(request: pytest.FixtureRequest) -> str:
    """A key prefix of this test's own on the module's Redis."""
    return "t-" + re.sub(r"[^A-Za-z0-9_]", "_", request.node.name)[:60]


# --- 1. sessions -----------------------------------------------------------------------------


def test_a_login_on_one_process_is_valid_on_every_other_at_once(fleet: Fleet) -> None:
    for i, origin in enumerate(fleet.urls):
        session_id = login(origin, f"sessions-{i}")
        for url in fleet.urls:
            assert ok(alive(url, session_id)) == {
                "code": 200,
                "message": "ok",
                "session_id": session_id,
            }
            listed = ok(get(url + "/api/customers", session(session_id)))
            assert listed["result_count"] == 10


def test_a_session_expired_by_the_tenants_clock_on_one_process_is_a_401_on_every_process(
    fleet: Fleet,
) -> None:
    a, b, c = fleet.urls
    session_id = login(a, "expiring")
    other = login(b, "not-expiring")
    moved = ok(post(b + "/_mock/clock/advance", {"by": "PT31M"}, session(session_id)))
    assert (moved["source"], moved["tenant"]) == ("tenant", "expiring")
    for url in fleet.urls:
        shown = ok(get(url + "/_mock/clock", tenant="expiring"))
        assert (shown["source"], shown["tenant"], shown["real"]) == ("tenant", "expiring", False)
        refused = alive(url, session_id)
        assert (refused.status_code, refused.json()) == (401, DENIED)
        listed = get(url + "/api/customers", session(session_id))
        assert (listed.status_code, listed.json()) == (401, DENIED)
        assert alive(url, other).status_code == 200  # another tenant's clock did not move
    renewed = post(c + "/api/auth/renew", {"UserName": "u"}, session(session_id))
    assert (renewed.status_code, renewed.json()) == (401, DENIED)


# --- 2. read your writes ---------------------------------------------------------------------


def test_a_write_on_one_process_is_read_on_the_next_at_once(fleet: Fleet) -> None:
    headers = tenant("ryw")
    urls = fleet.urls
    for i in range(50):
        writer, reader = urls[i % 3], urls[(i + 1) % 3]
        name = f"Rywq{i:03d} Oy"
        customer = create_customer(writer, headers, name)
        assert customer["id"] == SEEDED_CUSTOMERS + 1 + i
        assert ok(get(f"{reader}/api/customers/{customer['id']}", headers)) == customer
        assert named(reader, headers, name) == 1
        assert named(reader, headers, "Rywq") == i + 1
        assert total(get(reader + "/api/customers", headers)) == SEEDED_CUSTOMERS + i + 1

        body = {
            "date": "2025-06-20",
            "customer_number": customer["number"],
            "rows": [{"quantity": 3, "unit_price": 10.5, "discount": 10, "total": 0}],
        }
        invoice = ok(post(writer + "/api/invoices", body, headers))
        assert (invoice["total_sum"], invoice["customer_number"]) == (28.35, customer["number"])
        assert ok(get(f"{reader}/api/invoices/{invoice['id']}", headers)) == invoice
        by_customer = get(reader + "/api/invoices", headers, customer_number=customer["number"])
        assert total(by_customer) == 1
        assert by_customer.json()["results"] == [invoice]

        account = {"iban": "FI2112345600000785", "bic": "NDEAFIHH"}
        added = ok(post(f"{writer}/api/customers/{customer['id']}/accounts", account, headers))
        assert added["customer_id"] == customer["id"]
        shown = ok(get(f"{reader}/api/customers/{customer['id']}", headers))
        assert shown["accounts"] == [added]
        assert shown["open_invoice_sum"] == 28.35


# --- 3. tenants ------------------------------------------------------------------------------


def test_tenants_are_isolated_across_the_fleet(fleet: Fleet) -> None:
    a, b, c = fleet.urls
    mine = create_customer(a, tenant("iso-a"), "Isolated Oy")
    for url in fleet.urls:
        missing = get(f"{url}/api/customers/{mine['id']}", tenant("iso-b"))
        assert (missing.status_code, missing.json()) == (
            404,
            {"Message": f"Customer {mine['id']} was not found."},
        )
        assert total(get(url + "/api/customers", tenant("iso-b"))) == SEEDED_CUSTOMERS
        assert ok(get(f"{url}/api/customers/{mine['id']}", tenant("iso-a"))) == mine
    theirs = create_customer(b, tenant("iso-b"), "Other Oy")
    assert theirs["id"] == mine["id"]  # ids count per tenant
    assert ok(get(f"{c}/api/customers/{mine['id']}", tenant("iso-a")))["name"] == "Isolated Oy"
    assert ok(get(f"{c}/api/customers/{mine['id']}", tenant("iso-b")))["name"] == "Other Oy"
    # A session of one tenant does not reach another.
    session_id = login(c, "iso-a")
    for url in fleet.urls:
        shown = ok(get(f"{url}/api/customers/{mine['id']}", session(session_id)))
        assert shown["name"] == "Isolated Oy"


def _tenant_limit_answers(urls: list[str]) -> list[tuple[int, Any]]:
    """The same requests round-robin over ``urls``: writes in three tenants, the third past
    a limit of two, then the first deleted, which lets the third in."""
    sent: list[tuple[int, Any]] = []

    def note(response: httpx.Response) -> None:
        body = response.json() if response.content else None
        if isinstance(body, dict):  # the stamps are the time of each run
            body = {k: v for k, v in body.items() if k not in ("created", "modified")}
        sent.append((response.status_code, body))

    body = {"name": "Limit Oy", "email": "info@limit.fi"}
    for i, name in enumerate(["lim-1", "lim-2", "lim-3", "lim-3", "lim-3", "lim-1"]):
        note(post(urls[i % len(urls)] + "/api/customers", body, tenant(name)))
    note(delete(urls[1 % len(urls)] + "/_mock/tenants/lim-1"))
    for i in range(3):
        note(post(urls[i % len(urls)] + "/api/customers", body, tenant("lim-3")))
    return sent


def test_max_tenants_holds_fleet_wide_with_the_memory_servers_507(
    module_redis: RedisServer, prefix: str
) -> None:
    with MockServer(settings=Settings(customers=50, invoices=100, max_tenants=2)) as memory:
        expected = _tenant_limit_answers([memory.url])
    too_many = {
        "Message": "The server holds its maximum of 2 tenants (--max-tenants); delete one "
        "with DELETE /_mock/tenants/{name} or reset."
    }
    assert [status for status, _ in expected] == [200, 200, 507, 507, 507, 200, 204] + [200] * 3
    assert expected[2][1] == too_many
    with Fleet(module_redis.url, prefix, 3, *DATA, "--max-tenants", "2") as limited:
        assert _tenant_limit_answers(limited.urls) == expected
        for url in limited.urls:
            listed = ok(get(url + "/_mock/tenants"))
            assert (listed["count"], listed["max_tenants"]) == (2, 2)
            assert sorted(t["name"] for t in listed["tenants"]) == ["lim-2", "lim-3"]


# --- 4. scenarios ----------------------------------------------------------------------------

FIRST_THREE = """\
name: first-three
rules:
  - name: three-503s
    match: {method: GET, path: /api/customers}
    when: {first: 3}
    error: 503
"""


def test_a_counting_rule_fires_exactly_its_count_across_the_fleet(admin_fleet: Fleet) -> None:
    urls = admin_fleet.urls
    switched = put_yaml(urls[1] + "/_mock/scenario", FIRST_THREE)
    assert switched.status_code == 200, switched.text
    for url in urls:
        shown = ok(get(url + "/_mock/scenario"))
        assert shown["name"] == "first-three"
        assert shown["rules"][0]["counters"] == {}
    seen = []
    for i in range(9):
        answer = get(urls[i % 3] + "/api/customers", tenant("counted"))
        seen.append((answer.status_code, answer.json().get("Message")))
    assert seen == [(503, "The service is unavailable.")] * 3 + [(200, None)] * 6
    shown = [ok(get(url + "/_mock/scenario")) for url in urls]
    assert shown[0]["rules"][0]["counters"] == {"counted": {"matched": 9, "fired": 3}}
    assert shown[1] == shown[0] and shown[2] == shown[0]


WRONG_PASSWORD = """\
name: wrong-password
rules:
  - name: refuse-wrong
    match: {method: POST, path: /api/auth/login, body: {Password: wrong}}
    error: 401
"""


def test_a_rule_on_a_login_password_decides_alike_on_every_process(admin_fleet: Fleet) -> None:
    # Logged bodies keep their secrets only while a rule matches on one: the other processes
    # must refuse the same login, or they would hold a session no client ever got.
    urls = admin_fleet.urls
    assert put_yaml(urls[0] + "/_mock/scenario", WRONG_PASSWORD).status_code == 200
    credentials = {"UserName": "u", "ApiKey": "k", "Database": "guarded"}
    refused = post(urls[1] + "/api/auth/login", {**credentials, "Password": "wrong"})
    assert refused.status_code == 401
    blank = post(urls[2] + "/api/auth/login", {**credentials, "Password": ""})
    assert blank.status_code == 400
    for url in urls:  # neither made a session anywhere
        assert ok(get(url + "/_mock/tenants"))["tenants"] == []
    accepted = post(urls[1] + "/api/auth/login", {**credentials, "Password": "right"})
    session_id = ok(accepted)["session_id"]
    for url in urls:
        assert alive(url, session_id).status_code == 200
        listed = ok(get(url + "/_mock/tenants"))["tenants"]
        assert [(t["name"], t["sessions"]) for t in listed] == [("guarded", 1)]


DICE = """\
name: dice
seed: 11
rules:
  - name: flaky-lists
    match: {method: GET, path: /api/customers}
    when: {probability: 0.4}
    error: 503
  - name: flaky-invoices
    match: {method: GET, path: /api/invoices}
    when: {probability: 0.3}
    error: 502
"""


def _dice_run(urls: list[str]) -> list[tuple[int, str]]:
    switched = put_yaml(urls[0] + "/_mock/scenario", DICE)
    assert switched.status_code == 200, switched.text
    seen = []
    for i in range(40):
        path = "/api/customers" if i % 3 else "/api/invoices"
        for name in ("dice-a", "dice-b"):
            answer = get(urls[i % len(urls)] + path, tenant(name), page=1 + i % 2)
            seen.append((answer.status_code, answer.text))
    return seen


def test_probability_rules_roll_as_one_memory_server_does(admin_fleet: Fleet) -> None:
    with MockServer(customers=50, invoices=100) as memory:
        expected = _dice_run([memory.url])
    statuses = {status for status, _ in expected}
    assert statuses == {200, 502, 503}  # the dice both fire and let through
    assert _dice_run(admin_fleet.urls) == expected
    shown = [ok(get(url + "/_mock/scenario")) for url in admin_fleet.urls]
    assert shown[0]["seed"] == 11
    assert shown[1] == shown[0] and shown[2] == shown[0]


# --- 5. resets -------------------------------------------------------------------------------


def test_a_reset_on_one_process_resets_data_and_sessions_on_all(admin_fleet: Fleet) -> None:
    a, b, c = admin_fleet.urls
    first = create_customer(a, tenant("reset-1"), "Reset One Oy")
    second = create_customer(b, tenant("reset-2"), "Reset Two Oy")
    session_id = login(c, "reset-1")
    for url in admin_fleet.urls:
        assert ok(get(f"{url}/api/customers/{second['id']}", tenant("reset-2")))["id"] == 51
        assert alive(url, session_id).status_code == 200
    ok(post(b + "/_mock/reset"))
    for url in admin_fleet.urls:
        for name, created in (("reset-1", first), ("reset-2", second)):
            gone = get(f"{url}/api/customers/{created['id']}", tenant(name))
            assert (gone.status_code, gone.json()) == (
                404,
                {"Message": f"Customer {created['id']} was not found."},
            )
            assert total(get(url + "/api/customers", tenant(name))) == SEEDED_CUSTOMERS
        refused = alive(url, session_id)
        assert (refused.status_code, refused.json()) == (401, DENIED)
    again = create_customer(c, tenant("reset-1"), "Reset Again Oy")
    assert again["id"] == first["id"]  # the tenant starts afresh everywhere


def test_deleting_a_tenant_on_one_process_deletes_it_on_all(fleet: Fleet) -> None:
    a, b, c = fleet.urls
    gone = create_customer(a, tenant("del-gone"), "Gone Oy")
    kept = create_customer(a, tenant("del-kept"), "Kept Oy")
    session_id = login(c, "del-gone")
    kept_session = login(c, "del-kept")
    assert ok(delete(b + "/_mock/tenants/del-gone"), 204) is None
    for url in fleet.urls:
        names = [t["name"] for t in ok(get(url + "/_mock/tenants"))["tenants"]]
        assert "del-gone" not in names and "del-kept" in names
        twice = delete(url + "/_mock/tenants/del-gone")
        assert (twice.status_code, twice.json()) == (
            404,
            {"Message": "There is no tenant named 'del-gone'."},
        )
    for url in fleet.urls:
        # A read names the tenant again: it starts afresh (as on one server), everywhere.
        missing = get(f"{url}/api/customers/{gone['id']}", tenant("del-gone"))
        assert (missing.status_code, missing.json()) == (
            404,
            {"Message": f"Customer {gone['id']} was not found."},
        )
        refused = alive(url, session_id)
        assert (refused.status_code, refused.json()) == (401, DENIED)
        assert ok(get(f"{url}/api/customers/{kept['id']}", tenant("del-kept"))) == kept
        assert alive(url, kept_session).status_code == 200


# --- 6. the clock ----------------------------------------------------------------------------


def test_a_frozen_server_clock_shows_on_every_process_and_stamps_writes(
    admin_fleet: Fleet,
) -> None:
    a, b, c = admin_fleet.urls
    frozen = ok(put(a + "/_mock/clock", {"now": "2025-07-01T12:00:00Z"}))
    assert frozen == {
        "now": "2025-07-01T12:00:00Z",
        "frozen": True,
        "real": False,
        "source": "server",
        "tenant": None,
    }
    for url in admin_fleet.urls:
        assert ok(get(url + "/_mock/clock")) == frozen
    created = create_customer(c, tenant("clocked"), "Clocked Oy")
    assert (created["created"], created["modified"]) == ("2025-07-01T12:00:00Z",) * 2
    moved = ok(post(b + "/_mock/clock/advance", {"by": "PT1H"}))
    assert moved["now"] == "2025-07-01T13:00:00Z"
    for url in admin_fleet.urls:
        assert ok(get(url + "/_mock/clock")) == moved
    update = {"name": "Clocked Again Oy", "email": "info@clocked.fi"}
    updated = ok(put(f"{a}/api/customers/{created['id']}", update, tenant("clocked")))
    assert (updated["created"], updated["modified"]) == (
        "2025-07-01T12:00:00Z",
        "2025-07-01T13:00:00Z",
    )
    for url in admin_fleet.urls:
        assert ok(get(f"{url}/api/customers/{created['id']}", tenant("clocked"))) == updated


def test_a_tenants_clock_set_on_one_process_shows_on_every_process(fleet: Fleet) -> None:
    a, b, c = fleet.urls
    body = {"now": "2024-02-29T08:30:00Z"}
    frozen = ok(put(b + "/_mock/clock", body, tenant="tclock"))
    assert (frozen["now"], frozen["source"], frozen["tenant"]) == (
        "2024-02-29T08:30:00Z",
        "tenant",
        "tclock",
    )
    for url in fleet.urls:
        assert ok(get(url + "/_mock/clock", tenant="tclock")) == frozen
        assert ok(get(url + "/_mock/clock", tenant="tclock-other"))["source"] != "tenant"
    created = create_customer(c, tenant("tclock"), "Leap Oy")
    assert created["created"] == "2024-02-29T08:30:00Z"
    assert ok(get(f"{a}/api/customers/{created['id']}", tenant("tclock"))) == created


# --- 7. the journal --------------------------------------------------------------------------


def _send_round_robin(urls: list[str], count: int) -> list[tuple[str, str, str]]:
    """``count`` requests of one sequential client, round-robin; what each was."""
    sent: list[tuple[str, str, str]] = []
    for i in range(count):
        url = urls[i % len(urls)]
        if i % 4 == 3:
            create_customer(url, tenant("journaled"), f"Journal {i} Oy")
            sent.append(("POST", "/api/customers", ""))
        else:
            ok(get(url + "/api/customers", tenant("journaled"), page=i + 1))
            sent.append(("GET", "/api/customers", f"page={i + 1}"))
    return sent


def test_the_journal_shows_every_processs_requests_on_every_process(admin_fleet: Fleet) -> None:
    urls = admin_fleet.urls
    sent = _send_round_robin(urls, 12)
    listings = []
    for url in urls:
        listed = ok(get(url + "/_mock/requests", tenant="journaled"))
        assert listed["count"] == 12
        rows = listed["requests"]
        assert sorted((r["method"], r["path"], r["query"]) for r in rows) == sorted(sent)
        seqs = [r["seq"] for r in rows]
        assert seqs == sorted(set(seqs))  # distinct, in order
        hosts = {r["headers"]["host"] for r in rows}
        assert hosts == {u.removeprefix("http://") for u in urls}  # every process served
        listings.append([(r["seq"], r["time"], r["status"]) for r in rows])
    assert listings[1] == listings[0] and listings[2] == listings[0]

    ok(delete(urls[1] + "/_mock/requests"))
    for url in urls:
        assert ok(get(url + "/_mock/requests", tenant="journaled"))["count"] == 0
    ok(get(urls[2] + "/api/customers", tenant("journaled"), page=99))
    for url in urls:
        listed = ok(get(url + "/_mock/requests", tenant="journaled"))
        assert [r["query"] for r in listed["requests"]] == ["page=99"]
        assert listed["requests"][0]["seq"] > listings[0][-1][0]


def test_the_journal_lists_a_sequential_clients_requests_in_order(admin_fleet: Fleet) -> None:
    urls = admin_fleet.urls
    sent = _send_round_robin(urls, 30)
    for url in urls:
        rows = ok(get(url + "/_mock/requests", tenant="journaled"))["requests"]
        assert [(r["method"], r["path"], r["query"]) for r in rows] == sent


# --- 8. restarts -----------------------------------------------------------------------------


def test_restarting_and_killing_replicas_loses_nothing(
    module_redis: RedisServer, prefix: str
) -> None:
    headers = tenant("restart")
    with Fleet(module_redis.url, prefix, 3, *DATA) as replicas:
        a, b, c = replicas
        create_customer(a.base_url, headers, "Restart 0 Oy")
        b.stop()
        for i in range(1, 5):
            create_customer((a, c)[i % 2].base_url, headers, f"Restart {i} Oy")
        session_id = login(c.base_url, "restart")
        b.start()
        assert named(b.base_url, headers, "Restart") == 5
        assert alive(b.base_url, session_id).status_code == 200
        from_b = create_customer(b.base_url, headers, "Restart 5 Oy")
        for process in replicas:
            assert named(process.base_url, headers, "Restart") == 6
            assert ok(get(f"{process.base_url}/api/customers/{from_b['id']}", headers)) == from_b

        c.kill()  # gone without a word: the others wait for its lease at most
        after_kill = create_customer(a.base_url, headers, "Restart 6 Oy")
        assert ok(get(f"{b.base_url}/api/customers/{after_kill['id']}", headers)) == after_kill
        create_customer(b.base_url, headers, "Restart 7 Oy")
        for process in (a, b):
            assert named(process.base_url, headers, "Restart") == 8
            assert alive(process.base_url, session_id).status_code == 200
            assert ok(get(process.base_url + "/health"))["status"] == "ok"


# --- 9. persistence --------------------------------------------------------------------------


def test_a_process_joins_at_start_up_before_any_request(
    module_redis: RedisServer, prefix: str
) -> None:
    # It is a member (others wait for its acks, it hears the log) once it has built its
    # data, whether or not a request has come: no request is sent here.
    client = module_redis.client()
    command = [
        sys.executable, "-m", "mockserver", "serve", "--host", "127.0.0.1", "--port", "0",
        "--state", module_redis.url, "--state-prefix", prefix, "--log-level", "warning", *DATA,
    ]  # fmt: skip
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_until(lambda: len(client.zrange(f"{prefix}:members", 0, -1)) == 1, "a member")
    finally:
        process.terminate()
        assert process.wait(WAIT_S) == 0
    assert client.zrange(f"{prefix}:members", 0, -1) == []  # and leaves on its way out


def test_a_process_stopped_cleanly_leaves_the_fleet_at_once(
    module_redis: RedisServer, prefix: str
) -> None:
    # Its lease is not waited out: the others stop counting it for acknowledgements at once.
    client = module_redis.client()
    with Fleet(module_redis.url, prefix, 2, *DATA) as pair:
        members = client.zrange(f"{prefix}:members", 0, -1)
        assert len(members) == 2
        assert pair[1].stop() == 0
        left = client.zrange(f"{prefix}:members", 0, -1)
        assert len(left) == 1 and left[0] in members
        create_customer(pair.urls[0], tenant("left"), "After The Leave Oy")


def test_a_persistent_redis_keeps_writes_and_sessions_across_a_whole_restart(
    start_redis: StartRedis,
) -> None:
    redis = start_redis(persistent=True)
    headers = tenant("persisted")
    with Fleet(redis.url, "persist", 2, *DATA) as first:
        created = create_customer(first.urls[0], headers, "Persisted Oy")
        session_id = login(first.urls[1], "persisted")
        account = {"iban": "FI2112345600000785", "bic": "NDEAFIHH"}
        ok(post(f"{first.urls[1]}/api/customers/{created['id']}/accounts", account, headers))
        kept = ok(get(f"{first.urls[0]}/api/customers/{created['id']}", headers))
    redis.stop()
    redis.start()
    with Fleet(redis.url, "persist", 2, *DATA) as second:
        for url in second.urls:
            assert ok(get(f"{url}/api/customers/{created['id']}", headers)) == kept
            assert ok(alive(url, session_id))["session_id"] == session_id
        more = create_customer(second.urls[1], headers, "Persisted Again Oy")
        assert more["id"] == created["id"] + 1


# --- 10. Redis going away --------------------------------------------------------------------


def test_redis_down_answers_503_and_service_resumes_when_it_is_back(
    start_redis: StartRedis,
) -> None:
    redis = start_redis(persistent=True)
    headers = tenant("outage")
    with Fleet(redis.url, "outage", 2, *DATA) as replicas:
        a, b = replicas.urls
        before = create_customer(a, headers, "Before Outage Oy")
        session_id = login(b, "outage")
        redis.stop()

        refused = post(a + "/api/customers", {"name": "Lost Oy", "email": "x@lost.fi"}, headers)
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "1"
        assert list(refused.json()) == ["Message"]
        assert UNAVAILABLE.fullmatch(refused.json()["Message"]), refused.text
        refused_login = post(b + "/api/auth/login", {"UserName": "u", "Database": "outage"})
        assert refused_login.status_code == 503
        assert UNAVAILABLE.fullmatch(refused_login.json()["Message"]), refused_login.text

        for url in replicas.urls:
            wait_until(answers(partial(get, url + "/health"), _unhealthy), f"{url} unhealthy")
            health = get(url + "/health")
            assert health.headers["retry-after"] == "1"
            body = health.json()
            assert {k: v for k, v in body.items() if k != "reason"} == {
                "status": "unavailable",
                "seed": 1,
                "customers": 50,
                "invoices": 100,
            }
            assert body["reason"].startswith("Redis is unreachable ("), body
            # Reads are served while the lease holds, then refused too.
            wait_until(
                answers(partial(get, url + "/api/customers", headers), _refused),
                f"{url} refusing reads",
            )

        redis.start()
        for url in replicas.urls:
            wait_until(
                answers(partial(get, url + "/health"), lambda r: r.status_code == 200),
                f"{url} healthy again",
            )
        # A write refused with the 503 changed nothing ("retry shortly"): retried until taken.
        after = _until_taken(b, headers, "After Outage Oy")
        assert after["id"] == before["id"] + 1  # the refused writes took no id
        for url in replicas.urls:
            assert ok(get(f"{url}/api/customers/{before['id']}", headers)) == before
            assert ok(get(f"{url}/api/customers/{after['id']}", headers)) == after
            assert named(url, headers, "Lost Oy") == 0
            assert alive(url, session_id).status_code == 200


def _until_taken(url: str, headers: Mapping[str, str], name: str) -> dict[str, Any]:
    """Create a customer, again after each 503 (which must be the unavailable one)."""
    body = {"name": name, "email": "laskutus@example.fi"}
    deadline = time.monotonic() + WAIT_S
    while True:
        answer = post(url + "/api/customers", body, headers)
        if answer.status_code != 503 or time.monotonic() > deadline:
            created: dict[str, Any] = ok(answer)
            return created
        assert UNAVAILABLE.fullmatch(answer.json()["Message"]), answer.text
        time.sleep(0.1)


def test_once_healthy_again_a_process_takes_the_first_write(start_redis: StartRedis) -> None:
    redis = start_redis(persistent=True)
    headers = tenant("outage-first")
    with Fleet(redis.url, "outage-first", 2, *DATA) as replicas:
        a, b = replicas.urls
        create_customer(a, headers, "Before Outage Oy")
        login(b, "outage-first")
        redis.stop()
        assert post(b + "/api/auth/login", {"UserName": "u"}).status_code == 503
        for url in replicas.urls:
            wait_until(answers(partial(get, url + "/health"), _unhealthy), f"{url} unhealthy")
            wait_until(
                answers(partial(get, url + "/api/customers", headers), _refused),
                f"{url} refusing reads",
            )
        redis.start()
        for url in replicas.urls:
            wait_until(
                answers(partial(get, url + "/health"), lambda r: r.status_code == 200),
                f"{url} healthy again",
            )
        for url in (b, a):
            create_customer(url, headers, "First After Oy")


def _unhealthy(response: httpx.Response) -> bool:
    return response.status_code == 503 and "reason" in response.json()


def _refused(response: httpx.Response) -> bool:
    return response.status_code == 503 and bool(UNAVAILABLE.fullmatch(response.json()["Message"]))


# --- 11. fleets that never meet ----------------------------------------------------------------


def _on_db(url: str, db: int) -> str:
    assert url.endswith("/0")
    return f"{url[:-2]}/{db}"


def _never_meet(one: Fleet, other: Fleet) -> None:
    """Writes, sessions, journal, resets and clears of ``one`` and ``other`` (on one Redis)
    never reach the other fleet, though both use the same tenant name."""
    headers = tenant("apart")
    mine = create_customer(one.urls[0], headers, "Mine Oy")
    session_id = login(one.urls[-1], "apart")
    ok(get(one.urls[0] + "/api/customers", headers, marker="mine"))
    for url in other.urls:
        missing = get(f"{url}/api/customers/{mine['id']}", headers)
        assert (missing.status_code, missing.json()) == (
            404,
            {"Message": f"Customer {mine['id']} was not found."},
        )
        refused = alive(url, session_id)
        assert (refused.status_code, refused.json()) == (401, DENIED)
    theirs = create_customer(other.urls[-1], headers, "Theirs Oy")
    assert theirs["id"] == mine["id"]
    ok(delete(other.urls[0] + "/_mock/requests"))
    ok(post(other.urls[0] + "/_mock/reset"))
    ok(get(other.urls[-1] + "/api/customers", headers, marker="theirs"))
    # Each journal holds its own fleet's requests only (the other's clear and reset
    # did not reach it).
    for members, marker in ((one, "marker=mine"), (other, "marker=theirs")):
        hosts = {url.removeprefix("http://") for url in members.urls}
        for url in members.urls:
            rows = ok(get(url + "/_mock/requests", tenant="apart"))["requests"]
            assert {row["headers"]["host"] for row in rows} <= hosts
            assert marker in [row["query"] for row in rows]
    for url in one.urls:
        assert ok(get(f"{url}/api/customers/{mine['id']}", headers)) == mine
        assert named(url, headers, "Theirs Oy") == 0
        assert alive(url, session_id).status_code == 200


def test_fleets_on_other_prefixes_never_meet(module_redis: RedisServer) -> None:
    with ExitStack() as stack:
        one = Fleet(module_redis.url, "apart-1", 2, *DATA)
        other = Fleet(module_redis.url, "apart-2", 2, *DATA)
        enter_all(stack, [one, other])
        _never_meet(one, other)


def test_fleets_on_other_databases_never_meet(module_redis: RedisServer) -> None:
    with ExitStack() as stack:
        one = Fleet(module_redis.url, "apart-db", 1, *DATA)
        other = Fleet(_on_db(module_redis.url, 1), "apart-db", 1, *DATA)
        enter_all(stack, [one, other])
        _never_meet(one, other)


# --- 12. joining -------------------------------------------------------------------------------


REFUSED_DATA = [
    (("--seed", "2", *DATA), "seed 1 (this process: 2)"),
    (("--customers", "60", "--invoices", "100"), "customers 50 (this process: 60)"),
]


def _serve(url: str, prefix: str, *flags: str) -> subprocess.CompletedProcess[str]:
    """``mockserver serve`` run to its end (it is expected to refuse to start)."""
    command = [
        sys.executable, "-m", "mockserver", "serve", "--host", "127.0.0.1", "--port", "0",
        "--state", url, "--state-prefix", prefix, *flags,
    ]  # fmt: skip
    return subprocess.run(
        command, capture_output=True, text=True, timeout=2 * WAIT_S, stdin=subprocess.DEVNULL
    )


@pytest.mark.parametrize(("flags", "differ"), REFUSED_DATA)
def test_a_process_with_other_data_refuses_to_join(
    fleet: Fleet, module_redis: RedisServer, flags: tuple[str, ...], differ: str
) -> None:
    done = _serve(module_redis.url, "shared", "--log-level", "warning", *flags)
    expected = JOIN_REFUSED.format(url=module_redis.url, prefix="shared", differ=differ)
    assert (done.returncode, done.stdout, done.stderr.splitlines()) == (2, "", [expected])
    for url in fleet.urls:  # the fleet goes on as it was
        assert ok(get(url + "/health")) == {
            "status": "ok",
            "seed": 1,
            "customers": 50,
            "invoices": 100,
        }


def test_a_refused_join_prints_one_line_at_the_default_log_level(
    fleet: Fleet, module_redis: RedisServer
) -> None:
    flags, differ = REFUSED_DATA[0]
    done = _serve(module_redis.url, "shared", *flags)
    expected = JOIN_REFUSED.format(url=module_redis.url, prefix="shared", differ=differ)
    assert (done.returncode, done.stderr.splitlines()) == (2, [expected])


def test_a_refused_join_with_workers_exits_2(fleet: Fleet, module_redis: RedisServer) -> None:
    flags, differ = REFUSED_DATA[0]
    done = _serve(module_redis.url, "shared", "--log-level", "warning", "--workers", "2", *flags)
    expected = JOIN_REFUSED.format(url=module_redis.url, prefix="shared", differ=differ)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines()[-1] == expected
    assert done.stderr.count("cannot join the fleet") == 1


def test_a_process_with_the_same_flags_joins_and_sees_everything(
    fleet: Fleet, module_redis: RedisServer
) -> None:
    headers = tenant("joiner")
    before = create_customer(fleet.urls[0], headers, "Before Join Oy")
    session_id = login(fleet.urls[1], "joiner")
    with FleetProcess(module_redis.url, "shared", *DATA) as joined:
        url = joined.base_url
        assert ok(get(f"{url}/api/customers/{before['id']}", headers)) == before
        assert alive(url, session_id).status_code == 200
        mine = create_customer(url, headers, "Joined Oy")
        for other in fleet.urls:
            assert ok(get(f"{other}/api/customers/{mine['id']}", headers)) == mine


# --- 13. the log's bound -----------------------------------------------------------------------


def test_a_full_log_refuses_changes_with_507(module_redis: RedisServer, prefix: str) -> None:
    headers = tenant("capped")
    with Fleet(module_redis.url, prefix, 2, *DATA, "--fleet-log", "5") as capped:
        urls = capped.urls
        for i in range(5):
            create_customer(urls[i % 2], headers, f"Capped {i} Oy")
        for url in urls:
            full = post(url + "/api/customers", {"name": "Six Oy", "email": "x@six.fi"}, headers)
            assert (full.status_code, full.json()) == (507, {"Message": FULL_LOG})
            login_refused = post(url + "/api/auth/login", {"UserName": "u", "Database": "x"})
            assert (login_refused.status_code, login_refused.json()) == (
                507,
                {"Message": FULL_LOG},
            )
            assert named(url, headers, "Capped") == 5  # reads go on
            assert named(url, headers, "Six Oy") == 0


def test_a_reset_drops_the_log_so_that_changes_go_through_again(
    module_redis: RedisServer, prefix: str
) -> None:
    headers = tenant("compacted")
    with Fleet(module_redis.url, prefix, 2, *DATA, "--fleet-log", "5") as capped:
        urls = capped.urls
        for i in range(4):
            create_customer(urls[i % 2], headers, f"Compacted {i} Oy")
        ok(post(urls[1] + "/_mock/reset"))  # the fifth entry: the log holds it, then drops all
        for i in range(5):
            created = create_customer(urls[i % 2], headers, f"Again {i} Oy")
            assert created["id"] == SEEDED_CUSTOMERS + 1 + i
        for url in urls:
            assert named(url, headers, "Compacted") == 0
            assert named(url, headers, "Again") == 5


def test_a_reset_of_a_full_log_starts_afresh(module_redis: RedisServer, prefix: str) -> None:
    headers = tenant("stuck")
    with Fleet(module_redis.url, prefix, 2, *DATA, "--fleet-log", "5") as capped:
        urls = capped.urls
        for i in range(5):
            create_customer(urls[i % 2], headers, f"Stuck {i} Oy")
        full = post(urls[0] + "/api/customers", {"name": "Six Oy", "email": "x@six.fi"}, headers)
        assert full.status_code == 507
        reset = post(urls[1] + "/_mock/reset")
        assert reset.status_code == 200, reset.text
        for i in range(5):
            create_customer(urls[i % 2], headers, f"Fresh {i} Oy")
        for url in urls:
            assert named(url, headers, "Stuck") == 0
            assert named(url, headers, "Fresh") == 5


# --- 14. delays and faults -----------------------------------------------------------------------

SLOW = """\
name: slow-lookups
rules:
  - name: slow
    match: {method: GET, path: "/api/customers/{customer_id}", tenant: slowed}
    latency: {ms: 700}
"""


def test_a_rules_delay_holds_the_answering_process_and_counts_fleet_wide(
    admin_fleet: Fleet,
) -> None:
    a, b, c = admin_fleet.urls
    assert put_yaml(c + "/_mock/scenario", SLOW).status_code == 200
    started = time.monotonic()
    answer = get(a + "/api/customers/1", tenant("slowed"))
    took = time.monotonic() - started
    assert answer.status_code == 200 and answer.json()["id"] == 1
    assert took >= 0.7
    for url in admin_fleet.urls:
        rule = ok(get(url + "/_mock/scenario"))["rules"][0]
        assert rule["counters"] == {"slowed": {"matched": 1, "fired": 1}}
    listed = ok(get(b + "/_mock/requests", tenant="slowed"))
    [row] = listed["requests"]
    assert (row["path"], row["status"], row["rules"]) == ("/api/customers/1", 200, ["slow"])
    assert row["latency_ms"] >= 700
    assert row["headers"]["host"] == a.removeprefix("http://")


RESET_FIRST_UPDATE = """\
name: reset-first-update
rules:
  - name: reset-once
    match: {method: PUT, path: "/api/customers/{customer_id}"}
    when: {first: 1}
    fault: connection_reset
"""


def test_a_connection_reset_reaches_the_client_of_the_taking_process_only(
    admin_fleet: Fleet,
) -> None:
    a, b, c = admin_fleet.urls
    headers = tenant("faulty")
    original = ok(get(b + "/api/customers/1", headers))
    assert put_yaml(b + "/_mock/scenario", RESET_FIRST_UPDATE).status_code == 200
    update = {"name": "Updated Oy", "email": "info@updated.fi"}
    with pytest.raises(httpx.ReadError):
        httpx.put(a + "/api/customers/1", json=update, headers=headers, timeout=HTTP_TIMEOUT_S)
    for url in admin_fleet.urls:
        assert ok(get(url + "/health"))["status"] == "ok"
        assert ok(get(url + "/api/customers/1", headers)) == original  # the handler never ran
        rule = ok(get(url + "/_mock/scenario"))["rules"][0]
        assert rule["counters"] == {"faulty": {"matched": 1, "fired": 1}}
    updated = ok(put(c + "/api/customers/1", update, headers))
    assert updated["name"] == "Updated Oy"
    for url in admin_fleet.urls:
        assert ok(get(url + "/api/customers/1", headers)) == updated
    [reset, done] = ok(get(a + "/_mock/requests", tenant="faulty", method="PUT"))["requests"]
    assert (reset["fault"], reset["rules"]) == ("connection_reset", ["reset-once"])
    assert (done["fault"], done["status"]) == (None, 200)
