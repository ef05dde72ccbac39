"""``/api/contacts``: a customer's contacts under ContactFilter, a new contact, an update
(merge, move to another customer): exact statuses and bodies, and every write seen by the
customer record next."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver.app import create_app
from mockserver.datagen import generate
from mockserver.models import Customer, CustomerContact, CustomerContactAttribute
from mockserver.settings import Settings

INVALID = "The request is invalid."
NOW = "2025-07-01T12:00:00Z"


def _contact(id: int, customer_id: int, name: str, **fields: Any) -> CustomerContact:
    return CustomerContact(id=id, customer_id=customer_id, name=name, **fields)


CUSTOMERS = [
    Customer(
        id=1, number=1001, name="Alfa Oy", email="info@alfa.fi",
        modified=datetime(2024, 1, 1, tzinfo=UTC),
        contacts=[
            _contact(12, 1, "Liisa Virtanen", email="liisa@alfa.fi", gsm="040 222"),
            _contact(11, 1, "Matti Meikäläinen", email="MATTI@alfa.fi", title="Toimitusjohtaja",
                     attributes=[CustomerContactAttribute(id=1, selected=True, contact_id=11)]),
            _contact(13, 1, "Åsa Strauß", email=None, department="Talous"),
        ],
    ),
    Customer(id=2, number=1002, name="Beta Ab", email="info@beta.fi",
             modified=datetime(2023, 1, 1, tzinfo=UTC)),
]  # fmt: skip


@pytest.fixture
def client(make_client: Any) -> TestClient:
    made: TestClient = make_client(CUSTOMERS)
    return made


def _ids(client: TestClient, path: str) -> tuple[list[int], str]:
    response = client.get(path)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["result_count"] == len(body["results"])
    return [c["id"] for c in body["results"]], response.headers["x-total-count"]


@pytest.mark.parametrize(
    ("query", "ids"),
    [
        ("", [11, 12, 13]),
        ("filter.name=MATTI", [11]),
        ("name=strauss", [13]),  # case folding: ß is ss
        ("email=matti@ALFA", [11]),
        ("search=toimitusjohtaja", [11]),
        ("search=talous", [13]),
        ("search=040", [12]),
        ("object_ids=13&object_ids=11", [11, 13]),
        ("object_ids[0]=12&object_ids[2]=11", [12]),
        ("modified_after=2023-12-31", [11, 12, 13]),
        ("modified_after=2024-01-01T00:00:00Z", []),  # strictly later
        ("modified_before=2024-01-01T00:00:01", [11, 12, 13]),
        ("filter.name=a&name=zzz", [11, 12, 13]),  # unprefixed keys ignored
        ("page=2&page_size=2", [13]),
        ("page=3&page_size=2", []),
    ],
)
def test_contacts_filter(client: TestClient, query: str, ids: list[int]) -> None:
    found, _ = _ids(client, f"/api/contacts/1?{query}")
    assert found == ids


def test_the_total_travels_in_the_header(client: TestClient) -> None:
    assert _ids(client, "/api/contacts/1?page_size=1") == ([11], "3")


def test_a_bad_filter_value_is_a_400(client: TestClient) -> None:
    response = client.get("/api/contacts/1?filter.modified_after=x")
    assert response.status_code == 400
    assert response.json() == {
        "Message": INVALID,
        "ModelState": {
            "filter.modified_after": ["The value 'x' is not a valid ISO 8601 date-time."]
        },
    }


def test_contacts_of_a_missing_customer_are_a_404(client: TestClient) -> None:
    response = client.get("/api/contacts/9")
    assert (response.status_code, response.json()) == (
        404, {"Message": "Customer 9 was not found."}
    )  # fmt: skip


def test_create_contact(client: TestClient) -> None:
    response = client.post("/api/contacts/2", json={"customer_id": 1, "name": "Uusi"})
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["customer_id"], body["name"], body["email"]) == (14, 2, "Uusi", None)
    assert _ids(client, "/api/contacts/2") == ([14], "1")
    customer = client.get("/api/customers/2").json()
    assert customer["contacts"] == [body]
    assert customer["modified"] == NOW
    # the stamp is what modified_after compares
    assert _ids(client, "/api/contacts/2?modified_after=2025-07-01T11:59:59Z") == ([14], "1")


def test_update_merges_the_given_fields(client: TestClient) -> None:
    response = client.put("/api/contacts/11", json={"customer_id": 1, "phone": "09 123"})
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["name"], body["phone"], body["title"]) == (
        11, "Matti Meikäläinen", "09 123", "Toimitusjohtaja"
    )  # fmt: skip
    assert body["attributes"] == [{"id": 1, "name": None, "selected": True, "contact_id": 11}]
    stored = [c for c in client.get("/api/customers/1").json()["contacts"] if c["id"] == 11]
    assert stored == [body]


def test_update_moves_a_contact_to_another_customer(client: TestClient) -> None:
    response = client.put("/api/contacts/12", json={"customer_id": 2})
    assert response.status_code == 200
    assert response.json()["customer_id"] == 2
    assert _ids(client, "/api/contacts/1") == ([11, 13], "2")
    assert _ids(client, "/api/contacts/2") == ([12], "1")
    # and it can be found there by id again
    assert client.put("/api/contacts/12", json={"customer_id": 2, "note": "x"}).status_code == 200


def test_update_to_a_missing_customer_is_refused(client: TestClient) -> None:
    response = client.put("/api/contacts/12", json={"customer_id": 77})
    assert response.status_code == 400
    assert response.json() == {
        "Message": INVALID,
        "ModelState": {"contact.customer_id": ["Customer 77 was not found."]},
    }
    assert _ids(client, "/api/contacts/1") == ([11, 12, 13], "3")


def test_update_of_a_missing_contact_is_a_404(client: TestClient) -> None:
    response = client.put("/api/contacts/99", json={"customer_id": 1})
    assert (response.status_code, response.json()) == (
        404, {"Message": "Contact 99 was not found."}
    )  # fmt: skip


def test_bodies_are_validated(client: TestClient) -> None:
    response = client.put("/api/contacts/11", json={"customer_id": "yksi"})
    assert response.status_code == 400
    assert list(response.json()["ModelState"]) == ["contact.customer_id"]
    missing = client.post("/api/contacts/1", json={})
    assert missing.json() == {
        "Message": INVALID,
        "ModelState": {"contact.customer_id": ["The customer_id field is required."]},
    }


def test_delete_is_not_an_operation_of_the_contacts_route(client: TestClient) -> None:
    response = client.delete("/api/contacts/11")
    assert response.status_code == 405
    # one path of the vendor's (its two templates differ only in the parameter's name)
    assert {"GET", "POST", "PUT"} <= set(response.headers["allow"].split(", "))


def test_tenants_are_isolated(client: TestClient) -> None:
    client.put("/api/contacts/11", json={"customer_id": 2}, headers={"X-Mock-Tenant": "a"})
    assert _ids(client, "/api/contacts/2") == ([], "0")
    assert client.put("/api/contacts/11", json={"customer_id": 1, "note": "b"}).status_code == 200


def test_seeded_contacts_of_generated_data_are_found_by_id() -> None:
    dataset = generate(seed=2, customers=20, invoices=10)
    with TestClient(create_app(Settings(), dataset=dataset)) as client:
        customer = next(c for c in (dataset.customer(f.id) for f in dataset.customers)
                        if len(c.contacts or []) >= 2)  # fmt: skip
        contact = (customer.contacts or [])[1]
        title = {"customer_id": customer.id, "title": "Hallituksen jäsen"}
        response = client.put(f"/api/contacts/{contact.id}", json=title)
        assert response.status_code == 200, response.text
        assert response.json()["name"] == contact.name
        listed = client.get(f"/api/contacts/{customer.id}?search=hallituksen").json()
        assert [c["id"] for c in listed["results"]] == [contact.id]


def test_a_bad_contact_id_is_named_as_the_vendor_names_it(client: TestClient) -> None:
    response = client.put("/api/contacts/x", json={"customer_id": 1})
    assert response.status_code == 400
    assert response.json() == {
        "Message": INVALID,
        "ModelState": {"contact_id": ["The value 'x' is not valid for contact_id."]},
    }
