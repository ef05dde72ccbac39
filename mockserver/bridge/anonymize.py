"""Anonymizing recorded customers and invoices: personal data replaced by generated Finnish
values that stay valid and consistent.

One module, though long, because it is one idea: one consistent replacement of every personal
value. The tables of which fields hold what and the ``Anonymizer``'s two passes must agree
field by field, and most of the length is those tables and one rewrite per kind of value.

``Anonymizer`` works in two passes over the records (JSON objects as the API answers them):
``collect`` sees every record and gathers the original values of each kind (company names,
persons, e-mails, phones, streets, IBANs, business ids, notes...), ``settle`` then picks every
replacement, and ``customer``/``invoice`` rewrite the records. A replacement is picked by a
keyed hash of the seed and the original value (HMAC-SHA256), never by the order records come
in: the same seed and the same originals give the same replacements. Originals are settled in
sorted order, and a replacement that would equal another original or an earlier replacement is
picked again, so replacements never reveal or merge values.

What it keeps exactly: ids, numbers, dates, amounts, VAT rates, references, postal codes and
cities, product data, and everything it does not know to be personal. Business ids stay valid
Y-tunnus (and VAT numbers and OVT e-invoice addresses built from one follow the replaced id),
IBANs stay valid Finnish IBANs (their BIC and bank name follow the replaced bank), and e-mail
domains follow the replaced company name. Names come from the shipped value pools
(``mockserver.datagen``). It knows the API's field names; it knows nothing of HTTP or files.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..datagen.catalogues import BANKS, CONTACT_NOTES, CUSTOMER_TEXTS, EMAIL_LOCALS
from ..datagen.customers import company_name
from ..datagen.identifiers import YT_SPACE, business_id, finnish_iban, iban_groups
from ..datagen.pools import Pools, fold, value_pools

# --- which fields hold what -------------------------------------------------------------------

COMPANY, PERSON, PERSON_LIKE, EMAIL, PHONE, STREET, STREET2, LINE, NOTE = (
    "company",
    "person",
    "person-like",
    "email",
    "phone",
    "street",
    "street2",
    "line",
    "note",
)
VAT, FINVOICE, WWW = "vat", "finvoice", "www"

_CONTACT = {
    "name": PERSON,
    "email": EMAIL,
    "phone": PHONE,
    "gsm": PHONE,
    "fax": PHONE,
    "street": STREET,
    "street2": STREET2,
    "note": NOTE,
}
_AGREEMENT = {"notes": NOTE, "mark": NOTE, "email": EMAIL, "phone": PHONE, "location": NOTE}
_AGREEMENT_PRODUCT = {"product_notes": NOTE}
CUSTOMER_FIELDS: dict[str, str] = {
    "name": COMPANY,
    "invoicing_name": COMPANY,
    "name2": PERSON_LIKE,
    "invoicing_name2": PERSON_LIKE,
    "email": EMAIL,
    "phone": PHONE,
    "fax": PHONE,
    "www": WWW,
    "vat": VAT,
    "finvoice_address": FINVOICE,
    "street": STREET,
    "street2": STREET2,
    "invoicing_address": STREET,
}
INVOICE_FIELDS: dict[str, str] = {
    "note": NOTE,
    "our_reference": PERSON,
    "customer_reference": PERSON_LIKE,
}
for _party in ("customer", "delivery_customer", "orderer_customer"):
    INVOICE_FIELDS.update(
        {
            f"{_party}_name": COMPANY,
            f"{_party}_additional_name": PERSON_LIKE,
            f"{_party}_address": LINE,
            f"{_party}_address2": LINE,
            f"{_party}_address3": LINE,
            f"{_party}_contact": PERSON,
            f"{_party}_contact_phone": PHONE,
            f"{_party}_contact_email": EMAIL,
        }
    )
_ROW = {"note": NOTE, "inner_note": NOTE}
_TEXT = {"note": NOTE}
_DIMENSION = {"Customer_reference_note": NOTE}

# Company fields kept with ``keep_companies``.
_COMPANY_KINDS = frozenset({COMPANY, VAT, FINVOICE, WWW})

ROLE_LOCALS = frozenset(
    {local for local, _ in EMAIL_LOCALS}
    | {
        "info",
        "invoice",
        "invoices",
        "billing",
        "sales",
        "office",
        "contact",
        "support",
        "tuki",
        "huolto",
        "hallinto",
        "talous",
        "reskontra",
        "ostolaskut",
        "verkkolaskut",
        "noreply",
        "no-reply",
        "admin",
        "yritys",
    }
)
PUBLIC_DOMAINS = frozenset(
    {
        "gmail.com",
        "hotmail.com",
        "hotmail.fi",
        "outlook.com",
        "live.com",
        "msn.com",
        "yahoo.com",
        "icloud.com",
        "me.com",
        "luukku.com",
        "suomi24.fi",
        "elisanet.fi",
        "kolumbus.fi",
        "saunalahti.fi",
        "welho.com",
        "netti.fi",
        "pp.inet.fi",
        "dnainternet.net",
    }
)
_NOTES = tuple(note for _, note in CUSTOMER_TEXTS) + CONTACT_NOTES
_LEGAL = re.compile(r"^(?:Tmi|Toiminimi)\s+|\s+(?:Oy Ab|Ab Oy|Oyj|Oy|Abp|Ab|Ky|Kb|Ay|Ltd|ry)$")
_POSTAL_LINE = re.compile(r"^\d{5}\s")
_BENIGN_STREET2 = re.compile(r"^(?:[A-Z]\s?\d{1,3}|PL\s?\d+|\d{1,2}\.\s?krs|as\.?\s?\d+)$", re.I)
_NAME_TOKEN = re.compile(r"^[A-ZÅÄÖÜÉ][a-zåäöüéA-ZÅÄÖ'-]*\.?$")
_LOCAL_PERSON = re.compile(r"^([a-z-]+)[._]([a-z-]+?)(\d*)$")
_FI_BUSINESS = re.compile(r"^(FI)?(\d{7})-?(\d)$", re.I)
_OVT = re.compile(r"^0037(\d{8})(\w*)$")
_URL_HOST = re.compile(r"^(?P<pre>(?:https?://)?(?:www\.)?)(?P<host>[^/:?#]+)(?P<rest>.*)$", re.I)


def looks_like_person(value: str) -> bool:
    """Two to four capitalised words of letters: ``Anni Tarvainen``, ``c/o Matti Ek``."""
    tokens = value.removeprefix("c/o ").split()
    return 2 <= len(tokens) <= 4 and all(_NAME_TOKEN.match(token) for token in tokens)


def is_street(kind: str, value: str) -> bool:
    """A street address: a street field, a second address line that is more than a
    staircase or PO box, an invoice address line that is neither that nor
    ``POSTAL_CODE CITY``."""
    if kind == STREET2:
        return not _BENIGN_STREET2.match(value.strip())
    if kind == LINE:
        return not (_POSTAL_LINE.match(value.strip()) or _BENIGN_STREET2.match(value.strip()))
    return kind == STREET


def bare_company(name: str) -> str:
    """The name without its legal form: ``Rakennus-Kyllönen Oy`` -> ``Rakennus-Kyllönen``."""
    return _LEGAL.sub("", name.strip())


def national_digits(phone: str) -> str:
    digits = "".join(c for c in phone if c.isdigit())
    if phone.lstrip().startswith("+358") or digits.startswith("00358"):
        return "0" + digits[digits.index("358") + 3 :]
    return digits


# --- picking replacements --------------------------------------------------------------------


class Kind:
    """One kind of value: its originals (by key) and, once settled, their replacements.

    ``pick(key, rng, attempt)`` proposes a replacement; ``norm`` says when two values are the
    same. Originals are settled in sorted order; a proposal equal (by ``norm``) to any
    original or to an earlier replacement is proposed again with the next attempt."""

    def __init__(
        self,
        name: str,
        secret: bytes,
        pick: Callable[[str, random.Random, int], str],
        norm: Callable[[str], str] = str.casefold,
    ) -> None:
        self.name = name
        self.secret = secret
        self.pick = pick
        self.norm = norm
        self.originals: set[str] = set()
        self.replacements: dict[str, str] = {}

    def add(self, key: str) -> None:
        self.originals.add(key)

    def rng(self, key: str, attempt: int) -> random.Random:
        message = f"{self.name}\x00{key}\x00{attempt}".encode()
        digest = hmac.new(self.secret, message, hashlib.sha256).digest()
        return random.Random(int.from_bytes(digest[:16], "big"))

    def settle(self) -> None:
        used = {self.norm(key) for key in self.originals}
        for key in sorted(self.originals):
            attempt = 0
            while True:
                proposal = self.pick(key, self.rng(key, attempt), attempt)
                if self.norm(proposal) not in used:
                    break
                attempt += 1
            used.add(self.norm(proposal))
            self.replacements[key] = proposal

    def __getitem__(self, key: str) -> str:
        return self.replacements[key]


@dataclass
class Report:
    """What anonymizing replaced, by kind (how many distinct original values)."""

    counts: dict[str, int] = field(default_factory=dict)


class Anonymizer:
    """Collect every record, ``settle``, then rewrite each record (a new object)."""

    def __init__(self, seed: int, *, keep_companies: bool = False) -> None:
        self.keep_companies = keep_companies
        secret = f"mockserver-record:{seed}".encode()
        self.pools: Pools = value_pools()
        pools = self.pools
        self._female = frozenset(fold(name) for name in pools.first_female)
        self._male = frozenset(fold(name) for name in pools.first_male)
        self._company_parts: dict[str, tuple[str, str, str]] = {}
        self._domain_owner: dict[str, tuple[int, str]] = {}  # domain -> (customer id, name)
        self.companies = Kind("company", secret, self._pick_company)
        self.persons = Kind("person", secret, self._pick_person)
        self.domains = Kind("domain", secret, self._pick_domain, str.lower)
        self.emails = Kind("email", secret, self._pick_email, str.lower)
        self.phones = Kind("phone", secret, self._pick_phone, national_digits)
        self.streets = Kind("street", secret, self._pick_street)
        self.ibans = Kind("iban", secret, self._pick_iban, str.upper)
        self.businesses = Kind("business id", secret, self._pick_business)
        self.digits = Kind("digits", secret, self._pick_digits)
        self.notes = Kind("note", secret, self._pick_note)
        self._secret = secret
        self._settled = False
        self._seen: set[tuple[str, str]] = set()
        self._memo: dict[tuple[str, str], str] = {}

    # --- pass 1 ---------------------------------------------------------------------------

    def collect_customer(self, record: dict[str, Any]) -> None:
        self._walk(record, CUSTOMER_FIELDS, self._collect)
        record_id = record.get("id")
        name = record.get("name")
        if isinstance(record_id, int) and isinstance(name, str) and name.strip():
            for value in (record.get("email"), record.get("www")):
                domain = _domain_of(value) if isinstance(value, str) else None
                if domain is not None and domain not in PUBLIC_DOMAINS:
                    owner = self._domain_owner.get(domain)
                    if owner is None or record_id < owner[0]:
                        self._domain_owner[domain] = (record_id, name.strip())
        for contact in _objects(record.get("contacts")):
            self._walk(contact, _CONTACT, self._collect)
        for text in _objects(record.get("texts")):
            self._walk(text, _TEXT, self._collect)
        for agreement in _objects(record.get("agreements")):
            self._walk(agreement, _AGREEMENT, self._collect)
            for product in _objects(agreement.get("products")):
                self._walk(product, _AGREEMENT_PRODUCT, self._collect)
        dimension = record.get("dimension")
        if isinstance(dimension, dict):
            self._walk(dimension, _DIMENSION, self._collect)
        for account in _objects(record.get("accounts")):
            self._account(account, collect=True)

    def collect_invoice(self, record: dict[str, Any]) -> None:
        self._walk(record, INVOICE_FIELDS, self._collect)
        for row in _objects(record.get("rows")):
            self._walk(row, _ROW, self._collect)

    def _collect(self, kind: str, value: str) -> str:
        seen = (kind, value)
        if seen in self._seen:  # invoices repeat their customer's values: once is enough
            return value
        self._seen.add(seen)
        if kind == COMPANY:
            self.companies.add(value.strip())
        elif kind == PERSON or (kind == PERSON_LIKE and looks_like_person(value)):
            self.persons.add(self._person_key(value))
        elif kind == EMAIL:
            email = value.strip().lower()
            self.emails.add(email)
            domain = _domain_of(email)
            if domain is not None and domain not in PUBLIC_DOMAINS and not self.keep_companies:
                self.domains.add(domain)
        elif kind == PHONE:
            if len(national_digits(value)) >= 5:
                self.phones.add(national_digits(value))
        elif is_street(kind, value):
            self.streets.add(value.strip())
        elif kind == NOTE:
            self.notes.add(value)
        elif kind == VAT:
            match = _FI_BUSINESS.match(value.strip())
            if match:
                self.businesses.add(match.group(2) + match.group(3))
            elif any(c.isdigit() for c in value):
                self.digits.add(value)
        elif kind == FINVOICE:
            ovt = _OVT.match(value.strip())
            if ovt:
                self.businesses.add(ovt.group(1))
            elif value.strip().upper().startswith("FI"):
                self.ibans.add(_compact(value))
        elif kind == WWW:
            host = _URL_HOST.match(value.strip())
            domain = host.group("host").lower() if host else ""
            if "." in domain and domain not in PUBLIC_DOMAINS:
                self.domains.add(domain)
        return value

    # --- settling -------------------------------------------------------------------------

    def settle(self) -> Report:
        """Pick every replacement (companies first: domains follow their names)."""
        self.companies.settle()
        self.domains.settle()
        self.persons.settle()
        self.emails.settle()
        for kind in (self.phones, self.streets, self.ibans, self.businesses, self.notes):
            kind.settle()
        self.digits.settle()
        self._settled = True
        kinds = (
            self.companies,
            self.persons,
            self.emails,
            self.phones,
            self.streets,
            self.ibans,
            self.businesses,
            self.notes,
        )
        return Report({kind.name: len(kind.originals) for kind in kinds})

    # --- pass 2 ---------------------------------------------------------------------------

    def customer(self, record: dict[str, Any]) -> dict[str, Any]:
        assert self._settled, "settle() before rewriting"
        out = self._walk(dict(record), CUSTOMER_FIELDS, self._replace)
        searchname, name = record.get("searchname"), record.get("name")
        if (
            isinstance(searchname, str)
            and isinstance(name, str)
            and name.strip()
            and not self.keep_companies
        ):
            out["searchname"] = self._searchname(searchname, name.strip())
        out["contacts"] = _each(record.get("contacts"), lambda c: self._walk(c, _CONTACT))
        out["texts"] = _each(record.get("texts"), lambda t: self._walk(t, _TEXT))
        out["agreements"] = _each(record.get("agreements"), self._agreement)
        dimension = record.get("dimension")
        if isinstance(dimension, dict):
            out["dimension"] = self._walk(dict(dimension), _DIMENSION, self._replace)
        out["accounts"] = _each(record.get("accounts"), lambda a: self._account(a))
        return {key: out[key] for key in record}  # the upstream's key order

    def invoice(self, record: dict[str, Any]) -> dict[str, Any]:
        assert self._settled, "settle() before rewriting"
        out = self._walk(dict(record), INVOICE_FIELDS, self._replace)
        out["rows"] = _each(record.get("rows"), lambda row: self._walk(row, _ROW))
        return {key: out[key] for key in record}

    def _agreement(self, agreement: dict[str, Any]) -> dict[str, Any]:
        out = self._walk(agreement, _AGREEMENT)
        if "products" in agreement:
            out["products"] = _each(
                agreement.get("products"), lambda p: self._walk(p, _AGREEMENT_PRODUCT)
            )
        return out

    def _walk(
        self,
        record: dict[str, Any],
        fields: dict[str, str],
        visit: Callable[[str, str], str] | None = None,
    ) -> dict[str, Any]:
        """``record`` with ``visit(kind, value)`` applied to each non-empty string field (a
        copy when a value changes, else ``record`` itself)."""
        visit = visit or self._replace
        out = record
        for name, kind in fields.items():
            value = record.get(name)
            if isinstance(value, str) and value.strip():
                if self.keep_companies and kind in _COMPANY_KINDS:
                    continue
                new = visit(kind, value)
                if new is not value:
                    if out is record:
                        out = dict(record)  # copied once, and only when something changes
                    out[name] = new
        return out

    def _replace(self, kind: str, value: str) -> str:
        key = (kind, value)
        replaced = self._memo.get(key)
        if replaced is None:
            replaced = self._memo[key] = self._replacement(kind, value)
        return replaced

    def _replacement(self, kind: str, value: str) -> str:
        stripped = value.strip()
        if kind == COMPANY:
            return self.companies[stripped]
        if kind == PERSON or (kind == PERSON_LIKE and looks_like_person(value)):
            replaced = self.persons[self._person_key(value)]
            prefix = "c/o " if stripped.startswith("c/o ") else ""
            return prefix + (replaced.upper() if stripped.isupper() else replaced)
        if kind == EMAIL:
            return self.emails[stripped.lower()]
        if kind == PHONE:
            digits = national_digits(value)
            return _layout(value, self.phones[digits]) if digits in self.phones.originals else value
        if is_street(kind, value):
            return self.streets[stripped]
        if kind == NOTE:
            return self.notes[value]
        if kind == VAT:
            match = _FI_BUSINESS.match(stripped)
            if not match:
                return self.digits[value] if value in self.digits.originals else value
            new = self.businesses[match.group(2) + match.group(3)]
            if match.group(1):
                return match.group(1) + new
            return f"{new[:7]}-{new[7]}" if "-" in stripped else new
        if kind == FINVOICE:
            ovt = _OVT.match(stripped)
            if ovt:
                return f"0037{self.businesses[ovt.group(1)]}{ovt.group(2)}"
            if stripped.upper().startswith("FI"):
                return self.ibans[_compact(value)]
            return value
        if kind == WWW:
            host = _URL_HOST.match(stripped)
            if host and host.group("host").lower() in self.domains.originals:
                new = self.domains[host.group("host").lower()]
                return f"{host.group('pre')}{new}{host.group('rest')}"
            return value
        return value

    def _account(self, account: dict[str, Any], *, collect: bool = False) -> dict[str, Any]:
        """A bank account: its IBAN replaced (valid, Finnish); the BIC and bank name follow
        the replacement's bank; the account number follows the IBAN when it is one."""
        iban, number, bic = account.get("iban"), account.get("account_number"), account.get("bic")
        if collect:
            for value in (iban, number):
                if isinstance(value, str) and value.strip():
                    if _looks_like_iban(value):
                        self.ibans.add(_compact(value))
                    elif any(c.isdigit() for c in value):
                        self.digits.add(value)
            if isinstance(account.get("bank_info"), str) and account["bank_info"].strip():
                self.notes.add(account["bank_info"])
            return account
        out = dict(account)
        new_iban: str | None = None
        for name, value in (("iban", iban), ("account_number", number)):
            if isinstance(value, str) and value.strip():
                if _looks_like_iban(value):
                    replaced = self.ibans[_compact(value)]
                    new_iban = new_iban or replaced
                    out[name] = iban_groups(replaced) if " " in value.strip() else replaced
                elif value in self.digits.originals:
                    out[name] = self.digits[value]
        bank = _bank_of(new_iban) if new_iban is not None else None
        if isinstance(bic, str) and bic.strip():
            out["bic"] = bank.bic if bank is not None else self._bic(bic.strip())
        if bank is not None and isinstance(account.get("bank_name"), str):
            out["bank_name"] = bank.name
        if isinstance(account.get("bank_info"), str) and account["bank_info"].strip():
            out["bank_info"] = self.notes[account["bank_info"]]
        return out

    def _bic(self, bic: str) -> str:
        """A bank's BIC for a BIC without an IBAN: few banks exist, so it may be the same."""
        digest = hmac.new(self._secret, f"bic\x00{bic}".encode(), hashlib.sha256).digest()
        return BANKS[int.from_bytes(digest[:8], "big") % len(BANKS)].bic

    def _searchname(self, searchname: str, name: str) -> str:
        new_name, new_bare, _ = self._company_parts[self.companies[name]]
        if searchname.casefold() == name.casefold():
            return new_name.upper() if searchname.isupper() else new_name
        return new_bare.upper() if searchname.isupper() else new_bare

    # --- proposals ------------------------------------------------------------------------

    def _person_key(self, value: str) -> str:
        return " ".join(fold(token) for token in value.strip().removeprefix("c/o ").split())

    def _pick_company(self, key: str, rng: random.Random, attempt: int) -> str:
        swedish = key.endswith((" Ab", " Abp", " Ab Oy"))
        name, bare, _, label = company_name(rng.random, self.pools, swedish)
        if attempt >= 100:  # a crowded register: a numbered name is still a company's name
            name, bare = f"{bare} {attempt} {name.rsplit(' ', 1)[-1]}", f"{bare} {attempt}"
        self._company_parts[name] = (name, bare, label)
        return name

    def _pick_domain(self, key: str, rng: random.Random, attempt: int) -> str:
        tld = key.rsplit(".", 1)[1] if "." in key else "fi"
        owner = self._domain_owner.get(key)
        if owner is not None and owner[1] in self.companies.replacements:
            label = self._company_parts[self.companies[owner[1]]][2]
        else:
            label = company_name(rng.random, self.pools, False)[3]
        return f"{label}.{tld}" if attempt == 0 else f"{label}{attempt + 1}.{tld}"

    def _pick_person(self, key: str, rng: random.Random, attempt: int) -> str:
        pools = self.pools
        tokens = key.split()
        first_token = tokens[0] if tokens else ""
        if first_token in self._female:
            first_pool = pools.first_female
        elif first_token in self._male:
            first_pool = pools.first_male
        else:
            first_pool = pools.first_male if rng.random() < 0.5 else pools.first_female
        first = first_pool[int(rng.random() * len(first_pool))]
        if len(tokens) == 1 and attempt < 50:
            return first
        last = pools.last[int(rng.random() * len(pools.last))]
        if attempt >= 200:  # the common names are taken: a double-barrelled surname
            last = f"{last}-{pools.last[int(rng.random() * len(pools.last))]}"
        return f"{first} {last}"

    def _pick_email(self, key: str, rng: random.Random, attempt: int) -> str:
        local, _, domain = key.rpartition("@")
        if not local:
            local, domain = key, ""
        new_domain = self.domains[domain] if domain in self.domains.replacements else domain
        new_local = self._local(local, rng)
        if attempt:
            new_local += str(attempt + 1)
        return f"{new_local}@{new_domain}" if domain else new_local

    def _local(self, local: str, rng: random.Random) -> str:
        if local in ROLE_LOCALS:
            return local
        match = _LOCAL_PERSON.match(local)
        if match:
            key = f"{match.group(1)} {match.group(2)}"
            if key in self.persons.replacements:
                first, _, last = self.persons[key].partition(" ")
                return f"{fold(first)}.{fold(last)}{match.group(3)}"
        person = self._pick_person(local, rng, 0)
        first, _, last = person.partition(" ")
        return f"{fold(first)}.{fold(last)}" if last else fold(first)

    def _pick_phone(self, key: str, rng: random.Random, attempt: int) -> str:
        keep = 2 if key.startswith("09") else 3
        keep = min(keep, max(1, len(key) - 4))
        rest = "".join(str(int(rng.random() * 10)) for _ in range(len(key) - keep))
        return key[:keep] + str(1 + int(rng.random() * 9)) + rest[1:]

    def _pick_street(self, key: str, rng: random.Random, attempt: int) -> str:
        streets = self.pools.streets
        street = streets[int(rng.random() * len(streets))]
        number = f"{1 + int(150 * rng.random())}"
        if attempt >= 50:  # the street numbers are taken: a staircase
            number += f" {'ABCDEFGH'[int(rng.random() * 8)]} {1 + int(rng.random() * 99)}"
        return f"{street} {number}"

    def _pick_iban(self, key: str, rng: random.Random, attempt: int) -> str:
        bank = BANKS[int(rng.random() * len(BANKS))]
        digits = "".join(str(int(rng.random() * 10)) for _ in range(13))
        return finnish_iban(bank.prefix + digits[: 13 - len(bank.prefix)])

    def _pick_business(self, key: str, rng: random.Random, attempt: int) -> str:
        return business_id(int(rng.random() * YT_SPACE), 0).replace("-", "")

    def _pick_digits(self, key: str, rng: random.Random, attempt: int) -> str:
        digits = "".join(str(int(rng.random() * 10)) if c.isdigit() else c for c in key)
        return digits if attempt < 50 else f"{digits}-{attempt}"

    def _pick_note(self, key: str, rng: random.Random, attempt: int) -> str:
        note = _NOTES[int(rng.random() * len(_NOTES))]
        return note if attempt < 4 * len(_NOTES) else f"{note} ({attempt})"


