"""A fleet answers as one server: a model-based property test (Hypothesis stateful).

Three ``mockserver serve --state redis://...`` processes share one real redis-server; one more
process serves the same flags with ``--state memory``. A random sequence of operations is sent
round-robin to the three fleet processes, one request at a time, and the same sequence to the
in-memory process: logins and renews into a few tenants; customer creates and updates, bank
accounts, invoice creates; gets of existing and missing customers and invoices; customer
(full and basic) and invoice lists with filters and paging; requests without a session, with
one, with ``X-Mock-Tenant``, with both, with an unknown session, with ``X-Mock-Scenario``;
resets of one tenant or all; scenario switches (``first: N``, ``every``/``times``, dice, a 401
that ends sessions, records over the data) and back; clock moves (forward, to another date,
server-wide or a tenant's); reads of the scenario's counters, the tenants, the journal and the
clock. Every answer must be the same: the status, every header but ``date``, ``server`` and
``content-length``, and the JSON body, once the fleet's session ids are mapped to the
in-memory process's (each side draws its own random ids; each login pairs them). The journal
is compared without what differs by nature (``seq``, real times, latencies, headers).

Each example starts from the same state on both sides: the start-up scenario back, every
tenant reset, every clock back to real time, the journal cleared; then the server-wide clock
frozen at ``START``, so that stamps (``created``, ``modified``, ``modified_date``) and session
ages are deterministic. Two divergences found by this test are switched off below (named
switches, with what they are): turn a switch over to see it fail.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fleet_harness import Fleet, FleetProcess
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test
from redis_server import RedisServer, redis_server_path

FLAGS = ("--seed", "7", "--customers", "30", "--invoices", "60")
PREFIX = "fleetmodel"
FLEET_SIZE = 3
START = "2025-07-01T12:00:00Z"
TENANTS = ("acme", "beta")
CLOCK_TENANTS = ("default", *TENANTS)
TIMEOUT_S = 30.0  # a hang guard, not a budget
IGNORED_HEADERS = frozenset({"date", "server", "content-length"})  # the bodies are compared
# Two divergences this machine found, fixed since; the switches stay so that a regression
# can be told apart quickly (turn one over to leave its operation out):
# 1. a tenant only reads had used was listed by ``GET /_mock/tenants`` on one in-memory server
#    but on no fleet process (a read that makes its tenant is now logged);
# 2. a login its process refused (an empty or non-string Password) was replayed as a valid
#    one elsewhere, since the log masked secrets as "***" (now masked keeping their shape).
SKIP_TENANTS_KNOWN_BY_READS = False
SEND_INVALID_LOGINS = True

SETTINGS = settings(
    max_examples=80,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@dataclass(frozen=True)
class Sides:
    """Where the two sides answer: the fleet's processes and the in-memory reference."""

    fleet: list[str]
    memory: str


@pytest.fixture(scope="module")
def sides() -> Iterator[Sides]:
    """One redis-server, a fleet of three on it and one in-memory process, for the module."""
    redis_server_path()
    with (
        RedisServer() as redis,
        Fleet(redis.url, PREFIX, FLEET_SIZE, *FLAGS) as fleet,
        FleetProcess("memory", PREFIX, *FLAGS) as memory,
    ):
        yield Sides(fleet.urls, memory.base_url)


# --- what a request is made of ----------------------------------------------------------------

texts = st.sampled_from(["Oy", "Ab", "Testi", "Ääkkönen", "salmela", "x"])
customer_ids = st.integers(1, 36)  # 30 generated; a few created; the rest missing
customer_numbers = st.integers(10_000, 10_036)
moments = st.sampled_from(
    ["2020-01-01", "2024-06-01T00:00:00Z", "2025-07-01T11:59:59Z", START, "2025-07-01T12:05:00Z"]
)
pages = st.one_of(st.none(), st.integers(1, 4))
page_sizes = st.one_of(st.none(), st.integers(1, 12))
# How a request names its tenant: nothing (``default``), a session of the model's, the
# ``X-Mock-Tenant`` header, both, or a session id no server gave.
identities = st.one_of(
    st.tuples(st.just("none"), st.just(0), st.just("")),
    st.tuples(st.just("session"), st.integers(0, 7), st.just("")),
    st.tuples(st.just("header"), st.just(0), st.sampled_from(TENANTS)),
    st.tuples(st.just("both"), st.integers(0, 7), st.sampled_from(TENANTS)),
    st.tuples(st.just("unknown"), st.just(0), st.just("")),
)
Identity = tuple[str, int, str]
# Shipped scenarios one request may name (``X-Mock-Scenario``): counting and dice rules (503s,
# 502s, 500s, 429s after ten lists).
named_scenarios = st.one_of(st.none(), st.sampled_from(["flaky-5xx", "rate-limited"]))
UNKNOWN_SESSION = "0123456789abcdef0123456789abcdef"


