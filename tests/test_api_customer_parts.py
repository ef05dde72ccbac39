"""``/api/customers/{id}/...`` sub-resources, ``/api/customers/transactions`` (search, per
customer, add, update, delete), ``/api/customers/groups`` and transaction attributes:
exact statuses and bodies, writes visible to the next read, ids that never clash, tenants
that never see each other's writes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest
from starlette.testclient import TestClient

from mockserver.app import create_app
from mockserver.datagen import generate
from mockserver.datagen.transactions import CUSTOMER_GROUPS, TRANSACTION_ATTRIBUTES
from mockserver.models import (
    Customer,
    CustomerAccount,
    CustomerAgreement,
    CustomerAgreementProduct,
    CustomerCirculation,
    CustomerContact,
    CustomerContactAttribute,
    CustomerText,
    Model,
    complete,
)
from mockserver.settings import Settings

INVALID = "The request is invalid."
NOW = "2025-07-01T12:00:00Z"  # the clock fixture's moment


def _customers() -> list[Customer]:
    return [
        Customer(
            id=1, number=1001, name="Alfa Oy", email="info@alfa.fi",
            modified=datetime(2024, 1, 1, tzinfo=UTC),
            contacts=[
                CustomerContact(id=11, customer_id=1, name="Matti Meikäläinen",
                                email="matti@alfa.fi", title="Toimitusjohtaja"),
                CustomerContact(id=12, customer_id=1, name="Liisa Virtanen",
                                email="liisa@alfa.fi"),
            ],
            accounts=[CustomerAccount(account_id=40, customer_id=1, iban="FI2112345600000785")],
            texts=[CustomerText(id=5, header_number=1, note="Toimitus aamuisin")],
            circulations=[CustomerCirculation(id=7, customer_id=1, person_number=101,
                                              circulation_type=0)],
            agreements=[
                CustomerAgreement(
                    id=3, description="Huoltosopimus",
                    products=[CustomerAgreementProduct(agreement_product_id=9, agreement_id=3,
                                                       product_code="HUOLTO")],
                )
            ],
        ),
        Customer(
            id=2, number=1002, name="Beta Ab", email="info@beta.fi",
            contacts=[CustomerContact(id=21, customer_id=2, name="Anna Berg")],
        ),
    ]  # fmt: skip


@pytest.fixture
def client(make_client: Any) -> TestClient:
    made: TestClient = make_client(_customers())
    return made


def _full(model: Model) -> Any:
    """The JSON a complete record of ``model`` encodes to."""
    return msgspec.json.decode(msgspec.json.encode(complete(model)))


def _customer(client: TestClient, customer_id: int, **headers: str) -> Any:
    response = client.get(f"/api/customers/{customer_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


# --- agreements ---------------------------------------------------------------------------------


def test_add_agreement_assigns_ids_and_appends(client: TestClient) -> None:
    body = {"description": "Ylläpito", "products": [{"product_code": "A"}, {"product_code": "B"}]}
    response = client.post("/api/customers/1/agreements", json=body)
    assert response.status_code == 200, response.text
    expected = _full(
        CustomerAgreement(
            id=4, description="Ylläpito", invoicing_customer=1001,
            products=[
                CustomerAgreementProduct(agreement_product_id=10, agreement_id=4, product_code="A"),
                CustomerAgreementProduct(agreement_product_id=11, agreement_id=4, product_code="B"),
            ],
        )
    )  # fmt: skip
    assert response.json() == expected
    customer = _customer(client, 1)
    assert [a["id"] for a in customer["agreements"]] == [3, 4]
    assert customer["agreements"][1] == expected
    assert customer["modified"] == NOW


def test_agreement_products_are_added_and_deleted(client: TestClient) -> None:
    response = client.post("/api/customers/1/agreements/3/products", json={"product_code": "X"})
    assert response.status_code == 200
    assert response.json() == _full(
        CustomerAgreementProduct(agreement_product_id=10, agreement_id=3, product_code="X")
    )
    deleted = client.delete("/api/customers/1/agreements/products/9")
    assert deleted.status_code == 200
    assert deleted.json()["agreement_product_id"] == 9
    products = _customer(client, 1)["agreements"][0]["products"]
    assert [p["agreement_product_id"] for p in products] == [10]
    again = client.delete("/api/customers/1/agreements/products/9")
    assert (again.status_code, again.json()) == (
        404, {"Message": "Agreement product 9 was not found."}
    )  # fmt: skip


def test_a_product_of_an_absent_agreement_is_a_404(client: TestClient) -> None:
    response = client.post("/api/customers/1/agreements/99/products", json={})
    assert (response.status_code, response.json()) == (
        404, {"Message": "Agreement 99 was not found."}
    )  # fmt: skip
    assert _customer(client, 1)["modified"] == "2024-01-01T00:00:00Z"  # nothing written


def test_delete_agreement(client: TestClient) -> None:
    response = client.delete("/api/customers/1/agreements/3")
    assert response.status_code == 200
    assert response.json()["id"] == 3
    assert response.json()["products"][0]["agreement_product_id"] == 9
    assert _customer(client, 1)["agreements"] == []
    again = client.delete("/api/customers/1/agreements/3")
    assert (again.status_code, again.json()) == (404, {"Message": "Agreement 3 was not found."})


# --- accounts, texts, circulations, contacts ----------------------------------------------------


def test_delete_account(client: TestClient) -> None:
    response = client.delete("/api/customers/1/accounts/40")
    assert response.status_code == 200
    assert response.json() == _full(
        CustomerAccount(account_id=40, customer_id=1, iban="FI2112345600000785")
    )
    assert _customer(client, 1)["accounts"] == []
    again = client.delete("/api/customers/1/accounts/40")
    assert (again.status_code, again.json()) == (404, {"Message": "Account 40 was not found."})


def test_add_text(client: TestClient) -> None:
    response = client.post("/api/customers/2/texts", json={"header_number": 2, "note": "Huom"})
    assert response.status_code == 200
    assert response.json() == {"id": 6, "header_number": 2, "note": "Huom"}
    assert _customer(client, 2)["texts"] == [{"id": 6, "header_number": 2, "note": "Huom"}]


def test_circulations_are_added_and_deleted(client: TestClient) -> None:
    response = client.post(
        "/api/customers/2/circulations", json={"person_number": 102, "circulation_type": 1}
    )
    assert response.status_code == 200
    assert response.json() == {
        "id": 8, "customer_id": 2, "person_number": 102, "circulation_type": 1
    }  # fmt: skip
    assert client.delete("/api/customers/1/circulations/7").status_code == 200
    assert _customer(client, 1)["circulations"] == []
    missing = client.delete("/api/customers/1/circulations/7")
    assert (missing.status_code, missing.json()) == (
        404, {"Message": "Circulation 7 was not found."}
    )  # fmt: skip


def test_circulation_type_is_bounded(client: TestClient) -> None:
    response = client.post("/api/customers/2/circulations", json={"circulation_type": 2})
    assert response.status_code == 400
    assert response.json() == {
        "Message": INVALID,
        "ModelState": {
            "circulation.circulation_type": ["The field circulation_type must be between 0 and 1."]
        },
    }


def test_contacts_are_added_and_deleted(client: TestClient) -> None:
    body = {"customer_id": 999, "name": "Uusi Henkilö", "attributes": [{"id": 1, "selected": True}]}
    response = client.post("/api/customers/2/contacts", json=body)
    assert response.status_code == 200
    assert response.json() == _full(
        CustomerContact(
            id=22, customer_id=2, name="Uusi Henkilö",
            attributes=[CustomerContactAttribute(id=1, selected=True, contact_id=22)],
        )
    )  # fmt: skip
    assert [c["id"] for c in _customer(client, 2)["contacts"]] == [21, 22]
    deleted = client.delete("/api/customers/2/contacts/21")
    assert (deleted.status_code, deleted.json()["name"]) == (200, "Anna Berg")
    assert [c["id"] for c in _customer(client, 2)["contacts"]] == [22]
    other = client.delete("/api/customers/2/contacts/11")  # customer 1's
    assert (other.status_code, other.json()) == (404, {"Message": "Contact 11 was not found."})


def test_a_contact_needs_its_customer_id_as_the_schema_says(client: TestClient) -> None:
    response = client.post("/api/customers/2/contacts", json={"name": "X"})
    assert response.status_code == 400
    assert response.json() == {
        "Message": INVALID,
        "ModelState": {"contact.customer_id": ["The customer_id field is required."]},
    }


def test_contact_emails_written_here_are_found_by_the_customer_filter(client: TestClient) -> None:
    client.post("/api/customers/2/contacts", json={"customer_id": 2, "email": "uusi@beta.fi"})
    found = client.get("/api/customers?contact_email=UUSI@beta")
    assert [c["id"] for c in found.json()["results"]] == [2]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/customers/9/agreements", {}),
        ("POST", "/api/customers/9/agreements/3/products", {}),
        ("DELETE", "/api/customers/9/agreements/products/9", None),
        ("DELETE", "/api/customers/9/agreements/3", None),
        ("DELETE", "/api/customers/9/accounts/40", None),
        ("POST", "/api/customers/9/contacts", {"customer_id": 9}),
        ("DELETE", "/api/customers/9/contacts/11", None),
        ("POST", "/api/customers/9/texts", {}),
        ("POST", "/api/customers/9/circulations", {}),
        ("DELETE", "/api/customers/9/circulations/7", None),
        ("GET", "/api/customers/9/transactions", None),
        ("POST", "/api/customers/9/transactions", {}),
        ("PUT", "/api/customers/9/transactions", {"id": 1}),
        ("DELETE", "/api/customers/9/transactions/1", None),
    ],
)
def test_a_missing_customer_is_a_404_as_get_says(
    client: TestClient, method: str, path: str, body: Any
) -> None:
    response = client.request(method, path, json=body)
    assert (response.status_code, response.json()) == (
        404, {"Message": "Customer 9 was not found."}
    )  # fmt: skip


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/customers/x/agreements/3", "customer_id"),
        ("/api/customers/1/agreements/x", "agreement_id"),
        ("/api/customers/1/accounts/99999999999", "account_id"),
        ("/api/customers/1/transactions/x", "transaction_id"),
    ],
)
def test_a_bad_path_id_is_a_400_naming_it(client: TestClient, path: str, name: str) -> None:
    response = client.delete(path)
    value = path.split("/")[3] if name == "customer_id" else path.rsplit("/", 1)[-1]
    assert response.status_code == 400
    assert response.json() == {
        "Message": INVALID,
        "ModelState": {name: [f"The value '{value}' is not valid for {name}."]},
    }


def test_bodies_are_validated(client: TestClient) -> None:
    response = client.post("/api/customers/1/agreements", json={"date": "not a date"})
    assert response.status_code == 400
    assert list(response.json()["ModelState"]) == ["agreement.date"]
    response = client.post(
        "/api/customers/1/texts", content=b"{}", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 415


def test_new_ids_pass_ids_a_put_wrote(client: TestClient) -> None:
    put = client.put(
        "/api/customers/2",
        json={"name": "Beta Ab", "email": "info@beta.fi",
              "contacts": [{"customer_id": 2, "id": 500}]},
    )  # fmt: skip
    assert put.status_code == 200
    added = client.post("/api/customers/1/contacts", json={"customer_id": 1})
    assert added.json()["id"] == 501


# --- transactions -------------------------------------------------------------------------------


def test_transactions_are_added_read_updated_and_deleted(client: TestClient) -> None:
    body = {
        "subject": "Soitto", "type": 1, "person_number": 101, "customer_contact_id": 11,
        "participates": [{"participate_type": 2, "participate_customer_contact_id": 11}],
    }  # fmt: skip
    created = client.post("/api/customers/1/transactions", json=body)
    assert created.status_code == 200, created.text
    record = created.json()
    assert record["id"] == 1
    assert record["customer_number"] == 1001
    assert record["date"] == NOW
    assert record["person_name"] == "Mikko Laaksonen"
    assert record["participates"][0]["id"] == 1
    assert record["attributes"] == []
    listed = client.get("/api/customers/1/transactions")
    assert listed.json() == {"result_count": 1, "results": [record]}
    assert listed.headers["x-total-count"] == "1"
    assert client.get("/api/customers/2/transactions").json() == {
        "result_count": 0, "results": []
    }  # fmt: skip

    updated = client.put("/api/customers/1/transactions", json={"id": 1, "state": 1})
    assert updated.status_code == 200
    assert updated.json() == {**record, "state": 1}
    assert client.get("/api/customers/transactions").json()["results"] == [{**record, "state": 1}]

    elsewhere = client.put("/api/customers/2/transactions", json={"id": 1, "state": 0})
    assert (elsewhere.status_code, elsewhere.json()) == (
        404, {"Message": "Transaction 1 was not found."}
    )  # fmt: skip
    deleted = client.delete("/api/customers/1/transactions/1")
    assert (deleted.status_code, deleted.json()) == (200, {**record, "state": 1})
    again = client.delete("/api/customers/1/transactions/1")
    assert (again.status_code, again.json()) == (404, {"Message": "Transaction 1 was not found."})
    assert client.post("/api/customers/1/transactions", json={}).json()["id"] == 2  # never reused


def test_a_transaction_update_needs_its_id(client: TestClient) -> None:
    response = client.put("/api/customers/1/transactions", json={"state": 1})
    assert response.status_code == 400
    assert response.json() == {
        "Message": INVALID,
        "ModelState": {"proxytransaction.id": ["The id field is required."]},
    }


def test_a_transaction_contact_must_be_the_customers(client: TestClient) -> None:
    response = client.post("/api/customers/2/transactions", json={"customer_contact_id": 11})
    assert response.status_code == 400
    assert response.json() == {
        "Message": INVALID,
        "ModelState": {"proxytransaction.customer_contact_id": ["Customer 2 has no contact 11."]},
    }
    assert client.get("/api/customers/transactions").json()["result_count"] == 0


def test_a_transaction_attribute_needs_its_code(client: TestClient) -> None:
    response = client.post("/api/customers/1/transactions", json={"attributes": [{}]})
    assert response.status_code == 400
    assert response.json()["ModelState"] == {
        "proxytransaction.attributes[0].code": ["The code field is required."]
    }


def test_transaction_search_binds_as_aspnet_does(client: TestClient) -> None:
    client.post("/api/customers/1/transactions", json={"type": 1, "subject": "Soitto"})
    client.post("/api/customers/2/transactions", json={"type": 2, "subject": "Palaveri"})
    found = client.get("/api/customers/transactions?filter.type=2&type=1")
    assert [t["id"] for t in found.json()["results"]] == [2]
    found = client.get("/api/customers/transactions?search=SOITTO&customer_number=1001")
    assert [t["id"] for t in found.json()["results"]] == [1]
    found = client.get("/api/customers/transactions?object_ids[]=2&object_ids[]=1&page_size=1")
    assert ([t["id"] for t in found.json()["results"]], found.headers["x-total-count"]) == (
        [1], "2"
    )  # fmt: skip
    bad = client.get("/api/customers/transactions?filter.transaction_date_after=eilen")
    assert bad.status_code == 400
    assert bad.json() == {
        "Message": INVALID,
        "ModelState": {
            "filter.transaction_date_after": [
                "The value 'eilen' is not a valid ISO 8601 date-time."
            ]
        },
    }
    assert client.get("/api/customers/transactions?page=0").status_code == 400


def test_transaction_writes_are_bounded_per_body(client: TestClient) -> None:
    body: dict[str, Any] = {"participates": [{}] * 1001}
    response = client.post("/api/customers/1/transactions", json=body)
    assert response.status_code == 400
    assert "proxytransaction.participates" in response.json()["ModelState"]


# --- catalogues and path words ------------------------------------------------------------------


def test_groups_list_and_filter(client: TestClient) -> None:
    everything = client.get("/api/customers/groups?page_size=100").json()
    assert everything == {
        "result_count": len(CUSTOMER_GROUPS),
        "results": [{"id": i, "name": n, "parent_id": p} for i, n, p in CUSTOMER_GROUPS],
    }
    children = client.get("/api/customers/groups?filter.parent_id=2").json()["results"]
    assert [g["id"] for g in children] == [3, 5]
    named = client.get("/api/customers/groups?name=ASIAKKAAT&page_size=2")
    assert [g["id"] for g in named.json()["results"]] == [1, 2]
    assert named.headers["x-total-count"] == "3"


def test_transaction_attributes_list(client: TestClient) -> None:
    response = client.get("/api/customers/transactions/attributes")
    assert response.status_code == 200
    assert response.json() == {
        "result_count": len(TRANSACTION_ATTRIBUTES),
        "results": [
            {"code": c, "description": d, "info": i, "group_description": g, "is_checked": False}
            for c, d, g, i in TRANSACTION_ATTRIBUTES
        ],
    }


@pytest.mark.parametrize("word", ["base", "transactions", "groups"])
def test_path_words_never_bind_as_a_customer_id(client: TestClient, word: str) -> None:
    response = client.put(f"/api/customers/{word}", json={"name": "x", "email": "y"})
    assert response.status_code == 405
    assert client.get(f"/api/customers/{word}").status_code == 200


def test_auth_required_protects_every_new_route(make_client: Any) -> None:
    guarded = make_client(_customers(), auth="required")
    paths = (
        "/api/customers/transactions",
        "/api/customers/groups",
        "/api/customers/transactions/attributes",
        "/api/customers/1/transactions",
    )
    for path in paths:
        response = guarded.get(path)
        assert (response.status_code, response.json()) == (
            401, {"Message": "Authorization has been denied for this request."}
        )  # fmt: skip


# --- tenants ------------------------------------------------------------------------------------


def test_tenants_never_see_each_others_writes(client: TestClient) -> None:
    a, b = {"X-Mock-Tenant": "a"}, {"X-Mock-Tenant": "b"}
    client.post("/api/customers/1/transactions", json={"subject": "A"}, headers=a)
    client.post("/api/customers/1/contacts", json={"customer_id": 1, "name": "A"}, headers=a)
    client.delete("/api/customers/1/agreements/3", headers=a)
    assert client.get("/api/customers/transactions", headers=b).json()["result_count"] == 0
    assert [c["id"] for c in _customer(client, 1, **b)["contacts"]] == [11, 12]
    assert [x["id"] for x in _customer(client, 1, **b)["agreements"]] == [3]
    # b's first new contact gets the same id as a's: ids are unique within a tenant
    added = client.post("/api/customers/1/contacts", json={"customer_id": 1}, headers=b)
    assert added.json()["id"] == 22
    assert [c["id"] for c in _customer(client, 1, **a)["contacts"]] == [11, 12, 22]


def test_reset_forgets_the_writes(client: TestClient) -> None:
    client.post("/api/customers/1/transactions", json={"subject": "A"})
    client.delete("/api/customers/1/contacts/11")
    assert client.post("/_mock/reset").status_code == 200
    assert client.get("/api/customers/transactions").json()["result_count"] == 0
    assert [c["id"] for c in _customer(client, 1)["contacts"]] == [11, 12]


def test_writes_are_journaled(client: TestClient) -> None:
    client.post("/api/customers/1/texts", json={"note": "x"})
    entries = client.get(
        "/_mock/requests", params={"path": "/api/customers/{customer_id}/texts"}
    ).json()
    assert [(e["method"], e["status"]) for e in entries["requests"]] == [("POST", 200)]


# --- generated data -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def generated() -> TestClient:
    return TestClient(create_app(Settings(), dataset=generate(seed=5, customers=40, invoices=80)))


def test_generated_transactions_have_integrity(generated: TestClient) -> None:
    body = generated.get("/api/customers/transactions?page_size=100000").json()
    transactions = body["results"]
    assert transactions, "the generated register has transactions"
    assert [t["id"] for t in transactions] == list(range(1, len(transactions) + 1))
    customers = {
        c["number"]: c for c in generated.get("/api/customers?page_size=1000").json()["results"]
    }
    reference = "2025-07-01T00:00:00Z"
    dates = [t["date"] for t in transactions]
    assert dates == sorted(dates)  # ids follow the dates
    for t in transactions:
        customer = customers[t["customer_number"]]
        assert customer["created"] < t["date"] < reference
        contact_ids = {c["id"] for c in customer["contacts"]}
        if t["customer_contact_id"] is not None:
            assert t["customer_contact_id"] in contact_ids
        for p in t["participates"]:
            if p["participate_customer_contact_id"] is not None:
                assert p["participate_customer_contact_id"] in contact_ids
        assert t["type"] in (1, 2, 3)
        assert t["person_name"] is not None
        if t["type"] == 3:
            assert t["todo_startdate"] < t["todo_enddate"]
            assert t["todo_person_number"] is not None
        if t["type"] == 2:
            assert (
                t["duration"] * 60
                == (
                    datetime.fromisoformat(t["todo_enddate"]) - datetime.fromisoformat(t["date"])
                ).total_seconds()
            )


def test_generated_transactions_are_the_same_for_the_same_seed() -> None:
    def body() -> bytes:
        app = create_app(Settings(), dataset=generate(seed=5, customers=40, invoices=80))
        with TestClient(app) as one:
            return one.get("/api/customers/transactions?page_size=100000").content

    assert body() == body()


def test_new_ids_pass_the_generated_ones(generated: TestClient) -> None:
    tenant = {"X-Mock-Tenant": "ids"}
    count = int(generated.get("/api/customers/transactions").headers["x-total-count"])
    made = generated.post("/api/customers/1/transactions", json={}, headers=tenant).json()
    assert made["id"] == count + 1
    contact = generated.post("/api/customers/1/contacts", json={"customer_id": 1}, headers=tenant)
    assert contact.json()["id"] == 40 * 4 + 1
    agreement = generated.post("/api/customers/1/agreements", json={"products": [{}]},
                               headers=tenant).json()  # fmt: skip
    assert (agreement["id"], agreement["products"][0]["agreement_product_id"]) == (81, 241)


def test_scenario_rules_match_the_new_routes(client: TestClient) -> None:
    scenario = (
        "rules:\n"
        "  - name: crm-down\n"
        '    match: {method: POST, path: "/api/customers/{customer_id}/transactions"}\n'
        "    error: 503\n"
    )
    loaded = client.put(
        "/_mock/scenario", content=scenario, headers={"Content-Type": "application/yaml"}
    )
    assert loaded.status_code == 200, loaded.text
    refused = client.post("/api/customers/1/transactions", json={"subject": "A"})
    assert refused.status_code == 503
    assert client.get("/api/customers/1/transactions").json()["result_count"] == 0
    fired = client.get("/_mock/requests", params={"rule": "crm-down"}).json()
    assert [e["path"] for e in fired["requests"]] == ["/api/customers/1/transactions"]


def test_a_customer_holds_at_most_1000_sub_records_of_a_kind(make_client: Any) -> None:
    crowded = Customer(
        id=1, number=1001, name="Iso Oy", email="info@iso.fi",
        contacts=[CustomerContact(id=i, customer_id=1) for i in range(1, 1001)],
    )  # fmt: skip
    client = make_client([crowded])
    response = client.post("/api/customers/1/contacts", json={"customer_id": 1})
    assert response.status_code == 400
    assert response.json() == {
        "Message": INVALID,
        "ModelState": {
            "contacts": [
                "The field contacts must be a string or array type with a maximum length of '1000'."
            ]
        },
    }
    assert len(client.get("/api/customers/1").json()["contacts"]) == 1000
    assert client.post("/api/customers/1/texts", json={}).status_code == 200  # another kind


def test_ids_a_client_chose_near_the_int32_limit_never_push_new_ids_past_it(
    client: TestClient,
) -> None:
    body = {
        "name": "Beta Ab",
        "email": "info@beta.fi",
        "circulations": [{"id": 2**31 - 1, "customer_id": 2}],
    }
    assert client.put("/api/customers/2", json=body).status_code == 200
    added = client.post("/api/customers/2/circulations", json={})
    assert (added.status_code, added.json()["id"]) == (200, 8)


def test_participants_get_ids_of_their_own(client: TestClient) -> None:
    one = {"participates": [{"participate_number": 101}]}
    first = client.post("/api/customers/1/transactions", json=one).json()
    assert [p["id"] for p in first["participates"]] == [1]
    taken = {"participates": [{"id": 1, "participate_number": 102}]}  # another's id
    second = client.post("/api/customers/1/transactions", json=taken).json()
    assert [p["id"] for p in second["participates"]] == [2]
    kept = {"id": first["id"], "participates": [{"id": 1}, {"participate_number": 103}]}
    updated = client.put("/api/customers/1/transactions", json=kept).json()
    assert [p["id"] for p in updated["participates"]] == [1, 3]
