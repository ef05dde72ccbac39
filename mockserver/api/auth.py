"""``/api/auth``: log in, check and renew a session.

Login accepts any non-empty values for the four fields (keys match case-insensitively, as
the vendor's own example sends them in lower case); the ``Database`` names the tenant.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..models import LoginAnswer, LogInInfo
from ..sessions import Session
from ..wire import DENIED
from .common import (
    ApiError,
    model_response,
    open_tenant,
    read_body,
    session_of,
    state_of,
)


async def _credentials(request: Request) -> LogInInfo:
    """The four fields, each present and not blank (``[Required]``: ``read_body`` checks)."""
    return await read_body(request, LogInInfo, "info")


def _answer(session: Session) -> Response:
    return model_response(LoginAnswer(code=200, message="ok", session_id=session.session_id))


async def login(request: Request) -> Response:
    info = await _credentials(request)
    state = state_of(request)
    open_tenant(state, info.Database)  # the Database's tenant, within --max-tenants
    session = state.sessions.login(info.Database)
    request.state.tenant = info.Database
    return _answer(session)


async def renew(request: Request) -> Response:
    """Renew the caller's session for another full lifetime; without one (auth optional or
    off), log in afresh."""
    session = session_of(request)
    info = await _credentials(request)
    sessions = state_of(request).sessions
    if session is None:
        open_tenant(state_of(request), info.Database)
        session = sessions.login(info.Database)
    else:
        sessions.renew(session)
    request.state.tenant = session.tenant
    return _answer(session)


async def alive(request: Request) -> Response:
    """200 for a live session; 401 otherwise (with auth off every caller is alive)."""
    session = session_of(request)
    if session is None:
        if state_of(request).settings.auth != "off":
            raise ApiError(401, DENIED)
        return model_response(LoginAnswer(code=200, message="ok", session_id=""))
    request.state.tenant = session.tenant
    return model_response(LoginAnswer(code=200, message="ok", session_id=session.session_id))
