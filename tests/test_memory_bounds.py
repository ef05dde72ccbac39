"""Memory that grows with traffic stays bounded: a tenant's first write costs what it changed
(not a copy of its tables), the server holds at most ``--max-tenants`` tenants and
``--max-sessions`` sessions, and expired sessions are forgotten. Measured with
``tracemalloc`` (bytes Python allocated and still holds), with generous margins: these tests
fail when a bound is lost, never because a machine is slow."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver.app import create_app
from mockserver.datagen import Dataset, generate
from mockserver.models import Customer
from mockserver.sessions import Sessions
from mockserver.settings import Settings
from mockserver.store import Store

KIB = 1024
FIRST_WRITE_BUDGET = 64 * KIB  # the target, at 20,000 customers
LOGIN = {"UserName": "u", "Password": "p", "ApiKey": "k"}


@cache
def _twenty_thousand() -> Dataset:
    return generate(1, 20_000, 0)


@contextmanager
def _retained() -> Iterator[Callable[[], int]]:
    """Bytes still allocated after the block (garbage collected before and after)."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        held = [0]
        yield lambda: held[0]
        gc.collect()
        held[0] = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


def test_a_first_write_in_a_fresh_tenant_costs_what_it_changed() -> None:
    store = Store(_twenty_thousand())
    store.tenant("warm-up").create_customer(Customer(name="Lämmin Oy", email="a@a.fi"))
    for n in range(3):
        with _retained() as held:
            tenant = store.tenant(f"fresh-{n}")
            tenant.create_customer(Customer(name="Testi Oy", email="info@testi.fi"))
        assert held() <= FIRST_WRITE_BUDGET, f"{held()} bytes for one customer"
    assert len(store.tenant("fresh-0").customers) == 20_001
    assert len(store.tenant("other").customers) == 20_000


def test_a_first_write_over_http_costs_what_it_changed() -> None:
    """The whole request: tenant, overlay, record, its bytes and its journal entry."""
    app = create_app(Settings(customers=20_000, invoices=0), store=Store(_twenty_thousand()))
    client = TestClient(app)
    body = {"name": "Testi Oy", "email": "info@testi.fi"}
    assert client.post("/api/customers", json=body, headers={"X-Mock-Tenant": "w"}).is_success
    for n in range(3):
        with _retained() as held:
            answer = client.post("/api/customers", json=body, headers={"X-Mock-Tenant": f"t{n}"})
        assert answer.status_code == 200
        assert held() <= FIRST_WRITE_BUDGET, f"{held()} bytes for one customer"


def test_updating_one_customer_of_twenty_thousand_costs_that_customer() -> None:
    store = Store(_twenty_thousand())
    store.tenant("warm-up").update_customer(1, Customer(name="Lämmin Oy", email="a@a.fi"))
    with _retained() as held:
        store.tenant("fresh").update_customer(2, Customer(name="Uusi Oy", email="u@u.fi"))
    assert held() <= FIRST_WRITE_BUDGET


def test_tenants_past_the_limit_are_refused_and_hold_nothing(make_client: Any) -> None:
    client: TestClient = make_client(max_tenants=20)
    store: Store = client.app.state.mock.store  # type: ignore[attr-defined]
    statuses = [
        client.get("/api/customers", headers={"X-Mock-Tenant": f"t{n}"}).status_code
        for n in range(200)
    ]
    assert statuses == [200] * 20 + [507] * 180
    assert len(store.tenants) == 20
    logins = [
        client.post("/api/auth/login", json={**LOGIN, "Database": f"db{n}"}).status_code
        for n in range(50)
    ]
    assert logins == [507] * 50 and len(store.tenants) == 20
    sessions = client.app.state.mock.sessions  # type: ignore[attr-defined]
    assert len(sessions) == 0  # a refused login keeps no session


def test_sessions_are_capped_oldest_first() -> None:
    sessions = Sessions(max_sessions=1000)
    first = [sessions.login(f"t{n % 7}").session_id for n in range(1000)]
    last = ""
    gc.collect()
    tracemalloc.start()
    try:
        for n in range(5000):  # every session replaced: the table at its steady size
            sessions.login(f"t{n % 7}")
        gc.collect()
        steady = tracemalloc.get_traced_memory()[0]
        for n in range(20_000):
            last = sessions.login(f"t{n % 7}").session_id
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - steady
    finally:
        tracemalloc.stop()
    assert len(sessions) == 1000 and sum(sessions.tenants().values()) == 1000
    assert all(sessions.lookup(sid) is None for sid in first)
    assert sessions.lookup(last) is not None
    # 20,000 logins past the cap replace 1,000 sessions by as many: nothing accumulates
    assert grown <= 16 * KIB, f"{grown} bytes"


def test_max_sessions_is_the_servers_setting(make_client: Any) -> None:
    client: TestClient = make_client(auth="required")
    app = client.app
    app.state.mock.sessions = Sessions(max_sessions=3)  # type: ignore[attr-defined]
    sids = [
        client.post("/api/auth/login", json={**LOGIN, "Database": "acme"}).json()["session_id"]
        for _ in range(5)
    ]
    alive = [client.get("/api/auth/alive", headers={"Session-Id": sid}).status_code for sid in sids]
    assert alive == [401, 401, 200, 200, 200]
    built = create_app(Settings(customers=1, invoices=0, max_sessions=7))
    assert built.state.mock.sessions.max_sessions == 7


def test_renewing_makes_a_session_the_youngest() -> None:
    sessions = Sessions(max_sessions=2)
    old = sessions.login("a")
    sessions.login("a")
    sessions.renew(old)
    sessions.login("a")  # evicts the second login, not the renewed first
    assert sessions.lookup(old.session_id) is old
    assert len(sessions) == 2


def test_expired_sessions_go_as_new_ones_arrive(clock: Any) -> None:
    sessions = Sessions(ttl_s=60, clock=clock.seconds)
    expired = [sessions.login("a").session_id for _ in range(500)]
    clock.advance(seconds=61)
    fresh = sessions.login("b")
    assert len(sessions) == 1
    assert not sessions.holds("a") and sessions.tenants() == {"b": 1}
    assert all(sessions.lookup(sid) is None for sid in expired)
    assert sessions.lookup(fresh.session_id) is fresh


def test_a_shortened_lifetime_is_forgotten_when_looked_up(clock: Any) -> None:
    sessions = Sessions(ttl_s=600, clock=clock.seconds)
    long = sessions.login("a")
    sessions.ttl_s = 1  # a scenario shortened the lifetime: this one sits behind ``long``
    short = sessions.login("a")
    clock.advance(seconds=2)
    assert sessions.tenants() == {"a": 1}  # the listing counts live sessions only
    assert sessions.lookup(short.session_id) is None
    assert len(sessions) == 1 and sessions.lookup(long.session_id) is long


@pytest.mark.parametrize("limit", [0, 5])
def test_no_session_limit_with_zero(limit: int) -> None:
    sessions = Sessions(max_sessions=limit)
    for _ in range(50):
        sessions.login("a")
    assert len(sessions) == (50 if limit == 0 else limit)
