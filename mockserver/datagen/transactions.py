"""The register's CRM side: customer groups, transaction attributes and customer transactions.

``CUSTOMER_GROUPS`` and ``TRANSACTION_ATTRIBUTES`` are fixed catalogues (the groups are the
ones customers' ``group`` fields name, 1 to 6). ``generate_transactions(seed, customers)``
draws the calls, meetings and tasks of every customer from one generator of their own,
``random.Random(zigzag(seed) * 1_000_003 + 7)``, never from the customers' or the invoices'
generators: adding them changed no byte of the customers and invoices a seed serves
(tests/test_digest.py pins both). A transaction names its customer by number, its people by
the staff numbers of ``SELLERS`` and, where the customer has contacts, one of its contacts
by id; its moments lie between the customer's creation and the dataset's reference date.
Ids follow the transactions' dates, as a real register allocates them.

Knows the customers' cores (for their contacts); knows nothing of the store, of writes or
of HTTP.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final

from ..facts import CustomerFacts
from ..models import (
    CustomerGroup,
    CustomerTransaction,
    CustomerTransactionAttribute,
    CustomerTransactionParticipate,
)
from .catalogues import SELLERS
from .customers import customer_core
from .draws import between, zigzag
from .pools import value_pools
from .timeline import DAY, REF_TS, moment

# (id, name, parent id): the groups customers' ``group`` field names.
CUSTOMER_GROUPS: Final = (
    (1, "Avainasiakkaat", None),
    (2, "Yritysasiakkaat", None),
    (3, "Pienyritykset", 2),
    (4, "Julkinen sektori", None),
    (5, "Jälleenmyyjät", 2),
    (6, "Vientiasiakkaat", None),
)

# (code, description, group description, info)
TRANSACTION_ATTRIBUTES: Final = (
    (1, "Tarjouspyyntö", "Myynti", "Asiakas pyysi tarjousta"),
    (2, "Uusi asiakas", "Myynti", "Ensimmäinen yhteydenotto"),
    (3, "Sopimusneuvottelu", "Myynti", None),
    (4, "Reklamaatio", "Asiakaspalvelu", "Käsiteltävä viikon sisällä"),
    (5, "Koulutus", "Asiakaspalvelu", None),
    (6, "Huoltopyyntö", "Huolto", None),
    (7, "Laskutuskysymys", "Talous", None),
    (8, "Jatkotoimenpide", "Seuranta", "Palataan asiaan"),
)

# Transaction types and states (the mock's codes: the vendor's document names none).
TYPE_CALL: Final = 1
TYPE_MEETING: Final = 2
TYPE_TASK: Final = 3
TRANSACTION_TYPES: Final = {TYPE_CALL: "Puhelu", TYPE_MEETING: "Tapaaminen", TYPE_TASK: "Tehtävä"}
STATE_OPEN: Final = 0
STATE_DONE: Final = 1
# Participants: 1 a person of the staff (``participate_number``), 2 a customer's contact.
PARTICIPANT_PERSON: Final = 1
PARTICIPANT_CONTACT: Final = 2
# Meetings: 1 at the customer's, 2 at our office, 3 remote.
APPOINTMENT_TYPES: Final = (1, 2, 3)

_SUBJECTS: Final = {
    TYPE_CALL: (
        "Tarjouksen läpikäynti",
        "Laskutusasia",
        "Toimitusaikataulu",
        "Huoltotarve",
        "Yhteydenottopyyntö",
        "Sopimuksen jatko",
    ),
    TYPE_MEETING: (
        "Vuosipalaveri",
        "Esittelytapaaminen",
        "Projektin aloituspalaveri",
        "Sopimusneuvottelu",
        "Tuote-esittely",
    ),
    TYPE_TASK: (
        "Lähetä tarjous",
        "Soita takaisin",
        "Päivitä yhteystiedot",
        "Tarkista avoimet laskut",
        "Valmistele sopimusluonnos",
        "Toimita esitemateriaali",
    ),
}
_COUNTS: Final = (0, 0, 1, 1, 2, 2, 3, 3, 4, 6)
_SELLER_NAMES: Final = dict(SELLERS)
MAX_PARTICIPANTS: Final = 3  # participant ids are (transaction id - 1) * 3 + position


def customer_groups() -> list[CustomerGroup]:
    """Every customer group, by id."""
    return [CustomerGroup(id=i, name=n, parent_id=p) for i, n, p in CUSTOMER_GROUPS]


def transaction_attributes() -> list[CustomerTransactionAttribute]:
    """The transaction attribute catalogue, by code (none checked: a catalogue entry)."""
    return [
        CustomerTransactionAttribute(
            code=code, description=text, info=info, group_description=group, is_checked=False
        )
        for code, text, group, info in TRANSACTION_ATTRIBUTES
    ]


def person_name(number: int | None) -> str | None:
    """The staff member's name for a person number, None for one the register lacks."""
    return _SELLER_NAMES.get(number) if number is not None else None


def _attributes(r: random.Random) -> list[CustomerTransactionAttribute]:
    chosen = [row for row in TRANSACTION_ATTRIBUTES if r.random() < 0.12]
    return [
        CustomerTransactionAttribute(
            code=code, description=text, info=info, group_description=group, is_checked=True
        )
        for code, text, group, info in chosen
    ]


