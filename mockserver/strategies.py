"""Hypothesis strategies for the API's data, generated from the same msgspec models the server
validates with, so a value passes (or, asked to, fails) exactly the server's validation.

- ``customers()`` / ``invoices()``: complete records as the API answers them, with valid
  Finnish identifiers (business id and VAT number, e-invoice address, IBAN, reference and
  RF reference numbers) and consistent sums.
- ``customer_payloads(valid=True)``: JSON bodies for ``POST``/``PUT /api/customers``;
  ``valid=False`` gives bodies the server answers with 400 and a ``ModelState``.
- ``filters("customers" | "invoices", valid=True)``: query parameters of the list endpoints;
  ``valid=False`` gives queries the server answers with 400.

Hypothesis is needed only here: ``pip install hypothesis`` (``import mockserver`` works
without it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import Any, cast

try:
    from hypothesis import strategies as st
except ImportError as error:  # pragma: no cover - depends on the user's environment
    raise ImportError("mockserver.strategies needs Hypothesis: pip install hypothesis") from error

import msgspec

from .binding import DATETIME, INT32, INT32_ARRAY, PREFIX, STRING, FilterSpec
from .filters import CUSTOMER_FILTER, INVOICE_FILTER
from .models import (
    INT32_MAX,
    Customer,
    CustomerAccount,
    CustomerContact,
    Invoice,
    InvoicePayment,
    InvoiceRow,
    Model,
    complete,
)

__all__ = [
    "business_ids",
    "customer_payloads",
    "customers",
    "filters",
    "finvoice_addresses",
    "ibans",
    "invoices",
    "references",
    "rf_references",
    "vat_numbers",
]

Strategy = st.SearchStrategy

_FINNISH_LETTERS = "abcdefghijklmnopqrstuvwxyzåäöABCDEFGHIJKLMNOPQRSTUVWXYZÅÄÖ"
_EARLIEST = datetime(2000, 1, 1)
_LATEST = datetime(2035, 12, 31)
_MAX_ITEMS = 2  # of each nested list: enough to exercise lists, small enough to stay fast

# --- Finnish identifiers ----------------------------------------------------------------------
# The check-digit rules, written out here so that the tests can hold them against
# python-stdnum's independent implementations.


def ytunnus_check_digit(base: str) -> int | None:
    """The check digit of a 7-digit business id base; None when the base has none."""
    remainder = sum(w * int(c) for w, c in zip((7, 9, 10, 5, 8, 4, 2), base, strict=True)) % 11
    if remainder == 1:
        return None
    return 0 if remainder == 0 else 11 - remainder


def finnish_reference(base: int) -> str:
    """A Finnish reference number: ``base`` and its check digit (weights 7, 3, 1 from the
    right)."""
    digits = str(base)
    total = sum((7, 3, 1)[i % 3] * int(c) for i, c in enumerate(reversed(digits)))
    return digits + str(-total % 10)


def rf_reference(reference: str) -> str:
    """The ISO 11649 creditor reference carrying ``reference`` (``RF`` is 27 15)."""
    return f"RF{98 - int(reference + '271500') % 97:02d}{reference}"


def finnish_iban(account13: str) -> str:
    """A Finnish IBAN from 13 account digits: a Luhn digit completes the account, then the
    IBAN check digits (``FI`` is 15 18)."""
    total = 0
    for i, c in enumerate(reversed(account13)):
        d = int(c) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    account = account13 + str(-total % 10)
    return f"FI{98 - int(account + '151800') % 97:02d}{account}"


@st.composite
def business_ids(draw: st.DrawFn) -> str:
    """A valid Y-tunnus, ``1234567-8``."""
    while True:
        base = f"{draw(st.integers(100_000, 9_999_999)):07d}"
        check = ytunnus_check_digit(base)
        if check is not None:
            return f"{base}-{check}"


def vat_numbers() -> Strategy[str]:
    """A Finnish VAT number: ``FI`` and the eight digits of a valid business id."""
    return business_ids().map(lambda y: "FI" + y.replace("-", ""))


def ibans() -> Strategy[str]:
    """A valid Finnish IBAN (``FI`` + check digits + 14-digit account)."""
    return st.integers(0, 10**13 - 1).map(lambda n: finnish_iban(f"{n:013d}"))


def finvoice_addresses() -> Strategy[str]:
    """An e-invoice address: OVT (``0037`` + business id digits, maybe a suffix) or IBAN."""
    ovt = st.tuples(business_ids(), st.sampled_from(["", "001", "100"])).map(
        lambda t: "0037" + t[0].replace("-", "") + t[1]
    )
    return st.one_of(ovt, ibans())


def references() -> Strategy[str]:
    """A Finnish reference number (viitenumero) with its check digit."""
    return st.integers(100, 10**18).map(finnish_reference)


def rf_references() -> Strategy[str]:
    """An ISO 11649 RF creditor reference carrying a Finnish reference number."""
    return references().map(rf_reference)


def _postal_codes() -> Strategy[str]:
    return st.integers(0, 99_999).map(lambda n: f"{n:05d}")


def _phones() -> Strategy[str]:
    area = st.sampled_from(["40", "44", "45", "50", "9", "13"])
    return st.tuples(area, st.integers(0, 9_999_999)).map(lambda t: f"+358 {t[0]} {t[1]:07d}")


def _emails() -> Strategy[str]:
    local = st.text("abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=12)
    domain = st.text("abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=12)
    return st.tuples(local, domain).map(lambda t: f"{t[0]}@{t[1]}.fi")


def _words() -> Strategy[str]:
    word = st.text(_FINNISH_LETTERS, min_size=1, max_size=12)
    return st.lists(word, min_size=1, max_size=3).map(" ".join)


def _datetimes() -> Strategy[datetime]:
    return st.datetimes(_EARLIEST, _LATEST, timezones=st.just(UTC)).map(
        lambda d: d.replace(microsecond=0)
    )


def _money() -> Strategy[float]:
    return st.integers(-1_000_000_00, 1_000_000_00).map(lambda cents: cents / 100)


# Field values that must look real (valid identifiers, codes), by (model, field).
_FIELDS: dict[tuple[type[Model], str], Callable[[], Strategy[Any]]] = {
    (Customer, "vat"): vat_numbers,
    (Customer, "finvoice_address"): finvoice_addresses,
    (Customer, "email"): _emails,
    (Customer, "phone"): _phones,
    (Customer, "fax"): _phones,
    (Customer, "postal_code"): _postal_codes,
    (Customer, "invoicing_postal_code"): _postal_codes,
    (Customer, "country"): lambda: st.sampled_from(["FI", "SE", "EE"]),
    (Customer, "currency_code"): lambda: st.sampled_from(["EUR", "SEK", "USD"]),
    (Customer, "language_code"): lambda: st.sampled_from(["FI", "SV", "EN"]),
    (Customer, "reference"): references,
    (Customer, "default_reference"): references,
    (CustomerContact, "email"): _emails,
    (CustomerContact, "phone"): _phones,
    (CustomerContact, "gsm"): _phones,
    (CustomerContact, "postal_code"): _postal_codes,
    (CustomerAccount, "iban"): ibans,
    (CustomerAccount, "bic"): lambda: st.sampled_from(["NDEAFIHH", "OKOYFIHH", "DABAFIHH"]),
    (Invoice, "reference"): references,
    (Invoice, "rf_reference"): rf_references,
    (Invoice, "currency_code"): lambda: st.sampled_from(["EUR", "SEK", "USD"]),
    (Invoice, "customer_contact_email"): _emails,
    (Invoice, "customer_country"): lambda: st.sampled_from(["FI", "SE", "EE"]),
    (Invoice, "language_code"): lambda: st.sampled_from(["FI", "SV", "EN"]),
    # Whole quantities and prices in cents, so that row totals are exact amounts.
    (InvoiceRow, "quantity"): lambda: st.integers(1, 1000).map(float),
    (InvoiceRow, "unit_price"): lambda: st.integers(0, 100_000_00).map(lambda c: c / 100),
    (InvoicePayment, "total"): lambda: st.integers(0, 100_000_00).map(lambda c: c / 100),
}


# --- any model, from its msgspec definition ------------------------------------------------------


def _value(owner: type[Model], name: str, kind: Any) -> Strategy[Any]:
    """A valid value of one (non-null) type of a field."""
    special = _FIELDS.get((owner, name))
    if special is not None:
        return special()
    inspect = msgspec.inspect
    if isinstance(kind, inspect.Metadata):  # NonBlank: _words are never blank
        kind = kind.type
    if isinstance(kind, inspect.StrType):
        return _words()
    if isinstance(kind, inspect.BoolType):
        return st.booleans()
    if isinstance(kind, inspect.IntType):
        low = kind.ge if kind.ge is not None else -(2**31)
        high = kind.le if kind.le is not None else INT32_MAX
        # Mostly everyday sizes; now and then the int32 edges the server must accept.
        return st.one_of(st.integers(max(low, 0), min(high, 100_000)), st.sampled_from([low, high]))
    if isinstance(kind, inspect.FloatType):
        return _money()
    if isinstance(kind, inspect.DateTimeType):
        return _datetimes()
    if isinstance(kind, inspect.StructType):
        return _fields(cast("type[Model]", kind.cls), complete_record=False)
    if isinstance(kind, inspect.ListType):
        return st.lists(_value(owner, name, kind.item_type), max_size=_MAX_ITEMS)
    raise TypeError(f"no strategy for {owner.__name__}.{name}: {kind!r}")


def _field_type(field: msgspec.inspect.Field) -> tuple[Any, bool]:
    """The field's value type and whether it may be null."""
    kind = field.type
    if isinstance(kind, msgspec.inspect.UnionType):
        others = [t for t in kind.types if not isinstance(t, msgspec.inspect.NoneType)]
        return others[0], len(others) < len(kind.types)
    return kind, False


