"""How the mock is put on a socket: one uvicorn configuration for the command line, the
container and the ``MockServer`` test helper alike."""

from __future__ import annotations

from typing import Any

import uvicorn
from starlette.types import ASGIApp

from .settings import Settings


def uvicorn_config(app: ASGIApp, settings: Settings, **overrides: Any) -> uvicorn.Config:
    """httptools and uvloop where installed; the access log only at info level and below;
    in-flight requests get 2 s to finish on shutdown."""
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        "access_log": settings.log_level in ("info", "debug", "trace"),
        "timeout_graceful_shutdown": 2,
        "lifespan": "off",
    }
    options.update(overrides)
    return uvicorn.Config(app, **options)
