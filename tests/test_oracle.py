"""Properties: for random small datasets and random queries, the server answers exactly what a
plain-Python oracle written from CONTRACT.md alone says (ids in order, ``result_count``,
``X-Total-Count``); and no query string, however odd, gets a 5xx.

The oracle never calls mockserver's binding or filter code. Queries are drawn as a filter (a
dict of field -> value) and then *written* in a random ASP.NET form: with or without the
``filter.`` prefix, names in any case, arrays as repeated keys, ``k[]`` or ``k[0]..k[n]``,
with noise that the binding rules say must be ignored (unprefixed keys once a prefixed one
is present, later values of a repeated scalar, empty values, indexed values past a gap).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from typing import Any
from urllib.parse import quote

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from mockserver.app import create_app
from mockserver.datagen import generate
from mockserver.models import (
    Customer,
    CustomerAttribute,
    CustomerContact,
    Invoice,
)
from mockserver.settings import Settings
from mockserver.store import RecordDataset, Store

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# --- the oracle: CONTRACT.md in plain Python ---------------------------------------------------

_DOTNET_INT = re.compile(r"\s*[+-]?[0-9]+\s*", re.ASCII)


def _contains(field: str | None, needle: str) -> bool:
    """Substring match, case-insensitive with Unicode case folding; null never matches."""
    return field is not None and needle.casefold() in field.casefold()


def _is_number(needle: str, number: int | None) -> bool:
    return number is not None and bool(_DOTNET_INT.fullmatch(needle)) and int(needle) == number


def _instant(moment: datetime | None) -> datetime | None:
    """No zone means UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _before(moment: datetime | None, limit: datetime) -> bool:
    at = _instant(moment)
    return at is not None and at < limit


def _after(moment: datetime | None, limit: datetime) -> bool:
    at = _instant(moment)
    return at is not None and at > limit


def customer_matches(c: Customer, f: dict[str, Any]) -> bool:
    for field, attribute in (("name", "name"), ("search_name", "searchname"),
                             ("email", "email"), ("phone", "phone"), ("vat", "vat")):  # fmt: skip
        if field in f and not _contains(getattr(c, attribute), f[field]):
            return False
    contacts = c.contacts or []
    if "contact_email" in f and not any(_contains(k.email, f["contact_email"]) for k in contacts):
        return False
    if "search" in f:
        texts = (c.name, c.name2, c.searchname, c.email, c.phone, c.vat, c.city)
        if not (any(_contains(t, f["search"]) for t in texts) or _is_number(f["search"], c.number)):
            return False
    if "has_email" in f and (c.email not in (None, "")) != (f["has_email"] == 1):
        return False
    for flag in ("is_customer", "is_supplier"):
        if flag in f and (getattr(c, flag) is True) != (f[flag] == 1):
            return False
    if "customer_number" in f and c.number not in f["customer_number"]:
        return False
    if "object_ids" in f and c.id not in f["object_ids"]:
        return False
    if "attribute_ids" in f and not any(
        a.selected and a.id in f["attribute_ids"] for a in c.attributes or []
    ):
        return False
    if "group" in f and c.group != f["group"]:
        return False
    if "type" in f and c.type != f["type"]:
        return False
    moments = {"created": c.created, "modified": c.modified, "updated": c.modified}
    for field, moment in moments.items():
        if f"{field}_before" in f and not _before(moment, f[f"{field}_before"]):
            return False
        if f"{field}_after" in f and not _after(moment, f[f"{field}_after"]):
            return False
    return True


