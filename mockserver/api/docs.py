"""The OpenAPI document and Swagger UI.

The document is generated from the route table and the application's settings on the first
request and served as cached bytes after (kept per application, so the root and the base
path share it, and two applications in one process never do). Swagger UI's files come from the
``swagger-ui-bundle-v2`` package, never a CDN, so the docs work in a container with no
internet. Every page links by absolute path under the mount it was requested through, so the
same routes serve at the root and under the base path.
"""

from __future__ import annotations

import html
import json
from importlib.resources import files
from importlib.resources.abc import Traversable

from starlette.requests import Request
from starlette.responses import Response

from ..openapi import document_bytes
from ..routes import SPEC_PATH, SWAGGER_UI_ASSETS, UI_PATH
from ..settings import Settings
from ..wire import JSON, not_found
from .common import ApiError

HTML = "text/html; charset=utf-8"
_CACHED = {"Cache-Control": "public, max-age=86400"}

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mockserver API</title>
<link rel="stylesheet" href="{ui}/swagger-ui.css">
<link rel="icon" type="image/png" href="{ui}/favicon-32x32.png" sizes="32x32">
<link rel="icon" type="image/png" href="{ui}/favicon-16x16.png" sizes="16x16">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{ui}/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({{
  url: {spec},
  dom_id: "#swagger-ui",
  deepLinking: true,
  displayRequestDuration: true,
  persistAuthorization: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout"
}});
</script>
</body>
</html>
"""


def _distribution() -> Traversable:
    """The Swagger UI distribution folder inside the installed package."""
    vendor = files("swagger_ui_bundle") / "vendor"
    folders = sorted(
        entry.name for entry in vendor.iterdir() if entry.name.startswith("swagger-ui-")
    )
    if not folders:
        raise RuntimeError("the swagger-ui-bundle-v2 package has no Swagger UI distribution")
    return vendor / folders[-1]


class Docs:
    """The documentation routes of one application, each answer built on first use and
    kept: the OpenAPI document for its settings, the UI page per mount, the UI's files."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._document: bytes | None = None
        self._pages: dict[str, bytes] = {}
        self._assets: dict[str, bytes] = {}

    async def document(self, request: Request) -> Response:
        """The OpenAPI document."""
        body = self._document
        if body is None:
            body = self._document = document_bytes(self.settings)
        return Response(body, 200, media_type=JSON)

    async def ui(self, request: Request) -> Response:
        """Swagger UI, linking its files and the document under the mount it was asked
        through."""
        prefix: str = request.scope.get("root_path", "")
        page = self._pages.get(prefix)
        if page is None:
            page = self._pages[prefix] = _PAGE.format(
                ui=html.escape(prefix + UI_PATH),
                spec=html.escape(json.dumps(prefix + SPEC_PATH), quote=False),
            ).encode()
        return Response(page, 200, media_type=HTML)

    async def asset(self, request: Request) -> Response:
        """One file of the Swagger UI distribution; a 404 for any other name."""
        name: str = request.path_params["asset"]
        media = SWAGGER_UI_ASSETS.get(name)
        if media is None:
            raise ApiError(404, not_found(request.url.path))
        body = self._assets.get(name)
        if body is None:
            body = self._assets[name] = (_distribution() / name).read_bytes()
        return Response(body, 200, _CACHED, media_type=media)
