"""The customers' sub-resources as one tenant sees them: agreements and their products, bank
accounts, contacts, texts and circulations (all held inside the customer record), the
customer transactions (a table of their own), customer groups and transaction attributes.

A write to a sub-record writes its customer: the customer record is replaced with the
changed list and a ``modified`` stamped by the tenant's clock (``Tenant.clock``), through
the store's copy-on-write ``Overlay`` (``Tenant.write_customer``), so the next read of the
customer, of its list pages and of its filters (``contact_email``) sees it, and no other
tenant does.
Transactions are seeded per dataset (``datagen.transactions``, generated on first use and
shared read-only by every tenant) and overlaid per tenant by the records it wrote and the
ids it deleted: that state (``SharedParts``, ``TenantParts``) and the id counters live here,
the transactions' table, search and writes in ``mockserver.transactions``.

New ids never clash within a tenant: each kind of sub-record has a counter that starts past
every id of the seeded data (``SharedParts.first_ids``) and past every id the tenant's own
written customers hold (a PUT may carry any id). Deleting something absent raises
``Missing``; input the model allows but the data refuses raises ``Refused``; a collection
at its bound raises ``Full``. Searches are plain filters over small tables (a customer's
contacts, a few thousand transactions): clear over clever.

Knows the models, the store's tenants and the generated catalogues; knows nothing of HTTP
(the handlers in ``api.customer_parts`` and ``api.contacts`` turn the errors into answers).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import msgspec

from .binding import FilterSpec, filter_spec
from .datagen.catalogues import MAX_CONTACTS
from .datagen.dataset import Dataset as GeneratedDataset
from .datagen.transactions import (
    MAX_PARTICIPANTS,
    customer_groups,
    generate_transactions,
    transaction_attributes,
)
from .models import (
    ContactFilter,
    Customer,
    CustomerAccount,
    CustomerAgreement,
    CustomerAgreementProduct,
    CustomerCirculation,
    CustomerContact,
    CustomerContactAttribute,
    CustomerGroup,
    CustomerGroupFilter,
    CustomerText,
    CustomerTransaction,
    CustomerTransactionAttribute,
    CustomerTransactionFilter,
    complete,
    encode,
    given_fields,
)
from .store import Tenant
from .tables import Overlay
from .validation import MAX_ITEMS, max_length_message

# The filter models of the lists here, bound as every list binds (``binding``).
TRANSACTION_FILTER: Final[FilterSpec] = filter_spec(CustomerTransactionFilter)
GROUP_FILTER: Final[FilterSpec] = filter_spec(CustomerGroupFilter)
CONTACT_FILTER: Final[FilterSpec] = filter_spec(ContactFilter)

# Children of one customer (its contacts, agreements, ...) and of one agreement: the bound of
# a body's list (``validation.MAX_ITEMS``), so that what a POST appends a PUT could send back.
MAX_CHILDREN: Final = MAX_ITEMS

# Kinds of sub-record id.
AGREEMENT, PRODUCT, CONTACT, TEXT, CIRCULATION, TRANSACTION, PARTICIPANT = (
    "agreement",
    "agreement product",
    "contact",
    "text",
    "circulation",
    "transaction",
    "participant",
)


class PartsError(Exception):
    """A request the data refuses; ``model_state`` names the fields where one is to blame."""

    def __init__(self, message: str, model_state: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.model_state = model_state


class Missing(PartsError):
    """The customer or the sub-record named does not exist (in this tenant)."""


class Refused(PartsError):
    """A well-formed body the data refuses (a contact id of another customer, ...)."""


class Full(PartsError):
    """A collection is at its bound."""


def customer_missing(customer_id: int) -> Missing:
    """What ``GET /api/customers/{id}`` says of an absent customer."""
    return Missing(f"Customer {customer_id} was not found.")


# --- what every tenant shares -------------------------------------------------------------------


class SharedParts:
    """The seeded side of one dataset: its transactions (generated on first use), the first
    free id of every kind of sub-record, and which customer holds each seeded contact."""

    def __init__(self, dataset: Any) -> None:
        self.dataset = dataset
        self._transactions: dict[int, CustomerTransaction] | None = None
        self._json: dict[int, bytes] = {}
        self._first: dict[str, int] | None = None
        self._owners: dict[int, int] | None = None

    @property
    def transactions(self) -> dict[int, CustomerTransaction]:
        """The seeded transactions by id, ascending (a generated dataset's; none otherwise:
        a scenario's own records hold exactly what it gives)."""
        if self._transactions is None:
            made: list[CustomerTransaction] = []
            if isinstance(self.dataset, GeneratedDataset):
                made = generate_transactions(self.dataset.seed, self.dataset.customers)
            self._transactions = {t.id: t for t in made}  # type: ignore[misc]
        return self._transactions

    def transaction_json(self, transaction_id: int) -> bytes:
        data = self._json.get(transaction_id)
        if data is None:
            data = self._json[transaction_id] = encode(self.transactions[transaction_id])
        return data

    def _customers(self) -> Iterable[Customer]:
        dataset = self.dataset
        return (dataset.customer(f.id) for f in dataset.customers) if dataset else ()

    @property
    def first_ids(self) -> dict[str, int]:
        """The first id of each kind no seeded record uses."""
        if self._first is None:
            dataset = self.dataset
            first: dict[str, int] = {}
            if isinstance(dataset, GeneratedDataset):
                # The generator numbers children (record id - 1) * MAX + position.
                n = len(dataset.customers)
                first = {
                    CONTACT: n * MAX_CONTACTS + 1,
                    TEXT: n * 2 + 1,
                    AGREEMENT: n * 2 + 1,
                    PRODUCT: n * 2 * 3 + 1,
                    CIRCULATION: n + 1,
                }
            else:
                for customer in self._customers():
                    _raise_past(first, customer)
            count = len(self.transactions)
            first[TRANSACTION] = max(self.transactions, default=0) + 1
            first[PARTICIPANT] = count * MAX_PARTICIPANTS + 1
            for transaction in self.transactions.values():
                for participant in transaction.participates or []:
                    _past(first, PARTICIPANT, participant.id)
            self._first = first
        return self._first

    def contact_owner(self, contact_id: int) -> int | None:
        """The seeded customer that holds a seeded contact."""
        dataset = self.dataset
        if isinstance(dataset, GeneratedDataset):
            customer_id = (contact_id - 1) // MAX_CONTACTS + 1
            return customer_id if 1 <= customer_id <= len(dataset.customers) else None
        if self._owners is None:
            self._owners = {
                c.id: customer.id  # type: ignore[misc]
                for customer in self._customers()
                for c in customer.contacts or []
                if isinstance(c.id, int)
            }
        return self._owners.get(contact_id)


# Ids a client chose this far up (a PUT may carry any int32) do not move the counters, so
# that a counter never passes int32: counting from below it, a tenant would need a billion
# new sub-records of one kind to reach them.
ID_CEILING: Final = 2**30


def _past(first: dict[str, int], kind: str, value: Any) -> None:
    if isinstance(value, int) and first.get(kind, 1) <= value < ID_CEILING:
        first[kind] = value + 1


def _raise_past(first: dict[str, int], customer: Customer) -> None:
    """Move every counter past the ids this customer's sub-records hold."""
    for contact in customer.contacts or []:
        _past(first, CONTACT, contact.id)
    for text in customer.texts or []:
        _past(first, TEXT, text.id)
    for circulation in customer.circulations or []:
        _past(first, CIRCULATION, circulation.id)
    for agreement in customer.agreements or []:
        _past(first, AGREEMENT, agreement.id)
        for product in agreement.products or []:
            _past(first, PRODUCT, product.agreement_product_id)


_SHARED_KEPT = 8
_shared: OrderedDict[int, SharedParts] = OrderedDict()


def shared_parts(dataset: Any) -> SharedParts:
    """The shared parts of a dataset, kept for the last few datasets used (a scenario's
    store brings its own; the server's stays in use)."""
    key = id(dataset)
    parts = _shared.get(key)
    if parts is None or parts.dataset is not dataset:
        parts = _shared[key] = SharedParts(dataset)
        while len(_shared) > _SHARED_KEPT:
            _shared.popitem(last=False)
    _shared.move_to_end(key)
    return parts


# --- one tenant ---------------------------------------------------------------------------------


@dataclass
class TenantParts:
    """One tenant's counters and transactions: what it wrote over what it shares."""

    shared: SharedParts
    next_ids: dict[str, int]
    written: dict[int, CustomerTransaction] = field(default_factory=dict)
    json: dict[int, bytes] = field(default_factory=dict)
    deleted: set[int] = field(default_factory=set)
    seen_writes: int = -1  # the tenant's ``writes`` when its customers were last read for ids
    owners: dict[int, int] = field(default_factory=dict)  # contact -> customer, written ones


def parts_of(tenant: Tenant) -> TenantParts:
    """The tenant's parts, made on first use (a ``store.Tenant``)."""
    parts: TenantParts | None = tenant.parts
    if parts is None:
        shared = shared_parts(tenant.dataset)
        parts = tenant.parts = TenantParts(shared, dict(shared.first_ids))
    return parts


def _written_customers(tenant: Tenant) -> Iterable[Customer]:
    table = tenant.customers
    return table.changes.written.values() if isinstance(table, Overlay) else ()


def _sync(tenant: Tenant, parts: TenantParts) -> None:
    """Read the tenant's written customers again if it wrote since: their ids raise the
    counters, their contacts say who holds them."""
    if parts.seen_writes == tenant.writes:
        return
    owners: dict[int, int] = {}
    for customer in _written_customers(tenant):
        _raise_past(parts.next_ids, customer)
        for contact in customer.contacts or []:
            if isinstance(contact.id, int):
                owners[contact.id] = customer.id  # type: ignore[assignment]
    parts.owners = owners
    parts.seen_writes = tenant.writes


def new_id(tenant: Tenant, kind: str) -> int:
    """The tenant's next free id of a kind of sub-record (``CONTACT``, ``TRANSACTION``, ...)."""
    parts = parts_of(tenant)
    _sync(tenant, parts)
    value = parts.next_ids.get(kind, 1)
    parts.next_ids[kind] = value + 1
    return value


def customer_of(tenant: Tenant, customer_id: int) -> Customer:
    """The tenant's customer; ``Missing`` if it has none of that id."""
    stored: Customer | None = tenant.customers.get(customer_id)
    if stored is None:
        raise customer_missing(customer_id)
    return stored


def _save(tenant: Tenant, customer: Customer, **changes: Any) -> Customer:
    record = msgspec.structs.replace(customer, **changes, modified=tenant.clock())
    tenant.write_customer(record)
    return record


def _bounded(items: Sequence[Any], name: str) -> None:
    if len(items) >= MAX_CHILDREN:
        raise Full(
            f"The customer holds its maximum of {MAX_CHILDREN} {name}.",
            {name: [max_length_message(name, MAX_CHILDREN)]},
        )


# --- agreements ---------------------------------------------------------------------------------


def _own_products(
    tenant: Tenant, agreement_id: int, products: Iterable[CustomerAgreementProduct]
) -> list[CustomerAgreementProduct]:
    return [
        complete(
            msgspec.structs.replace(
                p, agreement_product_id=new_id(tenant, PRODUCT), agreement_id=agreement_id
            )
        )
        for p in products
    ]


def add_agreement(tenant: Tenant, customer_id: int, body: CustomerAgreement) -> CustomerAgreement:
    """Append an agreement: it gets an id, its products ids of their own; the invoicing
    customer defaults to the customer itself."""
    customer = customer_of(tenant, customer_id)
    agreements = customer.agreements or []
    _bounded(agreements, "agreements")
    agreement_id = new_id(tenant, AGREEMENT)
    products = body.products if isinstance(body.products, list) else []
    invoicing = body.invoicing_customer
    agreement = complete(
        msgspec.structs.replace(
            body,
            id=agreement_id,
            products=_own_products(tenant, agreement_id, products),
            invoicing_customer=customer.number if invoicing in (None, msgspec.UNSET) else invoicing,
        )
    )
    _save(tenant, customer, agreements=[*agreements, agreement])
    return agreement


def _agreement_missing(agreement_id: int) -> Missing:
    return Missing(f"Agreement {agreement_id} was not found.")


def add_agreement_product(
    tenant: Tenant, customer_id: int, agreement_id: int, body: CustomerAgreementProduct
) -> CustomerAgreementProduct:
    """Append a product to one of the customer's agreements."""
    customer = customer_of(tenant, customer_id)
    agreements = list(customer.agreements or [])
    for index, agreement in enumerate(agreements):
        if agreement.id == agreement_id:
            products = agreement.products or []
            _bounded(products, "products")
            (product,) = _own_products(tenant, agreement_id, [body])
            agreements[index] = msgspec.structs.replace(agreement, products=[*products, product])
            _save(tenant, customer, agreements=agreements)
            return product
    raise _agreement_missing(agreement_id)


def delete_agreement_product(
    tenant: Tenant, customer_id: int, product_id: int
) -> CustomerAgreementProduct:
    """Remove a product from whichever of the customer's agreements holds it."""
    customer = customer_of(tenant, customer_id)
    agreements = list(customer.agreements or [])
    for index, agreement in enumerate(agreements):
        products = agreement.products or []
        for product in products:
            if product.agreement_product_id == product_id:
                kept = [p for p in products if p is not product]
                agreements[index] = msgspec.structs.replace(agreement, products=kept)
                _save(tenant, customer, agreements=agreements)
                return product
    raise Missing(f"Agreement product {product_id} was not found.")


def delete_agreement(tenant: Tenant, customer_id: int, agreement_id: int) -> CustomerAgreement:
    """Remove an agreement (and its products) from the customer."""
    customer = customer_of(tenant, customer_id)
    agreements = customer.agreements or []
    for agreement in agreements:
        if agreement.id == agreement_id:
            _save(tenant, customer, agreements=[a for a in agreements if a is not agreement])
            return agreement
    raise _agreement_missing(agreement_id)


# --- accounts, texts, circulations --------------------------------------------------------------


def delete_account(tenant: Tenant, customer_id: int, account_id: int) -> CustomerAccount:
    customer = customer_of(tenant, customer_id)
    accounts = customer.accounts or []
    for account in accounts:
        if account.account_id == account_id:
            _save(tenant, customer, accounts=[a for a in accounts if a is not account])
            return account
    raise Missing(f"Account {account_id} was not found.")


def add_text(tenant: Tenant, customer_id: int, body: CustomerText) -> CustomerText:
    customer = customer_of(tenant, customer_id)
    texts = customer.texts or []
    _bounded(texts, "texts")
    text = complete(msgspec.structs.replace(body, id=new_id(tenant, TEXT)))
    _save(tenant, customer, texts=[*texts, text])
    return text


def add_circulation(
    tenant: Tenant, customer_id: int, body: CustomerCirculation
) -> CustomerCirculation:
    customer = customer_of(tenant, customer_id)
    circulations = customer.circulations or []
    _bounded(circulations, "circulations")
    circulation = complete(
        msgspec.structs.replace(body, id=new_id(tenant, CIRCULATION), customer_id=customer_id)
    )
    _save(tenant, customer, circulations=[*circulations, circulation])
    return circulation


def delete_circulation(
    tenant: Tenant, customer_id: int, circulation_id: int
) -> CustomerCirculation:
    customer = customer_of(tenant, customer_id)
    circulations = customer.circulations or []
    for circulation in circulations:
        if circulation.id == circulation_id:
            kept = [c for c in circulations if c is not circulation]
            _save(tenant, customer, circulations=kept)
            return circulation
    raise Missing(f"Circulation {circulation_id} was not found.")


# --- contacts -----------------------------------------------------------------------------------


def _contact_missing(contact_id: int) -> Missing:
    return Missing(f"Contact {contact_id} was not found.")


def _own_contact(contact: CustomerContact, contact_id: int, customer_id: int) -> CustomerContact:
    attributes = contact.attributes if isinstance(contact.attributes, list) else []
    return complete(
        msgspec.structs.replace(
            contact,
            id=contact_id,
            customer_id=customer_id,
            attributes=[
                a if a.contact_id == contact_id else _attribute_of(a, contact_id)
                for a in attributes
            ],
        )
    )


def _attribute_of(attribute: CustomerContactAttribute, contact_id: int) -> CustomerContactAttribute:
    return msgspec.structs.replace(attribute, contact_id=contact_id)


def add_contact(tenant: Tenant, customer_id: int, body: CustomerContact) -> CustomerContact:
    """Append a contact: it gets an id, belongs to the customer of the path (whatever the
    body's ``customer_id`` said), and its attributes point at it."""
    customer = customer_of(tenant, customer_id)
    contacts = customer.contacts or []
    _bounded(contacts, "contacts")
    contact = _own_contact(body, new_id(tenant, CONTACT), customer_id)
    _save(tenant, customer, contacts=[*contacts, contact])
    return contact


def delete_contact(tenant: Tenant, customer_id: int, contact_id: int) -> CustomerContact:
    customer = customer_of(tenant, customer_id)
    contacts = customer.contacts or []
    for contact in contacts:
        if contact.id == contact_id:
            _save(tenant, customer, contacts=[c for c in contacts if c is not contact])
            return contact
    raise _contact_missing(contact_id)


def find_contact(tenant: Tenant, contact_id: int) -> tuple[Customer, CustomerContact]:
    """The customer holding a contact, and the contact, in this tenant."""
    parts = parts_of(tenant)
    _sync(tenant, parts)
    candidates = []
    if contact_id in parts.owners:
        candidates.append(parts.owners[contact_id])
    seeded = parts.shared.contact_owner(contact_id)
    if seeded is not None:
        candidates.append(seeded)
    for customer_id in candidates:
        customer = tenant.customers.get(customer_id)
        if customer is None:
            continue
        for contact in customer.contacts or []:
            if contact.id == contact_id:
                return customer, contact
    raise _contact_missing(contact_id)


def update_contact(tenant: Tenant, contact_id: int, body: CustomerContact) -> CustomerContact:
    """Merge the given fields into a contact (``id`` never changes; given ``attributes``
    replace the stored ones). A ``customer_id`` naming another customer moves the contact
    there; naming none is refused."""
    customer, stored = find_contact(tenant, contact_id)
    changes = given_fields(body)
    changes.pop("id", None)
    target_id = changes.pop("customer_id", customer.id)
    merged = _own_contact(msgspec.structs.replace(stored, **changes), contact_id, target_id)
    contacts = customer.contacts or []
    if target_id == customer.id:
        _save(tenant, customer, contacts=[merged if c is stored else c for c in contacts])
        return merged
    target = tenant.customers.get(target_id)
    if target is None:
        raise Refused(
            "The request is invalid.",
            {"contact.customer_id": [f"Customer {target_id} was not found."]},
        )
    _bounded(target.contacts or [], "contacts")
    _save(tenant, customer, contacts=[c for c in contacts if c is not stored])
    _save(tenant, target, contacts=[*(target.contacts or []), merged])
    return merged


def fold(value: Any) -> str:
    """A text case-folded for a substring search; "" for anything else (a null field)."""
    return value.casefold() if isinstance(value, str) else ""


def contact_matches(contact: CustomerContact, modified: datetime | None, f: dict[str, Any]) -> bool:
    """Whether a contact passes a bound ContactFilter. A contact carries no stamp of its own:
    ``modified_before/after`` compare its customer's ``modified`` (every contact write
    stamps it)."""
    if "name" in f and fold(f["name"]) not in fold(contact.name):
        return False
    if "email" in f and fold(f["email"]) not in fold(contact.email):
        return False
    if "object_ids" in f and contact.id not in f["object_ids"]:
        return False
    after, before = f.get("modified_after"), f.get("modified_before")
    if after is not None and (modified is None or not modified > after):
        return False
    if before is not None and (modified is None or not modified < before):
        return False
    if "search" in f:
        needle = fold(f["search"])
        texts = (contact.name, contact.email, contact.phone, contact.gsm, contact.title,
                 contact.department)  # fmt: skip
        if not any(needle in fold(t) for t in texts):
            return False
    return True


def list_contacts(tenant: Tenant, customer_id: int, f: dict[str, Any]) -> list[CustomerContact]:
    """The customer's contacts a bound ContactFilter selects, ordered by id."""
    customer = customer_of(tenant, customer_id)
    modified = customer.modified if isinstance(customer.modified, datetime) else None
    chosen = [c for c in customer.contacts or [] if contact_matches(c, modified, f)]
    return sorted(chosen, key=_contact_key)


def _contact_key(contact: CustomerContact) -> int:
    return contact.id if isinstance(contact.id, int) else 0


# --- catalogues ---------------------------------------------------------------------------------

GROUPS: Final = tuple(customer_groups())
ATTRIBUTES: Final = tuple(transaction_attributes())


def group_matches(group: CustomerGroup, f: dict[str, Any]) -> bool:
    """Whether a group passes a bound CustomerGroupFilter (``name`` and ``search``: a
    case-folded substring of the name; ``parent_id`` equality; ``object_ids``)."""
    for name in ("name", "search"):
        if name in f and fold(f[name]) not in fold(group.name):
            return False
    if "parent_id" in f and group.parent_id != f["parent_id"]:
        return False
    return not ("object_ids" in f and group.id not in f["object_ids"])


def list_groups(f: dict[str, Any]) -> list[CustomerGroup]:
    """The groups a bound CustomerGroupFilter selects, by id."""
    return [g for g in GROUPS if group_matches(g, f)]


def list_attributes() -> list[CustomerTransactionAttribute]:
    return list(ATTRIBUTES)
