"""The route table (``mockserver.routes``) is the one source of the routes: the router, its
405 ``Allow`` lists, the case-folded words, the read lanes, the scenario rules' templates and
the OpenAPI document all follow it. One path normalizer; ids keep their case. The state is
built in one place (``mockserver.state.build_state``), on one clock. Nothing is shared
between two applications in one process, and importing the app changes nothing global."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from starlette.convertors import CONVERTOR_TYPES
from starlette.testclient import TestClient

from mockserver import routes, wire
from mockserver.api.lists import ListEndpoint
from mockserver.app import MockApp, create_app, handlers, read_lanes
from mockserver.models import Customer, Invoice
from mockserver.routes import (
    API_TEMPLATES,
    LIST_OPERATIONS,
    OPERATIONS,
    RESOURCES,
    ROUTE_WORDS,
    route_path,
    split_path,
)
from mockserver.scenarios import api_routes
from mockserver.settings import Settings
from mockserver.state import State, build_state
from mockserver.store import RecordDataset, Store

BASE = "/Lemonsoft30"
LOGIN = {"UserName": "u", "Password": "p", "Database": "d", "ApiKey": "k"}


def _app(**settings: Any) -> MockApp:
    customers = [Customer(id=i, number=100 + i, name=f"C{i}", email="e") for i in (1, 2)]
    invoices = [Invoice(id=1, number=1, date=datetime(2024, 1, 1, tzinfo=UTC))]
    return create_app(Settings(**settings), store=Store(RecordDataset(customers, invoices)))


def _concrete(template: str) -> str:
    template = template.replace("/_mock/ui/{asset}", "/_mock/ui/app.js")
    return template.replace("{customer_id}", "1").replace("{id}", "1").replace(
        "{asset}", "swagger-ui.css"
    ).replace("{name}", "default")  # fmt: skip


# --- the table and what is derived from it -------------------------------------------------


def test_every_entry_is_one_method_on_one_path_with_a_unique_operation_id() -> None:
    keys = [(op.method, op.path) for op in OPERATIONS]
    assert len(keys) == len(set(keys))
    ids = [op.operation_id for op in OPERATIONS]
    assert len(ids) == len(set(ids))
    for op in OPERATIONS:
        assert [name for name, _, _ in op.path_params] == routes.parameters(op.path), op
        # a filter model belongs to a list route (one may take none: the vendor's
        # /api/customers/transactions/attributes and /{customer_id}/transactions)
        assert op.filters is None or op.listed, op


def test_every_handler_key_has_its_handler_and_every_handler_a_route() -> None:
    state = build_state(Settings(customers=2, invoices=4))
    assert set(handlers(state)) == {op.handler for op in OPERATIONS + routes.UNMOCKED}


def test_the_route_words_are_the_literal_segments_of_the_api_templates() -> None:
    words = {"api", "auth", "login", "token", "renew", "alive", "customers", "base", "accounts"}
    assert words | {"invoices"} <= ROUTE_WORDS
    # the vendor's other operations are routes too (mockserver.vendor): their words fold alike
    assert {"products", "v1", "salesphasecollections"} <= ROUTE_WORDS
    literal = {
        part.lower() for template in API_TEMPLATES for part in routes.segments(template)
        if not routes.parameters(part)
    }  # fmt: skip
    assert literal == ROUTE_WORDS


def test_the_scenario_rules_name_the_api_templates_and_list_filters_of_the_table() -> None:
    known = api_routes()
    assert known.templates == API_TEMPLATES
    assert all(template.startswith("/api/") for template in API_TEMPLATES)
    assert dict(known.filters) == {op.path: op.filters for op in LIST_OPERATIONS if op.filters}
    assert set(known.filters) == {
        "/api/customers", "/api/customers/base", "/api/invoices", "/api/customers/transactions",
        "/api/customers/groups", "/api/contacts/{customer_id}",
    }  # fmt: skip


@pytest.mark.parametrize("base_path", ["", BASE])
def test_the_read_lanes_are_the_list_routes_under_the_base_path(base_path: str) -> None:
    app = _app(base_path=base_path)
    lanes = read_lanes(app)
    # the table-backed lists; the small CRM lists (mockserver.customer_parts) are plain routes
    served = ("/api/customers", "/api/customers/base", "/api/invoices")
    assert set(lanes) == {base_path + path for path in served}
    assert {op.path for op in LIST_OPERATIONS} >= set(served)
    assert all(isinstance(lane, ListEndpoint) for lane in lanes.values())


def test_the_document_has_every_operation_of_the_table_and_no_other() -> None:
    with TestClient(_app()) as client:
        document = client.get("/openapi.json").json()
    found = {
        (method.upper(), path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method != "servers"
    }
    assert set(found) == {(op.method, op.path) for op in OPERATIONS + routes.UNMOCKED}
    for op in OPERATIONS:
        assert found[op.method, op.path]["operationId"] == op.operation_id
        assert found[op.method, op.path]["summary"] == op.summary


@pytest.mark.parametrize("base_path", ["", BASE])
def test_every_entry_is_routed_to_its_handler(base_path: str) -> None:
    with TestClient(_app(base_path=base_path)) as client:
        for op in OPERATIONS:
            prefix = base_path if op.is_api else ""
            body = LOGIN if op.body is not None or op.body_schema is not None else None
            query = "?follow=false" if op.handler == "journal.stream" else ""  # else endless
            response = client.request(op.method, prefix + _concrete(op.path) + query, json=body)
            unrouted = response.status_code == 405 or (
                response.status_code == 404
                and response.json()["Message"].startswith("No HTTP resource was found")
            )
            assert not unrouted, (op.method, op.path, response.text)


# The table's own paths (every path of the vendor's: tests/test_vendor_routes.py).
_TABLE_RESOURCES = [r for r in RESOURCES if any(op in OPERATIONS for op in r.operations.values())]


@pytest.mark.parametrize("resource", _TABLE_RESOURCES, ids=lambda resource: resource.path)
def test_a_method_a_path_does_not_answer_is_405_listing_the_table_s_methods(
    resource: routes.Resource,
) -> None:
    method = "PATCH" if "PATCH" not in resource.methods else "OPTIONS"
    with TestClient(_app()) as client:
        response = client.request(method, _concrete(resource.path))
    assert response.status_code == 405
    assert response.json() == {"Message": wire.method_not_allowed(method)}
    expected = set(resource.methods) | ({"HEAD"} if "GET" in resource.methods else set())
    assert response.headers["allow"] == ", ".join(sorted(expected))


# --- words that are not ids ----------------------------------------------------------------


def test_a_literal_word_beside_an_id_is_reserved_from_it() -> None:
    reserved = {resource.path: dict(resource.reserved) for resource in RESOURCES}
    words = frozenset({"base", "groups", "transactions"})  # the vendor's words beside it too
    assert reserved["/api/customers/{customer_id}"] == {"customer_id": words}
    assert reserved["/api/customers/{customer_id}/accounts"] == {}
    assert reserved["/swagger/ui/{asset}"] == {"asset": frozenset({"index"})}


@pytest.mark.parametrize("base_path", ["", BASE])
def test_base_never_binds_as_a_customer_id(base_path: str) -> None:
    with TestClient(_app(base_path=base_path)) as client:
        for spelling in ("base", "BASE", "Base/"):
            path = f"{base_path}/api/customers/{spelling}"
            answer = client.put(path, json={"name": "N", "email": "e@e.fi"})
            assert answer.status_code == 405, answer.text
            assert answer.headers["allow"] == "GET, HEAD"
            assert client.get(path).json()["result_count"] == 2
        # Where no literal route stands beside it, a word is an id, and not a valid one.
        answer = client.post(f"{base_path}/api/customers/base/accounts", json={})
        assert answer.json() == {
            "Message": wire.INVALID,
            "ModelState": {"customer_id": ["The value 'base' is not valid for customer_id."]},
        }


@pytest.mark.parametrize("base_path", ["", BASE])
def test_a_route_word_elsewhere_is_an_id_where_no_literal_route_stands_beside_it(
    base_path: str,
) -> None:
    """``/api/customers/transactions/accounts``: ``transactions`` is a literal only in routes
    of other shapes (``/api/customers/transactions``, ``.../transactions/attributes``), so no
    route takes the path from ``/api/customers/{customer_id}/accounts``, which matches it with
    ``customer_id`` = ``transactions`` and answers POST only. ASP.NET answers a method a
    matching template lacks with a 405 (as for ``/api/customers/1/accounts``), the template's
    own method with its binding error; a 404 is for a path no template matches at all."""
    with TestClient(_app(base_path=base_path)) as client:
        for path in ("/api/customers/transactions/accounts", "/api/customers/1/accounts"):
            answer = client.get(base_path + path)
            assert (answer.status_code, answer.json()) == (
                405,
                {"Message": "The requested resource does not support http method 'GET'."},
            )
            assert answer.headers["allow"] == "POST"
        posted = client.post(f"{base_path}/api/customers/transactions/accounts", json={})
        assert (posted.status_code, posted.json()) == (
            400,
            {
                "Message": wire.INVALID,
                "ModelState": {
                    "customer_id": ["The value 'transactions' is not valid for customer_id."]
                },
            },
        )
        for path in ("/api/customers/transactions/nothing", "/api/customers/transactions/7"):
            missing = client.get(base_path + path)
            assert (missing.status_code, missing.json()) == (
                404,
                {"Message": wire.not_found(base_path + path)},
            )
        put = client.put(f"{base_path}/api/customers/transactions/attributes", json={})
        assert (put.status_code, put.headers["allow"]) == (405, "GET, HEAD")


def test_importing_the_app_registers_no_process_wide_convertor() -> None:
    assert "customer_id" not in CONVERTOR_TYPES
    assert set(CONVERTOR_TYPES) == {"str", "path", "int", "float", "uuid"}


# --- the one path normalizer ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "base_path", "expected"),
    [
        ("/API/Customers/AbC/", "", ("", "/api/customers/AbC")),
        ("/api/customers/1/ACCOUNTS", "", ("", "/api/customers/1/accounts")),
        ("/api/customers/Base", "", ("", "/api/customers/base")),
        ("/lemonsoft30/Api/Invoices/X1", BASE, (BASE, "/api/invoices/X1")),
        ("/LEMONSOFT30", BASE, (BASE, "")),
        ("/Lemonsoft30x/api/customers", BASE, ("", "/Lemonsoft30x/api/customers")),
        ("/Health/", "", ("", "/Health")),  # only API paths fold
        ("/_mock/Requests", BASE, ("", "/_mock/Requests")),
        ("/", "", ("", "/")),
        ("//", "", ("", "/")),
    ],
)
def test_split_path(path: str, base_path: str, expected: tuple[str, str]) -> None:
    assert split_path(path, base_path) == expected


def test_route_path_is_the_route_below_the_base_path() -> None:
    assert route_path("/Lemonsoft30", BASE) == "/"
    assert route_path("/Lemonsoft30/API/Customers/Xy/", BASE) == "/api/customers/Xy"


_SEGMENT = st.text(
    st.characters(codec="ascii", categories=("L", "N"), include_characters="-_.~"), min_size=1
)


@given(
    template=st.sampled_from(API_TEMPLATES),
    ident=_SEGMENT,
    upper=st.lists(st.booleans(), min_size=64, max_size=64),
    slash=st.booleans(),
    based=st.booleans(),
)
def test_ids_keep_their_case_and_words_fold(
    template: str, ident: str, upper: list[bool], slash: bool, based: bool
) -> None:
    assume(ident.lower() not in ROUTE_WORDS)  # a route word folds wherever it stands
    canonical = "/".join(ident if routes.parameters(part) else part for part in template.split("/"))
    sent = "".join(
        char.upper() if flip else char
        for char, flip in zip(canonical, upper + [False] * len(canonical), strict=False)
    )
    # Ids as sent: only the literal words changed case.
    sent = "/".join(
        ident if routes.parameters(part) else word
        for part, word in zip(template.split("/"), sent.split("/"), strict=True)
    )
    base_path = BASE if based else ""
    prefix, route = split_path(base_path.upper() + sent + ("/" if slash else ""), base_path)
    assert (prefix, route) == (base_path, canonical)
    assert split_path(prefix + route, base_path) == (prefix, route)  # idempotent


def test_the_journal_names_the_route_as_the_router_saw_it() -> None:
    app = _app()
    with TestClient(app) as client:
        client.get("/API/Customers/AbC/")
    state: State = app.state.mock
    state.journal.settle()
    (entry,) = state.journal.entries()
    assert (entry.path, entry.route) == ("/API/Customers/AbC/", "/api/customers/AbC")


# --- the state: built in one place, one per application --------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.moment = datetime(2025, 7, 1, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment

    def seconds(self) -> float:
        return self.moment.timestamp()


def test_one_clock_stamps_the_records_and_ages_the_sessions() -> None:
    clock = _Clock()
    app = create_app(Settings(customers=2, invoices=4), clock=clock)
    state: State = app.state.mock
    assert state.clock is clock
    with TestClient(app) as client:
        session = client.post("/api/auth/login", json=LOGIN).json()["session_id"]
        headers = {"Session-Id": session}
        created = client.post("/api/customers", json={"name": "N", "email": "e@e.fi"}).json()
        assert created["created"] == "2025-07-01T12:00:00Z"
        assert client.get("/api/auth/alive", headers=headers).status_code == 200
        clock.moment = clock.moment.replace(minute=30)  # a session lives 30 minutes
        answer = client.get("/api/auth/alive", headers=headers)
    assert answer.json() == {"Message": wire.DENIED}


def test_a_reset_runs_every_hook_the_state_was_built_with() -> None:
    app = _app()
    state: State = app.state.mock
    with TestClient(app) as client:
        client.post("/api/customers", json={"name": "N", "email": "e@e.fi"})
        state.journal.settle()
        assert state.journal.entries()
        assert client.post("/_mock/reset").status_code == 200
        state.journal.settle()
        assert [entry.method for entry in state.journal.entries()] == []
        assert client.get("/api/customers").json()["result_count"] == 2


def test_two_applications_share_no_endpoint_cache() -> None:
    first, second = _app(), _app(base_path=BASE, auth="required")
    assert first.state.mock is not second.state.mock
    for path, lane in read_lanes(first).items():
        other = read_lanes(second)[BASE + path]
        assert lane is not other
        assert lane.binder is not other.binder
    with TestClient(first) as one, TestClient(second) as two:
        plain = one.get("/openapi.json").json()
        based = two.get("/openapi.json").json()
    assert plain["servers"] == [{"url": "/"}]
    assert based["servers"] == [{"url": BASE}]
    assert plain["paths"]["/api/customers"]["get"]["security"] == [{"SessionId": []}, {}]
    assert based["paths"]["/api/customers"]["get"]["security"] == [{"SessionId": []}]


def test_unrouted_answers_use_the_wire_messages() -> None:
    with TestClient(_app(auth="required")) as client:
        assert client.get("/nope").json() == {"Message": wire.not_found("/nope")}
        assert client.delete("/api/customers").json() == {
            "Message": wire.method_not_allowed("DELETE")
        }
        assert client.get("/api/customers").json() == {"Message": wire.DENIED}


@pytest.mark.parametrize("token", ["", "s3cret"])
def test_the_document_names_what_the_admin_guard_answers(token: str) -> None:
    with TestClient(_app(admin_token=token)) as client:
        document = client.get("/openapi.json").json()
    reset = document["paths"]["/_mock/reset"]["post"]["responses"]
    assert "403" in reset
    assert ("401" in reset) == bool(token)
    assert "415" in document["paths"]["/_mock/scenario"]["put"]["responses"]
    assert "403" not in document["paths"]["/health"]["get"]["responses"]