def invoice_matches(i: Invoice, f: dict[str, Any]) -> bool:
    if "numbers" in f and i.number not in f["numbers"]:
        return False
    for field in ("customer_number", "delivery_customer_number", "type"):
        if field in f and getattr(i, field) != f[field]:
            return False
    if "object_ids" in f and i.id not in f["object_ids"]:
        return False
    if "invoice_date_before" in f and not _before(i.date, f["invoice_date_before"]):
        return False
    if "invoice_date_after" in f and not _after(i.date, f["invoice_date_after"]):
        return False
    if "updated_before" in f and not _before(i.modified_date, f["updated_before"]):
        return False
    if "updated_after" in f and not _after(i.modified_date, f["updated_after"]):
        return False
    if "search" in f:
        texts = (i.customer_name, i.description, i.reference, i.our_reference,
                 i.customer_reference)  # fmt: skip
        if not (any(_contains(t, f["search"]) for t in texts) or _is_number(f["search"], i.number)):
            return False
    return True


def oracle(
    records: list[Any], matches: Callable[[Any, dict[str, Any]], bool], f: dict[str, Any]
) -> tuple[list[int], int]:
    """(ids on the requested page, total): ordered by id; page 1 and size 10 by default."""
    selected = sorted(r.id for r in records if matches(r, f))
    page, size = f.get("page", 1), f.get("page_size", 10)
    return selected[(page - 1) * size : page * size], len(selected)


# --- datasets ----------------------------------------------------------------------------------

# Letters whose case folding differs from lower-casing, or changes length, are on purpose.
# (Kelvin sign, dotted and dotless i, the three sigmas, the fi ligature)
_LETTERS = "aAäÄoÖsSßẞkK\u212a\u0130\u0131\u03a3\u03c3\u03c2 \ufb01-@.15"
texts = st.text(alphabet=_LETTERS, max_size=5)
nullable_texts = st.none() | texts
# What a required string field accepts: ASP.NET's [Required] refuses empty and blank strings.
required_texts = texts.filter(lambda text: text.strip() != "")
needles = st.text(alphabet=_LETTERS, min_size=1, max_size=3)
small_ints = st.integers(0, 3)

# A handful of instants, so that filters often hit a record's moment exactly (strictness).
_INSTANTS = [datetime(2024, 1, d, h, tzinfo=UTC) for d in (1, 2) for h in (0, 12)]
_ZONES = [UTC, timezone(timedelta(hours=3)), timezone(timedelta(hours=-5, minutes=-30))]


@st.composite
def moments(draw: st.DrawFn) -> datetime | None:
    """A stored moment: a pool instant, in UTC, with an offset, or naive (meaning UTC)."""
    if draw(st.integers(0, 5)) == 0:
        return None
    instant = draw(st.sampled_from(_INSTANTS))
    form = draw(st.integers(0, 2))
    if form == 0:
        return instant.replace(tzinfo=None)
    return instant.astimezone(draw(st.sampled_from(_ZONES))) if form == 1 else instant


@st.composite
def filter_moments(draw: st.DrawFn) -> datetime:
    """A filter moment: a pool instant, or one a microsecond or a second off it (UTC)."""
    instant = draw(st.sampled_from(_INSTANTS))
    shift = draw(st.sampled_from([0, 0, 0, 1, -1, 1_000_000, -1_000_000]))
    return instant + timedelta(microseconds=shift)


@st.composite
def customer_records(draw: st.DrawFn) -> list[Customer]:
    ids = draw(st.lists(st.integers(1, 40), unique=True, max_size=10))
    records = []
    for customer_id in ids:
        contacts = draw(st.lists(nullable_texts, max_size=2))
        attributes = draw(st.lists(st.tuples(st.integers(0, 4), st.booleans()), max_size=3))
        records.append(
            Customer(
                id=customer_id,
                number=draw(st.none() | st.integers(1, 30)),
                name=draw(nullable_texts),
                name2=draw(nullable_texts),
                searchname=draw(nullable_texts),
                email=draw(nullable_texts),
                phone=draw(nullable_texts),
                vat=draw(nullable_texts),
                city=draw(nullable_texts),
                group=draw(st.none() | small_ints),
                type=draw(st.none() | small_ints),
                is_customer=draw(st.none() | st.booleans()),
                is_supplier=draw(st.none() | st.booleans()),
                created=draw(moments()),
                modified=draw(moments()),
                attributes=[CustomerAttribute(id=a, selected=s) for a, s in attributes],
                contacts=[CustomerContact(customer_id=customer_id, email=e) for e in contacts],
            )
        )
    return records


