"""The yardstick of benchmark (b): a bare Starlette app that answers every GET with one
precomputed JSON page of a given size, on the same uvicorn configuration as ``mockserver
serve`` (httptools and uvloop, no access log) but uvicorn's own HTTP protocol class, without
the mock's extensions (``mockserver.protocol``).

Usage: python bench/baseline_app.py PORT BODY_BYTES
"""

from __future__ import annotations

import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mockserver.serving import uvicorn_config
from mockserver.settings import Settings

JSON = "application/json; charset=utf-8"


def page_of_size(size: int) -> bytes:
    """A valid JSON list envelope of exactly ``size`` bytes (padded inside a string)."""
    head, tail = b'{"result_count":0,"results":[],"pad":"', b'"}'
    return head + b"x" * max(0, size - len(head) - len(tail)) + tail


def create_app(body: bytes) -> Starlette:
    # The same headers as a mock list answer, so both send the same number of bytes.
    headers = {"X-Total-Count": "200"}

    async def page(request: Request) -> Response:
        return Response(body, 200, headers, media_type=JSON)

    # One catch-all route: the wrk mix's varied paths all reach the one handler.
    return Starlette(routes=[Route("/{path:path}", page, methods=["GET"])])


def main() -> None:
    port, size = int(sys.argv[1]), int(sys.argv[2])
    settings = Settings(host="127.0.0.1", port=port, log_level="warning")
    config = uvicorn_config(create_app(page_of_size(size)), settings, http="httptools")
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
