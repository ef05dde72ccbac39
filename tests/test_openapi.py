"""The OpenAPI document: served at the real API's path and at /openapi.json, generated from the
models and the routes, valid OpenAPI 3.1, and in agreement with the server it describes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
import schemathesis
from starlette.routing import BaseRoute, Mount, Route
from starlette.testclient import TestClient

from mockserver import __version__, models
from mockserver.api import docs
from mockserver.app import create_app
from mockserver.binding import PREFIX
from mockserver.filters import CUSTOMER_FILTER, INVOICE_FILTER
from mockserver.models import CustomerFilter, SalesInvoiceFilter
from mockserver.openapi import document_bytes as real
from mockserver.settings import Settings

JSON = "application/json; charset=utf-8"
BASE = "/Lemonsoft30"
ADMIN = "Mock administration"
INT32 = {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1, "format": "int32"}


def _client(**settings: Any) -> TestClient:
    return TestClient(create_app(Settings(customers=3, invoices=6, **settings)))


def _document(**settings: Any) -> dict[str, Any]:
    with _client(**settings) as client:
        response = client.get("/swagger/docs/v1")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return _document()


@pytest.fixture(scope="module")
def based() -> dict[str, Any]:
    return _document(base_path=BASE)


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method != "servers":
                yield method.upper(), path, operation


def _component(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    prefix = "#/components/schemas/"
    ref: str = schema["$ref"]
    assert ref.startswith(prefix)
    component: dict[str, Any] = document["components"]["schemas"][ref[len(prefix) :]]
    return component


# --- serving ----------------------------------------------------------------------------------


def test_both_paths_serve_the_same_cached_bytes_built_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    builds: list[int] = []

    def counting(*args: Any) -> bytes:
        builds.append(1)
        return real(*args)

    monkeypatch.setattr(docs, "document_bytes", counting)
    with _client(base_path=BASE) as client:
        answers = [
            client.get(path)
            for path in ("/swagger/docs/v1", "/openapi.json", f"{BASE}/swagger/docs/v1",
                         f"{BASE}/openapi.json", "/swagger/docs/v1")
        ]  # fmt: skip
    assert builds == [1]
    for response in answers:
        assert response.status_code == 200
        assert response.headers["content-type"] == JSON
        assert response.content == answers[0].content


def test_the_document_is_byte_identical_for_identical_settings() -> None:
    with _client() as first, _client() as second:
        assert first.get("/openapi.json").content == second.get("/openapi.json").content


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any], based: dict[str, Any]) -> None:
    for doc in (document, based):
        assert doc["openapi"] == "3.1.0"
        assert doc["info"]["version"] == __version__
        schemathesis.openapi.from_dict(doc).validate()  # the official 3.1 meta-schema


def test_every_reference_resolves(document: dict[str, Any]) -> None:
    names = set(document["components"]["schemas"])
    refs = set(_refs(document))
    assert refs, "the document refers to no component"
    assert {ref.removeprefix("#/components/schemas/") for ref in refs} <= names


def _refs(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if isinstance(value.get("$ref"), str):
            yield value["$ref"]
        for item in value.values():
            yield from _refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)


# --- generated from the models ----------------------------------------------------------------


@pytest.mark.parametrize(
    "model",
    [models.Customer, models.CustomerAccount, models.CustomerContact, models.Invoice,
     models.InvoiceRow, models.CustomerBase, models.LogInInfo, models.ErrorBody],
)  # fmt: skip
def test_components_are_the_models_own_schemas(document: dict[str, Any], model: type) -> None:
    (_,), generated = msgspec.json.schema_components([model])
    component = document["components"]["schemas"][model.__name__]
    expected = generated[model.__name__]
    assert list(component["properties"]) == list(expected["properties"])
    assert component.get("required", []) == expected["required"]


def test_date_times_and_int32_are_marked(document: dict[str, Any]) -> None:
    customer = document["components"]["schemas"]["Customer"]["properties"]
    assert customer["created"] == {
        "anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]
    }
    assert customer["id"]["anyOf"][0] == INT32
    assert customer["interest"]["anyOf"][0] == {"type": "number", "format": "double"}
    invoice = document["components"]["schemas"]["Invoice"]
    assert invoice["properties"]["date"] == {"type": "string", "format": "date-time"}
    assert invoice["required"] == ["date"]


def test_answers_allow_null_where_a_body_requires_a_value(document: dict[str, Any]) -> None:
    """Generated customers may have no email, though a request body must carry one."""
    schemas = document["components"]["schemas"]
    not_blank = {"type": "string", "pattern": models.NOT_BLANK}  # ASP.NET's [Required]
    assert schemas["Customer"]["properties"]["email"] == not_blank
    assert schemas["CustomerRecord"]["properties"]["email"] == {
        "anyOf": [not_blank, {"type": "null"}]
    }
    assert schemas["CustomerRecord"]["required"] == ["email", "name"]
    contacts = schemas["CustomerRecord"]["properties"]["contacts"]["anyOf"][0]
    assert contacts["items"] == {"$ref": "#/components/schemas/CustomerContactRecord"}
    get = document["paths"]["/api/customers/{customer_id}"]["get"]
    put = document["paths"]["/api/customers/{customer_id}"]["put"]
    assert get["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CustomerRecord"
    }
    assert put["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Customer"
    }
    # a model whose every field may be null already is its own answer
    account = document["paths"]["/api/customers/{customer_id}/accounts"]["post"]
    assert account["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CustomerAccount"
    }


def test_login_fields_must_not_be_blank(document: dict[str, Any]) -> None:
    info = document["components"]["schemas"]["LogInInfo"]
    assert info["required"] == ["UserName", "Password", "Database", "ApiKey"]
    for field in info["required"]:
        assert info["properties"][field] == {"type": "string", "pattern": models.NOT_BLANK}


@pytest.mark.parametrize(
    ("path", "model", "item"),
    [("/api/customers", CustomerFilter, "CustomerRecord"),
     ("/api/customers/base", CustomerFilter, "CustomerBase"),
     ("/api/invoices", SalesInvoiceFilter, "InvoiceRecord")],
)  # fmt: skip
def test_lists_document_every_filter_with_its_prefix(
    document: dict[str, Any], path: str, model: type, item: str
) -> None:
    operation = document["paths"][path]["get"]
    parameters = {p["name"]: p for p in operation["parameters"]}
    fields = [f.name for f in msgspec.structs.fields(model)]
    assert list(parameters) == [PREFIX + name for name in fields]
    for parameter in parameters.values():
        assert parameter["in"] == "query"
        assert parameter["required"] is False
        assert parameter["allowEmptyValue"] is True  # `filter.page=` counts as absent
    assert parameters["filter.page"]["schema"] == INT32 | {"minimum": 1}
    assert parameters["filter.page_size"]["schema"] == INT32 | {"minimum": 1}
    assert parameters["filter.search"]["schema"] == {"type": "string"}
    envelope = _component(document, operation["responses"]["200"]["content"]["application/json"]
                          ["schema"])  # fmt: skip
    assert envelope["required"] == ["result_count", "results"]
    assert envelope["properties"]["results"]["items"] == {"$ref": f"#/components/schemas/{item}"}
    assert operation["responses"]["200"]["headers"]["X-Total-Count"]["schema"] == {
        "type": "integer",
        "minimum": 0,
    }


def test_filter_kinds(document: dict[str, Any]) -> None:
    customers = {p["name"]: p for p in document["paths"]["/api/customers"]["get"]["parameters"]}
    assert customers["filter.customer_number"]["schema"] == {"type": "array", "items": INT32}
    assert customers["filter.customer_number"]["style"] == "form"
    assert customers["filter.customer_number"]["explode"] is True
    assert customers["filter.created_after"]["schema"] == {"type": "string", "format": "date-time"}
    assert customers["filter.has_email"]["schema"] == {
        "type": "integer",
        "format": "int32",
        "enum": [0, 1],
    }
    assert set(CUSTOMER_FILTER.choices) == {"has_email", "is_customer", "is_supplier"}
    invoices = {p["name"]: p for p in document["paths"]["/api/invoices"]["get"]["parameters"]}
    assert invoices["filter.numbers"]["schema"] == {"type": "array", "items": INT32}
    assert invoices["filter.customer_number"]["schema"] == INT32
    assert not INVOICE_FILTER.choices


def test_path_parameters_are_named_as_the_real_api_names_them(document: dict[str, Any]) -> None:
    paths = document["paths"]
    assert "/api/customers/{customer_id}" in paths
    assert "/api/customers/{customer_id}/accounts" in paths
    assert "/api/invoices/{id}" in paths
    for path, name in (("/api/customers/{customer_id}", "customer_id"),
                       ("/api/invoices/{id}", "id")):  # fmt: skip
        (parameter,) = paths[path]["get"]["parameters"]
        assert parameter == {
            "name": name,
            "in": "path",
            "required": True,
            "description": parameter["description"],
            "schema": INT32,
        }


def test_every_error_answer_is_aspnet_shaped(document: dict[str, Any]) -> None:
    error = {"$ref": "#/components/schemas/ErrorBody"}
    seen: set[str] = set()
    for _, _, operation in _operations(document):
        for status, response in operation["responses"].items():
            if not status.startswith("2"):  # 204: no body
                seen.add(status)
                assert response["content"] == {"application/json": {"schema": error}}
        assert "503" in operation["responses"]  # every route, while the data are loading
    # 403: the admin guard; 501: the vendor's operations the mock does not implement;
    # 507: a memory bound of the mock (tenants, records of one kind in a tenant)
    assert seen == {"400", "401", "403", "404", "413", "415", "501", "503", "507"}
    assert document["components"]["schemas"]["ErrorBody"]["required"] == ["Message"]


def test_bodies_and_their_errors(document: dict[str, Any]) -> None:
    bodies = {
        (method, path): operation["requestBody"]
        for method, path, operation in _operations(document)
        if "requestBody" in operation
    }

    def named(schema: dict[str, Any]) -> str:  # a component's name, or the inline object's keys
        if "$ref" in schema:
            return str(schema["$ref"]).rsplit("/", 1)[1]
        if "allOf" in schema:  # a model with fields this route requires besides its own
            return named(schema["allOf"][0])
        return "inline: " + ", ".join(sorted(schema["properties"]))

    assert {key: named(body["content"]["application/json"]["schema"])
            for key, body in bodies.items()} == {
        ("POST", "/api/auth/login"): "LogInInfo",
        ("POST", "/api/auth/login/token"): "LogInInfo",
        ("POST", "/api/auth/renew"): "LogInInfo",
        ("POST", "/api/customers"): "Customer",
        ("PUT", "/api/customers/{customer_id}"): "Customer",
        ("POST", "/api/customers/{customer_id}/accounts"): "CustomerAccount",
        ("POST", "/api/customers/{customer_id}/agreements"): "CustomerAgreement",
        ("POST", "/api/customers/{customer_id}/agreements/{agreement_id}/products"):
            "CustomerAgreementProduct",
        ("POST", "/api/customers/{customer_id}/transactions"): "CustomerTransaction",
        ("PUT", "/api/customers/{customer_id}/transactions"): "CustomerTransaction",
        ("POST", "/api/customers/{customer_id}/contacts"): "CustomerContact",
        ("POST", "/api/customers/{customer_id}/texts"): "CustomerText",
        ("POST", "/api/customers/{customer_id}/circulations"): "CustomerCirculation",
        ("POST", "/api/contacts/{customer_id}"): "CustomerContact",
        ("PUT", "/api/contacts/{customer_id}"): "CustomerContact",
        ("POST", "/api/invoices"): "Invoice",
        ("PUT", "/api/invoices"): "Invoice",
        ("POST", "/api/invoices/{id}/row"): "InvoiceRow",
        ("POST", "/api/invoices/{id}/payment"): "InvoicePayment",
        ("POST", "/api/invoices/{id}/link"): "Link",
        ("PUT", "/_mock/scenario"): "ScenarioSpec",
        ("POST", "/_mock/scenario/check"): "ScenarioSpec",
        ("PUT", "/_mock/clock"): "inline: frozen, now",
        ("POST", "/_mock/clock/advance"): "inline: by, seconds",
    }  # fmt: skip
    for key, body in bodies.items():
        assert body["required"] is True
        responses = document["paths"][key[1]][key[0].lower()]["responses"]
        assert {"400", "413"} <= set(responses)
        if key[1].startswith("/api/"):
            assert "415" in responses


@pytest.mark.parametrize(
    ("auth", "security"),
    [("required", [{"SessionId": []}]), ("optional", [{"SessionId": []}, {}]), ("off", None)],
)
def test_session_security_follows_the_auth_mode(auth: str, security: Any) -> None:
    document = _document(auth=auth)
    assert document["components"]["securitySchemes"]["SessionId"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Session-Id",
        "description": "The `session_id` that `POST /api/auth/login` answered.",
    }
    for method, path, operation in _operations(document):
        public = not path.startswith("/api/") or path.startswith("/api/auth/login")
        assert operation.get("security") == (None if public else security), (method, path)
        if security is not None and not public:
            assert "401" in operation["responses"]
        else:
            assert "401" not in operation["responses"]


def _links(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    links: dict[str, Any] = document["paths"][path][method]["responses"]["200"]["links"]
    return links


def test_links_chain_create_get_update_and_add_account(document: dict[str, Any]) -> None:
    created = _links(document, "post", "/api/customers")
    by_id = {"customer_id": "$response.body#/id"}
    assert created == {
        name: {"operationId": target, "parameters": by_id}
        for name, target in (("GetCustomer", "getCustomer"), ("UpdateCustomer", "updateCustomer"),
                             ("AddCustomerAccount", "addCustomerAccount"),
                             ("AddCustomerAgreement", "addCustomerAgreement"),
                             ("AddCustomerContact", "addCustomerContact"),
                             ("AddCustomerText", "addCustomerText"),
                             ("AddCustomerCirculation", "addCustomerCirculation"),
                             ("AddCustomerTransaction", "addCustomerTransaction"),
                             ("GetCustomerTransactions", "getCustomerTransactions"),
                             ("ListContacts", "listContacts"), ("CreateContact", "createContact"))
    }  # fmt: skip
    updated = _links(document, "put", "/api/customers/{customer_id}")
    assert set(updated) == {"GetCustomer", "AddCustomerAccount"}
    ids = {op["operationId"] for _, _, op in _operations(document)}
    assert len(ids) == len(list(_operations(document)))  # unique


def test_links_lead_from_each_create_to_what_reads_or_deletes_it(
    document: dict[str, Any],
) -> None:
    """Stateful testing's data: every add links to its delete, the parents' ids passed on
    from the request's path, the new id from the answer's own field."""
    in_path = {"customer_id": "$request.path.customer_id"}
    assert _links(document, "post", "/api/customers/{customer_id}/accounts") == {
        "DeleteCustomerAccount": {
            "operationId": "deleteCustomerAccount",
            "parameters": {**in_path, "account_id": "$response.body#/account_id"},
        }
    }
    assert _links(document, "post", "/api/customers/{customer_id}/agreements") == {
        "AddCustomerAgreementProduct": {
            "operationId": "addCustomerAgreementProduct",
            "parameters": {**in_path, "agreement_id": "$response.body#/id"},
        },
        "DeleteCustomerAgreement": {
            "operationId": "deleteCustomerAgreement",
            "parameters": {**in_path, "agreement_id": "$response.body#/id"},
        },
    }
    products = _links(
        document, "post", "/api/customers/{customer_id}/agreements/{agreement_id}/products"
    )
    assert products["DeleteCustomerAgreementProduct"]["parameters"] == {
        **in_path,
        "agreement_product_id": "$response.body#/agreement_product_id",
    }
    for path in ("/api/customers/{customer_id}/contacts", "/api/contacts/{customer_id}"):
        assert _links(document, "post", path) == {
            "DeleteCustomerContact": {
                "operationId": "deleteCustomerContact",
                "parameters": {**in_path, "contact_id": "$response.body#/id"},
            },
            # PUT /api/contacts/{customer_id}: the route's id is the contact's
            "UpdateContact": {
                "operationId": "updateContact",
                "parameters": {"customer_id": "$response.body#/id"},
            },
        }
    invoice_links = {
        name: {"operationId": target, "parameters": {"id": "$response.body#/id"}}
        for name, target in (("GetInvoice", "getInvoice"), ("DeleteInvoice", "deleteInvoice"),
                             ("CreateInvoiceRow", "createInvoiceRow"),
                             ("CreateInvoicePayment", "createInvoicePayment"),
                             ("CreateInvoiceLink", "createInvoiceLink"))
    }  # fmt: skip
    assert _links(document, "post", "/api/invoices") == invoice_links
    assert _links(document, "post", "/api/invoices/order/{number}") == invoice_links
    assert _links(document, "put", "/api/invoices") == {"GetInvoice": invoice_links["GetInvoice"]}
    for child, param in (("row", "row_id"), ("payment", "payment_id"), ("link", "link_id")):
        name = "DeleteInvoice" + child.capitalize()
        assert _links(document, "post", f"/api/invoices/{{id}}/{child}") == {
            name: {
                "operationId": name[0].lower() + name[1:],
                "parameters": {"id": "$request.path.id", param: "$response.body#/id"},
            }
        }


def test_every_link_names_an_operation_and_each_of_its_path_parameters(
    document: dict[str, Any],
) -> None:
    by_id = {op["operationId"]: (path, op) for _, path, op in _operations(document)}
    linked = 0
    for _, path, op in _operations(document):
        for link in op["responses"].get("200", {}).get("links", {}).values():
            _, target = by_id[link["operationId"]]
            wanted = {p["name"] for p in target.get("parameters", []) if p["in"] == "path"}
            assert set(link["parameters"]) == wanted, (path, link)
            for expression in link["parameters"].values():
                name = expression.removeprefix("$request.path.")
                assert expression.startswith("$response.body#/") or f"{{{name}}}" in path, (
                    path,
                    link,
                )
            linked += 1
    assert linked >= 30


def test_admin_endpoints_have_their_own_tag(document: dict[str, Any]) -> None:
    admin = {(m, p) for m, p, op in _operations(document) if op["tags"] == [ADMIN]}
    assert admin == {
        ("GET", "/health"),
        ("GET", "/_mock/scenario"),
        ("GET", "/_mock/clock"),
        ("PUT", "/_mock/clock"),
        ("POST", "/_mock/clock/advance"),
        ("DELETE", "/_mock/clock"),
        ("PUT", "/_mock/scenario"),
        ("DELETE", "/_mock/scenario"),
        ("POST", "/_mock/reset"),
        ("GET", "/_mock/requests"),
        ("DELETE", "/_mock/requests"),
        ("GET", "/_mock/tenants"),
        ("DELETE", "/_mock/tenants/{name}"),
        # the dashboard and the routes it added (mockserver/api/ui.py, api/journal_stream.py)
        ("GET", "/_mock/requests/stream"),
        ("GET", "/_mock/scenarios"),
        ("GET", "/_mock/scenarios/{name}"),
        ("POST", "/_mock/scenario/check"),
        ("GET", "/_mock/ui"),
        ("GET", "/_mock/ui/{asset}"),
    }
    scenario = document["paths"]["/_mock/scenario"]["put"]["requestBody"]["content"]
    assert set(scenario) == {"application/yaml", "application/json"}
    health = document["paths"]["/health"]["get"]["responses"]["200"]["content"]
    assert _component(document, health["application/json"]["schema"])["required"] == [
        "status", "seed", "customers", "invoices"
    ]  # fmt: skip
    tags = [tag["name"] for tag in document["tags"]]
    # the mocked resources and the mock's own, then the vendor's tags of operations not mocked
    assert tags[:5] == ["Auth", "Customer", "Invoice", ADMIN, "Mock documentation"]
    vendor = {op["tags"][0] for _, _, op in _operations(document) if "501" in op["responses"]}
    assert tags[5:] == sorted(vendor)


def test_base_path_is_the_server_and_service_routes_answer_at_the_root_too(
    document: dict[str, Any], based: dict[str, Any]
) -> None:
    assert document["servers"] == [{"url": "/"}]
    assert all("servers" not in item for item in document["paths"].values())
    assert based["servers"] == [{"url": BASE}]
    for path, item in based["paths"].items():
        if path.startswith("/api/"):
            assert "servers" not in item
        else:
            assert item["servers"] == [{"url": BASE}, {"url": "/"}], path
    assert list(based["paths"]) == list(document["paths"])


# --- the document and the server agree ---------------------------------------------------------


def _walk(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, full path template) of every route, Mounts unfolded; HEAD left as it is."""
    for route in routes:
        if isinstance(route, Mount):
            yield from _walk(list(route.routes), prefix + route.path)
        else:
            assert isinstance(route, Route), route
            for method in route.methods or ():
                yield method, prefix + route.path_format


