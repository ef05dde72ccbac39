"""Who may use the admin routes (everything under ``/_mock/``, at the root and under the base
path): a pure ASGI middleware in front of them. Every other request passes untouched, after
one substring test of its path.

- **Admin authority.** With ``--admin-token`` set, a request carrying
  ``Authorization: Bearer TOKEN`` (compared in constant time); anything else is a 401 that
  says how to authenticate. Without a token, a client on the loopback interface (or an
  in-process transport, which has no address); anything else is a 403 that says remote
  admin is off and how to turn it on. A loopback request must then name the server by an
  IP address or a name without a dot (``localhost``, a container's name): a web page whose
  own domain an attacker points at 127.0.0.1 (DNS rebinding) is same-origin to the browser,
  but its ``Host`` is that domain.
- **A session's own tenant.** Without admin authority, a live ``Session-Id`` may read its own
  tenant's journal (``GET /_mock/requests``, ``/_mock/requests/stream``) and reset its own
  tenant (``POST /_mock/reset``), and read and set its own tenant's clock (``/_mock/clock``),
  from any address: the session already reads and writes that tenant's data through the API.
  The request is rewritten to name the session's tenant; naming another tenant, or any other
  admin route, is a 403.
- **No cross-site writes.** A ``POST``/``PUT``/``DELETE``/``PATCH`` that a browser marks as
  coming from another site (``Sec-Fetch-Site: cross-site`` or ``same-site``) or whose
  ``Origin`` is not the ``Host`` it was sent to is a 403, whoever sends it; one that carries a
  body must declare it JSON or YAML (else 415), which no HTML form can.

The dashboard's page and files (``GET /_mock/ui``, ``/_mock/ui/FILE``) hold no data and load
for anyone; the page asks the admin API, guarded as above.

Checks run in that order: cross-site, authority, media type. ``/health`` and the API
documentation are not admin routes and stay open. The guard knows the request's headers,
its peer address and the sessions; it never reads a body, and it never logs or echoes the
token.
"""

from __future__ import annotations

import hmac
import ipaddress
from urllib.parse import urlencode, urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from ..binding import parse_query
from ..models import ErrorBody, encode
from ..routes import ADMIN_PREFIX, route_path
from ..sessions import Session
from ..state import State
from ..wire import JSON_BYTES, SESSION_HEADER_BYTES

_ADMIN_ROOT = ADMIN_PREFIX.rstrip("/")  # "/_mock"
# A session controls its own tenant's clock (the server-wide and other tenants' need admin).
CLOCK_ROUTES = frozenset(
    (
        ("GET", "/_mock/clock"),
        ("PUT", "/_mock/clock"),
        ("DELETE", "/_mock/clock"),
        ("POST", "/_mock/clock/advance"),
    )
)
_WRITES = frozenset(("POST", "PUT", "DELETE", "PATCH"))
# What a session may do without admin authority, on its own tenant only.
SESSION_ROUTES = (
    frozenset(
        (("GET", "/_mock/requests"), ("GET", "/_mock/requests/stream"), ("POST", "/_mock/reset"))
    )
    | CLOCK_ROUTES
)
# The dashboard's page and files hold no data: they load for anyone (what the page then asks
# the admin API is checked as any request is).
_OPEN_PREFIX = "/_mock/ui"
_OPEN_METHODS = frozenset(("GET", "HEAD"))
_JSON_TYPES = frozenset(("application/json", "text/json"))
_YAML_TYPES = frozenset(("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"))
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}

