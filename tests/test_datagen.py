"""The generated register: validity of every identifier, integrity, completeness, determinism."""

from __future__ import annotations

import hashlib
import importlib.metadata
import math
import os
import random
import re
import string
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum import iban as std_iban
from stdnum import iso11649, luhn
from stdnum.fi import alv, ytunnus

from mockserver import datagen, models
from mockserver.datagen import (
    REFERENCE_DATE,
    Dataset,
    catalogues,
    draws,
    generate,
    identifiers,
    pools,
)
from mockserver.facts import customer_facts, invoice_facts

WINDOW_START = REFERENCE_DATE - timedelta(days=5 * 365 + 1)
PHONE = re.compile(r"^(\+358 \d{1,2} \d{3,4} \d{3,4}|0\d{1,2} \d{3,4} \d{3,4})$")
ASCII_EMAIL = re.compile(r"^[a-z0-9.-]+@[a-z0-9-]+\.fi$")
BICS = {
    "1": "NDEAFIHH",
    "2": "NDEAFIHH",
    "5": "OKOYFIHH",
    "6": "AABAFI22",
    "8": "DABAFIHH",
    "31": "HANDFIHH",
    "33": "ESSEFIHX",
    "34": "DABAFIHX",
    "36": "SBANFIHH",
    "37": "DNBAFIHX",
    "38": "SWEDFIHH",
    "39": "SBANFIHH",
    "405": "HELSFIHH",
    "497": "HELSFIHH",
}


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return generate()


@pytest.fixture(scope="module")
def customers(dataset: Dataset) -> list[models.Customer]:
    return [dataset.customer(facts.id) for facts in dataset.customers]


@pytest.fixture(scope="module")
def invoices(dataset: Dataset) -> list[models.Invoice]:
    return [dataset.invoice(facts.id) for facts in dataset.invoices]


@pytest.fixture(scope="module")
def by_number(customers: list[models.Customer]) -> dict[int, models.Customer]:
    return {c.number: c for c in customers}


def reference_ok(reference: str) -> bool:
    """An independent 7-3-1 check of a Finnish reference number."""
    if not reference.isdigit() or not 4 <= len(reference) <= 20:
        return False
    body, check = reference[:-1], int(reference[-1])
    total = sum(w * int(d) for w, d in zip([7, 3, 1] * 7, reversed(body), strict=False))
    return (10 - total % 10) % 10 == check


def bic_for(iban: str) -> str | None:
    bban = iban[4:]
    for prefix in sorted(BICS, key=len, reverse=True):
        if bban.startswith(prefix):
            return BICS[prefix]
    return None


@cache
def field_names(cls: type[msgspec.Struct]) -> tuple[str, ...]:
    return tuple(f.name for f in msgspec.structs.fields(cls))


def walk_datetimes(value: Any) -> list[datetime]:
    found: list[datetime] = []
    if isinstance(value, datetime):
        found.append(value)
    elif isinstance(value, list):
        for item in value:
            found.extend(walk_datetimes(item))
    elif isinstance(value, msgspec.Struct):
        for name in field_names(type(value)):
            found.extend(walk_datetimes(getattr(value, name)))
    return found


def cents(value: float) -> int:
    return round(value * 100)


# --- interface ----------------------------------------------------------------------------------


def test_interface(dataset: Dataset) -> None:
    assert datetime(2025, 7, 1, tzinfo=UTC) == REFERENCE_DATE
    assert dataset.seed == 1
    assert dataset.reference_date == REFERENCE_DATE
    assert dataset.next_account_id == 401
    assert [f.id for f in dataset.customers] == list(range(1, 201))
    assert [f.id for f in dataset.invoices] == list(range(1, 1001))
    for bad in (0, 201, -1):
        with pytest.raises(KeyError):
            dataset.customer(bad)
    for bad in (0, 1001):
        with pytest.raises(KeyError):
            dataset.invoice(bad)
    first, again = dataset.customer(3), dataset.customer(3)
    assert first is not again and models.encode(first) == models.encode(again)


