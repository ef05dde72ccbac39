"""Fuzzed conformance: schemathesis (pinned) against a running server, and a regression test
for every failure it has found.

The run: the ``st run`` command line against ``python -m mockserver serve`` on 127.0.0.1, a
fixed seed, no example database, the admin routes excluded (they reconfigure the server and
are tested on their own, and the journal's event stream would not end), the vendor's operations
the mock does not implement excluded (each answers 501 by design; the document marks them
``x-mock-not-mocked``), a configuration (``_st_config``) that accepts a documented 400 where no
schema can say a body will meet it, a bounded number of examples per operation and every check, the
stateful phase following the document's links (create -> get -> update -> add account). Zero
5xx, every answer matching its documented schema, and every 4xx ASP.NET shaped: the check
below, which the run loads from this module (``SCHEMATHESIS_HOOKS``).

To reproduce a failure by hand: ``st run URL --seed ... `` with the arguments ``_st_args``
builds; the output names a ``curl`` command for each failing case.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import hypothesis
import msgspec
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.core.warnings import SchemathesisWarning
from starlette.testclient import TestClient

from mockserver.app import create_app
from mockserver.models import NOT_BLANK, Customer, is_blank
from mockserver.openapi import NOT_MOCKED_MARKER
from mockserver.settings import Settings
from mockserver.store import RecordDataset, Store

SEED = 20261124
ADMIN_TAG = "Mock administration"
BASE = "/Lemonsoft30"
LOGIN = {"UserName": "u", "Password": "p", "Database": "conformance", "ApiKey": "k"}
_ERROR_KEYS = {"Message", "ModelState"}


# --- the check the fuzzing run adds ------------------------------------------------------------


def aspnet_error_problem(status: int, body: bytes) -> str | None:
    """What makes a 4xx answer other than ASP.NET Web API shaped, or None."""
    if not 400 <= status < 500:
        return None
    try:
        value = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return "the body is not JSON"
    if not isinstance(value, dict):
        return "the body is not a JSON object"
    if not isinstance(value.get("Message"), str):
        return "no `Message` string"
    if set(value) - _ERROR_KEYS:
        return f"unexpected keys {sorted(set(value) - _ERROR_KEYS)}"
    state = value.get("ModelState")
    if "ModelState" in value and not (
        isinstance(state, dict)
        and state
        and all(
            isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages)
            for messages in state.values()
        )
    ):
        return "`ModelState` is not a map of field to a list of messages"
    return None


@schemathesis.check
def aspnet_error_shape(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case[Any]
) -> bool | None:
    problem = aspnet_error_problem(response.status_code, response.content)
    if problem is not None:
        raise AssertionError(f"{response.status_code} is not an ASP.NET error: {problem}")
    return None


def test_the_error_check_accepts_only_the_aspnet_shape() -> None:
    good = b'{"Message":"The request is invalid.","ModelState":{"customer.name":["Required."]}}'
    assert aspnet_error_problem(400, good) is None
    assert aspnet_error_problem(404, b'{"Message":"No."}') is None
    assert aspnet_error_problem(200, b"not json") is None
    assert aspnet_error_problem(400, b"Bad Request") == "the body is not JSON"
    assert aspnet_error_problem(400, b"[]") == "the body is not a JSON object"
    assert aspnet_error_problem(401, b'{"detail":"x"}') == "no `Message` string"
    assert aspnet_error_problem(400, b'{"Message":"x","errors":[]}') == "unexpected keys ['errors']"
    assert aspnet_error_problem(400, b'{"Message":"x","ModelState":{"a":"b"}}') == (
        "`ModelState` is not a map of field to a list of messages"
    )


# --- the fuzzing run ---------------------------------------------------------------------------


# Writes whose 400 no JSON Schema can express, so a schema-valid body may meet it: a customer
# number or id naming no customer of the tenant (an invoice's `customer_number`, a contact
# moved to another customer) and a row whose quantity x unit price passes the books' bound.
# Each 400 is documented and still has to be ASP.NET shaped (the check above); only these
# operations accept it as an answer to a valid body (schemathesis's `positive_data_acceptance`).
REFERENTIAL_400 = ("createInvoice", "updateInvoice", "updateContact", "createInvoiceRow")
# Warnings the run may print without failing: a random customer number seldom names a customer,
# so two of the operations above mostly answer that 400 (`validation_mismatch`), and some ids
# (a new contact's, agreement's, transaction's; a sales order's, of which the mock has none)
# are seldom guessed, so those operations mostly answer 404 (`missing_test_data`). Every other
# warning fails the run.
KNOWN_WARNINGS = {"missing_test_data", "validation_mismatch", "low_valid_rate"}


def _st_config(folder: Path) -> Path:
    accepted = '["2XX", "400", "401", "403", "404", "409", "429", "5XX"]'
    fail_on = sorted(str(w) for w in SchemathesisWarning if str(w) not in KNOWN_WARNINGS)
    config = folder / "schemathesis.toml"
    config.write_text(
        f"[warnings]\nfail-on = {msgspec.json.encode(fail_on).decode()}\n\n"
        + "".join(
            f'[[operations]]\ninclude-operation-id = "{operation_id}"\n'
            f"checks.positive_data_acceptance.expected-statuses = {accepted}\n\n"
            for operation_id in REFERENTIAL_400
        )
    )
    return config


def _st_args(url: str, session_id: str, examples: int, config: Path) -> list[str]:
    return [
        sys.executable, "-m", "schemathesis.cli", "--config-file", str(config), "run", url,
        "--seed", str(SEED),
        "--generation-database", "none",
        "--max-examples", str(examples),
        "--exclude-tag", ADMIN_TAG,
        # the vendor's operations the mock does not implement answer 501 by design (a 5xx to
        # the fuzzer); the document marks each, and tests/test_vendor_routes.py covers them
        "--exclude-by", f"/{NOT_MOCKED_MARKER} == true",
        "--checks", "all",
        "--header", f"Session-Id: {session_id}",
        # one worker: with two, CPython 3.11 raised "AST constructor recursion depth mismatch"
        # inside schemathesis now and then (it parses sources in each worker thread)
        "--workers", "1",
        "--request-timeout", "10",
        "--no-color",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("auth", "base_path", "examples"),
    [("required", BASE, 40), ("optional", "", 15)],
    ids=["auth-required-base-path", "auth-optional-root"],
)
def test_schemathesis_finds_nothing(
    start_server: Any, tmp_path: Path, auth: str, base_path: str, examples: int
) -> None:
    server = start_server(
        "--customers", "20", "--invoices", "60", "--auth", auth, "--base-path", base_path,
        "--log-level", "warning",
    )  # fmt: skip
    api = server.base_url + base_path
    login = httpx.post(f"{api}/api/auth/login", json=LOGIN, timeout=5)
    assert login.status_code == 200, login.text
    env = dict(os.environ, SCHEMATHESIS_HOOKS=Path(__file__).stem)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).parent),
                                                      env.get("PYTHONPATH")]))  # fmt: skip
    run = subprocess.run(
        _st_args(
            f"{api}/swagger/docs/v1", login.json()["session_id"], examples, _st_config(tmp_path)
        ),
        cwd=tmp_path,  # schemathesis and Hypothesis leave their folders here
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=240,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 0, output[-20000:]
    # no failure and no error: the banner says "No issues found" or counts only warnings
    banner = re.search(r"=+ (.+) in [0-9.]+s =+", output)
    assert banner is not None, output[-5000:]
    assert re.fullmatch(r"No issues found|\d+ warnings?", banner.group(1)), output[-5000:]
    assert "aspnet_error_shape" not in output
    # the stateful phase ran: the document's links chained real calls
    assert "Stateful" in output and "⏭  Stateful" not in output, output[-3000:]


# --- regressions: one test per failure the fuzzing found ---------------------------------------


@pytest.fixture
def client() -> TestClient:
    return TestClient(create_app(Settings(customers=5, invoices=10)))


def test_a_customer_without_email_matches_its_documented_answer() -> None:
    """ST108: generated customers may have no email, which the document once forbade."""
    store = Store(RecordDataset([Customer(id=1, number=1, name="N", email=None)], []))  # type: ignore[arg-type]
    with TestClient(create_app(Settings(), store=store)) as client:
        document = client.get("/openapi.json").json()
        answer = client.get("/api/customers/1")
        listed = client.get("/api/customers")
    assert answer.json()["email"] is None
    schema = schemathesis.openapi.from_dict(document)
    assert schema["/api/customers/{customer_id}"]["GET"].validate_response(answer) is None
    assert schema["/api/customers"]["GET"].validate_response(listed) is None


@pytest.mark.parametrize(
    "query", ["filter.modified_after=", "filter.updated_before=", "filter.page=&filter.name="]
)
def test_an_empty_filter_value_counts_as_absent(client: TestClient, query: str) -> None:
    """ST201: `filter.modified_after=` is no date-time, but ASP.NET binds it as absent; the
    document now says so (allowEmptyValue)."""
    empty = client.get(f"/api/customers?{query}")
    assert empty.status_code == 200
    assert empty.content == client.get("/api/customers").content
    assert client.get(f"/api/invoices?{query}").content == client.get("/api/invoices").content


def test_other_methods_on_customers_base_are_405(client: TestClient) -> None:
    """ST204: `PUT /api/customers/base` reached the customer route as id "base" (a 400)."""
    for method in ("PUT", "POST", "DELETE"):
        response = client.request(method, "/api/customers/base", json={"name": "n", "email": "e"})
        assert response.status_code == 405
        assert response.headers["allow"] == "GET, HEAD"
        assert response.json() == {
            "Message": f"The requested resource does not support http method '{method}'."
        }
    assert client.put("/api/customers/x", json={"name": "n", "email": "e"}).status_code == 400


@pytest.mark.parametrize("base_path", ["", BASE])
def test_405_lists_every_method_of_the_path_in_order(base_path: str) -> None:
    """ST205: the Allow header of a 405 named only the first route of the path (and in an
    order that changed from process to process)."""
    app = create_app(Settings(customers=2, invoices=2, base_path=base_path))
    with TestClient(app) as client:
        for path, allow in ((f"{base_path}/api/customers/1", "GET, HEAD, PUT"),
                            (f"{base_path}/API/Customers/", "GET, HEAD, POST"),
                            (f"{base_path}/_mock/scenario", "DELETE, GET, HEAD, PUT"),
                            ("/_mock/requests", "DELETE, GET, HEAD")):  # fmt: skip
            response = client.options(path)
            assert response.status_code == 405
            assert response.headers["allow"] == allow


@hypothesis.settings(max_examples=60, deadline=None, database=None)
@hypothesis.given(value=st.text(alphabet=st.sampled_from(" \t\n\x0b\x0c\r\x1c\x1f\x85\xa0\u1680"
                                                        "\u2000\u200a\u2028\u202f\u3000\ufeffa0"),
                                max_size=4))  # fmt: skip
def test_login_accepts_exactly_what_the_documented_pattern_allows(value: str) -> None:
    """ST202: blank names were rejected though the document allowed any string; now the
    document's pattern and the server's check are one regex (.NET's white space)."""
    with TestClient(create_app(Settings(customers=1, invoices=1))) as client:
        response = client.post("/api/auth/login", json=LOGIN | {"UserName": value})
    allowed = re.search(NOT_BLANK, value) is not None
    assert allowed is not is_blank(value)
    assert response.status_code == (200 if allowed else 400), (value, response.text)


def test_whole_numbers_written_as_floats_bind_to_integers(client: TestClient) -> None:
    """ST202: JSON Schema's integers include 2.0, and Json.NET binds it; msgspec did not."""
    account = client.post("/api/customers/1/accounts", json={"account_id": -16777217.0,
                                                              "bank_name": "B"})  # fmt: skip
    assert account.status_code == 200, account.text
    assert account.json()["customer_id"] == 1
    body = {"name": "N", "email": "e", "group": 3.0, "interest": 2.0,
            "agreements": [{"automation_weekday": 1406098.0}]}  # fmt: skip
    updated = client.put("/api/customers/1", json=body)
    assert updated.status_code == 200, updated.text
    stored = client.get("/api/customers/1").json()
    assert stored["group"] == 3 and isinstance(stored["group"], int)
    assert stored["interest"] == 2.0
    assert stored["agreements"][0]["automation_weekday"] == 1406098
    half = client.put("/api/customers/1", json=body | {"group": 3.5})
    assert half.status_code == 400
    assert half.json() == {
        "Message": "The request is invalid.",
        "ModelState": {
            "customer.group": [
                "Input string '3.5' is not a valid integer. Path 'group', line 1, position 35."
            ]
        },
    }


def test_date_time_fields_are_documented_as_date_times(client: TestClient) -> None:
    """ST202: without `format: date-time` the fuzzer sent "" as a valid `created`; the
    server's 400 for it is right, the document was wrong."""
    document = client.get("/openapi.json").json()
    created = document["components"]["schemas"]["Customer"]["properties"]["created"]
    assert created["anyOf"][0] == {"type": "string", "format": "date-time"}
    response = client.post("/api/customers", json={"name": "N", "email": "e", "created": ""})
    assert response.status_code == 400


def test_a_new_row_after_a_row_numbered_int32_max_gets_a_free_int32_number(
    client: TestClient,
) -> None:
    """ST108: a row added after one numbered 2147483647 was numbered 2147483648, past the
    Int32 the document (and the real server) give `number`; it now takes the lowest free one."""
    row = {"quantity": 1.0, "unit_price": 2.0, "total": 0.0}
    rows = client.get("/api/invoices/1").json()["rows"] or []
    high = client.post("/api/invoices/1/row", json=row | {"number": 2**31 - 1})
    assert high.status_code == 200, high.text
    added = client.post("/api/invoices/1/row", json=row)
    assert added.status_code == 200, added.text
    taken = {r["number"] for r in rows} | {2**31 - 1}
    assert added.json()["number"] == min(set(range(1, len(taken) + 2)) - taken)
    schema = schemathesis.openapi.from_dict(client.get("/openapi.json").json())
    assert (
        schema["/api/invoices/{id}"]["GET"].validate_response(client.get("/api/invoices/1")) is None
    )


def test_a_put_that_names_its_record_in_the_body_documents_id_as_required(
    client: TestClient,
) -> None:
    """ST202: `PUT /api/invoices` and `PUT .../transactions` answer 400 without `id`, which the
    document (sharing the POST's model) did not require."""
    document = client.get("/openapi.json").json()
    for path in ("/api/invoices", "/api/customers/{customer_id}/transactions"):
        body = document["paths"][path]["put"]["requestBody"]["content"]["application/json"]
        needed = body["schema"]["allOf"][1]
        assert needed == {"required": ["id"], "properties": {"id": {"not": {"type": "null"}}}}
    missing = client.put("/api/customers/1/transactions", json={})
    assert missing.status_code == 400
    assert missing.json()["ModelState"] == {"proxytransaction.id": ["The id field is required."]}


def test_exactly_the_not_mocked_operations_carry_the_marker(client: TestClient) -> None:
    """ST101: the 501 of every not-mocked operation is by design; the run skips them by the
    document's marker, which no mocked operation may carry (it would go unfuzzed)."""
    document = client.get("/openapi.json").json()
    marked = unmarked = 0
    for item in document["paths"].values():
        for method, operation in item.items():
            if method == "servers":
                continue
            not_mocked = operation.get(NOT_MOCKED_MARKER, False)
            assert not_mocked is ("501" in operation["responses"]), operation["operationId"]
            marked += not_mocked
            unmarked += not not_mocked
    assert marked > 200 and unmarked > 40
