"""A deterministic, realistic Finnish customer and sales-invoice register.

``generate(seed, customers, invoices)`` computes only the *facts* of every record (what the
filters read) and a few numbers per customer (open and due invoice sums, payment term, ...).
``Dataset.customer(id)`` / ``Dataset.invoice(id)`` build the full, complete record on demand.

How a record stays the same without being stored: a record's first draws make its *core*
(everything its facts and the other records need: name, address, contacts, amounts, ...);
``generate`` runs only the cores, ``customer(id)`` / ``invoice(id)`` run the same core again and
then draw the remaining fields. So the facts reported by ``generate`` are, by construction, the
facts of the record built later. A customer has its own ``random.Random`` seeded from
(seed, customer, id) for its core and then its other fields. Invoice cores are drawn in blocks
of eight consecutive ids from one generator per block (seeding a Mersenne Twister costs about
as much as a whole invoice core), so ``invoice(id)`` replays at most seven earlier cores; an
invoice's other fields come from its own generator (seed, invoice detail, id). The only shared
state an invoice core reads is fixed before any invoice is made (customer creation times,
payment terms, first contact names).

Determinism across machines: only ``random.Random`` with integer seeds, integer arithmetic for
money (cents) and time (whole seconds), explicitly sorted pools, no ``hash()``, no set order.
Value pools come from Faker's ``fi_FI`` word lists (pinned Faker version), read once per
process directly from the providers' tables (Faker itself is never called per value).
"""

from __future__ import annotations

import random
import unicodedata
from array import array
from bisect import bisect_left
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Final, NamedTuple

from .facts import CustomerFacts, InvoiceFacts
from .models import (
    INT32_MAX,
    Customer,
    CustomerAccount,
    CustomerAgreement,
    CustomerAgreementProduct,
    CustomerAttribute,
    CustomerCirculation,
    CustomerContact,
    CustomerContactAttribute,
    CustomerDimension,
    CustomerText,
    Invoice,
    InvoicePayment,
    InvoiceRow,
    Link,
)

__all__ = ["REFERENCE_DATE", "Dataset", "generate"]

REFERENCE_DATE: Final = datetime(2025, 7, 1, tzinfo=UTC)
"""The dataset's fixed "today": every generated moment lies in the five years before it."""

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_START: Final = datetime(2020, 7, 2, tzinfo=UTC)  # first day of the five-year window
_DAYS: Final = (REFERENCE_DATE - _START).days  # 1825: day indexes 0.._DAYS-1 are in the past
_DAY: Final = 86_400
_START_TS: Final = int((_START - _EPOCH).total_seconds())
_REF_TS: Final = int((REFERENCE_DATE - _EPOCH).total_seconds())
_DAY_DATES: Final = tuple(_START + timedelta(days=d) for d in range(_DAYS + 800))

CUSTOMER_NUMBER_BASE: Final = 10_000  # customer number = 10000 + id
INVOICE_NUMBER_BASE: Final = 100_000  # invoice number = 100000 + id
_MAX_CONTACTS: Final = 4
_MAX_ROWS: Final = 10
_MAX_PAYMENTS: Final = 2
_MAX_ACCOUNTS: Final = 2

# VAT: today's Finnish rates on every invoice, old or new (25.5 % general, 14 % food and
# books, 10 % newspapers and periodicals, 0 % exempt), so that every row carries a rate a
# client must handle today; the dataset does not replay the 2024-2025 rate changes.


def _dt(ts: int) -> datetime:
    """A whole-second UTC date-time from seconds since the epoch."""
    return _EPOCH + timedelta(seconds=ts)


def _day(day: int) -> datetime:
    return _DAY_DATES[day] if 0 <= day < len(_DAY_DATES) else _START + timedelta(days=day)


# --- identifiers ------------------------------------------------------------------------------


def reference_check_digit(base: str) -> int:
    """The check digit of a Finnish reference number (weights 7, 3, 1 from the right)."""
    total = 0
    weights = (7, 3, 1)
    for i, c in enumerate(reversed(base)):
        total += weights[i % 3] * (ord(c) - 48)
    return -total % 10


