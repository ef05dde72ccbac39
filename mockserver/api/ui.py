"""The dashboard (``/_mock/ui``) and the admin routes only it needed.

- ``GET /_mock/ui``: the page, and ``GET /_mock/ui/{asset}`` its script and style sheet: plain
  files shipped in the package (``mockserver/data/ui/``), never a CDN. They hold no data, so
  the guard lets them load for anyone; everything the page shows comes from the admin API,
  which the guard checks as for any other client. The page is told, in two ``<meta>`` tags,
  where the admin routes are (the mount it was asked through) and where the API is (the base
  path).
- ``GET /_mock/scenarios``: the named scenarios (the user's folder first, then the shipped
  ones), each with its origin and one-line summary, and the active scenario as YAML text to
  edit (its file when it came from one, else its settings and rules written out).
- ``GET /_mock/scenarios/{name}``: a named scenario's text, to apply it with ``PUT``.
- ``POST /_mock/scenario/check``: reads a scenario as ``PUT /_mock/scenario`` would and
  answers its problems with their line and column, changing nothing.

What a scenario means, and how one is read, is ``mockserver.scenarios``'; this module only
answers.
"""

from __future__ import annotations

import functools
import html
import re
from importlib.resources import files
from typing import Any

import msgspec
import yaml
from starlette.requests import Request
from starlette.responses import Response

from ..models import encode
from ..routes import UI_ASSETS
from ..scenarios import (
    BODY_SOURCE,
    ScenarioError,
    available,
    load_sent,
    off_loop,
    runtime_of,
    summary,
)
from ..wire import JSON, not_found
from .common import ApiError, state_of
from .scenario_admin import MAX_SCENARIO_BYTES

HTML = "text/html; charset=utf-8"
YAML = "application/yaml; charset=utf-8"
# The page may talk to its own origin only, and run only its own script: nothing it loads
# or sends can leave the server it came from.
_PAGE_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
}
_ASSET_HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
_SITE = re.compile(r"^(.*?):(\d+):(\d+): (.*)$", re.DOTALL)


def _ui_file(name: str) -> bytes:
    return (files("mockserver") / "data" / "ui" / name).read_bytes()


class Dashboard:
    """The dashboard's files of one application, read on first use and kept (the page per
    mount it was asked through)."""

    def __init__(self, base_path: str) -> None:
        self.base_path = base_path
        self._pages: dict[str, bytes] = {}
        self._assets: dict[str, bytes] = {}

    async def page(self, request: Request) -> Response:
        prefix: str = request.scope.get("root_path", "")
        page = self._pages.get(prefix)
        if page is None:
            template = _ui_file("index.html").decode("utf-8")
            page = self._pages[prefix] = (
                template.replace("{{admin}}", html.escape(prefix + "/_mock"))
                .replace("{{api}}", html.escape(self.base_path + "/api"))
                .encode("utf-8")
            )
        return Response(page, 200, _PAGE_HEADERS, media_type=HTML)

    async def asset(self, request: Request) -> Response:
        name: str = request.path_params["asset"]
        media = UI_ASSETS.get(name)
        if media is None:
            raise ApiError(404, not_found(request.url.path))
        body = self._assets.get(name)
        if body is None:
            body = self._assets[name] = _ui_file(name)
        return Response(body, 200, _ASSET_HEADERS, media_type=media)


def _active_text(request: Request) -> dict[str, Any]:
    """The active scenario as text to edit: its one file's text, else its spec as YAML."""
    scenario = runtime_of(state_of(request)).active
    if scenario is None:
        return {"active": False, "name": None, "text": ""}
    text = None
    if len(scenario.sources) == 1 and scenario.sources[0] != BODY_SOURCE:
        try:
            with open(scenario.sources[0], encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError):
            text = None  # changed on disk since: show what is active instead
    if text is None:
        text = yaml.safe_dump(
            msgspec.to_builtins(scenario.spec), sort_keys=False, allow_unicode=True
        )
    return {"active": True, "name": scenario.name, "text": text}


async def list_scenarios(request: Request) -> Response:
    """``{"scenarios": [{name, origin, summary, shadows_shipped}], "active": {...}}``."""
    folder = state_of(request).settings.scenarios_dir
    found = await off_loop(functools.partial(available, folder))
    listed = [
        {
            "name": item.name,
            "origin": "shipped" if item.shipped else "user",
            "summary": summary(item.path),
            "shadows_shipped": item.shadows_shipped,
        }
        for item in found
    ]
    body = {"scenarios": listed, "active": _active_text(request)}
    return Response(encode(body), 200, media_type=JSON)


async def scenario_text(request: Request) -> Response:
    """A named scenario's file as text; 404 for a name no scenario has."""
    name: str = request.path_params["name"]
    folder = state_of(request).settings.scenarios_dir
    for item in await off_loop(functools.partial(available, folder)):
        if item.name == name:
            try:
                with open(item.path, "rb") as handle:
                    body = handle.read(MAX_SCENARIO_BYTES + 1)
            except OSError as error:
                raise ApiError(
                    404, f"The scenario '{name}' cannot be read: {error.strerror}."
                ) from None
            media = JSON if item.path.lower().endswith(".json") else YAML
            return Response(body, 200, media_type=media)
    raise ApiError(404, f"There is no scenario named '{name}'.")


def _problem(text: str) -> dict[str, Any]:
    site = _SITE.match(text)
    if site is None:
        return {"file": None, "line": None, "column": None, "message": text, "text": text}
    return {
        "file": site.group(1),
        "line": int(site.group(2)),
        "column": int(site.group(3)),
        "message": site.group(4),
        "text": text,
    }


async def check_scenario(request: Request) -> Response:
    """``{"valid": bool, "problems": [{file, line, column, message, text}]}``: the scenario
    read as ``PUT /_mock/scenario`` reads it (its data's size checked, nothing built)."""
    state = state_of(request)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_SCENARIO_BYTES:
            raise ApiError(413, f"The scenario is larger than {MAX_SCENARIO_BYTES} bytes.")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ApiError(
            400,
            "The scenario is invalid.",
            {"scenario": [f"The body is not UTF-8 text (byte {error.start} is not UTF-8)."]},
        ) from None
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    as_json = True if media == "application/json" or media.endswith("+json") else None
    try:
        await off_loop(functools.partial(load_sent, text, state.settings, as_json=as_json))
    except ScenarioError as error:
        problems = [_problem(p) for p in error.problems]
        return Response(encode({"valid": False, "problems": problems}), 200, media_type=JSON)
    return Response(encode({"valid": True, "problems": []}), 200, media_type=JSON)
