"""``/_mock/scenario``: show, replace and clear the active scenario at run time.

``PUT`` takes YAML or JSON: a JSON content type (or a body starting with ``{`` or ``[``) is
read as JSON. Its ``$ref`` paths are relative to the scenarios folder and may not leave it
(nor the fixtures folder beside it, nor the shipped examples); its ``data:`` may not ask for
more than ``--max-records`` customers and invoices. An invalid scenario is a 400 listing every
problem, and nothing changes.

Switching is all or nothing: the scenario is read and its data built off the event loop, in a
daemon thread (``scenarios.off_loop``: a shutdown never waits for it), then swapped in with plain
assignments; if even the answer cannot be made, the previous scenario, its rule counters and
its data are swapped back. What a scenario means is ``mockserver.scenarios``' business.
"""

from __future__ import annotations

import functools

from starlette.requests import Request
from starlette.responses import Response

from ..models import encode
from ..scenarios import (
    Prepared,
    Scenario,
    ScenarioError,
    apply,
    describe,
    load_sent,
    off_loop,
    prepare,
    runtime_of,
)
from ..state import State
from ..wire import JSON
from .common import ApiError, state_of

MAX_SCENARIO_BYTES = 16 * 1024 * 1024
INVALID_SCENARIO = "The scenario is invalid."


def _shown(request: Request) -> Response:
    return Response(encode(describe(state_of(request))), 200, media_type=JSON)


async def show(request: Request) -> Response:
    return _shown(request)


def _declares_json(request: Request) -> bool | None:
    """True for a JSON content type (``application/json``, ``...+json``); None otherwise
    (YAML, or a body that starts with ``{`` or ``[`` and reads as JSON)."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return True if media == "application/json" or media.endswith("+json") else None


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
    except UnicodeDecodeError as error:
        raise ApiError(
            400,
            INVALID_SCENARIO,
            {"scenario": [f"The body is not UTF-8 text (byte {error.start} is not UTF-8)."]},
        ) from None
    try:
        # Reading 16 MiB of YAML takes seconds: off the loop too, like building the data.
        scenario = await off_loop(
            functools.partial(load_sent, text, state.settings, as_json=_declares_json(request))
        )
        prepared = await _prepared(state, scenario)
    except ScenarioError as error:
        raise ApiError(400, INVALID_SCENARIO, {"scenario": error.problems}) from None
    return _swapped(state, prepared)


async def clear(request: Request) -> Response:
    """Back to the start-up scenarios (none without ``--scenario``)."""
    state = state_of(request)
    return _swapped(state, await _prepared(state, runtime_of(state).startup))


async def _prepared(state: State, scenario: Scenario | None) -> Prepared:
    """What activating ``scenario`` swaps in, built off the loop. Built again if another
    switch changed the running data meanwhile (a preparation that keeps the running store
    is only right for the data it was prepared against)."""
    while True:
        prepared = await off_loop(functools.partial(prepare, state, scenario))
        if prepared.store is not None or prepared.key == runtime_of(state).key:
            return prepared


def _swapped(state: State, prepared: Prepared) -> Response:
    previous = apply(state, prepared)
    try:
        return Response(encode(describe(state)), 200, media_type=JSON)
    except BaseException:
        apply(state, previous)  # all or nothing, even for a failure nobody foresaw
        raise
