"""ASP.NET query binding as CONTRACT.md states it, through ``GET /api/customers``: the
optional ``filter.`` prefix, case-insensitive names, array forms, first value wins, empty
means absent, and a 400 naming the parameter as sent for a value that does not bind."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from mockserver.binding import parse_query
from mockserver.models import Customer, CustomerAttribute

JSON = "application/json; charset=utf-8"
INVALID = "The request is invalid."


@pytest.fixture
def client(make_client: Any) -> TestClient:
    """Customers 1..12: number 100 + id, name "Yritys <id>", group id % 3, attribute id % 4."""
    customers = [
        Customer(
            id=i,
            number=100 + i,
            name=f"Yritys {i}",
            email=f"y{i}@example.fi",
            group=i % 3,
            attributes=[CustomerAttribute(id=i % 4, selected=True)],
        )
        for i in range(1, 13)
    ]
    result: TestClient = make_client(customers)
    return result


def _ids(client: TestClient, query: str) -> list[int]:
    response = client.get(f"/api/customers?{query}")
    assert response.status_code == 200, response.text
    body = response.json()
    ids = [record["id"] for record in body["results"]]
    assert body["result_count"] == len(ids)
    return ids


FIRST_PAGE = list(range(1, 11))

BINDING_CASES: list[tuple[str, list[int]]] = [
    # prefix optional, names case-insensitive
    ("page_size=2", [1, 2]),
    ("filter.page_size=2", [1, 2]),
    ("FILTER.PAGE_SIZE=2", [1, 2]),
    ("Filter.Page_Size=2", [1, 2]),
    ("PaGe_SiZe=2", [1, 2]),
    ("filter.page=2&filter.page_size=5", [6, 7, 8, 9, 10]),
    ("filter.name=yritys%201", [1, 10, 11, 12]),
    ("NAME=YRITYS%201", [1, 10, 11, 12]),
    # a prefixed key present: unprefixed keys are ignored, even values that would not bind
    ("filter.page_size=2&page_size=5", [1, 2]),
    ("filter.page_size=2&group=1", [1, 2]),
    ("filter.group=1&page=abc&page_size=x", [1, 4, 7, 10]),
    ("page_size=5&filter.group=1", [1, 4, 7, 10]),
    ("filter.unknown=1&page_size=2", FIRST_PAGE),
    # a repeated scalar: the first value wins
    ("page_size=2&page_size=5", [1, 2]),
    ("group=1&group=2", [1, 4, 7, 10]),
    ("group=2&GROUP=1", [2, 5, 8, 11]),
    ("page_size=3&page_size=abc", [1, 2, 3]),
    # an empty value counts as absent
    ("page=", FIRST_PAGE),
    ("page_size=&page=2", [11, 12]),
    ("name=", FIRST_PAGE),
    ("filter.group=", FIRST_PAGE),
    ("customer_number=", FIRST_PAGE),
    ("created_after=&has_email=", FIRST_PAGE),
    # arrays: repeated keys, k[]=, k[0]=..k[n]= up to the first gap
    ("customer_number=103&customer_number=111", [3, 11]),
    ("customer_number[]=103&customer_number[]=111", [3, 11]),
    ("customer_number%5B%5D=103&customer_number%5B%5D=111", [3, 11]),
    ("customer_number[0]=103&customer_number[1]=111", [3, 11]),
    ("customer_number[1]=111&customer_number[0]=103", [3, 11]),
    ("customer_number%5B0%5D=103&customer_number%5B1%5D=111", [3, 11]),
    ("customer_number[0]=103&customer_number[2]=111", [3]),
    ("customer_number[0]=103&customer_number[1]=104&customer_number[3]=x", [3, 4]),
    ("customer_number[1]=111", FIRST_PAGE),
    ("filter.customer_number=103&filter.customer_number=111", [3, 11]),
    ("filter.customer_number[]=103&filter.customer_number[]=111", [3, 11]),
    ("Filter.Customer_Number[0]=103&FILTER.CUSTOMER_NUMBER[1]=111", [3, 11]),
    ("filter.customer_number=103&customer_number=111", [3]),
    ("CUSTOMER_NUMBER=103&Customer_Number=111", [3, 11]),
    ("object_ids[]=12&object_ids[]=2&object_ids[]=99", [2, 12]),
    ("object_ids[0]=12&object_ids[1]=2", [2, 12]),
    ("attribute_ids=1&attribute_ids=3", [1, 3, 5, 7, 9, 11]),
    ("attribute_ids[]=0", [4, 8, 12]),
    ("attribute_ids[0]=2&attribute_ids[1]=0", [2, 4, 6, 8, 10, 12]),
    # integers: sign, leading zeros and surrounding spaces as .NET's int parse allows
    ("page_size=%2B2", [1, 2]),
    ("page_size=002", [1, 2]),
    ("page_size=%202%20", [1, 2]),
    ("group=-0", [3, 6, 9, 12]),
    ("group=2147483647", []),
    ("group=-2147483648", []),
    # unknown keys are ignored
    ("foo=bar&page_size=2", [1, 2]),
    ("filter=1&page_size=2", [1, 2]),
]


@pytest.mark.parametrize(("query", "expected"), BINDING_CASES)
def test_query_binding(client: TestClient, query: str, expected: list[int]) -> None:
    assert _ids(client, query) == expected


def _error(client: TestClient, query: str) -> dict[str, list[str]]:
    response = client.get(f"/api/customers?{query}")
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == JSON
    body = response.json()
    assert list(body) == ["Message", "ModelState"]
    assert body["Message"] == INVALID
    model_state: dict[str, list[str]] = body["ModelState"]
    return model_state


def _not_integer(value: str) -> list[str]:
    return [f"The value '{value}' is not a valid integer."]


def _out_of_range(value: str) -> list[str]:
    return [f"The value '{value}' is outside the range of a 32-bit integer."]


def _not_date(value: str) -> list[str]:
    return [f"The value '{value}' is not a valid ISO 8601 date-time."]


def _at_least_one(value: str, name: str) -> list[str]:
    return [f"The value '{value}' is not valid for {name}: it must be 1 or more."]


def _flag(value: str, name: str) -> list[str]:
    return [f"The value '{value}' is not valid for {name}: use 0 or 1."]


ERROR_CASES: list[tuple[str, dict[str, list[str]]]] = [
    ("page=abc", {"page": _not_integer("abc")}),
    ("filter.page=abc", {"filter.page": _not_integer("abc")}),
    ("FILTER.Page=abc", {"FILTER.Page": _not_integer("abc")}),
    ("Page_Size=1.5", {"Page_Size": _not_integer("1.5")}),
    ("group=1e3", {"group": _not_integer("1e3")}),
    ("type=0x10", {"type": _not_integer("0x10")}),
    ("group=%D9%A3", {"group": _not_integer("٣")}),  # a digit, but not an ASCII one
    ("group=1%202", {"group": _not_integer("1 2")}),
    ("group=2147483648", {"group": _out_of_range("2147483648")}),
    ("group=-2147483649", {"group": _out_of_range("-2147483649")}),
    ("page=99999999999999999999", {"page": _out_of_range("99999999999999999999")}),
    ("customer_number=1&customer_number=x", {"customer_number": _not_integer("x")}),
    ("customer_number[]=2147483648", {"customer_number[]": _out_of_range("2147483648")}),
    ("customer_number[0]=1&customer_number[1]=y", {"customer_number[1]": _not_integer("y")}),
    ("filter.object_ids=z", {"filter.object_ids": _not_integer("z")}),
    ("attribute_ids=--1", {"attribute_ids": _not_integer("--1")}),
    ("created_after=2024-13-01", {"created_after": _not_date("2024-13-01")}),
    ("created_before=yesterday", {"created_before": _not_date("yesterday")}),
    ("modified_after=2024-02-30T00:00:00Z", {"modified_after": _not_date("2024-02-30T00:00:00Z")}),
    ("modified_before=2024-01-01T25:00", {"modified_before": _not_date("2024-01-01T25:00")}),
    ("updated_after=1", {"updated_after": _not_date("1")}),
    ("filter.updated_before=2024-01-01T00:00:00%2B25:00",
     {"filter.updated_before": _not_date("2024-01-01T00:00:00+25:00")}),
    ("created_after=0001-01-01T00:00:00%2B01:00",
     {"created_after": _not_date("0001-01-01T00:00:00+01:00")}),
    ("created_before=9999-12-31T23:59:59-01:00",
     {"created_before": _not_date("9999-12-31T23:59:59-01:00")}),
    ("page=0", {"page": _at_least_one("0", "page")}),
    ("page=-1", {"page": _at_least_one("-1", "page")}),
    ("page_size=0", {"page_size": _at_least_one("0", "page_size")}),
    ("filter.page_size=-5", {"filter.page_size": _at_least_one("-5", "page_size")}),
    ("has_email=2", {"has_email": _flag("2", "has_email")}),
    ("is_customer=-1", {"is_customer": _flag("-1", "is_customer")}),
    ("IS_SUPPLIER=10", {"IS_SUPPLIER": _flag("10", "is_supplier")}),
    ("has_email=x", {"has_email": _not_integer("x")}),
    # every offending parameter is named
    ("page=0&group=x&created_after=nope",
     {"page": _at_least_one("0", "page"), "group": _not_integer("x"),
      "created_after": _not_date("nope")}),
]  # fmt: skip


@pytest.mark.parametrize(("query", "model_state"), ERROR_CASES)
def test_a_value_that_does_not_bind_is_400_naming_the_parameter(
    client: TestClient, query: str, model_state: dict[str, list[str]]
) -> None:
    assert _error(client, query) == model_state


def test_base_binds_the_same_way(client: TestClient) -> None:
    response = client.get("/api/customers/base?FILTER.CUSTOMER_NUMBER[]=105&name=zzz")
    assert [record["id"] for record in response.json()["results"]] == [5]
    assert client.get("/api/customers/base?filter.page=0").json() == {
        "Message": INVALID,
        "ModelState": {"filter.page": _at_least_one("0", "page")},
    }


@pytest.mark.parametrize(
    "value",
    ["2024-05-01", "2024-05-01T00:00:00", "2024-05-01T00:00:00Z", "2024-05-01T00:00:00.000Z",
     "2024-05-01T03:00:00%2B03:00", "2024-04-30T22:00:00-02:00", "20240501"],
)  # fmt: skip
def test_iso_dates_bind_and_no_zone_means_utc(make_client: Any, value: str) -> None:
    """Each form names the very moment the only customer was created: neither strictly
    before nor strictly after it."""
    created = datetime(2024, 5, 1, tzinfo=UTC)
    client: TestClient = make_client([Customer(id=1, name="A", email="a", created=created)])
    assert _ids(client, f"created_after={value}") == []
    assert _ids(client, f"created_before={value}") == []
    assert _ids(client, "created_after=2024-04-30T23:59:59.999999Z") == [1]
    assert _ids(client, "created_before=2024-05-01T00:00:00.000001Z") == [1]


def test_non_ascii_query_values_are_utf8(make_client: Any) -> None:
    client: TestClient = make_client([Customer(id=1, name="Äänekosken Öljy", email="a")])
    assert _ids(client, "name=%C3%A4%C3%A4n") == [1]  # percent-encoded UTF-8
    assert _ids(client, "name=%C3%96LJY") == [1]
    assert _ids(client, "name=%E4%E4n") == []  # latin-1 bytes are not UTF-8 text


def _raw_query(asgi_get: Any, client: TestClient, query: bytes) -> list[int]:
    status, _, body = asgi_get(client.app, "/api/customers", query)
    assert status == 200
    return [record["id"] for record in json.loads(body)["results"]]


def test_unencoded_utf8_query_bytes_are_read_as_utf8(make_client: Any, asgi_get: Any) -> None:
    client: TestClient = make_client([Customer(id=1, name="Äänekosken Öljy", email="a")])
    assert _raw_query(asgi_get, client, "name=ään".encode()) == [1]
    assert _raw_query(asgi_get, client, "name=ÖLJY".encode()) == [1]
    assert _raw_query(asgi_get, client, b"name=\xe4\xe4n") == []


@given(
    st.lists(
        st.tuples(
            st.text(alphabet="abc.[]0=&%+ä;", max_size=6),
            st.text(alphabet="xyz=&%+20ö;", max_size=6),
        ),
        max_size=6,
    ).map(lambda pairs: "&".join(f"{k}={v}" if v else k for k, v in pairs))
)
def test_parse_query_splits_exactly_as_parse_qsl(query: str) -> None:
    assert parse_query(query) == parse_qsl(query, keep_blank_values=True)
    assert parse_query(query.encode()) == parse_qsl(query, keep_blank_values=True)