def _lazy(owner: type[Model], name: str, kind: Any) -> Strategy[Any]:
    return st.deferred(lambda: _value(owner, name, kind))


@cache
def _fields(cls: type[Model], complete_record: bool) -> Strategy[dict[str, Any]]:
    """A dict of field values for ``cls``: required fields always; optional ones sometimes
    (a request body), or always, maybe null (``complete_record``)."""
    info = msgspec.inspect.type_info(cls)
    assert isinstance(info, msgspec.inspect.StructType)
    required: dict[str, Strategy[Any]] = {}
    optional: dict[str, Strategy[Any]] = {}
    for field in info.fields:
        kind, nullable = _field_type(field)
        value = _lazy(cls, field.name, kind)
        if nullable:
            value = st.one_of(st.none(), value)
        if field.required or complete_record:
            required[field.encode_name] = value
        else:
            optional[field.encode_name] = value
    return st.fixed_dictionaries(required, optional=optional)


# --- records ------------------------------------------------------------------------------------


def _own(children: Any, **fields: Any) -> list[Any]:
    return [msgspec.structs.replace(child, **fields) for child in children or []]


def _customer_record(values: dict[str, Any], record_id: int, number: int) -> Customer:
    record = complete(msgspec.convert(values, Customer))
    created, modified = sorted(
        [record.created or datetime(2020, 1, 1, tzinfo=UTC), record.modified or _LATEST_UTC]
    )
    open_sum = abs(record.open_invoice_sum or 0.0)
    return msgspec.structs.replace(
        record,
        id=record_id,
        number=number,
        created=created,
        modified=modified,
        open_invoice_sum=open_sum,
        due_invoice_sum=min(abs(record.due_invoice_sum or 0.0), open_sum),
        contacts=_own(record.contacts, customer_id=record_id),
        accounts=_own(record.accounts, customer_id=record_id),
        circulations=_own(record.circulations, customer_id=record_id),
    )


