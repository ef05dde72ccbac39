"""The value pools the generator draws names, streets and places from, read once per process
from the files shipped in ``mockserver/data/pools/``, and the ASCII folding of pool values.

The pools are data, not code: ``scripts/build-pools`` writes the name and street files from
Faker's fi_FI word lists (Finnish population-register frequencies, Helsinki street names), and
``postal_codes.tsv`` is curated by hand. Faker is not imported at run time, so no installed
Faker version can change the data. A pool is its file's data lines in order (draws pick by
position); ``name<TAB>count`` lines fill ``count`` consecutive slots.

Folding (``ascii_fold``) turns pool values into e-mail and domain labels; it relies on
Unicode's normalization and case mappings of the Latin letters the pools hold, which the
Unicode stability policies freeze, so no Python version changes it. Knows nothing of records
or of randomness.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from importlib.resources import files
from typing import Final, NamedTuple


class Postal(NamedTuple):
    code: str
    city: str
    area: str  # landline area code, "" when unknown


class Pools(NamedTuple):
    first_male: tuple[str, ...]
    first_female: tuple[str, ...]
    last: tuple[str, ...]
    last_nen: tuple[str, ...]  # -nen surnames (they have a simple genitive)
    streets: tuple[str, ...]
    postal: tuple[Postal, ...]


class PoolError(RuntimeError):
    """A shipped pool file is missing or malformed: the installation is broken."""


def _read(name: str) -> str:
    resource = files("mockserver").joinpath("data", "pools", name)
    try:
        return resource.read_text(encoding="utf-8")
    except OSError as error:
        raise PoolError(f"value pool {name} cannot be read: {error}") from None


def parse_rows(name: str, text: str, columns: int) -> list[list[str]]:
    """The data lines of pool file ``name`` (comments and blank lines skipped), split on tabs
    into exactly ``columns`` fields, the first one not empty; PoolError names the line."""
    rows: list[list[str]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != columns or not fields[0]:
            raise PoolError(f"value pool {name}, line {number}: expected {columns} field(s)")
        rows.append(fields)
    if not rows:
        raise PoolError(f"value pool {name} is empty")
    return rows


def parse_counted(name: str, text: str) -> tuple[str, ...]:
    """A ``name<TAB>count`` pool, each name repeated ``count`` times in file order."""
    out: list[str] = []
    for value, count in parse_rows(name, text, 2):
        if not (count.isascii() and count.isdigit()) or int(count) < 1:
            raise PoolError(f"value pool {name}: count of {value!r} is not a positive integer")
        out.extend([value] * int(count))
    return tuple(out)


def _postal(text: str) -> tuple[Postal, ...]:
    """The postal table, sorted (code, city, area); the area code may be empty (unknown)."""
    table: list[Postal] = []
    for code, city, area in parse_rows("postal_codes.tsv", text, 3):
        if not (len(code) == 5 and code.isascii() and code.isdigit() and city):
            raise PoolError(f"value pool postal_codes.tsv: bad row {code!r} {city!r}")
        table.append(Postal(code, city, area))
    return tuple(sorted(table))


@cache
def value_pools() -> Pools:
    """Every pool, loaded on first use and shared by every dataset of the process."""
    last = parse_counted("last_names.tsv", _read("last_names.tsv"))
    return Pools(
        first_male=parse_counted("first_names_male.tsv", _read("first_names_male.tsv")),
        first_female=parse_counted("first_names_female.tsv", _read("first_names_female.tsv")),
        last=last,
        last_nen=tuple(name for name in last if name.endswith("nen")),
        streets=tuple(row[0] for row in parse_rows("streets.txt", _read("streets.txt"), 1)),
        postal=_postal(_read("postal_codes.tsv")),
    )


def postal_codes() -> tuple[tuple[str, str], ...]:
    """The shipped (postal code, post-office city) table."""
    return tuple((p.code, p.city) for p in value_pools().postal)


_FOLD: Final = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "&": "", "'": ""})


def ascii_fold(text: str) -> str:
    """Lower-case ASCII letters, digits and hyphens: ``Pohjolan Sähkö`` -> ``pohjolansahko``."""
    folded = unicodedata.normalize("NFKD", text.lower().translate(_FOLD))
    return "".join(c for c in folded if c.isascii() and (c.isalnum() or c == "-")).strip("-")


_folded: dict[str, str] = {}


def fold(part: str) -> str:
    """``ascii_fold`` of a pool value (a name, a word), memoized: pools are finite."""
    folded = _folded.get(part)
    if folded is None:
        folded = _folded[part] = ascii_fold(part)
    return folded