# --- helpers -----------------------------------------------------------------------------------


def _objects(value: Any) -> Iterable[dict[str, Any]]:
    if isinstance(value, list):
        return [item for item in value if isinstance(item, dict)]
    return ()


def _each(value: Any, rewrite: Callable[[dict[str, Any]], dict[str, Any]]) -> Any:
    if not isinstance(value, list):
        return value
    return [rewrite(item) if isinstance(item, dict) else item for item in value]


def _domain_of(value: str) -> str | None:
    value = value.strip().lower()
    if "@" in value:
        domain = value.rpartition("@")[2]
        return domain or None
    host = _URL_HOST.match(value)
    if host and "." in host.group("host"):
        return host.group("host")
    return None


def _compact(value: str) -> str:
    return "".join(value.split()).upper()


def _looks_like_iban(value: str) -> bool:
    compact = _compact(value)
    return len(compact) >= 15 and compact[:2].isalpha() and compact[2:4].isdigit()


def _bank_of(iban: str) -> Any:
    bban = iban[4:]
    for bank in sorted(BANKS, key=lambda b: -len(b.prefix)):
        if bban.startswith(bank.prefix):
            return bank
    return None


def _layout(original: str, national: str) -> str:
    """``national`` digits written in the layout of ``original``: its spaces and dashes, and
    its country code (``+358`` or ``00358``) when it has one."""
    written = "".join(c for c in original if c.isdigit())
    own = national_digits(original)
    if own != written:  # international: the digits of the country code stay as written
        kept = len(written) - (len(own) - 1)
        fill = iter(national[1:])
    else:
        kept = 0
        fill = iter(national)
    out: list[str] = []
    index = 0
    for c in original:
        if c.isdigit():
            out.append(c if index < kept else next(fill, ""))
            index += 1
        else:
            out.append(c)
    out.extend(fill)
    return "".join(out)