_LATEST_UTC = _LATEST.replace(tzinfo=UTC)


def customers(
    ids: Strategy[int] | None = None, numbers: Strategy[int] | None = None
) -> Strategy[Customer]:
    """Complete customer records as the API answers them: valid business id / VAT number and
    e-invoice address, ``created`` not after ``modified``, children owned by the customer,
    ``due_invoice_sum`` at most ``open_invoice_sum``."""
    return st.builds(
        _customer_record,
        _fields(Customer, complete_record=True),
        ids if ids is not None else st.integers(1, 1_000_000),
        numbers if numbers is not None else st.integers(10_000, 99_999),
    )


def _invoice_record(values: dict[str, Any], record_id: int, customer_number: int) -> Invoice:
    record = complete(msgspec.convert(values, Invoice))
    rows = [
        msgspec.structs.replace(
            row, invoice_id=record_id, total=round(row.quantity * row.unit_price, 2)
        )
        for row in record.rows or []
    ]
    payments = _own(record.payments, invoice_id=record_id)
    due = record.due_date
    if isinstance(due, datetime) and due < record.date:
        due = record.date
    reference = record.reference or finnish_reference(1000 + record_id)
    return msgspec.structs.replace(
        record,
        id=record_id,
        customer_number=customer_number,
        rows=rows,
        payments=payments,
        total_sum=round(sum((row.total for row in rows), 0.0), 2),
        due_date=due,
        reference=reference,
        rf_reference=rf_reference(reference),
    )


