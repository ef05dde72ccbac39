"""Sales orders: a scenario's ``records.orders`` (validated, merged by id across layers, read
from ``$ref`` files, checked for integrity) and ``POST /api/invoices/order/{number}``, which
invoices one once per tenant as the books create any invoice (a reset forgets it)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver.app import create_app
from mockserver.books import Books
from mockserver.datagen import generate
from mockserver.models import Customer, SalesOrder, SalesOrderRow
from mockserver.scenario_load import build_dataset, check_data, data_key
from mockserver.scenario_names import ScenarioError
from mockserver.scenario_spec import json_schema
from mockserver.scenarios import activate, load_files, load_text
from mockserver.settings import Settings
from mockserver.store import RecordDataset, Store, sales_orders

SIZE: dict[str, Any] = {"seed": 3, "customers": 6, "invoices": 30}
INVALID = "The request is invalid."

ORDERS = """\
clock: {now: 2025-07-01T12:00:00Z}
records:
  orders:
    - id: 1
      number: 4500123
      order_datetime: 2025-06-10T09:30:00Z
      delivery_datetime: 2025-06-12T00:00:00Z
      customer_number: 10002
      customer_order_number: PO-778
      customer_reference: Matti Ostaja
      our_reference: Maija Myyjä
      mark: Kesäkampanja
      payment_term: 30
      rows:
        - {product_code: P-100, product_name: Asennustyö, quantity: 3, unit_price: 10.5,
           discount: 10, total: 28.35, tax_rate: 25.5, unit: h}
        - {product_code: P-200, product_name: Kaapeli, quantity: 2, unit_price: 4, total: 8,
           delivery_datetime: 2025-06-20T00:00:00Z}
    - {id: 2, customer_number: 10003, order_datetime: 2025-06-11T00:00:00Z, rows: []}
"""


def _app(text: str = ORDERS) -> Any:
    app = create_app(Settings(**SIZE))
    activate(app.state.mock, load_text(text))
    return app


@pytest.fixture
def client() -> TestClient:
    return TestClient(_app())


def problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        check_data(Settings(**SIZE), load_text(text, "s.yaml"))
    return caught.value.problems


# --- records ------------------------------------------------------------------------------------


def test_orders_are_records_of_the_scenario_only() -> None:
    settings = Settings(**SIZE)
    assert sales_orders(generate(3, 6, 30)) == {}
    dataset = build_dataset(settings, load_text(ORDERS), {})
    orders = sales_orders(dataset)
    assert list(orders) == [4500123, 4500124]  # a number-less order gets the next free one
    first = orders[4500123]
    assert (first.id, first.total, first.customer_number) == (1, 36.35, 10002)
    assert [(row.order_id, row.total) for row in first.rows] == [(1, 28.35), (1, 8.0)]
    assert orders[4500124].total == 0.0
    # the orders are part of what identifies the data: changing one rebuilds them
    other = load_text(ORDERS.replace("PO-778", "PO-779"))
    assert data_key(settings, other) != data_key(settings, load_text(ORDERS))
    # the generated records are those without the scenario
    plain = generate(3, 6, 30)
    assert [f.id for f in dataset.invoices] == [f.id for f in plain.invoices]
    assert dataset.customer(2) == plain.customer(2)


def test_bad_orders_are_problems_with_the_api_s_messages() -> None:
    text = """\
records:
  orders:
    - {id: 1, number: 7, customer_number: 10001}
    - {id: 2, custmer_number: 10001, order_datetime: 2025-06-01T00:00:00Z, rows: []}
    - {number: 8, customer_number: 10001, order_datetime: 2025-06-01T00:00:00Z, rows: []}
    - {id: 4, order_datetime: 2025-06-01, rows: [{quantity: 1, unit_price: x, total: 1}]}
"""
    assert problems(text) == [
        "s.yaml:3:7: order.order_datetime: The order_datetime field is required.",
        "s.yaml:3:7: order.rows: The rows field is required.",
        "s.yaml:4:15: order: unknown field 'custmer_number'; did you mean 'customer_number'?",
        "s.yaml:5:7: order.id: The id field is required.",
        "s.yaml:6:76: order.rows[0].unit_price: Could not convert string to double: x. "
        "Path 'rows[0].unit_price'.",
    ]
    twice = "{id: 1, customer_number: 10001, order_datetime: 2025-06-01, rows: []}"
    assert problems(f"records:\n  orders:\n    - {twice}\n    - {twice}\n") == [
        "s.yaml:4:7: order 1 is given twice (also at s.yaml:3:7)"
    ]


def test_orders_keep_the_data_s_integrity() -> None:
    text = """\
