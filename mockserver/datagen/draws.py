"""Where every random number of the dataset comes from, and the few ways it is drawn.

Each record has its own ``random.Random`` seeded with an integer built from (seed, kind, id),
so that a record can be rebuilt alone. Draws use only two primitives of the Mersenne Twister:
``random()`` (whose sequence for an integer seed Python promises to keep) and ``getrandbits``
(the generator's raw 32-bit words, unchanged since Python 2.4). Integer ranges and distinct
picks are written out here on top of ``getrandbits`` instead of calling ``randrange`` or
``sample``, whose Python-level algorithms the language does not promise to keep; today they
give exactly the numbers those methods gave on Python 3.11. Knows nothing of what is drawn.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Final, TypeVar

T = TypeVar("T")

Random01 = Callable[[], float]
"""A generator's bound ``random`` method. Helpers that draw only floats take it rather than the
generator: bound once per record, not once per helper, it keeps a record's many small helpers
as fast as one long function."""

KIND_CUSTOMER: Final = 0
KIND_INVOICE: Final = 1  # a block of INVOICE_BLOCK invoice cores
KIND_INVOICE_DETAIL: Final = 2
# Invoice cores are drawn in blocks of consecutive ids from one generator (seeding a Mersenne
# Twister costs more than a whole core); an invoice's remaining fields have their own generator.
INVOICE_BLOCK: Final = 8


def zigzag(seed: int) -> int:
    """A distinct natural number for every integer (0, -1, 1, -2, ... -> 0, 1, 2, 3, ...)."""
    return seed * 2 if seed >= 0 else -seed * 2 - 1


def record_rng(seed: int, kind: int, record_id: int) -> random.Random:
    """The record's own generator: distinct (seed, kind, id) give distinct MT states."""
    return random.Random((((zigzag(seed) << 2) | kind) << 32) | record_id)


def below(rng: random.Random, n: int) -> int:
    """A uniform integer in ``[0, n)`` (n > 0) by rejection on ``n.bit_length()`` raw bits."""
    bits = n.bit_length()
    value = rng.getrandbits(bits)
    while value >= n:
        value = rng.getrandbits(bits)
    return value


def between(rng: random.Random, low: int, high: int) -> int:
    """A uniform integer in ``[low, high)``."""
    return low + below(rng, high - low)


def pick_distinct(rng: random.Random, population: Sequence[T], k: int) -> list[T]:
    """``k`` distinct positions of ``population`` in draw order, by a partial Fisher-Yates
    shuffle of a copy (each pick's slot takes the last unpicked item)."""
    pool = list(population)
    n = len(pool)
    picked: list[T] = []
    for i in range(k):
        j = below(rng, n - i)
        picked.append(pool[j])
        pool[j] = pool[n - i - 1]
    return picked