STARTUP_NOTICE = (
    "mockserver: remote admin is off: /_mock/ answers loopback clients only; start with "
    "--admin-token TOKEN (or MOCKSERVER_ADMIN_TOKEN) to use it from other hosts"
)
NEEDS_TOKEN = (
    "This admin route needs 'Authorization: Bearer <token>' (the server's --admin-token / "
    "MOCKSERVER_ADMIN_TOKEN). Without it, a live Session-Id may only read "
    "(GET /_mock/requests), reset (POST /_mock/reset) and set the clock (/_mock/clock) of its "
    "own tenant."
)
REMOTE_OFF = (
    "Remote admin is off: without an admin token, admin routes answer only clients on the "
    "loopback interface. Start the server with --admin-token TOKEN (or MOCKSERVER_ADMIN_TOKEN) "
    "and send 'Authorization: Bearer TOKEN'. A live Session-Id may read (GET /_mock/requests), "
    "reset (POST /_mock/reset) and set the clock (/_mock/clock) of its own tenant from "
    "anywhere."
)
SESSION_SCOPE = (
    "A session may only read (GET /_mock/requests), reset (POST /_mock/reset) and set the "
    "clock (/_mock/clock) of its own tenant '{}'; this request needs the admin token (or a "
    "loopback client when the server has none)."
)
CROSS_SITE = (
    "Admin routes refuse cross-site requests: {}. Send admin writes from a script or "
    "command line (curl, httpx), not from a web page."
)
LOOPBACK_HOST = (
    "Without an admin token, admin routes answer loopback requests addressed to an IP "
    "address or a name without a dot (such as localhost), not to '{}' (a guard against DNS "
    "rebinding). Use http://127.0.0.1:PORT, or start the server with --admin-token."
)
MEDIA_TYPE = (
    "The request entity's media type '{}' is not supported for this resource: admin routes "
    "take application/json or a YAML type (application/yaml, text/yaml)."
)


def is_loopback(client: tuple[str, int] | list[object] | None) -> bool:
    """Whether an ASGI ``client`` is on the loopback interface. None (an in-process transport
    with no address) counts, and so does ``testclient``, the placeholder Starlette's test
    client puts there: a server's peers always have IP addresses."""
    if client is None:
        return True
    host = str(client[0])
    if host == "testclient":
        return True
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def is_loopback_host(host: str) -> bool:
    """Whether ``--host`` binds only the loopback interface (``localhost`` does)."""
    host = host.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _endpoint(netloc: str, scheme: str) -> tuple[str, int | None] | None:
    """``(host, port)`` of ``host[:port]``, the port defaulting by scheme; None if malformed."""
    try:
        parts = urlsplit("//" + netloc)
        port = parts.port
    except ValueError:
        return None
    if parts.hostname is None or parts.username is not None:
        return None
    return parts.hostname.lower(), port if port is not None else _DEFAULT_PORTS.get(scheme)


def _local_name(host: bytes | None) -> bool:
    """Whether a ``Host`` header names the server as only a local client would: an IP
    address, or a name without a dot (``localhost``, ``testserver``), or under
    ``.localhost``. An attacker's domain always has a dot."""
    if host is None:
        return True  # HTTP/1.0: nothing a browser would send
    endpoint = _endpoint(host.decode("latin-1"), "http")
    if endpoint is None:
        return False
    name = endpoint[0]
    if "." not in name or name.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _cross_site(headers: dict[bytes, bytes], scheme: str) -> str | None:
    """Why a write is cross-site, or None."""
    fetch_site = headers.get(b"sec-fetch-site", b"").lower()
    if fetch_site in (b"cross-site", b"same-site"):
        return f"Sec-Fetch-Site is '{fetch_site.decode('latin-1')}'"
    origin = headers.get(b"origin")
    if origin is None:
        return None
    shown = origin.decode("latin-1")
    try:
        parts = urlsplit(shown)
    except ValueError:
        return f"Origin '{shown}' is not an origin"
    source = _endpoint(parts.netloc, parts.scheme.lower()) if parts.scheme else None
    if source is None:
        return f"Origin '{shown}' is not an origin"
    host = headers.get(b"host")
    target = _endpoint(host.decode("latin-1"), scheme) if host is not None else None
    if source != target:
        return f"Origin '{shown}' is not this server"
    return None


def _media_type(headers: dict[bytes, bytes]) -> str | None:
    """The declared media type of a request that carries a body, lower case ("" if none
    is declared); None for a request without one."""
    length = headers.get(b"content-length")
    if b"transfer-encoding" not in headers and (length is None or length.strip() == b"0"):
        return None
    declared = headers.get(b"content-type", b"").decode("latin-1")
    return declared.split(";", 1)[0].strip().lower()


def _accepted(media: str) -> bool:
    return (
        media in _JSON_TYPES
        or media in _YAML_TYPES
        or (media.startswith("application/") and media.endswith(("+json", "+yaml")))
    )


