"""``RemoteMockServer``: a mock server that already runs (``mockserver serve``, a container),
driven over HTTP with the standard library's client.

The journal is read through ``GET /_mock/requests``, tenants are reset and deleted through
``/_mock/reset`` and ``/_mock/tenants/NAME``; every admin request carries the admin token
when one is set. Its own reads, logins and writes carry ``X-Mock-Journal: off``, so they
stay out of the journal. It knows the server only by its URL.
"""

from __future__ import annotations

import http.client
import os
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode
from urllib.request import Request, urlopen

import msgspec

from ..clock import format_duration, iso
from ..journal import ADMIN_PREFIX, Entry
from ..models import Customer, Invoice, encode
from ..scenarios import find, is_name
from ..settings import OPTIONS
from ..wire import JOURNAL_HEADER_NAME, JOURNAL_OFF, SESSION_HEADER_NAME
from .clock import ClockControl
from .criteria import JournalQueries
from .records import CREDENTIALS, DEFAULT_TENANT, R, Records, customer_body, from_wire
from .tenant import MockTenant

TOKEN_ENV = next(option.env for option in OPTIONS if option.name == "admin_token")
_PAGE = 1000


class MockServerUnreachable(ConnectionError):
    """No HTTP answer from the server's URL: refused, unknown host, timed out, not HTTP."""