@st.composite
def invoice_records(draw: st.DrawFn) -> list[Invoice]:
    ids = draw(st.lists(st.integers(1, 40), unique=True, max_size=10))
    return [
        Invoice(
            id=invoice_id,
            number=draw(st.none() | st.integers(1, 30)),
            customer_number=draw(st.none() | small_ints),
            delivery_customer_number=draw(st.none() | small_ints),
            type=draw(st.none() | small_ints),
            date=draw(moments()),
            modified_date=draw(moments()),
            customer_name=draw(nullable_texts),
            description=draw(nullable_texts),
            reference=draw(nullable_texts),
            our_reference=draw(nullable_texts),
            customer_reference=draw(nullable_texts),
        )
        for invoice_id in ids
    ]


# --- filters, and writing them as a query ---------------------------------------------------

TEXT, INT, FLAG, DATE, ARRAY = "text", "int", "flag", "date", "array"
CUSTOMER_FIELDS = {
    "name": TEXT, "search_name": TEXT, "email": TEXT, "contact_email": TEXT, "phone": TEXT,
    "vat": TEXT, "search": TEXT, "has_email": FLAG, "is_customer": FLAG, "is_supplier": FLAG,
    "customer_number": ARRAY, "object_ids": ARRAY, "attribute_ids": ARRAY, "group": INT,
    "type": INT, "created_before": DATE, "created_after": DATE, "modified_before": DATE,
    "modified_after": DATE, "updated_before": DATE, "updated_after": DATE,
}  # fmt: skip
INVOICE_FIELDS = {
    "numbers": ARRAY, "customer_number": INT, "delivery_customer_number": INT, "type": INT,
    "invoice_date_before": DATE, "invoice_date_after": DATE, "updated_before": DATE,
    "updated_after": DATE, "object_ids": ARRAY, "search": TEXT,
}  # fmt: skip


def _present(values: Iterable[str | None]) -> list[str]:
    return [value for value in values if value]


def customer_pools(records: list[Customer]) -> dict[str, list[str]]:
    """Per text filter, the stored texts it reads."""
    pools = {
        field: _present(getattr(r, attribute) for r in records)
        for field, attribute in (("name", "name"), ("search_name", "searchname"),
                                 ("email", "email"), ("phone", "phone"), ("vat", "vat"))
    }  # fmt: skip
    pools["contact_email"] = _present(k.email for r in records for k in r.contacts or [])
    pools["search"] = _present(
        text
        for r in records
        for text in (r.name, r.name2, r.searchname, r.email, r.phone, r.vat, r.city)
    )
    return pools


def invoice_pools(records: list[Invoice]) -> dict[str, list[str]]:
    """The stored texts ``search`` reads."""
    texts = (
        (i.customer_name, i.description, i.reference, i.our_reference, i.customer_reference)
        for i in records
    )
    return {"search": _present(text for five in texts for text in five)}


@st.composite
def pieces(draw: st.DrawFn, pool: list[str]) -> str:
    """A piece of a stored text, re-cased: so that text filters often match, and match only
    under case folding (``"ß"`` is found by ``"SS"``)."""
    text = draw(st.sampled_from(pool))
    start = draw(st.integers(0, len(text) - 1))
    piece = text[start : draw(st.integers(start + 1, len(text)))]
    recase: Callable[[str], str] = draw(
        st.sampled_from([str, str.upper, str.lower, str.casefold, str.swapcase])
    )
    return recase(piece)