def test_sizes() -> None:
    empty = generate(5, 0, 0)
    assert empty.customers == [] and empty.invoices == []
    with pytest.raises(ValueError, match="invoices need at least one customer"):
        generate(5, 0, 3)
    with pytest.raises(ValueError):
        generate(5, -1, 0)
    one = generate(5, 1, 3)
    assert {f.customer_number for f in one.invoices} == {one.customers[0].number}
    assert one.customer(1).is_customer is True


def test_numbers_unique_int32(dataset: Dataset) -> None:
    numbers = [f.number for f in dataset.customers]
    assert len(set(numbers)) == len(numbers)
    invoice_numbers = [f.number for f in dataset.invoices]
    assert len(set(invoice_numbers)) == len(invoice_numbers)
    for number in [*numbers, *invoice_numbers]:
        assert isinstance(number, int) and 0 < number <= models.INT32_MAX


# --- facts --------------------------------------------------------------------------------------


def test_facts_equal_derived_facts(
    dataset: Dataset, customers: list[models.Customer], invoices: list[models.Invoice]
) -> None:
    for facts, record in zip(dataset.customers, customers, strict=True):
        assert customer_facts(record) == facts
    for ifacts, invoice in zip(dataset.invoices, invoices, strict=True):
        assert invoice_facts(invoice) == ifacts


def test_facts_equal_derived_facts_large_sample() -> None:
    large = generate(11, 5_000, 25_000)
    step_c, step_i = 37, 173
    for facts in large.customers[::step_c]:
        assert customer_facts(large.customer(facts.id)) == facts
    for ifacts in large.invoices[::step_i]:
        assert invoice_facts(large.invoice(ifacts.id)) == ifacts
    assert customer_facts(large.customer(5_000)) == large.customers[-1]
    assert invoice_facts(large.invoice(25_000)) == large.invoices[-1]


# --- identifiers --------------------------------------------------------------------------------


def test_reference_helpers() -> None:
    assert datagen.finnish_reference(123) == "1232"
    assert datagen.finnish_reference(12345) == "123453"
    for base in (100, 999, 100_001, 1_234_567, 987_654_321):
        reference = datagen.finnish_reference(base)
        assert reference_ok(reference)
        assert int(reference[-1]) == datagen.reference_check_digit(str(base))
        assert iso11649.is_valid(datagen.rf_reference(reference))
    assert datagen.rf_reference("539007547034") == "RF18539007547034"  # ISO 11649's example
    assert datagen.ascii_fold("Pohjolan Sähkö") == "pohjolansahko"
    assert datagen.ascii_fold("Åström & Öhman") == "astromohman"


def test_customer_identifiers(customers: list[models.Customer]) -> None:
    vats = []
    for c in customers:
        assert c.vat is not None and alv.is_valid(c.vat) and re.fullmatch(r"FI\d{8}", c.vat)
        digits = c.vat[2:]
        assert ytunnus.is_valid(f"{digits[:7]}-{digits[7]}")
        vats.append(c.vat)
        if c.finvoice_address is not None:
            assert c.finvoice_address == "0037" + digits
            assert c.invoice_method_id == 3
        if c.default_reference is not None:
            assert reference_ok(c.default_reference)
        for account in c.accounts or []:
            assert account.iban is not None and account.iban.startswith("FI")
            assert std_iban.is_valid(account.iban)
            assert luhn.is_valid(account.iban[4:])  # the domestic account check digit
            assert account.bic == bic_for(account.iban)
            assert account.bank_country_code == "FI"
    assert len(set(vats)) == len(vats), "business ids are unique"
    assert sum(c.finvoice_address is not None for c in customers) > 50


def test_business_ids_unique_and_valid() -> None:
    assert math.gcd(identifiers.YT_MULTIPLIER, identifiers.YT_SPACE) == 1
    ids = [identifiers.business_id(12_345, customer_id) for customer_id in range(1, 100_001)]
    assert len(set(ids)) == len(ids)
    assert all(ytunnus.is_valid(i) and "0500000" <= i < "3400000" for i in ids[::97])


def test_invoice_identifiers(invoices: list[models.Invoice]) -> None:
    for invoice in invoices:
        assert invoice.reference is not None and reference_ok(invoice.reference)
        assert invoice.reference[:-1] == str(invoice.number)
        assert invoice.rf_reference is not None and iso11649.is_valid(invoice.rf_reference)
        assert invoice.rf_reference[4:] == invoice.reference


