"""``/api/auth``: log in, check and renew a session.

Login accepts any non-empty values for the four fields (keys match case-insensitively, as
the vendor's own example sends them in lower case); the ``Database`` names the tenant.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from ..models import LoginAnswer, LogInInfo, is_blank
from ..sessions import Session
from .common import DENIED, ApiError, invalid, model_response, read_body, session_of, state_of

_FIELDS = ("UserName", "Password", "Database", "ApiKey")


async def _credentials(request: Request) -> LogInInfo:
    info = await read_body(request, LogInInfo, "info")
    empty = {
        f"info.{name}": [f"The {name} field is required."]
        for name in _FIELDS
        if is_blank(getattr(info, name))
    }
    if empty:
        raise invalid(empty)
    return info


def _answer(session: Session) -> Response:
    return model_response(LoginAnswer(code=200, message="ok", session_id=session.session_id))


async def login(request: Request) -> Response:
    info = await _credentials(request)
    session = state_of(request).sessions.login(info.Database)
    request.state.tenant = info.Database
    return _answer(session)


async def renew(request: Request) -> Response:
    """Renew the caller's session for another full lifetime; without one (auth optional or
    off), log in afresh."""
    session = session_of(request)
    info = await _credentials(request)
    sessions = state_of(request).sessions
    if session is None:
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
