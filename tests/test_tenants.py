"""Isolated tenants: the ``Database`` of a login (or ``X-Mock-Tenant``) selects a view of the
seeded data with its own writes, scenario counters, sessions and journal view. A new tenant
reads the shared tables (no copy, no regeneration); its writes live in an overlay of its own
and read exactly as a full copy would. The server holds at most ``--max-tenants`` of them,
lists them and deletes them."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

import mockserver.datagen
from mockserver.app import create_app
from mockserver.datagen import generate
from mockserver.filters import select_customers
from mockserver.models import Customer, CustomerAccount, CustomerAttribute, CustomerContact, Invoice
from mockserver.settings import Settings
from mockserver.store import RecordDataset, Store, Tenant
from mockserver.tables import Table
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
    app = create_app(Settings(customers=20, invoices=100), store=Store(dataset))
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


@pytest.mark.perf  # a timing budget: not in the default run (scripts/test reports it)
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


# --- copy-on-write per record: what a tenant writes is its own, and reads as a full copy ----------

_SEEDED = generate(7, 40, 0)
_DAY0 = datetime(2020, 1, 1, tzinfo=UTC)
_MOMENTS = [_DAY0 + timedelta(days=d, hours=h) for d in range(0, 2000, 97) for h in (0, 7)]
_NAMES = sorted({f.name for f in _SEEDED.customers if f.name} | {"Testi Oy", "Åke Ab", "Oy"})
_EMAILS = sorted({f.email for f in _SEEDED.customers if f.email} | {"x@testi.fi"})
_NUMBERS = sorted(f.number for f in _SEEDED.customers if f.number is not None)
_TEXT_FILTERS = ("name", "search_name", "email", "phone", "vat", "contact_email", "search")


@st.composite
def _body(draw: st.DrawFn, partial: bool) -> Customer:
    """A customer body whose indexed fields come from small pools, so that filters often
    select the written records and the seeded ones alike."""
    fields: dict[str, Any] = {
        "name": draw(st.sampled_from(_NAMES)),
        "email": draw(st.sampled_from(_EMAILS)),
        "searchname": draw(st.none() | st.sampled_from(_NAMES)),
        "phone": draw(st.none() | st.sampled_from(["09 123", "040 555 1234"])),
        "vat": draw(st.none() | st.sampled_from(["FI12345678", "FI01234567"])),
        "group": draw(st.none() | st.integers(1, 4)),
        "type": draw(st.none() | st.integers(1, 3)),
        "is_customer": draw(st.none() | st.booleans()),
        "is_supplier": draw(st.none() | st.booleans()),
        "attributes": [
            CustomerAttribute(id=i, selected=s)
            for i, s in draw(st.lists(st.tuples(st.integers(1, 12), st.booleans()), max_size=3))
        ],
        "contacts": [
            CustomerContact(customer_id=0, email=e)
            for e in draw(st.lists(st.none() | st.sampled_from(_EMAILS), max_size=2))
        ],
    }
    if partial:
        kept = draw(st.sets(st.sampled_from(sorted(fields))))
        fields = {k: v for k, v in fields.items() if k in kept or k in ("name", "email")}
    return Customer(**fields)


@st.composite
def _writes(draw: st.DrawFn) -> list[tuple[str, str, Any, Any]]:
    """(tenant, what, customer id or None, body) in order; ids may name absent customers."""
    ops = []
    for _ in range(draw(st.integers(1, 8))):
        tenant = draw(st.sampled_from(["a", "a", "b"]))
        what = draw(st.sampled_from(["create", "update", "account"]))
        target = draw(st.integers(1, 6) | st.integers(39, 44))  # often the same, or new ones
        if what == "account":
            body: Any = CustomerAccount(iban=draw(st.sampled_from(["FI2112345600000785", None])))
        else:
            body = draw(_body(partial=what == "update"))
        ops.append((tenant, what, target, body))
    return ops


@st.composite
def _filters(draw: st.DrawFn, texts: list[str]) -> dict[str, Any]:
    """A bound customer filter of one to three restrictions (the form the binder answers)."""
    chosen: dict[str, Any] = {}
    for field in draw(
        st.lists(
            st.sampled_from(
                [*_TEXT_FILTERS, "has_email", "is_customer", "is_supplier", "customer_number",
                 "object_ids", "attribute_ids", "group", "type", "created_after",
                 "created_before", "modified_after", "modified_before"]
            ),
            min_size=1, max_size=3, unique=True,
        )
    ):  # fmt: skip
        if field in _TEXT_FILTERS:
            text = draw(st.sampled_from(texts))
            start = draw(st.integers(0, max(0, len(text) - 1)))
            piece = text[start : start + draw(st.integers(1, 4))] or "a"
            chosen[field] = piece.upper() if draw(st.booleans()) else piece
        elif field in ("has_email", "is_customer", "is_supplier"):
            chosen[field] = draw(st.integers(0, 1))
        elif field == "customer_number":
            pool = _NUMBERS + [_NUMBERS[-1] + n for n in range(1, 6)]
            chosen[field] = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3))
        elif field == "object_ids":
            chosen[field] = draw(st.lists(st.integers(1, 50), min_size=1, max_size=4))
        elif field == "attribute_ids":
            chosen[field] = draw(st.lists(st.integers(1, 12), min_size=1, max_size=2))
        elif field in ("group", "type"):
            chosen[field] = draw(st.integers(1, 4))
        else:
            chosen[field] = draw(st.sampled_from(_MOMENTS))
    return chosen


def _apply(tenant: Tenant, what: str, target: int, body: Any) -> None:
    if what == "create":
        tenant.create_customer(body)
    elif what == "update":
        tenant.update_customer(target, body)
    else:
        tenant.add_account(target, body)


def _copy_of(table: Table[Customer, Any]) -> Table[Customer, Any]:
    """The model: a table built afresh from every record ``table`` holds (what the old
    store's full copy per tenant amounted to)."""
    records = [table.get(i) for i in table.ids]
    return Store(RecordDataset([r for r in records if r is not None], [])).tenant().customers


def _same_reads(
    table: Table[Customer, Any], model: Table[Customer, Any], f: dict[str, Any]
) -> None:
    chosen = list(select_customers(table, f))
    assert chosen == list(select_customers(model, f)), f
    # as the list routes select: once per query, kept until the table's next write
    key = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in f.items()))
    kept = table.selections.get(key)
    assert list(kept if kept is not None else table.remember(key, chosen)) == chosen
    assert table.many_json(chosen) == model.many_json(chosen)
    assert table.many_json(chosen, basic=True) == model.many_json(chosen, basic=True)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=_writes(), data=st.data())