def _one(
    r: random.Random, facts: CustomerFacts, contacts: Sequence[tuple[int, str]], earliest: int
) -> CustomerTransaction:
    """One transaction of the customer (its id and participants' ids are set later)."""
    u = r.random()
    kind = TYPE_CALL if u < 0.45 else (TYPE_MEETING if u < 0.7 else TYPE_TASK)
    day = between(r, earliest // DAY, REF_TS // DAY)
    hour = 8 + int(r.random() * 9)
    when = day * DAY + hour * 3600 + int(r.random() * 4) * 900
    person = SELLERS[int(r.random() * len(SELLERS))][0]
    subject = _SUBJECTS[kind][int(r.random() * len(_SUBJECTS[kind]))]
    contact = contacts[int(r.random() * len(contacts))] if contacts else None
    date = moment(when)
    appointment = None
    todo_person = todo_start = todo_end = todo_text = duration = hours = None
    invoice_bit = False
    priority = 2
    state = STATE_DONE
    participates: list[CustomerTransactionParticipate] = []
    if kind == TYPE_CALL:
        duration = 5 + int(r.random() * 26)
    elif kind == TYPE_MEETING:
        appointment = APPOINTMENT_TYPES[int(r.random() * 3)]
        duration = (30, 45, 60, 90, 120)[int(r.random() * 5)]
        hours = duration / 60
        todo_start, todo_end = date, date + timedelta(minutes=duration)
        invoice_bit = r.random() < 0.2
        if contact is not None:
            participates.append(
                CustomerTransactionParticipate(
                    participate_number=None,
                    participate_type=PARTICIPANT_CONTACT,
                    participate_contact_name=contact[1],
                    participate_customer_contact_id=contact[0],
                )
            )
        if r.random() < 0.4:
            colleague = SELLERS[int(r.random() * len(SELLERS))][0]
            if colleague != person:
                participates.append(
                    CustomerTransactionParticipate(
                        participate_number=colleague,
                        participate_type=PARTICIPANT_PERSON,
                        participate_contact_name=None,
                        participate_customer_contact_id=None,
                    )
                )
    else:
        todo_person = SELLERS[int(r.random() * len(SELLERS))][0]
        todo_start = date
        todo_end = date + timedelta(days=1 + int(r.random() * 14))
        todo_text = f"{subject}: {facts.name}"
        hours = (0.5, 1.0, 2.0, 4.0)[int(r.random() * 4)]
        priority = 1 + int(r.random() * 3)
        # A task still running at the reference date is open; some older ones were left open.
        if todo_end.timestamp() >= REF_TS or r.random() < 0.1:
            state = STATE_OPEN
    attributes = _attributes(r)
    return CustomerTransaction(
        id=None,
        subject=subject,
        todo_enddate=todo_end,
        todo_person_number=todo_person,
        person_number=person,
        todo_startdate=todo_start,
        header=f"{TRANSACTION_TYPES[kind]}: {subject}",
        appointment_type=appointment,
        type=kind,
        sec_type=None,
        date=date,
        person_name=person_name(person),
        customer_number=facts.number,
        customer_contact_id=contact[0] if contact is not None else None,
        todo_description=todo_text,
        duration=duration,
        project_number=None,
        project_phase_id=None,
        orderer_customer_number=None,
        invoice_bit=invoice_bit,
        hours=hours,
        invoiced_bit=invoice_bit and when < REF_TS - 30 * DAY,
        state=state,
        crm_type_attribute_id=attributes[0].code if attributes else None,
        priority=priority,
        attributes=attributes,
        participates=participates,
    )


def _order(transaction: CustomerTransaction) -> tuple[float, int]:
    """Date, then customer: the order ids are given in (a stable sort keeps draw order)."""
    date, number = transaction.date, transaction.customer_number
    assert isinstance(date, datetime) and isinstance(number, int)
    return date.timestamp(), number


def generate_transactions(
    seed: int, customers: Sequence[CustomerFacts]
) -> list[CustomerTransaction]:
    """Every generated transaction of these customers (a generated dataset's, in id order),
    complete, ordered and numbered by date."""
    r = random.Random(zigzag(seed) * 1_000_003 + 7)
    pools = value_pools()
    made: list[CustomerTransaction] = []
    for facts in customers:
        count = _COUNTS[int(r.random() * len(_COUNTS))]
        if not facts.is_customer:
            count //= 2  # suppliers and prospects are called less
        if not count:
            continue
        core = customer_core(seed, facts.id, len(customers), pools)
        contacts = [(c.id, f"{c.first} {c.last}") for c in core.contacts]
        assert facts.created is not None
        earliest = int(facts.created.timestamp()) + DAY
        if earliest >= REF_TS - DAY:
            continue
        made.extend(_one(r, facts, contacts, earliest) for _ in range(count))
    made.sort(key=_order)
    numbered: list[CustomerTransaction] = []
    for index, transaction in enumerate(made):
        transaction_id = index + 1
        participates = transaction.participates
        assert isinstance(participates, list)
        for position, participant in enumerate(participates):
            participant.id = (transaction_id - 1) * MAX_PARTICIPANTS + position + 1
        transaction.id = transaction_id
        numbered.append(transaction)
    return numbered