records:
  orders:
    - {id: 1, number: 7, customer_number: 4242, order_datetime: 2025-06-01, rows: []}
    - {id: 2, number: 7, order_datetime: 2025-06-01, rows: [], delivery_customer_number: 99}
    - id: 3
      customer_number: 10001
      order_datetime: 2025-06-01T00:00:00Z
      total: 50
      rows:
        - {quantity: 3, unit_price: 10.5, discount: 10, total: 31.5}
"""
    assert problems(text) == [
        "s.yaml:3:7: order 1: customer_number 4242 names no customer",
        "s.yaml:4:7: order 2: customer_number is required (every order belongs to a customer)",
        "s.yaml:4:7: order 2: delivery_customer_number 99 names no customer",
        "s.yaml:4:7: order 2: number 7 is also order 1's number",
        "s.yaml:5:7: order 3: rows[0].total 31.5 is not its quantity x unit_price less its "
        "discounts (28.35)",
        "s.yaml:5:7: order 3: total 50.0 is not the sum of its rows' total (28.35); leave total "
        "out to have it computed",
    ]


def test_an_order_may_name_a_customer_the_records_add() -> None:
    text = """\
records:
  customers: [{id: 40, number: 777, name: Uusi Oy, email: u@uusi.fi}]
  orders: [{id: 1, number: 5, customer_number: 777, order_datetime: 2025-06-01, rows: []}]
