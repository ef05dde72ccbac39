"""``/api/invoices``: every SalesInvoiceFilter filter, paging and one invoice, asserted
against CONTRACT.md with exact ids, status codes and bodies."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx2
import msgspec
import pytest
from starlette.testclient import TestClient

from mockserver.models import Customer, Invoice, InvoicePayment, InvoiceRow

JSON = "application/json; charset=utf-8"
ALL_IDS = [1, 2, 4, 7, 9]
INVALID = "The request is invalid."


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


# Given out of id order: the store must order them.
INVOICES = [
    Invoice(
        id=9, number=5009, customer_number=1003, delivery_customer_number=1002, type=1,
        date=_utc(2024, 3, 1), modified_date=_utc(2024, 3, 2),
        customer_name="citymarket oy", description="maaliskuu", our_reference="5001x",
    ),
    Invoice(
        id=1, number=5001, customer_number=1001, delivery_customer_number=1001, type=1,
        date=_utc(2024, 1, 15), modified_date=_utc(2024, 1, 20),
        customer_name="Äijälän Sähkö Oy", description="Sähkötyöt tammikuu",
        reference="12344", our_reference="Matti", total_sum=124.0,
        rows=[InvoiceRow(quantity=2.0, unit_price=50.0, total=124.0, tax_rate=24.0)],
        payments=[InvoicePayment(date=_utc(2024, 2, 1), total=124.0)],
    ),
    Invoice(
        id=4, number=5004, customer_number=1001, type=2,
        date=datetime(2024, 2, 1),  # no zone: UTC
        description="HYVITYS",
    ),
    Invoice(
        id=2, number=5002, customer_number=1002, delivery_customer_number=1001, type=1,
        date=_utc(2024, 2, 1), modified_date=_utc(2024, 2, 1),
        customer_name="Bergström Ab", reference="55553", customer_reference="PO-5001",
    ),
    Invoice(
        id=7, number=42, customer_number=1003, delivery_customer_number=1003,
        date=datetime.fromisoformat("2023-12-31T23:00:00-02:00"),  # 2024-01-01T01:00Z
        modified_date=_utc(2024, 3, 1),
        customer_name="Citymarket Oy", description="Straße", customer_reference="Ostot",
    ),
]  # fmt: skip

INVOICE_FIELDS = [f.encode_name for f in msgspec.structs.fields(Invoice)]


@pytest.fixture
def client(make_client: Any) -> TestClient:
    customers = [Customer(id=1, number=1001, name="Äijälän Sähkö Oy", email="a@a.fi")]
    result: TestClient = make_client(customers, INVOICES)
    return result


def _ids(response: httpx2.Response) -> list[int]:
    assert response.status_code == 200, response.text
    body = response.json()
    ids = [record["id"] for record in body["results"]]
    assert body["result_count"] == len(ids)
    return ids


FILTER_CASES: list[tuple[str, list[int]]] = [
    ("", ALL_IDS),
    ("numbers=5002&numbers=42", [2, 7]),
    ("numbers[]=5002&numbers[]=42", [2, 7]),
    ("numbers[0]=5002&numbers[1]=42", [2, 7]),
    ("numbers=1", []),
    ("customer_number=1001", [1, 4]),
    ("customer_number=1003", [7, 9]),
    ("customer_number=1", []),
    ("delivery_customer_number=1001", [1, 2]),
    ("delivery_customer_number=1002", [9]),
    ("type=1", [1, 2, 9]),
    ("type=2", [4]),
    ("type=0", []),
    # dates: before strictly earlier, after strictly later; null never matches
    ("invoice_date_before=2024-02-01", [1, 7]),
    ("invoice_date_before=2024-02-01T00:00:01Z", [1, 2, 4, 7]),
    ("invoice_date_after=2024-01-31T23:59:59Z", [2, 4, 9]),
    ("invoice_date_after=2024-01-01T00:59:59Z", [1, 2, 4, 7, 9]),
    ("invoice_date_after=2024-01-01T01:00:00Z", [1, 2, 4, 9]),
    ("invoice_date_after=2023-12-31T23:00:00-02:00", [1, 2, 4, 9]),
    ("invoice_date_after=2024-01-01T01:00:00&invoice_date_before=2024-03-01", [1, 2, 4]),
    ("updated_before=2024-02-01T00:00:01Z", [1, 2]),
    ("updated_after=2024-02-29", [7, 9]),
    ("updated_after=2024-01-20", [2, 7, 9]),
    ("object_ids=9&object_ids=4&object_ids=3", [4, 9]),
    # search: customer_name, description, reference, our_reference, customer_reference,
    # or number equal
    ("search=sähkö", [1]),
    ("search=SÄHKÖ", [1]),
    ("search=CITYMARKET", [7, 9]),
    ("search=strasse", [7]),
    ("search=5001", [1, 2, 9]),
    ("search=42", [7]),
    ("search=12344", [1]),
    ("search=hyvitys", [4]),
    ("search=matti", [1]),
    ("search=ostot", [7]),
    ("search=zzz", []),
    # filters combine with AND
    ("customer_number=1003&type=1", [9]),
    ("search=citymarket&updated_after=2024-03-01T00:00:00Z", [9]),
    ("delivery_customer_number=1001&invoice_date_after=2024-01-15", [2]),
]


@pytest.mark.parametrize(("query", "expected"), FILTER_CASES)
def test_each_invoice_filter_selects_exactly(
    client: TestClient, query: str, expected: list[int]
) -> None:
    response = client.get(f"/api/invoices?page_size=100&{query}")
    assert response.headers["content-type"] == JSON
    assert _ids(response) == expected
    assert response.headers["x-total-count"] == str(len(expected))


@pytest.mark.parametrize(("query", "expected"), FILTER_CASES)
def test_prefixed_odd_case_invoice_filters_select_the_same(
    client: TestClient, query: str, expected: list[int]
) -> None:
    prefixed = "&".join(f"Filter.{pair.upper()}" for pair in query.split("&") if pair)
    # the values are upper-cased too: numbers, dates and case-insensitive texts
    assert _ids(client.get(f"/api/invoices?FILTER.PAGE_SIZE=100&{prefixed}")) == expected


def test_paging_defaults_and_past_the_end(make_client: Any) -> None:
    invoices = [Invoice(id=i, number=i, date=_utc(2024, 1, 1)) for i in range(23, 0, -1)]
    client: TestClient = make_client((), invoices)
    first = client.get("/api/invoices")
    assert _ids(first) == list(range(1, 11))
    assert first.headers["x-total-count"] == "23"
    assert _ids(client.get("/api/invoices?page=3")) == [21, 22, 23]
    assert _ids(client.get("/api/invoices?page=2&page_size=20")) == [21, 22, 23]
    assert _ids(client.get("/api/invoices?page_size=2147483647")) == list(range(1, 24))
    past = client.get("/api/invoices?page=4")
    assert past.status_code == 200
    assert past.content == b'{"result_count":0,"results":[]}'
    assert past.headers["x-total-count"] == "23"


def test_an_invoice_carries_every_field(client: TestClient) -> None:
    response = client.get("/api/invoices/1")
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON
    body = response.json()
    assert list(body) == INVOICE_FIELDS
    lists = {"rows", "payments", "links"}
    assert {name for name, value in body.items() if value is None} == set(INVOICE_FIELDS) - {
        *lists,
        "id",
        "number",
        "customer_number",
        "delivery_customer_number",
        "type",
        "date",
        "modified_date",
        "customer_name",
        "description",
        "reference",
        "our_reference",
        "total_sum",
    }
    assert body["links"] == []
    assert body["date"] == "2024-01-15T00:00:00Z"
    row_fields = [f.encode_name for f in msgspec.structs.fields(InvoiceRow)]
    assert body["rows"] == [
        dict.fromkeys(row_fields)
        | {"sizes": [], "quantity": 2.0, "unit_price": 50.0, "total": 124.0, "tax_rate": 24.0}
    ]
    payment_fields = [f.encode_name for f in msgspec.structs.fields(InvoicePayment)]
    assert body["payments"] == [
        dict.fromkeys(payment_fields) | {"date": "2024-02-01T00:00:00Z", "total": 124.0}
    ]


def test_an_invoice_in_the_list_equals_the_single_record(client: TestClient) -> None:
    for invoice_id in ALL_IDS:
        listed = client.get("/api/invoices", params={"object_ids": invoice_id}).json()
        assert listed["results"] == [client.get(f"/api/invoices/{invoice_id}").json()]


def test_a_naive_date_is_served_as_utc(client: TestClient) -> None:
    assert client.get("/api/invoices/4").json()["date"] == "2024-02-01T00:00:00Z"


def test_absent_invoice_is_404(client: TestClient) -> None:
    response = client.get("/api/invoices/3")
    assert response.status_code == 404
    assert response.headers["content-type"] == JSON
    assert response.json() == {"Message": "Invoice 3 was not found."}


@pytest.mark.parametrize(
    ("path", "sent"),
    [("/api/invoices/abc", "abc"), ("/api/invoices/2147483648", "2147483648"),
     ("/api/invoices/1.5", "1.5"), ("/api/invoices/-2147483649", "-2147483649")],
)  # fmt: skip
def test_invoice_id_that_is_not_int32_is_400(client: TestClient, path: str, sent: str) -> None:
    response = client.get(path)
    assert response.status_code == 400
    assert response.headers["content-type"] == JSON
    assert response.json() == {
        "Message": INVALID,
        "ModelState": {"id": [f"The value '{sent}' is not valid for id."]},
    }


@pytest.mark.parametrize(
    ("query", "model_state"),
    [
        ("numbers=x", {"numbers": ["The value 'x' is not a valid integer."]}),
        (
            "customer_number=2147483648",
            {
                "customer_number": [
                    "The value '2147483648' is outside the range of a 32-bit integer."
                ]
            },
        ),
        (
            "filter.invoice_date_before=2024-02-30",
            {
                "filter.invoice_date_before": [
                    "The value '2024-02-30' is not a valid ISO 8601 date-time."
                ]
            },
        ),
        ("page=0", {"page": ["The value '0' is not valid for page: it must be 1 or more."]}),
        (
            "Page_Size=0",
            {"Page_Size": ["The value '0' is not valid for page_size: it must be 1 or more."]},
        ),
    ],
)
def test_invalid_invoice_query_is_400(
    client: TestClient, query: str, model_state: dict[str, list[str]]
) -> None:
    response = client.get(f"/api/invoices?{query}")
    assert response.status_code == 400
    assert response.headers["content-type"] == JSON
    assert response.json() == {"Message": INVALID, "ModelState": model_state}


def test_customer_only_filters_do_not_restrict_invoices(client: TestClient) -> None:
    assert _ids(client.get("/api/invoices?name=zzz&has_email=7&group=x")) == ALL_IDS
