"""The OpenAPI document and Swagger UI.

The document is generated from the running application's routes and settings on the first
request and served as cached bytes after (kept on the application, so the root and the base
path share it). Swagger UI's files come from the
``swagger-ui-bundle-v2`` package, never a CDN, so the docs work in a container with no
internet. Every page links by absolute path under the mount it was requested through, so the
same routes serve at the root and under the base path.
"""

from __future__ import annotations

import html
import json
from functools import cache
from importlib.resources import files
from importlib.resources.abc import Traversable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ..openapi import SWAGGER_UI_ASSETS, document_bytes
from .common import JSON, ApiError, state_of

SPEC_PATH = "/swagger/docs/v1"
UI_PATH = "/swagger/ui"

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


@cache
def _asset(name: str) -> bytes:
    return (_distribution() / name).read_bytes()


@cache
def _page(prefix: str) -> bytes:
    return _PAGE.format(
        ui=html.escape(prefix + UI_PATH),
        spec=html.escape(json.dumps(prefix + SPEC_PATH), quote=False),
    ).encode()


async def document(request: Request) -> Response:
    """The OpenAPI document, built from this application's routes on first use."""
    app_state = request.app.state
    body: bytes | None = getattr(app_state, "openapi_document", None)
    if body is None:
        body = app_state.openapi_document = document_bytes(
            request.app.routes, state_of(request).settings
        )
    return Response(body, 200, media_type=JSON)


async def swagger_ui(request: Request) -> Response:
    """Swagger UI, linking its files and the document under the mount it was asked through."""
    return Response(_page(request.scope.get("root_path", "")), 200, media_type=HTML)


async def swagger_ui_asset(request: Request) -> Response:
    name: str = request.path_params["asset"]
    media = SWAGGER_UI_ASSETS.get(name)
    if media is None:
        raise ApiError(
            404, f"No HTTP resource was found that matches the request URI '{request.url.path}'."
        )
    return Response(_asset(name), 200, _CACHED, media_type=media)


def routes() -> list[BaseRoute]:
    """The documentation routes; mount them at the root and under the base path alike."""
    return [
        Route(SPEC_PATH, document, methods=["GET"]),
        Route("/openapi.json", document, methods=["GET"]),
        Route(UI_PATH + "/index", swagger_ui, methods=["GET"]),
        Route("/docs", swagger_ui, methods=["GET"]),
        Route(UI_PATH + "/{asset}", swagger_ui_asset, methods=["GET"]),
    ]