@st.composite
def text_values(draw: st.DrawFn, pool: list[str]) -> str:
    """Mostly a piece of a stored text (so that filters select something); else any needle,
    or a number (``search`` also matches a record's number)."""
    source = draw(st.integers(0, 4))
    if pool and source < 3:
        return draw(pieces(pool))
    if source == 3:
        return str(draw(st.integers(1, 30)))
    return draw(needles)


def _value(kind: str, pool: list[str] | None = None) -> st.SearchStrategy[Any]:
    if kind == TEXT:
        return text_values(pool or [])
    if kind == FLAG:
        return st.sampled_from([0, 1])
    if kind == INT:
        return small_ints
    if kind == DATE:
        return filter_moments()
    return st.lists(st.integers(0, 40), min_size=1, max_size=4)


@st.composite
def filters(draw: st.DrawFn, fields: dict[str, str], pools: dict[str, list[str]]) -> dict[str, Any]:
    """A random filter; ``pools`` holds, per text filter, the stored texts it reads."""
    chosen = draw(st.lists(st.sampled_from(sorted(fields)), unique=True, max_size=3))
    f = {name: draw(_value(fields[name], pools.get(name))) for name in chosen}
    if draw(st.booleans()):
        f["page"] = draw(st.integers(1, 4))
    if draw(st.booleans()):
        f["page_size"] = draw(st.integers(1, 6))
    return f


@st.composite
def spelled(draw: st.DrawFn, name: str) -> str:
    """``name`` in a random case."""
    form = draw(st.integers(0, 3))
    if form == 0:
        return name
    if form == 1:
        return name.upper()
    if form == 2:
        return name.title()
    flips = draw(st.lists(st.booleans(), min_size=len(name), max_size=len(name)))
    return "".join(ch.upper() if flip else ch for ch, flip in zip(name, flips, strict=True))


@st.composite
def written_int(draw: st.DrawFn, value: int) -> str:
    """An int as .NET parses it: plain, with a plus sign, leading zeros or spaces."""
    form = draw(st.integers(0, 5))
    if form == 1 and value >= 0:
        return f"+{value}"
    if form == 2:
        return f"{value:03d}"
    if form == 3:
        return f" {value} "
    return str(value)


@st.composite
def written_moment(draw: st.DrawFn, moment: datetime) -> str:
    """An ISO 8601 form of ``moment`` (a UTC instant)."""
    form = draw(st.integers(0, 4))
    if form == 0:
        return moment.isoformat()
    if form == 1:
        return moment.isoformat().replace("+00:00", "Z")
    if form == 2:
        return moment.replace(tzinfo=None).isoformat()  # no zone: UTC
    if form == 3:
        return moment.astimezone(draw(st.sampled_from(_ZONES))).isoformat()
    if moment.time() == datetime.min.time() and moment.microsecond == 0:
        return moment.date().isoformat()
    return moment.isoformat()


@st.composite
def query_of(draw: st.DrawFn, f: dict[str, Any], fields: dict[str, str]) -> str:
    """``f`` written as an ASP.NET query string, with noise that must not change the answer."""
    prefixed = draw(st.booleans())

    def key(name: str) -> str:
        spelled_name = draw(spelled(name))
        return draw(spelled("filter.")) + spelled_name if prefixed else spelled_name

    def scalar(kind: str, value: Any) -> str:
        if kind == DATE:
            return draw(written_moment(value))
        if kind in (INT, FLAG):
            return draw(written_int(value))
        return str(value)

    pairs: list[tuple[str, str]] = []
    kinds = {**fields, "page": INT, "page_size": INT}
    for name in draw(st.permutations(sorted(f))):
        kind, value = kinds[name], f[name]
        if kind == ARRAY:
            form = draw(st.integers(0, 2))
            if form == 0:
                pairs += [(key(name), draw(written_int(v))) for v in value]
            elif form == 1:
                pairs += [(key(name) + "[]", draw(written_int(v))) for v in value]
            else:
                indexed = [(key(name) + f"[{i}]", str(v)) for i, v in enumerate(value)]
                if draw(st.booleans()):  # past a gap nothing binds, not even a non-number
                    indexed.append((key(name) + f"[{len(value) + 1}]", "not bound"))
                pairs += draw(st.permutations(indexed))
        else:
            pairs.append((key(name), scalar(kind, value)))
            if draw(st.booleans()):  # a repeated scalar: the first value wins
                decoy = draw(_value(kind)) if kind != TEXT else "zz"
                pairs.append((key(name), scalar(kind, decoy)))
    for name in draw(st.lists(st.sampled_from(sorted(kinds)), max_size=2)):
        if name not in f:
            pairs.append((key(name), ""))  # an empty value counts as absent
    if prefixed and any(value for _, value in pairs):
        for name in draw(st.lists(st.sampled_from(sorted(kinds)), max_size=2)):
            pairs.append((draw(spelled(name)), "x"))  # ignored once a prefixed key exists
    encoded_brackets = draw(st.booleans())

    def encode(text: str) -> str:
        return quote(text, safe="" if encoded_brackets else "[]")

    return "&".join(f"{encode(k)}={encode(v)}" for k, v in pairs)