# --- realism ------------------------------------------------------------------------------------


def test_postal_table() -> None:
    table = datagen.postal_codes()
    assert len(table) >= 60
    codes = [code for code, _ in table]
    assert len(set(codes)) == len(codes)
    assert all(re.fullmatch(r"\d{5}", code) and city.isupper() for code, city in table)
    pairs = set(table)
    for pair in [
        ("00100", "HELSINKI"),
        ("02100", "ESPOO"),
        ("33100", "TAMPERE"),
        ("20100", "TURKU"),
        ("90100", "OULU"),
        ("40100", "JYVÄSKYLÄ"),
    ]:
        assert pair in pairs


def test_customer_realism(dataset: Dataset, customers: list[models.Customer]) -> None:
    pairs = set(datagen.postal_codes())
    attribute_names = dict(datagen.CUSTOMER_ATTRIBUTES)
    contact_ids: list[int] = []
    for c in customers:
        assert (c.postal_code, c.city) in pairs
        assert c.country == "FI" and c.currency_code == "EUR"
        assert c.language_code in ("fi", "sv", "en")
        assert c.name is not None and re.search(r"( Oy| Oyj| Ky| Ab)$|^Tmi ", c.name)
        assert c.phone is None or PHONE.match(c.phone), c.phone
        assert c.www is None or re.fullmatch(r"www\.[a-z0-9-]+\.fi", c.www)
        domain = None
        if c.email is not None:
            assert ASCII_EMAIL.match(c.email), c.email
            domain = c.email.split("@")[1]
            if c.www is not None:
                assert c.www == "www." + domain
        for attribute in c.attributes or []:
            assert attribute_names[attribute.id] == attribute.name
        ids = [a.id for a in c.attributes or []]
        assert ids == sorted(set(ids))
        assert len(c.contacts or []) <= 4
        for contact in c.contacts or []:
            assert contact.customer_id == c.id
            assert contact.id is not None
            contact_ids.append(contact.id)
            assert contact.name is not None and contact.title
            if contact.email is not None:
                assert ASCII_EMAIL.match(contact.email), contact.email
                local, contact_domain = contact.email.split("@")
                assert "." in local
                if domain is not None:
                    assert contact_domain == domain
            assert contact.gsm is not None and PHONE.match(contact.gsm)
        accounts = c.accounts or []
        assert len(accounts) <= 2
        first = (c.id - 1) * 2 + 1
        assert [a.account_id for a in accounts] == list(range(first, first + len(accounts)))
        assert all(a.account_id < dataset.next_account_id for a in accounts)
        assert all(a.customer_id == c.id for a in accounts)
        for agreement in c.agreements or []:
            assert agreement.products
            assert all(p.agreement_id == agreement.id for p in agreement.products or [])
        assert c.dimension is not None
        assert c.group is None or 1 <= c.group <= 6
        assert c.type in (1, 2, 3)
    assert len(set(contact_ids)) == len(contact_ids)
    # the filters have something to tell apart
    no_email = sum(c.email is None for c in customers)
    assert 0.04 * len(customers) < no_email < 0.25 * len(customers)
    kinds = Counter((c.is_customer, c.is_supplier) for c in customers)
    assert kinds[(True, False)] > len(customers) / 2
    assert kinds[(False, True)] > 0 and kinds[(True, True)] > 0
    assert Counter(c.language_code for c in customers)["sv"] > 0
    selected = [a.selected for c in customers for a in c.attributes or []]
    assert True in selected and False in selected
    assert any(c.agreements for c in customers) and any(c.texts for c in customers)
    assert len({c.group for c in customers}) >= 4


def test_invoice_realism(invoices: list[models.Invoice]) -> None:
    rates = Counter(row.tax_rate for invoice in invoices for row in invoice.rows or [])
    assert set(rates) == {25.5, 14.0, 10.0, 0.0}
    for invoice in invoices:
        assert 1 <= len(invoice.rows or []) <= 10
        for row in invoice.rows or []:
            assert row.product_name and row.product_code and row.unit
        assert invoice.description
        assert invoice.currency_code == "EUR"
        assert invoice.type in (1, 2, 3)
    rows = [len(invoice.rows or []) for invoice in invoices]
    assert 2.5 <= sum(rows) / len(rows) <= 3.8


