"""``mockserver routes``: every operation of the vendor's API and what this mock does with it.

Each operation of the vendor's catalogue (``mockserver.vendor``) is ``mocked`` (the route
table serves it), ``passed through`` (the table does not, and an upstream is configured that
takes it: GETs always, writes only with ``--upstream-writes``) or ``not mocked`` (it answers
501); the table's own routes the vendor's API does not have (the mock's administration and
documentation) follow as ``mock only``. Text output aligns its columns; ``--json`` answers
the same rows as objects.

It reads the route table and the catalogue; it knows nothing of HTTP or of how passthrough
works.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass

from .routes import OPERATIONS
from .settings import Settings
from .vendor import CATALOGUE, shape

MOCKED, PASSED, NOT_MOCKED, MOCK_ONLY = "mocked", "passed through", "not mocked", "mock only"
_READS = frozenset({"GET", "HEAD"})


@dataclass(frozen=True)
class RouteRow:
    status: str
    method: str
    path: str  # the vendor's spelling; the table's for a mock-only route
    tag: str
    name: str  # the vendor's operation name; the table's operation id for a mock-only route
    summary: str


def passes_through(method: str, settings: Settings) -> bool:
    """Whether the bridge takes an unmocked operation of this method (``--upstream``; writes
    only with ``--upstream-writes``)."""
    return bool(settings.upstream) and (method in _READS or settings.upstream_writes)


def route_rows(settings: Settings) -> list[RouteRow]:
    """Every vendor operation in the catalogue's order, then the mock-only routes in the
    table's order."""
    served = {(op.method, shape(op.path)) for op in OPERATIONS if op.is_api}
    rows: list[RouteRow] = []
    for v in CATALOGUE:
        if (v.method, v.shape) in served:
            status = MOCKED
        elif passes_through(v.method, settings):
            status = PASSED
        else:
            status = NOT_MOCKED
        rows.append(RouteRow(status, v.method, v.path, v.tag, v.name, v.summary))
    known = {(v.method, v.shape) for v in CATALOGUE}
    rows.extend(
        RouteRow(MOCK_ONLY, op.method, op.path, op.tag, op.operation_id, op.summary)
        for op in OPERATIONS
        if (op.method, shape(op.path)) not in known
    )
    return rows


def counts(rows: list[RouteRow]) -> dict[str, int]:
    """How many rows of each status, every status named."""
    found = Counter(row.status for row in rows)
    return {status: found[status] for status in (MOCKED, PASSED, NOT_MOCKED, MOCK_ONLY)}


def render_text(rows: list[RouteRow]) -> str:
    """Aligned columns (status, method, path, tag, name, summary) and a closing count."""
    table = [(r.status, r.method, r.path, r.tag, r.name, r.summary) for r in rows]
    widths = [max((len(row[i]) for row in table), default=0) for i in range(5)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:5], widths, strict=True))
        + "  "
        + row[5]
        for row in table
    ]
    total = ", ".join(f"{n} {status}" for status, n in counts(rows).items())
    lines.append(f"{len(rows)} routes: {total}")
    return "\n".join(line.rstrip() for line in lines) + "\n"


def render_json(rows: list[RouteRow]) -> str:
    """``{"counts": {...}, "operations": [{status, method, path, tag, name, summary}]}``."""
    document = {"counts": counts(rows), "operations": [asdict(row) for row in rows]}
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"