# --- the properties -----------------------------------------------------------------------------


def _client(customers: list[Customer], invoices: list[Invoice]) -> TestClient:
    store = Store(RecordDataset(customers, invoices))
    return TestClient(create_app(Settings(), store=store))


def _answer(client: TestClient, path: str, query: str) -> tuple[list[int], int]:
    response = client.get(f"{path}?{query}")
    assert response.status_code == 200, response.text
    body = response.json()
    ids = [record["id"] for record in body["results"]]
    assert body["result_count"] == len(ids)
    return ids, int(response.headers["x-total-count"])


@st.composite
def customer_cases(draw: st.DrawFn) -> tuple[list[Customer], list[tuple[dict[str, Any], str]]]:
    records = draw(customer_records())
    queries = []
    for _ in range(draw(st.integers(2, 6))):
        f = draw(filters(CUSTOMER_FIELDS, customer_pools(records)))
        queries.append((f, draw(query_of(f, CUSTOMER_FIELDS))))
    return records, queries


@st.composite
def invoice_cases(draw: st.DrawFn) -> tuple[list[Invoice], list[tuple[dict[str, Any], str]]]:
    records = draw(invoice_records())
    queries = []
    for _ in range(draw(st.integers(2, 6))):
        f = draw(filters(INVOICE_FIELDS, invoice_pools(records)))
        queries.append((f, draw(query_of(f, INVOICE_FIELDS))))
    return records, queries


@SETTINGS
@given(customer_cases())
def test_customer_lists_equal_the_oracle(
    case: tuple[list[Customer], list[tuple[dict[str, Any], str]]],
) -> None:
    records, queries = case
    with _client(records, []) as client:
        for f, query in queries:
            expected = oracle(records, customer_matches, f)
            assert _answer(client, "/api/customers", query) == expected, query
            assert _answer(client, "/api/customers/base", query) == expected, query


@SETTINGS
@given(invoice_cases())
def test_invoice_lists_equal_the_oracle(
    case: tuple[list[Invoice], list[tuple[dict[str, Any], str]]],
) -> None:
    records, queries = case
    with _client([], records) as client:
        for f, query in queries:
            expected = oracle(records, invoice_matches, f)
            assert _answer(client, "/api/invoices", query) == expected, query


# --- writes, then reads ------------------------------------------------------------------------

NOW = datetime(2025, 7, 1, 12, tzinfo=UTC)

_WRITABLE: dict[str, st.SearchStrategy[Any]] = {
    "name": required_texts,
    "name2": nullable_texts,
    "searchname": nullable_texts,
    "email": required_texts,
    "phone": nullable_texts,
    "vat": nullable_texts,
    "city": nullable_texts,
    "group": st.none() | small_ints,
    "type": st.none() | small_ints,
    "is_customer": st.none() | st.booleans(),
    "is_supplier": st.none() | st.booleans(),
    "attributes": st.lists(
        st.builds(dict, id=st.integers(0, 4), selected=st.booleans()), max_size=3
    ),
    "contacts": st.lists(st.builds(dict, customer_id=st.just(0), email=nullable_texts), max_size=2),
}


