"""The answer of every operation of the vendor's API that the mock does not implement.

The route table derives these operations from the vendor's catalogue
(``mockserver.routes.UNMOCKED``); each is a known route, so a client that calls one learns
that the mock does not implement it instead of meeting a 404 that looks like a wrong URL.
With an upstream configured (``--upstream``) the request passes through to it; otherwise, once
the session is checked as on every protected route (a 401 without one where auth is required),
the answer is a 501 with an ASP.NET-shaped ``Message`` naming the operation and how to provide it,
and the request is marked in ``scope["state"]`` so that the journal (and the pytest plugin's
report) flag it like a request no route matched.

It knows the route table's operations, the vendor's spelling of their paths
(``mockserver.vendor``) and the state's optional upstream; it knows nothing of how
passthrough works.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from ..models import ErrorBody, encode
from ..routes import Operation
from ..vendor import CATALOGUE, shape
from ..wire import UNMOCKED_KEY, not_mocked
from .common import resolve_tenant, send_json, state_of

NOT_IMPLEMENTED = 501


class Unmocked:
    """The handler of the unmocked operations: ``answering(op)`` is the raw ASGI endpoint of
    one of them, its 501 body encoded once. The message spells the path as the vendor does
    (the route may name its parameters after another operation of the same path)."""

    def __init__(self) -> None:
        self.spelling = {(v.method, v.shape): v.path for v in CATALOGUE}

    def answering(self, op: Operation) -> ASGIApp:
        path = self.spelling.get((op.method, shape(op.path)), op.path)
        body = encode(ErrorBody(Message=not_mocked(op.method, path, op.operation_id)))

        async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
            state = state_of(scope)
            upstream = state.upstream  # the bridge's passthrough (--upstream)
            if upstream is not None:
                await upstream.forward(scope, receive, send)
                return
            resolve_tenant(state, scope)  # a 401 for a bad session; names the tenant
            scope.setdefault("state", {})[UNMOCKED_KEY] = True
            await send_json(send, body, NOT_IMPLEMENTED)

        return endpoint
