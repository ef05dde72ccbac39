"""Details of the core that the contract suites do not reach: every missing login field
named at once, bare ISO dates in bodies, ids named as sent, index bookkeeping (and the
sorted ranges an index keeps), copy-on-write tenants and the purge of expired sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from mockserver import indexes
from mockserver.app import create_app
from mockserver.datagen import generate
from mockserver.indexes import HashIndex, SortedIndex
from mockserver.models import Customer
from mockserver.sessions import Sessions
from mockserver.settings import Settings
from mockserver.store import Store

SMALL = Settings(customers=5, invoices=10)


def test_login_names_every_missing_field_at_once() -> None:
    client = TestClient(create_app(SMALL))
    answer = client.post("/api/auth/login", json={"password": "p"})
    assert answer.status_code == 400
    assert answer.json() == {
        "Message": "The request is invalid.",
        "ModelState": {
            "info.UserName": ["The UserName field is required."],
            "info.Database": ["The Database field is required."],
            "info.ApiKey": ["The ApiKey field is required."],
        },
    }


def test_a_bare_iso_date_in_a_body_is_its_midnight_utc() -> None:
    client = TestClient(create_app(SMALL))
    body = {
        "name": "Päiväys Oy",
        "email": "info@paivays.fi",
        "dimension": {"Customer_dimension_started": "2024-02-29"},
    }
    answer = client.post("/api/customers", json=body)
    assert answer.status_code == 200
    assert answer.json()["dimension"]["Customer_dimension_started"] == "2024-02-29T00:00:00Z"


def test_an_invalid_id_is_named_as_sent_while_the_route_matches_in_any_case() -> None:
    client = TestClient(create_app(SMALL))
    answer = client.get("/API/Customers/AbC")
    assert answer.status_code == 400
    assert answer.json()["ModelState"] == {
        "customer_id": ["The value 'AbC' is not valid for customer_id."]
    }
    assert client.get("/Api/CUSTOMERS/1/").json()["id"] == 1


def test_hash_index_keeps_single_and_shared_values_apart() -> None:
    index = HashIndex.build([(1, [10]), (2, [20]), (3, [20])])
    assert index.lookup([10]) == {1}
    assert index.lookup([20]) == {2, 3}
    index.remove(2, [20])
    assert index.lookup([20]) == {3}
    index.add(4, [20])
    index.add(4, [20])  # adding twice changes nothing
    assert index.lookup([20]) == {3, 4}
    index.remove(3, [20])
    index.remove(4, [20])
    assert index.lookup([20]) == set()
    assert index.lookup([10, 20, 30]) == {1}
    copy = index.copy()
    copy.add(5, [10])
    assert index.lookup([10]) == {1} and copy.lookup([10]) == {1, 5}


_DAY0 = datetime(2025, 1, 1, tzinfo=UTC)
_moments = st.none() | st.integers(-3, 40).map(lambda d: _DAY0 + timedelta(days=d, hours=12))


@given(
    records=st.lists(st.tuples(st.integers(0, 30), st.integers(1, 500)), max_size=60),
    bounds=st.lists(st.tuples(_moments, _moments), min_size=1, max_size=8),
)
def test_sorted_index_ascending_is_the_range_sorted_by_id(
    records: list[tuple[int, int]], bounds: list[tuple[datetime | None, datetime | None]]
) -> None:
    pairs = [(_DAY0 + timedelta(days=day), rid) for day, rid in records]
    index = SortedIndex.build(pairs)
    for after, before in bounds * 2:  # the second time from what the index kept
        expected = sorted(
            rid for moment, rid in pairs
            if (after is None or moment > after) and (before is None or moment < before)
        )  # fmt: skip
        assert sorted(index.range(after, before)) == expected
        assert index.ascending(after, before) == expected


def test_sorted_index_forgets_its_sorted_ranges_on_every_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    day = [_DAY0 + timedelta(days=d) for d in range(5)]
    index = SortedIndex.build([(day[0], 5), (day[1], 3), (day[2], 4)])
    assert index.ascending(None, day[3]) == [3, 4, 5]
    index.add(1, day[2])
    assert index.ascending(None, day[3]) == [1, 3, 4, 5]
    index.remove(4, day[2])
    assert index.ascending(None, day[3]) == [1, 3, 5]
    assert index.ascending(day[0], None) == [1, 3]
    twin = index.copy()
    twin.add(2, day[1])
    assert twin.ascending(day[0], None) == [1, 2, 3]
    assert index.ascending(day[0], None) == [1, 3]
    # a bounded cache: over the budget it starts again rather than grow
    monkeypatch.setattr(indexes, "ASCENDING_BUDGET", 4)
    fresh = SortedIndex.build([(day[d], d + 1) for d in range(5)])
    assert fresh.ascending(None, None) == [1, 2, 3, 4, 5]
    assert fresh.ascending(day[0], None) == [2, 3, 4, 5]
    assert fresh._ascending_size <= 5
    assert fresh.ascending(None, None) == [1, 2, 3, 4, 5]


def test_a_tenant_shares_the_snapshot_until_its_first_write() -> None:
    store = Store(generate(1, 20, 40))
    first, second = store.tenant("a"), store.tenant("b")
    assert first.customers is second.customers  # both read the shared table
    created = first.create_customer(Customer(name="Kopio Oy", email="info@kopio.fi"))
    assert first.customers is not second.customers  # an overlay of its own
    assert created.id in first.customers and created.id not in second.customers
    assert created.id not in store.tenant("c").customers
    assert len(second.customers) == 20 and len(first.customers) == 21


def test_expired_sessions_are_purged_as_logins_pile_up() -> None:
    now = [0.0]
    sessions = Sessions(ttl_s=10, clock=lambda: now[0])
    old = [sessions.login("t").session_id for _ in range(1024)]
    now[0] = 11.0
    fresh = sessions.login("t")  # the 1025th login purges the 1024 expired ones
    assert len(sessions._live) == 1
    assert sessions.lookup(old[0]) is None and sessions.lookup(fresh.session_id) is fresh


def test_pages_of_one_query_share_a_selection_that_a_write_forgets() -> None:
    client = TestClient(create_app(Settings(customers=30, invoices=0)))
    first = client.get("/api/customers", params={"name": "oy", "page_size": 5})
    total = int(first.headers["X-Total-Count"])
    second = client.get("/api/customers", params={"name": "oy", "page_size": 5, "page": 2})
    assert second.headers["X-Total-Count"] == str(total)
    assert {c["id"] for c in first.json()["results"]}.isdisjoint(
        c["id"] for c in second.json()["results"]
    )
    created = client.post("/api/customers", json={"name": "Uusi Oy", "email": "a@uusi.fi"})
    again = client.get("/api/customers", params={"name": "oy", "page_size": 5, "page": 2})
    assert again.headers["X-Total-Count"] == str(total + 1)
    renamed = client.put(
        f"/api/customers/{created.json()['id']}", json={"name": "Uusi Ky", "email": "a@uusi.fi"}
    )
    assert renamed.status_code == 200
    after = client.get("/api/customers", params={"name": "oy", "page_size": 5})
    assert after.headers["X-Total-Count"] == str(total)


def test_a_date_range_read_between_writes_sees_every_write() -> None:
    """The sorted ranges an index keeps go with the next write, also after the tenant's
    first write (which copies the indexes)."""
    now = datetime(2025, 7, 1, 12, tzinfo=UTC)
    store = Store(generate(1, 8, 0), clock=lambda: now)
    client = TestClient(create_app(SMALL, store=store))
    query = {"modified_after": "2025-07-01T00:00:00", "page_size": 50}

    def recent() -> list[int]:
        answer = client.get("/api/customers", params=query)
        assert answer.status_code == 200
        return [c["id"] for c in answer.json()["results"]]

    assert recent() == []
    for written, expected in ((5, [5]), (2, [2, 5]), (7, [2, 5, 7])):
        body = {"name": f"Kirjoitettu {written} Oy", "email": f"info@written{written}.fi"}
        assert client.put(f"/api/customers/{written}", json=body).status_code == 200
        assert recent() == expected