@st.composite
def bodies(draw: st.DrawFn) -> dict[str, Any]:
    """A customer body: name and email (required) and a random subset of other fields."""
    chosen = draw(st.lists(st.sampled_from(sorted(_WRITABLE)), unique=True, max_size=5))
    body = {"name": draw(required_texts), "email": draw(required_texts)}
    body |= {name: draw(_WRITABLE[name]) for name in chosen}
    return body


def _merged(stored: Customer, body: dict[str, Any], **fixed: Any) -> Customer:
    """The contract's write: given fields replace stored ones (a given list replaces the
    list); ``fixed`` (id, number, created, modified) is the server's."""
    given = dict(body)
    if "attributes" in given:
        given["attributes"] = [CustomerAttribute(**a) for a in given["attributes"]]
    if "contacts" in given:
        given["contacts"] = [CustomerContact(**c) for c in given["contacts"]]
    return msgspec.structs.replace(stored, **given, **fixed)


@st.composite
def write_cases(draw: st.DrawFn) -> tuple[list[Customer], list[tuple[str, Any]], list[Any]]:
    records = draw(customer_records())
    writes: list[tuple[str, Any]] = []
    for _ in range(draw(st.integers(1, 4))):
        if records and draw(st.booleans()):
            writes.append((f"/api/customers/{draw(st.sampled_from(records)).id}", draw(bodies())))
        else:
            writes.append(("/api/customers", draw(bodies())))
    queries = []
    pools = customer_pools(list(_apply(records, writes)))
    for _ in range(draw(st.integers(2, 5))):
        f = draw(filters(CUSTOMER_FIELDS, pools))
        queries.append((f, draw(query_of(f, CUSTOMER_FIELDS))))
    return records, writes, queries


def _apply(records: list[Customer], writes: list[tuple[str, Any]]) -> Iterator[Customer]:
    """The oracle's view of ``records`` after ``writes``: new ids and numbers follow the
    largest ones; created and modified are the server's clock."""
    by_id = {r.id: r for r in records}
    next_id = max(by_id, default=0) + 1
    next_number = max((r.number for r in records if r.number is not None), default=10000) + 1
    for path, body in writes:
        if path == "/api/customers":
            # a field a new customer was not given is null
            nulls = dict.fromkeys(f.name for f in msgspec.structs.fields(Customer))
            empty = Customer(**nulls | {"id": next_id, "number": next_number})
            by_id[next_id] = _merged(empty, body, created=NOW, modified=NOW)
            next_id, next_number = next_id + 1, next_number + 1
        else:
            customer_id = int(path.rsplit("/", 1)[1])
            by_id[customer_id] = _merged(by_id[customer_id], body, modified=NOW)
    yield from by_id.values()


@settings(SETTINGS, max_examples=100)
@given(write_cases())
def test_written_customers_are_filtered_like_the_oracle_says(
    case: tuple[list[Customer], list[tuple[str, Any]], list[Any]],
) -> None:
    records, writes, queries = case
    store = Store(RecordDataset(records, []), clock=lambda: NOW)
    with TestClient(create_app(Settings(), store=store)) as client:
        # Reads before, between and after the writes: whatever the server keeps from a read
        # (selections, sorted ranges) must not outlive the next write.
        for done in range(len(writes) + 1):
            if done:
                path, body = writes[done - 1]
                method = "POST" if path == "/api/customers" else "PUT"
                assert client.request(method, path, json=body).status_code == 200
            after = list(_apply(records, writes[:done]))
            for f, query in queries:
                expected = oracle(after, customer_matches, f)
                assert _answer(client, "/api/customers", query) == expected, query
                assert _answer(client, "/api/customers/base", query) == expected, query


