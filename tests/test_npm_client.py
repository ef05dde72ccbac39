"""The published npm client of the vendor's API, ``@rantalainen/lemonsoft-api-client`` 1.0.3 (a
client no one here wrote, generated from the vendor's own OpenAPI document), unchanged, against
a mock served with ``--auth required --base-path /Lemonsoft30``: it logs in by itself and calls
every customer, contact and invoice operation the mock implements, and gets the answers its
types promise (200 and a JSON object: a record, or the list envelope). Every customer, contact
and invoice operation of the vendor must be implemented.

The package is installed with npm into a cached folder under the system's temporary folder
(one install per machine, reused by later runs). Without node or npm the tests skip, except in
CI (``CI`` set), where that is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest

from mockserver import routes, vendor
from mockserver.testing import MockServer

PACKAGE, VERSION = vendor.CLIENT_PACKAGE, vendor.CLIENT_VERSION
BASE = "/Lemonsoft30"
RUNNER = Path(__file__).parent / "npm_client" / "run.js"
BUILD_SCRIPT = Path(__file__).parent.parent / "scripts" / "build-vendor-operations"
TAGS = ("Customer", "Contact", "Invoice")
DATABASE = "npm-client"

# the vendor's customer, contact and invoice operations, and the route table's operation of each
VENDOR_OPS = [v for v in vendor.CATALOGUE if v.tag in TAGS]
SERVING = {(op.method, vendor.shape(op.path)): op for op in routes.OPERATIONS if op.is_api}


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        message = f"{name} is not on the PATH: the npm client test needs node and npm"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(scope="module")
def client_package() -> Path:
    """The installed package's folder: installed once into a cached folder, then reused."""
    node_modules = Path(tempfile.gettempdir()) / "mockserver-npm-client" / VERSION / "node_modules"
    installed = node_modules / PACKAGE
    _tool("node")
    npm = _tool("npm")
    if not _is_installed(installed):
        fresh = node_modules.parent.with_name(f"{VERSION}.{uuid.uuid4().hex}")
        fresh.mkdir(parents=True)
        try:
            subprocess.run(
                [npm, "install", "--prefix", str(fresh), "--no-audit", "--no-fund",
                 "--no-save", "--no-package-lock", "--loglevel=error", f"{PACKAGE}@{VERSION}"],
                check=True, capture_output=True, text=True, timeout=600,
            )  # fmt: skip
            if not _is_installed(fresh / "node_modules" / PACKAGE):
                pytest.fail(f"npm installed no {PACKAGE}@{VERSION} into {fresh}")
            try:
                fresh.rename(node_modules.parent)  # atomic: a concurrent run may have won
            except OSError:
                if not _is_installed(installed):
                    raise
        except subprocess.CalledProcessError as error:
            pytest.fail(f"npm install {PACKAGE}@{VERSION} failed:\n{error.stderr}")
        finally:
            shutil.rmtree(fresh, ignore_errors=True)
    return installed


