"""Customer transactions as one tenant sees them: the table (seeded per dataset, shared
read-only by every tenant, overlaid by what the tenant wrote and deleted), its search by a
bound ``CustomerTransactionFilter``, and the writes (add, update, delete) of a customer's
transactions, with ids for them and their participants.

The table's state and the id counters are ``customer_parts``' (``TenantParts``,
``SharedParts``, ``new_id``), shared with the other sub-records; its errors (``Missing``,
``Refused``, ``Full``) too. Knows the models and the store's tenants; knows nothing of HTTP
(``api.customer_parts`` answers).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Final

import msgspec

from .customer_parts import (
    PARTICIPANT,
    TRANSACTION,
    Full,
    Missing,
    Refused,
    customer_of,
    fold,
    new_id,
    parts_of,
)
from .datagen.transactions import person_name
from .models import (
    Customer,
    CustomerTransaction,
    CustomerTransactionParticipate,
    complete,
    encode,
    given_fields,
)
from .store import Tenant
from .validation import required_message

MAX_TRANSACTIONS: Final = 100_000  # transactions one tenant may write


def transaction_ids(tenant: Tenant) -> list[int]:
    """Every transaction id of the tenant, ascending."""
    parts = parts_of(tenant)
    seeded = parts.shared.transactions
    if not parts.written and not parts.deleted:
        return list(seeded)
    gone = parts.deleted
    ids = [i for i in seeded if i not in gone and i not in parts.written]
    ids.extend(parts.written)
    ids.sort()
    return ids


def get_transaction(tenant: Tenant, transaction_id: int) -> CustomerTransaction | None:
    parts = parts_of(tenant)
    record = parts.written.get(transaction_id)
    if record is not None:
        return record
    if transaction_id in parts.deleted:
        return None
    return parts.shared.transactions.get(transaction_id)


def transaction_json(tenant: Tenant, transaction_ids: Iterable[int]) -> list[bytes]:
    """The encoded transactions (cached: seeded ones for every tenant, written ones until
    they change)."""
    parts = parts_of(tenant)
    mine, shared = parts.json, parts.shared
    return [mine.get(i) or shared.transaction_json(i) for i in transaction_ids]


def transaction_matches(t: CustomerTransaction, f: dict[str, Any]) -> bool:
    """Whether a transaction passes a bound CustomerTransactionFilter: equality for the
    numbers, ``object_ids`` for ids, ``transaction_date_before/after`` strictly around
    ``date``, ``search`` a case-folded substring of subject, header, todo_description or
    person_name (a null field never matches)."""
    for name in ("type", "state", "customer_number", "person_number", "todo_person_number",
                 "project_number", "customer_contact_id"):  # fmt: skip
        if name in f and getattr(t, name) != f[name]:
            return False
    if "object_ids" in f and t.id not in f["object_ids"]:
        return False
    date = t.date if isinstance(t.date, datetime) else None
    after, before = f.get("transaction_date_after"), f.get("transaction_date_before")
    if after is not None and (date is None or not date > after):
        return False
    if before is not None and (date is None or not date < before):
        return False
    if "search" in f:
        needle = fold(f["search"])
        texts = (t.subject, t.header, t.todo_description, t.person_name)
        if not any(needle in fold(text) for text in texts):
            return False
    return True


def search_transactions(tenant: Tenant, f: dict[str, Any]) -> list[int]:
    """Ids of the tenant's transactions a bound filter selects, ascending."""
    found = []
    for transaction_id in transaction_ids(tenant):
        record = get_transaction(tenant, transaction_id)
        if record is not None and transaction_matches(record, f):
            found.append(transaction_id)
    return found


def customer_transactions(tenant: Tenant, customer_id: int) -> list[int]:
    """Ids of the customer's transactions (those naming its number), ascending."""
    customer = customer_of(tenant, customer_id)
    return search_transactions(tenant, {"customer_number": customer.number})


