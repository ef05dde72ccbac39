"""Finnish identifiers with their check digits: business ids (Y-tunnus), VAT numbers, OVT
codes, reference numbers (viitenumero and ISO 11649 RF) and IBANs.

Pure functions of integers and digit strings, written out from the published rules (the tests
hold them against python-stdnum's independent implementations; the package does not need
python-stdnum at run time). Knows nothing of randomness or records: the callers decide which
numbers to encode.
"""

from __future__ import annotations

from typing import Final


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


def luhn_digit(digits: str) -> int:
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
    bban = bban13 + str(luhn_digit(bban13))
    check = 98 - int(bban + "151800") % 97  # "FI" = 15 18, check digits 00
    return f"FI{check:02d}{bban}"


def iban_groups(iban: str) -> str:
    """The IBAN's print form, in groups of four: ``FI21 1234 5600 0007 85``."""
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


# Business ids: an id-to-code bijection, so that every customer of a dataset (up to 2.61 M)
# has a distinct, valid Y-tunnus in the issued range. The 6-digit prefix ranges over
# 050000..339999 and the last base digit is the k-th (k < 9) digit that gives a valid check
# digit (at most one digit of ten does not).
YT_PREFIXES: Final = 290_000
YT_SPACE: Final = YT_PREFIXES * 9
YT_MULTIPLIER: Final = 1_000_003  # coprime with YT_SPACE = 2^4 * 3^2 * 5^4 * 29

# Weighted sums (weights 7 9 10 | 5 8 4) of the prefix's high and low three digits.
_YT_HIGH: Final = tuple(7 * (n // 100) + 9 * (n // 10 % 10) + 10 * (n % 10) for n in range(1000))
_YT_LOW: Final = tuple(5 * (n // 100) + 8 * (n // 10 % 10) + 4 * (n % 10) for n in range(1000))


def business_id(seed_key: int, customer_id: int) -> str:
    """The customer's Y-tunnus, ``1234567-8``: distinct for distinct ids under one key."""
    j = (customer_id * YT_MULTIPLIER + seed_key) % YT_SPACE
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


def vat_number(business: str) -> str:
    """The Finnish VAT number (ALV) of a business id: ``FI`` and its eight digits."""
    return "FI" + business.replace("-", "")


def ovt_code(business: str) -> str:
    """The company's OVT (e-invoicing) address: ``0037`` and the business id's digits."""
    return "0037" + business.replace("-", "")