def _is_installed(folder: Path) -> bool:
    try:
        manifest = json.loads((folder / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool(manifest.get("version") == VERSION and (folder / "dist" / "index.js").is_file())


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(customers=20, auth="required", base_path=BASE) as api:
        yield api


# --- the plan: every operation, in an order where each finds what it needs ---------------------


@dataclass(frozen=True)
class Step:
    """One call: the vendor's operation ``name`` with ``args`` (``ref("KEY.field")`` is what
    step KEY answered); ``missing``: the answer is a 404 with a ``Message``."""

    name: str
    args: tuple[Any, ...] = ()
    key: str = ""
    missing: bool = False
    expect: dict[str, Any] = field(default_factory=dict)  # fields of the answer

    @property
    def label(self) -> str:
        return self.key or self.name


def ref(path: str) -> dict[str, str]:
    return {"$ref": path}


PAGE = {"filter.page_size": 5}
CUSTOMER = {"name": "Oy Npm Asiakas Ab", "email": "npm@asiakas.fi"}
CUSTOMER_ID, CUSTOMER_NUMBER = ref("CustomerCreate.id"), ref("CustomerCreate.number")
INVOICE_ID = ref("InvoiceCreateNewInvoice.id")

PLAN = (
    # customers
    Step("CustomerList", (PAGE,)),
    Step("CustomerListBase", (PAGE,)),
    Step("CustomerCreate", (CUSTOMER,), expect={"name": CUSTOMER["name"]}),
    Step("CustomerGet", (CUSTOMER_ID,), expect={"id": CUSTOMER_ID, "email": CUSTOMER["email"]}),
    Step(
        "CustomerUpdate",
        (CUSTOMER_ID, {**CUSTOMER, "email": "uusi@asiakas.fi"}),
        expect={"id": CUSTOMER_ID, "email": "uusi@asiakas.fi"},
    ),
    Step(
        "CustomerAddAccount",
        (CUSTOMER_ID, {"iban": "FI2112345600000785", "bic": "NDEAFIHH", "bank_name": "Nordea"}),
        expect={"iban": "FI2112345600000785"},
    ),
    Step("CustomerDeleteAccount", (CUSTOMER_ID, ref("CustomerAddAccount.account_id"))),
    Step("CustomerAddAgreement", (CUSTOMER_ID, {"description": "Huoltosopimus"})),
    Step(
        "CustomerAddAgreementProduct",
        (
            CUSTOMER_ID,
            ref("CustomerAddAgreement.id"),
            {"product_code": "HUOLTO", "product_description": "Vuosihuolto", "product_amount": 1},
        ),
        expect={"product_code": "HUOLTO"},
    ),
    Step(
        "CustomerDeleteAgreementProduct",
        (CUSTOMER_ID, ref("CustomerAddAgreementProduct.agreement_product_id")),
    ),
    Step("CustomerDeleteAgreement", (CUSTOMER_ID, ref("CustomerAddAgreement.id"))),
    Step("CustomerListTransaction", (PAGE,)),
    Step("CustomerListTransactionAttributes"),
    Step("CustomerListGroups", (PAGE,)),
    Step(
        "CustomerAddTransaction",
        (
            CUSTOMER_ID,
            {
                "subject": "Puhelu",
                "header": "Tarjouspyyntö",
                "type": 1,
                "date": "2025-03-03T10:00:00",
            },
        ),
        expect={"subject": "Puhelu"},
    ),
    Step("CustomerGetSingleCustomerTransactions", (CUSTOMER_ID,)),
    Step(
        "CustomerUpdateTransaction",
        (CUSTOMER_ID, {"id": ref("CustomerAddTransaction.id"), "subject": "Puhelu 2"}),
        expect={"subject": "Puhelu 2"},
    ),
    Step("CustomerDeleteTransaction", (CUSTOMER_ID, ref("CustomerAddTransaction.id"))),
    Step(
        "CustomerAddContact",
        (
            CUSTOMER_ID,
            {"customer_id": CUSTOMER_ID, "name": "Maija Virtanen", "email": "maija@asiakas.fi"},
        ),
        expect={"name": "Maija Virtanen"},
    ),
    Step("CustomerDeleteContact", (CUSTOMER_ID, ref("CustomerAddContact.id"))),
    Step("CustomerAddText", (CUSTOMER_ID, {"header_number": 1, "note": "Soita aamulla"})),
    Step("CustomerAddCirculation", (CUSTOMER_ID, {"person_number": 1, "circulation_type": 1})),
    Step("CustomerDeleteCirculation", (CUSTOMER_ID, ref("CustomerAddCirculation.id"))),
    # contacts
    Step(
        "ContactCreate",
        (
            CUSTOMER_ID,
            {"customer_id": CUSTOMER_ID, "name": "Matti Nieminen", "email": "matti@asiakas.fi"},
        ),
        expect={"name": "Matti Nieminen"},
    ),
    Step("ContactList", (CUSTOMER_ID, PAGE)),
    Step(
        "ContactUpdate",
        (ref("ContactCreate.id"), {"customer_id": CUSTOMER_ID, "name": "Matti J. Nieminen"}),
        expect={"id": ref("ContactCreate.id"), "name": "Matti J. Nieminen"},
    ),
    # invoices
    Step("InvoiceList", (PAGE,)),
    Step(
        "InvoiceCreateNewInvoice",
        ({"customer_number": CUSTOMER_NUMBER, "date": "2025-03-01T00:00:00"},),
        expect={"customer_number": CUSTOMER_NUMBER},
    ),
    Step("InvoiceGet", (INVOICE_ID,), expect={"id": INVOICE_ID}),
    Step(
        "InvoiceUpdateInvoice",
        ({"id": INVOICE_ID, "date": "2025-03-02T00:00:00", "note": "Korjattu"},),
        expect={"id": INVOICE_ID, "note": "Korjattu"},
    ),
    Step(
        "InvoiceCreateNewInvoiceRow",
        (
            INVOICE_ID,
            {
                "product_code": "TYO",
                "product_name": "Asennustyö",
                "quantity": 2,
                "unit_price": 50.0,
                "total": 100.0,
            },
        ),
        expect={"quantity": 2},
    ),
    Step(
        "InvoiceCreateNewInvoicePayment",
        (INVOICE_ID, {"date": "2025-03-10T00:00:00", "total": 40.0}),
        expect={"total": 40.0},
    ),
    Step(
        "InvoiceCreateLink",
        (INVOICE_ID, {"description": "Tilausvahvistus", "target": "https://example.fi/t/1"}),
    ),
    Step("InvoiceDeleteLink", (INVOICE_ID, ref("InvoiceCreateLink.id"))),
    Step("InvoiceDeletePaymentRow", (INVOICE_ID, ref("InvoiceCreateNewInvoicePayment.id"))),
    Step("InvoiceDeleteInvoiceRow", (INVOICE_ID, ref("InvoiceCreateNewInvoiceRow.id"))),
    Step("InvoiceDeleteInvoice", (INVOICE_ID,)),
    # the mock holds no sales orders unless a scenario's records define them
    Step("InvoiceCreateNewInvoiceFromSalesOrder", (987654,), missing=True),
)

BY_NAME = {v.name: v for v in VENDOR_OPS}


def _served(name: str) -> routes.Operation | None:
    op = BY_NAME[name]
    return SERVING.get((op.method, op.shape))


def _refs(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if "$ref" in value:
            yield value["$ref"].split(".")[0]
        for item in value.values():
            yield from _refs(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _refs(item)


def _runnable() -> list[Step]:
    """The plan's steps whose operation the mock implements now, and whose references
    point at such steps."""
    kept: list[Step] = []
    labels: set[str] = set()
    for step in PLAN:
        if _served(step.name) is not None and set(_refs(step.args)) <= labels:
            kept.append(step)
            labels.add(step.label)
    return kept


def _call(method: str) -> str:
    return method[0].lower() + method[1:]


def _run(client_package: Path, server: MockServer, steps: list[Step]) -> list[dict[str, Any]]:
    plan = {
        "baseURL": server.url,
        "credentials": {"userName": "npm@example.fi", "password": "salasana",
                        "database": DATABASE, "apiKey": "npm-key"},
        "steps": [
            {"key": step.label, "namespace": BY_NAME[step.name].path.split("/")[2],
             "method": _call(step.name), "args": list(step.args)}
            for step in steps
        ],
    }  # fmt: skip
    node_path = str(client_package.parent.parent)  # .../node_modules
    done = subprocess.run(
        [_tool("node"), str(RUNNER)],
        input=json.dumps(plan), capture_output=True, text=True, timeout=300,
        env={**os.environ, "NODE_PATH": node_path},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report: list[dict[str, Any]] = json.loads(done.stdout)
    return report


def _resolved(value: Any, answers: dict[str, Any]) -> Any:
    if isinstance(value, dict) and "$ref" in value:
        key, *path = value["$ref"].split(".")
        found = answers[key]
        for part in path:
            found = found[part]
        return found
    return value


def _conforms(value: Any, kind: msgspec.inspect.Type, where: str = "$") -> None:
    """``value`` has the shape of the route table's answer model: objects carry only the
    model's fields, each of its type (a stored record may leave any field null)."""
    ins = msgspec.inspect
    if value is None or isinstance(kind, ins.AnyType):
        return
    if isinstance(kind, ins.UnionType):
        problems = []
        for option in kind.types:
            try:
                _conforms(value, option, where)
                return
            except AssertionError as problem:
                problems.append(str(problem))
        raise AssertionError(f"{where}: {value!r} fits no type of the union: {problems}")
    if isinstance(kind, ins.StructType):
        assert isinstance(value, dict), (where, value)
        fields = {f.encode_name: f.type for f in kind.fields}
        assert set(value) <= set(fields), (where, sorted(set(value) - set(fields)))
        for name, item in value.items():
            _conforms(item, fields[name], f"{where}.{name}")
        return
    if isinstance(kind, ins.ListType | ins.VarTupleType | ins.SetType | ins.FrozenSetType):
        assert isinstance(value, list), (where, value)
        for index, item in enumerate(value):
            _conforms(item, kind.item_type, f"{where}[{index}]")
        return
    simple: dict[type, tuple[type, ...]] = {
        ins.IntType: (int,), ins.FloatType: (int, float), ins.StrType: (str,),
        ins.BoolType: (bool,), ins.DateTimeType: (str,), ins.DateType: (str,),
        ins.DictType: (dict,),
    }  # fmt: skip
    expected = simple.get(type(kind))
    if expected is not None:
        assert isinstance(value, expected), (where, value, kind)
        assert bool not in expected or isinstance(value, bool), (where, value)
        assert not isinstance(value, bool) or bool in expected, (where, value, kind)
    if isinstance(kind, ins.DateTimeType | ins.DateType):
        moment = datetime if isinstance(kind, ins.DateTimeType) else date
        msgspec.json.decode(json.dumps(value).encode(), type=moment)
    if isinstance(kind, ins.LiteralType | ins.EnumType):
        allowed = (
            kind.values
            if isinstance(kind, ins.LiteralType)
            else [member.value for member in kind.cls]
        )
        assert value in allowed, (where, value, allowed)


def test_the_catalogue_is_what_the_installed_package_documents(client_package: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BUILD_SCRIPT), "--check", str(client_package)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_the_plan_calls_every_customer_contact_and_invoice_operation_once() -> None:
    assert sorted(step.name for step in PLAN) == sorted(v.name for v in VENDOR_OPS)
    assert len(VENDOR_OPS) == 38


def test_the_published_client_gets_what_its_types_promise(
    client_package: Path, server: MockServer
) -> None:
    steps = _runnable()
    assert steps, "the mock implements none of the customer, contact and invoice operations"
    report = _run(client_package, server, steps)
    assert [entry["key"] for entry in report] == [step.label for step in steps]
    answers: dict[str, Any] = {}
    for step, entry in zip(steps, report, strict=True):
        where = f"{step.name}: {json.dumps(entry, ensure_ascii=False)[:600]}"
        assert "error" not in entry, where
        data = entry["data"]
        if step.missing:
            assert entry["status"] == 404, where
            assert isinstance(data, dict) and isinstance(data.get("Message"), str), where
            continue
        assert entry["status"] == 200, where
        assert isinstance(data, dict), where  # every answer's type is `object`
        answers[step.label] = data
        served = _served(step.name)
        assert served is not None
        if served.listed:
            assert set(data) == {"result_count", "results"}, where
            assert isinstance(data["results"], list), where
            assert data["result_count"] == len(data["results"]), where
            for item in data["results"]:
                _conforms(item, msgspec.inspect.type_info(served.answer))
        else:
            _conforms(data, msgspec.inspect.type_info(served.answer))
        for name, expected in step.expect.items():
            assert data.get(name) == _resolved(expected, answers), (name, where)
    # the client logged in once, by itself, in the tenant it named, and sent its session
    journal = server.requests(tenant=DATABASE)
    logins = [e for e in journal if e.route == "/api/auth/login"]
    assert len(logins) == 1, [e.describe() for e in journal]
    assert all(e.status != 401 for e in journal), [e.describe() for e in journal]
    assert len(journal) == len(steps) + 1


def test_every_customer_contact_and_invoice_operation_of_the_vendor_is_mocked() -> None:
    missing = [f"{v.method} {v.path} ({v.name})" for v in VENDOR_OPS if _served(v.name) is None]
    assert not missing, "not mocked yet:\n" + "\n".join(missing)
