"""A customer's *core*: its first draws, everything its facts and its invoices need.

``customer_core(seed, id, customers, pools)`` makes the name, language, address, phone,
e-mail, roles, classification, payment term, invoicing method, attributes and contacts from the
customer's own generator, and leaves that generator positioned for the remaining fields
(``customer_records``). Knows the shapes of Finnish company names, phone numbers and e-mail
addresses. Knows nothing of invoices or of the full ``Customer`` model.

The order of draws is the data: each helper below takes its draws in the order they always
had, and reordering any of them changes every seed's data (tests/test_digest.py).
"""

from __future__ import annotations

import random
from typing import NamedTuple

from ..facts import CustomerFacts
from .catalogues import (
    COINED,
    COINED_TAILS,
    CUSTOMER_NUMBER_BASE,
    EMAIL_LOCAL_TABLE,
    MAX_CONTACTS,
    MOBILE_PREFIXES,
    NAME2,
    REGIONS,
    TERM_TABLE,
    TRADES,
)
from .draws import KIND_CUSTOMER, Random01, between, record_rng, zigzag
from .identifiers import business_id, vat_number
from .pools import Pools, Postal, fold
from .timeline import DAY, REF_TS, START_TS, moment


class Contact(NamedTuple):
    id: int
    first: str
    last: str
    email: str | None
    gsm: str


class CustomerCore(NamedTuple):
    rng: random.Random  # the customer's generator, positioned after the core's draws
    facts: CustomerFacts
    business_id: str
    street: str
    street2: str | None
    postal: Postal
    domain: str
    language: str
    term: int
    invoice_method: int
    trade: int  # index in TRADES, -1 when the name says nothing of the trade
    attributes: tuple[tuple[int, bool], ...]
    contacts: tuple[Contact, ...]
    is_prospect: bool
    sole_trader: bool  # a Tmi: its first contact is the owner


# --- phone numbers ------------------------------------------------------------------------------


def mobile(rng: random.Random, international: bool) -> str:
    """A Finnish mobile number, ``040 123 4567`` or ``+358 40 123 4567``."""
    prefix = MOBILE_PREFIXES[int(rng.random() * 10)]
    s = str(between(rng, 1_000_000, 10_000_000))
    if international:
        return f"+358 {prefix} {s[:3]} {s[3:]}"
    return f"0{prefix} {s[:3]} {s[3:]}"


def landline(rng: random.Random, area: str) -> str:
    """A landline number in the area code ``area``, ``09 1234 567`` or ``013 234 5678``."""
    s = str(between(rng, 2_000_000, 9_000_000))
    if len(area) == 2:
        return f"{area} {s[:4]} {s[4:]}" if rng.random() < 0.5 else f"{area} {s[:3]} {s[3:]}"
    return f"{area} {s[1:4]} {s[4:]}"


# --- the core's parts, in draw order ------------------------------------------------------------


