"""Details of the core that the contract suites do not reach: every missing login field
named at once, bare ISO dates in bodies, ids named as sent, index bookkeeping, copy-on-write
tenants and the purge of expired sessions."""

from __future__ import annotations

from starlette.testclient import TestClient

from mockserver.app import create_app
from mockserver.datagen import generate
from mockserver.indexes import HashIndex
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


def test_a_tenant_shares_the_snapshot_until_its_first_write() -> None:
    store = Store(generate(1, 20, 40))
    first, second = store.tenant("a"), store.tenant("b")
    assert first.customers.facts is second.customers.facts  # nothing copied yet
    created = first.create_customer(Customer(name="Kopio Oy", email="info@kopio.fi"))
    assert first.customers.facts is not second.customers.facts
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