class _Refusal(Exception):
    def __init__(self, status: int, message: str, headers: tuple[tuple[bytes, bytes], ...] = ()):
        super().__init__(message)
        self.status = status
        self.body = encode(ErrorBody(Message=message))
        self.headers = headers


_CHALLENGE = ((b"www-authenticate", b'Bearer realm="mockserver admin"'),)


class AdminGuard:
    """Pure ASGI: guards the admin routes as the module says; ``state`` gives the settings
    (read once) and the sessions (read per request: a test may replace them)."""

    def __init__(self, app: ASGIApp, state: State) -> None:
        self.app = app
        self.state = state
        self.base_path = state.settings.base_path
        self.token = state.settings.admin_token.encode("utf-8")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _ADMIN_ROOT in scope["path"]:
            route = route_path(scope["path"], self.base_path)
            if route.startswith(ADMIN_PREFIX) and not _is_open(route, scope["method"]):
                try:
                    scope = self._admitted(scope, route)
                except _Refusal as refusal:
                    await _answer(send, refusal)
                    return
        await self.app(scope, receive, send)

    def _admitted(self, scope: Scope, route: str) -> Scope:
        """The scope to serve (rewritten for a session's own tenant), or ``_Refusal``."""
        headers: dict[bytes, bytes] = {}
        for name, value in scope["headers"]:
            headers.setdefault(name, value)  # the first of a repeated header, as ASP.NET
        method: str = scope["method"]
        if method in _WRITES:
            reason = _cross_site(headers, scope.get("scheme", "http"))
            if reason is not None:
                raise _Refusal(403, CROSS_SITE.format(reason))
        if not self._is_admin(scope, headers):
            scope = self._session_scope(scope, headers, method, route)
        if method in _WRITES:
            media = _media_type(headers)
            if media is not None and not _accepted(media):
                raise _Refusal(415, MEDIA_TYPE.format(media or "(none)"))
        return scope

    def _is_admin(self, scope: Scope, headers: dict[bytes, bytes]) -> bool:
        if not self.token:
            if not is_loopback(scope.get("client")):
                return False
            host = headers.get(b"host")
            if not _local_name(host):
                assert host is not None
                raise _Refusal(403, LOOPBACK_HOST.format(host.decode("latin-1")))
            return True
        scheme, _, given = headers.get(b"authorization", b"").strip().partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(given.strip(), self.token)

    def _session_scope(
        self, scope: Scope, headers: dict[bytes, bytes], method: str, route: str
    ) -> Scope:
        """A session-holder's request, confined to its own tenant; else the refusal of a
        request without admin authority."""
        session = self._session(headers)
        if session is None:
            if self.token:
                raise _Refusal(401, NEEDS_TOKEN, _CHALLENGE)
            raise _Refusal(403, REMOTE_OFF)
        if (method, route) not in SESSION_ROUTES:
            raise _Refusal(403, SESSION_SCOPE.format(session.tenant))
        pairs = parse_query(scope["query_string"])
        kept = []
        for key, value in pairs:
            if key.lower() != "tenant":
                kept.append((key, value))
            elif value and value != session.tenant:
                raise _Refusal(403, SESSION_SCOPE.format(session.tenant))
        kept.append(("tenant", session.tenant))
        return {**scope, "query_string": urlencode(kept).encode("ascii")}

    def _session(self, headers: dict[bytes, bytes]) -> Session | None:
        session_id = headers.get(SESSION_HEADER_BYTES)
        if not session_id:
            return None
        return self.state.sessions.lookup(session_id.decode("latin-1"))


def _is_open(route: str, method: str) -> bool:
    """The dashboard's page or one of its files (``/_mock/ui``, ``/_mock/ui/app.js``)."""
    return (
        method in _OPEN_METHODS
        and route.startswith(_OPEN_PREFIX)
        and (len(route) == len(_OPEN_PREFIX) or route[len(_OPEN_PREFIX)] == "/")
    )


async def _answer(send: Send, refusal: _Refusal) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": refusal.status,
            "headers": [
                (b"content-type", JSON_BYTES),
                (b"content-length", b"%d" % len(refusal.body)),
                *refusal.headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": refusal.body})