def _scenario(
    first: int,
    every: int | None,
    probability: float | None,
    expire: int | None,
    overlay: bool,
    seed: int,
) -> str:
    """A scenario whose first rule answers 503 to the first ``first`` customer lists (per
    tenant), and optionally: a counting rule on customer lookups, a dice rule on invoices, a
    401 that ends the caller's session on every ``expire``-th basic customer list; records
    over the generated data (new data: every tenant starts afresh)."""
    lines = [
        "name: fleet-model",
        f"seed: {seed}",
        "rules:",
        "  - name: first-lists-fail",
        "    match: {method: GET, path: /api/customers}",
        f"    when: {{first: {first}}}",
        "    error: 503",
    ]
    if every is not None:
        lines += [
            "  - name: every-nth-lookup",
            '    match: {method: GET, path: "/api/customers/{customer_id}"}',
            f"    when: {{every: {every}, times: 2}}",
            "    error: {status: 429, retry_after_s: 3}",
        ]
    if probability is not None:
        lines += [
            "  - name: dice",
            "    match: {path: /api/invoices}",
            f"    when: {{probability: {probability}}}",
            "    error: 502",
        ]
    if overlay:
        lines[2:2] = [
            "records:",
            "  customers:",
            "    - {id: 1, name: Acme Oy, email: laskutus@acme.fi, group: 6}",
            "    - {id: 31, name: Uusi Oy, email: uusi@testi.fi, type: 2}",
        ]
    if expire is not None:
        lines += [
            "  - name: session-ends",
            "    match: {method: GET, path: /api/customers/base}",
            f"    when: {{every: {expire}}}",
            "    error: 401",
        ]
    return "\n".join(lines) + "\n"


class Mismatch(AssertionError):
    pass


