"""``mockserver record``: recording a stand-in upstream (the mock under ``/Lemonsoft30`` with
``--auth required`` and another seed) and serving the recording back.

The recorded scenario must serve the upstream's ids, numbers, amounts and dates unchanged,
pass the mock's own checks and python-stdnum's, hold none of the upstream's personal values
when anonymized (all of them byte for byte when not), come out byte-identical twice, and the
recorder must never send the upstream anything but GETs and the login."""

from __future__ import annotations

import asyncio
import io
import json
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from standin import StandIn, stand_in
from stdnum import bic as std_bic
from stdnum import iban as std_iban
from stdnum import iso11649
from stdnum.fi import alv, ytunnus

from mockserver.bridge import anonymize
from mockserver.bridge.record import (
    HEADER,
    Progress,
    RecordError,
    Recording,
    RecordOptions,
    _missing,
    run,
)
from mockserver.bridge.upstream import Credentials, Upstream
from mockserver.cli import main
from mockserver.testing import MockServer

CREDENTIALS = Credentials("recorder", "pa55-word-xyz", "sandbox", "api-key-xyz")
SECRETS = ("pa55-word-xyz", "api-key-xyz")
ENV = {
    "MOCKSERVER_UPSTREAM_USERNAME": "recorder",
    "MOCKSERVER_UPSTREAM_PASSWORD": "pa55-word-xyz",
    "MOCKSERVER_UPSTREAM_DATABASE": "sandbox",
    "MOCKSERVER_UPSTREAM_APIKEY": "api-key-xyz",
}


@pytest.fixture(scope="module")
def upstream_server() -> Iterator[StandIn]:
    with stand_in(seed=7, customers=30, invoices=150) as server:
        yield server


