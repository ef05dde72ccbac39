"""The books as a model: random sequences of invoice creates, updates, row and payment adds and
deletes, and deletes, in several tenants, over generated data. After every step, in every
tenant, what the API serves equals a plain-Python model of the writes (which invoices exist,
their rows' and payments' ids and amounts), every invoice's ``total_sum`` and ``state`` and every
customer's ``open_invoice_sum`` and ``due_invoice_sum`` equal a recomputation from those rows
and payments, and no id or number was ever given twice."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from starlette.testclient import TestClient

from mockserver.app import create_app
from mockserver.datagen import generate
from mockserver.settings import Settings

DATASET = generate(seed=5, customers=8, invoices=30)
REFERENCE = DATASET.reference_date
NUMBERS = [f.number for f in DATASET.customers]
TENANTS = ("t0", "t1", "t2")


def _cents(value: float) -> int:
    return round(value * 100)


def row_cents(hundredths: int, price_cents: int, discount: int) -> int:
    """quantity x price less discount, half away from zero: integers only."""
    numerator = hundredths * price_cents * (100 - discount)
    q, rem = divmod(abs(numerator), 10_000)
    if 2 * rem >= 10_000:
        q += 1
    return q if numerator >= 0 else -q


@dataclass
class Model:
    """One invoice as the test believes it is."""

    customer: int
    due: bool
    type: int
    rows: dict[int, int] = field(default_factory=dict)  # id -> cents
    payments: dict[int, int] = field(default_factory=dict)

    @property
    def open(self) -> int:
        return sum(self.rows.values()) - sum(self.payments.values())


def _model(invoice: dict[str, Any]) -> Model:
    due = datetime.fromisoformat(invoice["due_date"]) < REFERENCE
    return Model(
        customer=invoice["customer_number"],
        due=due,
        type=invoice["type"],
        rows={r["id"]: _cents(r["total"]) for r in invoice["rows"]},
        payments={p["id"]: _cents(p["total"]) for p in invoice["payments"]},
    )


rows_strategy = st.tuples(
    st.integers(-500, 5_000),  # quantity, hundredths
    st.integers(0, 100_000),  # unit price, cents
    st.sampled_from([0, 0, 5, 10, 15, 33]),  # discount, percent
)


def _row_body(row: tuple[int, int, int]) -> dict[str, Any]:
    hundredths, price, discount = row
    return {
        "quantity": hundredths / 100,
        "unit_price": price / 100,
        "discount": discount,
        "total": 0.5,  # recomputed by the server
    }


class Books(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.client = TestClient(create_app(Settings(), dataset=DATASET))
        first = self._list("t0")
        self.models: dict[str, dict[int, Model]] = {
            t: {i["id"]: _model(i) for i in first} for t in TENANTS
        }
        self.given: dict[str, set[tuple[str, int]]] = {t: set() for t in TENANTS}

    def teardown(self) -> None:
        self.client.close()

    # --- helpers ---

    def _call(self, tenant: str, method: str, path: str, body: Any = None) -> Any:
        response = self.client.request(method, path, json=body, headers={"X-Mock-Tenant": tenant})
        assert response.status_code == 200, (method, path, body, response.text)
        return response.json()

    def _list(self, tenant: str) -> list[dict[str, Any]]:
        answer = self._call(tenant, "GET", "/api/invoices?page_size=1000")
        results: list[dict[str, Any]] = answer["results"]
        return results

    def _fresh(self, tenant: str, kind: str, value: int) -> None:
        """An id or number the server gives must be new in the tenant."""
        key = (kind, value)
        assert key not in self.given[tenant], key
        self.given[tenant].add(key)

    def _pick(self, data: st.DataObject, tenant: str) -> int:
        return data.draw(st.sampled_from(sorted(self.models[tenant])))

    # --- rules ---

    @rule(
        tenant=st.sampled_from(TENANTS),
        customer=st.sampled_from(NUMBERS),
        rows=st.lists(rows_strategy, max_size=4),
        pays=st.lists(st.integers(0, 50_000), max_size=2),
        day=st.integers(1, 28),
        month=st.integers(4, 8),
    )
    def create(
        self, tenant: str, customer: int, rows: list[Any], pays: list[int], day: int, month: int
    ) -> None:
        body = {
            "date": f"2025-{month:02d}-{day:02d}",
            "customer_number": customer,
            "rows": [_row_body(r) for r in rows],
            "payments": [{"date": "2025-06-01", "total": p / 100} for p in pays],
        }
        created = self._call(tenant, "POST", "/api/invoices", body)
        self._fresh(tenant, "invoice", created["id"])
        self._fresh(tenant, "number", created["number"])
        model = _model(created)
        assert list(model.rows.values()) == [row_cents(*r) for r in rows]
        assert list(model.payments.values()) == pays
        for row_id in model.rows:
            self._fresh(tenant, "row", row_id)
        for payment_id in model.payments:
            self._fresh(tenant, "payment", payment_id)
        self.models[tenant][created["id"]] = model

    @precondition(lambda self: any(self.models.values()))
    @rule(tenant=st.sampled_from(TENANTS), data=st.data(), row=rows_strategy)
    def add_row(self, tenant: str, data: st.DataObject, row: tuple[int, int, int]) -> None:
        if not self.models[tenant]:
            return
        invoice_id = self._pick(data, tenant)
        added = self._call(tenant, "POST", f"/api/invoices/{invoice_id}/row", _row_body(row))
        self._fresh(tenant, "row", added["id"])
        assert _cents(added["total"]) == row_cents(*row)
        self.models[tenant][invoice_id].rows[added["id"]] = row_cents(*row)

    @rule(tenant=st.sampled_from(TENANTS), data=st.data())
    def delete_row(self, tenant: str, data: st.DataObject) -> None:
        with_rows = sorted(i for i, m in self.models[tenant].items() if m.rows)
        if not with_rows:
            return
        invoice_id = data.draw(st.sampled_from(with_rows))
        row_id = data.draw(st.sampled_from(sorted(self.models[tenant][invoice_id].rows)))
        deleted = self._call(tenant, "DELETE", f"/api/invoices/{invoice_id}/row/{row_id}")
        assert deleted["id"] == row_id
        del self.models[tenant][invoice_id].rows[row_id]

    @rule(
        tenant=st.sampled_from(TENANTS),
        data=st.data(),
        amount=st.one_of(st.none(), st.integers(-10_000, 100_000)),
    )
    def add_payment(self, tenant: str, data: st.DataObject, amount: int | None) -> None:
        if not self.models[tenant]:
            return
        invoice_id = self._pick(data, tenant)
        model = self.models[tenant][invoice_id]
        body: dict[str, Any] = {"date": "2025-06-15"}
        if amount is not None:
            body["total"] = amount / 100
        added = self._call(tenant, "POST", f"/api/invoices/{invoice_id}/payment", body)
        self._fresh(tenant, "payment", added["id"])
        expected = model.open if amount is None else amount  # none: pays what is open
        assert _cents(added["total"]) == expected
        model.payments[added["id"]] = expected

    @rule(tenant=st.sampled_from(TENANTS), data=st.data())
    def delete_payment(self, tenant: str, data: st.DataObject) -> None:
        paid = sorted(i for i, m in self.models[tenant].items() if m.payments)
        if not paid:
            return
        invoice_id = data.draw(st.sampled_from(paid))
        payment_id = data.draw(st.sampled_from(sorted(self.models[tenant][invoice_id].payments)))
        path = f"/api/invoices/{invoice_id}/payment/{payment_id}"
        assert self._call(tenant, "DELETE", path)["id"] == payment_id
        del self.models[tenant][invoice_id].payments[payment_id]

    @rule(
        tenant=st.sampled_from(TENANTS),
        data=st.data(),
        customer=st.one_of(st.none(), st.sampled_from(NUMBERS)),
        rows=st.one_of(st.none(), st.lists(rows_strategy, max_size=3)),
        keep=st.booleans(),
    )
    def update(
        self,
        tenant: str,
        data: st.DataObject,
        customer: int | None,
        rows: list[Any] | None,
        keep: bool,
    ) -> None:
        if not self.models[tenant]:
            return
        invoice_id = self._pick(data, tenant)
        model = self.models[tenant][invoice_id]
        stored = self._call(tenant, "GET", f"/api/invoices/{invoice_id}")
        body: dict[str, Any] = {"id": invoice_id, "date": stored["date"], "description": "PUT"}
        if customer is not None:
            body["customer_number"] = customer
        expected_rows = dict(model.rows)
        if rows is not None:
            kept = sorted(model.rows)[:1] if keep else []
            body["rows"] = [
                {**_row_body(r), **({"id": kept[i]} if i < len(kept) else {})}
                for i, r in enumerate(rows)
            ]
            expected_rows = {}
        updated = self._call(tenant, "PUT", "/api/invoices", body)
        served = _model(updated)
        if rows is not None:
            assert list(served.rows.values()) == [row_cents(*r) for r in rows]
            for index, row_id in enumerate(served.rows):
                if index < len(kept) and rows:
                    assert row_id == kept[index]
                else:
                    self._fresh(tenant, "row", row_id)
            expected_rows = served.rows
        assert served.rows == expected_rows
        assert served.payments == model.payments
        model.rows = expected_rows
        if customer is not None:
            model.customer = customer

    @rule(tenant=st.sampled_from(TENANTS), data=st.data())
    def delete(self, tenant: str, data: st.DataObject) -> None:
        if not self.models[tenant]:
            return
        invoice_id = self._pick(data, tenant)
        assert self._call(tenant, "DELETE", f"/api/invoices/{invoice_id}")["id"] == invoice_id
        del self.models[tenant][invoice_id]
        response = self.client.get(f"/api/invoices/{invoice_id}", headers={"X-Mock-Tenant": tenant})
        assert response.status_code == 404

    # --- what must hold after every step ---

    @invariant()
    def the_books_agree_with_the_model(self) -> None:
        for tenant in TENANTS:
            models = self.models[tenant]
            invoices = self._list(tenant)
            assert [i["id"] for i in invoices] == sorted(models)
            for invoice in invoices:
                model = models[invoice["id"]]
                served = _model(invoice)
                assert (served.rows, served.payments) == (model.rows, model.payments)
                assert served.customer == model.customer
                assert _cents(invoice["total_sum"]) == sum(model.rows.values())
                assert invoice["state"] == _state(model)
            customers = self._call(tenant, "GET", "/api/customers?page_size=1000")["results"]
            for customer in customers:
                mine = [m for m in models.values() if m.customer == customer["number"]]
                open_cents = sum(m.open for m in mine)
                due_cents = sum(m.open for m in mine if m.due)
                assert _cents(customer["open_invoice_sum"]) == open_cents, customer["number"]
                assert _cents(customer["due_invoice_sum"]) == due_cents, customer["number"]


def _state(model: Model) -> str:
    total, paid = sum(model.rows.values()), sum(model.payments.values())
    if model.type == 2:
        return "Hyvitetty"
    if total == paid:
        return "Maksettu"
    if paid:
        return "Osittain maksettu"
    return "Erääntynyt" if model.due else "Avoin"


Books.TestCase.settings = settings(
    max_examples=20,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestBooks = Books.TestCase