class FleetModel(RuleBasedStateMachine):
    """Every step: one request to fleet process ``n % 3`` and the same to the reference."""

    def __init__(self, sides: Sides) -> None:
        super().__init__()
        self.fleet = [httpx.Client(base_url=url, timeout=TIMEOUT_S) for url in sides.fleet]
        self.memory = httpx.Client(base_url=sides.memory, timeout=TIMEOUT_S)
        self.turn = itertools.count()
        self.sessions: list[tuple[str, str]] = []  # (fleet's id, memory's id), login order
        self.mapped: dict[str, str] = {}  # fleet's session id -> memory's

    def teardown(self) -> None:
        for client in (*self.fleet, self.memory):
            client.close()

    # --- sending and comparing --------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        yaml: str | None = None,
        identity: Identity = ("none", 0, ""),
        named: str | None = None,
        compare: bool = True,
        clean: Callable[[Any], Any] = lambda body: body,
    ) -> tuple[httpx.Response, httpx.Response]:
        fleet_headers, memory_headers = self._headers(identity)
        if named is not None:
            fleet_headers["X-Mock-Scenario"] = memory_headers["X-Mock-Scenario"] = named
        content: bytes | None = None
        if yaml is not None:
            content = yaml.encode()
            fleet_headers["Content-Type"] = memory_headers["Content-Type"] = "application/yaml"
        elif body is not None:
            content = json.dumps(body).encode()
            fleet_headers["Content-Type"] = memory_headers["Content-Type"] = "application/json"
        process = next(self.turn) % len(self.fleet)
        query = {k: v for k, v in (params or {}).items() if v is not None}
        fleet = self.fleet[process].request(
            method, path, params=query, content=content, headers=fleet_headers
        )
        memory = self.memory.request(
            method, path, params=query, content=content, headers=memory_headers
        )
        if compare:
            what = f"{method} {path} {query} on fleet process {process}"
            self._compare(what, fleet, memory, clean)
        return fleet, memory

    def _headers(self, identity: Identity) -> tuple[dict[str, str], dict[str, str]]:
        how, index, tenant = identity
        fleet: dict[str, str] = {}
        memory: dict[str, str] = {}
        if how in ("session", "both") and self.sessions:
            fleet_id, memory_id = self.sessions[index % len(self.sessions)]
            fleet["Session-Id"], memory["Session-Id"] = fleet_id, memory_id
        if how in ("header", "both"):
            fleet["X-Mock-Tenant"] = memory["X-Mock-Tenant"] = tenant
        if how == "unknown":
            fleet["Session-Id"] = memory["Session-Id"] = UNKNOWN_SESSION
        return fleet, memory

    def _as_memory(self, value: Any) -> Any:
        """The fleet's answer with its session ids replaced by the reference's."""
        if isinstance(value, str):
            return self.mapped.get(value, value)
        if isinstance(value, list):
            return [self._as_memory(v) for v in value]
        if isinstance(value, dict):
            return {k: self._as_memory(v) for k, v in value.items()}
        return value

    def _compare(
        self,
        what: str,
        fleet: httpx.Response,
        memory: httpx.Response,
        clean: Callable[[Any], Any] = lambda body: body,
    ) -> None:
        got = (fleet.status_code, _headers(fleet), clean(self._as_memory(_body(fleet))))
        want = (memory.status_code, _headers(memory), clean(_body(memory)))
        if got != want:
            raise Mismatch(f"{what}:\n fleet:  {_show(got)}\n memory: {_show(want)}")

    # --- every example starts here ----------------------------------------------------------

    @initialize()
    def start_afresh(self) -> None:
        """Both sides back to the same state: data, sessions, scenario, every clock; then
        the server-wide clock frozen at ``START``."""
        for method, path, params in [
            ("DELETE", "/_mock/scenario", None),
            ("POST", "/_mock/reset", None),
            *[("DELETE", "/_mock/clock", {"tenant": t}) for t in CLOCK_TENANTS],
            ("DELETE", "/_mock/clock", None),
            ("DELETE", "/_mock/requests", None),
        ]:
            fleet, memory = self._send(method, path, params=params, compare=False)
            assert fleet.status_code == memory.status_code == 200, (fleet.text, memory.text)
        self._send("PUT", "/_mock/clock", body={"now": START, "frozen": True})

    # --- auth -------------------------------------------------------------------------------

    @rule(tenant=st.sampled_from(TENANTS), token=st.booleans(), empty_password=st.booleans())
    def login(self, tenant: str, token: bool, empty_password: bool) -> None:
        empty_password = empty_password and SEND_INVALID_LOGINS
        body = {"UserName": "u", "Password": "" if empty_password else "p"}
        body |= {"Database": tenant, "ApiKey": "k"}
        path = "/api/auth/login/token" if token else "/api/auth/login"
        self._session(path, body, ("none", 0, ""))

    @rule(identity=identities, tenant=st.sampled_from(TENANTS), renew=st.booleans())
    def alive_or_renew(self, identity: Identity, tenant: str, renew: bool) -> None:
        """``alive`` answers the session's id; ``renew`` without a session is a login."""
        if renew:
            body = {"UserName": "u", "Password": "p", "Database": tenant, "ApiKey": "k"}
            self._session("/api/auth/renew", body, identity)
        else:
            self._send("GET", "/api/auth/alive", identity=identity)

    def _session(self, path: str, body: dict[str, str], identity: Identity) -> None:
        """A login or renew: a new session on each side pairs the two ids."""
        fleet, memory = self._send("POST", path, body=body, identity=identity, compare=False)
        if fleet.status_code == memory.status_code == 200:
            fleet_id, memory_id = fleet.json()["session_id"], memory.json()["session_id"]
            if fleet_id not in self.mapped:
                self.sessions.append((fleet_id, memory_id))
                self.mapped[fleet_id] = memory_id
        self._compare(f"POST {path} {body} {identity}", fleet, memory)

    # --- customers --------------------------------------------------------------------------

    @rule(
        identity=identities,
        name=texts,
        email=st.sampled_from(["a@b.fi", "info@testi.fi", ""]),
        customer_type=st.one_of(st.none(), st.integers(1, 3)),
        group=st.one_of(st.none(), st.integers(1, 6)),
    )
    def create_customer(
        self,
        identity: Identity,
        name: str,
        email: str,
        customer_type: int | None,
        group: int | None,
    ) -> None:
        body: dict[str, Any] = {"name": name, "email": email}
        if customer_type is not None:
            body["type"] = customer_type
        if group is not None:
            body["group"] = group
        self._send("POST", "/api/customers", body=body, identity=identity)

    @rule(
        identity=identities,
        customer_id=customer_ids,
        name=texts,
        phone=st.one_of(st.none(), st.just("09 1234 567")),
        group=st.one_of(st.none(), st.integers(1, 6)),
    )
    def update_customer(
        self, identity: Identity, customer_id: int, name: str, phone: str | None, group: int | None
    ) -> None:
        body: dict[str, Any] = {"name": name, "email": "paivitetty@testi.fi"}
        if phone is not None:
            body["phone"] = phone
        if group is not None:
            body["group"] = group
        self._send("PUT", f"/api/customers/{customer_id}", body=body, identity=identity)

    @rule(identity=identities, customer_id=customer_ids, bic=st.booleans())
    def add_account(self, identity: Identity, customer_id: int, bic: bool) -> None:
        body = {"iban": "FI2112345600000785"} | ({"bic": "NDEAFIHH"} if bic else {})
        self._send("POST", f"/api/customers/{customer_id}/accounts", body=body, identity=identity)

    @rule(identity=identities, customer_id=st.one_of(customer_ids, st.just(99_999)))
    def get_customer(self, identity: Identity, customer_id: int) -> None:
        self._send("GET", f"/api/customers/{customer_id}", identity=identity)

    @rule(
        identity=identities,
        base=st.booleans(),
        name=st.one_of(st.none(), texts),
        customer_type=st.one_of(st.none(), st.integers(1, 3)),
        group=st.one_of(st.none(), st.integers(1, 6)),
        modified_after=st.one_of(st.none(), moments),
        is_customer=st.one_of(st.none(), st.sampled_from(["0", "1"])),
        page=pages,
        page_size=page_sizes,
        prefixed=st.booleans(),
        named=named_scenarios,
    )
    def list_customers(
        self,
        identity: Identity,
        base: bool,
        name: str | None,
        customer_type: int | None,
        group: int | None,
        modified_after: str | None,
        is_customer: str | None,
        page: int | None,
        page_size: int | None,
        prefixed: bool,
        named: str | None,
    ) -> None:
        filters = {
            "name": name,
            "type": customer_type,
            "group": group,
            "modified_after": modified_after,
            "is_customer": is_customer,
            "page": page,
            "page_size": page_size,
        }
        params = {("filter." if prefixed else "") + k: v for k, v in filters.items()}
        path = "/api/customers/base" if base else "/api/customers"
        self._send("GET", path, params=params, identity=identity, named=named)

    # --- invoices ---------------------------------------------------------------------------

    @rule(
        identity=identities,
        customer_number=customer_numbers,
        day=st.integers(1, 28),
        rows=st.lists(st.tuples(st.integers(1, 5), st.integers(0, 5_000)), max_size=2),
    )
    def create_invoice(
        self, identity: Identity, customer_number: int, day: int, rows: list[tuple[int, int]]
    ) -> None:
        body = {
            "date": f"2025-06-{day:02d}",
            "customer_number": customer_number,
            "rows": [{"quantity": q, "unit_price": c / 100, "total": 0} for q, c in rows],
        }
        self._send("POST", "/api/invoices", body=body, identity=identity)

    @rule(identity=identities, invoice_id=st.integers(1, 64), named=named_scenarios)
    def get_invoice(self, identity: Identity, invoice_id: int, named: str | None) -> None:
        """60 generated invoices, then created ones (or none)."""
        self._send("GET", f"/api/invoices/{invoice_id}", identity=identity, named=named)

    @rule(
        identity=identities,
        customer_number=st.one_of(st.none(), customer_numbers),
        updated_after=st.one_of(st.none(), moments),
        page=pages,
        page_size=page_sizes,
        named=named_scenarios,
    )
    def list_invoices(
        self,
        identity: Identity,
        customer_number: int | None,
        updated_after: str | None,
        page: int | None,
        page_size: int | None,
        named: str | None,
    ) -> None:
        params = {
            "customer_number": customer_number,
            "updated_after": updated_after,
            "page": page,
            "page_size": page_size,
        }
        self._send("GET", "/api/invoices", params=params, identity=identity, named=named)

    # --- the admin API ----------------------------------------------------------------------

    @rule(tenant=st.one_of(st.none(), st.sampled_from(CLOCK_TENANTS)))
    def reset(self, tenant: str | None) -> None:
        """One tenant (its data, sessions, counters and clock) or all; a reset of all also
        returns the server-wide clock to real time, so it is frozen again, as at the start."""
        self._send("POST", "/_mock/reset", params={"tenant": tenant})
        if tenant is None:
            self._send("PUT", "/_mock/clock", body={"now": START, "frozen": True})

    @rule(
        action=st.sampled_from(["switch", "switch", "clear", "show", "tenants"]),
        first=st.integers(1, 3),
        every=st.one_of(st.none(), st.integers(2, 3)),
        probability=st.one_of(st.none(), st.sampled_from([0.3, 0.5])),
        expire=st.one_of(st.none(), st.integers(1, 3)),
        overlay=st.booleans(),
        seed=st.integers(1, 3),
    )
    def scenario(
        self,
        action: str,
        first: int,
        every: int | None,
        probability: float | None,
        expire: int | None,
        overlay: bool,
        seed: int,
    ) -> None:
        """Switch to a scenario with counting (and dice) rules, back to the start-up one, or
        read it (its rules' counters per tenant, fleet-wide), or read the tenants held (their
        sessions and writes; ``last_activity`` is real time: left out)."""
        if action == "switch":
            self._send(
                "PUT",
                "/_mock/scenario",
                yaml=_scenario(first, every, probability, expire, overlay, seed),
            )
        elif action == "clear":
            self._send("DELETE", "/_mock/scenario")
        elif action == "show":
            self._send("GET", "/_mock/scenario")
        else:
            self._send("GET", "/_mock/tenants", clean=_without_activity)

    @rule(limit=st.integers(1, 12), tenant=st.one_of(st.none(), st.sampled_from(CLOCK_TENANTS)))
    def journal(self, limit: int, tenant: str | None) -> None:
        """The last requests the fleet served, from any process, in order: what each was,
        its tenant, status, the rules that fired and the mock's time it was served at."""
        params = {"limit": limit, "tenant": tenant}
        self._send("GET", "/_mock/requests", params=params, clean=_journal_rows)

    @rule(
        action=st.sampled_from(["advance", "advance", "set", "back", "read"]),
        tenant=st.one_of(st.none(), st.sampled_from(CLOCK_TENANTS)),
        by=st.sampled_from(["PT1M", "PT5M", "PT17M", "PT31M"]),
        now=st.sampled_from(
            ["2025-07-01T12:00:00Z", "2025-07-02T08:30:00Z", "2024-12-31T23:59:59Z"]
        ),
    )
    def clock(self, action: str, tenant: str | None, by: str, now: str) -> None:
        """Move the server-wide clock or a tenant's: forward, to another date (frozen), a
        tenant back to the server-wide one (frozen too: still deterministic); or read it."""
        params = {"tenant": tenant}
        if action == "advance":
            self._send("POST", "/_mock/clock/advance", params=params, body={"by": by})
        elif action == "set":
            self._send("PUT", "/_mock/clock", params=params, body={"now": now})
        elif action == "back" and tenant is not None:
            self._send("DELETE", "/_mock/clock", params=params)
        else:
            self._send("GET", "/_mock/clock", params=params)


