"""The fixed tables of the register: banks, attributes, payment terms, trades and company-name
words, staff, products and their VAT classes, texts, and the weighted tables draws index into.

Written out here by hand (not drawn from any library), in the order draws index them: moving
an entry, or changing a weight, changes every seed's data (tests/test_digest.py). Knows the
numbering of record ids (customer and invoice number bases, children per record). Knows nothing
of randomness: it is data only.
"""

from __future__ import annotations

from typing import Final, NamedTuple

CUSTOMER_NUMBER_BASE: Final = 10_000  # customer number = 10000 + id
INVOICE_NUMBER_BASE: Final = 100_000  # invoice number = 100000 + id
# Children per record: their ids are (record id - 1) * MAX + position, globally unique.
MAX_CONTACTS: Final = 4
MAX_ROWS: Final = 10
MAX_PAYMENTS: Final = 2
MAX_ACCOUNTS: Final = 2


class Bank(NamedTuple):
    prefix: str  # leading digits of the account number
    bic: str
    name: str
    weight: int


BANKS: Final = (
    Bank("5", "OKOYFIHH", "OP Osuuskunta", 36),
    Bank("1", "NDEAFIHH", "Nordea Bank Oyj", 16),
    Bank("2", "NDEAFIHH", "Nordea Bank Oyj", 14),
    Bank("8", "DABAFIHH", "Danske Bank A/S, Suomen sivuliike", 12),
    Bank("405", "HELSFIHH", "Aktia Pankki Oyj", 7),
    Bank("36", "SBANFIHH", "S-Pankki Oyj", 6),
    Bank("31", "HANDFIHH", "Handelsbanken, Suomen sivuliike", 6),
    Bank("6", "AABAFI22", "Ålandsbanken Abp", 3),
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
ATTRIBUTE_NAMES: Final = dict(CUSTOMER_ATTRIBUTES)
CONTACT_ATTRIBUTES: Final = (
    (1, "Päätöksentekijä"),
    (2, "Laskutusyhteyshenkilö"),
    (3, "Tekninen yhteyshenkilö"),
    (4, "Uutiskirjeen tilaaja"),
)

INVOICE_METHODS: Final = {1: "Paperilasku", 2: "Sähköpostilasku", 3: "Verkkolasku"}
TERMS: Final = (14, 21, 30, 45, 60)
TERM_WEIGHTS: Final = (30, 15, 40, 8, 7)

# (trade word in company names, TOL 2008 code, TOL name)
TRADES: Final = (
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
REGIONS: Final = (
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
COINED: Final = (
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
COINED_TAILS: Final = (
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
TITLES: Final = (
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
DEPARTMENTS: Final = (
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
EMAIL_LOCALS: Final = (
    ("info", 40),
    ("toimisto", 12),
    ("laskutus", 15),
    ("myynti", 10),
    ("asiakaspalvelu", 8),
    ("tilaukset", 5),
    ("posti", 5),
    ("kirjanpito", 5),
)
NAME2: Final = ("Talousosasto", "Ostoreskontra", "Hallinto", "Kirjanpito", "Ostolaskut")
CUSTOMER_TEXTS: Final = (
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
CONTACT_NOTES: Final = (
    "Tavoitettavissa parhaiten aamupäivisin.",
    "Hoitaa myös tilaukset.",
    "Lomalla heinäkuussa.",
    "Hyväksyy laskut yli 5000 euroa.",
)
# Our own staff (the ERP's users): (person number, name)
SELLERS: Final = (
    (101, "Mikko Laaksonen"),
    (102, "Anna Heikkilä"),
    (103, "Jari Nieminen"),
    (104, "Sanna Lehtonen"),
    (105, "Timo Kallio"),
    (106, "Laura Salminen"),
    (107, "Petri Mäkelä"),
    (108, "Katja Rantanen"),
)
# VAT classes: general, food and restaurant (14), books (10 -> 14), periodicals (10), exempt.
VAT_GENERAL, VAT_FOOD, VAT_BOOKS, VAT_PERIODICALS, VAT_EXEMPT = range(5)
# VAT: today's Finnish rates on every invoice, old or new (25.5 % general, 14 % food and
# books, 10 % newspapers and periodicals, 0 % exempt), so that every row carries a rate a
# client must handle today; the dataset does not replay the 2024-2025 rate changes.
VAT_RATES10: Final = (255, 140, 140, 100, 0)  # by VAT class, in tenths of a percent


class Product(NamedTuple):
    code: str
    name: str
    unit: str
    price: int  # list price, cents, VAT included
    quantity: str  # quantity kind, see _quantity
    vat: int
    goods: bool
    weight: float  # kg per unit, goods only


PRODUCTS: Final = (
    Product("ASE-01", "Asennustyö", "h", 7900, "h", VAT_GENERAL, False, 0.0),
    Product("HUO-01", "Huoltotyö", "h", 8400, "h", VAT_GENERAL, False, 0.0),
    Product("KON-01", "Konsultointi", "h", 12900, "h", VAT_GENERAL, False, 0.0),
    Product("SUU-01", "Suunnittelutyö", "h", 10500, "h", VAT_GENERAL, False, 0.0),
    Product("PRO-01", "Projektinhallinta", "h", 11200, "h", VAT_GENERAL, False, 0.0),
    Product("KOU-01", "Koulutus", "h", 14900, "h", VAT_GENERAL, False, 0.0),
    Product("TUK-01", "Käyttötuki", "kk", 14900, "kk", VAT_GENERAL, False, 0.0),
    Product("YLL-01", "Ylläpitosopimus", "kk", 29900, "kk", VAT_GENERAL, False, 0.0),
    Product(
        "LIS-01", "Ohjelmistolisenssi, käyttäjä", "kpl", 4900, "users", VAT_GENERAL, False, 0.0
    ),
    Product("PIL-01", "Pilvipalvelu", "kk", 8900, "kk", VAT_GENERAL, False, 0.0),
    Product("MAT-01", "Matkakulut", "km", 59, "km", VAT_GENERAL, False, 0.0),
    Product("MAT-02", "Matka-aika", "h", 4500, "h", VAT_GENERAL, False, 0.0),
    Product("TOI-01", "Toimitusmaksu", "erä", 1490, "one", VAT_GENERAL, False, 0.0),
    Product("LAS-01", "Laskutuslisä", "kpl", 500, "one", VAT_GENERAL, False, 0.0),
    Product("SII-01", "Siivouspalvelu", "h", 4200, "h", VAT_GENERAL, False, 0.0),
    Product("KAA-06", "Verkkokaapeli Cat6", "m", 190, "m", VAT_GENERAL, True, 0.04),
    Product("KYT-24", "Verkkokytkin 24-porttinen", "kpl", 28900, "few", VAT_GENERAL, True, 2.6),
    Product("NAY-27", 'Näyttö 27"', "kpl", 27900, "few", VAT_GENERAL, True, 6.1),
    Product("TIE-14", 'Kannettava tietokone 14"', "kpl", 129900, "few", VAT_GENERAL, True, 1.4),
    Product("HII-01", "Langaton hiiri", "kpl", 2990, "some", VAT_GENERAL, True, 0.1),
    Product("NAP-01", "Näppäimistö", "kpl", 5490, "some", VAT_GENERAL, True, 0.7),
    Product("PAP-A4", "Tulostuspaperi A4, 500 arkkia", "pkt", 690, "packs", VAT_GENERAL, True, 2.5),
    Product("SUO-01", "Ilmanvaihdon suodatin", "kpl", 2490, "some", VAT_GENERAL, True, 0.4),
    Product("LED-01", "LED-valaisin", "kpl", 7990, "some", VAT_GENERAL, True, 1.2),
    Product("MMJ-325", "Sähköjohto MMJ 3x2,5S", "m", 165, "m", VAT_GENERAL, True, 0.15),
    Product("RUU-440", "Ruuvi 4,2x40, 200 kpl", "pkt", 1190, "packs", VAT_GENERAL, True, 0.6),
    Product("MAA-09", "Sisämaali, 9 l", "kpl", 7990, "few", VAT_GENERAL, True, 11.0),
    Product("KAH-05", "Kahvi, 500 g", "pkt", 890, "packs", VAT_FOOD, True, 0.5),
    Product("LOU-01", "Lounas", "hlö", 1390, "people", VAT_FOOD, False, 0.0),
    Product("KOK-01", "Kokoustarjoilu", "hlö", 1590, "people", VAT_FOOD, False, 0.0),
    Product("KIR-01", "Kirja: Kirjanpito käytännössä", "kpl", 5400, "few", VAT_BOOKS, True, 0.8),
    Product(
        "LEH-01", "Ammattilehden vuositilaus", "kpl", 14900, "one", VAT_PERIODICALS, False, 0.0
    ),
    Product("VUO-01", "Toimitilavuokra", "kk", 125000, "kk", VAT_EXEMPT, False, 0.0),
    Product("JAS-01", "Jäsenmaksu", "kpl", 15000, "one", VAT_EXEMPT, False, 0.0),
)
SERVICE_PRODUCTS: Final = tuple(i for i, p in enumerate(PRODUCTS) if p.unit in ("h", "kk"))

DESCRIPTIONS: Final = (
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
INVOICE_NOTES: Final = (
    "Kiitos tilauksestanne!",
    "Huomautukset 7 päivän kuluessa laskun päiväyksestä.",
    "Viivästyskorko korkolain mukaan.",
    "Toimitus osatoimituksena.",
)

# Invoice types (small ints): 1 sales invoice, 2 credit note, 3 cash invoice.
INVOICE_TYPE_SALES, INVOICE_TYPE_CREDIT, INVOICE_TYPE_CASH = 1, 2, 3
# Rows per invoice 1..10, per hundred invoices: mean 3.14.
ROW_COUNTS: Final = tuple(
    n
    for n, weight in zip(range(1, 11), (30, 22, 15, 10, 7, 5, 4, 3, 2, 2), strict=True)
    for _ in range(weight)
)
DISCOUNTS: Final = (0,) * 80 + (5,) * 10 + (10,) * 7 + (15,) * 3


def _weighted(pairs: tuple[tuple[str, int], ...] | list[tuple[str, int]]) -> tuple[str, ...]:
    return tuple(value for value, weight in pairs for _ in range(weight))


def _weighted_ints(values: tuple[int, ...], weights: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(v for v, w in zip(values, weights, strict=True) for _ in range(w))


TERM_TABLE: Final = _weighted_ints(TERMS, TERM_WEIGHTS)
BANK_TABLE: Final = tuple(b for b in BANKS for _ in range(b.weight))
EMAIL_LOCAL_TABLE: Final = _weighted(EMAIL_LOCALS)
MOBILE_PREFIXES: Final = ("40", "40", "40", "50", "50", "44", "44", "45", "41", "46")
