"""A deterministic, realistic Finnish customer and sales-invoice register.

``generate(seed, customers, invoices)`` computes only the *facts* of every record (what the
filters read) and a few numbers per customer (open and due invoice sums, payment term, ...).
``Dataset.customer(id)`` / ``Dataset.invoice(id)`` build the full, complete record on demand.

How a record stays the same without being stored: a record's first draws make its *core*
(everything its facts and the other records need: name, address, contacts, amounts, ...);
``generate`` runs only the cores, ``customer(id)`` / ``invoice(id)`` run the same core again and
then draw the remaining fields. A customer has its own ``random.Random`` seeded from
(seed, customer, id) for its core and then its other fields. Invoice cores are drawn in blocks
of eight consecutive ids from one generator per block (seeding a Mersenne Twister costs about
as much as a whole invoice core), so ``invoice(id)`` replays at most seven earlier cores; an
invoice's other fields come from its own generator (seed, invoice detail, id). The only shared
state an invoice core reads is fixed before any invoice is made (customer creation times,
payment terms, first contact names).

One seed gives byte-identical data whatever compatible versions of Python (3.11 on) and of the
dependencies are installed: the value pools ship as data files (``pools``, built from Faker by
``scripts/build-pools``; Faker is not imported at run time), draws use only the Mersenne
Twister's ``random()`` and ``getrandbits`` (``draws``), money is integer cents, time whole
seconds, no ``hash()``, no set order, no locale. tests/test_digest.py pins seed 1's data.

The modules, each by one idea: ``timeline`` (the fixed five-year window), ``draws`` (record
generators and draw primitives), ``identifiers`` (check-digit codes), ``catalogues`` (fixed
tables), ``pools`` (shipped value pools), ``customers`` / ``customer_records`` (a customer's
core, then its full record), ``invoices`` / ``invoice_records`` (likewise for invoices) and
``dataset`` (``generate`` and ``Dataset``).
"""

from __future__ import annotations

from .catalogues import (
    CONTACT_ATTRIBUTES,
    CUSTOMER_ATTRIBUTES,
    CUSTOMER_NUMBER_BASE,
    INVOICE_NUMBER_BASE,
    INVOICE_TYPE_CASH,
    INVOICE_TYPE_CREDIT,
    INVOICE_TYPE_SALES,
)
from .dataset import Dataset, generate
from .identifiers import (
    finnish_iban,
    finnish_reference,
    reference_check_digit,
    rf_reference,
)
from .pools import ascii_fold, postal_codes
from .timeline import REFERENCE_DATE

__all__ = [
    "CONTACT_ATTRIBUTES",
    "CUSTOMER_ATTRIBUTES",
    "CUSTOMER_NUMBER_BASE",
    "INVOICE_NUMBER_BASE",
    "INVOICE_TYPE_CASH",
    "INVOICE_TYPE_CREDIT",
    "INVOICE_TYPE_SALES",
    "REFERENCE_DATE",
    "Dataset",
    "ascii_fold",
    "finnish_iban",
    "finnish_reference",
    "generate",
    "postal_codes",
    "reference_check_digit",
    "rf_reference",
]
