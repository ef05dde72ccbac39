"""Errors in the ASP.NET Web API shape (400, 404, 405, 413, 415), and routing: the base
path, case-insensitive API paths and the trailing slash."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver.models import Customer, Invoice

JSON = "application/json; charset=utf-8"
INVALID = "The request is invalid."
MIB = 1024 * 1024
TOO_LARGE = {"Message": "The request body is larger than 1048576 bytes."}


def _records() -> tuple[list[Customer], list[Invoice]]:
    customers = [Customer(id=i, number=100 + i, name=f"C{i}", email="e") for i in (1, 2)]
    invoices = [Invoice(id=1, number=1, date=datetime(2024, 1, 1, tzinfo=UTC))]
    return customers, invoices


@pytest.fixture
def client(make_client: Any) -> TestClient:
    result: TestClient = make_client(*_records())
    return result


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == JSON
    body: dict[str, Any] = response.json()
    return body


def _invalid(field: str, message: str) -> dict[str, Any]:
    return {"Message": INVALID, "ModelState": {field: [message]}}


# --- request bodies -------------------------------------------------------------------------

VALID = {"name": "N", "email": "e@e.fi"}

# The bodies as sent, byte for byte: Json.NET's messages give the line and position.
HEAD = '{"name": "N", "email": "e@e.fi", '  # 33 characters: a value after it starts at 34
CONTACT = "System.Collections.Generic.List`1[CustomerContact]"
ARRAY_INTO_OBJECT = (
    "Cannot deserialize the current JSON array (e.g. [1,2,3]) into type '{}' because the "
    'type requires a JSON object (e.g. {{"name":"value"}}) to deserialize correctly.\r\n'
    'To fix this error either change the JSON to a JSON object (e.g. {{"name":"value"}}) or '
    "change the deserialized type to an array or a type that implements a collection "
    "interface (e.g. ICollection, IList) like List<T> that can be deserialized from a JSON "
    "array. JsonArrayAttribute can also be added to the type to force it to deserialize "
    "from a JSON array.\r\nPath '{}', line 1, position {}."
)
OBJECT_INTO_LIST = (
    'Cannot deserialize the current JSON object (e.g. {{"name":"value"}}) into type '
    "'{}' because the type requires a JSON array (e.g. [1,2,3]) to deserialize "
    "correctly.\r\nTo fix this error either change the JSON to a JSON array (e.g. [1,2,3]) "
    "or change the deserialized type so that it is a normal .NET type (e.g. not a primitive "
    "type like integer, not a collection type like array or List<T>) that can be "
    "deserialized from a JSON object. JsonObjectAttribute can also be added to the type to "
    "force it to deserialize from a JSON object.\r\nPath '{}', line 1, position {}."
)
NULLABLE_INT = "System.Nullable`1[System.Int32]"

BODY_CASES: list[tuple[str, str, str, dict[str, Any]]] = [
    # a value of the wrong type, at any depth: Json.NET's words, path, line and position
    ("POST", "/api/customers", '{"name": 5, "email": "e@e.fi"}',
     _invalid("customer.name", "Error converting value 5 to type 'System.String'. "
                               "Path 'name', line 1, position 10.")),
    ("POST", "/api/customers", HEAD + '"group": "1"}',
     _invalid("customer.group", f"Error converting value \"1\" to type '{NULLABLE_INT}'. "
                                "Path 'group', line 1, position 45.")),
    ("POST", "/api/customers", HEAD + '"group": "abc"}',
     _invalid("customer.group", "Could not convert string to integer: abc. "
                                "Path 'group', line 1, position 47.")),
    ("POST", "/api/customers", HEAD + '"group": true}',
     _invalid("customer.group", "Unexpected character encountered while parsing value: t. "
                                "Path 'group', line 1, position 43.")),
    ("POST", "/api/customers", HEAD + '"group": 3.5}',
     _invalid("customer.group", "Input string '3.5' is not a valid integer. "
                                "Path 'group', line 1, position 45.")),
    ("POST", "/api/customers", HEAD + '"is_customer": 1}',
     _invalid("customer.is_customer",
              "Error converting value 1 to type 'System.Nullable`1[System.Boolean]'. "
              "Path 'is_customer', line 1, position 49.")),
    ("POST", "/api/customers", HEAD + '"is_customer": "yes"}',
     _invalid("customer.is_customer", "Could not convert string to boolean: yes. "
                                      "Path 'is_customer', line 1, position 53.")),
    ("POST", "/api/customers", HEAD + '"created": "yesterday"}',
     _invalid("customer.created", "Could not convert string to DateTime: yesterday. "
                                  "Path 'created', line 1, position 55.")),
    ("POST", "/api/customers", HEAD + '"created": 20240101}',
     _invalid("customer.created", "Unexpected character encountered while parsing value: 2. "
                                  "Path 'created', line 1, position 45.")),
    ("POST", "/api/customers", HEAD + '"contacts": {}}',
     _invalid("customer.contacts", OBJECT_INTO_LIST.format(CONTACT, "contacts", 47))),
    ("POST", "/api/customers", HEAD + '"contacts": {"name": "x"}}',
     _invalid("customer.contacts", OBJECT_INTO_LIST.format(CONTACT, "contacts.name", 53))),
    ("POST", "/api/customers", HEAD + '"contacts": [{"customer_id": 1, "email": 7}]}',
     _invalid("customer.contacts[0].email", "Error converting value 7 to type 'System.String'. "
                                            "Path 'contacts[0].email', line 1, position 75.")),
    ("POST", "/api/customers", HEAD + '"contacts": [5]}',
     _invalid("customer.contacts[0]", "Error converting value 5 to type 'CustomerContact'. "
                                      "Path 'contacts[0]', line 1, position 47.")),
    ("POST", "/api/customers", HEAD + '"dimension": {"Area_code": "x"}}',
     _invalid("customer.dimension.Area_code", "Could not convert string to integer: x. "
                                              "Path 'dimension.Area_code', line 1, "
                                              "position 63.")),
    ("POST", "/api/customers", HEAD + '"dimension": [1]}',
     _invalid("customer.dimension", ARRAY_INTO_OBJECT.format("CustomerDimension", "dimension",
                                                             47))),
    ("PUT", "/api/customers/1", HEAD + '"interest": "high"}',
     _invalid("customer.interest", "Could not convert string to double: high. "
                                   "Path 'interest', line 1, position 51.")),
    ("PUT", "/api/customers/1", HEAD + '"interest": {}}',
     _invalid("customer.interest", "Unexpected character encountered while parsing value: {. "
                                   "Path 'interest', line 1, position 46.")),
    ("POST", "/api/customers/1/accounts", '{"iban": 5}',
     _invalid("account.iban", "Error converting value 5 to type 'System.String'. "
                              "Path 'iban', line 1, position 10.")),
    ("POST", "/api/customers", HEAD + '"attributes": [{"id": null, "selected": true}]}',
     _invalid("customer.attributes[0].id", "Error converting value {null} to type "
                                           "'System.Int32'. Path 'attributes[0].id', line 1, "
                                           "position 59.")),
    # the key as sent is in Json.NET's path; the ModelState key is the model's name
    ("POST", "/api/customers", '{"name": "N",\n "email": "e",\n "Group": "x"}',
     _invalid("customer.group", "Could not convert string to integer: x. "
                                "Path 'Group', line 3, position 13.")),
    # an integer outside int32 (Json.NET) or outside a narrower range (ASP.NET's [Range])
    ("POST", "/api/customers", HEAD + '"group": 2147483648}',
     _invalid("customer.group", "JSON integer 2147483648 is too large or small for an Int32. "
                                "Path 'group', line 1, position 52.")),
    ("POST", "/api/customers", HEAD + '"type": -2147483649}',
     _invalid("customer.type", "JSON integer -2147483649 is too large or small for an Int32. "
                               "Path 'type', line 1, position 52.")),
    ("POST", "/api/customers/1/accounts", '{"account_id": 2147483648}',
     _invalid("account.account_id", "JSON integer 2147483648 is too large or small for an "
                                    "Int32. Path 'account_id', line 1, position 25.")),
    ("POST", "/api/customers",
     HEAD + '"agreements": [{"products": [{"product_type": 1099511627776}]}]}',
     _invalid("customer.agreements[0].products[0].product_type",
              "JSON integer 1099511627776 is too large or small for an Int32. "
              "Path 'agreements[0].products[0].product_type', line 1, position 92.")),
    ("POST", "/api/customers", HEAD + '"circulations": [{"circulation_type": 2}]}',
     _invalid("customer.circulations[0].circulation_type",
              "The field circulation_type must be between 0 and 1.")),
    # a required field missing, null, empty or blank, at any depth: ASP.NET's [Required]
    ("POST", "/api/customers", '{"email": "e"}',
     _invalid("customer.name", "The name field is required.")),
    ("PUT", "/api/customers/1", '{"name": "N"}',
     _invalid("customer.email", "The email field is required.")),
    ("POST", "/api/customers", '{"name": null, "email": "e"}',
     _invalid("customer.name", "The name field is required.")),
    ("POST", "/api/customers", '{"name": " \\t\\u3000", "email": "e"}',
     _invalid("customer.name", "The name field is required.")),
    ("PUT", "/api/customers/1", '{"name": "N", "email": ""}',
     _invalid("customer.email", "The email field is required.")),
    ("POST", "/api/customers", HEAD + '"contacts": [{"customer_id": 1}, {"name": "x"}]}',
     _invalid("customer.contacts[1].customer_id", "The customer_id field is required.")),
    ("POST", "/api/customers", HEAD + '"attributes": [{"id": 1}]}',
     _invalid("customer.attributes[0].selected", "The selected field is required.")),
    ("POST", "/api/customers",
     HEAD + '"contacts": [{"customer_id": 1, "attributes": [{"selected": true}]}]}',
     _invalid("customer.contacts[0].attributes[0].id", "The id field is required.")),
    # not an object
    ("POST", "/api/customers", '[{"name": "N", "email": "e"}]',
     _invalid("customer", ARRAY_INTO_OBJECT.format("Customer", "", 1))),
    ("POST", "/api/customers", "1.5",
     _invalid("customer", "Error converting value 1.5 to type 'Customer'. "
                          "Path '', line 1, position 3.")),
    ("POST", "/api/customers/1/accounts", '"FI1"',
     _invalid("account", "Error converting value \"FI1\" to type 'CustomerAccount'. "
                         "Path '', line 1, position 5.")),
    ("POST", "/api/customers", "null", _invalid("customer", "The customer field is required.")),
    ("POST", "/api/customers", " \r\n", _invalid("customer", "The customer field is required.")),
]  # fmt: skip


@pytest.mark.parametrize(("method", "path", "body", "expected"), BODY_CASES)
def test_an_invalid_body_is_400_naming_the_field_path_in_the_real_servers_words(
    client: TestClient, method: str, path: str, body: str, expected: dict[str, Any]
) -> None:
    before = client.get("/api/customers").json()
    response = client.request(
        method, path, content=body.encode(), headers={"content-type": "application/json"}
    )
    assert _error(response, 400) == expected
    assert client.get("/api/customers").json() == before


def test_every_missing_or_blank_required_field_is_named(client: TestClient) -> None:
    """ASP.NET validates the whole body: each required field gets its own entry."""
    response = client.post(
        "/api/customers",
        content=b'{"name": "   ", "email": ""}',
        headers={"content-type": "application/json"},
    )
    assert _error(response, 400) == {
        "Message": INVALID,
        "ModelState": {
            "customer.name": ["The name field is required."],
            "customer.email": ["The email field is required."],
        },
    }
    assert client.get("/api/customers").json()["result_count"] == 2


def test_a_valid_body_with_unknown_fields_and_odd_key_case_is_accepted(
    client: TestClient,
) -> None:
    body = {"NAME": "Iso", "Email": "e", "Group": 3, "whatever": {"deep": [1]}}
    created = client.post("/api/customers", json=body).json()
    assert (created["name"], created["email"], created["group"]) == ("Iso", "e", 3)


def test_int32_bounds_are_accepted(client: TestClient) -> None:
    body = VALID | {"group": 2**31 - 1, "type": -(2**31)}
    created = client.post("/api/customers", json=body).json()
    assert (created["group"], created["type"]) == (2**31 - 1, -(2**31))


MALFORMED: list[tuple[bytes, str]] = [
    (b"{", "Unexpected end when deserializing object. Path '', line 1, position 1."),
    (b'{"name": "N", "email": }',
     "Unexpected character encountered while parsing value: }. Path 'email', line 1, "
     "position 24."),
    (b'{"name": "N", "email": "e"', "Unexpected end when deserializing object. "
                                    "Path 'email', line 1, position 26."),
    (b'{"name": "N', "Unterminated string. Expected delimiter: \". Path 'name', line 1, "
                     "position 11."),
    (b"nul", "Unexpected end when reading JSON. Path '', line 1, position 3."),
    (b'{"name": "N"} x', "Additional text encountered after finished reading JSON content: x. "
                         "Path '', line 1, position 14."),
    (b'{"name" "N"}', "Invalid character after parsing property name. Expected ':' but got: \". "
                      "Path 'name', line 1, position 8."),
    (b'{"name": "N" "email": "e"}', "After parsing a value an unexpected character was "
                                    "encountered: \". Path 'name', line 1, position 13."),
    (b'{name: "N"}', "Invalid property identifier character: n. Path '', line 1, position 1."),
    (b'{"name": "N\\q"}', "Bad JSON escape sequence: \\q. Path 'name', line 1, position 13."),
    (b'{"name": "N",\r\n "group": 1e}', "Input string '1e' is not a valid number. "
                                       "Path 'group', line 2, position 12."),
    (b"[" * 100_000, "The reader's MaxDepth of 256 has been exceeded. Path '"
                     + "[0]" * 256 + "', line 1, position 257."),
    (b"[" * 100_000 + b"]" * 100_000, "The reader's MaxDepth of 256 has been exceeded. Path '"
                                      + "[0]" * 256 + "', line 1, position 257."),
    (b'{"x": ' + b"[" * 257 + b"]" * 257 + b', "name": "N", "email": "e"}',
     "The reader's MaxDepth of 256 has been exceeded. Path 'x" + "[0]" * 255 + "', line 1, "
     "position 262."),
    (b'{"name": "\xff\xfe", "email": "e"}',
     "Unable to translate bytes [FF] at index 10 from specified code page to Unicode."),
    (b'{"name": "N", "email": "e\xe2\x82"}',
     "Unable to translate bytes [E2][82] at index 25 from specified code page to Unicode."),
]  # fmt: skip


@pytest.mark.parametrize(("raw", "message"), MALFORMED)
def test_a_body_that_is_not_json_it_can_read_is_400_in_json_nets_words(
    client: TestClient, raw: bytes, message: str
) -> None:
    response = client.post(
        "/api/customers", content=raw, headers={"content-type": "application/json"}
    )
    assert _error(response, 400) == _invalid("customer", message)


def test_nesting_up_to_the_max_depth_is_read(client: TestClient) -> None:
    body = b'{"x": ' + b"[" * 255 + b"]" * 255 + b', "name": "N", "email": "e"}'
    response = client.post(
        "/api/customers", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200, response.text


BODY_ROUTES = [
    ("POST", "/api/customers"),
    ("PUT", "/api/customers/1"),
    ("POST", "/api/customers/1/accounts"),
    ("POST", "/api/auth/login"),
    ("POST", "/api/auth/login/token"),
    ("POST", "/api/auth/renew"),
]


@pytest.mark.parametrize(
    ("content_type", "shown"),
    [("text/plain", "text/plain"), ("application/xml", "application/xml"),
     ("application/x-www-form-urlencoded", "application/x-www-form-urlencoded"),
     ("multipart/form-data; boundary=x", "multipart/form-data"), (None, "(none)")],
)  # fmt: skip
def test_a_non_json_content_type_is_415(
    client: TestClient, content_type: str | None, shown: str
) -> None:
    headers = {} if content_type is None else {"content-type": content_type}
    for method, path in BODY_ROUTES:
        response = client.request(
            method, path, content=b'{"name":"N","email":"e"}', headers=headers
        )
        assert _error(response, 415) == {
            "Message": f"The request entity's media type '{shown}' is not supported "
            "for this resource."
        }


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "text/json",
     "application/merge-patch+json"],
)  # fmt: skip
def test_json_content_types_are_accepted(client: TestClient, content_type: str) -> None:
    response = client.post(
        "/api/customers",
        content=b'{"name":"N","email":"e"}',
        headers={"content-type": content_type},
    )
    assert response.status_code == 200


def _padded(size: int) -> bytes:
    """A valid customer body of exactly ``size`` bytes."""
    head, tail = b'{"name":"N","email":"e","note":"', b'"}'
    return head + b"a" * (size - len(head) - len(tail)) + tail


def test_a_body_of_exactly_1_mib_is_accepted(client: TestClient) -> None:
    response = client.post(
        "/api/customers", content=_padded(MIB), headers={"content-type": "application/json"}
    )
    assert response.status_code == 200


def test_a_body_over_1_mib_is_413(client: TestClient) -> None:
    response = client.post(
        "/api/customers", content=_padded(MIB + 1), headers={"content-type": "application/json"}
    )
    assert _error(response, 413) == TOO_LARGE


def test_a_streamed_body_over_1_mib_is_413(client: TestClient) -> None:
    """No Content-Length (chunked): the size is counted as the body arrives."""

    def chunks() -> Iterator[bytes]:
        body = _padded(MIB + 1)
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    response = client.post(
        "/api/customers", content=chunks(), headers={"content-type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert _error(response, 413) == TOO_LARGE
    assert client.get("/api/customers").json()["result_count"] == 2


def test_a_declared_length_over_1_mib_is_413_before_reading(client: TestClient) -> None:
    for path in ("/api/customers/1/accounts", "/api/auth/login"):
        response = client.post(
            path, content=_padded(2 * MIB), headers={"content-type": "application/json"}
        )
        assert _error(response, 413) == TOO_LARGE


# --- path ids and routes --------------------------------------------------------------------


@pytest.mark.parametrize(
    "sent", ["abc", "2147483648", "-2147483649", "1.0", "1e3", "0x1", "%D9%A3", "1%202"]
)
@pytest.mark.parametrize(
    ("method", "template", "body"),
    [("GET", "/api/customers/{}", None), ("PUT", "/api/customers/{}", VALID),
     ("POST", "/api/customers/{}/accounts", {})],
)  # fmt: skip
def test_a_customer_id_that_is_not_int32_is_400(
    client: TestClient, method: str, template: str, body: Any, sent: str
) -> None:
    from urllib.parse import unquote

    response = client.request(method, template.format(sent), json=body)
    value = unquote(sent)
    assert _error(response, 400) == _invalid(
        "customer_id", f"The value '{value}' is not valid for customer_id."
    )


@pytest.mark.parametrize("sent", ["0", "-1", "2147483647", "-2147483648", "3", "+3", "03"])
def test_an_absent_int32_customer_id_is_404(client: TestClient, sent: str) -> None:
    number = int(sent)
    for method, path, body in (("GET", f"/api/customers/{sent}", None),
                               ("PUT", f"/api/customers/{sent}", VALID),
                               ("POST", f"/api/customers/{sent}/accounts", {})):  # fmt: skip
        response = client.request(method, path, json=body)
        assert _error(response, 404) == {"Message": f"Customer {number} was not found."}


def test_leading_zeros_and_sign_name_the_same_customer(client: TestClient) -> None:
    assert client.get("/api/customers/01").json()["id"] == 1
    assert client.get("/api/customers/+2").json()["id"] == 2
    assert client.get("/api/invoices/0001").json()["id"] == 1


@pytest.mark.parametrize(
    "path",
    ["/api", "/api/", "/api/nothing", "/api/customers/1/nonsense", "/api/customers/1/2",
     "/customers", "/api/invoices/1/rows", "/api/auth", "/api/customers/1/accounts/2/3"],
)  # fmt: skip
def test_an_unknown_route_is_404(client: TestClient, path: str) -> None:
    response = client.get(path)
    body = _error(response, 404)
    assert list(body) == ["Message"]
    assert body["Message"].startswith("No HTTP resource was found that matches the request URI")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [("DELETE", "/api/customers", {"GET", "POST"}),
     ("PUT", "/api/customers", {"GET", "POST"}),
     ("PATCH", "/api/customers/1", {"GET", "PUT"}),
     ("DELETE", "/api/customers/1", {"GET", "PUT"}),
     ("POST", "/api/customers/base", {"GET"}),
     ("GET", "/api/customers/1/accounts", {"POST"}),
     ("PATCH", "/api/invoices", {"GET", "POST", "PUT"}),
     ("PUT", "/api/invoices/1", {"DELETE", "GET"}),
     ("GET", "/api/auth/login", {"POST"}),
     ("GET", "/api/auth/login/token", {"POST"}),
     ("POST", "/api/auth/alive", {"GET"}),
     ("GET", "/api/auth/renew", {"POST"}),
     ("POST", "/health", {"GET"})],
)  # fmt: skip
def test_a_wrong_method_is_405(
    client: TestClient, method: str, path: str, allowed: set[str]
) -> None:
    response = client.request(method, path)
    assert _error(response, 405) == {
        "Message": f"The requested resource does not support http method '{method}'."
    }
    assert set(response.headers["allow"].split(", ")) - {"HEAD"} == allowed


def test_errors_never_use_the_default_plain_text(client: TestClient) -> None:
    for response in (client.get("/nope"), client.delete("/api/customers")):
        assert response.headers["content-type"] == JSON


# --- routing: case, trailing slash, base path ------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/api/customers", "/API/CUSTOMERS", "/Api/Customers/", "/api/customers//",
     "/api/Customers/Base", "/API/customers/base/"],
)  # fmt: skip
def test_api_paths_are_case_insensitive_and_ignore_a_trailing_slash(
    client: TestClient, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert response.json()["result_count"] == 2


def test_every_api_route_matches_in_any_case(client: TestClient) -> None:
    assert client.get("/API/Customers/1/").json()["id"] == 1
    assert client.get("/api/INVOICES/1").json()["id"] == 1
    assert client.get("/Api/Invoices/").json()["result_count"] == 1
    assert client.post("/API/CUSTOMERS/1/ACCOUNTS/", json={}).status_code == 200
    assert client.put("/api/customers/2/", json=VALID).json()["name"] == "N"
    login = {"UserName": "u", "Password": "p", "Database": "d", "ApiKey": "k"}
    session = client.post("/API/Auth/Login", json=login).json()["session_id"]
    assert client.post("/api/AUTH/login/TOKEN/", json=login).status_code == 200
    alive = client.get("/API/AUTH/ALIVE", headers={"Session-Id": session})
    assert alive.status_code == 200
    assert client.get("/health/").status_code == 200


@pytest.fixture
def based(make_client: Any) -> TestClient:
    result: TestClient = make_client(*_records(), base_path="/Lemonsoft30")
    return result


@pytest.mark.parametrize(
    "path",
    ["/Lemonsoft30/api/customers", "/lemonsoft30/API/customers", "/LEMONSOFT30/api/Customers/",
     "/Lemonsoft30/api/customers/base"],
)  # fmt: skip
def test_with_a_base_path_the_api_lives_under_it(based: TestClient, path: str) -> None:
    response = based.get(path)
    assert response.status_code == 200
    assert response.json()["result_count"] == 2


@pytest.mark.parametrize(
    "path",
    ["/api/customers", "/api/customers/1", "/api/invoices", "/Lemonsoft3/api/customers",
     "/Lemonsoft30x/api/customers", "/other/api/customers", "/Lemonsoft30"],
)  # fmt: skip
def test_with_a_base_path_the_api_is_nowhere_else(based: TestClient, path: str) -> None:
    _error(based.get(path), 404)


def test_with_a_base_path_every_route_works_under_it(based: TestClient) -> None:
    login = {"UserName": "u", "Password": "p", "Database": "d", "ApiKey": "k"}
    assert based.post("/api/auth/login", json=login).status_code == 404
    answer = based.post("/Lemonsoft30/api/auth/login", json=login)
    headers = {"Session-Id": answer.json()["session_id"]}
    assert based.get("/Lemonsoft30/api/auth/alive", headers=headers).status_code == 200
    assert based.get("/Lemonsoft30/api/customers/1", headers=headers).json()["id"] == 1
    assert based.get("/Lemonsoft30/api/invoices/1", headers=headers).json()["id"] == 1
    created = based.post("/Lemonsoft30/api/customers", json=VALID, headers=headers)
    assert created.json()["id"] == 3
    assert based.get("/Lemonsoft30/api/customers/x").json() == _invalid(
        "customer_id", "The value 'x' is not valid for customer_id."
    )
    assert based.delete("/Lemonsoft30/api/customers/1").status_code == 405


@pytest.mark.parametrize("prefix", ["", "/Lemonsoft30"])
def test_with_a_base_path_service_routes_answer_at_the_root_and_under_it(
    based: TestClient, prefix: str
) -> None:
    health = based.get(f"{prefix}/health")
    assert health.status_code == 200
    assert health.headers["content-type"] == JSON
    assert health.json()["status"] == "ok"
    based.post("/Lemonsoft30/api/customers", json=VALID)
    reset = based.post(f"{prefix}/_mock/reset")
    assert reset.status_code == 200
    assert based.get("/Lemonsoft30/api/customers").json()["result_count"] == 2
