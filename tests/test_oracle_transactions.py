"""Properties of ``GET /api/customers/transactions``: for random CustomerTransactionFilter
queries, written in random ASP.NET forms (``test_oracle.query_of``), the server answers
exactly what a plain-Python oracle written from docs/api.md says (ids in order,
``result_count``, ``X-Total-Count``): over the generated transactions, and over a tenant's
after random adds, updates and deletes.

The oracle never calls mockserver's binding or filter code: it reads the generated records
from the generator and keeps its own copy of what the writes answered.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import msgspec
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient
from test_oracle import ARRAY, DATE, INT, SETTINGS, TEXT, pieces, query_of

from mockserver.app import create_app
from mockserver.datagen import generate
from mockserver.datagen.transactions import generate_transactions
from mockserver.settings import Settings

FIELDS = {
    "type": INT, "state": INT, "customer_number": INT, "person_number": INT,
    "todo_person_number": INT, "project_number": INT, "customer_contact_id": INT,
    "transaction_date_before": DATE, "transaction_date_after": DATE, "object_ids": ARRAY,
    "search": TEXT,
}  # fmt: skip
_EQUAL = ("type", "state", "customer_number", "person_number", "todo_person_number",
          "project_number", "customer_contact_id")  # fmt: skip
_TEXTS = ("subject", "header", "todo_description", "person_name")


# --- the oracle ---------------------------------------------------------------------------------


def matches(t: dict[str, Any], f: dict[str, Any]) -> bool:
    """docs/api.md's transaction filters, in plain Python over a record as JSON."""
    for name in _EQUAL:
        if name in f and t[name] != f[name]:
            return False
    if "object_ids" in f and t["id"] not in f["object_ids"]:
        return False
    date = datetime.fromisoformat(t["date"]) if t["date"] is not None else None
    if "transaction_date_after" in f and (date is None or date <= f["transaction_date_after"]):
        return False
    if "transaction_date_before" in f and (date is None or date >= f["transaction_date_before"]):
        return False
    if "search" in f:
        needle = f["search"].casefold()
        if not any(t[k] is not None and needle in t[k].casefold() for k in _TEXTS):
            return False
    return True


def oracle(records: list[dict[str, Any]], f: dict[str, Any]) -> tuple[list[int], int]:
    selected = sorted(t["id"] for t in records if matches(t, f))
    page, size = f.get("page", 1), f.get("page_size", 10)
    return selected[(page - 1) * size : page * size], len(selected)


def answer(client: TestClient, query: str, tenant: str) -> tuple[list[int], int]:
    response = client.get(f"/api/customers/transactions?{query}", headers={"X-Mock-Tenant": tenant})
    assert response.status_code == 200, response.text
    body = response.json()
    ids = [t["id"] for t in body["results"]]
    assert body["result_count"] == len(ids)
    return ids, int(response.headers["x-total-count"])


# --- the data -----------------------------------------------------------------------------------


@cache
def _generated() -> tuple[TestClient, list[dict[str, Any]], list[tuple[int, int, list[int]]]]:
    """The served client, the generated transactions as JSON, and (customer id, number,
    contact ids) of every customer."""
    dataset = generate(seed=3, customers=60, invoices=20)
    client = TestClient(create_app(Settings(), dataset=dataset))
    records = msgspec.json.decode(msgspec.json.encode(generate_transactions(3, dataset.customers)))
    customers = [
        (f.id, f.number or 0, [c.id for c in dataset.customer(f.id).contacts or []])
        for f in dataset.customers
    ]
    return client, records, customers  # type: ignore[return-value]  # contact ids are ints


