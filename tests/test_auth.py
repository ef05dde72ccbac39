"""``/api/auth``: login (any key case), login/token, alive, renew, 30-minute sessions that
do not slide, and the three auth modes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from mockserver.models import Customer, Invoice

JSON = "application/json; charset=utf-8"
DENIED = {"Message": "Authorization has been denied for this request."}
INVALID = "The request is invalid."
LOGIN = {"UserName": "matti", "Password": "salasana", "Database": "DEMO", "ApiKey": "abc"}
SESSION_ID = re.compile(r"^[0-9a-f]{32}$")


def _app(make_client: Any, auth: str = "optional") -> TestClient:
    customers = [Customer(id=1, number=1001, name="Oy A", email="a@a.fi")]
    invoices = [
        Invoice(id=1, number=1, customer_number=1001, date=datetime(2024, 1, 1, tzinfo=UTC))
    ]
    client: TestClient = make_client(customers, invoices, auth=auth)
    return client


@pytest.fixture
def client(make_client: Any) -> TestClient:
    return _app(make_client)


def _session(client: TestClient, body: dict[str, Any] = LOGIN) -> str:
    response = client.post("/api/auth/login", json=body)
    assert response.status_code == 200, response.text
    session_id: str = response.json()["session_id"]
    return session_id


def _denied(response: Any) -> bool:
    return bool(
        response.status_code == 401
        and response.headers["content-type"] == JSON
        and response.json() == DENIED
    )


# --- login ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        LOGIN,
        {"username": "matti", "password": "salasana", "database": "DEMO", "apikey": "abc"},
        {"USERNAME": "matti", "PassWord": "salasana", "dataBASE": "DEMO", "apiKey": "abc"},
        LOGIN | {"Extra": 1},
    ],
)
@pytest.mark.parametrize("path", ["/api/auth/login", "/api/auth/login/token"])
def test_login_accepts_the_four_keys_in_any_case(
    client: TestClient, path: str, body: dict[str, Any]
) -> None:
    response = client.post(path, json=body)
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON
    answer = response.json()
    assert list(answer) == ["code", "message", "session_id"]
    assert (answer["code"], answer["message"]) == (200, "ok")
    assert SESSION_ID.match(answer["session_id"])


def test_each_login_gets_its_own_session(client: TestClient) -> None:
    sessions = {_session(client) for _ in range(5)}
    assert len(sessions) == 5


def test_login_ignores_a_session_header(make_client: Any) -> None:
    client = _app(make_client, auth="required")
    response = client.post("/api/auth/login", json=LOGIN, headers={"Session-Id": "nope"})
    assert response.status_code == 200


@pytest.mark.parametrize("field", ["UserName", "Password", "Database", "ApiKey"])
@pytest.mark.parametrize("path", ["/api/auth/login", "/api/auth/login/token"])
def test_login_without_a_field_is_400(client: TestClient, path: str, field: str) -> None:
    expected = {
        "Message": INVALID,
        "ModelState": {f"info.{field}": [f"The {field} field is required."]},
    }
    missing = {k: v for k, v in LOGIN.items() if k != field}
    for body in (missing, LOGIN | {field: ""}, LOGIN | {field: "  "}):
        response = client.post(path, json=body)
        assert response.status_code == 400
        assert response.headers["content-type"] == JSON
        assert response.json() == expected


def test_login_with_a_wrong_type_is_400(client: TestClient) -> None:
    body = b'{"UserName": "matti", "Password": 1234, "Database": "DEMO", "ApiKey": "abc"}'
    response = client.post(
        "/api/auth/login", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "Message": INVALID,
        "ModelState": {
            "info.Password": [
                "Error converting value 1234 to type 'System.String'. "
                "Path 'Password', line 1, position 38."
            ]
        },
    }


def test_login_body_must_be_json(client: TestClient) -> None:
    response = client.post("/api/auth/login", data=LOGIN)  # a form
    assert response.status_code == 415
    assert response.json() == {
        "Message": "The request entity's media type 'application/x-www-form-urlencoded' "
        "is not supported for this resource."
    }
    malformed = client.post(
        "/api/auth/login", content=b"{", headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 400
    assert list(malformed.json()["ModelState"]) == ["info"]


# --- sessions: alive, expiry, renew ----------------------------------------------------------


def test_alive_answers_for_a_live_session(client: TestClient) -> None:
    session_id = _session(client)
    response = client.get("/api/auth/alive", headers={"Session-Id": session_id})
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON
    assert response.json() == {"code": 200, "message": "ok", "session_id": session_id}


@pytest.mark.parametrize("auth", ["optional", "required"])
def test_alive_without_a_live_session_is_401(make_client: Any, auth: str) -> None:
    client = _app(make_client, auth=auth)
    assert _denied(client.get("/api/auth/alive"))
    assert _denied(client.get("/api/auth/alive", headers={"Session-Id": "0" * 32}))


def test_a_session_lives_30_minutes_from_login_and_does_not_slide(
    client: TestClient, clock: Any
) -> None:
    headers = {"Session-Id": _session(client)}
    clock.advance(minutes=29)
    assert client.get("/api/customers", headers=headers).status_code == 200
    assert client.get("/api/auth/alive", headers=headers).status_code == 200
    clock.advance(seconds=59)  # 29:59 after login; the requests at 29:00 did not extend it
    assert client.get("/api/customers", headers=headers).status_code == 200
    clock.advance(seconds=1)  # 30:00
    assert _denied(client.get("/api/customers", headers=headers))
    assert _denied(client.get("/api/auth/alive", headers=headers))


def test_renew_gives_another_full_30_minutes(client: TestClient, clock: Any) -> None:
    session_id = _session(client)
    headers = {"Session-Id": session_id}
    clock.advance(minutes=29)
    response = client.post("/api/auth/renew", json=LOGIN, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON
    assert response.json() == {"code": 200, "message": "ok", "session_id": session_id}
    clock.advance(minutes=29, seconds=59)  # 58:59 after login, 29:59 after the renew
    assert client.get("/api/auth/alive", headers=headers).status_code == 200
    clock.advance(seconds=1)
    assert _denied(client.get("/api/auth/alive", headers=headers))


def test_renew_accepts_lower_case_keys_and_validates_like_login(client: TestClient) -> None:
    headers = {"Session-Id": _session(client)}
    lower = {"username": "m", "password": "p", "database": "DEMO", "apikey": "k"}
    assert client.post("/api/auth/renew", json=lower, headers=headers).status_code == 200
    response = client.post("/api/auth/renew", json={"username": "m"}, headers=headers)
    assert response.status_code == 400
    # every missing field is named, in the model's order
    assert response.json() == {
        "Message": INVALID,
        "ModelState": {
            "info.Password": ["The Password field is required."],
            "info.Database": ["The Database field is required."],
            "info.ApiKey": ["The ApiKey field is required."],
        },
    }


def test_renew_of_an_expired_session_is_401(client: TestClient, clock: Any) -> None:
    headers = {"Session-Id": _session(client)}
    clock.advance(minutes=30)
    assert _denied(client.post("/api/auth/renew", json=LOGIN, headers=headers))


def test_renew_keeps_the_sessions_tenant(client: TestClient) -> None:
    headers = {"Session-Id": _session(client, LOGIN | {"Database": "A"})}
    client.post("/api/customers", json={"name": "Vain A", "email": "a"}, headers=headers)
    renewed = client.post("/api/auth/renew", json=LOGIN | {"Database": "B"}, headers=headers)
    assert renewed.status_code == 200
    listed = client.get("/api/customers", params={"name": "vain"}, headers=headers).json()
    assert [c["id"] for c in listed["results"]] == [2]


def test_renew_without_a_session_logs_in_when_auth_is_optional(client: TestClient) -> None:
    response = client.post("/api/auth/renew", json=LOGIN)
    assert response.status_code == 200
    session_id = response.json()["session_id"]
    assert client.get("/api/auth/alive", headers={"Session-Id": session_id}).status_code == 200


def test_sessions_of_one_login_expire_independently(client: TestClient, clock: Any) -> None:
    first = {"Session-Id": _session(client)}
    clock.advance(minutes=20)
    second = {"Session-Id": _session(client)}
    clock.advance(minutes=10)
    assert _denied(client.get("/api/auth/alive", headers=first))
    assert client.get("/api/auth/alive", headers=second).status_code == 200


# --- auth modes -----------------------------------------------------------------------------

PROTECTED: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/customers", None),
    ("POST", "/api/customers", {"name": "N", "email": "e"}),
    ("GET", "/api/customers/base", None),
    ("GET", "/api/customers/1", None),
    ("PUT", "/api/customers/1", {"name": "N", "email": "e"}),
    ("POST", "/api/customers/1/accounts", {"iban": "FI1"}),
    ("GET", "/api/invoices", None),
    ("GET", "/api/invoices/1", None),
    ("GET", "/api/auth/alive", None),
    ("POST", "/api/auth/renew", LOGIN),
]


def _call(client: TestClient, method: str, path: str, body: Any, headers: Any = None) -> Any:
    return client.request(method, path, json=body, headers=headers)


@pytest.mark.parametrize(("method", "path", "body"), PROTECTED)
def test_auth_required_denies_a_missing_unknown_or_expired_session(
    make_client: Any, clock: Any, method: str, path: str, body: Any
) -> None:
    client = _app(make_client, auth="required")
    expired = {"Session-Id": _session(client)}
    clock.advance(minutes=30)
    assert _denied(_call(client, method, path, body))
    assert _denied(_call(client, method, path, body, {"Session-Id": "x"}))
    assert _denied(_call(client, method, path, body, expired))
    assert _call(client, method, path, body, {"Session-Id": _session(client)}).status_code == 200


@pytest.mark.parametrize(("method", "path", "body"), PROTECTED)
def test_auth_optional_serves_no_session_and_denies_a_bad_one(
    make_client: Any, clock: Any, method: str, path: str, body: Any
) -> None:
    client = _app(make_client, auth="optional")
    expired = {"Session-Id": _session(client)}
    clock.advance(minutes=30)
    assert _denied(_call(client, method, path, body, {"Session-Id": "x"}))
    assert _denied(_call(client, method, path, body, expired))
    live = {"Session-Id": _session(client)}
    assert _call(client, method, path, body, live).status_code == 200
    if path != "/api/auth/alive":  # alive answers only for a live session
        assert _call(client, method, path, body).status_code == 200


@pytest.mark.parametrize(("method", "path", "body"), PROTECTED)
def test_auth_off_ignores_the_session_header(
    make_client: Any, method: str, path: str, body: Any
) -> None:
    client = _app(make_client, auth="off")
    for headers in (None, {"Session-Id": "x"}):
        assert _call(client, method, path, body, headers).status_code == 200


def test_auth_off_serves_the_default_tenant_even_after_login(make_client: Any) -> None:
    client = _app(make_client, auth="off")
    headers = {"Session-Id": _session(client, LOGIN | {"Database": "A"})}
    client.post("/api/customers", json={"name": "Uusi", "email": "e"}, headers=headers)
    assert client.get("/api/customers/2").status_code == 200


def test_session_check_comes_before_body_validation(make_client: Any) -> None:
    client = _app(make_client, auth="required")
    assert _denied(client.post("/api/customers", json={"name": 1}))
    assert _denied(client.get("/api/customers?page=0"))
    assert _denied(client.get("/api/customers/x"))


@pytest.mark.parametrize("path", ["/health", "/_mock/reset"])
def test_service_routes_need_no_session(make_client: Any, path: str) -> None:
    client = _app(make_client, auth="required")
    method = "GET" if path == "/health" else "POST"
    assert client.request(method, path, headers={"Session-Id": "x"}).status_code == 200
    assert client.request(method, path).status_code == 200


def test_the_session_header_name_is_case_insensitive(make_client: Any) -> None:
    client = _app(make_client, auth="required")
    session_id = _session(client)
    assert client.get("/api/customers", headers={"SESSION-ID": session_id}).status_code == 200
    assert client.get("/api/customers", headers={"session-id": session_id}).status_code == 200