def test_writes_stay_in_their_tenant_and_read_as_a_full_copy(
    ops: list[tuple[str, str, Any, Any]], data: st.DataObject
) -> None:
    moments = iter(_MOMENTS[n % len(_MOMENTS)] for n in range(10_000))
    store = Store(_SEEDED, clock=lambda: next(moments))
    pristine = Store(_SEEDED).tenant().customers
    expected: dict[str, dict[int, bytes]] = {}  # tenant -> id -> bytes, by a plain model
    for tenant_name, what, target, body in ops:
        tenant = store.tenant(tenant_name)
        _apply(tenant, what, target, body)
        expected[tenant_name] = {i: tenant.customers.json(i) for i in tenant.customers.ids}
        # reads between writes: what they cache (texts, selections) must follow the writes
        table = tenant.customers
        model = _copy_of(table)
        texts = [t for i in model.ids for t in _texts_of(model, i)]
        _same_reads(table, model, data.draw(_filters(texts)))
    default = store.tenant()
    assert default.customers is pristine or list(default.customers.ids) == list(pristine.ids)
    assert default.customers.many_json(pristine.ids) == pristine.many_json(pristine.ids)
    for name in ("a", "b"):
        table = store.tenant(name).customers
        if name not in expected:  # never written: it reads the shared table itself
            assert table is default.customers
            continue
        # another tenant's writes never show: its bytes are those it wrote, or seeded ones
        assert {i: table.json(i) for i in table.ids} == expected[name]
        model = _copy_of(table)
        assert list(table.ids) == list(model.ids) and len(table) == len(model)
        assert [i for i in range(60) if i in table] == [i for i in range(60) if i in model]
        texts = [t for i in model.ids for t in _texts_of(model, i)]
        for _ in range(6):
            _same_reads(table, model, data.draw(_filters(texts)))
        assert table.next_id == model.next_id