@st.composite
def filters(draw: st.DrawFn, records: list[dict[str, Any]]) -> dict[str, Any]:
    """A random filter whose values mostly come from the records (so that it selects some)."""
    f: dict[str, Any] = {}
    for name in draw(st.lists(st.sampled_from(sorted(FIELDS)), unique=True, max_size=3)):
        kind = FIELDS[name]
        if kind == INT:
            seen = sorted({t[name] for t in records if t[name] is not None}) or [0]
            f[name] = draw(st.sampled_from(seen) | st.integers(0, 3))
        elif kind == DATE:
            dates = [t["date"] for t in records if t["date"] is not None]
            moment = datetime.fromisoformat(draw(st.sampled_from(dates)))
            f[name] = moment + timedelta(seconds=draw(st.sampled_from([0, 0, 1, -1, 86_400])))
        elif kind == ARRAY:
            f[name] = draw(st.lists(st.integers(1, len(records) + 2), min_size=1, max_size=4))
        else:
            pool = [t[k] for t in records for k in _TEXTS if t[k]]
            f[name] = draw(pieces(pool) | st.sampled_from(["zz", "ä", "SS"]))
    if draw(st.booleans()):
        f["page"] = draw(st.integers(1, 4))
    if draw(st.booleans()):
        f["page_size"] = draw(st.integers(1, 30))
    return f


@SETTINGS
@given(st.data())
def test_generated_transactions_search_equals_the_oracle(data: st.DataObject) -> None:
    client, records, _ = _generated()
    f = data.draw(filters(records))
    query = data.draw(query_of(f, FIELDS))
    assert answer(client, query, "default") == oracle(records, f), query


# --- after writes -------------------------------------------------------------------------------

_tenants = itertools.count()
_SUBJECTS = ["Soitto", "Palaveri", "Tarjous", "Straße", "ÄÄNI"]


@st.composite
def transaction_bodies(draw: st.DrawFn, contacts: list[int]) -> dict[str, Any]:
    body: dict[str, Any] = {}
    choices: dict[str, st.SearchStrategy[Any]] = {
        "type": st.integers(1, 3),
        "state": st.integers(0, 1),
        "person_number": st.sampled_from([101, 102, 999]),
        "todo_person_number": st.sampled_from([103, 104]),
        "project_number": st.integers(1, 3),
        "subject": st.sampled_from(_SUBJECTS),
        "date": st.sampled_from(["2024-01-01T00:00:00Z", "2025-01-01"]),
    }
    for name, values in choices.items():
        if draw(st.booleans()):
            body[name] = draw(values)
    with_contact = draw(st.booleans())
    if contacts and with_contact:
        body["customer_contact_id"] = draw(st.sampled_from(contacts))
    return body


Step = Callable[[TestClient, str, dict[int, dict[str, Any]]], None]


@SETTINGS
@given(st.data())
def test_written_transactions_search_equals_the_oracle(data: st.DataObject) -> None:
    client, records, customers = _generated()
    tenant = f"oracle-{next(_tenants)}"
    headers = {"X-Mock-Tenant": tenant}
    mine = {t["id"]: t for t in records}  # the oracle's copy of the tenant's transactions
    for _ in range(data.draw(st.integers(1, 6))):
        customer_id, number, contacts = data.draw(st.sampled_from(customers))
        action = data.draw(st.sampled_from(["add", "update", "delete"]))
        own = [i for i, t in mine.items() if t["customer_number"] == number]
        if action == "add" or not own:
            body = data.draw(transaction_bodies(contacts))
            response = client.post(
                f"/api/customers/{customer_id}/transactions", json=body, headers=headers
            )
            assert response.status_code == 200, response.text
            made = response.json()
            assert made["id"] not in mine
            assert made["customer_number"] == number
            mine[made["id"]] = made
        elif action == "update":
            body = {
                "id": data.draw(st.sampled_from(own)),
                **data.draw(transaction_bodies(contacts)),
            }
            response = client.put(
                f"/api/customers/{customer_id}/transactions", json=body, headers=headers
            )
            assert response.status_code == 200, response.text
            mine[body["id"]] = response.json()
        else:
            victim = data.draw(st.sampled_from(own))
            response = client.delete(
                f"/api/customers/{customer_id}/transactions/{victim}", headers=headers
            )
            assert response.status_code == 200, response.text
            assert response.json() == mine.pop(victim)
    everything = list(mine.values())
    for _ in range(3):
        f = data.draw(filters(everything))
        query = data.draw(query_of(f, FIELDS))
        assert answer(client, query, tenant) == oracle(everything, f), query
    # the untouched tenant still reads the generated transactions
    assert answer(client, "page_size=100000", "default")[1] == len(records)
    assert client.post("/_mock/reset", params={"tenant": tenant}).status_code == 200