async def _everything(url: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    async with Upstream(url, Credentials("u", "p", "d", "k")) as client:
        customers = [c async for page in client.pages("/api/customers") for c in page]
        invoices = [i async for page in client.pages("/api/invoices") for i in page]
    return customers, invoices


def everything(url: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Every customer and invoice a server serves, as a client pages them."""
    return asyncio.run(_everything(url))


@pytest.fixture(scope="module")
def upstream_data(upstream_server: StandIn) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    return everything(upstream_server.url)


def record(server: StandIn, out: Path, **options: Any) -> Recording:
    recording = run(RecordOptions(upstream=server.url, out=out, **options), CREDENTIALS)
    assert recording.problems == []
    return recording


def served(scenario: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    with MockServer(scenario=scenario) as api:
        return everything(api.url)


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def personal_values(customers: list[dict[str, Any]], invoices: list[dict[str, Any]]) -> set[str]:
    """Every personal value of the data (and company names and business ids)."""
    found: set[str] = set()

    def take(record: dict[str, Any], fields: dict[str, str]) -> None:
        for name, kind in fields.items():
            value = record.get(name)
            if not isinstance(value, str) or not value.strip():
                continue
            if kind == anonymize.PERSON_LIKE and not anonymize.looks_like_person(value):
                continue
            if kind in (anonymize.STREET2, anonymize.LINE) and not anonymize.is_street(kind, value):
                continue
            found.add(value)

    for customer in customers:
        take(customer, anonymize.CUSTOMER_FIELDS)
        take(customer, {"searchname": anonymize.COMPANY})
        for contact in customer["contacts"]:
            take(contact, anonymize._CONTACT)
        for text in customer["texts"]:
            take(text, {"note": anonymize.NOTE})
        for account in customer["accounts"]:
            take(account, {"iban": "iban", "account_number": "iban"})
    for invoice in invoices:
        take(invoice, anonymize.INVOICE_FIELDS)
        for row in invoice["rows"]:
            take(row, {"note": anonymize.NOTE, "inner_note": anonymize.NOTE})
    return found


# --- anonymized (the default) ----------------------------------------------------------------


@pytest.fixture(scope="module")
def anonymized(
    upstream_server: StandIn, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Recording]:
    out = tmp_path_factory.mktemp("anonymized") / "recorded"
    return out, record(upstream_server, out)


# The fields anonymizing may change; everything else must be served exactly as recorded.
PERSONAL_CUSTOMER = {
    *anonymize.CUSTOMER_FIELDS,
    *("searchname", "contacts", "texts", "accounts", "agreements", "dimension"),
}
AGREEMENT_TEXTS = set(anonymize._AGREEMENT) | {"products"}
PERSONAL_INVOICE = {*anonymize.INVOICE_FIELDS, "rows"}
ROW_NOTES = {"note", "inner_note"}


def _without(record: dict[str, Any], names: set[str]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if key not in names}


def test_served_back_the_numbers_ids_amounts_and_dates_are_the_upstreams(
    anonymized: tuple[Path, Recording],
    upstream_data: tuple[list[dict[str, Any]], list[dict[str, Any]]],
) -> None:
    out, recording = anonymized
    assert (recording.customers, recording.invoices) == (30, 150)
    customers, invoices = served(out / "scenario.yaml")
    up_customers, up_invoices = upstream_data
    placeholders = {c["id"] for c in up_customers if c["email"] is None}
    assert placeholders  # the stand-in has customers without e-mail: they get one
    assert [c["id"] for c in customers] == [c["id"] for c in up_customers]
    assert [i["id"] for i in invoices] == [i["id"] for i in up_invoices]
    for mine, theirs in zip(customers, up_customers, strict=True):
        assert _without(mine, PERSONAL_CUSTOMER | {"email"}) == _without(
            theirs, PERSONAL_CUSTOMER | {"email"}
        )
        assert [_without(c, set(anonymize._CONTACT)) for c in mine["contacts"]] == [
            _without(c, set(anonymize._CONTACT)) for c in theirs["contacts"]
        ]
        assert [t["id"] for t in mine["texts"]] == [t["id"] for t in theirs["texts"]]
        assert [_without(a, AGREEMENT_TEXTS) for a in mine["agreements"]] == [
            _without(a, AGREEMENT_TEXTS) for a in theirs["agreements"]
        ]
        assert _without(mine["dimension"], {"Customer_reference_note"}) == _without(
            theirs["dimension"], {"Customer_reference_note"}
        )
        kept_account = {"account_id", "customer_id", "bank_country_code"}
        assert [{k: a[k] for k in kept_account} for a in mine["accounts"]] == [
            {k: a[k] for k in kept_account} for a in theirs["accounts"]
        ]
    for mine, theirs in zip(invoices, up_invoices, strict=True):
        assert _without(mine, PERSONAL_INVOICE) == _without(theirs, PERSONAL_INVOICE)
        assert [_without(r, ROW_NOTES) for r in mine["rows"]] == [
            _without(r, ROW_NOTES) for r in theirs["rows"]
        ]


def test_the_recording_passes_the_mocks_own_checks(anonymized: tuple[Path, Recording]) -> None:
    out, _ = anonymized
    assert main(["validate", str(out / "scenario.yaml")]) == 0


def test_identifiers_stay_valid_and_consistent(anonymized: tuple[Path, Recording]) -> None:
    out, _ = anonymized
    customers, invoices = served(out / "scenario.yaml")
    vats = [c["vat"] for c in customers if c["vat"]]
    assert vats
    for customer in customers:
        vat = customer["vat"]
        if vat:
            assert alv.is_valid(vat), vat
            assert ytunnus.is_valid(f"{vat[2:9]}-{vat[9]}"), vat
        if customer["finvoice_address"]:
            assert customer["finvoice_address"] == "0037" + vat[2:]
        for account in customer["accounts"]:
            assert std_iban.is_valid(account["iban"]), account
            assert std_bic.is_valid(account["bic"]), account
            assert account["account_number"].replace(" ", "") == account["iban"]
            assert anonymize._bank_of(account["iban"]).bic == account["bic"]
        domain = customer["email"].rpartition("@")[2]
        if customer["www"] and domain != "example.invalid":  # its domain follows its name
            assert customer["www"] == f"www.{domain}"
    for invoice in invoices:
        if invoice["rf_reference"]:
            assert iso11649.is_valid(invoice["rf_reference"])


def test_no_personal_value_of_the_upstream_is_left(
    anonymized: tuple[Path, Recording],
    upstream_data: tuple[list[dict[str, Any]], list[dict[str, Any]]],
) -> None:
    out, recording = anonymized
    personal = personal_values(*upstream_data)
    assert len(personal) > 300
    recorded: set[str] = set()
    for name, data in files_of(out).items():
        if name.endswith(".json"):
            recorded.update(strings(json.loads(data)))
    assert personal & recorded == set()
    assert recording.anonymized["email"] > 0


def test_the_same_value_has_the_same_replacement_everywhere(
    anonymized: tuple[Path, Recording],
    upstream_data: tuple[list[dict[str, Any]], list[dict[str, Any]]],
) -> None:
    out, _ = anonymized
    customers, invoices = served(out / "scenario.yaml")
    up_customers, up_invoices = upstream_data
    pairs: dict[str, set[str]] = {}

    def pair(theirs: Any, mine: Any) -> None:
        if isinstance(theirs, str) and isinstance(mine, str) and "@" in theirs:
            pairs.setdefault(theirs, set()).add(mine)

    for mine, theirs in zip(customers, up_customers, strict=True):
        pair(theirs["email"], mine["email"])
        for a, b in zip(mine["contacts"], theirs["contacts"], strict=True):
            pair(b["email"], a["email"])
    for mine, theirs in zip(invoices, up_invoices, strict=True):
        for party in ("customer", "delivery_customer", "orderer_customer"):
            pair(theirs[f"{party}_contact_email"], mine[f"{party}_contact_email"])
    shared = [email for email, seen in pairs.items() if len(seen) == 1]
    assert len(shared) > 10
    assert all(len(seen) == 1 for seen in pairs.values())
    # an e-mail domain follows its company's replaced name, in contacts too
    for mine, theirs in zip(customers, up_customers, strict=True):
        own = (theirs["email"] or "").rpartition("@")[2]
        for a, b in zip(mine["contacts"], theirs["contacts"], strict=True):
            if b["email"] and own and b["email"].endswith("@" + own):
                assert a["email"].endswith("@" + mine["email"].rpartition("@")[2])


def test_recording_twice_gives_the_same_bytes_and_another_seed_does_not(
    upstream_server: StandIn, anonymized: tuple[Path, Recording], tmp_path: Path
) -> None:
    first, _ = anonymized
    record(upstream_server, tmp_path / "again")
    assert files_of(tmp_path / "again") == files_of(first)
    record(upstream_server, tmp_path / "other", seed=2)
    other = files_of(tmp_path / "other")
    assert other.keys() == files_of(first).keys()
    assert other["customers/0001.json"] != files_of(first)["customers/0001.json"]


def test_recording_again_into_the_same_folder_replaces_it(
    upstream_server: StandIn, tmp_path: Path
) -> None:
    out = tmp_path / "rec"
    record(upstream_server, out, customers=3)
    before = files_of(out)
    record(upstream_server, out, customers=3)
    assert files_of(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rec"]  # no partial folders left


def test_a_folder_that_is_not_a_recording_is_refused(
    upstream_server: StandIn, tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(RecordError) as caught:
        record(upstream_server, tmp_path)
    assert str(caught.value) == (
        f"--out {tmp_path}: the folder holds files that are not an earlier recording; give a "
        "new or empty folder"
    )
    assert files_of(tmp_path) == {"notes.txt": b"mine"}


# --- not anonymized, and companies kept ----------------------------------------------------------


def test_keep_personal_data_records_every_value_byte_for_byte(
    upstream_server: StandIn,
    upstream_data: tuple[list[dict[str, Any]], list[dict[str, Any]]],
    tmp_path: Path,
) -> None:
    recording = record(upstream_server, tmp_path / "raw", anonymize=False)
    assert recording.anonymized == {}
    text = (tmp_path / "raw" / "scenario.yaml").read_text()
    assert "NOT anonymized" in text
    customers, invoices = served(tmp_path / "raw" / "scenario.yaml")
    up_customers, up_invoices = upstream_data
    assert invoices == up_invoices
    for mine, theirs in zip(customers, up_customers, strict=True):
        if theirs["email"] is None:
            assert mine["email"] == f"customer-{theirs['id']}@example.invalid"
            mine["email"] = None
        assert mine == theirs
    raw = b"".join(files_of(tmp_path / "raw").values()).decode()
    assert all(
        json.dumps(v, ensure_ascii=False)[1:-1] in raw for v in personal_values(*upstream_data)
    )


def test_keep_companies_keeps_names_and_business_ids_only(
    upstream_server: StandIn,
    upstream_data: tuple[list[dict[str, Any]], list[dict[str, Any]]],
    tmp_path: Path,
) -> None:
    record(upstream_server, tmp_path / "k", keep_companies=True)
    customers, invoices = served(tmp_path / "k" / "scenario.yaml")
    up_customers, _ = upstream_data
    company_fields = ("name", "searchname", "vat", "finvoice_address", "www", "invoicing_name")
    for mine, theirs in zip(customers, up_customers, strict=True):
        assert {k: mine[k] for k in company_fields} == {k: theirs[k] for k in company_fields}
        if theirs["email"]:  # the domain stays; a person's address does not
            assert mine["email"].rpartition("@")[2] == theirs["email"].rpartition("@")[2]
        for a, b in zip(mine["contacts"], theirs["contacts"], strict=True):
            assert a["name"] != b["name"]
    assert {i["customer_name"] for i in invoices} <= {c["name"] for c in up_customers}


# --- subsets -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"customers": 4}, lambda c: c["id"] <= 4),
        ({"filters": (("is_supplier", "1"),)}, lambda c: c["is_supplier"]),
        ({"modified_after": "2024-06-01"}, lambda c: c["modified"] > "2024-06-01"),
    ],
)
def test_a_subset_keeps_referential_integrity(
    upstream_server: StandIn,
    upstream_data: tuple[list[dict[str, Any]], list[dict[str, Any]]],
    tmp_path: Path,
    options: dict[str, Any],
    expected: Any,
) -> None:
    recording = record(upstream_server, tmp_path / "sub", **options)
    up_customers, up_invoices = upstream_data
    chosen = [c for c in up_customers if expected(c)]
    assert 0 < len(chosen) < len(up_customers)
    numbers = {c["number"] for c in chosen}

    def inside(invoice: dict[str, Any]) -> bool:
        refs = ("customer_number", "delivery_customer_number", "orderer_customer_number")
        return all(invoice[name] is None or invoice[name] in numbers for name in refs)

    customers, invoices = served(tmp_path / "sub" / "scenario.yaml")
    assert [c["id"] for c in customers] == [c["id"] for c in chosen]
    assert [i["id"] for i in invoices] == [
        i["id"] for i in up_invoices if i["customer_number"] in numbers and inside(i)
    ]
    assert recording.dropped_invoices == sum(
        1 for i in up_invoices if i["customer_number"] in numbers and not inside(i)
    )


# --- what the lists leave out, and fields the mock does not know -----------------------------


def _fake_upstream(seen: list[str]) -> httpx.MockTransport:
    """Two customers whose list answers leave out their contacts and carry a field the mock
    does not model; one invoice."""
    contact = {"id": 1, "customer_id": 1, "name": "Aino Aalto", "email": "aino@aalto.fi"}
    full: list[dict[str, Any]] = [
        {"id": n, "number": 10000 + n, "name": f"Yhtiö {n} Oy", "email": f"info@y{n}.fi",
         "contacts": [dict(contact, id=n, customer_id=n)], "loyalty_tier": "gold"}
        for n in (1, 2)
    ]  # fmt: skip
    row = {"quantity": 1.0, "unit_price": 10.0, "total": 10.0}
    invoice: dict[str, Any] = {
        "id": 5, "number": 100005, "customer_number": 10001, "total_sum": 10.0,
        "date": "2025-01-02T00:00:00Z", "rows": [row],
    }  # fmt: skip

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        path = request.url.path.removeprefix("/erp")
        if path == "/api/auth/login":
            return httpx.Response(200, json={"code": 200, "message": "ok", "session_id": "s"})
        page = int(request.url.params.get("page", "1"))
        if path == "/api/customers":
            results = [{k: v for k, v in c.items() if k != "contacts"} for c in full]
            results = results if page == 1 else []
            return httpx.Response(200, json={"result_count": len(results), "results": results})
        if path.startswith("/api/customers/"):
            return httpx.Response(200, json=full[int(path.rsplit("/", 1)[1]) - 1])
        if path == "/api/invoices":
            results = [invoice] if page == 1 else []
            return httpx.Response(200, json={"result_count": len(results), "results": results})
        if path == "/api/invoices/5":
            return httpx.Response(200, json=invoice)
        return httpx.Response(404, json={"Message": "not found"})

    return httpx.MockTransport(handle)


def test_what_the_lists_leave_out_is_fetched_one_by_one(tmp_path: Path) -> None:
    seen: list[str] = []
    options = RecordOptions(upstream="https://erp.example.fi/erp", out=tmp_path / "r")
    recording = asyncio.run(_record_with(options, _fake_upstream(seen)))
    assert recording.detailed == ["customers"]
    assert recording.left_out == {"customer.loyalty_tier"}
    assert recording.problems == []
    assert all(line.startswith("GET ") for line in seen[1:]) and seen[0].startswith("POST ")
    records = json.loads((tmp_path / "r" / "customers" / "0001.json").read_text())
    assert [len(c["contacts"]) for c in records] == [1, 1]
    assert "loyalty_tier" not in records[0]


async def _record_with(options: RecordOptions, transport: httpx.MockTransport) -> Recording:
    from mockserver.bridge.record import record as record_async

    return await record_async(options, CREDENTIALS, transport=transport)


@pytest.mark.parametrize(
    ("listed", "single", "missing"),
    [
        ({"a": 1, "b": [1]}, {"a": 1, "b": [1]}, False),
        ({"a": 1}, {"a": 1, "b": None}, False),
        ({"a": 1}, {"a": 1, "b": [{"c": 1}]}, True),
        ({"a": None}, {"a": 2}, True),
        ({"x": [{"c": None}]}, {"x": [{"c": "d"}]}, True),
    ],
)
def test_missing_compares_list_and_single_answers(listed: Any, single: Any, missing: bool) -> None:
    assert _missing(listed, single) is missing


# --- safety ---------------------------------------------------------------------------------------


def test_the_recorder_never_sends_a_write(upstream_server: StandIn, anonymized: Any) -> None:
    assert upstream_server.counter.methods["GET"] > 0
    assert upstream_server.writes == []


def test_the_command_line(
    upstream_server: StandIn,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "cli"
    argv = ["record", "--upstream", upstream_server.url, "--out", str(out), "--customers", "2"]
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    assert main(argv) == 2
    assert capsys.readouterr().err == (
        "mockserver: error: the upstream's credentials are missing: set "
        "MOCKSERVER_UPSTREAM_USERNAME, MOCKSERVER_UPSTREAM_PASSWORD, "
        "MOCKSERVER_UPSTREAM_DATABASE, MOCKSERVER_UPSTREAM_APIKEY\n"
    )
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert err.startswith("mockserver record: 2 customers and ")
    assert "\r" not in err  # no progress bar when stderr is not a terminal
    assert (out / "scenario.yaml").read_text().startswith(HEADER)
    everything_written = b"".join(files_of(out).values()).decode()
    assert not any(secret in everything_written + err for secret in SECRETS)
    assert main([*argv, "--modified-after", "yesterday"]) == 2
    assert capsys.readouterr().err == (
        "mockserver: error: --modified-after 'yesterday' is not a date (write 2024-01-31 or "
        "2024-01-31T12:00:00Z)\n"
    )
    assert main([*argv, "--filter", "page=3"]) == 2
    assert "paging is the recorder's" in capsys.readouterr().err


def test_an_upstream_that_cannot_be_reached_is_exit_status_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    status = main(
        ["record", "--upstream", f"http://127.0.0.1:{port}", "--out", str(tmp_path / "x")]
    )
    assert status == 3
    err = capsys.readouterr().err
    assert err.startswith("mockserver: error: the upstream failed (refused): POST ")
    assert not (tmp_path / "x").exists()


# --- the anonymizer on its own -----------------------------------------------------------------


@settings(max_examples=25, deadline=None)
@given(st.randoms(use_true_random=False))
def test_replacements_do_not_depend_on_the_order_records_come_in(rng: random.Random) -> None:
    records = [
        {"id": n, "name": f"Yritys {n} Oy", "email": f"anna.virtanen@y{n % 3}.fi",
         "phone": f"040 123 45{n:02d}", "street": f"Katu {n % 4}",
         "contacts": [{"id": n, "customer_id": n, "name": "Anna Virtanen",
                       "email": f"anna.virtanen@y{n % 3}.fi"}]}
        for n in range(1, 9)
    ]  # fmt: skip

    def anonymized(order: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
        anonymizer = anonymize.Anonymizer(5)
        for record in order:
            anonymizer.collect_customer(record)
        anonymizer.settle()
        return {r["id"]: anonymizer.customer(r) for r in order}

    shuffled = list(records)
    rng.shuffle(shuffled)
    assert anonymized(shuffled) == anonymized(records)


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_counts_and_rate_on_a_terminal_only() -> None:
    terminal = _Terminal()
    Progress(terminal).update("customers", 1200, 10000, final=True)
    assert re.fullmatch(
        r"\rmockserver record: customers 1,200/10,000 \([\d,]+/s\)\n", terminal.getvalue()
    )
    piped = io.StringIO()
    Progress(piped).update("customers", 1200, 10000, final=True)
    assert piped.getvalue() == ""