def customer_created(customer_id: int, customers: int, r: Random01) -> int:
    """Creation second: the first 30 % came in a migration batch on the first morning, the
    rest were created later in id order (ids are allocated in time order)."""
    migrated = max(1, customers * 3 // 10)
    if customer_id <= migrated:
        return START_TS + 8 * 3600 + (customer_id - 1)
    start = max(START_TS + 2 * DAY, START_TS + 8 * 3600 + migrated + 3600)
    span = REF_TS - DAY - start
    later = customers - migrated
    step = span // later
    return start + (customer_id - migrated - 1) * span // later + int(r() * step)


def company_name(r: Random01, pools: Pools, swedish: bool) -> tuple[str, str, int, str]:
    """(name, name without legal form, trade index or -1, domain label)."""
    u = r()
    v = r()
    if swedish and v < 0.5:
        suffix = "Ab"
    else:
        suffix = "Oy" if v < 0.86 else ("Ky" if v < 0.995 else "Oyj")
    last = pools.last[int(r() * len(pools.last))]
    trade = int(r() * len(TRADES))
    word = TRADES[trade][0]
    if u < 0.20:
        return f"{last} {suffix}", last, -1, fold(last)
    if u < 0.38:
        return f"{word} {last} {suffix}", f"{word} {last}", trade, fold(word) + fold(last)
    if u < 0.56:
        region = REGIONS[int(r() * len(REGIONS))]
        return f"{region} {word} {suffix}", f"{region} {word}", trade, fold(region) + fold(word)
    if u < 0.66:
        nen = pools.last_nen[int(r() * len(pools.last_nen))]
        genitive = f"{nen[:-3]}sen"
        label = fold(genitive) + fold(word)
        return f"{genitive} {word} {suffix}", f"{genitive} {word}", trade, label
    if u < 0.72:
        other = pools.last[int(r() * len(pools.last))]
        suffix = "Ky" if v < 0.6 else suffix
        return f"{last} & {other} {suffix}", f"{last} & {other}", -1, fold(last) + fold(other)
    if u < 0.78 and len(word) <= 8:
        return f"{word}-{last} {suffix}", f"{word}-{last}", trade, f"{fold(word)}-{fold(last)}"
    if u < 0.78:
        return f"{word} {last} {suffix}", f"{word} {last}", trade, fold(word) + fold(last)
    if u < 0.90:
        head = COINED[int(r() * len(COINED))]
        tail = COINED_TAILS[int(r() * len(COINED_TAILS))]
        return f"{head} {tail} {suffix}", f"{head} {tail}", -1, fold(head) + fold(tail)
    first_pool = pools.first_male if r() < 0.55 else pools.first_female
    first = first_pool[int(r() * len(first_pool))]
    return f"Tmi {first} {last}", f"{first} {last}", -1, fold(first) + fold(last)


def owner(name: str) -> tuple[str, str] | None:
    """The owner's (first, last) name of a sole trader (``Tmi Etunimi Sukunimi``)."""
    if not name.startswith("Tmi "):
        return None
    first, _, last = name[4:].partition(" ")
    return first, last


def _address(r: Random01, pools: Pools) -> tuple[Postal, str, str | None]:
    """(postal code and city, street address, second address line)."""
    postal = pools.postal[int(r() * len(pools.postal))]
    street = f"{pools.streets[int(r() * len(pools.streets))]} {1 + int(60 * r() * r())}"
    street2_u = r()
    street2: str | None = None
    if street2_u < 0.10:
        street2 = f"{'ABCD'[int(r() * 4)]} {1 + int(r() * 40)}"
    elif street2_u < 0.15:
        street2 = f"{2 + int(r() * 5)}. krs"
    elif street2_u < 0.18:
        street2 = f"PL {10 + int(r() * 900)}"
    return postal, street, street2


def _phone(rng: random.Random, postal: Postal) -> str | None:
    """The company's phone: none, a landline in its area, or a mobile."""
    r = rng.random
    phone_u = r()
    if phone_u < 0.05:
        return None
    if phone_u < 0.60 and postal.area:
        return landline(rng, postal.area)
    return mobile(rng, r() < 0.4)


def _roles(r: Random01, customer_id: int) -> tuple[bool, bool]:
    """(is_customer, is_supplier); customer 1 is always a customer."""
    kind_u = r()
    if kind_u < 0.80 or customer_id == 1:
        return True, False
    if kind_u < 0.88:
        return False, True
    if kind_u < 0.95:
        return True, True
    return False, False


def _attributes(r: Random01, invoice_method: int) -> tuple[tuple[int, bool], ...]:
    """(attribute id, selected), sorted: the invoicing method's (selected) and a few others,
    selected or not."""
    attributes: list[tuple[int, bool]] = [({3: 2, 2: 3, 1: 4}[invoice_method], True)]
    for attr_id in (1, 5, 6, 7, 8, 9, 10):
        u = r()
        if u < 0.35:
            attributes.append((attr_id, u < 0.15))
    attributes.sort()
    return tuple(attributes)


def _contacts(
    rng: random.Random,
    pools: Pools,
    customer_id: int,
    owner_name: tuple[str, str] | None,
    domain: str,
) -> tuple[Contact, ...]:
    """0-4 contacts (1-2 for a sole trader, the owner first), e-mails at the company's
    domain."""
    r = rng.random
    n_contacts = (0, 1, 1, 1, 2, 2, 2, 3, 3, 4)[int(r() * 10)]
    if owner_name is not None:
        n_contacts = max(1, min(2, n_contacts))  # the owner, perhaps a bookkeeper
    contacts: list[Contact] = []
    seen: list[str] = []
    for k in range(n_contacts):
        first_pool = pools.first_male if r() < 0.52 else pools.first_female
        first = first_pool[int(r() * len(first_pool))]
        last = pools.last[int(r() * len(pools.last))]
        if k == 0 and owner_name is not None:
            first, last = owner_name
        email: str | None = None
        if r() >= 0.1:
            local = f"{fold(first)}.{fold(last)}"
            if local in seen:
                local += str(k + 1)
            seen.append(local)
            email = f"{local}@{domain}"
        gsm = mobile(rng, r() < 0.3)
        contacts.append(Contact((customer_id - 1) * MAX_CONTACTS + k + 1, first, last, email, gsm))
    return tuple(contacts)


# --- the core -----------------------------------------------------------------------------------


def customer_core(seed: int, customer_id: int, customers: int, pools: Pools) -> CustomerCore:
    """The customer's first draws: everything its facts and its invoices need."""
    rng = record_rng(seed, KIND_CUSTOMER, customer_id)
    r = rng.random
    created = customer_created(customer_id, customers, r)
    modified = created if r() < 0.3 else created + int((REF_TS - 1 - created) * r())
    lang_u = r()
    language = "fi" if lang_u < 0.88 else ("sv" if lang_u < 0.97 else "en")
    name, base, trade, label = company_name(r, pools, language == "sv")
    domain = label + ".fi"
    business = business_id(zigzag(seed) * 7_919, customer_id)
    postal, street, street2 = _address(r, pools)
    phone = _phone(rng, postal)
    email = None if r() < 0.12 else f"{EMAIL_LOCAL_TABLE[int(r() * 100)]}@{domain}"
    is_customer, is_supplier = _roles(r, customer_id)
    group = None if r() < 0.04 else 1 + int(6 * r() * r())
    ctype = 1 if r() < 0.75 else (2 if r() < 0.7 else 3)
    method_u = r()
    invoice_method = 3 if method_u < 0.55 else (2 if method_u < 0.85 and email else 1)
    term = TERM_TABLE[int(r() * len(TERM_TABLE))]
    attributes = _attributes(r, invoice_method)
    owner_name = owner(name)
    contacts = _contacts(rng, pools, customer_id, owner_name, domain)
    facts = CustomerFacts(
        id=customer_id,
        number=CUSTOMER_NUMBER_BASE + customer_id,
        name=name,
        name2=NAME2[int(r() * len(NAME2))] if r() < 0.08 else None,
        searchname=base.upper()[:30],
        email=email,
        phone=phone,
        vat=vat_number(business),
        city=postal.city,
        group=group,
        type=ctype,
        is_customer=is_customer,
        is_supplier=is_supplier,
        created=moment(created),
        modified=moment(modified),
        attribute_ids=tuple(a for a, selected in attributes if selected),
        contact_emails=tuple(c.email for c in contacts if c.email is not None),
    )
    return CustomerCore(
        rng=rng,
        facts=facts,
        business_id=business,
        street=street,
        street2=street2,
        postal=postal,
        domain=domain,
        language=language,
        term=term,
        invoice_method=invoice_method,
        trade=trade,
        attributes=attributes,
        contacts=contacts,
        is_prospect=not is_customer and not is_supplier,
        sole_trader=owner_name is not None,
    )


def contact_name(contact: Contact | None) -> str | None:
    """A contact's full name, or None for no contact."""
    return f"{contact.first} {contact.last}" if contact else None
