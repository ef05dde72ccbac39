"""Exact records laid over the generated data: merged field by field, renumbered customers
followed by their invoices, sums settled, and the store switched atomically."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.app import create_app
from mockserver.datagen import generate
from mockserver.record_overlay import overlay
from mockserver.records import Located
from mockserver.scenarios import activate, load_text
from mockserver.settings import Settings

SIZE = {"seed": 3, "customers": 6, "invoices": 30}


def get_all(app: Any, *paths: str, headers: dict[str, str] | None = None) -> list[Any]:
    async def run() -> list[Any]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
            answers = [await client.get(path, headers=headers) for path in paths]
        return [answer.json() for answer in answers]

    return asyncio.run(run())


def app_with(text: str, **sizes: int) -> Any:
    app = create_app(Settings(**{**SIZE, **sizes}))
    activate(app.state.mock, load_text(text))
    return app


def invoices_of(app: Any, number: int) -> list[dict[str, Any]]:
    (page,) = get_all(app, f"/api/invoices?customer_number={number}&page_size=1000")
    results: list[dict[str, Any]] = page["results"]
    return results


def test_a_record_overlays_the_generated_one_field_by_field() -> None:
    plain = create_app(Settings(**SIZE))
    (before,) = get_all(plain, "/api/customers/2")
    app = app_with("records: {customers: [{id: 2, name: Uusi Oy, email: u@x.fi, city: OULU}]}")
    (after,) = get_all(app, "/api/customers/2")
    changed = {k for k in before if before[k] != after[k]}
    assert changed == {"name", "email", "city"}
    assert (after["name"], after["email"], after["city"]) == ("Uusi Oy", "u@x.fi", "OULU")


def test_a_new_record_is_added_with_the_next_number() -> None:
    app = app_with(
        "records: {customers: [{id: 50, name: Uusi Oy, email: u@x.fi}, "
        "{id: 51, number: 7, name: Seitsemän Oy, email: s@x.fi}]}"
    )
    added, seven, listing = get_all(
        app, "/api/customers/50", "/api/customers/51", "/api/customers?page_size=100"
    )
    assert (added["number"], added["open_invoice_sum"], added["contacts"]) == (10007, 0.0, [])
    assert seven["number"] == 7
    assert [c["id"] for c in listing["results"]] == [1, 2, 3, 4, 5, 6, 50, 51]
    created = asyncio.run(_post(app, {"name": "Seuraava Oy", "email": "s@x.fi"}))
    assert (created["id"], created["number"]) == (52, 10008)


async def _post(app: Any, body: dict[str, Any]) -> Any:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://mock") as client:
        return (await client.post("/api/customers", json=body)).json()


def test_invoices_follow_a_renumbered_customer() -> None:
    plain = create_app(Settings(**SIZE))
    (customer,) = get_all(plain, "/api/customers/1")
    old = customer["number"]
    named = invoices_of(plain, old)
    assert named
    app = app_with("records: {customers: [{id: 1, number: 1001, name: A Oy, email: a@x.fi}]}")
    followed = invoices_of(app, 1001)
    assert [i["id"] for i in followed] == [i["id"] for i in named]
    assert invoices_of(app, old) == []
    (renumbered,) = get_all(app, "/api/customers/1")
    assert renumbered["open_invoice_sum"] == customer["open_invoice_sum"]
    assert renumbered["due_invoice_sum"] == customer["due_invoice_sum"]
    (page,) = get_all(app, "/api/invoices?page_size=1000")
    for invoice in page["results"]:
        for field in ("customer_number", "delivery_customer_number", "orderer_customer_number"):
            assert invoice[field] != old
        assert all(row["delivery_customer_number"] != old for row in invoice["rows"])


def test_two_customers_can_swap_numbers() -> None:
    app = app_with(
        "records: {customers: [{id: 1, number: 10002, name: A, email: a@x.fi}, "
        "{id: 2, number: 10001, name: B, email: b@x.fi}]}"
    )
    plain = create_app(Settings(**SIZE))
    assert [i["id"] for i in invoices_of(app, 10002)] == [
        i["id"] for i in invoices_of(plain, 10001)
    ]


def test_moving_an_invoice_settles_both_customers_sums() -> None:
    plain = create_app(Settings(**SIZE))
    (page,) = get_all(plain, "/api/invoices?page_size=1000")
    unpaid = next(
        i
        for i in page["results"]
        if round(i["total_sum"] - sum(p["total"] for p in i["payments"]), 2)
    )
    remaining = round(unpaid["total_sum"] - sum(p["total"] for p in unpaid["payments"]), 2)
    owner = unpaid["customer_number"] - 10000
    other = 1 if owner != 1 else 2
    first_before, second_before = get_all(
        plain, f"/api/customers/{owner}", f"/api/customers/{other}"
    )
    app = app_with(
        f"records: {{invoices: [{{id: {unpaid['id']}, customer_number: {10000 + other}, "
        f"date: '{unpaid['date']}'}}]}}"
    )
    first, second = get_all(app, f"/api/customers/{owner}", f"/api/customers/{other}")
    assert round(first_before["open_invoice_sum"] - first["open_invoice_sum"], 2) == remaining
    assert round(second["open_invoice_sum"] - second_before["open_invoice_sum"], 2) == remaining
    (moved,) = get_all(app, f"/api/invoices/{unpaid['id']}")
    assert moved["rows"] == unpaid["rows"]  # the rest of the generated invoice stays


def test_total_sum_comes_from_the_rows() -> None:
    app = app_with(
        """records:
  invoices:
    - id: 500
      customer_number: 10001
      date: 2025-06-01T00:00:00Z
      due_date: 2025-06-15T00:00:00Z
      rows:
        - {quantity: 2, unit_price: 10.25, total: 20.5}
        - {quantity: 1, unit_price: 0.1, total: 0.1}
      payments: [{date: 2025-06-10T00:00:00Z, total: 0.6}]