def _headers(answer: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in answer.headers.items() if k not in IGNORED_HEADERS}


def _body(answer: httpx.Response) -> Any:
    try:
        return answer.json()
    except ValueError:
        return answer.text


def _without_activity(listed: Any) -> Any:
    """``GET /_mock/tenants`` without ``last_activity`` (real time), and, while
    ``SKIP_TENANTS_KNOWN_BY_READS`` is on, without the tenants that only reads made."""
    if not isinstance(listed, dict):
        return listed
    kept = []
    for tenant in listed.get("tenants", []):
        tenant.pop("last_activity", None)
        if SKIP_TENANTS_KNOWN_BY_READS and not (tenant["sessions"] or tenant["writes"]):
            continue
        kept.append(tenant)
    listed["tenants"] = kept
    if SKIP_TENANTS_KNOWN_BY_READS:
        listed["count"] = len(kept)
    return listed


JOURNAL_FIELDS = (
    *("method", "path", "query", "body", "tenant", "status", "rules", "routed"),
    *("invalid", "fault", "response_body", "mock_time"),
)


def _journal_rows(listed: Any) -> Any:
    """``GET /_mock/requests`` without what differs by nature: ``seq`` (the fleet numbers
    its stream, which also holds the processes' health checks), real ``time``, latency,
    headers (the host and port, the session's tag)."""
    if not isinstance(listed, dict):
        return listed
    rows = listed.get("requests", [])
    return [{k: row.get(k) for k in JOURNAL_FIELDS} for row in rows]


def _show(answer: tuple[int, dict[str, str], Any]) -> str:
    status, headers, body = answer
    return f"{status} {headers} {json.dumps(body, ensure_ascii=False)[:2000]}"


def test_fleet_answers_as_one_in_memory_server(sides: Sides) -> None:
    class OnTheseSides(FleetModel):
        def __init__(self) -> None:
            super().__init__(sides)

    run_state_machine_as_test(OnTheseSides, settings=SETTINGS)