# --- integrity ----------------------------------------------------------------------------------


def check_integrity(
    dataset: Dataset,
    customers: list[models.Customer],
    invoices: list[models.Invoice],
) -> None:
    by_number = {c.number: c for c in customers}
    open_sums: Counter[int] = Counter()
    due_sums: Counter[int] = Counter()
    assert [customer_facts(c) for c in customers] == dataset.customers
    assert [invoice_facts(i) for i in invoices] == dataset.invoices
    for invoice in invoices:
        customer = by_number[invoice.customer_number]
        assert invoice.delivery_customer_number in by_number
        assert invoice.orderer_customer_number in by_number
        assert customer.is_customer
        assert invoice.customer_name == customer.name
        assert invoice.customer_address == customer.street
        assert invoice.customer_address3 == f"{customer.postal_code} {customer.city}"
        delivery = by_number[invoice.delivery_customer_number]
        assert invoice.delivery_customer_name == delivery.name
        assert invoice.delivery_customer_address == delivery.street
        assert invoice.orderer_customer_name == by_number[invoice.orderer_customer_number].name
        assert customer.created is not None and customer.created < invoice.date
        # rows and totals
        rows = invoice.rows or []
        for row in rows:
            assert row.invoice_id == invoice.id
            q100, price = cents(row.quantity), cents(row.unit_price)
            discount = round(row.discount or 0)
            exact = q100 * price * (100 - discount)
            expected = (abs(exact) + 5_000) // 10_000 * (1 if exact >= 0 else -1)
            assert cents(row.total) == expected
            assert row.total == expected / 100
        total = sum(cents(row.total) for row in rows)
        assert invoice.total_sum == total / 100
        assert round(sum(row.total for row in rows), 2) == invoice.total_sum
        # due date and payments
        assert invoice.payment_term in (0, 14, 21, 30, 45, 60)
        assert invoice.due_date == invoice.date + timedelta(days=invoice.payment_term)
        paid = 0
        for payment in invoice.payments or []:
            assert payment.date is not None
            assert invoice.date <= payment.date < REFERENCE_DATE
            assert payment.invoice_id == invoice.id
            paid += cents(payment.total or 0.0)
        if total >= 0:
            assert 0 <= paid <= total
        else:
            assert paid == total  # a settled credit note
        open_sums[customer.id] += total - paid
        if invoice.due_date < REFERENCE_DATE:
            due_sums[customer.id] += total - paid
    for c in customers:
        assert c.open_invoice_sum == open_sums[c.id] / 100
        assert c.due_invoice_sum == due_sums[c.id] / 100


def test_integrity(
    dataset: Dataset, customers: list[models.Customer], invoices: list[models.Invoice]
) -> None:
    check_integrity(dataset, customers, invoices)
    assert any(c.open_invoice_sum for c in customers)
    assert any(c.due_invoice_sum for c in customers)
    assert any(c.open_invoice_sum != c.due_invoice_sum for c in customers)
    assert any(i.payments for i in invoices) and any(not i.payments for i in invoices)
    assert any(i.delivery_customer_number != i.customer_number for i in invoices)


def test_moments(customers: list[models.Customer], invoices: list[models.Invoice]) -> None:
    for record in [*customers, *invoices]:
        moments = walk_datetimes(record)
        assert moments
        for moment in moments:
            assert moment.tzinfo is UTC and moment.microsecond == 0
    for c in customers:
        assert c.created is not None and c.modified is not None
        assert WINDOW_START <= c.created <= c.modified <= REFERENCE_DATE
    for i in invoices:
        assert i.modified_date is not None
        assert WINDOW_START <= i.date <= i.modified_date <= REFERENCE_DATE


# --- completeness -------------------------------------------------------------------------------


@cache
def struct_info(cls: type[msgspec.Struct]) -> msgspec.inspect.StructType:
    info = msgspec.inspect.type_info(cls)
    assert isinstance(info, msgspec.inspect.StructType)
    return info


