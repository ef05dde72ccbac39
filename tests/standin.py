"""A stand-in upstream for the bridge's tests: the mock itself on 127.0.0.1 and a free port,
under ``/Lemonsoft30`` with ``--auth required`` and its own seed, behind an ASGI middleware
that counts the HTTP methods it receives (the bridge must never send a write)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from threaded import UvicornThread

from mockserver.app import create_app
from mockserver.serving import uvicorn_config
from mockserver.settings import Settings

BASE_PATH = "/Lemonsoft30"


class MethodCounter:
    """Pure ASGI: counts ``METHOD path`` of every HTTP request, then hands it on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.methods: Counter[str] = Counter()
        self.requests: list[tuple[str, str]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.methods[scope["method"]] += 1
            self.requests.append((scope["method"], scope["path"]))
        await self.app(scope, receive, send)


@dataclass
class StandIn:
    url: str
    counter: MethodCounter
    app: Any
    thread: UvicornThread = field(repr=False)

    @property
    def writes(self) -> list[tuple[str, str]]:
        """Requests other than GET and the login."""
        return [
            (method, path)
            for method, path in self.counter.requests
            if method != "GET" and not path.lower().endswith("/api/auth/login")
        ]


@contextmanager
def stand_in(*, seed: int = 7, customers: int = 30, invoices: int = 120) -> Iterator[StandIn]:
    settings = Settings(log_level="warning").with_changes(
        seed=seed,
        customers=customers,
        invoices=invoices,
        base_path=BASE_PATH,
        auth="required",
        journal_size=0,
    )
    app = create_app(settings)
    counter = MethodCounter(app)
    thread = UvicornThread(
        lambda port: uvicorn_config(counter, settings, port=port, log_config=None)
    )
    try:
        yield StandIn(f"http://127.0.0.1:{thread.port}{BASE_PATH}", counter, app, thread)
    finally:
        thread.stop()
