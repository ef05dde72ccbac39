"""Invoice writes (``POST``/``PUT /api/invoices``, ``DELETE /api/invoices/{id}``, rows, payments,
links, ``/order/{number}``): exact statuses and bodies, and the books they keep consistent:
row totals, ``total_sum``, ``state``, the customers' open and due sums, ids and numbers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver.models import Customer, Invoice, InvoicePayment, InvoiceRow, Link

NOW = "2025-07-01T12:00:00Z"  # the clock fixture's start; the data's reference date is 07-01
INVALID = "The request is invalid."


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


CUSTOMERS = [
    Customer(
        id=1, number=1001, name="Alku Oy", email="a@alku.fi", name2="Konttori",
        street="Katu 1", postal_code="00100", city="Helsinki", country="FI",
        language_code="FI", invoice_method_id=3, payment_term_number=21,
        open_invoice_sum=150.0, due_invoice_sum=100.0, modified=_utc(2024, 1, 1),
    ),
    Customer(
        id=2, number=1002, name="Toka Oy", email="t@toka.fi",
        open_invoice_sum=0.0, due_invoice_sum=0.0, modified=_utc(2024, 1, 1),
    ),
]  # fmt: skip


def _row(id: int, quantity: float, price: float, total: float) -> InvoiceRow:
    return InvoiceRow(id=id, quantity=quantity, unit_price=price, total=total, number=1)


INVOICES = [
    # due before the reference date, unpaid: 100 open, 100 due
    Invoice(
        id=1, number=5001, customer_number=1001, customer_name="Alku Oy",
        date=_utc(2025, 5, 1), due_date=_utc(2025, 5, 15), total_sum=100.0,
        rows=[_row(11, 2, 50, 100)], modified_date=_utc(2025, 5, 1),
    ),
    # not yet due, 30 of 80 paid: 50 open
    Invoice(
        id=2, number=5002, customer_number=1001, customer_name="Alku Oy",
        date=_utc(2025, 6, 20), due_date=_utc(2025, 7, 20), total_sum=80.0,
        rows=[_row(21, 1, 80, 80)], payments=[InvoicePayment(id=31, date=_utc(2025, 6, 25),
                                                             total=30.0)],
        modified_date=_utc(2025, 6, 25),
    ),
    # paid in full, with a link
    Invoice(
        id=3, number=5003, customer_number=1002, customer_name="Toka Oy",
        date=_utc(2025, 3, 1), due_date=_utc(2025, 3, 15), total_sum=10.0,
        rows=[_row(41, 1, 10, 10)],
        payments=[InvoicePayment(id=51, date=_utc(2025, 3, 10), total=10.0)],
        links=[Link(id=61, object_id=3, target="laskut/5003.pdf")],
        modified_date=_utc(2025, 3, 10),
    ),
]  # fmt: skip


@pytest.fixture
def client(make_client: Any) -> TestClient:
    result: TestClient = make_client(CUSTOMERS, INVOICES)
    return result


def _sums(client: TestClient, customer_id: int, **headers: str) -> tuple[float, float]:
    customer = client.get(f"/api/customers/{customer_id}", headers=headers).json()
    return customer["open_invoice_sum"], customer["due_invoice_sum"]


def _ids(client: TestClient, **query: Any) -> list[int]:
    response = client.get("/api/invoices", params={"page_size": 100, **query})
    assert response.status_code == 200, response.text
    return [record["id"] for record in response.json()["results"]]


def _state(client: TestClient, headers: dict[str, str] | None = None) -> tuple[bytes, ...]:
    return tuple(
        client.get(path, params={"page_size": 1000}, headers=headers).content
        for path in ("/api/customers", "/api/invoices")
    )


NEW = {
    "date": "2025-06-20",
    "customer_number": 1001,
    "id": 999,
    "number": 7,
    "total_sum": 1.0,
    "state": "Maksettu",
    "modified_date": "2000-01-01T00:00:00Z",
    "description": "Asennus",
    "rows": [
        {"id": 11, "quantity": 3, "unit_price": 10.5, "discount": 10, "total": 0,
         "tax_rate": 25.5, "product_name": "Työ"},
    ],
}  # fmt: skip


# --- create -----------------------------------------------------------------------------------


def test_create_assigns_ids_numbers_references_and_derives_the_amounts(client: TestClient) -> None:
    response = client.post("/api/invoices", json=NEW)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    created = response.json()
    assert list(created) == list(Invoice.__struct_fields__)
    assert (created["id"], created["number"]) == (4, 5004)  # after the largest id and number
    assert (created["reference"], created["rf_reference"]) == ("50047", "RF4250047")
    assert created["modified_date"] == NOW
    assert created["date"] == "2025-06-20T00:00:00Z"
    # the customer's payment term: 21 days
    assert (created["payment_term"], created["due_date"]) == (21, "2025-07-11T00:00:00Z")
    # 3 x 10.50 less 10 % = 28.35 whatever the client said; tax of 25.5 % included
    (row,) = created["rows"]
    assert row["id"] == 42 and row["invoice_id"] == 4  # after every row id the data holds
    assert (row["number"], row["position"], row["total"]) == (1, "1", 28.35)
    assert (row["tax_amount"], row["net_price"], row["unit_net_price"]) == (5.76, 22.59, 8.37)
    assert row["product_name"] == "Työ"
    assert created["total_sum"] == 28.35
    assert created["state"] == "Avoin"  # unpaid, due after the reference date
    # copied from the customer
    assert created["customer_name"] == "Alku Oy"
    assert created["customer_additional_name"] == "Konttori"
    assert created["customer_address"] == "Katu 1"
    assert created["customer_address3"] == "00100 Helsinki"
    assert (created["customer_country"], created["language_code"]) == ("FI", "FI")
    assert created["invoice_method"] == 3
    assert created["delivery_customer_number"] == created["orderer_customer_number"] == 1001
    assert (created["type"], created["currency_code"], created["currency_rate"]) == (1, "EUR", 1.0)
    assert created["description"] == "Asennus"
    assert created["payments"] == [] and created["links"] == []
    assert client.get("/api/invoices/4").json() == created
    # the customer's open sum grows; not due yet, so its due sum stays; modified stays
    assert _sums(client, 1) == (178.35, 100.0)
    assert client.get("/api/customers/1").json()["modified"] == "2024-01-01T00:00:00Z"


def test_a_given_due_date_and_fields_win_over_the_defaults(client: TestClient) -> None:
    body = {
        "date": "2025-05-01T00:00:00Z",
        "due_date": "2025-05-10T00:00:00Z",
        "customer_number": 1001,
        "customer_name": "Toinen nimi",
        "delivery_customer_number": 1002,
        "type": 3,
        "rows": [{"quantity": 1, "unit_price": 40, "total": 40}],
    }
    created = client.post("/api/invoices", json=body).json()
    assert created["due_date"] == "2025-05-10T00:00:00Z"
    assert created["customer_name"] == "Toinen nimi"
    assert (created["delivery_customer_number"], created["orderer_customer_number"]) == (
        1002,
        1001,
    )
    assert created["type"] == 3
    assert created["state"] == "Erääntynyt"  # unpaid and due before the reference date
    assert _sums(client, 1) == (190.0, 140.0)
    assert _sums(client, 2) == (0.0, 0.0)  # the delivery customer owes nothing


@pytest.mark.parametrize(
    ("row", "total"),
    [
        ({"quantity": 1, "unit_price": 0.125}, 0.13),  # half a cent rounds away from zero
        ({"quantity": -1, "unit_price": 0.125}, -0.13),
        ({"quantity": 2.5, "unit_price": 3.3}, 8.25),
        ({"quantity": 1, "unit_price": 100, "discount": 10, "discount2": 10}, 81.0),
        ({"quantity": 1, "unit_price": 100, "discount": 10, "discount3": 50}, 45.0),
        ({"quantity": 0.1, "unit_price": 0.2}, 0.02),  # 0.1 x 0.2 is 0.02, not 0.020000000000000004
    ],
)
def test_a_row_total_is_quantity_times_price_less_discounts(
    client: TestClient, row: dict[str, Any], total: float
) -> None:
    added = client.post("/api/invoices/1/row", json={**row, "total": 12345}).json()
    assert added["total"] == total
    assert client.get("/api/invoices/1").json()["total_sum"] == round(100 + total, 2)


def test_created_invoices_are_visible_to_every_filter(client: TestClient) -> None:
    client.post("/api/invoices", json=NEW)
    assert _ids(client) == [1, 2, 3, 4]
    assert _ids(client, customer_number=1001) == [1, 2, 4]
    assert _ids(client, delivery_customer_number=1001) == [4]
    assert _ids(client, numbers=5004) == [4]
    assert _ids(client, search="5004") == [4]
    assert _ids(client, search="asennus") == [4]
    assert _ids(client, invoice_date_after="2025-06-19") == [2, 4]
    assert _ids(client, updated_after="2025-07-01T11:59:59Z") == [4]
    assert _ids(client, type=1) == [4]
    assert _ids(client, object_ids=[4, 3]) == [3, 4]
    assert (
        client.get("/api/invoices", params={"page": 2, "page_size": 3}).headers["x-total-count"]
        == "4"
    )


# --- update -----------------------------------------------------------------------------------


def test_put_merges_keeps_ids_and_recomputes(client: TestClient, clock: Any) -> None:
    clock.advance(hours=1)
    body = {
        "id": 2,
        "number": 1,
        "reference": "x",
        "date": "2025-06-20T00:00:00Z",
        "description": "Uusi kuvaus",
        "rows": [
            {"id": 21, "quantity": 2, "unit_price": 80, "total": 0},  # keeps its id
            {"id": 11, "quantity": 1, "unit_price": 5, "total": 5},  # invoice 1's id: a new one
        ],
    }
    response = client.put("/api/invoices", json=body)
    assert response.status_code == 200
    updated = response.json()
    assert (updated["id"], updated["number"], updated["reference"]) == (2, 5002, None)
    assert updated["description"] == "Uusi kuvaus"
    assert updated["modified_date"] == "2025-07-01T13:00:00Z"
    assert [(r["id"], r["total"], r["invoice_id"]) for r in updated["rows"]] == [
        (21, 160.0, 2),
        (42, 5.0, 2),
    ]
    assert updated["total_sum"] == 165.0
    assert updated["payments"][0]["id"] == 31  # not given: kept
    assert updated["due_date"] == "2025-07-20T00:00:00Z"  # same date: kept
    assert updated["state"] == "Osittain maksettu"
    assert client.get("/api/invoices/2").json() == updated
    assert _sums(client, 1) == (235.0, 100.0)  # 100 + (165 - 30)


def test_put_moving_an_invoice_moves_the_sums_between_customers(client: TestClient) -> None:
    body = {"id": 1, "date": "2025-05-01T00:00:00Z", "customer_number": 1002}
    assert client.put("/api/invoices", json=body).json()["customer_number"] == 1002
    assert _sums(client, 1) == (50.0, 0.0)
    assert _sums(client, 2) == (100.0, 100.0)
    assert _ids(client, customer_number=1002) == [1, 3]


def test_put_with_a_new_date_moves_the_due_date_by_the_term(client: TestClient) -> None:
    body = {"id": 1, "date": "2025-06-25T00:00:00Z", "payment_term": 14}
    updated = client.put("/api/invoices", json=body).json()
    assert updated["due_date"] == "2025-07-09T00:00:00Z"
    assert updated["state"] == "Avoin"
    assert _sums(client, 1) == (150.0, 0.0)  # no longer due


PUT_REFUSALS: list[tuple[dict[str, Any], int, dict[str, Any]]] = [
    ({"date": "2025-01-01"}, 400, {"proxyInvoice.id": ["The id field is required."]}),
    ({"id": 1}, 400, {"proxyInvoice.date": ["The date field is required."]}),
    ({"id": 99, "date": "2025-01-01"}, 404, {"Message": "Invoice 99 was not found."}),
    (
        {"id": 1, "date": "2025-01-01", "customer_number": 7},
        400,
        {"proxyInvoice.customer_number": ["Customer number 7 was not found."]},
    ),
    (
        {"id": 1, "date": "2025-01-01", "customer_number": None},
        400,
        {"proxyInvoice.customer_number": ["The customer_number field is required."]},
    ),
]


@pytest.mark.parametrize(("body", "status", "answer"), PUT_REFUSALS)
def test_put_refusals(
    client: TestClient, body: dict[str, Any], status: int, answer: dict[str, Any]
) -> None:
    before = _state(client)
    response = client.put("/api/invoices", json=body)
    if status == 400:  # ``answer`` is the ModelState
        answer = {"Message": INVALID, "ModelState": answer}
    assert (response.status_code, response.json()) == (status, answer)
    assert _state(client) == before


# --- delete -----------------------------------------------------------------------------------


def test_delete_answers_the_invoice_and_takes_it_out_of_every_read(client: TestClient) -> None:
    stored = client.get("/api/invoices/1").json()
    response = client.delete("/api/invoices/1")
    assert (response.status_code, response.json()) == (200, stored)
    assert client.get("/api/invoices/1").status_code == 404
    assert _ids(client) == [2, 3]
    assert _ids(client, customer_number=1001) == [2]
    assert _ids(client, numbers=5001) == []
    assert _ids(client, invoice_date_before="2025-05-02") == [3]
    assert _ids(client, updated_before="2025-05-02") == [3]
    assert _ids(client, search="alku") == [2]
    assert client.get("/api/invoices").headers["x-total-count"] == "2"
    assert _sums(client, 1) == (50.0, 0.0)
    again = client.delete("/api/invoices/1")
    assert (again.status_code, again.json()) == (404, {"Message": "Invoice 1 was not found."})


def test_ids_and_numbers_of_deleted_invoices_are_never_given_again(client: TestClient) -> None:
    first = client.post("/api/invoices", json=NEW).json()
    client.delete(f"/api/invoices/{first['id']}")
    second = client.post("/api/invoices", json=NEW).json()
    assert (second["id"], second["number"], second["rows"][0]["id"]) == (5, 5005, 43)
    assert _ids(client) == [1, 2, 3, 5]
    assert _sums(client, 1) == (178.35, 100.0)


# --- rows, payments, links ------------------------------------------------------------------------


def test_rows_are_added_and_deleted_with_the_totals(client: TestClient, clock: Any) -> None:
    clock.advance(minutes=5)
    response = client.post(
        "/api/invoices/2/row", json={"id": 5, "invoice_id": 9, "quantity": 2, "unit_price": 10,
                                     "total": 1}
    )  # fmt: skip
    assert response.status_code == 200
    row = response.json()
    assert list(row) == list(InvoiceRow.__struct_fields__)
    assert (row["id"], row["invoice_id"], row["number"], row["total"]) == (42, 2, 2, 20.0)
    invoice = client.get("/api/invoices/2").json()
    assert invoice["rows"][-1] == row
    assert (invoice["total_sum"], invoice["modified_date"]) == (100.0, "2025-07-01T12:05:00Z")
    assert _sums(client, 1) == (170.0, 100.0)
    deleted = client.delete("/api/invoices/2/row/21")
    assert (deleted.status_code, deleted.json()["id"]) == (200, 21)
    assert client.get("/api/invoices/2").json()["total_sum"] == 20.0
    assert _sums(client, 1) == (90.0, 100.0)  # 20 - 30 paid: overpaid by 10
    missing = client.delete("/api/invoices/2/row/21")
    assert (missing.status_code, missing.json()) == (
        404,
        {"Message": "Row 21 of invoice 2 was not found."},
    )
    # a row of another invoice is not this invoice's
    assert client.delete("/api/invoices/2/row/11").status_code == 404


def test_payments_settle_the_invoice_and_the_customer(client: TestClient) -> None:
    paid = client.post("/api/invoices/1/payment", json={"date": "2025-06-01", "total": 40})
    assert paid.status_code == 200
    payment = paid.json()
    assert list(payment) == list(InvoicePayment.__struct_fields__)
    assert (payment["id"], payment["invoice_id"], payment["total"]) == (52, 1, 40.0)
    assert payment["total_incurrency"] == 40.0
    assert client.get("/api/invoices/1").json()["state"] == "Osittain maksettu"
    assert _sums(client, 1) == (110.0, 60.0)
    # without a total, a payment pays what is left open
    rest = client.post("/api/invoices/1/payment", json={"date": "2025-06-02"}).json()
    assert (rest["id"], rest["total"]) == (53, 60.0)
    assert client.get("/api/invoices/1").json()["state"] == "Maksettu"
    assert _sums(client, 1) == (50.0, 0.0)
    assert client.delete("/api/invoices/1/payment/52").json() == payment
    assert client.get("/api/invoices/1").json()["state"] == "Osittain maksettu"
    assert _sums(client, 1) == (90.0, 40.0)
    missing = client.delete("/api/invoices/1/payment/52")
    assert (missing.status_code, missing.json()) == (
        404,
        {"Message": "Payment 52 of invoice 1 was not found."},
    )


def test_links_are_added_and_deleted(client: TestClient) -> None:
    response = client.post(
        "/api/invoices/3/link", json={"target": "kuitti.pdf", "type": "pdf", "object_id": 99}
    )
    assert response.status_code == 200
    link = response.json()
    assert link == {
        "id": 62,
        "application_id": None,
        "object_id": 3,
        "target": "kuitti.pdf",
        "description": None,
        "type": "pdf",
        "codelist_type": None,
    }
    assert [k["id"] for k in client.get("/api/invoices/3").json()["links"]] == [61, 62]
    assert client.delete("/api/invoices/3/link/61").json()["target"] == "laskut/5003.pdf"
    assert client.get("/api/invoices/3").json()["links"] == [link]
    assert _sums(client, 2) == (0.0, 0.0)
    assert client.delete("/api/invoices/3/link/61").json() == {
        "Message": "Link 61 of invoice 3 was not found."
    }


def test_children_of_an_absent_invoice_are_404(client: TestClient) -> None:
    row = {"quantity": 1, "unit_price": 1, "total": 1}
    for method, path, body in [
        ("POST", "/api/invoices/9/row", row),
        ("POST", "/api/invoices/9/payment", {"date": "2025-01-01"}),
        ("POST", "/api/invoices/9/link", {}),
        ("DELETE", "/api/invoices/9/row/11", None),
        ("DELETE", "/api/invoices/9/payment/31", None),
        ("DELETE", "/api/invoices/9/link/61", None),
        ("DELETE", "/api/invoices/9", None),
    ]:
        response = client.request(method, path, json=body)
        assert (response.status_code, response.json()) == (
            404,
            {"Message": "Invoice 9 was not found."},
        ), (method, path)


def test_an_invoice_from_a_sales_order_is_404_for_every_number(client: TestClient) -> None:
    response = client.post("/api/invoices/order/4500123")
    assert (response.status_code, response.json()) == (
        404,
        {"Message": "Sales order 4500123 was not found."},
    )
    bad = client.post("/api/invoices/order/abc")
    assert (bad.status_code, bad.json()) == (
        400,
        {
            "Message": INVALID,
            "ModelState": {"number": ["The value 'abc' is not valid for number."]},
        },
    )


# --- refusals change nothing ------------------------------------------------------------------

REFUSED: list[tuple[str, str, dict[str, Any], dict[str, list[str]]]] = [
    ("POST", "/api/invoices", {"customer_number": 1001},
     {"proxyInvoice.date": ["The date field is required."]}),
    ("POST", "/api/invoices", {"date": "2025-01-01"},
     {"proxyInvoice.customer_number": ["The customer_number field is required."]}),
    ("POST", "/api/invoices", {"date": "2025-01-01", "customer_number": 42},
     {"proxyInvoice.customer_number": ["Customer number 42 was not found."]}),
    ("POST", "/api/invoices",
     {"date": "2025-01-01", "customer_number": 1001, "orderer_customer_number": 43,
      "delivery_customer_number": 44},
     {"proxyInvoice.delivery_customer_number": ["Customer number 44 was not found."],
      "proxyInvoice.orderer_customer_number": ["Customer number 43 was not found."]}),
    ("POST", "/api/invoices",
     {"date": "2025-01-01", "customer_number": 1001, "rows": [{"quantity": 1, "total": 1}]},
     {"proxyInvoice.rows[0].unit_price": ["The unit_price field is required."]}),
    ("POST", "/api/invoices",
     {"date": "2025-01-01", "customer_number": 1001,
      "rows": [{"quantity": 1, "unit_price": 1, "total": 1},
               {"quantity": 1e300, "unit_price": 1e300, "total": 1}]},
     {"proxyInvoice.rows[1].total": ["The row total is beyond 10000000000000 euros."]}),
    ("POST", "/api/invoices",
     {"date": "2025-01-01", "customer_number": 1001, "payments": [{"total": 1}]},
     {"proxyInvoice.payments[0].date": ["The date field is required."]}),
    ("POST", "/api/invoices/1/row", {"quantity": 1, "unit_price": 2},
     {"proxyInvoiceRow.total": ["The total field is required."]}),
    ("POST", "/api/invoices/1/row", {"quantity": "x", "unit_price": 2, "total": 2},
     {"proxyInvoiceRow.quantity": [
         "Could not convert string to double: x. Path 'quantity', line 1, position 15."]}),
    ("POST", "/api/invoices/1/payment", {"total": 5},
     {"proxyInvoicePayment.date": ["The date field is required."]}),
    ("POST", "/api/invoices/1/link", {"id": "x"},
     {"proxyLink.id": ["Could not convert string to integer: x. Path 'id', line 1, position 9."]}),
    ("POST", "/api/invoices/x/row", {"quantity": 1, "unit_price": 2, "total": 2},
     {"id": ["The value 'x' is not valid for id."]}),
    ("DELETE", "/api/invoices/1/row/2147483648", {},
     {"row_id": ["The value '2147483648' is not valid for row_id."]}),
    ("DELETE", "/api/invoices/1/payment/y", {},
     {"payment_id": ["The value 'y' is not valid for payment_id."]}),
    ("DELETE", "/api/invoices/1/link/z", {},
     {"link_id": ["The value 'z' is not valid for link_id."]}),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body", "model_state"), REFUSED)
def test_refused_writes_name_the_field_and_change_nothing(
    client: TestClient,
    clock: Any,
    method: str,
    path: str,
    body: dict[str, Any],
    model_state: dict[str, list[str]],
) -> None:
    before = _state(client)
    response = client.request(method, path, json=body)
    assert (response.status_code, response.json()) == (
        400,
        {"Message": INVALID, "ModelState": model_state},
    )
    clock.advance(seconds=1)
    assert _state(client) == before
    # no id or number was used up
    created = client.post("/api/invoices", json=NEW).json()
    assert (created["id"], created["number"], created["rows"][0]["id"]) == (4, 5004, 42)


def test_a_body_that_is_not_json_is_415(client: TestClient) -> None:
    response = client.post(
        "/api/invoices", content=b"date=1", headers={"content-type": "text/plain"}
    )
    assert response.status_code == 415


# --- tenants, reset, journal, the document ----------------------------------------------------


def _login(client: TestClient, database: str) -> dict[str, str]:
    body = {"UserName": "u", "Password": "p", "Database": database, "ApiKey": "k"}
    return {"Session-Id": client.post("/api/auth/login", json=body).json()["session_id"]}


def test_writes_stay_in_their_tenant_and_reset_forgets_them(client: TestClient) -> None:
    tenant_a, tenant_b = _login(client, "A"), _login(client, "B")
    untouched = _state(client)
    assert client.post("/api/invoices", json=NEW, headers=tenant_a).json()["id"] == 4
    client.delete("/api/invoices/1", headers=tenant_a)
    client.post("/api/invoices/2/payment", json={"date": "2025-06-30"}, headers=tenant_a)
    assert _sums(client, 1, **tenant_a) == (28.35, 0.0)
    assert _state(client) == untouched
    assert _state(client, tenant_b) == untouched
    # tenant B numbers its own invoices from the start
    in_b = client.post("/api/invoices", json=NEW, headers=tenant_b).json()
    assert (in_b["id"], in_b["number"], in_b["rows"][0]["id"]) == (4, 5004, 42)
    assert client.post("/_mock/reset", params={"tenant": "A"}).status_code == 200
    tenant_a = _login(client, "A")
    assert _state(client, tenant_a) == untouched


def test_writes_are_journaled_by_their_route(client: TestClient) -> None:
    client.post("/api/invoices/2/row", json={"quantity": 1, "unit_price": 1, "total": 1})
    journal = client.get(
        "/_mock/requests", params={"method": "POST", "path": "/api/invoices/{id}/row"}
    ).json()
    assert journal["count"] == 1
    assert journal["requests"][0]["status"] == 200


def test_every_invoice_write_is_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    expected = {
        "/api/invoices": {"get", "post", "put"},
        "/api/invoices/{id}": {"get", "delete"},
        "/api/invoices/order/{number}": {"post"},
        "/api/invoices/{id}/row": {"post"},
        "/api/invoices/{id}/row/{row_id}": {"delete"},
        "/api/invoices/{id}/payment": {"post"},
        "/api/invoices/{id}/payment/{payment_id}": {"delete"},
        "/api/invoices/{id}/link": {"post"},
        "/api/invoices/{id}/link/{link_id}": {"delete"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
    create = paths["/api/invoices"]["post"]
    assert create["operationId"] == "createInvoice"
    assert set(create["responses"]) >= {"200", "400", "401", "413", "415"}


def test_scenario_rules_match_invoice_writes_by_their_template(client: TestClient) -> None:
    scenario = (
        "name: payments-down\n"
        "rules:\n"
        "  - name: payment-gateway\n"
        "    match: {method: POST, path: '/api/invoices/{id}/payment'}\n"
        "    error: 503\n"
    )
    applied = client.put(
        "/_mock/scenario", content=scenario, headers={"content-type": "application/yaml"}
    )
    assert applied.status_code == 200, applied.text
    before = _state(client)
    refused = client.post("/api/invoices/1/payment", json={"date": "2025-06-01"})
    assert refused.status_code == 503
    assert _state(client) == before
    assert (
        client.post(
            "/api/invoices/1/row", json={"quantity": 1, "unit_price": 1, "total": 1}
        ).status_code
        == 200
    )
