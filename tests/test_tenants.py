"""Isolated tenants: the ``Database`` of a login (or ``X-Mock-Tenant``) selects a copy of the
seeded data with its own writes, scenario counters, sessions and journal view; creating one
copies the snapshot (no regeneration, well under 20 ms at the default size)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2
import pytest
from starlette.testclient import TestClient

import mockserver.datagen
from mockserver.app import create_app
from mockserver.datagen import generate
from mockserver.models import Customer, Invoice
from mockserver.settings import Settings
from mockserver.store import Store
from mockserver.testing import MockServer


def _login(client: TestClient | httpx2.Client, database: str) -> dict[str, str]:
    body = {"UserName": "u", "Password": "p", "Database": database, "ApiKey": "k"}
    answer = client.post("/api/auth/login", json=body)
    assert answer.status_code == 200, answer.text
    return {"Session-Id": answer.json()["session_id"]}


def _names(client: TestClient, headers: dict[str, str]) -> list[str]:
    answer = client.get("/api/customers", headers=headers)
    assert answer.status_code == 200, answer.text
    return [c["name"] for c in answer.json()["results"]]


@pytest.fixture
def client(make_client: Any) -> TestClient:
    customers = [Customer(id=1, number=1001, name="Oy A", email="a@a.fi")]
    invoices = [
        Invoice(id=1, number=1, customer_number=1001, date=datetime(2024, 1, 1, tzinfo=UTC))
    ]
    made: TestClient = make_client(customers, invoices)
    return made


def test_each_database_has_its_own_writes(client: TestClient) -> None:
    acme, globex = _login(client, "acme"), _login(client, "globex")
    created = client.post("/api/customers", json={"name": "Oy B", "email": "b@b.fi"}, headers=acme)
    assert created.status_code == 200
    client.put("/api/customers/1", json={"name": "Oy A2", "email": "a@a.fi"}, headers=globex)
    assert _names(client, acme) == ["Oy A", "Oy B"]
    assert _names(client, globex) == ["Oy A2"]
    assert _names(client, {}) == ["Oy A"]  # no session: the default tenant
    assert _names(client, {"X-Mock-Tenant": "acme"}) == ["Oy A", "Oy B"]


def test_tenant_names_are_case_sensitive(client: TestClient) -> None:
    upper = _login(client, "Acme")
    client.post("/api/customers", json={"name": "Oy B", "email": "b@b.fi"}, headers=upper)
    assert _names(client, _login(client, "acme")) == ["Oy A"]
    assert _names(client, _login(client, "Acme")) == ["Oy A", "Oy B"]


def test_a_header_naming_another_tenant_than_the_session_is_a_400(client: TestClient) -> None:
    session = _login(client, "acme")
    answer = client.get("/api/customers", headers={**session, "X-Mock-Tenant": "globex"})
    assert answer.status_code == 400
    assert answer.json() == {
        "Message": "The request is invalid.",
        "ModelState": {
            "X-Mock-Tenant": ["The header names tenant 'globex' but the session belongs to 'acme'."]
        },
    }
    assert client.get("/api/customers", headers={**session, "X-Mock-Tenant": "acme"}).is_success


def test_the_journal_views_one_tenant(client: TestClient) -> None:
    acme = _login(client, "acme")
    client.get("/api/customers", headers=acme)
    client.get("/api/invoices")
    journal = client.app.state.mock.journal  # type: ignore[attr-defined]
    assert [(e.method, e.route) for e in journal.entries("acme")] == [
        ("POST", "/api/auth/login"),
        ("GET", "/api/customers"),
    ]
    assert [e.route for e in journal.entries("default")] == ["/api/invoices"]


def test_resetting_one_tenant_leaves_the_others(client: TestClient) -> None:
    acme, globex = _login(client, "acme"), _login(client, "globex")
    for session in (acme, globex):
        client.post("/api/customers", json={"name": "Oy B", "email": "b@b.fi"}, headers=session)
    answer = client.post("/_mock/reset", params={"tenant": "acme"})
    assert answer.json() == {"reset": "acme"}
    assert client.get("/api/customers", headers=acme).status_code == 401  # its sessions ended
    assert _names(client, _login(client, "acme")) == ["Oy A"]
    assert _names(client, globex) == ["Oy A", "Oy B"]
    journal = client.app.state.mock.journal  # type: ignore[attr-defined]
    # The journal of acme starts afresh; the request with its ended session is no longer
    # acme's (an unknown session names no tenant).
    assert [e.route for e in journal.entries("acme")] == ["/api/auth/login", "/api/customers"]
    assert [(e.route, e.status) for e in journal.entries("default")] == [("/api/customers", 401)]
    assert [e.route for e in journal.entries("globex")] == [
        "/api/auth/login",
        "/api/customers",
        "/api/customers",
    ]


def test_scenario_counters_are_per_tenant_and_reset_with_it(
    make_client: Any, tmp_path: Path
) -> None:
    path = tmp_path / "once.yaml"
    path.write_text(
        "rules:\n"
        "  - name: first-fails\n"
        "    match: {method: GET, path: /api/invoices}\n"
        "    when: {first: 1}\n"
        "    error: 503\n"
    )
    client: TestClient = make_client(scenario=(str(path),))

    def status(tenant: str) -> int:
        return client.get("/api/invoices", headers={"X-Mock-Tenant": tenant}).status_code

    assert [status("a"), status("a"), status("b"), status("b")] == [503, 200, 503, 200]
    client.post("/_mock/reset", params={"tenant": "a"})
    assert [status("a"), status("b")] == [503, 200]


# --- creating a tenant ----------------------------------------------------------------------------


class _Counting:
    """A dataset that counts how often a record is built from it."""

    def __init__(self, dataset: Any) -> None:
        self._dataset = dataset
        self.built = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._dataset, name)

    def customer(self, record_id: int) -> Customer:
        self.built += 1
        record: Customer = self._dataset.customer(record_id)
        return record

    def invoice(self, record_id: int) -> Invoice:
        self.built += 1
        record: Invoice = self._dataset.invoice(record_id)
        return record


def test_a_new_tenant_copies_the_snapshot_without_regenerating(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dataset = _Counting(generate(1, 20, 100))
    app = create_app(Settings(customers=20, invoices=100), store=Store(dataset))  # type: ignore[arg-type]
    client = TestClient(app)
    seeded = client.get("/api/customers", params={"page_size": 50}).content
    built = dataset.built

    def no_generation(*args: Any) -> None:
        raise AssertionError("a tenant must not regenerate data")

    monkeypatch.setattr(mockserver.datagen, "generate", no_generation)
    store: Store = app.state.mock.store
    store.tenant("fresh")
    assert dataset.built == built  # creating it built no record
    copy = client.get("/api/customers", params={"page_size": 50}, headers={"X-Mock-Tenant": "new"})
    assert copy.content == seeded
    assert dataset.built == built  # generated records' bytes are shared by every tenant


def test_creating_a_tenant_of_the_default_size_takes_under_20_ms() -> None:
    store = Store(generate(1, 200, 1000))
    store.tenant("warm-up")
    timings = []
    for i in range(5):
        started = time.perf_counter()
        store.tenant(f"tenant-{i}")
        timings.append(time.perf_counter() - started)
    assert min(timings) <= 0.020
    assert len(store.tenant("tenant-0").customers) == 200
    assert len(store.tenant("tenant-0").invoices) == 1000


def test_parallel_clients_in_their_own_tenants_never_see_each_other() -> None:
    with MockServer(seed=4, customers=5) as api:

        def work(worker: int) -> list[str]:
            with httpx2.Client(base_url=api.url) as http:
                session = _login(http, f"worker-{worker}")
                for n in range(5):
                    body = {"name": f"w{worker}-{n}", "email": f"{n}@w{worker}.fi"}
                    assert http.post("/api/customers", json=body, headers=session).is_success
                answer = http.get("/api/customers", params={"page_size": 50}, headers=session)
                return [c["name"] for c in answer.json()["results"][5:]]

        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(work, range(4)))
        for worker, names in enumerate(results):
            assert names == [f"w{worker}-{n}" for n in range(5)]
        assert len(api.customers) == 5
        for worker in range(4):
            assert api.requests(tenant=f"worker-{worker}").count == 7
    assert threading.active_count() >= 1