def invoices(
    ids: Strategy[int] | None = None, customer_numbers: Strategy[int] | None = None
) -> Strategy[Invoice]:
    """Complete invoice records as the API answers them: row totals are quantity times unit
    price, ``total_sum`` their sum, ``due_date`` not before ``date``, a valid reference and
    the RF reference that carries it; ``customer_numbers`` ties them to your customers."""
    return st.builds(
        _invoice_record,
        _fields(Invoice, complete_record=True),
        ids if ids is not None else st.integers(1, 1_000_000),
        customer_numbers if customer_numbers is not None else st.integers(10_000, 99_999),
    )


# --- request bodies -----------------------------------------------------------------------------


def _json(values: dict[str, Any]) -> dict[str, Any]:
    """Plain JSON values (date-times as ISO 8601 text), as a client would send them."""
    data: dict[str, Any] = msgspec.to_builtins(values)
    return data


_WRONG_TYPE = {
    "str": st.one_of(st.integers(), st.booleans(), st.just({})),
    "int": st.one_of(st.text(max_size=5), st.floats(0.5, 10.5), st.booleans()),
    "float": st.one_of(st.text(max_size=5), st.booleans(), st.just([])),
    "bool": st.one_of(st.text(max_size=5), st.integers(2, 9), st.just({})),
    "datetime": st.sampled_from(["yesterday", "2024-13-01T00:00:00", "01.02.2024", "x"]),
    "list": st.one_of(st.text(max_size=5), st.integers(), st.just({"a": 1})),
    "struct": st.one_of(st.text(max_size=5), st.integers(), st.just([1])),
}


def _kind_name(kind: Any) -> str:
    inspect = msgspec.inspect
    if isinstance(kind, inspect.Metadata):
        kind = kind.type
    for cls, name in (
        (inspect.StrType, "str"),
        (inspect.BoolType, "bool"),
        (inspect.IntType, "int"),
        (inspect.FloatType, "float"),
        (inspect.DateTimeType, "datetime"),
        (inspect.ListType, "list"),
        (inspect.StructType, "struct"),
    ):
        if isinstance(kind, cls):
            return name
    raise TypeError(f"unexpected field type {kind!r}")


@cache
def _customer_fields() -> list[tuple[str, str, bool]]:
    """(JSON name, kind, required) of every top-level customer field."""
    info = msgspec.inspect.type_info(Customer)
    assert isinstance(info, msgspec.inspect.StructType)
    return [(f.encode_name, _kind_name(_field_type(f)[0]), f.required) for f in info.fields]