# --- no query string is a 5xx ------------------------------------------------------------------

_NAMES = sorted({*CUSTOMER_FIELDS, *INVOICE_FIELDS, "page", "page_size"})
_ODD_VALUES = st.sampled_from(
    ["", "0", "-1", "2147483648", "-2147483649", "9" * 40, "1e9", "0x1F", "NaN", "∞", "٣",
     "2024-02-30", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00",
     "2024-01-01T00:00:00+24:00", "2024-01-01T24:00", "20240101T", "%", "%ZZ", "%00", "\x00",
     "[", "]", "[]", "&", "=", "+", ";", "'\"", "\ud7ff", "🙂"]
)  # fmt: skip


@st.composite
def odd_keys(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(_NAMES) | st.text(max_size=8))
    suffix = draw(st.sampled_from(["", "[]", "[0]", "[1]", "[x]", "[", "]", "[99999999999999]"]))
    prefix = draw(st.sampled_from(["", "filter.", "FILTER.", "filter", ".", "filter.filter."]))
    return prefix + name + suffix


@st.composite
def odd_queries(draw: st.DrawFn) -> bytes:
    """Query strings as bytes on the wire: encoded, raw, or not even UTF-8."""
    pairs = draw(st.lists(st.tuples(odd_keys(), _ODD_VALUES | st.text(max_size=10)), max_size=6))
    raw = draw(st.booleans())

    def encode(text: str) -> str:
        return quote(text, errors="surrogatepass")

    text = "&".join(f"{k}={v}" if raw else f"{encode(k)}={encode(v)}" for k, v in pairs)
    data = text.encode("utf-8", "surrogatepass")
    return data + draw(st.sampled_from([b"", b"&\xff\xfe=\xc3", b"%", b"&&=&"]))


@SETTINGS
@given(query=odd_queries(), path=st.sampled_from(
    ["/api/customers", "/api/customers/base", "/api/invoices"]))  # fmt: skip
def test_no_query_string_is_a_server_error(asgi_get: Any, query: bytes, path: str) -> None:
    store = Store(RecordDataset([Customer(id=1, name="A", email="a")], []))
    status, _, body = asgi_get(create_app(Settings(), store=store), path, query)
    assert status in (200, 400), (status, body)
    if status == 400:
        decoded = msgspec.json.decode(body)
        assert list(decoded) == ["Message", "ModelState"] and decoded["ModelState"]


# --- generated data ------------------------------------------------------------------------------


@cache
def _generated() -> tuple[TestClient, list[Customer], list[Invoice]]:
    """One small generated dataset, served read-only to every example; the oracle reads the
    full records, the server its indexes of them."""
    dataset = generate(seed=3, customers=60, invoices=120)
    client = TestClient(create_app(Settings(), dataset=dataset))
    customers = [dataset.customer(f.id) for f in dataset.customers]
    invoices = [dataset.invoice(f.id) for f in dataset.invoices]
    return client, customers, invoices


def _known(values: Iterable[int | None]) -> list[int]:
    return sorted({value for value in values if value is not None})


@st.composite
def generated_queries(draw: st.DrawFn) -> tuple[str, dict[str, Any], str]:
    _, customers, invoices = _generated()
    # generated numbers are larger than the small random datasets': draw them from the data
    if draw(st.booleans()):
        fields, pools, path = CUSTOMER_FIELDS, customer_pools(customers), "/api/customers"
        numbers = {"customer_number": _known(c.number for c in customers)}
    else:
        fields, pools, path = INVOICE_FIELDS, invoice_pools(invoices), "/api/invoices"
        numbers = {
            "numbers": _known(i.number for i in invoices),
            "customer_number": _known(i.customer_number for i in invoices),
            "delivery_customer_number": _known(i.delivery_customer_number for i in invoices),
        }
    f = draw(filters(fields, pools))
    for name, choices in numbers.items():
        if name in f:
            one = st.sampled_from(choices)
            f[name] = draw(st.lists(one, min_size=1, max_size=3) if fields[name] == ARRAY else one)
    return path, f, draw(query_of(f, fields))


