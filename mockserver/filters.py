"""Filter evaluation over a table: CustomerFilter and SalesInvoiceFilter as CONTRACT.md says.

Equality and list filters and date ranges are answered from indexes as sets of ids;
substring filters scan the case-folded text of the remaining candidates. The smallest
index set drives the scan when it is small; otherwise the table's ids (already in order)
do, so results come out ordered by id without sorting everything.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from .binding import FilterSpec, filter_spec
from .indexes import IdSet
from .models import CustomerFilter, SalesInvoiceFilter
from .tables import RangeLookup, Table

CUSTOMER_FILTER: FilterSpec = filter_spec(
    CustomerFilter, choices={"has_email": (0, 1), "is_customer": (0, 1), "is_supplier": (0, 1)}
)
INVOICE_FILTER: FilterSpec = filter_spec(SalesInvoiceFilter)

DEFAULT_PAGE = 1
DEFAULT_PAGE_SIZE = 10

_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$", re.ASCII)  # as binding's int32

# (filter field, folded-text column) pairs for plain substring filters.
_CUSTOMER_SUBSTRINGS = (
    ("name", "name"),
    ("search_name", "searchname"),
    ("email", "email"),
    ("phone", "phone"),
    ("vat", "vat"),
)
_CUSTOMER_FLAGS = (("has_email", "has_email"), ("is_customer", "is_customer"),
                   ("is_supplier", "is_supplier"))  # fmt: skip


class _Selection:
    """Collects the restrictions of one filter, then runs them over a table."""

    def __init__(self, table: Table[Any, Any]) -> None:
        self.table = table
        self.sets: list[IdSet | Sequence[int]] = []  # sets from hash indexes, lists from ranges
        self.scans: list[Callable[[Sequence[int]], list[int]]] = []
        self.ranges: list[tuple[RangeLookup, datetime | None, datetime | None]] = []

    def restrict(self, ids: IdSet) -> None:
        self.sets.append(ids)

    def equal(self, index: str, values: list[Any]) -> None:
        self.sets.append(self.table.hashed[index].lookup(values))

    def between(self, index: str, after: datetime | None, before: datetime | None) -> None:
        if after is not None or before is not None:
            self.ranges.append((self.table.ordered[index], after, before))

    # A tenant that has written reads its changed records' texts over the shared ones; one
    # that has not reads the shared texts alone, with no look-up more per record.

    def contains(self, column: str, needle: str) -> None:
        texts, changed = self.table.texts(column)
        folded = needle.casefold()
        if not changed:
            self.scans.append(lambda ids: [i for i in ids if folded in texts[i]])
            return
        self.scans.append(
            lambda ids: [i for i in ids if folded in (changed[i] if i in changed else texts[i])]
        )

    def contains_any(self, column: str, needle: str, or_ids: IdSet | None = None) -> None:
        texts, changed = self.table.texts(column)
        folded = needle.casefold()
        extra = or_ids or set()
        if not changed:
            self.scans.append(
                lambda ids: [i for i in ids if i in extra or any(folded in t for t in texts[i])]
            )
            return
        self.scans.append(
            lambda ids: [
                i
                for i in ids
                if i in extra
                or any(folded in t for t in (changed[i] if i in changed else texts[i]))
            ]
        )

    def run(self) -> Sequence[int]:
        all_ids = self.table.ids
        if len(self.ranges) == 1 and not self.sets and not self.scans:
            # one date range alone (an incremental sync): the index keeps it sorted
            index, after, before = self.ranges[0]
            return index.ascending(after, before)
        for index, after, before in self.ranges:
            self.sets.append(index.range(after, before))
        groups = sorted(self.sets, key=len)
        if not self.scans:
            if not groups:
                return all_ids
            if len(groups) == 1:
                return sorted(groups[0])
            return sorted(set(groups[0]).intersection(*groups[1:]))
        candidates: Sequence[int]
        if groups and len(groups[0]) * 4 < len(all_ids):
            candidates = sorted(groups.pop(0))
        else:
            candidates = all_ids
        for scan in self.scans:
            candidates = scan(candidates)
        for ids in groups:
            members = ids if isinstance(ids, (set, frozenset)) else set(ids)
            candidates = list(filter(members.__contains__, candidates))
        return candidates


def _number_match(table: Table[Any, Any], needle: str) -> IdSet:
    """Ids whose ``number`` equals a search term that is an integer."""
    if not _INTEGER.match(needle):
        return set()
    return table.hashed["number"].lookup([int(needle)])


def select_customers(table: Table[Any, Any], f: dict[str, Any]) -> Sequence[int]:
    """Ids of the customers matching every given filter, ascending."""
    s = _Selection(table)
    for field, column in _CUSTOMER_SUBSTRINGS:
        if field in f:
            s.contains(column, f[field])
    if "contact_email" in f:
        s.contains_any("contact_emails", f["contact_email"])
    if "search" in f:
        s.contains_any("search", f["search"], _number_match(table, f["search"]))
    for field, index in _CUSTOMER_FLAGS:
        if field in f:
            s.equal(index, [f[field] == 1])
    if "customer_number" in f:
        s.equal("number", f["customer_number"])
    if "object_ids" in f:
        s.restrict({i for i in f["object_ids"] if i in table})
    if "attribute_ids" in f:
        s.equal("attribute_ids", f["attribute_ids"])
    for field in ("group", "type"):
        if field in f:
            s.equal(field, [f[field]])
    s.between("created", f.get("created_after"), f.get("created_before"))
    s.between("modified", f.get("modified_after"), f.get("modified_before"))
    s.between("modified", f.get("updated_after"), f.get("updated_before"))
    return s.run()


def select_invoices(table: Table[Any, Any], f: dict[str, Any]) -> Sequence[int]:
    """Ids of the invoices matching every given filter, ascending."""
    s = _Selection(table)
    if "search" in f:
        s.contains_any("search", f["search"], _number_match(table, f["search"]))
    if "numbers" in f:
        s.equal("number", f["numbers"])
    for field in ("customer_number", "delivery_customer_number", "type"):
        if field in f:
            s.equal(field, [f[field]])
    if "object_ids" in f:
        s.restrict({i for i in f["object_ids"] if i in table})
    s.between("date", f.get("invoice_date_after"), f.get("invoice_date_before"))
    s.between("modified_date", f.get("updated_after"), f.get("updated_before"))
    return s.run()


def page_of(ids: Sequence[int], f: dict[str, Any]) -> Sequence[int]:
    """The ids on the requested page (``page`` and ``page_size`` were validated at binding)."""
    page = f.get("page", DEFAULT_PAGE)
    size = f.get("page_size", DEFAULT_PAGE_SIZE)
    start = (page - 1) * size
    return ids[start : start + size]