def _documented(document: dict[str, Any]) -> set[tuple[str, str]]:
    """(method, full path template) of every documented operation at each of its servers."""
    found = set()
    for path, item in document["paths"].items():
        servers = item.get("servers", document["servers"])
        for method in item:
            if method == "servers":
                continue
            for server in servers:
                found.add((method.upper(), server["url"].rstrip("/") + path))
    return found


def _concrete(path: str) -> str:
    # ids of records the generated data hold, and a file the UI ships
    if path.endswith("/_mock/requests/stream"):
        return path + "?follow=false"  # else the stream never ends
    return (path.replace("/_mock/ui/{asset}", "/_mock/ui/app.js")
            .replace("{customer_id}", "1").replace("{id}", "1")
            .replace("{asset}", "swagger-ui.css"))  # fmt: skip


@pytest.mark.parametrize("base_path", ["", BASE])
def test_every_route_that_answers_is_documented(base_path: str) -> None:
    app = create_app(Settings(customers=3, invoices=6, base_path=base_path))
    with TestClient(app) as client:
        document = client.get(f"{base_path}/openapi.json").json()
    routes = set(_walk(list(app.routes)))
    heads = {(m, p) for m, p in routes if m == "HEAD"}
    # Starlette answers HEAD wherever it answers GET: the GET operation's, without a body.
    assert heads == {("HEAD", p) for m, p in routes if m == "GET"}
    assert routes - heads == _documented(document)


@pytest.mark.parametrize("base_path", ["", BASE])
def test_every_documented_operation_answers(base_path: str) -> None:
    with _client(base_path=base_path) as client:
        document = client.get("/openapi.json").json()
        for method, url in sorted(_documented(document)):
            body: Any = {} if method in ("POST", "PUT") else None
            response = client.request(method, _concrete(url), json=body)
            # Routed: never a 405, and a 404 only of a missing record or tenant.
            unrouted = response.status_code == 405 or (
                response.status_code == 404
                and response.json()["Message"].startswith("No HTTP resource was found")
            )
            assert not unrouted, (method, url, response.text)
