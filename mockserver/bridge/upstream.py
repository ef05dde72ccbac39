"""The client of a real upstream ERP API: login, its own ``Session-Id``, paging, retries.

``Upstream`` speaks to the real API below its base URL (``https://erp.example.fi/Lemonsoft30``)
as a careful real client does: it logs in lazily with ``POST /api/auth/login``, sends its own
``Session-Id`` on every request, logs in again once when a request answers 401, waits as a
429 or 503 asks (``Retry-After``) a bounded number of times and never longer than a cap, and
times out every request. It refuses to send anything but ``GET`` (and the login) unless it
was built with ``allow_writes``, so it is safe to point at a production system. Every
transport failure is an ``UpstreamError`` whose ``kind`` says what happened and whose message
is one clear line without secrets.

It knows the upstream's login and paging conventions; it knows nothing of the mock (its
state, its routes or its HTTP app), and it never logs or stores the credentials it holds.
"""

from __future__ import annotations

import asyncio
import email.utils
import math
import os
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import httpx
import msgspec

ENV_PREFIX = "MOCKSERVER_UPSTREAM_"
_ENV_FIELDS = ("username", "password", "database", "apikey")
LOGIN_PATH = "/api/auth/login"
SESSION_HEADER = "Session-Id"

# Headers a caller may not set on an upstream request: the session is the bridge's own, and
# the rest describe the caller's connection, not this one.
_DROPPED_HEADERS = frozenset(
    {
        "session-id",
        "host",
        "content-length",
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "cookie",
        "authorization",
    }
)


class UpstreamConfigError(ValueError):
    """The upstream cannot be used as configured (credentials missing, a bad base URL)."""