def _texts_of(table: Table[Customer, Any], record_id: int) -> list[str]:
    record = table.get(record_id)
    assert record is not None
    fields = (record.name, record.searchname, record.email, record.phone, record.vat)
    contacts = [c.email for c in record.contacts or [] if isinstance(c.email, str)]
    return [t for t in (*fields, *contacts) if isinstance(t, str) and t] + [str(record.number)]


def test_a_record_written_twice_leaves_what_it_held_before() -> None:
    store = Store(generate(1, 20, 0))
    tenant = store.tenant("a")
    table = store.tenant().customers
    moment = datetime(2030, 1, 1, tzinfo=UTC)

    def clock() -> datetime:
        return moment

    tenant.clock = clock
    before = table.hashed["group"].lookup([7])
    for group in (7, 8):
        tenant.update_customer(1, Customer(name="Oy Uusi", email="u@u.fi", group=group))
        moment += timedelta(days=1)
    mine = tenant.customers
    assert set(mine.hashed["group"].lookup([7])) == set(before) - {1}
    assert 1 in mine.hashed["group"].lookup([8]) and 1 not in table.hashed["group"].lookup([8])
    noon = datetime(2030, 1, 1, 12, tzinfo=UTC)
    assert mine.ordered["modified"].range(noon, None) == [1]
    assert list(mine.ordered["modified"].ascending(None, noon)) == list(range(2, 21))
    assert mine.texts("name")[1][1] == "oy uusi"


def test_a_tenant_that_never_wrote_reads_the_shared_tables() -> None:
    store = Store(generate(1, 20, 40))
    writer, reader = store.tenant("writer"), store.tenant("reader")
    shared = reader.customers
    writer.create_customer(Customer(name="Oma Oy", email="oma@oma.fi"))
    assert reader.customers is shared is store.tenant().customers
    assert reader.invoices is writer.invoices  # nobody writes invoices: always shared
    assert len(writer.customers) == 21 and len(reader.customers) == 20


# --- bounded: --max-tenants, listing and deleting tenants -----------------------------------------


def _credentials(database: str) -> dict[str, str]:
    return {"UserName": "u", "Password": "p", "Database": database, "ApiKey": "k"}


TOO_MANY = {
    "Message": "The server holds its maximum of 2 tenants (--max-tenants); delete one with "
    "DELETE /_mock/tenants/{name} or reset."
}


def test_max_tenants_refuses_one_more_and_the_others_keep_working(make_client: Any) -> None:
    client: TestClient = make_client([Customer(id=1, number=1001, name="Oy A", email="a@a.fi")],
                                     max_tenants=2)  # fmt: skip
    acme = _login(client, "acme")
    assert client.get("/api/customers", headers={"X-Mock-Tenant": "globex"}).status_code == 200
    refused = client.post("/api/auth/login", json=_credentials("initech"))
    assert (refused.status_code, refused.json()) == (507, TOO_MANY)
    named = client.get("/api/customers", headers={"X-Mock-Tenant": "initech"})
    assert (named.status_code, named.json()) == (507, TOO_MANY)
    created = client.post("/api/customers", json={"name": "B", "email": "b@b.fi"}, headers=acme)
    assert created.status_code == 200  # the tenants held keep working
    assert _names(client, {"X-Mock-Tenant": "globex"}) == ["Oy A"]
    store: Store = client.app.state.mock.store  # type: ignore[attr-defined]
    assert sorted(store.tenants) == ["acme", "globex"]
    assert client.delete("/_mock/tenants/globex").status_code == 204
    assert client.post("/api/auth/login", json=_credentials("initech")).status_code == 200
    assert sorted(store.tenants) == ["acme", "initech"]