"""
    orders = sales_orders(build_dataset(Settings(**SIZE), load_text(text), {}))
    assert orders[5].customer_number == 777


def test_orders_come_from_files_and_merge_by_id_across_layers(tmp_path: Path) -> None:
    (tmp_path / "orders.yaml").write_text(
        "- {id: 1, number: 11, customer_number: 10001, order_datetime: 2025-06-01T00:00:00Z,\n"
        "   our_reference: Eka, rows: [{quantity: 1, unit_price: 5, total: 5}]}\n"
        "- {id: 2, number: 12, customer_number: 10001, order_datetime: 2025-06-02T00:00:00Z,\n"
        "   rows: []}\n",
        encoding="utf-8",
    )
    (tmp_path / "base.yaml").write_text(
        "records: {orders: [{$ref: orders.yaml}]}\n", encoding="utf-8"
    )
    (tmp_path / "over.yaml").write_text(
        "records:\n  orders:\n    - {id: 1, our_reference: Toka, order_datetime: 2025-06-03,\n"
        "       rows: [{quantity: 2, unit_price: 5, total: 10}]}\n",
        encoding="utf-8",
    )
    scenario = load_files([tmp_path / "base.yaml", tmp_path / "over.yaml"])
    assert [item.record.id for item in scenario.orders] == [1, 2]
    assert scenario.orders[0].site == f"{tmp_path / 'over.yaml'}:3:7"
    orders = sales_orders(build_dataset(Settings(**SIZE), scenario, {}))
    merged = orders[11]  # the later layer's fields over the earlier's; its rows replace them
    assert (merged.our_reference, merged.customer_number, merged.total) == ("Toka", 10001, 10.0)
    assert merged.order_datetime == datetime(2025, 6, 3, tzinfo=UTC)
    (tmp_path / "bad.yaml").write_text("[{id: 3, rows: []}]\n", encoding="utf-8")
    (tmp_path / "uses-bad.yaml").write_text(
        "records: {orders: [{$ref: bad.yaml}]}\n", encoding="utf-8"
    )
    with pytest.raises(ScenarioError) as caught:
        load_files([tmp_path / "uses-bad.yaml"])
    assert caught.value.problems == [
        f"{tmp_path / 'bad.yaml'}:1:2: order.order_datetime: The order_datetime field is required."
    ]


def test_the_json_schema_describes_orders() -> None:
    schema = json_schema()
    orders = schema["$defs"]["RecordsSpec"]["properties"]["orders"]
    assert orders["items"]["anyOf"][1] == {
        "allOf": [{"$ref": "#/$defs/SalesOrder"}, {"required": ["id"]}]
    }
    order = schema["$defs"]["SalesOrder"]
    assert order["required"] == ["order_datetime", "rows"]
    assert order["additionalProperties"] is False
    assert schema["$defs"]["SalesOrderRow"]["required"] == ["total", "unit_price", "quantity"]


# --- invoicing an order -------------------------------------------------------------------------


def test_an_order_is_invoiced_as_the_books_create_an_invoice(client: TestClient) -> None:
    customer = client.get("/api/customers/2").json()
    before = client.get("/api/invoices?page_size=1000").json()["results"]
    answer = client.post("/api/invoices/order/4500123")
    assert answer.status_code == 200, answer.text
    invoice = answer.json()
    assert invoice == client.get(f"/api/invoices/{invoice['id']}").json()  # as stored
    assert invoice["id"] == 1 + max(i["id"] for i in before)
    assert invoice["number"] == 1 + max(i["number"] for i in before)
    expected = {
        "customer_number": 10002,
        "delivery_customer_number": 10002,
        "orderer_customer_number": 10002,
        "customer_name": customer["name"],
        "customer_address": customer["street"],
        "customer_order_number": "PO-778",
        "customer_reference": "Matti Ostaja",
        "our_reference": "Maija Myyjä",
        "order_mark": "Kesäkampanja",
        "date": "2025-07-01T00:00:00Z",  # today, by the tenant's clock
        "value_date": "2025-07-01T00:00:00Z",
        "payment_term": 30,
        "due_date": "2025-07-31T00:00:00Z",
        "modified_date": "2025-07-01T12:00:00Z",
        "type": 1,
        "currency_code": "EUR",
        "total_sum": 36.35,
        "state": "Avoin",
        "payments": [],
        "links": [],
    }
    assert {name: invoice[name] for name in expected} == expected
    assert invoice["reference"] and invoice["rf_reference"].startswith("RF")
    rows = [
        {
            name: row[name]
            for name in (
                "invoice_id", "number", "position", "product_code", "quantity", "unit_price",
                "discount", "total", "tax_amount", "unit", "order_number", "delivery_date",
                "delivery_customer_number",
            )
        }
        for row in invoice["rows"]
    ]  # fmt: skip
    assert rows == [
        {
            "invoice_id": invoice["id"], "number": 1, "position": "1", "product_code": "P-100",
            "quantity": 3.0, "unit_price": 10.5, "discount": 10.0, "total": 28.35,
            "tax_amount": 5.76, "unit": "h", "order_number": 4500123,
            "delivery_date": "2025-06-12T00:00:00Z", "delivery_customer_number": 10002,
        },
        {
            "invoice_id": invoice["id"], "number": 2, "position": "2", "product_code": "P-200",
            "quantity": 2.0, "unit_price": 4.0, "discount": None, "total": 8.0,
            "tax_amount": None, "unit": None, "order_number": 4500123,
            "delivery_date": "2025-06-20T00:00:00Z", "delivery_customer_number": 10002,
        },
    ]  # fmt: skip
    assert len({row["id"] for row in invoice["rows"]}) == 2


def test_the_customer_s_sums_follow_the_invoice(client: TestClient) -> None:
    before = client.get("/api/customers/2").json()
    invoice = client.post("/api/invoices/order/4500123").json()
    after = client.get("/api/customers/2").json()
    assert round(after["open_invoice_sum"] - before["open_invoice_sum"], 2) == 36.35
    assert after["due_invoice_sum"] == before["due_invoice_sum"]  # due 2025-07-31: not yet due
    assert after["modified"] == before["modified"]  # the sums are derived
    listed = client.get("/api/invoices?customer_number=10002&page_size=1000").json()["results"]
    assert invoice in listed
    paid = client.post(f"/api/invoices/{invoice['id']}/payment", json={"date": "2025-07-01"})
    assert paid.json()["total"] == 36.35
    assert client.get("/api/customers/2").json()["open_invoice_sum"] == before["open_invoice_sum"]
    # an order without rows makes an invoice of nothing: the sums stay
    empty_before = client.get("/api/customers/3").json()
    empty = client.post("/api/invoices/order/4500124").json()
    assert (empty["total_sum"], empty["state"], empty["rows"]) == (0.0, "Maksettu", [])
    assert client.get("/api/customers/3").json() == empty_before


def test_an_unknown_order_is_a_404_and_a_bad_number_a_400(client: TestClient) -> None:
    answer = client.post("/api/invoices/order/4500999")
    assert (answer.status_code, answer.json()) == (
        404,
        {"Message": "Sales order 4500999 was not found."},
    )
    bad = client.post("/api/invoices/order/45x")
    assert (bad.status_code, bad.json()) == (
        400,
        {
            "Message": INVALID,
            "ModelState": {"number": ["The value '45x' is not valid for number."]},
        },
    )


def test_an_order_is_invoiced_once(client: TestClient) -> None:
    first = client.post("/api/invoices/order/4500123").json()
    count = client.get("/api/invoices").headers["X-Total-Count"]
    again = client.post("/api/invoices/order/4500123")
    assert (again.status_code, again.json()) == (
        400,
        {
            "Message": INVALID,
            "ModelState": {
                "number": [f"Sales order 4500123 is already invoiced (invoice {first['number']})."]
            },
        },
    )
    assert client.get("/api/invoices").headers["X-Total-Count"] == count  # nothing written
    # deleting the invoice does not make the order invoiceable again (until a reset)
    assert client.delete(f"/api/invoices/{first['id']}").status_code == 200
    assert client.post("/api/invoices/order/4500123").status_code == 400


def test_tenants_invoice_their_own_orders_and_a_reset_forgets(client: TestClient) -> None:
    mine = client.post("/api/invoices/order/4500123").json()
    theirs = client.post("/api/invoices/order/4500123", headers={"X-Mock-Tenant": "other"})
    assert theirs.status_code == 200
    assert (theirs.json()["id"], theirs.json()["number"]) == (mine["id"], mine["number"])
    assert client.get(f"/api/invoices/{mine['id']}").json() == mine
    # a reset of the other tenant leaves this one's mark
    assert client.post("/_mock/reset?tenant=other").status_code in (200, 204)
    assert client.post("/api/invoices/order/4500123").status_code == 400
    assert (
        client.post("/api/invoices/order/4500123", headers={"X-Mock-Tenant": "other"}).json()[
            "number"
        ]
        == (mine["number"])
    )
    # a reset of every tenant: the order can be invoiced again, into the seeded data
    assert client.post("/_mock/reset").status_code in (200, 204)
    assert client.get(f"/api/invoices/{mine['id']}").status_code == 404
    again = client.post("/api/invoices/order/4500123")
    assert again.status_code == 200
    assert again.json() == mine


def test_orders_of_a_record_dataset_are_invoiced_by_the_books() -> None:
    """Tests' own data (``RecordDataset``) may hold orders too; the books invoice them."""
    customer = Customer(id=1, number=1, name="Oy A", email="a@a.fi", payment_term_number=7)
    order = SalesOrder(
        id=3, number=900, order_datetime=datetime(2025, 6, 1, tzinfo=UTC), customer_number=1,
        rows=[SalesOrderRow(quantity=2, unit_price=2.5, total=5.0)],
    )  # fmt: skip
    now = datetime(2025, 6, 2, 15, 0, tzinfo=UTC)
    store = Store(RecordDataset([customer], [], orders=[order]), clock=lambda: now)
    books = Books(store.tenant())
    invoice = books.from_order(900)
    assert (invoice.id, invoice.number, invoice.total_sum) == (1, 1, 5.0)
    assert (invoice.date, invoice.due_date) == (
        datetime(2025, 6, 2, tzinfo=UTC),
        datetime(2025, 6, 9, tzinfo=UTC),  # the customer's payment term
    )
    assert store.tenant().customers.get(1).open_invoice_sum == 5.0  # type: ignore[union-attr]
    assert store.tenant().counters["invoiced order 900"] == 1


def test_the_active_scenario_lists_its_orders(client: TestClient) -> None:
    records = client.get("/_mock/scenario").json()["records"]
    assert records["orders"] == [4500123, 4500124]  # the second got the next free number
