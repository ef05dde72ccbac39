"""The list envelope, assembled from cached record bytes."""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response

from .common import JSON

TOTAL_HEADER = "X-Total-Count"


def list_response(page: list[int], total: int, record_json: Callable[[int], bytes]) -> Response:
    """``{"result_count": N, "results": [...]}`` for one page; the total travels in a header,
    never in the body, so the body stays faithful to the real API."""
    body = b"".join(
        (
            b'{"result_count":',
            str(len(page)).encode(),
            b',"results":[',
            b",".join([record_json(record_id) for record_id in page]),
            b"]}",
        )
    )
    return Response(body, 200, {TOTAL_HEADER: str(total)}, media_type=JSON)
