"""The journal filters every testing helper takes, written once: ``Criteria`` (and
``TenantCriteria``, the part a tenant handle leaves to the caller) as keyword arguments, and
``JournalQueries``, the ``requests`` / ``assert_requested`` pair that the local server and the
remote client both offer over their own way of reading the journal.

It knows the journal's query language and nothing of how a server is run or reached.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection, Mapping
from typing import Any, TypedDict, Unpack

from ..journal import Entry, RequestFilter, Requests, assert_requested, select


class TenantCriteria(TypedDict, total=False):
    """Filters of ``MockTenant.requests``: every given one must hold (see ``Criteria``)."""

    status: int | Collection[int] | None
    query: Mapping[str, Any] | None
    json: Any
    headers: Mapping[str, str] | None
    rule: str | None


class Criteria(TenantCriteria, total=False):
    """Filters of ``requests`` and ``assert_requested``, besides ``method`` and ``path``.

    ``status``: a code or a collection of codes; ``query``, ``json`` and ``headers`` match as
    subsets (the request may carry more); ``rule``: a scenario rule that fired; ``tenant``:
    one tenant's requests (default: every tenant's); ``since``: requests after that ``seq``.
    """

    tenant: str | None
    since: int | None


_KNOWN = frozenset(Criteria.__optional_keys__)


def request_filter(
    method: str | None, path: str | None, criteria: Mapping[str, Any], caller: str
) -> RequestFilter:
    """The ``RequestFilter`` of these arguments; ``TypeError`` naming an unknown filter."""
    unknown = sorted(set(criteria) - _KNOWN)
    if unknown:
        known = ", ".join(sorted(_KNOWN))
        raise TypeError(f"{caller}() got an unknown filter {unknown[0]!r}; filters: {known}")
    return RequestFilter(method, path, **criteria)


class JournalQueries(ABC):
    """``requests`` and ``assert_requested`` over whatever ``_entries`` reads."""

    @abstractmethod
    def _entries(self, tenant: str | None, since: int | None) -> list[Entry]:
        """The journaled entries (of one tenant, after ``since``), oldest first."""

    def requests(
        self, method: str | None = None, path: str | None = None, **criteria: Unpack[Criteria]
    ) -> Requests:
        """The journaled requests matching every given filter, oldest first (every tenant
        unless ``tenant`` is given). ``path`` is literal or a template
        (``/api/customers/{customer_id}``); ``query``, ``json`` and ``headers`` match as
        subsets."""
        wanted = request_filter(method, path, criteria, "requests")
        return select(self._entries(wanted.tenant, wanted.since), wanted)

    def assert_requested(
        self,
        method: str | None = None,
        path: str | None = None,
        *,
        times: int | None = None,
        **criteria: Unpack[Criteria],
    ) -> Requests:
        """The matching requests; ``AssertionError`` with the nearest requests and why they
        differ unless there are exactly ``times`` (at least one when ``times`` is None)."""
        wanted = request_filter(method, path, criteria, "assert_requested")
        return assert_requested(self._entries(wanted.tenant, wanted.since), wanted, times)