class RemoteMockServer(JournalQueries):
    """A mock server that already runs, driven over HTTP. ``url`` includes the base path,
    if the server has one. ``admin_token`` (default: ``MOCKSERVER_ADMIN_TOKEN``, as the
    server reads it) is sent as ``Authorization: Bearer ...`` with every admin request."""

    def __init__(
        self, url: str, timeout_s: float = 10.0, *, admin_token: str | None = None
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout_s = timeout_s
        self.admin_token = admin_token if admin_token is not None else os.environ.get(TOKEN_ENV)
        self._sessions: dict[str, str] = {}

    @property
    def admin_headers(self) -> dict[str, str]:
        """Headers for the server's admin routes: the admin token, when one is set."""
        return {"Authorization": f"Bearer {self.admin_token}"} if self.admin_token else {}

    def _http(
        self,
        method: str,
        path: str,
        query: Sequence[tuple[str, str]] = (),
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """Status and body of one request; ``MockServerUnreachable`` when there is no
        HTTP answer at all (a 4xx or 5xx is an answer)."""
        url = self.url + path + ("?" + urlencode(list(query)) if query else "")
        sent = {JOURNAL_HEADER_NAME: JOURNAL_OFF, **(headers or {})}
        if path.startswith(ADMIN_PREFIX):
            sent.update(self.admin_headers)
        if body is not None:
            sent.setdefault("Content-Type", "application/json")
        request = Request(url, data=body, method=method, headers=sent)
        try:
            with urlopen(request, timeout=self.timeout_s) as answer:
                return int(answer.status), answer.read()
        except HTTPError as error:
            with error:
                return error.code, error.read()
        except (URLError, OSError, http.client.HTTPException) as error:
            reason = _reason(error)
            raise MockServerUnreachable(
                f"cannot reach mock server at {self.url}: {reason}"
            ) from None

    def _ok(self, method: str, path: str, **kwargs: Any) -> bytes:
        status, body = self._http(method, path, **kwargs)
        if status != 200:
            raise RuntimeError(self._answered(method, path, status, body))
        return body

    def _answered(self, method: str, path: str, status: int, body: bytes) -> str:
        text = body.decode("utf-8", "replace")
        message = f"{method} {self.url}{path} answered {status}: {text}"
        if status in (401, 403) and path.startswith(ADMIN_PREFIX) and not self.admin_token:
            message += (
                f" (give the server's admin token: RemoteMockServer(url, admin_token=...), "
                f"--mockserver-admin-token or {TOKEN_ENV})"
            )
        return message

    def wait_ready(self, timeout_s: float = 30.0) -> None:
        """Wait while ``/health`` answers 503 (a server still loading its data), at most
        ``timeout_s``. No answer at all (``MockServerUnreachable``) or any other status
        (``RuntimeError``) fails at once: a wrong URL never waits out the timeout."""
        deadline = time.monotonic() + timeout_s
        while True:
            status, body = self._http("GET", "/health")
            if status == 200:
                return
            if status != 503:
                raise RuntimeError(self._answered("GET", "/health", status, body))
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"mock server at {self.url} is still loading after {timeout_s} s "
                    "(GET /health answers 503)"
                )
            time.sleep(0.1)

    def _entries(self, tenant: str | None, since: int | None) -> list[Entry]:
        query = [("tenant", tenant)] if tenant is not None else []
        if since is not None:
            query.append(("since", str(since)))
        data = msgspec.json.decode(self._ok("GET", "/_mock/requests", query=query))
        return [Entry.from_dict(item) for item in data["requests"]]

    def last_seq(self) -> int:
        data = msgspec.json.decode(self._ok("GET", "/_mock/requests", query=[("limit", "0")]))
        return int(data["last_seq"])

    def clear_requests(self, tenant: str | None = None) -> int:
        query = [("tenant", tenant)] if tenant is not None else []
        answer = msgspec.json.decode(self._ok("DELETE", "/_mock/requests", query=query))
        return int(answer["cleared"])

    def reset(self, tenant: str | None = None) -> None:
        query = [("tenant", tenant)] if tenant is not None else []
        self._ok("POST", "/_mock/reset", query=query)

    # --- the clock (``api.clock``) over ``/_mock/clock`` ----------------------------------------

    @property
    def clock(self) -> ClockControl:
        """The server-wide clock: ``freeze``, ``advance``, ``set``, ``now``, ``reset``."""
        return ClockControl(self)

    def _clock(self, method: str, path: str, tenant: str | None, body: Any = None) -> Any:
        query = [("tenant", tenant)] if tenant is not None else []
        sent = encode(body) if body is not None else None
        return msgspec.json.decode(self._ok(method, path, query=query, body=sent))

    def clock_now(self, tenant: str | None) -> tuple[datetime, bool]:
        answer = self._clock("GET", "/_mock/clock", tenant)
        return datetime.fromisoformat(answer["now"]), bool(answer["frozen"])

    def clock_set(self, tenant: str | None, moment: datetime, frozen: bool) -> None:
        self._clock("PUT", "/_mock/clock", tenant, {"now": iso(moment), "frozen": frozen})

    def clock_advance(self, tenant: str | None, step: timedelta) -> None:
        self._clock("POST", "/_mock/clock/advance", tenant, {"by": format_duration(step)})

    def clock_reset(self, tenant: str | None) -> None:
        self._clock("DELETE", "/_mock/clock", tenant)
        if tenant is None:
            self._sessions.clear()
        else:
            self._sessions.pop(tenant, None)

    def delete_tenant(self, name: str) -> bool:
        """``DELETE /_mock/tenants/NAME``: True when the server dropped the tenant, False
        when it held no such tenant (a 404)."""
        path = "/_mock/tenants/" + quote(name, safe="")
        status, body = self._http("DELETE", path)
        self._sessions.pop(name, None)
        if status in (200, 204):
            return True
        if status == 404:
            return False
        raise RuntimeError(self._answered("DELETE", path, status, body))

    def login(self, tenant: str = DEFAULT_TENANT) -> str:
        body = encode({**CREDENTIALS, "Database": tenant})
        answer = msgspec.json.decode(self._ok("POST", "/api/auth/login", body=body))
        session_id: str = answer["session_id"]
        self._sessions[tenant] = session_id
        return session_id

    def load_scenario(self, *paths: str | Path, text: str | None = None) -> None:
        """Send one scenario with ``PUT /_mock/scenario``: ``text``, or the text of a file, or
        of a scenario name (``flaky-5xx``) found as ``mockserver serve`` finds one: in
        ``./scenarios``, else among the scenarios shipped with the package."""
        if (text is None) == (len(paths) != 1):
            raise TypeError("load_scenario takes one scenario name or file path, or text=")
        if text is None:
            source = os.fspath(paths[0])
            text = Path(find(source) if is_name(source) else source).read_text(encoding="utf-8")
        content = text
        self._ok(
            "PUT",
            "/_mock/scenario",
            body=content.encode("utf-8"),
            headers={"Content-Type": "application/yaml"},
        )

    def clear_scenario(self) -> None:
        self._ok("DELETE", "/_mock/scenario")

    def _as(self, tenant: str) -> dict[str, str]:
        session_id = self._sessions.get(tenant) or self.login(tenant)
        return {SESSION_HEADER_NAME: session_id}

    def _api(self, method: str, path: str, tenant: str, **kwargs: Any) -> bytes:
        status, body = self._http(method, path, headers=self._as(tenant), **kwargs)
        if status == 401:  # the session expired or the server was reset: log in again
            self._sessions.pop(tenant, None)
            status, body = self._http(method, path, headers=self._as(tenant), **kwargs)
        if status != 200:
            raise RuntimeError(self._answered(method, path, status, body))
        return body

    def add_customers(
        self, *customers: Customer | Mapping[str, Any], tenant: str = DEFAULT_TENANT
    ) -> list[Customer]:
        bodies = [customer_body(c) for c in customers]
        return [
            msgspec.json.decode(
                self._api("POST", "/api/customers", tenant, body=encode(body)), type=Customer
            )
            for body in bodies
        ]

    def _fetch(self, path: str, tenant: str, model: type[R]) -> Records[R]:
        records: dict[int, R] = {}
        page = 1
        while True:
            query = [("page", str(page)), ("page_size", str(_PAGE))]
            data = msgspec.json.decode(self._api("GET", path, tenant, query=query))
            for item in data["results"]:
                record = from_wire(item, model)
                records[record.id] = record  # type: ignore[attr-defined]
            if data["result_count"] < _PAGE:
                return Records(sorted(records), records.get)
            page += 1

    def customers_of(self, tenant: str = DEFAULT_TENANT) -> Records[Customer]:
        return self._fetch("/api/customers", tenant, Customer)

    def invoices_of(self, tenant: str = DEFAULT_TENANT) -> Records[Invoice]:
        return self._fetch("/api/invoices", tenant, Invoice)

    @property
    def customers(self) -> Records[Customer]:
        return self.customers_of()

    @property
    def invoices(self) -> Records[Invoice]:
        return self.invoices_of()

    def tenant(self, name: str, *, login: bool = True) -> MockTenant:
        return MockTenant(self, name, self.login(name) if login else None, self.last_seq())

    def __repr__(self) -> str:
        return f"<RemoteMockServer {self.url}>"


def _reason(error: BaseException) -> str:
    """``connection refused``, ``timed out``, ``name or service not known``: the cause in
    a few words, as the system says it."""
    reason: object = error.reason if isinstance(error, URLError) else error
    if isinstance(reason, TimeoutError):
        text = "timed out"
    elif isinstance(reason, OSError) and reason.strerror:
        text = reason.strerror
    else:
        text = str(reason) or type(reason).__name__
    return text[:1].lower() + text[1:]
