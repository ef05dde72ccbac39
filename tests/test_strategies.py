"""``mockserver.strategies``: every generated value passes (or, asked to, fails) the server's
own validation, identifiers are valid by python-stdnum's independent checks, and records
are consistent and servable."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from urllib.parse import urlencode

import msgspec
import pytest
import stdnum.fi.alv
import stdnum.fi.ytunnus
import stdnum.iban
import stdnum.iso11649
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from mockserver import strategies
from mockserver.app import create_app
from mockserver.models import Customer, Invoice, complete, decode_body, encode
from mockserver.settings import Settings
from mockserver.store import RecordDataset, Store

FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SEEDED = Customer(id=1, number=1001, name="Oy A", email="a@a.fi")


@pytest.fixture(scope="module")
def client() -> TestClient:
    invoice = Invoice(id=1, number=1, customer_number=1001, date=datetime(2024, 1, 1, tzinfo=UTC))
    store = Store(RecordDataset([SEEDED], [invoice]))
    return TestClient(create_app(Settings(), store=store))


def _reference_is_valid(reference: str) -> bool:
    digits = [int(c) for c in reference]
    weights = [7, 3, 1] * 7
    total = sum(w * d for w, d in zip(weights, reversed(digits[:-1]), strict=False))
    return (10 - total % 10) % 10 == digits[-1] and 4 <= len(reference) <= 20


# --- identifiers ----------------------------------------------------------------------------------


@settings(max_examples=200)
@given(strategies.business_ids(), strategies.vat_numbers(), strategies.ibans())
def test_business_ids_vat_numbers_and_ibans_are_valid(business: str, vat: str, iban: str) -> None:
    assert stdnum.fi.ytunnus.is_valid(business)
    assert stdnum.fi.alv.is_valid(vat) and vat.startswith("FI") and len(vat) == 10
    assert stdnum.iban.is_valid(iban) and iban.startswith("FI") and len(iban) == 18


@settings(max_examples=200)
@given(strategies.references(), strategies.rf_references())
def test_references_carry_valid_check_digits(reference: str, rf: str) -> None:
    assert _reference_is_valid(reference)
    assert stdnum.iso11649.is_valid(rf)
    assert _reference_is_valid(rf[4:])


@settings(max_examples=200)
@given(strategies.finvoice_addresses())
def test_finvoice_addresses_are_ovt_codes_or_ibans(address: str) -> None:
    if address.startswith("FI"):
        assert stdnum.iban.is_valid(address)
    else:
        assert address.startswith("0037")
        business = address[4:12]
        assert stdnum.fi.ytunnus.is_valid(business[:7] + "-" + business[7])
        assert address[12:] in ("", "001", "100")


# --- request bodies -------------------------------------------------------------------------------


@FAST
@given(strategies.customer_payloads())
def test_valid_payloads_are_created_by_the_server(client: TestClient, payload: dict) -> None:  # type: ignore[type-arg]
    decode_body(encode(payload), Customer, "customer")  # the server's own validation
    answer = client.post("/api/customers", json=payload, headers={"X-Mock-Tenant": "valid"})
    assert answer.status_code == 200, answer.text
    stored = answer.json()
    assert (stored["name"], stored["email"]) == (payload["name"], payload["email"])
    put = client.put("/api/customers/1", json=payload, headers={"X-Mock-Tenant": "valid"})
    assert put.status_code == 200, put.text


@FAST
@given(strategies.customer_payloads(valid=False))
def test_invalid_payloads_are_rejected_naming_the_field(client: TestClient, payload: dict) -> None:  # type: ignore[type-arg]
    before = client.get("/api/customers", headers={"X-Mock-Tenant": "invalid"})
    answer = client.post("/api/customers", json=payload, headers={"X-Mock-Tenant": "invalid"})
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["Message"] == "The request is invalid."
    [field] = body["ModelState"]
    assert field.startswith("customer.")
    after = client.get("/api/customers", headers={"X-Mock-Tenant": "invalid"})
    assert after.headers["X-Total-Count"] == before.headers["X-Total-Count"]


# --- records ------------------------------------------------------------------------------------


@FAST
@given(strategies.customers())
def test_customer_records_are_complete_consistent_and_valid(customer: Customer) -> None:
    assert complete(customer) == customer
    assert decode_body(encode(customer), Customer, "customer") == customer
    assert customer.vat is None or stdnum.fi.alv.is_valid(customer.vat)
    assert customer.created is not None and customer.modified is not None
    assert customer.created <= customer.modified
    assert customer.due_invoice_sum is not None and customer.open_invoice_sum is not None
    assert 0 <= customer.due_invoice_sum <= customer.open_invoice_sum
    assert all(c.customer_id == customer.id for c in customer.contacts or [])
    assert all(a.customer_id == customer.id for a in customer.accounts or [])
    assert all(stdnum.iban.is_valid(a.iban) for a in customer.accounts or [] if a.iban)


@FAST
@given(strategies.invoices(customer_numbers=st.just(1001)))
def test_invoice_records_add_up(invoice: Invoice) -> None:
    assert complete(invoice) == invoice
    assert decode_body(encode(invoice), Invoice, "invoice") == invoice
    rows = invoice.rows or []
    assert all(r.total == round(r.quantity * r.unit_price, 2) for r in rows)
    assert invoice.total_sum == round(sum((r.total for r in rows), 0.0), 2)
    assert invoice.customer_number == 1001
    assert isinstance(invoice.reference, str) and _reference_is_valid(invoice.reference)
    assert invoice.rf_reference == strategies.rf_reference(invoice.reference)
    assert stdnum.iso11649.is_valid(invoice.rf_reference)
    assert invoice.due_date is None or invoice.due_date >= invoice.date


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(strategies.customers(), min_size=1, max_size=4, unique_by=lambda c: c.id),
    strategies.invoices(ids=st.integers(1, 100)),
)
def test_records_can_be_served_as_they_are(customers: list[Customer], invoice: Invoice) -> None:
    invoice = msgspec.structs.replace(invoice, customer_number=customers[0].number)
    store = Store(RecordDataset(customers, [invoice]))
    served = TestClient(create_app(Settings(), store=store))
    for customer in customers:
        assert served.get(f"/api/customers/{customer.id}").content == encode(customer)
    assert served.get(f"/api/invoices/{invoice.id}").content == encode(invoice)


# --- filters ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["customers", "invoices"])
def test_valid_filters_bind_and_invalid_ones_are_400(client: TestClient, kind: str) -> None:
    @FAST
    @given(strategies.filters(kind))
    def valid(query: dict[str, str | list[str]]) -> None:
        answer = client.get(f"/api/{kind}?{urlencode(query, doseq=True)}")
        assert answer.status_code == 200, (query, answer.text)

    @FAST
    @given(strategies.filters(kind, valid=False))
    def invalid(query: dict[str, str | list[str]]) -> None:
        answer = client.get(f"/api/{kind}?{urlencode(query, doseq=True)}")
        assert answer.status_code == 400, (query, answer.text)
        assert answer.json()["Message"] == "The request is invalid."

    valid()
    invalid()


def test_filters_knows_only_the_two_lists() -> None:
    with pytest.raises(ValueError, match="filters\\(\\) takes 'customers' or 'invoices'"):
        strategies.filters("orders")


# --- an optional dependency ---------------------------------------------------------------------


def test_the_package_imports_without_hypothesis_or_the_server() -> None:
    code = (
        "import sys; sys.modules['hypothesis'] = None\n"
        "import mockserver\n"
        "assert 'uvicorn' not in sys.modules and 'mockserver.testing' not in sys.modules\n"
        "try:\n"
        "    import mockserver.strategies\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout == "mockserver.strategies needs Hypothesis: pip install hypothesis\n"