"""
    )
    invoice, customer = get_all(app, "/api/invoices/500", "/api/customers/1")
    plain = get_all(create_app(Settings(**SIZE)), "/api/customers/1")[0]
    assert invoice["total_sum"] == 20.6
    assert invoice["number"] == 100031  # the next free number
    assert [r["invoice_id"] for r in invoice["rows"]] == [500, 500]
    assert round(customer["open_invoice_sum"] - plain["open_invoice_sum"], 2) == 20.0
    assert round(customer["due_invoice_sum"] - plain["due_invoice_sum"], 2) == 20.0


def test_replace_holds_exactly_the_records() -> None:
    app = app_with(
        """records:
  replace: true
  customers:
    - {id: 3, name: Kolme Oy, email: k@x.fi, contacts: [{customer_id: 99, name: Anna}],
       accounts: [{iban: FI2112345600000785}]}
  invoices:
    - {id: 9, customer_number: 10001, date: '2025-01-01T00:00:00Z',
       rows: [{quantity: 1, unit_price: 5, total: 5}]}
"""
    )
    customers, invoices, customer = get_all(
        app, "/api/customers", "/api/invoices", "/api/customers/3"
    )
    assert [c["id"] for c in customers["results"]] == [3]
    assert [i["id"] for i in invoices["results"]] == [9]
    assert customer["number"] == 10001
    assert customer["contacts"][0]["customer_id"] == 3  # children point at their customer
    assert customer["accounts"][0]["account_id"] == 1
    assert (customer["open_invoice_sum"], customer["due_invoice_sum"]) == (5.0, 0.0)  # no due date


def test_switching_keeps_or_resets_the_tenants() -> None:
    app = create_app(Settings(**SIZE))
    state = app.state.mock
    created = asyncio.run(_post(app, {"name": "Kirjoitettu Oy", "email": "k@x.fi"}))
    activate(state, load_text("rules: [{latency: {ms: 1}}]"))
    assert state.store.tenant().customers.get(created["id"]) is not None
    store = state.store
    activate(state, load_text("records: {customers: [{id: 1, name: A, email: a@x.fi}]}"))
    assert state.store is not store
    assert state.store.tenant().customers.get(created["id"]) is None
    same = state.store
    activate(state, load_text("records: {customers: [{id: 1, name: A, email: a@x.fi}]}"))
    assert state.store is same  # the same data: nothing rebuilt
    activate(state, None)
    assert state.store.tenant().customers.get(1).name != "A"


@settings(max_examples=25, deadline=None)
@given(
    moves=st.dictionaries(st.integers(1, 6), st.integers(20000, 20020), max_size=4).filter(
        lambda d: len(set(d.values())) == len(d)
    )
)
def test_integrity_survives_any_renumbering(moves: dict[int, int]) -> None:
    """Whatever numbers the records give, every invoice names an existing customer and every
    customer's open sum is what its invoices leave unpaid."""
    base = generate(5, 6, 40)
    records = [
        Located(
            load_text(
                f"records: {{customers: [{{id: {cid}, number: {number}, name: X, email: x}}]}}"
            )
            .customers[0]
            .record,
            "s.yaml:1:1",
        )
        for cid, number in moves.items()
    ]
    data = overlay(base, records, [])
    numbers = {f.number for f in data.customers}
    assert len(numbers) == len(data.customers)
    for facts in data.invoices:
        invoice = data.invoice(facts.id)
        assert facts.customer_number in numbers
        assert invoice.delivery_customer_number in numbers
        assert invoice.orderer_customer_number in numbers
    for facts in data.customers:
        customer = data.customer(facts.id)
        unpaid = sum(
            round((inv.total_sum or 0) * 100)
            - sum(round((p.total or 0) * 100) for p in inv.payments or [])
            for inv in (data.invoice(f.id) for f in data.invoices)
            if inv.customer_number == facts.number
        )
        assert round((customer.open_invoice_sum or 0) * 100) == unpaid