@settings(SETTINGS, max_examples=100)
@given(generated_queries())
def test_generated_data_lists_equal_the_oracle(case: tuple[str, dict[str, Any], str]) -> None:
    path, f, query = case
    client, customers, invoices = _generated()
    if path == "/api/customers":
        expected = oracle(customers, customer_matches, f)
    else:
        expected = oracle(invoices, invoice_matches, f)
    assert _answer(client, path, query) == expected, query


# --- invoice writes (creates, updates, deletes), then reads -------------------------------------

_INVOICE_CUSTOMERS = [
    Customer(id=n + 1, number=n, name=f"C{n}", email="c@c.fi") for n in range(4)
]  # the numbers ``invoice_records`` draws


@st.composite
def invoice_writes(draw: st.DrawFn) -> dict[str, Any]:
    """A create or update body: the fields the invoice filters read."""
    body: dict[str, Any] = {"date": draw(moments()) or _INSTANTS[0]}
    body["date"] = body["date"].isoformat()
    for name, values in (
        ("customer_number", small_ints),
        ("delivery_customer_number", small_ints),
        ("type", st.none() | small_ints),
        ("description", nullable_texts),
        ("customer_name", nullable_texts),
        ("our_reference", nullable_texts),
    ):
        if draw(st.booleans()):
            body[name] = draw(values)
    return body


@st.composite
def invoice_write_cases(
    draw: st.DrawFn,
) -> tuple[list[Invoice], list[tuple[str, Any]], list[tuple[dict[str, Any], str]]]:
    records = draw(invoice_records())
    writes: list[tuple[str, Any]] = []
    for _ in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["POST", "PUT", "DELETE"]))
        if kind == "POST":
            body = draw(invoice_writes())
            body.setdefault("customer_number", draw(small_ints))
            writes.append((kind, body))
        else:  # an id that may have been deleted or created meanwhile: a 404 changes nothing
            target = draw(st.integers(1, 44))
            writes.append(
                (kind, {**draw(invoice_writes()), "id": target} if kind == "PUT" else target)
            )
    queries = []
    for _ in range(draw(st.integers(2, 5))):
        f = draw(filters(INVOICE_FIELDS, invoice_pools(records)))
        queries.append((f, draw(query_of(f, INVOICE_FIELDS))))
    return records, writes, queries


@settings(SETTINGS, max_examples=60)
@given(invoice_write_cases())
def test_written_invoices_are_filtered_like_the_oracle_says(
    case: tuple[list[Invoice], list[tuple[str, Any]], list[tuple[dict[str, Any], str]]],
) -> None:
    """The oracle holds what each write answered (a created or updated invoice as served, a
    deleted one gone), and filters it in plain Python: the lists must agree after each write."""
    records, writes, queries = case
    store = Store(RecordDataset(_INVOICE_CUSTOMERS, records), clock=lambda: NOW)
    held = {r.id: r for r in records}
    with TestClient(create_app(Settings(), store=store)) as client:
        for method, payload in writes:
            if method == "DELETE":
                response = client.delete(f"/api/invoices/{payload}")
                assert response.status_code == (200 if payload in held else 404), response.text
                held.pop(payload, None)
            else:
                response = client.request(method, "/api/invoices", json=payload)
                if method == "PUT" and payload["id"] not in held:
                    assert response.status_code == 404, response.text
                    continue
                assert response.status_code == 200, response.text
                written = msgspec.json.decode(response.content, type=Invoice)
                assert isinstance(written.id, int)
                held[written.id] = written
            for f, query in queries:
                expected = oracle(list(held.values()), invoice_matches, f)
                assert _answer(client, "/api/invoices", query) == expected, query
