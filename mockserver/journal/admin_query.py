"""The parameters of ``GET /_mock/requests``, read into a ``RequestFilter`` and a ``limit``.

Input is the query as ``(name, value)`` pairs, already split and decoded by the caller; an
unknown parameter or a value that cannot be read raises ``FilterError`` with a ``ModelState``
the admin route answers as a 400. Nothing here knows Starlette or the journal's buffer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec

from .queries import ABSENT, RequestFilter


def filter_from_query(params: Sequence[tuple[str, str]]) -> tuple[RequestFilter, int | None]:
    """The filter ``GET /_mock/requests`` was given, and its ``limit``: ``method``, ``path``,
    ``tenant``, ``status`` (repeatable), ``rule``, ``since``, ``limit``, ``query.NAME=VALUE``
    (repeatable) and ``json`` (a JSON document). ``ValueError`` maps a parameter to what is
    wrong with it."""
    scalars: dict[str, str] = {}
    statuses: list[int] = []
    query: dict[str, list[str]] = {}
    problems: dict[str, list[str]] = {}
    for key, value in params:
        name = key.lower()
        if name.startswith("query."):
            query.setdefault(key[len("query.") :], []).append(value)
        elif name == "status":
            if value.strip().isdigit():
                statuses.append(int(value))
            else:
                problems[key] = [f"The value '{value}' is not a valid status code."]
        elif name in ("method", "path", "tenant", "rule", "since", "limit", "json"):
            scalars.setdefault(name, value)
        else:
            problems[key] = [
                "Unknown filter: use method, path, tenant, status, rule, since, limit, "
                "query.NAME or json."
            ]
    numbers: dict[str, int | None] = {}
    for name in ("since", "limit"):
        raw = scalars.get(name)
        numbers[name] = None
        if raw is not None:
            if raw.strip().isdigit():
                numbers[name] = int(raw)
            else:
                problems[name] = [f"The value '{raw}' is not a valid whole number."]
    body: Any = ABSENT
    if "json" in scalars:
        try:
            body = msgspec.json.decode(scalars["json"])
        except msgspec.DecodeError as error:
            problems["json"] = [f"The value is not valid JSON: {error}."]
    if problems:
        raise FilterError(problems)
    criteria = RequestFilter(
        method=scalars.get("method") or None,
        path=scalars.get("path") or None,
        tenant=scalars.get("tenant"),
        status=statuses or None,
        query={k: v[0] if len(v) == 1 else v for k, v in query.items()} or None,
        json=body,
        rule=scalars.get("rule") or None,
        since=numbers["since"],
    )
    return criteria, numbers["limit"]


class FilterError(ValueError):
    def __init__(self, model_state: dict[str, list[str]]) -> None:
        super().__init__(model_state)
        self.model_state = model_state