def _check_contact(customer: Customer, contact_id: Any, param: str) -> None:
    if contact_id is None or contact_id is msgspec.UNSET:
        return
    if not any(c.id == contact_id for c in customer.contacts or []):
        raise Refused(
            "The request is invalid.",
            {
                f"{param}.customer_contact_id": [
                    f"Customer {customer.id} has no contact {contact_id}."
                ]
            },
        )


def _own_participants(
    tenant: Tenant,
    participates: Iterable[CustomerTransactionParticipate],
    kept: Iterable[CustomerTransactionParticipate] = (),
) -> list[CustomerTransactionParticipate]:
    """Participants with their ids: a participant already ``kept`` (the stored transaction's)
    keeps its id, every other gets a new one, whatever the body said."""
    known = {p.id for p in kept}
    return [
        complete(
            p
            if isinstance(p.id, int) and p.id in known
            else msgspec.structs.replace(p, id=new_id(tenant, PARTICIPANT))
        )
        for p in participates
    ]


def _store_transaction(tenant: Tenant, record: CustomerTransaction) -> None:
    parts = parts_of(tenant)
    record_id: int = record.id  # type: ignore[assignment]
    parts.written[record_id] = record
    parts.json[record_id] = encode(record)
    parts.deleted.discard(record_id)
    tenant.writes += 1


def add_transaction(
    tenant: Tenant, customer_id: int, body: CustomerTransaction, param: str
) -> CustomerTransaction:
    """A new transaction of the customer: an id, the customer's number, ``date`` now unless
    given, ``person_name`` from ``person_number`` unless given, ids for its participants."""
    customer = customer_of(tenant, customer_id)
    _check_contact(customer, body.customer_contact_id, param)
    parts = parts_of(tenant)
    if len(parts.written) >= MAX_TRANSACTIONS:
        raise Full(f"The tenant holds its maximum of {MAX_TRANSACTIONS} written transactions.")
    changes: dict[str, Any] = {
        "id": new_id(tenant, TRANSACTION),
        "customer_number": customer.number,
        "participates": _own_participants(
            tenant, body.participates if isinstance(body.participates, list) else []
        ),
    }
    if body.date in (None, msgspec.UNSET):
        changes["date"] = tenant.clock()
    if body.person_name in (None, msgspec.UNSET) and isinstance(body.person_number, int):
        changes["person_name"] = person_name(body.person_number)
    record = complete(msgspec.structs.replace(body, **changes))
    _store_transaction(tenant, record)
    return record


def update_transaction(
    tenant: Tenant, customer_id: int, body: CustomerTransaction, param: str
) -> CustomerTransaction:
    """Merge the given fields into the customer's transaction named by the body's ``id``:
    ``id`` and ``customer_number`` never change, a given list replaces the stored one."""
    customer = customer_of(tenant, customer_id)
    transaction_id = body.id
    if not isinstance(transaction_id, int):
        raise Refused("The request is invalid.", {f"{param}.id": [required_message("id")]})
    stored = get_transaction(tenant, transaction_id)
    if stored is None or stored.customer_number != customer.number:
        raise Missing(f"Transaction {transaction_id} was not found.")
    _check_contact(customer, body.customer_contact_id, param)
    changes = given_fields(body)
    for fixed in ("id", "customer_number"):
        changes.pop(fixed, None)
    if isinstance(changes.get("participates"), list):
        changes["participates"] = _own_participants(
            tenant, changes["participates"], stored.participates or []
        )
    if "person_number" in changes and "person_name" not in changes:
        changes["person_name"] = person_name(changes["person_number"])
    record = complete(msgspec.structs.replace(stored, **changes))
    _store_transaction(tenant, record)
    return record


def delete_transaction(
    tenant: Tenant, customer_id: int, transaction_id: int
) -> CustomerTransaction:
    customer = customer_of(tenant, customer_id)
    stored = get_transaction(tenant, transaction_id)
    if stored is None or stored.customer_number != customer.number:
        raise Missing(f"Transaction {transaction_id} was not found.")
    parts = parts_of(tenant)
    parts.written.pop(transaction_id, None)
    parts.json.pop(transaction_id, None)
    if transaction_id in parts.shared.transactions:
        parts.deleted.add(transaction_id)
    tenant.writes += 1
    return stored