def assert_complete(encoded: Any, cls: type[msgspec.Struct], path: str) -> None:
    """Every field of ``cls`` is present, in order, and so in every nested model."""
    assert isinstance(encoded, dict), path
    info = struct_info(cls)
    names = [f.encode_name for f in info.fields]
    assert list(encoded) == names, path
    for field in info.fields:
        value = encoded[field.encode_name]
        types = (
            field.type.types if isinstance(field.type, msgspec.inspect.UnionType) else (field.type,)
        )
        for t in types:
            if isinstance(t, msgspec.inspect.ListType):
                assert isinstance(value, list), f"{path}.{field.name}"
                if isinstance(t.item_type, msgspec.inspect.StructType):
                    for k, item in enumerate(value):
                        assert_complete(item, t.item_type.cls, f"{path}.{field.name}[{k}]")
            elif isinstance(t, msgspec.inspect.StructType) and value is not None:
                assert_complete(value, t.cls, f"{path}.{field.name}")


def test_complete(customers: list[models.Customer], invoices: list[models.Invoice]) -> None:
    decode = msgspec.json.decode
    seen: Counter[str] = Counter()
    for c in customers:
        assert_complete(decode(models.encode(c)), models.Customer, "customer")
        assert c.dimension is not None
        seen.update(
            k
            for k in ("attributes", "contacts", "texts", "agreements", "accounts", "circulations")
            if getattr(c, k)
        )
        seen.update("contact_attributes" for ct in c.contacts or [] if ct.attributes)
    for i in invoices:
        assert_complete(decode(models.encode(i)), models.Invoice, "invoice")
        seen.update(k for k in ("rows", "payments", "links") if getattr(i, k))
    # every nested model occurs at least once (SizeAmount lists stay empty)
    for key in (
        "attributes",
        "contacts",
        "texts",
        "agreements",
        "accounts",
        "circulations",
        "contact_attributes",
        "rows",
        "payments",
        "links",
    ):
        assert seen[key], key


# --- determinism --------------------------------------------------------------------------------


def digest(dataset: Dataset) -> str:
    h = hashlib.sha256()
    for f in dataset.customers:
        h.update(models.encode(dataset.customer(f.id)))
    for i in dataset.invoices:
        h.update(models.encode(dataset.invoice(i.id)))
    return h.hexdigest()


def test_determinism(customers: list[models.Customer], invoices: list[models.Invoice]) -> None:
    again = generate()
    assert [models.encode(again.customer(c.id)) for c in customers] == [
        models.encode(c) for c in customers
    ]
    assert [models.encode(again.invoice(i.id)) for i in invoices] == [
        models.encode(i) for i in invoices
    ]
    other = generate(2)
    same_c = sum(models.encode(other.customer(c.id)) == models.encode(c) for c in customers)
    same_i = sum(models.encode(other.invoice(i.id)) == models.encode(i) for i in invoices)
    assert same_c == 0 and same_i == 0
    assert generate(-1, 20, 50).customers != generate(1, 20, 50).customers