@st.composite
def _invalid_customer(draw: st.DrawFn) -> dict[str, Any]:
    """A valid body with exactly one thing wrong that the server rejects with 400."""
    body = draw(customer_payloads(valid=True))
    fields = _customer_fields()
    how = draw(st.sampled_from(["missing", "wrong_type", "int32", "nested"]))
    if how == "missing":
        name = draw(st.sampled_from([n for n, _, required in fields if required]))
        body.pop(name, None)
    elif how == "wrong_type":
        name, kind, _ = draw(st.sampled_from(fields))
        body[name] = draw(_WRONG_TYPE[kind])
    elif how == "int32":
        name = draw(st.sampled_from([n for n, kind, _ in fields if kind == "int"]))
        body[name] = draw(st.sampled_from([INT32_MAX + 1, -(2**31) - 1, 2**40]))
    else:
        contact = draw(_fields(CustomerContact, complete_record=False).map(_json))
        contact.pop("customer_id", None)
        body["contacts"] = [contact]
    return body


def customer_payloads(valid: bool = True) -> Strategy[dict[str, Any]]:
    """JSON bodies for ``POST /api/customers`` and ``PUT /api/customers/{id}``: with
    ``valid=True`` the server accepts every one (200); with ``valid=False`` every one has
    one fault (a missing required field, a value of the wrong type, an integer outside
    int32, a contact without its required ``customer_id``) and gets a 400."""
    if not valid:
        return _invalid_customer()
    return _fields(Customer, complete_record=False).map(_json)


# --- list filters ------------------------------------------------------------------------------


def _spec(kind: str) -> FilterSpec:
    if kind == "customers":
        return CUSTOMER_FILTER
    if kind == "invoices":
        return INVOICE_FILTER
    raise ValueError(f"filters() takes 'customers' or 'invoices', not {kind!r}")


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _filter_value(spec: FilterSpec, field: str) -> Strategy[str | list[str]]:
    kind = spec.kinds[field]
    if field in ("page", "page_size"):
        return st.integers(1, 500).map(str)
    allowed = spec.choices.get(field)
    if allowed is not None:
        return st.sampled_from([str(v) for v in allowed])
    if kind == INT32:
        return st.integers(0, 100_000).map(str)
    if kind == INT32_ARRAY:
        return st.lists(st.integers(0, 100_000).map(str), min_size=1, max_size=3)
    if kind == DATETIME:
        return st.one_of(_datetimes().map(_iso), _datetimes().map(lambda d: d.date().isoformat()))
    assert kind == STRING
    return st.text(_FINNISH_LETTERS + "0123456789@.-", min_size=1, max_size=10)


_BAD_VALUES: dict[str, Strategy[str]] = {
    INT32: st.sampled_from(["abc", "1.5", "2147483648", "-2147483649", "1e3"]),
    INT32_ARRAY: st.sampled_from(["abc", "1.5", "2147483648"]),
    DATETIME: st.sampled_from(["yesterday", "2024-13-01", "01.02.2024", "T10:00"]),
}


@st.composite
def _query(draw: st.DrawFn, spec: FilterSpec, valid: bool) -> dict[str, str | list[str]]:
    prefix = PREFIX if draw(st.booleans()) else ""
    names = sorted(spec.kinds)
    chosen = draw(st.lists(st.sampled_from(names), unique=True, max_size=4))
    query: dict[str, str | list[str]] = {
        prefix + spec.names[field]: draw(_filter_value(spec, field)) for field in chosen
    }
    if not valid:
        breakable = [f for f in names if spec.kinds[f] != STRING]
        field = draw(st.sampled_from(breakable))
        if field in ("page", "page_size"):
            bad = draw(st.sampled_from(["0", "-1", "x"]))
        elif field in spec.choices:
            bad = draw(st.sampled_from(["2", "-1", "yes"]))
        else:
            bad = draw(_BAD_VALUES[spec.kinds[field]])
        query[prefix + spec.names[field]] = [bad] if spec.kinds[field] == INT32_ARRAY else bad
    return query


def filters(kind: str = "customers", valid: bool = True) -> Strategy[dict[str, str | list[str]]]:
    """Query parameters for ``GET /api/customers`` (``kind="customers"``) or
    ``GET /api/invoices`` (``"invoices"``), all with or all without the ``filter.`` prefix;
    a list value is a repeated key (as httpx sends it). With ``valid=True`` every query binds
    (the server answers 200); with ``valid=False`` exactly one value does not (400)."""
    return _query(_spec(kind), valid)