@dataclass(frozen=True)
class Credentials:
    """What the upstream's login asks for. ``repr`` never shows the password or API key."""

    username: str
    password: str = field(repr=False)
    database: str
    apikey: str = field(repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Credentials:
        """``MOCKSERVER_UPSTREAM_USERNAME``, ``_PASSWORD``, ``_DATABASE`` and ``_APIKEY``;
        ``UpstreamConfigError`` naming every one that is missing or empty."""
        env = environ if environ is not None else os.environ
        values = {name: env.get(ENV_PREFIX + name.upper(), "") for name in _ENV_FIELDS}
        missing = [ENV_PREFIX + name.upper() for name, value in values.items() if not value]
        if missing:
            raise UpstreamConfigError(
                "the upstream's credentials are missing: set " + ", ".join(missing)
            )
        return cls(**values)

    def login_body(self) -> bytes:
        return msgspec.json.encode(
            {
                "UserName": self.username,
                "Password": self.password,
                "Database": self.database,
                "ApiKey": self.apikey,
            }
        )


class UpstreamError(Exception):
    """The upstream could not be used. ``kind``: ``refused`` (cannot connect), ``timeout``,
    ``tls``, ``protocol`` (a broken connection or an answer that is not the API's), ``login``
    (the login was refused), ``write`` (``UpstreamWriteRefused``). ``status`` is the HTTP
    status of the answer that caused it, when there was one."""

    def __init__(self, kind: str, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status


class UpstreamWriteRefused(UpstreamError):
    """A request other than ``GET`` (or the login) to an upstream not allowed writes."""

    def __init__(self, method: str, path: str) -> None:
        super().__init__(
            "write",
            f"{method} {path} was not sent upstream: the bridge sends only GET requests "
            "unless writes are allowed",
        )


Sleep = Callable[[float], Awaitable[None]]


class Upstream:
    """One upstream API and the bridge's session with it.

    ``timeout_s`` bounds each phase of each request (connect, read, write, pool);
    ``retries`` bounds how many times a 429 or 503 with ``Retry-After`` is retried, and
    ``max_wait_s`` the wait each may ask (an answer asking longer is returned as it is).
    ``transport`` replaces the network (tests); ``sleep`` replaces ``asyncio.sleep``.
    """

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        timeout_s: float = 10.0,
        retries: int = 3,
        allow_writes: bool = False,
        transport: httpx.AsyncBaseTransport | None = None,
        max_wait_s: float = 30.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.base_url = _checked_base_url(base_url)
        if not (timeout_s > 0 and math.isfinite(timeout_s)):
            raise UpstreamConfigError(f"the upstream timeout must be positive, not {timeout_s}")
        if retries < 0:
            raise UpstreamConfigError(f"the upstream retries cannot be negative ({retries})")
        self.retries = retries
        self.allow_writes = allow_writes
        self.max_wait_s = max_wait_s
        self._credentials = credentials
        self._sleep = sleep
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s),
            transport=transport,
            follow_redirects=False,
            trust_env=False,
        )
        self._session: str | None = None
        self._login_lock = asyncio.Lock()
        self._logins = 0

    def __repr__(self) -> str:
        return f"Upstream({self.base_url!r}, allow_writes={self.allow_writes})"

    @property
    def logins(self) -> int:
        """How many times the bridge has logged in (once, plus once per expired session)."""
        return self._logins

    # --- requests ---------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Sequence[tuple[str, str]] | None = None,
        json_body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """``method path`` below the base URL with the bridge's session; the upstream's
        answer, whatever its status (after one new login on a 401 and the retries a 429 or
        503 asks for). ``UpstreamWriteRefused`` for a write not allowed; ``UpstreamError``
        when no answer came."""
        method = method.upper()
        if not path.startswith("/"):
            path = "/" + path
        if method != "GET" and not self.allow_writes:
            raise UpstreamWriteRefused(method, path)
        sent = {k: v for k, v in (headers or {}).items() if k.lower() not in _DROPPED_HEADERS}
        if json_body is not None and not any(k.lower() == "content-type" for k in sent):
            sent["Content-Type"] = "application/json"
        session = await self._ensure_session()
        response = await self._send(method, path, params, json_body, sent, session)
        if response.status_code == 401:
            session = await self._login(expired=session)
            response = await self._send(method, path, params, json_body, sent, session)
        return response

    async def pages(
        self, path: str, params: Sequence[tuple[str, str]] = (), page_size: int = 100
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """The results of ``GET path``, page by page, as a real client pages: ``page`` 1, 2,
        ... with ``page_size`` until a page's ``result_count`` is 0. With ``filter.`` keys in
        ``params`` the paging keys are prefixed too (ASP.NET binds only prefixed keys then)."""
        prefix = "filter." if any(k.lower().startswith("filter.") for k, _ in params) else ""
        page = 1
        previous: list[dict[str, Any]] | None = None
        while True:
            query = [*params, (f"{prefix}page", str(page)), (f"{prefix}page_size", str(page_size))]
            response = await self.request("GET", path, params=query)
            results = _page_results(response, path, page)
            if not results:
                return
            if results == previous:  # an upstream that ignores ``page`` would never end
                raise UpstreamError(
                    "protocol", f"GET {path} page {page} answered page {page - 1} again"
                )
            previous = results
            yield results
            page += 1

    async def _send(
        self,
        method: str,
        path: str,
        params: Sequence[tuple[str, str]] | None,
        body: bytes | None,
        headers: dict[str, str],
        session: str | None,
    ) -> httpx.Response:
        if session is not None:
            headers = {**headers, SESSION_HEADER: session}
        url = self.base_url + path
        attempt = 0
        while True:
            try:
                response = await self._client.request(
                    method, url, params=list(params or ()), content=body, headers=headers
                )
            except httpx.HTTPError as error:
                raise _mapped(error, method, self._shown(path)) from None
            if response.status_code not in (429, 503) or attempt >= self.retries:
                return response
            wait = _retry_after(response.headers.get("Retry-After"))
            if wait is None or wait > self.max_wait_s:
                return response
            attempt += 1
            await self._sleep(wait)

    def _shown(self, path: str) -> str:
        return f"{self.base_url}{path}"

    # --- login ------------------------------------------------------------------------------

    async def _ensure_session(self) -> str:
        session = self._session
        return session if session is not None else await self._login(expired=None)

    async def _login(self, *, expired: str | None) -> str:
        """Log in unless another request already replaced the ``expired`` session."""
        async with self._login_lock:
            if self._session is not None and self._session != expired:
                return self._session
            self._session = None
            response = await self._send(
                "POST",
                LOGIN_PATH,
                None,
                self._credentials.login_body(),
                {"Content-Type": "application/json", "Accept": "application/json"},
                None,
            )
            self._session = _session_of(response, self._shown(LOGIN_PATH))
            self._logins += 1
            return self._session

    # --- lifetime ---------------------------------------------------------------------------

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> Upstream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()


def _checked_base_url(base_url: str) -> str:
    parts = urlsplit(base_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UpstreamConfigError(
            f"the upstream URL must be http:// or https:// with a host, not {base_url!r}"
        )
    if parts.username or parts.password:
        raise UpstreamConfigError(
            "the upstream URL cannot hold credentials: use the MOCKSERVER_UPSTREAM_* variables"
        )
    if parts.query or parts.fragment:
        raise UpstreamConfigError("the upstream URL cannot have a query or fragment")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def _retry_after(value: str | None) -> float | None:
    """Seconds a ``Retry-After`` asks for (delta seconds or an HTTP date); None if absent or
    unreadable."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _session_of(response: httpx.Response, shown: str) -> str:
    """The ``session_id`` of a successful login answer (``code`` 200, ``message`` "ok")."""
    status = response.status_code
    if status != 200:
        raise UpstreamError(
            "login",
            f"the upstream refused the login (POST {shown} answered HTTP {status}); check "
            "the MOCKSERVER_UPSTREAM_* credentials",
            status=status,
        )
    try:
        body = msgspec.json.decode(response.content)
    except msgspec.DecodeError:
        body = None
    if (
        not isinstance(body, dict)
        or body.get("code") != 200
        or body.get("message") != "ok"
        or not isinstance(body.get("session_id"), str)
        or not body["session_id"]
    ):
        raise UpstreamError(
            "login",
            f"the upstream's login answer (POST {shown}) is not "
            '{"code": 200, "message": "ok", "session_id": ...}',
            status=status,
        )
    session: str = body["session_id"]
    return session


def _page_results(response: httpx.Response, path: str, page: int) -> list[dict[str, Any]]:
    status = response.status_code
    where = f"GET {path} page {page}"
    if status != 200:
        raise UpstreamError("protocol", f"{where} answered HTTP {status}", status=status)
    try:
        body = msgspec.json.decode(response.content)
    except msgspec.DecodeError:
        raise UpstreamError("protocol", f"{where} answered with a body that is not JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("result_count"), int):
        raise UpstreamError("protocol", f"{where} answered without a result_count")
    results = body.get("results")
    if body["result_count"] == 0:
        return []
    if not isinstance(results, list) or not all(isinstance(item, dict) for item in results):
        raise UpstreamError("protocol", f"{where} answered without a list of results")
    return results


def _mapped(error: httpx.HTTPError, method: str, shown: str) -> UpstreamError:
    """An httpx failure as an ``UpstreamError`` with one clear line (no secrets: the URL is
    the base URL and path, never a body)."""
    where = f"{method} {shown}"
    if isinstance(error, httpx.TimeoutException):
        phase = {
            httpx.ConnectTimeout: "connecting",
            httpx.ReadTimeout: "waiting for the answer",
            httpx.WriteTimeout: "sending the request",
            httpx.PoolTimeout: "waiting for a free connection",
        }.get(type(error), "waiting")
        return UpstreamError("timeout", f"{where}: the upstream timed out {phase}")
    if _is_tls(error):
        return UpstreamError("tls", f"{where}: TLS failed: {_reason(error)}")
    if isinstance(error, httpx.ConnectError):
        return UpstreamError("refused", f"{where}: cannot connect: {_reason(error)}")
    if isinstance(error, httpx.TooManyRedirects | httpx.UnsupportedProtocol | httpx.ProxyError):
        return UpstreamError("protocol", f"{where}: {_reason(error)}")
    if isinstance(error, httpx.NetworkError):
        return UpstreamError("protocol", f"{where}: the connection broke: {_reason(error)}")
    return UpstreamError("protocol", f"{where}: the answer is not valid HTTP: {_reason(error)}")


def _is_tls(error: BaseException) -> bool:
    seen: BaseException | None = error
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLError | ssl.CertificateError):
            return True
        seen = seen.__cause__ or seen.__context__
    return "SSL" in str(error) or "CERTIFICATE" in str(error).upper()


def _reason(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
