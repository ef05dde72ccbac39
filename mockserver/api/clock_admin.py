"""``/_mock/clock``: read and set the mock's time (``mockserver.clock``) over HTTP.

``GET`` answers ``{"now": ISO 8601 UTC, "frozen": bool, "real": bool, "source": "tenant" |
"server" | "real", "tenant": NAME | null}``; ``PUT {"now": ..., "frozen": true}`` sets the
clock (frozen unless ``"frozen": false``), ``POST /_mock/clock/advance`` with ``{"seconds": N}``
or ``{"by": "PT31M"}`` moves it forward, ``DELETE`` drops the setting; each answers what
``GET`` shows afterwards. The scope is ``?tenant=NAME``, else the caller's session's tenant,
else the server-wide setting. Who may call is ``api.guard``'s business (a session only for its
own tenant).

Bodies are JSON, or YAML (as every admin body may be: read by the scenarios' bounded parser,
then validated as the same JSON would be).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TypeVar

import msgspec
from starlette.requests import Request
from starlette.responses import Response

from ..clock import BACKWARDS, ClockError, ClockLimitError, Clocks, iso, parse_duration
from ..models import BodyError, Model, decode_body, encode
from ..scenario_yaml import YamlProblems, parse
from ..wire import DENIED, JSON, SESSION_HEADER
from .common import ApiError, invalid, read_body, state_of

PARAM = "clock"
MAX_YAML_BYTES = 64 * 1024
_YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml")
B = TypeVar("B", bound=Model)


class ClockBody(Model, kw_only=True):
    """``PUT /_mock/clock``: the time to set, and whether it stands still."""

    now: datetime | None = None
    frozen: bool = True


class AdvanceBody(Model, kw_only=True):
    """``POST /_mock/clock/advance``: a step in seconds, or an ISO 8601 duration."""

    seconds: float | None = None
    by: str | None = None


async def _body(request: Request, cls: type[B]) -> B:
    """The body as ``cls``: JSON as every API body is read, or YAML."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media not in _YAML_TYPES and not (
        media.startswith("application/") and media.endswith("+yaml")
    ):
        return await read_body(request, cls, PARAM)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_YAML_BYTES:
            raise ApiError(413, f"The request body is larger than {MAX_YAML_BYTES} bytes.")
        chunks.append(chunk)
    try:
        value = parse(b"".join(chunks).decode("utf-8"), "<body>", as_json=False).value
        raw = msgspec.json.encode(value)
    except UnicodeDecodeError:
        raise invalid({PARAM: ["The body is not UTF-8 text."]}) from None
    except YamlProblems as error:
        raise invalid({PARAM: error.problems}) from None
    except (TypeError, msgspec.EncodeError):
        raise invalid({PARAM: ["The body holds a value JSON cannot (such as a date)."]}) from None
    try:
        return decode_body(raw, cls, PARAM)
    except BodyError as error:
        raise invalid(error.model_state) from None


def _scope(request: Request) -> str | None:
    """The tenant the request is about (None: the server-wide setting)."""
    named = request.query_params.get("tenant")
    if named:
        return named
    session_id = request.headers.get(SESSION_HEADER)
    if session_id:
        session = state_of(request).sessions.lookup(session_id)
        if session is None:
            raise ApiError(401, DENIED)  # never the server-wide clock by mistake
        return session.tenant
    return None


def _shown(clocks: Clocks, tenant: str | None) -> Response:
    reading = clocks.reading(tenant)
    body = {
        "now": iso(reading.now),
        "frozen": reading.frozen,
        "real": reading.real,
        "source": reading.source,
        "tenant": tenant,
    }
    return Response(encode(body), 200, media_type=JSON)


async def show(request: Request) -> Response:
    return _shown(state_of(request).clocks, _scope(request))


async def put(request: Request) -> Response:
    tenant = _scope(request)
    body = await _body(request, ClockBody)
    if body.now is None:
        raise invalid({f"{PARAM}.now": ["The now field is required."]})
    clocks = state_of(request).clocks
    try:
        clocks.set(tenant, body.now, body.frozen)
    except ClockError as error:
        raise _refused(error, "now") from None
    return _shown(clocks, tenant)


async def advance(request: Request) -> Response:
    tenant = _scope(request)
    body = await _body(request, AdvanceBody)
    if (body.seconds is None) == (body.by is None):
        raise invalid({PARAM: ["Give either seconds (a number) or by (an ISO 8601 duration)."]})
    step: timedelta
    if body.by is not None:
        try:
            step = parse_duration(body.by)
        except ValueError as error:
            raise invalid({f"{PARAM}.by": [str(error)]}) from None
        field = "by"
    else:
        assert body.seconds is not None
        field = "seconds"
        if body.seconds < 0:
            raise invalid({f"{PARAM}.seconds": [BACKWARDS]})
        try:
            step = timedelta(seconds=body.seconds)
        except OverflowError:
            raise invalid({f"{PARAM}.seconds": [f"{body.seconds} seconds is too far."]}) from None
    clocks = state_of(request).clocks
    try:
        clocks.advance(tenant, step)
    except ClockError as error:
        raise _refused(error, field) from None
    return _shown(clocks, tenant)


async def delete(request: Request) -> Response:
    tenant = _scope(request)
    clocks = state_of(request).clocks
    clocks.reset(tenant)
    return _shown(clocks, tenant)


def _refused(error: ClockError, field: str) -> ApiError:
    if isinstance(error, ClockLimitError):
        return ApiError(507, str(error))
    return invalid({f"{PARAM}.{field}": [str(error)]})