def test_determinism_across_processes() -> None:
    code = (
        "from mockserver.datagen import generate; import tests.test_datagen as t; "
        "print(t.digest(generate(7, 40, 150)))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == digest(generate(7, 40, 150))


# --- value pools and draws ----------------------------------------------------------------------

# Letters whose lower-casing and NFKD decomposition Unicode's stability policies freeze: folding
# pool values to e-mail and domain labels gives the same ASCII on every Python.
POOL_LETTERS = set(string.ascii_letters + " -ÅÄÖåäöÉéÜü")
ROOT = Path(__file__).resolve().parent.parent


def test_pools_hold_only_letters_that_fold_the_same_everywhere() -> None:
    p = pools.value_pools()
    values = [*p.first_male, *p.first_female, *p.last, *p.streets, *(x.city for x in p.postal)]
    values += [word for word, _, _ in catalogues.TRADES]
    values += [*catalogues.REGIONS, *catalogues.COINED, *catalogues.COINED_TAILS]
    for value in set(values):
        assert set(value) <= POOL_LETTERS, value
        assert re.fullmatch(r"[a-z0-9-]+", pools.ascii_fold(value)), value
    assert len(p.last_nen) > 0 and all(name.endswith("nen") for name in p.last_nen)
    # every name fills at least one slot, in the file's (code point) order
    assert list(dict.fromkeys(p.last)) == sorted(set(p.last))


def test_pool_files_that_do_not_parse_name_the_file_and_line() -> None:
    assert pools.parse_counted("x.tsv", "# c\n\nAino\t2\nEero\t1\n") == ("Aino", "Aino", "Eero")
    assert pools.parse_rows("x.txt", "a\r\nb\r\n", 1) == [["a"], ["b"]]
    with pytest.raises(pools.PoolError, match=r"^value pool x.tsv, line 3: expected 2 field"):
        pools.parse_counted("x.tsv", "# c\nAino\t2\nEero\n")
    with pytest.raises(pools.PoolError, match=r"count of 'Eero' is not a positive integer"):
        pools.parse_counted("x.tsv", "Eero\t0\n")
    with pytest.raises(pools.PoolError, match=r"count of 'Eero' is not a positive integer"):
        pools.parse_counted("x.tsv", "Eero\t²\n")
    with pytest.raises(pools.PoolError, match=r"^value pool x.txt is empty$"):
        pools.parse_rows("x.txt", "# only a comment\n", 1)


def test_shipped_pools_are_what_build_pools_writes() -> None:
    """scripts/build-pools --check: the shipped pools equal what the Faker they name builds.
    Another Faker version may differ, which is why the pools ship: then there is nothing to
    compare (in CI, which installs the locked Faker, that is a failure)."""
    header = (ROOT / "mockserver/data/pools/last_names.tsv").read_text(encoding="utf-8")
    named = re.search(r"Faker (\S+) fi_FI", header)
    assert named is not None
    try:
        installed = importlib.metadata.version("Faker")
    except importlib.metadata.PackageNotFoundError:
        installed = None
    if installed != named.group(1):
        if os.environ.get("CI"):
            pytest.fail(f"CI must install Faker {named.group(1)} (found {installed})")
        pytest.skip(f"the pools name Faker {named.group(1)}, installed: {installed}")
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts/build-pools"), "--check"],
        capture_output=True,
        text=True,
    )
    assert (done.returncode, done.stderr) == (0, "")


@given(seed=st.integers(0, 2**64), n=st.integers(1, 2**70), k=st.integers(0, 11))
def test_draw_primitives(seed: int, n: int, k: int) -> None:
    rng = random.Random(seed)
    assert 0 <= draws.below(rng, n) < n
    assert 5 <= draws.between(rng, 5, 5 + n) < 5 + n
    population = tuple(range(100, 111))
    picked = draws.pick_distinct(random.Random(seed), population, k)
    assert len(set(picked)) == k and set(picked) <= set(population)
    assert draws.pick_distinct(random.Random(seed), population, k) == picked


def test_draw_primitives_are_pinned() -> None:
    """The primitives' numbers for one seed, written out: a change to how they draw fails here
    as well as in the digest."""
    rng = random.Random(2024)
    # (on CPython 3.11 these equal randrange(10), randrange(10**13, 10**14), sample(..., 3))
    assert [draws.below(rng, 10) for _ in range(8)] == [7, 2, 9, 4, 3, 6, 4, 8]
    assert draws.between(rng, 10**13, 10**14) == 99_529_646_267_862
    assert draws.pick_distinct(rng, "abcdefghijk", 3) == ["h", "f", "g"]


# --- property -----------------------------------------------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(-(2**40), 2**40),
    n_customers=st.integers(1, 25),
    n_invoices=st.integers(0, 60),
)
def test_integrity_property(seed: int, n_customers: int, n_invoices: int) -> None:
    ds = generate(seed, n_customers, n_invoices)
    assert len(ds.customers) == n_customers and len(ds.invoices) == n_invoices
    customers = [ds.customer(f.id) for f in ds.customers]
    invoices = [ds.invoice(f.id) for f in ds.invoices]
    check_integrity(ds, customers, invoices)