# The 7-3-1 weights repeat every three digits: the weighted sum of a number is the sum of
# the weighted sums of its 3-digit blocks.
_REF_BLOCK_SUMS: Final = tuple(7 * (n % 10) + 3 * (n // 10 % 10) + n // 100 for n in range(1000))


def finnish_reference(base: int) -> str:
    """A Finnish reference number (viitenumero) built from ``base`` (at least 3 digits)."""
    total = 0
    n = base
    while n:
        n, block = divmod(n, 1000)
        total += _REF_BLOCK_SUMS[block]
    return f"{base}{-total % 10}"


def rf_reference(reference: str) -> str:
    """The ISO 11649 creditor reference (RF) carrying a Finnish reference number."""
    check = 98 - int(reference + "271500") % 97  # "RF" = 27 15, check digits 00
    return f"RF{check:02d}{reference}"


def _luhn_digit(digits: str) -> int:
    """The Luhn check digit for ``digits`` (as the Finnish account number uses)."""
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = ord(c) - 48
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return -total % 10


def finnish_iban(bban13: str) -> str:
    """A Finnish IBAN from the first 13 digits of the machine-format account number."""
    bban = bban13 + str(_luhn_digit(bban13))
    check = 98 - int(bban + "151800") % 97  # "FI" = 15 18, check digits 00
    return f"FI{check:02d}{bban}"


# Business ids: an id-to-code bijection, so that every customer of a dataset (up to 2.61 M)
# has a distinct, valid Y-tunnus in the issued range. The 6-digit prefix ranges over
# 050000..339999 and the last base digit is the k-th (k < 9) digit that gives a valid check
# digit (at most one digit of ten does not).
_YT_PREFIXES: Final = 290_000
_YT_SPACE: Final = _YT_PREFIXES * 9
_YT_MULTIPLIER: Final = 1_000_003  # coprime with _YT_SPACE = 2^4 * 3^2 * 5^4 * 29


_YT_HIGH: Final = tuple(7 * (n // 100) + 9 * (n // 10 % 10) + 10 * (n % 10) for n in range(1000))
_YT_LOW: Final = tuple(5 * (n // 100) + 8 * (n // 10 % 10) + 4 * (n % 10) for n in range(1000))


def _business_id(seed_key: int, customer_id: int) -> str:
    """The customer's Y-tunnus, ``1234567-8``."""
    j = (customer_id * _YT_MULTIPLIER + seed_key) % _YT_SPACE
    prefix = 50_000 + j // 9
    k = j % 9
    high, low = divmod(prefix, 1000)
    partial = _YT_HIGH[high] + _YT_LOW[low]
    for digit in range(10):
        remainder = (partial + 2 * digit) % 11
        if remainder == 1:
            continue
        if k == 0:
            return f"{prefix:06d}{digit}-{0 if remainder == 0 else 11 - remainder}"
        k -= 1
    raise AssertionError("unreachable: nine of ten digits give a valid check digit")


# --- static catalogues --------------------------------------------------------------------------


class _Bank(NamedTuple):
    prefix: str  # leading digits of the account number
    bic: str
    name: str
    weight: int


_BANKS: Final = (
    _Bank("5", "OKOYFIHH", "OP Osuuskunta", 36),
    _Bank("1", "NDEAFIHH", "Nordea Bank Oyj", 16),
    _Bank("2", "NDEAFIHH", "Nordea Bank Oyj", 14),
    _Bank("8", "DABAFIHH", "Danske Bank A/S, Suomen sivuliike", 12),
    _Bank("405", "HELSFIHH", "Aktia Pankki Oyj", 7),
    _Bank("36", "SBANFIHH", "S-Pankki Oyj", 6),
    _Bank("31", "HANDFIHH", "Handelsbanken, Suomen sivuliike", 6),
    _Bank("6", "AABAFI22", "Ålandsbanken Abp", 3),
)
# Customer attribute catalogue (id, name); 2/3/4 mirror the invoicing method.
CUSTOMER_ATTRIBUTES: Final = (
    (1, "Avainasiakas"),
    (2, "Verkkolaskutus"),
    (3, "Sähköpostilaskutus"),
    (4, "Paperilasku"),
    (5, "Uutiskirje"),
    (6, "Jälleenmyyjä"),
    (7, "Julkinen sektori"),
    (8, "Luottotiedot tarkistettu"),
    (9, "Vientiasiakas"),
    (10, "Huoltosopimusasiakas"),
)
_ATTR_NAMES: Final = dict(CUSTOMER_ATTRIBUTES)
CONTACT_ATTRIBUTES: Final = (
    (1, "Päätöksentekijä"),
    (2, "Laskutusyhteyshenkilö"),
    (3, "Tekninen yhteyshenkilö"),
    (4, "Uutiskirjeen tilaaja"),
)

_INVOICE_METHODS: Final = {1: "Paperilasku", 2: "Sähköpostilasku", 3: "Verkkolasku"}
_TERMS: Final = (14, 21, 30, 45, 60)
_TERM_WEIGHTS: Final = (30, 15, 40, 8, 7)

# (trade word in company names, TOL 2008 code, TOL name)
_TRADES: Final = (
    ("Rakennus", 41200, "Asuin- ja muiden rakennusten rakentaminen"),
    ("Sähkö", 43210, "Sähköasennus"),
    ("LVI", 43220, "Lämpö-, vesijohto- ja ilmastointiasennus"),
    ("Putki", 43220, "Lämpö-, vesijohto- ja ilmastointiasennus"),
    ("Maalaus", 43341, "Maalaus"),
    ("Kuljetus", 49410, "Tieliikenteen tavarankuljetus"),
    ("Logistiikka", 49410, "Tieliikenteen tavarankuljetus"),
    ("Ohjelmisto", 62010, "Ohjelmistojen suunnittelu ja valmistus"),
    ("Data", 62020, "Atk-laitteisto- ja ohjelmistokonsultointi"),
    ("Tilitoimisto", 69201, "Kirjanpito ja tilinpäätöksen laadinta"),
    ("Ravintola", 56101, "Ravintolat"),
    ("Siivous", 81210, "Kiinteistöjen siivous"),
    ("Arkkitehtitoimisto", 71110, "Arkkitehtipalvelut"),
    ("Mainostoimisto", 73110, "Mainostoimistot"),
    ("Auto", 45200, "Moottoriajoneuvojen huolto ja korjaus (pl. moottoripyörät)"),
    ("Konepaja", 25620, "Metallien työstö"),
    ("Metalli", 25620, "Metallien työstö"),
    ("Isännöinti", 68320, "Kiinteistöjen isännöinti"),
    ("Konsultointi", 70220, "Muu liikkeenjohdon konsultointi"),
    ("Lakiasiaintoimisto", 69101, "Asianajotoimistot"),
)
_REGIONS: Final = (
    "Pohjolan",
    "Hämeen",
    "Savon",
    "Karjalan",
    "Lapin",
    "Kainuun",
    "Pirkanmaan",
    "Uudenmaan",
    "Satakunnan",
    "Pohjanmaan",
    "Keski-Suomen",
    "Etelä-Suomen",
    "Länsi-Suomen",
    "Itä-Suomen",
    "Pohjois-Suomen",
    "Suomen",
    "Järvi-Suomen",
    "Saariston",
    "Kymen",
    "Helsingin",
    "Espoon",
    "Vantaan",
    "Tampereen",
    "Turun",
    "Oulun",
    "Jyväskylän",
    "Kuopion",
    "Lahden",
    "Porin",
    "Joensuun",
    "Vaasan",
    "Rovaniemen",
    "Kotkan",
    "Mikkelin",
    "Lappeenrannan",
    "Seinäjoen",
)
_COINED: Final = (
    "Nordic",
    "Arctic",
    "Polar",
    "Aurora",
    "Boreal",
    "Sisu",
    "Revontuli",
    "Kaleva",
    "Tapio",
    "Ahti",
    "Lumo",
    "Kide",
    "Routa",
    "Vire",
    "Aalto",
    "Kajo",
    "Lumi",
    "Taiga",
)
_COINED_TAILS: Final = (
    "Solutions",
    "Consulting",
    "Tech",
    "Systems",
    "Group",
    "Partners",
    "Logistics",
    "Design",
    "Engineering",
    "Services",
    "Works",
    "Digital",
)
_TITLES: Final = (
    "Toimitusjohtaja",
    "Talousjohtaja",
    "Talouspäällikkö",
    "Kirjanpitäjä",
    "Ostopäällikkö",
    "Myyntipäällikkö",
    "Hankintapäällikkö",
    "Projektipäällikkö",
    "Työnjohtaja",
    "Asiakkuuspäällikkö",
    "Tuotantopäällikkö",
    "Huoltopäällikkö",
    "IT-päällikkö",
    "Toimistopäällikkö",
    "Palkanlaskija",
    "Laskuttaja",
    "Myyntisihteeri",
    "Johdon assistentti",
    "Yrittäjä",
    "Kiinteistöpäällikkö",
    "Varastopäällikkö",
    "Logistiikkapäällikkö",
    "Henkilöstöpäällikkö",
    "Ostaja",
)
_DEPARTMENTS: Final = (
    "Talous",
    "Hallinto",
    "Osto",
    "Myynti",
    "Tuotanto",
    "Huolto",
    "IT",
    "Logistiikka",
    "Johto",
)
_EMAIL_LOCALS: Final = (
    ("info", 40),
    ("toimisto", 12),
    ("laskutus", 15),
    ("myynti", 10),
    ("asiakaspalvelu", 8),
    ("tilaukset", 5),
    ("posti", 5),
    ("kirjanpito", 5),
)
_NAME2: Final = ("Talousosasto", "Ostoreskontra", "Hallinto", "Kirjanpito", "Ostolaskut")
_CUSTOMER_TEXTS: Final = (
    (1, "Toimitukset arkisin klo 8-16, lastauslaituri B."),
    (1, "Tavarat vastaanottaa varastopäällikkö, soita saapuessa."),
    (1, "Ovikoodi toimitetaan erikseen. Ei toimituksia perjantaisin."),
    (2, "Laskuihin aina tilausnumero ja tilaajan nimi."),
    (2, "Kuukausilaskutus, ei erillisiä laskuja alle 50 euron toimituksista."),
    (2, "Laskut verkkolaskuna, paperilasku vain sopimuksesta."),
    (3, "Asiakas toivoo yhteydenottoa sähköpostitse."),
    (3, "Hinnat tarkistetaan vuosittain tammikuussa."),
    (3, "Luottoraja tarkistettu, maksuhistoria hyvä."),
)
_CONTACT_NOTES: Final = (
    "Tavoitettavissa parhaiten aamupäivisin.",
    "Hoitaa myös tilaukset.",
    "Lomalla heinäkuussa.",
    "Hyväksyy laskut yli 5000 euroa.",
)
# Our own staff (the ERP's users): (person number, name)
_SELLERS: Final = (
    (101, "Mikko Laaksonen"),
    (102, "Anna Heikkilä"),
    (103, "Jari Nieminen"),
    (104, "Sanna Lehtonen"),
    (105, "Timo Kallio"),
    (106, "Laura Salminen"),
    (107, "Petri Mäkelä"),
    (108, "Katja Rantanen"),
)
_MONTHS: Final = (
    "tammikuu",
    "helmikuu",
    "maaliskuu",
    "huhtikuu",
    "toukokuu",
    "kesäkuu",
    "heinäkuu",
    "elokuu",
    "syyskuu",
    "lokakuu",
    "marraskuu",
    "joulukuu",
)

# VAT classes: general, food and restaurant (14), books (10 -> 14), periodicals (10), exempt.
_VAT_GENERAL, _VAT_FOOD, _VAT_BOOKS, _VAT_PERIODICALS, _VAT_EXEMPT = range(5)


class _Product(NamedTuple):
    code: str
    name: str
    unit: str
    price: int  # list price, cents, VAT included
    quantity: str  # quantity kind, see _quantity
    vat: int
    goods: bool
    weight: float  # kg per unit, goods only


_PRODUCTS: Final = (
    _Product("ASE-01", "Asennustyö", "h", 7900, "h", _VAT_GENERAL, False, 0.0),
    _Product("HUO-01", "Huoltotyö", "h", 8400, "h", _VAT_GENERAL, False, 0.0),
    _Product("KON-01", "Konsultointi", "h", 12900, "h", _VAT_GENERAL, False, 0.0),
    _Product("SUU-01", "Suunnittelutyö", "h", 10500, "h", _VAT_GENERAL, False, 0.0),
    _Product("PRO-01", "Projektinhallinta", "h", 11200, "h", _VAT_GENERAL, False, 0.0),
    _Product("KOU-01", "Koulutus", "h", 14900, "h", _VAT_GENERAL, False, 0.0),
    _Product("TUK-01", "Käyttötuki", "kk", 14900, "kk", _VAT_GENERAL, False, 0.0),
    _Product("YLL-01", "Ylläpitosopimus", "kk", 29900, "kk", _VAT_GENERAL, False, 0.0),
    _Product(
        "LIS-01", "Ohjelmistolisenssi, käyttäjä", "kpl", 4900, "users", _VAT_GENERAL, False, 0.0
    ),
    _Product("PIL-01", "Pilvipalvelu", "kk", 8900, "kk", _VAT_GENERAL, False, 0.0),
    _Product("MAT-01", "Matkakulut", "km", 59, "km", _VAT_GENERAL, False, 0.0),
    _Product("MAT-02", "Matka-aika", "h", 4500, "h", _VAT_GENERAL, False, 0.0),
    _Product("TOI-01", "Toimitusmaksu", "erä", 1490, "one", _VAT_GENERAL, False, 0.0),
    _Product("LAS-01", "Laskutuslisä", "kpl", 500, "one", _VAT_GENERAL, False, 0.0),
    _Product("SII-01", "Siivouspalvelu", "h", 4200, "h", _VAT_GENERAL, False, 0.0),
    _Product("KAA-06", "Verkkokaapeli Cat6", "m", 190, "m", _VAT_GENERAL, True, 0.04),
    _Product("KYT-24", "Verkkokytkin 24-porttinen", "kpl", 28900, "few", _VAT_GENERAL, True, 2.6),
    _Product("NAY-27", 'Näyttö 27"', "kpl", 27900, "few", _VAT_GENERAL, True, 6.1),
    _Product("TIE-14", 'Kannettava tietokone 14"', "kpl", 129900, "few", _VAT_GENERAL, True, 1.4),
    _Product("HII-01", "Langaton hiiri", "kpl", 2990, "some", _VAT_GENERAL, True, 0.1),
    _Product("NAP-01", "Näppäimistö", "kpl", 5490, "some", _VAT_GENERAL, True, 0.7),
    _Product(
        "PAP-A4", "Tulostuspaperi A4, 500 arkkia", "pkt", 690, "packs", _VAT_GENERAL, True, 2.5
    ),
    _Product("SUO-01", "Ilmanvaihdon suodatin", "kpl", 2490, "some", _VAT_GENERAL, True, 0.4),
    _Product("LED-01", "LED-valaisin", "kpl", 7990, "some", _VAT_GENERAL, True, 1.2),
    _Product("MMJ-325", "Sähköjohto MMJ 3x2,5S", "m", 165, "m", _VAT_GENERAL, True, 0.15),
    _Product("RUU-440", "Ruuvi 4,2x40, 200 kpl", "pkt", 1190, "packs", _VAT_GENERAL, True, 0.6),
    _Product("MAA-09", "Sisämaali, 9 l", "kpl", 7990, "few", _VAT_GENERAL, True, 11.0),
    _Product("KAH-05", "Kahvi, 500 g", "pkt", 890, "packs", _VAT_FOOD, True, 0.5),
    _Product("LOU-01", "Lounas", "hlö", 1390, "people", _VAT_FOOD, False, 0.0),
    _Product("KOK-01", "Kokoustarjoilu", "hlö", 1590, "people", _VAT_FOOD, False, 0.0),
    _Product("KIR-01", "Kirja: Kirjanpito käytännössä", "kpl", 5400, "few", _VAT_BOOKS, True, 0.8),
    _Product(
        "LEH-01", "Ammattilehden vuositilaus", "kpl", 14900, "one", _VAT_PERIODICALS, False, 0.0
    ),
    _Product("VUO-01", "Toimitilavuokra", "kk", 125000, "kk", _VAT_EXEMPT, False, 0.0),
    _Product("JAS-01", "Jäsenmaksu", "kpl", 15000, "one", _VAT_EXEMPT, False, 0.0),
)
_SERVICE_PRODUCTS: Final = tuple(i for i, p in enumerate(_PRODUCTS) if p.unit in ("h", "kk"))

_DESCRIPTIONS: Final = (
    "Huoltotyöt",
    "Asennustyöt",
    "Konsultointipalvelut",
    "Kuukausilaskutus",
    "Ylläpito ja tuki",
    "Tarvikkeet ja asennus",
    "Laitetoimitus",
    "Projektilaskutus",
    "Tilaustoimitus",
    "Palvelumaksut",
    "Koulutuspalvelut",
    "Sopimuslaskutus",
)
_INVOICE_NOTES: Final = (
    "Kiitos tilauksestanne!",
    "Huomautukset 7 päivän kuluessa laskun päiväyksestä.",
    "Viivästyskorko korkolain mukaan.",
    "Toimitus osatoimituksena.",
)

# Invoice types (small ints): 1 sales invoice, 2 credit note, 3 cash invoice.
INVOICE_TYPE_SALES, INVOICE_TYPE_CREDIT, INVOICE_TYPE_CASH = 1, 2, 3
# Rows per invoice 1..10, per hundred invoices: mean 3.14.
_ROW_COUNTS: Final = tuple(
    n
    for n, weight in zip(range(1, 11), (30, 22, 15, 10, 7, 5, 4, 3, 2, 2), strict=True)
    for _ in range(weight)
)
_DISCOUNTS: Final = (0,) * 80 + (5,) * 10 + (10,) * 7 + (15,) * 3


def _weighted(pairs: tuple[tuple[str, int], ...] | list[tuple[str, int]]) -> tuple[str, ...]:
    return tuple(value for value, weight in pairs for _ in range(weight))


def _weighted_ints(values: tuple[int, ...], weights: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(v for v, w in zip(values, weights, strict=True) for _ in range(w))


_TERM_TABLE: Final = _weighted_ints(_TERMS, _TERM_WEIGHTS)
_BANK_TABLE: Final = tuple(b for b in _BANKS for _ in range(b.weight))
_EMAIL_LOCAL_TABLE: Final = _weighted(_EMAIL_LOCALS)
_MOBILE_PREFIXES: Final = ("40", "40", "40", "50", "50", "44", "44", "45", "41", "46")


# --- pools (built once per process) -------------------------------------------------------------


class _Postal(NamedTuple):
    code: str
    city: str
    area: str  # landline area code, "" when unknown


class _Pools(NamedTuple):
    first_male: tuple[str, ...]
    first_female: tuple[str, ...]
    last: tuple[str, ...]
    last_nen: tuple[str, ...]  # -nen surnames (they have a simple genitive)
    streets: tuple[str, ...]
    postal: tuple[_Postal, ...]


_DATA_DIR: Final = Path(__file__).with_name("data")


def _expand(weights: dict[str, float], scale: int) -> tuple[str, ...]:
    """A list in which each name occurs in proportion to its weight (at least once)."""
    out: list[str] = []
    for name in sorted(weights):
        out.extend([name] * max(1, round(weights[name] * scale)))
    return tuple(out)


@cache
def _pools() -> _Pools:
    # Faker's fi_FI tables (Finnish population register frequencies, Helsinki street names);
    # read directly: the Faker version is pinned, so the pools are identical everywhere.
    from faker.providers.address.fi_FI import Provider as Address
    from faker.providers.person.fi_FI import Provider as Person

    last_weights = {str(k): float(v) for k, v in Person.last_names.items()}
    streets: set[str] = set()
    suffixes = ("tie", "tie", "katu", "katu", "kuja", "polku")
    for prefix in Address.street_prefixes:
        if prefix.endswith(" "):
            streets.add(prefix + "katu")
        else:
            for suffix in suffixes:
                streets.add(prefix + suffix)
    postal: list[_Postal] = []
    with (_DATA_DIR / "postal_codes.tsv").open(encoding="utf-8") as table:
        for line in table:
            if line.startswith("#") or not line.strip():
                continue
            code, city, area = line.rstrip("\n").split("\t")
            postal.append(_Postal(code, city, area))
    postal.sort()
    last = _expand(last_weights, 20_000)
    return _Pools(
        first_male=_expand({str(k): float(v) for k, v in Person.first_names_male.items()}, 8_000),
        first_female=_expand(
            {str(k): float(v) for k, v in Person.first_names_female.items()}, 8_000
        ),
        last=last,
        last_nen=tuple(name for name in last if name.endswith("nen")),
        streets=tuple(sorted(streets)),
        postal=tuple(postal),
    )


def postal_codes() -> tuple[tuple[str, str], ...]:
    """The shipped (postal code, post-office city) table."""
    return tuple((p.code, p.city) for p in _pools().postal)


_FOLD: Final = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "&": "", "'": ""})


def ascii_fold(text: str) -> str:
    """Lower-case ASCII letters, digits and hyphens: ``Pohjolan Sähkö`` -> ``pohjolansahko``."""
    folded = unicodedata.normalize("NFKD", text.lower().translate(_FOLD))
    return "".join(c for c in folded if c.isascii() and (c.isalnum() or c == "-")).strip("-")


_folded: dict[str, str] = {}


def _fold(part: str) -> str:
    """``ascii_fold`` of a pool value (a name, a word), memoized: pools are finite."""
    folded = _folded.get(part)
    if folded is None:
        folded = _folded[part] = ascii_fold(part)
    return folded


# --- per-record generators ----------------------------------------------------------------------


def _zigzag(seed: int) -> int:
    return seed * 2 if seed >= 0 else -seed * 2 - 1


def _record_rng(seed: int, kind: int, record_id: int) -> random.Random:
    """The record's own generator: distinct (seed, kind, id) give distinct MT states."""
    return random.Random((((_zigzag(seed) << 2) | kind) << 32) | record_id)


_KIND_CUSTOMER, _KIND_INVOICE, _KIND_INVOICE_DETAIL = 0, 1, 2
# Invoice cores are drawn in blocks of consecutive ids from one generator (seeding a Mersenne
# Twister costs more than a whole core); an invoice's remaining fields have their own generator.
_INVOICE_BLOCK: Final = 8


def _mobile(r: random.Random, international: bool) -> str:
    prefix = _MOBILE_PREFIXES[int(r.random() * 10)]
    n = r.randrange(1_000_000, 10_000_000)
    s = str(n)
    if international:
        return f"+358 {prefix} {s[:3]} {s[3:]}"
    return f"0{prefix} {s[:3]} {s[3:]}"


def _landline(r: random.Random, area: str) -> str:
    s = str(r.randrange(2_000_000, 9_000_000))
    if len(area) == 2:
        return f"{area} {s[:4]} {s[4:]}" if r.random() < 0.5 else f"{area} {s[:3]} {s[3:]}"
    return f"{area} {s[1:4]} {s[4:]}"


class _Contact(NamedTuple):
    id: int
    first: str
    last: str
    email: str | None
    gsm: str


class _CustomerCore(NamedTuple):
    rng: random.Random
    facts: CustomerFacts
    business_id: str
    street: str
    street2: str | None
    postal: _Postal
    domain: str
    language: str
    term: int
    invoice_method: int
    trade: int  # index in _TRADES, -1 when the name says nothing of the trade
    attributes: tuple[tuple[int, bool], ...]
    contacts: tuple[_Contact, ...]
    is_prospect: bool
    sole_trader: bool  # a Tmi: its first contact is the owner


def _customer_created(customer_id: int, customers: int, r: random.Random) -> int:
    """Creation second: the first 30 % came in a migration batch on the first morning, the
    rest were created later in id order (ids are allocated in time order)."""
    migrated = max(1, customers * 3 // 10)
    if customer_id <= migrated:
        return _START_TS + 8 * 3600 + (customer_id - 1)
    start = max(_START_TS + 2 * _DAY, _START_TS + 8 * 3600 + migrated + 3600)
    span = _REF_TS - _DAY - start
    later = customers - migrated
    step = span // later
    return start + (customer_id - migrated - 1) * span // later + int(r.random() * step)


def _company_name(r: random.Random, pools: _Pools, swedish: bool) -> tuple[str, str, int, str]:
    """(name, name without legal form, trade index or -1, domain label)."""
    u = r.random()
    v = r.random()
    if swedish and v < 0.5:
        suffix = "Ab"
    else:
        suffix = "Oy" if v < 0.86 else ("Ky" if v < 0.995 else "Oyj")
    last = pools.last[int(r.random() * len(pools.last))]
    trade = int(r.random() * len(_TRADES))
    word = _TRADES[trade][0]
    if u < 0.20:
        return f"{last} {suffix}", last, -1, _fold(last)
    if u < 0.38:
        return f"{word} {last} {suffix}", f"{word} {last}", trade, _fold(word) + _fold(last)
    if u < 0.56:
        region = _REGIONS[int(r.random() * len(_REGIONS))]
        return f"{region} {word} {suffix}", f"{region} {word}", trade, _fold(region) + _fold(word)
    if u < 0.66:
        nen = pools.last_nen[int(r.random() * len(pools.last_nen))]
        genitive = f"{nen[:-3]}sen"
        return (
            f"{genitive} {word} {suffix}",
            f"{genitive} {word}",
            trade,
            _fold(genitive) + _fold(word),
        )
    if u < 0.72:
        other = pools.last[int(r.random() * len(pools.last))]
        suffix = "Ky" if v < 0.6 else suffix
        return f"{last} & {other} {suffix}", f"{last} & {other}", -1, _fold(last) + _fold(other)
    if u < 0.78 and len(word) <= 8:
        return f"{word}-{last} {suffix}", f"{word}-{last}", trade, f"{_fold(word)}-{_fold(last)}"
    if u < 0.78:
        return f"{word} {last} {suffix}", f"{word} {last}", trade, _fold(word) + _fold(last)
    if u < 0.90:
        head = _COINED[int(r.random() * len(_COINED))]
        tail = _COINED_TAILS[int(r.random() * len(_COINED_TAILS))]
        return f"{head} {tail} {suffix}", f"{head} {tail}", -1, _fold(head) + _fold(tail)
    first_pool = pools.first_male if r.random() < 0.55 else pools.first_female
    first = first_pool[int(r.random() * len(first_pool))]
    return f"Tmi {first} {last}", f"{first} {last}", -1, _fold(first) + _fold(last)


def _owner(name: str) -> tuple[str, str] | None:
    """The owner's (first, last) name of a sole trader (``Tmi Etunimi Sukunimi``)."""
    if not name.startswith("Tmi "):
        return None
    first, _, last = name[4:].partition(" ")
    return first, last


def _customer_core(seed: int, customer_id: int, customers: int, pools: _Pools) -> _CustomerCore:
    """The customer's first draws: everything its facts and its invoices need."""
    rng = _record_rng(seed, _KIND_CUSTOMER, customer_id)
    r = rng.random
    created = _customer_created(customer_id, customers, rng)
    modified = created if r() < 0.3 else created + int((_REF_TS - 1 - created) * r())
    lang_u = r()
    language = "fi" if lang_u < 0.88 else ("sv" if lang_u < 0.97 else "en")
    name, base, trade, label = _company_name(rng, pools, language == "sv")
    domain = label + ".fi"
    business_id = _business_id(_zigzag(seed) * 7_919, customer_id)
    vat = "FI" + business_id.replace("-", "")
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
    phone_u = r()
    if phone_u < 0.05:
        phone = None
    elif phone_u < 0.60 and postal.area:
        phone = _landline(rng, postal.area)
    else:
        phone = _mobile(rng, r() < 0.4)
    email_u = r()
    email = None if email_u < 0.12 else f"{_EMAIL_LOCAL_TABLE[int(r() * 100)]}@{domain}"
    kind_u = r()
    is_customer, is_supplier = (
        (True, False)
        if kind_u < 0.80 or customer_id == 1
        else (False, True)
        if kind_u < 0.88
        else (True, True)
        if kind_u < 0.95
        else (False, False)
    )
    group_u = r()
    group = None if group_u < 0.04 else 1 + int(6 * r() * r())
    ctype = 1 if r() < 0.75 else (2 if r() < 0.7 else 3)
    method_u = r()
    invoice_method = 3 if method_u < 0.55 else (2 if method_u < 0.85 and email else 1)
    term = _TERM_TABLE[int(r() * len(_TERM_TABLE))]
    # Attributes: the invoicing method's (selected) and a few others, selected or not.
    attributes: list[tuple[int, bool]] = [({3: 2, 2: 3, 1: 4}[invoice_method], True)]
    for attr_id in (1, 5, 6, 7, 8, 9, 10):
        u = r()
        if u < 0.35:
            attributes.append((attr_id, u < 0.15))
    attributes.sort()
    # Contacts (0-4), with e-mails at the company's domain.
    n_contacts = (0, 1, 1, 1, 2, 2, 2, 3, 3, 4)[int(r() * 10)]
    owner = _owner(name)
    if owner is not None:
        n_contacts = max(1, min(2, n_contacts))  # the owner, perhaps a bookkeeper
    contacts: list[_Contact] = []
    seen: list[str] = []
    for k in range(n_contacts):
        first_pool = pools.first_male if r() < 0.52 else pools.first_female
        first = first_pool[int(r() * len(first_pool))]
        last = pools.last[int(r() * len(pools.last))]
        if k == 0 and owner is not None:
            first, last = owner
        contact_email: str | None = None
        if r() >= 0.1:
            local = f"{_fold(first)}.{_fold(last)}"
            if local in seen:
                local += str(k + 1)
            seen.append(local)
            contact_email = f"{local}@{domain}"
        gsm = _mobile(rng, r() < 0.3)
        contacts.append(
            _Contact((customer_id - 1) * _MAX_CONTACTS + k + 1, first, last, contact_email, gsm)
        )
    facts = CustomerFacts(
        id=customer_id,
        number=CUSTOMER_NUMBER_BASE + customer_id,
        name=name,
        name2=_NAME2[int(r() * len(_NAME2))] if r() < 0.08 else None,
        searchname=base.upper()[:30],
        email=email,
        phone=phone,
        vat=vat,
        city=postal.city,
        group=group,
        type=ctype,
        is_customer=is_customer,
        is_supplier=is_supplier,
        created=_dt(created),
        modified=_dt(modified),
        attribute_ids=tuple(a for a, selected in attributes if selected),
        contact_emails=tuple(c.email for c in contacts if c.email is not None),
    )
    return _CustomerCore(
        rng=rng,
        facts=facts,
        business_id=business_id,
        street=street,
        street2=street2,
        postal=postal,
        domain=domain,
        language=language,
        term=term,
        invoice_method=invoice_method,
        trade=trade,
        attributes=tuple(attributes),
        contacts=tuple(contacts),
        is_prospect=not is_customer and not is_supplier,
        sole_trader=owner is not None,
    )


class _Row(NamedTuple):
    product: int
    quantity: int  # hundredths
    price: int  # cents
    discount: int  # percent
    total: int  # cents
    vat10: int  # VAT rate in tenths of a percent


class _Payment(NamedTuple):
    day: int
    amount: int  # cents


class _InvoiceCore(NamedTuple):
    facts: InvoiceFacts
    customer: int  # customer index (id - 1)
    delivery: int
    orderer: int
    day: int
    term: int
    due_day: int
    total: int  # cents
    paid: int  # cents
    rows: tuple[_Row, ...]
    payments: tuple[_Payment, ...]
    seller: int
    reminders: int
    reminder_day: int
    customer_order: str | None


def _quantity(kind: str, r: random.Random) -> int:
    """A quantity in hundredths for the product's quantity kind."""
    u = r.random()
    if kind == "h":
        return 50 * (1 + int(16 * u * u))  # 0.5 .. 8 hours, mostly short
    if kind == "kk":
        return 100 if u < 0.8 else (300 if u < 0.95 else 1200)
    if kind == "km":
        return 100 * (10 + int(390 * u * u))
    if kind == "m":
        return 100 * (5 + int(195 * u * u))
    if kind == "few":
        return 100 * (1 + int(4 * u * u))
    if kind == "some":
        return 100 * (1 + int(12 * u * u))
    if kind == "packs":
        return 100 * (1 + int(20 * u * u))
    if kind == "people":
        return 100 * (4 + int(30 * u))
    if kind == "users":
        return 100 * (1 + int(25 * u * u))
    return 100


def _vat10(vat_class: int, day: int) -> int:
    if vat_class == _VAT_GENERAL:
        return 255
    if vat_class in (_VAT_FOOD, _VAT_BOOKS):
        return 140
    if vat_class == _VAT_PERIODICALS:
        return 100
    return 0


def _div_round(n: int, d: int) -> int:
    """n / d rounded half away from zero (d > 0)."""
    q, rem = divmod(abs(n), d)
    if 2 * rem >= d:
        q += 1
    return q if n >= 0 else -q


# --- the dataset --------------------------------------------------------------------------------


class Dataset:
    """A generated register: facts of every record, full records on demand."""

    __slots__ = (
        "_contact_names",
        "_created",
        "_due",
        "_is_customer",
        "_open",
        "_pools",
        "_terms",
        "customers",
        "invoices",
        "next_account_id",
        "reference_date",
        "seed",
    )

    def __init__(self, seed: int, customers: int, invoices: int) -> None:
        if customers < 0 or invoices < 0:
            raise ValueError("customers and invoices must not be negative")
        if customers == 0 and invoices > 0:
            raise ValueError("invoices need at least one customer")
        if customers > (INT32_MAX - CUSTOMER_NUMBER_BASE) // _MAX_CONTACTS:
            raise ValueError("too many customers for int32 identifiers")
        if invoices > (INT32_MAX - INVOICE_NUMBER_BASE) // _MAX_ROWS:
            raise ValueError("too many invoices for int32 identifiers")
        self.seed = seed
        self.reference_date = REFERENCE_DATE
        # Account ids are global, (customer id - 1) * 2 + 1.. : the next free one for writes.
        self.next_account_id = customers * _MAX_ACCOUNTS + 1
        self._pools = _pools()
        self.customers: list[CustomerFacts] = []
        self.invoices: list[InvoiceFacts] = []
        self._created = array("q")  # customer creation second, ascending with id
        self._is_customer = bytearray()
        self._terms = bytearray()
        self._contact_names: list[str | None] = []
        self._open = array("q", bytes(8 * customers))  # cents
        self._due = array("q", bytes(8 * customers))
        pools = self._pools
        for customer_id in range(1, customers + 1):
            core = _customer_core(seed, customer_id, customers, pools)
            facts = core.facts
            self.customers.append(facts)
            assert facts.created is not None
            self._created.append(int((facts.created - _EPOCH).total_seconds()))
            self._is_customer.append(1 if facts.is_customer else 0)
            self._terms.append(core.term)
            first = core.contacts[0] if core.contacts else None
            self._contact_names.append(f"{first.first} {first.last}" if first else None)
        open_cents, due_cents = self._open, self._due
        append = self.invoices.append
        rng = random.Random()
        for invoice_id in range(1, invoices + 1):
            if (invoice_id - 1) % _INVOICE_BLOCK == 0:
                rng = _record_rng(seed, _KIND_INVOICE, (invoice_id - 1) // _INVOICE_BLOCK)
            inv = self._invoice_core(invoice_id, invoices, rng)
            append(inv.facts)
            remaining = inv.total - inv.paid
            if remaining:
                open_cents[inv.customer] += remaining
                if inv.due_day < _DAYS:
                    due_cents[inv.customer] += remaining

    # -- invoices --------------------------------------------------------------------------------

    def _invoice_core(self, invoice_id: int, invoices: int, rng: random.Random) -> _InvoiceCore:
        """The invoice's core: its facts, rows and payments, drawn from its block's generator."""
        r = rng.random
        day = 2 + (invoice_id - 1) * (_DAYS - 2) // invoices  # ids are allocated in time order
        eligible = bisect_left(self._created, _START_TS + day * _DAY)  # created before the date
        is_customer = self._is_customer
        customer = 0
        for _ in range(16):
            x = r()  # skewed toward long-standing customers
            candidate = int(eligible * x * (0.3 + 0.7 * x))
            if is_customer[candidate]:
                customer = candidate
                break
        delivery = customer if r() < 0.88 else int(eligible * r())
        orderer = customer if r() < 0.92 else int(eligible * r())
        type_u = r()
        itype = (
            INVOICE_TYPE_CREDIT
            if type_u < 0.03
            else INVOICE_TYPE_CASH
            if type_u < 0.07
            else INVOICE_TYPE_SALES
        )
        if itype == INVOICE_TYPE_CASH:
            term = 0
        elif r() < 0.9:
            term = self._terms[customer]
        else:
            term = _TERM_TABLE[int(r() * len(_TERM_TABLE))]
        due_day = day + term
        # Rows: distinct products, prices VAT included, totals in cents.
        n_rows = _ROW_COUNTS[int(r() * 100)]
        rows: list[_Row] = []
        used: list[int] = []
        total = 0
        sign = -1 if itype == INVOICE_TYPE_CREDIT else 1
        for _ in range(n_rows):
            p = int(r() * len(_PRODUCTS))
            while p in used:
                p = (p + 1) % len(_PRODUCTS)
            used.append(p)
            product = _PRODUCTS[p]
            quantity = sign * _quantity(product.quantity, rng)
            price = product.price
            if r() < 0.25:  # a negotiated price, to ten cents
                price = max(10, (price * (85 + int(r() * 25)) // 100) // 10 * 10)
            discount = _DISCOUNTS[int(r() * 100)]
            row_total = _div_round(quantity * price * (100 - discount), 10_000)
            total += row_total
            rows.append(_Row(p, quantity, price, discount, row_total, _vat10(product.vat, day)))
        # Payments (cents): who pays, when.
        payments: list[_Payment] = []
        if itype != INVOICE_TYPE_SALES:
            payments.append(_Payment(day, total))  # paid in cash / credit note settled
        else:
            pay_u = r()
            if pay_u < 0.70:
                pay_day = due_day - 5 + int(r() * 16)
            elif pay_u < 0.82:
                pay_day = due_day + 11 + int(r() * 80)
            elif pay_u < 0.95:
                pay_day = day + int(r() * (term + 1))
            else:
                pay_day = _DAYS  # never paid
            pay_day = max(pay_day, day)
            if r() < 0.05 and total >= 200:  # paid in two instalments
                first = total // 2 // 100 * 100
                if pay_day < _DAYS:
                    payments.append(_Payment(pay_day, first))
                    second_day = pay_day + 14 + int(r() * 45)
                    if second_day < _DAYS:
                        payments.append(_Payment(second_day, total - first))
            elif pay_day < _DAYS:
                payments.append(_Payment(pay_day, total))
        paid = 0
        for payment in payments:
            paid += payment.amount
        reminders, reminder_day = 0, 0
        if total - paid > 0 and due_day + 14 < _DAYS:
            reminders = 1 if due_day + 45 >= _DAYS else 2
            reminder_day = due_day + (14 if reminders == 1 else 45)
        modified = _START_TS + day * _DAY + 8 * 3600 + int(r() * 8 * 3600)
        if payments:
            modified = max(
                modified, _START_TS + payments[-1].day * _DAY + 6 * 3600 + int(r() * 12 * 3600)
            )
        if reminders:
            modified = max(modified, _START_TS + reminder_day * _DAY + 9 * 3600)
        modified = min(modified, _REF_TS - 1)
        seller = int(r() * len(_SELLERS))
        moment = _DAY_DATES[day]
        description = (
            f"{_DESCRIPTIONS[int(r() * len(_DESCRIPTIONS))]} {moment.month}/{moment.year}"
            if itype != INVOICE_TYPE_CREDIT
            else f"Hyvitys, lasku {INVOICE_NUMBER_BASE + max(1, invoice_id - 1 - int(r() * 50))}"
        )
        ref_u = r()
        customer_order: str | None = None
        if ref_u < 0.5:
            customer_reference = self._contact_names[customer]
        elif ref_u < 0.75:
            customer_order = f"{4500000 + int(r() * 500000)}"
            customer_reference = f"Tilaus {customer_order}"
        else:
            customer_reference = None
        number = INVOICE_NUMBER_BASE + invoice_id
        customer_facts = self.customers[customer]
        facts = InvoiceFacts(
            id=invoice_id,
            number=number,
            customer_number=customer_facts.number,
            delivery_customer_number=self.customers[delivery].number,
            type=itype,
            date=moment,
            modified_date=_dt(modified),
            customer_name=customer_facts.name,
            description=description,
            reference=finnish_reference(number),
            our_reference=_SELLERS[seller][1],
            customer_reference=customer_reference,
        )
        return _InvoiceCore(
            facts=facts,
            customer=customer,
            delivery=delivery,
            orderer=orderer,
            day=day,
            term=term,
            due_day=due_day,
            total=total,
            paid=paid,
            rows=tuple(rows),
            payments=tuple(payments),
            seller=seller,
            reminders=reminders,
            reminder_day=reminder_day,
            customer_order=customer_order,
        )

    def invoice(self, id: int) -> Invoice:
        """The complete invoice record ``id``; KeyError if it was not generated."""
        if not 1 <= id <= len(self.invoices):
            raise KeyError(id)
        invoices = len(self.invoices)
        block = (id - 1) // _INVOICE_BLOCK
        rng = _record_rng(self.seed, _KIND_INVOICE, block)
        for earlier in range(block * _INVOICE_BLOCK + 1, id):
            self._invoice_core(earlier, invoices, rng)
        core = self._invoice_core(id, invoices, rng)
        facts = core.facts
        rng = _record_rng(self.seed, _KIND_INVOICE_DETAIL, id)
        r = rng.random
        n_customers = len(self.customers)
        pools = self._pools
        cust = _customer_core(self.seed, core.customer + 1, n_customers, pools)
        delivery = (
            cust
            if core.delivery == core.customer
            else _customer_core(self.seed, core.delivery + 1, n_customers, pools)
        )
        orderer = (
            cust
            if core.orderer == core.customer
            else _customer_core(self.seed, core.orderer + 1, n_customers, pools)
        )
        seller_number, _seller_name = _SELLERS[core.seller]
        moment = _day(core.day)
        rows: list[InvoiceRow] = []
        for position, row in enumerate(core.rows, start=1):
            product = _PRODUCTS[row.product]
            tax = _div_round(row.total * row.vat10, 1000 + row.vat10)
            unit_net = _div_round(row.price * 1000, 1000 + row.vat10)
            rows.append(
                InvoiceRow(
                    invoice_id=id,
                    batch_number=None,
                    delivery_customer_number=facts.delivery_customer_number,
                    delivery_date=moment,
                    order_number=None,
                    reference=None,
                    stock_id=1 if product.goods else None,
                    person_seller_id=seller_number,
                    person_number=None,
                    sizes=[],
                    id=(id - 1) * _MAX_ROWS + position,
                    type=1,
                    account="3000",
                    cost_center=None,
                    project_code=None,
                    project_number=None,
                    project_phase_id=None,
                    discount=float(row.discount),
                    discount2=0.0,
                    discount3=0.0,
                    per=1.0,
                    sales_price=row.price / 100,
                    total=row.total / 100,
                    unit_price=row.price / 100,
                    quantity=row.quantity / 100,
                    quantity2=None,
                    color=None,
                    customer_discount_percentage=0.0,
                    dimension=None,
                    inner_note=None,
                    net_price=(row.total - tax) / 100,
                    no_stock_update=not product.goods,
                    note=None,
                    number=position,
                    position=str(position),
                    product_code=product.code,
                    product_name=product.name,
                    product_extra_name=None,
                    tax_amount=tax / 100,
                    tax_rate=row.vat10 / 10,
                    unit=product.unit,
                    unit_net_price=unit_net / 100,
                    unit_net_price_currency=unit_net / 100,
                    unit_net_currency="EUR",
                    product_stock=None,
                    lta=None,
                    weight=(
                        round(product.weight * abs(row.quantity) / 100, 3)
                        if product.goods
                        else None
                    ),
                    supplier_id=None,
                    row_serial=None,
                    is_serial_follow_up=False,
                    serialnumber_type=0,
                    is_batch_follow_up=False,
                )
            )
        payments: list[InvoicePayment] = []
        for k, payment in enumerate(core.payments):
            pay_date = _day(payment.day)
            if facts.type == INVOICE_TYPE_CASH:
                description = "Käteismaksu"
            elif facts.type == INVOICE_TYPE_CREDIT:
                description = "Hyvityksen kuittaus"
            else:
                description = "Viitesiirto" if r() < 0.9 else "Tilisiirto"
            archive = f"{pay_date:%y%m%d}{rng.randrange(10**13, 10**14)}"
            payments.append(
                InvoicePayment(
                    id=(id - 1) * _MAX_PAYMENTS + k + 1,
                    invoice_id=id,
                    description=description,
                    accountlist_account="1910",
                    codelist_cashier_number=None,
                    codelist_paymentcode=1,
                    costcenter_code=None,
                    customer_date=pay_date,
                    tax_rate=0.0,
                    account_currency="EUR",
                    currency_rate=1.0,
                    date=pay_date,
                    total=payment.amount / 100,
                    total_incurrency=payment.amount / 100,
                    reference_payment_id=None,
                    interest_bit=False,
                    rounding_bit=False,
                    archive=archive,
                    project=None,
                    lta=None,
                )
            )
        links: list[Link] = []
        if r() < 0.2:
            links.append(
                Link(
                    id=id,
                    application_id=1,
                    object_id=id,
                    target=f"laskut/{moment.year}/{facts.number}.pdf",
                    description="Laskun kuva (PDF)",
                    type="pdf",
                    codelist_type=1,
                )
            )
        remaining = core.total - core.paid
        if facts.type == INVOICE_TYPE_CREDIT:
            state = "Hyvitetty"
        elif remaining == 0:
            state = "Maksettu"
        elif core.paid:
            state = "Osittain maksettu"
        elif core.due_day < _DAYS:
            state = "Erääntynyt"
        else:
            state = "Avoin"
        contact = cust.contacts[0] if cust.contacts else None
        dcontact = delivery.contacts[0] if delivery.contacts else None
        ocontact = orderer.contacts[0] if orderer.contacts else None
        reference = facts.reference
        assert reference is not None
        invoice = Invoice(
            company_location_id=1,
            currency_code="EUR",
            delivery_method=1 + int(r() * 4),
            bank_code="OKOYFIHH",
            rf_reference=rf_reference(reference),
            agreed_due_date=None,
            cash_amount=core.total / 100 if facts.type == INVOICE_TYPE_CASH else None,
            cash_date=moment if facts.type == INVOICE_TYPE_CASH else None,
            customer_order_number=core.customer_order,
            delivery_code=None,
            delivery_customer_address=delivery.street,
            delivery_customer_address2=delivery.street2,
            delivery_customer_address3=f"{delivery.postal.code} {delivery.postal.city}",
            delivery_customer_contact=_contact_name(dcontact),
            delivery_customer_country="FI",
            delivery_customer_name=delivery.facts.name,
            delivery_customer_additional_name=delivery.facts.name2,
            delivery_customer_number=facts.delivery_customer_number,
            delivery_customer_contact_phone=dcontact.gsm if dcontact else None,
            delivery_customer_contact_email=dcontact.email if dcontact else None,
            delivery_term=1,
            note=_INVOICE_NOTES[int(r() * len(_INVOICE_NOTES))] if r() < 0.15 else None,
            orderer_customer_address=orderer.street,
            orderer_customer_address2=orderer.street2,
            orderer_customer_address3=f"{orderer.postal.code} {orderer.postal.city}",
            orderer_customer_contact=_contact_name(ocontact),
            orderer_customer_country="FI",
            orderer_customer_name=orderer.facts.name,
            orderer_customer_additional_name=orderer.facts.name2,
            orderer_customer_number=orderer.facts.number,
            orderer_customer_contact_phone=ocontact.gsm if ocontact else None,
            orderer_customer_contact_email=ocontact.email if ocontact else None,
            order_mark=None,
            our_reference=facts.our_reference,
            project_number=None,
            reference=reference,
            tax_type=True,
            total_sum=core.total / 100,
            type=facts.type,
            value_date=moment,
            payment_term=core.term,
            person_driver=None,
            person_invoice_res_person=seller_number,
            person_seller_number=seller_number,
            customer_reference=facts.customer_reference,
            modified_date=facts.modified_date,
            rows=rows,
            payments=payments,
            links=links,
            id=id,
            number=facts.number,
            invoice_method=cust.invoice_method,
            invoice_method_description=_INVOICE_METHODS[cust.invoice_method],
            customer_address=cust.street,
            customer_address2=cust.street2,
            customer_address3=f"{cust.postal.code} {cust.postal.city}",
            customer_contact=_contact_name(contact),
            customer_country="FI",
            customer_name=facts.customer_name,
            customer_additional_name=cust.facts.name2,
            customer_number=facts.customer_number,
            customer_contact_phone=contact.gsm if contact else None,
            customer_contact_email=contact.email if contact else None,
            date=moment,
            description=facts.description,
            due_date=_day(core.due_day),
            invoiced_bit=True,
            reminder_bit=core.reminders > 0,
            reminder_count=core.reminders,
            reminder_date=_day(core.reminder_day) if core.reminders else None,
            language_code=cust.language,
            currency_rate=1.0,
            state=state,
            online_url=None,
        )
        return invoice  # every field is given, at every depth (tests check it)

    # -- customers -------------------------------------------------------------------------------

    def customer(self, id: int) -> Customer:
        """The complete customer record ``id``; KeyError if it was not generated."""
        if not 1 <= id <= len(self.customers):
            raise KeyError(id)
        core = _customer_core(self.seed, id, len(self.customers), self._pools)
        facts = core.facts
        rng = core.rng
        r = rng.random
        assert facts.created is not None
        created_day = (facts.created - _START).days
        attributes = [
            CustomerAttribute(id=attr_id, name=_ATTR_NAMES[attr_id], selected=selected)
            for attr_id, selected in core.attributes
        ]
        contacts: list[CustomerContact] = []
        for c in core.contacts:
            contact_attributes = [
                CustomerContactAttribute(
                    id=attr_id, name=attr_name, selected=r() < 0.7, contact_id=c.id
                )
                for attr_id, attr_name in CONTACT_ATTRIBUTES
                if r() < 0.3
            ]
            if core.sole_trader:  # the owner and perhaps a bookkeeper
                title = "Yrittäjä" if c is core.contacts[0] else "Kirjanpitäjä"
                department = None
            else:
                title = _TITLES[int(r() * len(_TITLES))]
                department = _DEPARTMENTS[int(r() * len(_DEPARTMENTS))] if r() < 0.5 else None
            contacts.append(
                CustomerContact(
                    id=c.id,
                    customer_id=id,
                    name=f"{c.first} {c.last}",
                    attributes=contact_attributes,
                    street=None,
                    street2=None,
                    department=department,
                    email=c.email,
                    fax=None,
                    gsm=c.gsm,
                    note=_CONTACT_NOTES[int(r() * len(_CONTACT_NOTES))] if r() < 0.1 else None,
                    phone=facts.phone if r() < 0.3 else None,
                    postal_city=None,
                    postal_code=None,
                    city=None,
                    title=title,
                )
            )
        n_texts = (0, 0, 0, 1, 1, 2)[int(r() * 6)]
        texts = []
        for k in range(n_texts):
            header, note = _CUSTOMER_TEXTS[int(r() * len(_CUSTOMER_TEXTS))]
            texts.append(CustomerText(id=(id - 1) * 2 + k + 1, header_number=header, note=note))
        # Bank accounts: suppliers are paid, so they have one or two; some customers too.
        account_u = r()
        if facts.is_supplier:
            n_accounts = 1 if account_u < 0.85 else 2
        else:
            n_accounts = 0 if account_u < 0.7 else (1 if account_u < 0.97 else 2)
        accounts: list[CustomerAccount] = []
        for k in range(n_accounts):
            bank = _BANK_TABLE[int(r() * len(_BANK_TABLE))]
            digits = str(rng.randrange(10**12, 10**13))
            iban = finnish_iban(bank.prefix + digits[: 13 - len(bank.prefix)])
            accounts.append(
                CustomerAccount(
                    account_id=(id - 1) * _MAX_ACCOUNTS + k + 1,
                    customer_id=id,
                    account_number=" ".join(iban[i : i + 4] for i in range(0, len(iban), 4)),
                    bank_name=bank.name,
                    bank_address=None,
                    bank_address2=None,
                    bank_country_code="FI",
                    bank_info=None,
                    bic=bank.bic,
                    iban=iban,
                    foreign_type=None,
                    foreign_share=None,
                    clearing=None,
                )
            )
        agreements = self._agreements(id, core, created_day)
        circulations: list[CustomerCirculation] = []
        if r() < 0.1:
            circulations.append(
                CustomerCirculation(
                    id=id,
                    customer_id=id,
                    person_number=_SELLERS[int(r() * len(_SELLERS))][0],
                    circulation_type=int(r() * 2),
                )
            )
        trade = _TRADES[core.trade] if core.trade >= 0 else _TRADES[int(r() * len(_TRADES))]
        dimension = CustomerDimension(
            Area_code=int(core.postal.code[:2]),
            Chain_code=None,
            Turnover_code=1 + int(r() * 6),
            Employer_quantity_code=1 + int(r() * 6),
            Customer_segment_code=1 + int(r() * 4),
            Customer_abc=1 + int(r() * 3),
            Mainbusiness_code=trade[1],
            Branch_classification1=f"{trade[1]} {trade[2]}",
            Branch_classification2=None,
            Branch_classification3=None,
            Customergroup_id=facts.group,
            Business_activity_areacode=int(core.postal.code[:2]),
            Customer_class_id=facts.type,
            Customer_quality_system_bit=r() < 0.2,
            Customer_reference_bit=r() < 0.1,
            Customer_dimension_started=facts.created,
            Customer_dimension_turnover=None,
            Customer_costcenter=None,
            Customer_lta=None,
            Customer_quality_system_name=None,
            Customer_reference_note=None,
            Transaction_type=1,
        )
        bic = accounts[0].bic if accounts else None
        www = f"www.{core.domain}" if r() < 0.7 else None
        fax = _landline(rng, core.postal.area) if core.postal.area and r() < 0.08 else None
        postal_line = f"{core.postal.code} {core.postal.city}"
        record = Customer(
            searchname=facts.searchname,
            email=facts.email,  # type: ignore[arg-type]  # ~12 % of customers have none
            currency_code="EUR",
            attributes=attributes,
            contacts=contacts,
            texts=texts,
            costcenter=None,
            delivery_code=None,
            invoicing_customer_number=None,
            orderer_customer_number=None,
            is_customer=facts.is_customer,
            is_nonactive=r() < 0.04,
            is_prospect=core.is_prospect,
            is_supplier=facts.is_supplier,
            created=facts.created,
            modified=facts.modified,
            delivery_method_number=1 + int(r() * 4),
            delivery_term=1,
            payment_term_number=core.term,
            interest=(8.0, 11.5, 10.0)[int(r() * 3)],
            sales_account="3000",
            purchase_account="4000" if facts.is_supplier else None,
            receivables_account="1700",
            accountspayable_account="2870" if facts.is_supplier else None,
            customer_edi=bic if core.invoice_method == 3 else None,
            invoice_method_id=core.invoice_method,
            invoice_code=None,
            finvoice_address=(
                "0037" + core.business_id.replace("-", "") if core.invoice_method == 3 else None
            ),
            reference=None,
            creditlimit=float((0, 5000, 10000, 20000, 50000)[int(r() * 5)]),
            deny_credit=r() < 0.02,
            reseller=None,
            default_reference=finnish_reference(CUSTOMER_NUMBER_BASE + id),
            prevent_delivery=False,
            partial_delivery_disabled=r() < 0.1,
            invoiceperiod=None,
            invoicedates=None,
            due_invoice_sum=self._due[id - 1] / 100,
            open_invoice_sum=self._open[id - 1] / 100,
            agreements=agreements,
            accounts=accounts,
            circulations=circulations,
            dimension=dimension,
            person_responsible_number=_SELLERS[int(r() * len(_SELLERS))][0],
            id=id,
            number=facts.number,
            name=facts.name,  # type: ignore[arg-type]
            name2=facts.name2,
            phone=facts.phone,
            vat=facts.vat,
            street=core.street,
            street2=core.street2,
            city=facts.city,
            postal_code=core.postal.code,
            country="FI",
            www=www,
            language_code=core.language,
            group=facts.group,
            customer_group_id=facts.group,
            invoicing_name=facts.name,
            invoicing_name2=facts.name2,
            invoicing_address=core.street,
            invoicing_postaladdress=postal_line,
            invoicing_postal_code=core.postal.code,
            invoicing_city=facts.city,
            type=facts.type,
            seller_number=_SELLERS[int(r() * len(_SELLERS))][0],
            fax=fax,
        )
        return record  # every field is given, at every depth (tests check it)

    def _agreements(
        self, customer_id: int, core: _CustomerCore, created_day: int
    ) -> list[CustomerAgreement]:
        rng = core.rng
        r = rng.random
        u = r()
        count = 0 if u < 0.7 else (1 if u < 0.93 else 2)
        agreements: list[CustomerAgreement] = []
        for k in range(count):
            agreement_id = (customer_id - 1) * 2 + k + 1
            start_day = min(_DAYS - 1, created_day + 1 + int(r() * 400))
            months = (12, 24, 36)[int(r() * 3)]
            auto_renew = r() < 0.5
            kind = 1 + int(r() * 3)
            description = ("Huoltosopimus", "Ylläpitosopimus", "Palvelusopimus")[kind - 1]
            products: list[CustomerAgreementProduct] = []
            picked = rng.sample(_SERVICE_PRODUCTS, 1 + int(r() * 3))
            for j, p in enumerate(picked):
                product = _PRODUCTS[p]
                amount = 1.0 if product.unit == "kk" else float(1 + int(r() * 10))
                products.append(
                    CustomerAgreementProduct(
                        agreement_product_id=(agreement_id - 1) * 3 + j + 1,
                        agreement_id=agreement_id,
                        product_code=product.code,
                        product_description=product.name,
                        product_description2=None,
                        product_serialnumber=None,
                        product_amount=amount,
                        product_unit=product.unit,
                        product_price=product.price / 100,
                        product_type=1,
                        product_unitprice=product.price / 100,
                        product_discount=0.0,
                        product_amount2=None,
                        product_blocking=0,
                        product_notes=None,
                        warranty_ends=None,
                        product_sales_price=product.price / 100,
                        service_interval=None,
                        calibration_interval=None,
                        product_project_id=None,
                        product_project_phase_id=None,
                    )
                )
            start = _day(start_day)
            end = None if auto_renew else _day(start_day + months * 365 // 12)
            invoiced_day = start_day + 30 * int(r() * ((_DAYS - start_day) // 30 + 1))
            agreements.append(
                CustomerAgreement(
                    products=products,
                    id=agreement_id,
                    type=kind,
                    date=start,
                    invoicing_customer=core.facts.number,
                    notes=None,
                    period_length=(1, 3, 12)[int(r() * 3)],
                    description=description,
                    startdate=start,
                    enddate=end,
                    checkdate=None,
                    install_date=None,
                    invoiced_date=_day(min(invoiced_day, _DAYS - 1)),
                    mark=None,
                    invoice_text=f"{description} {start.year}",
                    order_number=None,
                    blocking=0,
                    responsible_person=_SELLERS[int(r() * len(_SELLERS))][0],
                    invoice_travelling_bit=r() < 0.3,
                    auto_renew_bit=auto_renew,
                    service_person_number=None,
                    backup_service_person_number=None,
                    response_time=(4.0, 8.0, 24.0)[int(r() * 3)],
                    leasing_number=None,
                    leasing_start_date=None,
                    leasing_end_date=None,
                    leasing_value=None,
                    leasing_end_value=None,
                    automation_weekday=None,
                    automation_month=None,
                    automation_markdate=None,
                    location=None,
                    email=core.facts.email,
                    phone=core.facts.phone,
                    no_charges=False,
                    travel_time_percent=None,
                    master=None,
                    balancing_period=None,
                    balanced_date=None,
                    payment_term=core.term,
                    based_charges=False,
                    no_crediting=False,
                    pricelist=None,
                    show_included_amount=False,
                )
            )
        return agreements


def _contact_name(contact: _Contact | None) -> str | None:
    return f"{contact.first} {contact.last}" if contact else None


def generate(seed: int = 1, customers: int = 200, invoices: int = 1000) -> Dataset:
    """The dataset of ``customers`` customers and ``invoices`` invoices for ``seed``."""
    return Dataset(seed, customers, invoices)