def test_no_tenant_limit_with_zero(make_client: Any) -> None:
    client: TestClient = make_client(max_tenants=0)
    for n in range(30):
        headers = {"X-Mock-Tenant": f"t{n}"}
        assert client.get("/api/customers", headers=headers).status_code == 200
    assert client.get("/_mock/tenants").json()["count"] == 30


def test_tenants_are_listed_with_sessions_writes_and_last_activity(
    make_client: Any, clock: Any
) -> None:
    client: TestClient = make_client([Customer(id=1, number=1001, name="Oy A", email="a@a.fi")])
    acme = _login(client, "acme")
    _login(client, "acme")
    client.post("/api/customers", json={"name": "B", "email": "b@b.fi"}, headers=acme)
    client.put("/api/customers/1", json={"name": "A2", "email": "a@a.fi"}, headers=acme)
    client.get("/api/customers", headers={"X-Mock-Tenant": "globex"})
    listed = client.get("/_mock/tenants")
    assert listed.status_code == 200
    body = listed.json()
    assert (body["count"], body["max_tenants"]) == (2, 1000)
    rows = {row["name"]: row for row in body["tenants"]}
    assert [row["name"] for row in body["tenants"]] == ["acme", "globex"]
    assert (rows["acme"]["sessions"], rows["acme"]["writes"]) == (2, 2)
    assert (rows["globex"]["sessions"], rows["globex"]["writes"]) == (0, 0)
    stamp = datetime.fromisoformat(rows["acme"]["last_activity"].replace("Z", "+00:00"))
    assert abs((stamp - datetime.now(UTC)).total_seconds()) < 3600
    clock.advance(minutes=31)  # the sessions expire: no longer counted
    assert client.get("/_mock/tenants").json()["tenants"][0]["sessions"] == 0


def test_deleting_a_tenant_forgets_its_data_sessions_journal_and_counters(
    make_client: Any, tmp_path: Path
) -> None:
    path = tmp_path / "once.yaml"
    path.write_text("rules:\n  - match: {method: GET, path: /api/invoices}\n"
                    "    when: {first: 1}\n    error: 503\n")  # fmt: skip
    client: TestClient = make_client(
        [Customer(id=1, number=1001, name="Oy A", email="a@a.fi")], scenario=(str(path),)
    )
    acme, globex = _login(client, "acme"), _login(client, "globex")
    for session in (acme, globex):
        client.post("/api/customers", json={"name": "B", "email": "b@b.fi"}, headers=session)
        assert client.get("/api/invoices", headers=session).status_code == 503
    answer = client.delete("/_mock/tenants/acme")
    assert (answer.status_code, answer.content) == (204, b"")
    assert client.get("/api/customers", headers=acme).status_code == 401  # session ended
    journal = client.app.state.mock.journal  # type: ignore[attr-defined]
    assert journal.entries("acme") == [] and len(journal.entries("globex")) == 3
    assert _names(client, {"X-Mock-Tenant": "acme"}) == ["Oy A"]  # seeded data again
    assert client.get("/api/invoices", headers={"X-Mock-Tenant": "acme"}).status_code == 503
    assert _names(client, globex) == ["Oy A", "B"]  # the others untouched
    assert client.get("/api/invoices", headers=globex).status_code == 200
    missing = client.delete("/_mock/tenants/nobody")
    assert (missing.status_code, missing.json()) == (
        404,
        {"Message": "There is no tenant named 'nobody'."},
    )
