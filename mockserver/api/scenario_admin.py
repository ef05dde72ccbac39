"""``/_mock/scenario``: show, replace and clear the active scenario at run time.

``PUT`` takes YAML or JSON (any content type); ``$ref`` paths in it are relative to the
scenarios folder. An invalid scenario is a 400 listing every problem, and nothing changes.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..models import encode
from ..scenarios import BODY_SOURCE, ScenarioError, activate, apply, describe, load_text, prepare
from .common import JSON, ApiError, state_of

MAX_SCENARIO_BYTES = 16 * 1024 * 1024
INVALID_SCENARIO = "The scenario is invalid."


def _shown(request: Request) -> Response:
    return Response(encode(describe(state_of(request))), 200, media_type=JSON)


async def show(request: Request) -> Response:
    return _shown(request)


async def replace(request: Request) -> Response:
    state = state_of(request)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_SCENARIO_BYTES:
            raise ApiError(413, f"The scenario is larger than {MAX_SCENARIO_BYTES} bytes.")
        chunks.append(chunk)
    try:
        text = b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(
            400, INVALID_SCENARIO, {"scenario": ["The body is not UTF-8 text."]}
        ) from None
    try:
        scenario = load_text(text, BODY_SOURCE, state.settings.scenarios_dir)
        # Building data can take a while: off the event loop, then swapped in at once.
        prepared = await run_in_threadpool(prepare, state, scenario)
    except ScenarioError as error:
        raise ApiError(400, INVALID_SCENARIO, {"scenario": error.problems}) from None
    apply(state, prepared)
    return _shown(request)


async def clear(request: Request) -> Response:
    """Back to the start-up scenarios (none without ``--scenario``)."""
    activate(state_of(request), None)
    return _shown(request)


def routes() -> list[BaseRoute]:
    return [
        Route("/_mock/scenario", show, methods=["GET"]),
        Route("/_mock/scenario", replace, methods=["PUT"]),
        Route("/_mock/scenario", clear, methods=["DELETE"]),
    ]
