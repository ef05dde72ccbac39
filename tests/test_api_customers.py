"""``/api/customers``: every CustomerFilter filter, ``/base``, paging and the write endpoints,
asserted against CONTRACT.md with exact ids, status codes and bodies."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import httpx2
import msgspec
import pytest
from starlette.testclient import TestClient

from mockserver.models import (
    Customer,
    CustomerAccount,
    CustomerAttribute,
    CustomerContact,
    Invoice,
)

JSON = "application/json; charset=utf-8"
ALL_IDS = [1, 2, 3, 5, 8, 13, 21]
INVALID = "The request is invalid."


def _utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def _customer(
    id: int,
    number: int | None,
    name: str | None,
    email: str | None,
    *,
    attributes: tuple[tuple[int, bool], ...] = (),
    contact_emails: tuple[str | None, ...] = (),
    **fields: Any,
) -> Customer:
    # name and email are required in a request body, yet a stored record may lack them
    return Customer(
        id=id,
        number=number,
        name=name,  # type: ignore[arg-type]
        email=email,  # type: ignore[arg-type]
        attributes=[CustomerAttribute(id=a, selected=s) for a, s in attributes],
        contacts=[CustomerContact(customer_id=id, email=e) for e in contact_emails],
        **fields,
    )


# Given out of id order: the store must order them.
CUSTOMERS = [
    _customer(
        8, 2001, "ÅLAND BANK", "bank@aland.ax",
        phone="018 123", vat="FI33333333", city="Maarianhamina", group=3, type=3,
        is_customer=True, is_supplier=False,
        created=datetime.fromisoformat("2023-03-03T03:03:03+02:00"), modified=_utc(2024, 1, 1),
        attributes=((30, True), (10, True)),
    ),
    _customer(
        1, 1001, "Äijälän Sähkö Oy", "info@aijala.fi",
        searchname="AIJALA", phone="040 111 2222", vat="FI11111111", city="Helsinki",
        street="Sähkötie 1", postal_code="00100", country="FI", is_nonactive=False,
        group=1, type=1, is_customer=True, is_supplier=False,
        created=_utc(2021, 1, 1), modified=_utc(2022, 1, 1),
        attributes=((10, True), (20, False)),
        contact_emails=("Matti.Meikalainen@aijala.fi",),
        accounts=[CustomerAccount(account_id=40, customer_id=1, iban="FI2112345600000785")],
    ),
    _customer(
        2, 1002, "Bergström Ab", "",
        name2="Ääni Oy", searchname="BERG", phone="09 222 3333", vat="FI22222222",
        city="Espoo", group=2, type=1, is_customer=False, is_supplier=True,
        created=_utc(2021, 6, 1), modified=_utc(2023, 1, 1),
        attributes=((20, True),), contact_emails=(None, "myynti@berg.fi"),
    ),
    _customer(
        3, 1003, "Citymarket Oy", "asiakas@city.fi",
        city="Tampere", type=2, is_customer=True, is_supplier=True,
        created=_utc(2022, 1, 1, 12), modified=_utc(2022, 1, 1, 12),
    ),
    _customer(
        21, 1021, "äijä ja poika", "AIJA@POIKA.FI",
        searchname="AIJA", phone="040 999", city="helsinki", group=1, type=1,
        is_customer=True, is_supplier=False,
        # no zone: UTC
        created=datetime(2024, 6, 1), modified=datetime(2024, 6, 1),
        contact_emails=("aija@poika.fi",),
    ),
    _customer(
        5, 1005, None, None,
        name2="Straße GmbH", searchname="STRASSE", group=1,
        attributes=((10, False),), contact_emails=("HALLO@STRASSE.DE",),
    ),
    _customer(
        13, 555, "Oy 1003 Trading", "trade@example.fi",
        city="Oulu", group=2, type=2, is_customer=False, is_supplier=False,
        created=_utc(2024, 1, 1), modified=_utc(2024, 1, 1),
        attributes=((20, True),),
    ),
]  # fmt: skip

CUSTOMER_FIELDS = [f.encode_name for f in msgspec.structs.fields(Customer)]
BASE_FIELDS = [
    "id", "number", "name", "name2", "searchname", "email", "phone", "vat", "street",
    "postal_code", "city", "country", "is_customer", "is_supplier", "is_nonactive", "group",
    "type", "created", "modified",
]  # fmt: skip


@pytest.fixture
def client(make_client: Any) -> TestClient:
    result: TestClient = make_client(CUSTOMERS, [Invoice(id=1, number=1, date=_utc(2024, 1, 1))])
    return result


def _ids(response: httpx2.Response) -> list[int]:
    assert response.status_code == 200, response.text
    body = response.json()
    ids = [record["id"] for record in body["results"]]
    assert body["result_count"] == len(ids)
    return ids


def _all(client: TestClient, path: str = "/api/customers", **params: Any) -> list[int]:
    return _ids(client.get(path, params={"page_size": 1000, **params}))


# --- every filter ---------------------------------------------------------------------------

FILTER_CASES: list[tuple[str, list[int]]] = [
    ("", ALL_IDS),
    # substring filters: case-insensitive with Unicode case folding; null never matches
    ("name=äijä", [1, 21]),
    ("name=ÄIJÄ", [1, 21]),
    ("name=oy", [1, 3, 13]),
    ("name=gmbh", []),  # only name2 has it
    ("name=zz", []),
    ("search_name=aija", [1, 21]),
    ("search_name=straße", [5]),  # folds to "strasse"
    ("search_name=STRASSE", [5]),
    ("email=AIJA", [1, 21]),
    ("email=@", [1, 3, 8, 13, 21]),  # "" and null never match
    ("phone=040", [1, 21]),
    ("phone=%20", [1, 2, 8, 21]),
    ("vat=fi2", [2]),
    ("vat=FI", [1, 2, 8]),
    # contact_email: any contact's e-mail, never the customer's own
    ("contact_email=AIJA", [1, 21]),
    ("contact_email=berg", [2]),
    ("contact_email=strasse.de", [5]),
    ("contact_email=info", []),
    # search: name, name2, searchname, email, phone, vat, city, or number equal
    ("search=helsinki", [1, 21]),
    ("search=ääni", [2]),
    ("search=straße", [5]),
    ("search=1003", [3, 13]),  # number of 3, in the name of 13
    ("search=555", [13]),
    ("search=1001", [1]),
    ("search=100", [13]),  # a number matches only whole; "Oy 1003 Trading" contains it
    ("search=040", [1, 21]),
    ("search=FI3", [8]),
    ("search=maarianhamina", [8]),
    ("search=bank@", [8]),
    ("search=tampere", [3]),
    # flags
    ("has_email=1", [1, 3, 8, 13, 21]),
    ("has_email=0", [2, 5]),
    ("is_customer=1", [1, 3, 8, 21]),
    ("is_customer=0", [2, 5, 13]),
    ("is_supplier=1", [2, 3]),
    ("is_supplier=0", [1, 5, 8, 13, 21]),
    # arrays
    ("customer_number=1002&customer_number=555", [2, 13]),
    ("customer_number=9999", []),
    ("object_ids=21&object_ids=2&object_ids=4", [2, 21]),
    ("attribute_ids=10", [1, 8]),  # selected only: 5 has it unselected
    ("attribute_ids=20", [2, 13]),
    ("attribute_ids=20&attribute_ids=30", [2, 8, 13]),
    ("attribute_ids=99", []),
    # equality; a null never matches
    ("group=1", [1, 5, 21]),
    ("group=2", [2, 13]),
    ("group=0", []),
    ("type=1", [1, 2, 21]),
    ("type=2", [3, 13]),
    # dates: before strictly earlier, after strictly later; null never matches
    ("created_before=2022-01-01T12:00:00Z", [1, 2]),
    ("created_after=2022-01-01T12:00:00Z", [8, 13, 21]),
    ("created_after=2023-03-03T01:03:03Z", [13, 21]),
    ("created_after=2023-03-03T03:03:02%2B02:00", [8, 13, 21]),
    ("created_before=2023-03-03T03:03:04%2B02:00", [1, 2, 3, 8]),
    ("created_after=2024-06-01", []),  # a date is midnight UTC
    ("created_after=2024-05-31", [21]),
    ("created_after=2021-01-01&created_before=2024-06-01", [2, 3, 8, 13]),
    ("modified_before=2022-01-01T12:00:01", [1, 3]),  # no zone: UTC
    ("modified_after=2023-12-31T23:59:59Z", [8, 13, 21]),
    ("updated_before=2022-01-01T12:00:01Z", [1, 3]),
    ("updated_after=2023-12-31T23:59:59Z", [8, 13, 21]),
    ("modified_after=2022-06-01&updated_before=2024-01-01", [2]),
    # filters combine with AND
    ("name=oy&is_customer=1", [1, 3]),
    ("group=1&type=1", [1, 21]),
    ("search=helsinki&has_email=1&contact_email=poika", [21]),
    ("is_customer=1&is_supplier=1", [3]),
]


@pytest.mark.parametrize(("query", "expected"), FILTER_CASES)
def test_each_customer_filter_selects_exactly(
    client: TestClient, query: str, expected: list[int]
) -> None:
    response = client.get(f"/api/customers?page_size=100&{query}")
    assert response.headers["content-type"] == JSON
    assert _ids(response) == expected
    assert response.headers["x-total-count"] == str(len(expected))


@pytest.mark.parametrize(("query", "expected"), FILTER_CASES)
def test_base_answers_the_same_filters(client: TestClient, query: str, expected: list[int]) -> None:
    response = client.get(f"/api/customers/base?page_size=100&{query}")
    assert _ids(response) == expected
    assert response.headers["x-total-count"] == str(len(expected))


def test_filters_with_the_prefix_select_the_same(client: TestClient) -> None:
    for query, expected in FILTER_CASES:
        prefixed = "&".join(f"filter.{pair}" for pair in query.split("&") if pair)
        assert _ids(client.get(f"/api/customers?filter.page_size=100&{prefixed}")) == expected


# --- full records and /base -----------------------------------------------------------------


def test_a_customer_carries_every_field_null_or_empty_list_when_absent(
    client: TestClient,
) -> None:
    response = client.get("/api/customers/3")
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON
    body = response.json()
    assert list(body) == CUSTOMER_FIELDS
    lists = {"attributes", "contacts", "texts", "agreements", "accounts", "circulations"}
    given = {
        "id": 3,
        "number": 1003,
        "name": "Citymarket Oy",
        "email": "asiakas@city.fi",
        "city": "Tampere",
        "type": 2,
        "is_customer": True,
        "is_supplier": True,
        "created": "2022-01-01T12:00:00Z",
        "modified": "2022-01-01T12:00:00Z",
    }
    expected = {name: [] if name in lists else given.get(name) for name in CUSTOMER_FIELDS}
    assert body == expected


def test_a_customer_in_the_list_equals_the_single_record(client: TestClient) -> None:
    listed = client.get("/api/customers", params={"object_ids": 1}).json()["results"][0]
    assert listed == client.get("/api/customers/1").json()
    assert listed["attributes"] == [
        {"id": 10, "name": None, "selected": True},
        {"id": 20, "name": None, "selected": False},
    ]
    assert listed["created"] == "2021-01-01T00:00:00Z"


def test_base_answers_exactly_the_basic_fields_in_order(client: TestClient) -> None:
    response = client.get("/api/customers/base", params={"object_ids": [1, 5]})
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON
    assert response.headers["x-total-count"] == "2"
    body = response.json()
    assert body["result_count"] == 2
    first, second = body["results"]
    assert list(first) == BASE_FIELDS
    assert first == {
        "id": 1,
        "number": 1001,
        "name": "Äijälän Sähkö Oy",
        "name2": None,
        "searchname": "AIJALA",
        "email": "info@aijala.fi",
        "phone": "040 111 2222",
        "vat": "FI11111111",
        "street": "Sähkötie 1",
        "postal_code": "00100",
        "city": "Helsinki",
        "country": "FI",
        "is_customer": True,
        "is_supplier": False,
        "is_nonactive": False,
        "group": 1,
        "type": 1,
        "created": "2021-01-01T00:00:00Z",
        "modified": "2022-01-01T00:00:00Z",
    }
    assert second == dict.fromkeys(BASE_FIELDS) | {
        "id": 5,
        "number": 1005,
        "name2": "Straße GmbH",
        "searchname": "STRASSE",
        "group": 1,
    }


def test_absent_customer_is_404(client: TestClient) -> None:
    response = client.get("/api/customers/4")
    assert response.status_code == 404
    assert response.headers["content-type"] == JSON
    assert response.json() == {"Message": "Customer 4 was not found."}


def test_base_is_not_taken_for_a_customer_id(client: TestClient) -> None:
    assert client.get("/api/customers/base").json()["result_count"] == 7


# --- paging ---------------------------------------------------------------------------------


@pytest.fixture
def paged(make_client: Any) -> TestClient:
    """25 customers, ids 1..25, given in a scrambled order."""
    order = [(i * 7) % 25 + 1 for i in range(25)]
    assert sorted(order) == list(range(1, 26))
    result: TestClient = make_client(
        [_customer(i, 1000 + i, f"Yritys {i}", f"y{i}@example.fi") for i in order]
    )
    return result


PAGING_CASES: list[tuple[str, list[int]]] = [
    ("", list(range(1, 11))),  # page 1, page_size 10
    ("page=2", list(range(11, 21))),
    ("page=3", list(range(21, 26))),
    ("page=4", []),
    ("page=2147483647", []),
    ("page_size=25", list(range(1, 26))),
    ("page_size=100", list(range(1, 26))),
    ("page_size=2147483647", list(range(1, 26))),
    ("page=2&page_size=7", list(range(8, 15))),
    ("page=4&page_size=7", [22, 23, 24, 25]),
    ("page=2147483647&page_size=2147483647", []),
    ("page_size=1", [1]),
    ("page=25&page_size=1", [25]),
    ("page=26&page_size=1", []),
]


@pytest.mark.parametrize(("query", "expected"), PAGING_CASES)
def test_paging_by_id(paged: TestClient, query: str, expected: list[int]) -> None:
    for path in ("/api/customers", "/api/customers/base"):
        response = paged.get(f"{path}?{query}")
        assert _ids(response) == expected
        assert response.headers["x-total-count"] == "25"


def test_a_page_past_the_end_is_an_empty_200(paged: TestClient) -> None:
    response = paged.get("/api/customers?page=9")
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON
    assert response.content == b'{"result_count":0,"results":[]}'
    assert response.headers["x-total-count"] == "25"


def test_the_total_counts_the_filtered_records(paged: TestClient) -> None:
    response = paged.get("/api/customers?name=yritys%202&page=2&page_size=5")
    # "Yritys 2" and "Yritys 20".."Yritys 25": seven records, the second page holds two
    assert _ids(response) == [24, 25]
    assert response.headers["x-total-count"] == "7"


def test_vendor_client_pages_every_customer_once_over_a_socket(start_server: Any) -> None:
    """The vendor's example: log in with lower-case keys, send ``Session-Id``, request
    ``?page=1,2,3...`` until ``result_count == 0``."""
    server = start_server("--customers", "43", "--invoices", "5", "--log-level", "warning")
    with httpx.Client(base_url=server.base_url, timeout=5.0) as http:
        login = http.post(
            "/api/auth/login",
            json={"username": "user", "password": "pw", "database": "DEMO", "apikey": "k"},
        )
        assert login.status_code == 200
        answer = login.json()
        assert answer["code"] == 200 and answer["message"] == "ok"
        headers = {"Session-Id": answer["session_id"]}
        seen: list[int] = []
        page = 1
        while True:
            response = http.get("/api/customers", params={"page": page}, headers=headers)
            assert response.status_code == 200
            body = response.json()
            if body["result_count"] == 0:
                break
            seen += [customer["id"] for customer in body["results"]]
            page += 1
    assert page == 6  # pages 1-4 of ten, page 5 of three, page 6 empty
    assert len(seen) == 43
    assert seen == sorted(set(seen))


# --- writes ---------------------------------------------------------------------------------

NOW = "2025-07-01T12:00:00Z"  # the clock fixture's start


def _state(client: TestClient, headers: dict[str, str] | None = None) -> tuple[bytes, ...]:
    """Everything a client can read, as bytes."""
    return tuple(
        client.get(path, params={"page_size": 1000}, headers=headers).content
        for path in ("/api/customers", "/api/customers/base", "/api/invoices")
    )


def test_post_assigns_id_number_and_stamps_ignoring_given_ones(client: TestClient) -> None:
    body = {
        "id": 999,
        "number": 5,
        "name": "Uusi Oy",
        "email": "uusi@example.fi",
        "created": "2000-01-01T00:00:00Z",
        "modified": "2000-01-01T00:00:00Z",
        "group": 4,
        "attributes": [{"id": 77, "selected": True, "name": "VIP"}],
        "contacts": [{"customer_id": 0, "email": "Liisa@Uusi.fi", "name": "Liisa"}],
        "no_such_field": [1, 2],
    }
    response = client.post("/api/customers", json=body)
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON
    created = response.json()
    assert list(created) == CUSTOMER_FIELDS
    assert created["id"] == 22  # after the largest id, 21
    assert created["number"] == 2002  # after the largest number, 2001
    assert created["created"] == created["modified"] == NOW
    assert created["name"] == "Uusi Oy" and created["group"] == 4
    assert created["attributes"] == [{"id": 77, "name": "VIP", "selected": True}]
    assert created["contacts"][0]["customer_id"] == 22
    assert created["contacts"][0]["email"] == "Liisa@Uusi.fi"
    assert created["accounts"] == [] and created["dimension"] is None
    assert client.get("/api/customers/22").json() == created

    second = client.post("/api/customers", json={"name": "Toinen", "email": "t@t.fi"}).json()
    assert (second["id"], second["number"]) == (23, 2003)


def test_a_created_customer_is_visible_to_lists_filters_and_base(
    client: TestClient, clock: Any
) -> None:
    clock.advance(days=1)
    body = {
        "name": "Ääninen Oy",
        "email": "aani@example.fi",
        "group": 4,
        "is_customer": True,
        "attributes": [{"id": 77, "selected": True}],
        "contacts": [{"customer_id": 1, "email": "liisa@aaninen.fi"}],
    }
    assert client.post("/api/customers", json=body).status_code == 200
    assert _all(client) == [*ALL_IDS, 22]
    assert _all(client, name="ääni") == [22]
    assert _all(client, search="ääni") == [2, 22]
    assert _all(client, group=4) == [22]
    assert _all(client, attribute_ids=77) == [22]
    assert _all(client, contact_email="aaninen") == [22]
    assert _all(client, is_customer=1) == [1, 3, 8, 21, 22]
    assert _all(client, customer_number=2002) == [22]
    assert _all(client, created_after="2025-07-02T11:59:59Z") == [22]
    assert _all(client, modified_before="2025-07-02T12:00:00Z") == [1, 2, 3, 8, 13, 21]
    base = client.get("/api/customers/base", params={"object_ids": 22}).json()["results"]
    assert base[0]["name"] == "Ääninen Oy" and base[0]["created"] == "2025-07-02T12:00:00Z"
    response = client.get("/api/customers?page=3&page_size=3")
    assert _ids(response) == [21, 22]
    assert response.headers["x-total-count"] == "8"


def test_put_merges_given_fields_and_keeps_id_number_created(
    client: TestClient, clock: Any
) -> None:
    before = client.get("/api/customers/1").json()
    clock.advance(minutes=5)
    body = {
        "id": 500,
        "number": 1,
        "created": "2000-01-01T00:00:00Z",
        "name": "Uusi Nimi Oy",
        "email": "uusi@nimi.fi",
        "group": 7,
        "phone": None,
        "attributes": [{"id": 30, "selected": True}],
    }
    response = client.put("/api/customers/1", json=body)
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON
    updated = response.json()
    expected = before | {
        "name": "Uusi Nimi Oy",
        "email": "uusi@nimi.fi",
        "group": 7,
        "phone": None,
        "attributes": [{"id": 30, "name": None, "selected": True}],
        "modified": "2025-07-01T12:05:00Z",
    }
    assert updated == expected
    assert client.get("/api/customers/1").json() == expected


def test_put_is_visible_to_filters_and_base(client: TestClient) -> None:
    body = {"name": "Uusi Nimi", "email": "uusi@nimi.fi", "group": 7, "contacts": []}
    assert client.put("/api/customers/1", json=body).status_code == 200
    assert _all(client, name="äijä") == [21]
    assert _all(client, name="uusi") == [1]
    assert _all(client, group=1) == [5, 21]
    assert _all(client, group=7) == [1]
    assert _all(client, email="uusi@") == [1]
    assert _all(client, contact_email="aija") == [21]  # the given empty list replaced them
    assert _all(client, attribute_ids=10) == [1, 8]  # attributes not given: kept
    assert _all(client, modified_after="2025-07-01T11:59:59Z") == [1]
    assert _all(client, search="helsinki") == [1, 21]  # city kept
    base = client.get("/api/customers/base", params={"object_ids": 1}).json()["results"][0]
    assert (base["name"], base["email"], base["group"]) == ("Uusi Nimi", "uusi@nimi.fi", 7)


def test_put_of_an_absent_customer_is_404_and_changes_nothing(client: TestClient) -> None:
    before = _state(client)
    response = client.put("/api/customers/4", json={"name": "X", "email": "x@x.fi"})
    assert response.status_code == 404
    assert response.headers["content-type"] == JSON
    assert response.json() == {"Message": "Customer 4 was not found."}
    assert _state(client) == before


def test_post_account_assigns_id_sets_customer_appends_and_stamps(
    client: TestClient, clock: Any
) -> None:
    clock.advance(hours=1)
    body = {"account_id": 7, "customer_id": 99, "iban": "FI4950009420028730", "bic": "OKOYFIHH"}
    response = client.post("/api/customers/1/accounts", json=body)
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON
    account = response.json()
    account_fields = [f.encode_name for f in msgspec.structs.fields(CustomerAccount)]
    assert account == dict.fromkeys(account_fields) | {
        "account_id": 41,  # after the largest stored account id, 40
        "customer_id": 1,
        "iban": "FI4950009420028730",
        "bic": "OKOYFIHH",
    }
    stored = client.get("/api/customers/1").json()
    assert [a["account_id"] for a in stored["accounts"]] == [40, 41]
    assert stored["accounts"][1] == account
    assert stored["modified"] == "2025-07-01T13:00:00Z"
    assert stored["created"] == "2021-01-01T00:00:00Z"
    second = client.post("/api/customers/3/accounts", json={"iban": "FI1"}).json()
    assert (second["account_id"], second["customer_id"]) == (42, 3)
    assert _all(client, modified_after="2025-07-01T12:59:59Z") == [1, 3]


def test_post_account_to_an_absent_customer_is_404_and_changes_nothing(
    client: TestClient,
) -> None:
    before = _state(client)
    response = client.post("/api/customers/4/accounts", json={"iban": "FI1"})
    assert response.status_code == 404
    assert response.json() == {"Message": "Customer 4 was not found."}
    assert _state(client) == before
    # and no account id was used up
    assert client.post("/api/customers/1/accounts", json={}).json()["account_id"] == 41


JSON_HEADER = {"content-type": "application/json"}
REJECTED_WRITES: list[tuple[str, str, dict[str, Any]]] = [
    ("POST", "/api/customers", {"json": {"name": "X"}}),
    ("POST", "/api/customers", {"json": {"name": "X", "email": "x", "group": 2**31}}),
    ("POST", "/api/customers", {"json": {"name": "X", "email": "x", "contacts": [{}]}}),
    ("POST", "/api/customers", {"content": b'{"name": "X", "email": ', "headers": JSON_HEADER}),
    ("POST", "/api/customers", {"content": b"{}", "headers": {"content-type": "text/plain"}}),
    ("POST", "/api/customers", {"json": {"name": "X", "email": "x", "note": "a" * 2**20}}),
    ("PUT", "/api/customers/1", {"json": {"name": "X", "email": "x", "is_customer": "yes"}}),
    ("PUT", "/api/customers/1", {"json": {"email": "x"}}),
    ("PUT", "/api/customers/2147483648", {"json": {"name": "X", "email": "x"}}),
    ("PUT", "/api/customers/4", {"json": {"name": "X", "email": "x"}}),
    ("POST", "/api/customers/1/accounts", {"json": {"iban": 5}}),
    ("POST", "/api/customers/1/accounts", {"json": [{"iban": "FI1"}]}),
    ("POST", "/api/customers/4/accounts", {"json": {"iban": "FI1"}}),
    ("POST", "/api/customers/x/accounts", {"json": {"iban": "FI1"}}),
    ("DELETE", "/api/customers/1", {}),
]


def test_rejected_writes_change_nothing(client: TestClient, clock: Any) -> None:
    before = _state(client)
    for method, path, options in REJECTED_WRITES:
        response = client.request(method, path, **options)
        assert 400 <= response.status_code < 500, (method, path, response.text)
        clock.advance(seconds=1)
    assert _state(client) == before
    # no id, number or account id was used up by a rejected write
    created = client.post("/api/customers", json={"name": "N", "email": "n@n.fi"}).json()
    assert (created["id"], created["number"]) == (22, 2002)
    assert client.post("/api/customers/1/accounts", json={}).json()["account_id"] == 41


def _login(client: TestClient, database: str) -> dict[str, str]:
    body = {"UserName": "u", "Password": "p", "Database": database, "ApiKey": "k"}
    response = client.post("/api/auth/login", json=body)
    assert response.status_code == 200
    return {"Session-Id": response.json()["session_id"]}


def test_writes_stay_in_their_tenant(client: TestClient) -> None:
    tenant_a, tenant_b = _login(client, "A"), _login(client, "B")
    untouched = _state(client)
    assert _state(client, tenant_b) == untouched
    created = client.post(
        "/api/customers", json={"name": "Vain A", "email": "a@a.fi"}, headers=tenant_a
    ).json()
    assert created["id"] == 22
    client.put("/api/customers/1", json={"name": "A:n nimi", "email": "a"}, headers=tenant_a)
    client.post("/api/customers/2/accounts", json={"iban": "FI1"}, headers=tenant_a)
    assert _all(client, name="vain a") == []
    assert _ids(client.get("/api/customers", params={"name": "vain a"}, headers=tenant_a)) == [22]
    assert _state(client) == untouched
    assert _state(client, tenant_b) == untouched
    assert client.get("/api/customers/22", headers=tenant_b).status_code == 404
    assert client.get("/api/customers/1", headers=tenant_a).json()["name"] == "A:n nimi"
    # tenant B numbers its own records from the start
    in_b = client.post("/api/customers", json={"name": "B", "email": "b"}, headers=tenant_b)
    assert in_b.json()["id"] == 22
    assert client.get("/api/customers/22", headers=tenant_a).json()["name"] == "Vain A"


def test_the_same_database_shares_one_tenant(client: TestClient) -> None:
    first, second = _login(client, "A"), _login(client, "A")
    assert first != second
    client.post("/api/customers", json={"name": "Jaettu", "email": "j"}, headers=first)
    response = client.get("/api/customers", params={"name": "jaettu"}, headers=second)
    assert _ids(response) == [22]
