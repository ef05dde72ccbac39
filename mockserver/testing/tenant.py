"""``MockTenant``: one tenant of a running mock, as the pytest plugin's ``mock_api`` gives it.

A handle knows its tenant's name, a live session, where its journal view starts, and the
server behind it through ``TenantHost``: the few operations a local ``MockServer`` and a
``RemoteMockServer`` both offer. It knows nothing of how that server is run or reached.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol, Unpack

from ..journal import Requests, problem_report
from ..models import Customer, Invoice
from ..routes import API_TEMPLATES
from .clock import ClockControl
from .criteria import Criteria, TenantCriteria
from .records import CREDENTIALS, DEFAULT_TENANT, Records


class TenantHost(Protocol):
    """What a tenant handle needs of the server it lives on."""

    @property
    def url(self) -> str: ...

    def requests(
        self, method: str | None = None, path: str | None = None, **criteria: Unpack[Criteria]
    ) -> Requests: ...

    def assert_requested(
        self,
        method: str | None = None,
        path: str | None = None,
        *,
        times: int | None = None,
        **criteria: Unpack[Criteria],
    ) -> Requests: ...

    def reset(self, tenant: str | None = None) -> None: ...

    def clock_now(self, tenant: str | None) -> tuple[datetime, bool]: ...

    def clock_set(self, tenant: str | None, moment: datetime, frozen: bool) -> None: ...

    def clock_advance(self, tenant: str | None, step: timedelta) -> None: ...

    def clock_reset(self, tenant: str | None) -> None: ...

    def login(self, tenant: str = DEFAULT_TENANT) -> str: ...

    def delete_tenant(self, name: str) -> bool: ...

    def add_customers(
        self, *customers: Customer | Mapping[str, Any], tenant: str = DEFAULT_TENANT
    ) -> list[Customer]: ...

    def customers_of(self, tenant: str = DEFAULT_TENANT) -> Records[Customer]: ...

    def invoices_of(self, tenant: str = DEFAULT_TENANT) -> Records[Invoice]: ...


def api_route_paths() -> list[str]:
    """The API's route templates, for the problem report's "did you mean"."""
    return list(API_TEMPLATES)


class MockTenant:
    """One tenant of a server, as the ``mock_api`` fixture gives it: its ``database`` name
    (log in with it to land here), a live ``session_id``, and the journal, data, reset and
    deletion of this tenant only. The journal view starts when the handle was made."""

    def __init__(self, server: TenantHost, name: str, session_id: str | None, since: int) -> None:
        self.server = server
        self.name = name
        self.session_id = session_id
        self.since = since

    @property
    def clock(self) -> ClockControl:
        """This tenant's clock: ``freeze``, ``advance``, ``set``, ``now``, ``reset``."""
        return ClockControl(self.server, self.name)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def database(self) -> str:
        """The ``Database`` to log in with to work in this tenant."""
        return self.name

    @property
    def headers(self) -> dict[str, str]:
        """Headers that put a request in this tenant: the session, or ``X-Mock-Tenant``."""
        if self.session_id is not None:
            return {"Session-Id": self.session_id}
        return {"X-Mock-Tenant": self.name}

    @property
    def credentials(self) -> dict[str, str]:
        """A login body for this tenant (any non-empty user, password and key work)."""
        return {**CREDENTIALS, "Database": self.name}

    def requests(
        self, method: str | None = None, path: str | None = None, **criteria: Unpack[TenantCriteria]
    ) -> Requests:
        """This tenant's journaled requests since the handle was made (see
        ``MockServer.requests``)."""
        return self.server.requests(method, path, tenant=self.name, since=self.since, **criteria)

    def assert_requested(
        self,
        method: str | None = None,
        path: str | None = None,
        *,
        times: int | None = None,
        **criteria: Unpack[TenantCriteria],
    ) -> Requests:
        """``MockServer.assert_requested`` over this tenant's requests since the handle was
        made."""
        return self.server.assert_requested(
            method, path, times=times, tenant=self.name, since=self.since, **criteria
        )

    def problems(self, known_routes: Iterable[str] | None = None) -> str:
        """A report of this tenant's requests that matched no route or were rejected by
        validation; empty when there were none. ``known_routes``: the route templates a
        wrong path is compared with (default: the API's)."""
        routes = list(known_routes) if known_routes is not None else list(API_TEMPLATES)
        return problem_report(list(self.requests()), routes)

    def reset(self) -> None:
        """This tenant back to the seeded data (its sessions end: log in again)."""
        self.server.reset(self.name)
        self.session_id = self.server.login(self.name) if self.session_id is not None else None

    def delete(self) -> bool:
        """Drop this tenant from the server: its data, sessions, rule counters and journal
        entries (what the plugin does at each test's teardown, so that a long run never
        meets ``--max-tenants``). False when the server held no such tenant; the handle
        may be used again, which starts the tenant afresh."""
        self.session_id = None
        return self.server.delete_tenant(self.name)

    def login(self) -> str:
        """A new session id for this tenant."""
        self.session_id = self.server.login(self.name)
        return self.session_id

    def add_customers(self, *customers: Customer | Mapping[str, Any]) -> list[Customer]:
        return self.server.add_customers(*customers, tenant=self.name)

    @property
    def customers(self) -> Records[Customer]:
        return self.server.customers_of(self.name)

    @property
    def invoices(self) -> Records[Invoice]:
        return self.server.invoices_of(self.name)

    def __repr__(self) -> str:
        return f"<MockTenant {self.name!r} on {self.server!r}>"
