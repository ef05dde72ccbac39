"""Every operation of the vendor's API is a known route. The catalogue (``mockserver.vendor``,
built from the vendor's published client) lists them; the ones the route table does not serve
answer 501 with a ``Message`` naming the operation and how to provide it, are journaled as
unmocked and reported by the pytest plugin's teardown. A path in no version of the API stays a
404; a known path with another method is a 405 listing every method it has; words that are
not ids never bind as ids. ``mockserver routes`` and the OpenAPI document list them all."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx2
import pytest
from starlette.testclient import TestClient

from mockserver import routes, vendor, wire
from mockserver.cli import EXIT_BAD_FLAG, EXIT_OK, main
from mockserver.journal import Entry, problem_report
from mockserver.models import Customer, Invoice
from mockserver.settings import Settings
from mockserver.store import RecordDataset, Store
from mockserver.testing import MockServer

pytest_plugins = ["pytester"]

BASE = "/Lemonsoft30"
SERVED = {(op.method, vendor.shape(op.path)) for op in routes.OPERATIONS if op.is_api}
UNMOCKED_OPS = [v for v in vendor.CATALOGUE if (v.method, v.shape) not in SERVED]
MOCKED_OPS = [v for v in vendor.CATALOGUE if (v.method, v.shape) in SERVED]
_PARAM = re.compile(r"\{[^}/]+\}")


def _filled(template: str) -> str:
    return _PARAM.sub("1", template)


def _store() -> Store:
    customers = [Customer(id=i, number=100 + i, name=f"C{i}", email="e") for i in (1, 2)]
    invoices = [Invoice(id=1, number=1, date=datetime(2024, 1, 1, tzinfo=UTC))]
    return Store(RecordDataset(customers, invoices))


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    from mockserver.app import create_app

    app = create_app(Settings(base_path=BASE), store=_store())
    with TestClient(app) as test_client:
        yield test_client


def _journal(client: TestClient) -> list[dict[str, Any]]:
    requests: list[dict[str, Any]] = client.get("/_mock/requests").json()["requests"]
    return requests


# --- the catalogue ----------------------------------------------------------------------------


def test_the_catalogue_is_the_vendor_s_whole_api() -> None:
    keys = [(v.method, v.path) for v in vendor.CATALOGUE]
    assert len(keys) == len(set(keys)) == 329
    assert len({v.name for v in vendor.CATALOGUE}) == 329
    assert all(v.path.startswith("/api/") and v.tag and v.summary for v in vendor.CATALOGUE)
    assert {v.path for v in vendor.CATALOGUE if v.path.startswith("/api/v1/")} == {
        "/api/v1/auth/login/refreshlicenses",
        "/api/v1/auth/login/token",
        "/api/v1/auth/login/restuser",
    }
    first = vendor.CATALOGUE[0]
    assert (first.method, first.path, first.tag, first.name, first.summary) == (
        "GET", "/api/auth/alive", "Authentication", "AuthenticationAlive",
        "Checks if your session is still alive",
    )  # fmt: skip


def test_every_api_route_of_the_table_is_an_operation_of_the_vendor() -> None:
    known = {(v.method, v.shape) for v in vendor.CATALOGUE}
    assert known >= SERVED


def test_the_unmocked_routes_are_derived_from_the_catalogue_and_the_table() -> None:
    assert len(routes.UNMOCKED) == len(UNMOCKED_OPS) == len(vendor.CATALOGUE) - len(MOCKED_OPS)
    assert {(op.method, vendor.shape(op.path)) for op in routes.UNMOCKED} == {
        (v.method, v.shape) for v in UNMOCKED_OPS
    }
    assert all(op.handler == routes.UNMOCKED_HANDLER for op in routes.UNMOCKED)
    # an unmocked method of a served path joins that path's route: no second route of its shape
    served = {vendor.shape(op.path): op.path for op in routes.OPERATIONS if op.is_api}
    for op in routes.UNMOCKED:
        assert served.get(vendor.shape(op.path), op.path) == op.path, op
    unmocked_shapes = [
        vendor.shape(r.path) for r in routes.RESOURCES if r.path not in served.values()
    ]
    assert len(unmocked_shapes) == len(set(unmocked_shapes))


def test_shapes_ignore_parameter_names_and_the_case_of_words() -> None:
    assert vendor.shape("/api/Contacts/{contact_id}") == vendor.shape("/api/contacts/{customer_id}")
    assert vendor.shape("/api/contacts/base") != vendor.shape("/api/contacts/{customer_id}")
    served = [("GET", "/api/contacts/{customer_id}")]
    answered = dict((v.name, template) for v, template in vendor.unmocked(served))
    assert "ContactList" not in answered
    assert answered["ContactUpdate"] == "/api/contacts/{customer_id}"  # the served spelling
    assert answered["CampaignDelete"] == "/api/campaign"  # literal words lower-cased


# --- 501 for every operation the mock does not implement ----------------------------------------


@pytest.mark.parametrize("op", UNMOCKED_OPS, ids=lambda v: f"{v.method} {v.path}")
def test_every_unmocked_operation_answers_501_naming_it(
    client: TestClient, op: vendor.VendorOperation
) -> None:
    response = client.request(op.method, BASE + _filled(op.path))
    assert response.status_code == 501
    assert response.json() == {"Message": wire.not_mocked(op.method, op.path, op.name)}
    assert "--upstream" in response.json()["Message"]
    assert "respond:" in response.json()["Message"]


@pytest.mark.parametrize("op", MOCKED_OPS, ids=lambda v: f"{v.method} {v.path}")
def test_every_mocked_operation_reaches_its_handler(
    client: TestClient, op: vendor.VendorOperation
) -> None:
    response = client.request(op.method, BASE + _filled(op.path))
    assert response.status_code not in (405, 501), response.text
    if response.status_code == 404:
        assert not response.json()["Message"].startswith("No HTTP resource"), response.text


def test_the_session_is_checked_before_the_501() -> None:
    from mockserver.app import create_app

    app = create_app(Settings(base_path=BASE, auth="required"), store=_store())
    login = {"UserName": "u", "Password": "p", "Database": "vendor", "ApiKey": "k"}
    with TestClient(app) as client:
        assert client.get(BASE + "/api/products").status_code == 401
        session = client.post(BASE + "/api/auth/login", json=login).json()["session_id"]
        response = client.get(BASE + "/api/products", headers={"Session-Id": session})
        assert response.status_code == 501
        (entry,) = [e for e in _journal(client) if e["status"] == 501]
        assert (entry["tenant"], entry["unmocked"]) == ("vendor", True)


def test_the_vendor_s_paths_match_case_insensitively(client: TestClient) -> None:
    response = client.get(BASE + "/API/Products/7/")
    assert response.status_code == 501
    assert response.json() == {
        "Message": wire.not_mocked("GET", "/api/products/{id}", "ProductGet")
    }


def test_a_501_is_journaled_as_unmocked_and_reported(client: TestClient) -> None:
    client.delete("/_mock/requests")
    client.post(BASE + "/api/products", json={"code": "X"})
    client.get(BASE + "/api/customers/1")
    entries = _journal(client)
    assert [(e["route"], e["status"], e["unmocked"], e["routed"]) for e in entries] == [
        ("/api/products", 501, True, True),
        ("/api/customers/1", 200, False, True),
    ]
    report = problem_report([Entry.from_dict(e) for e in entries], routes.API_TEMPLATES)
    lines = report.splitlines()
    assert len(lines) == 4, report
    assert lines[1].startswith("  #") and f" POST {BASE}/api/products -> 501 " in lines[1]
    assert lines[2] == (
        "      the mock does not implement this operation of the API (it answered 501): "
        "serve with --upstream URL to pass it through, or add a scenario rule with respond:"
    )
    assert lines[3] == '      sent: {"code":"X"}'


# --- what stays a 404, a 405, and words that never bind as ids ----------------------------------


@pytest.mark.parametrize(
    "path",
    ["/api/nonsense", "/api/customers/1/nonsense", "/api/products/1/2/3/4/5", "/api/v2/products"],
)
def test_a_path_in_no_version_of_the_api_stays_a_404(client: TestClient, path: str) -> None:
    response = client.get(BASE + path)
    assert response.status_code == 404
    assert response.json() == {"Message": wire.not_found(BASE + path)}


def test_the_vendor_s_paths_answer_only_under_the_base_path(client: TestClient) -> None:
    assert client.get("/api/products").status_code == 404


@pytest.mark.parametrize("resource", routes.RESOURCES, ids=lambda r: r.path)
def test_a_known_path_with_another_method_is_405_listing_mocked_and_known_methods(
    client: TestClient, resource: routes.Resource
) -> None:
    method = "PATCH" if "PATCH" not in resource.methods else "OPTIONS"
    prefix = BASE if resource.is_api else ""
    path = _filled(resource.path).replace("/_mock/ui/1", "/_mock/ui/x")
    response = client.request(method, prefix + path)
    assert response.status_code == 405, response.text
    assert response.json() == {"Message": wire.method_not_allowed(method)}
    expected = set(resource.methods) | ({"HEAD"} if "GET" in resource.methods else set())
    assert response.headers["allow"] == ", ".join(sorted(expected))


def _word_paths() -> list[tuple[str, str, str]]:
    """(path, parameter, word): each reserved word put where the parameter would bind."""
    found = []
    for resource in routes.RESOURCES:
        for name, words in resource.reserved.items():
            for word in sorted(words):
                path = resource.path.replace("{" + name + "}", word)
                found.append((_filled(path), name, word))
    return found


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE"])
@pytest.mark.parametrize(("path", "param", "word"), _word_paths())
def test_words_that_are_not_ids_never_bind_as_ids(
    client: TestClient, method: str, path: str, param: str, word: str
) -> None:
    response = client.request(method, BASE + path, json={})
    if response.status_code == 400:
        assert param not in response.json().get("ModelState", {}), response.text
    assert word not in response.text.split("not valid for")[0][-40:]


def test_customer_groups_are_never_a_bad_customer_id(client: TestClient) -> None:
    for path in ("/api/customers/groups", "/api/customers/transactions", "/api/customers/base"):
        response = client.get(BASE + path)
        assert response.status_code in (200, 501), response.text
        assert "customer_id" not in response.text
    assert ("/api/customers/{customer_id}", "groups") in {
        (r.path, w) for r in routes.RESOURCES for w in r.reserved.get("customer_id", ())
    }


# --- mockserver routes ----------------------------------------------------------------------------


def _routes_output(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["routes", *args]) == EXIT_OK
    out: str = capsys.readouterr().out
    return out


def test_routes_lists_every_vendor_operation_and_the_mock_s_own(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MOCKSERVER_UPSTREAM", raising=False)
    monkeypatch.delenv("MOCKSERVER_UPSTREAM_WRITES", raising=False)
    lines = _routes_output(capsys).splitlines()
    *table, total = lines
    own = [op for op in routes.OPERATIONS if not op.is_api]
    assert len(table) == len(vendor.CATALOGUE) + len(own)
    assert total == (
        f"{len(table)} routes: {len(MOCKED_OPS)} mocked, 0 passed through, "
        f"{len(UNMOCKED_OPS)} not mocked, {len(own)} mock only"
    )
    for line, v in zip(table, vendor.CATALOGUE, strict=False):
        status = "mocked" if v in MOCKED_OPS else "not mocked"
        assert line.split()[: len(status.split()) + 2] == [*status.split(), v.method, v.path]
        assert line.rstrip().endswith(v.summary)
    assert table[-1].split()[:4] == ["mock", "only", own[-1].method, own[-1].path]
    # aligned: every column starts at the same offset on every line
    widths = [len("not mocked"), len("DELETE"), max(len(v.path) for v in vendor.CATALOGUE)]
    starts = [0]
    for width in widths:
        starts.append(starts[-1] + width + 2)
    for line in table:
        for start in starts:
            assert line[start] != " " and (start == 0 or line[start - 1] == " "), (start, line)


def test_routes_json_and_passthrough(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MOCKSERVER_UPSTREAM_WRITES", raising=False)
    document = json.loads(_routes_output(capsys, "--json"))
    assert document["counts"]["mocked"] == len(MOCKED_OPS)
    assert document["counts"]["not mocked"] == len(UNMOCKED_OPS)
    by_key = {(row["method"], row["path"]): row for row in document["operations"]}
    assert by_key["GET", "/api/products/{id}"] == {
        "status": "not mocked", "method": "GET", "path": "/api/products/{id}",
        "tag": "Product", "name": "ProductGet", "summary": "Get product",
    }  # fmt: skip
    upstream = "http://127.0.0.1:9/Lemonsoft30"
    through = json.loads(_routes_output(capsys, "--json", "--upstream", upstream))
    reads = [v for v in UNMOCKED_OPS if v.method == "GET"]
    assert through["counts"]["passed through"] == len(reads)
    assert through["counts"]["not mocked"] == len(UNMOCKED_OPS) - len(reads)
    assert through["counts"]["mocked"] == len(MOCKED_OPS)
    writes = json.loads(
        _routes_output(capsys, "--json", "--upstream", upstream, "--upstream-writes")
    )
    assert writes["counts"]["passed through"] == len(UNMOCKED_OPS)
    assert writes["counts"]["not mocked"] == 0


def test_routes_refuses_a_bad_upstream(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["routes", "--upstream", "not a url"]) == EXIT_BAD_FLAG
    assert "upstream" in capsys.readouterr().err


# --- the OpenAPI document -------------------------------------------------------------------------


def test_the_document_lists_every_unmocked_operation_with_its_501(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    operations = {
        (method.upper(), path): item
        for path, methods in document["paths"].items()
        for method, item in methods.items()
        if method != "servers"
    }
    tags = {tag["name"] for tag in document["tags"]}
    for op in routes.UNMOCKED:
        found = operations[op.method, op.path]
        assert found["operationId"] == op.operation_id
        assert found["tags"] == [op.tag] and op.tag in tags
        assert found["summary"] == op.summary
        # 401: the session is checked first; 503: while the data load
        assert sorted(found["responses"]) == ["401", "501", "503"]
        assert found["security"] == [{"SessionId": []}, {}]  # auth optional
        assert "Not mocked" in found["description"]
        names = [p["name"] for p in found.get("parameters", [])]
        assert names == routes.parameters(op.path)
    ids = [item["operationId"] for item in operations.values()]
    assert len(ids) == len(set(ids))
    assert len(operations) == len(routes.OPERATIONS) + len(routes.UNMOCKED)


# --- the pytest plugin's teardown -----------------------------------------------------------------

UNMOCKED_CALL = """
import httpx2


def test_calls_an_unmocked_operation(mock_api):
    answer = httpx2.get(mock_api.url + "/api/products", headers=mock_api.headers)
    assert answer.status_code == 501
"""


def test_the_plugin_reports_an_unmocked_call_at_teardown(pytester: pytest.Pytester) -> None:
    with MockServer(customers=1) as api:  # imported before pytester (see test_plugin.py)
        httpx2.get(api.url + "/health")
    pytester.makepyfile(test_unmocked=UNMOCKED_CALL)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_calls_an_unmocked_operation*",
            "  #* GET /api/products -> 501 (tenant 'test_calls_an_unmocked_operation-*', *ms)",
            "      the mock does not implement this operation of the API (it answered 501): "
            "serve with --upstream URL to pass it through, or add a scenario rule with respond:",
        ]
    )
