"""``mockserver drift``: what a client could notice between the mock and the real API.

One module, a little over the usual length, because it is one command read top to bottom:
the battery, what one side answered, the shapes, their differences and the run. The battery
(about 150 lines) is the part that could move to a module of its own if it grows.

It sends the same read-only battery to both (``battery``: derived from the route table, so a
new route is probed without a word here) and compares the *shape* of what comes back, never
the values (the data differ by nature):

- the status of each request: list pages, every documented filter with a value taken from
  that side's own data, one record of each resource, a missing id, a malformed id and
  filter, no session and an invalid one;
- per operation, over every answer of the same status class, the set of fields of each
  object at every depth, each field's JSON type (integer or not, a number is a number) and
  nullability (only ever null on one side, a type on the other), the form of date-time
  strings, array items; error bodies the same way, apart (``error shape``);
- headers that carry meaning: the media type, and whether ``X-Total-Count`` is there.

Differences are grouped by kind and ranked (``KINDS``); the report is a table for people and
JSON for machines. Everything sent is a ``GET`` (and the two logins); the upstream's client
(``upstream.Upstream``) refuses anything else.

It knows the route table (``mockserver.routes``) and the filter models; it knows nothing of
the mock's state: a mock is a URL like the upstream (``MockServer`` starts one when none is
given).
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import sys
from collections.abc import Callable, Coroutine, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import msgspec

from .. import routes
from ..binding import DATETIME, INT32, INT32_ARRAY, FilterSpec
from ..routes import Operation
from .upstream import Credentials, Upstream, UpstreamConfigError, UpstreamError

# Kinds of difference, most serious first: the order of the report.
STATUS, ENVELOPE, MISSING, EXTRA, TYPE, NULLABILITY = (
    "status change",
    "envelope",
    "missing field",
    "extra field",
    "type change",
    "nullability",
)
FORMAT, ERROR_SHAPE, HEADER = "date-time format", "error shape", "header"
KINDS: tuple[str, ...] = (
    STATUS, ENVELOPE, MISSING, EXTRA, TYPE, NULLABILITY, FORMAT, ERROR_SHAPE, HEADER,
)  # fmt: skip

MISSING_ID = "2147483000"  # an id no record has (the largest int32s are never generated)
MALFORMED = "abc"
INVALID_SESSION = "00000000-0000-0000-0000-000000000000"
PAGE_SIZE = "20"
CONCURRENCY = 6  # requests in flight to each side at once
# "Only ever null on one side, a type on the other" is reported only when chance cannot
# explain it: were the field filled as often as the other side fills it, the odds of seeing
# only nulls in as many values must be below NULLABILITY_CHANCE (a field filled in 2% of the
# records is null in every one of 40 sampled records more often than not). Each side must
# also have shown NULLABILITY_SAMPLES values.
NULLABILITY_CHANCE = 0.001
NULLABILITY_SAMPLES = 5

SIDES = ("mock", "upstream")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_DIGIT = re.compile(r"\d")


class DriftError(Exception):
    """The battery cannot run (an upstream that cannot be reached, a login refused)."""


# --- the battery ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    path: str  # below the base URL
    params: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Probe:
    """One request of the battery, as each side gets it (ids and filter values are each
    side's own). ``session``: ``own`` (the side's login), ``none`` or ``invalid``."""

    operation: str  # "GET /api/customers/{customer_id}"
    label: str  # what it tries: "page 1", "filter name", "a missing id", ...
    requests: Mapping[str, Request]
    session: str = "own"
    listed: bool = False


def api_reads() -> list[Operation]:
    """The GET operations of the API the mock implements (not its login's, not the vendor
    catalogue's unmocked ones)."""
    unmocked = {(op.method, op.path) for op in routes.UNMOCKED}
    return [
        op
        for op in routes.OPERATIONS
        if op.method == "GET"
        and op.is_api
        and not op.path.startswith("/api/auth/")
        and (op.method, op.path) not in unmocked
    ]


def _name(op: Operation) -> str:
    return f"GET {op.path}"


def _record_value(records: Sequence[Mapping[str, Any]], *keys: str) -> Any:
    for record in records:
        for key in keys:
            value = record.get(key)
            if value not in (None, "", []):
                return value
    return None


def filter_value(
    name: str, kind: str, choices: Sequence[int], records: Sequence[Mapping[str, Any]]
) -> str:
    """A value for filter ``name`` taken from the data where a record field has its name
    (``customer_number`` from a customer's), else one that binds (a choice, a date)."""
    lowered = name.lower()
    singular = lowered[:-1] if lowered.endswith("s") else lowered
    if kind == DATETIME:
        return "2100-01-01T00:00:00" if "before" in lowered else "2000-01-01T00:00:00"
    if kind in (INT32, INT32_ARRAY):
        if choices:
            return str(choices[-1])
        value = _record_value(records, lowered, singular)
        if isinstance(value, list):
            value = value[0] if value else None
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else "1"
    if lowered == "search" or lowered.startswith("search_"):
        value = _record_value(records, lowered.removeprefix("search_"), "name")
        return str(value).split()[0][:6] if isinstance(value, str) and value.split() else "a"
    value = _record_value(records, lowered)
    return value if isinstance(value, str) else "a"


def _filters(spec: FilterSpec) -> list[tuple[str, str, tuple[int, ...]]]:
    return [
        (spec.names[key], kind, spec.choices.get(key, ()))
        for key, kind in spec.kinds.items()
        if key not in ("page", "page_size")
    ]


def _list_probes(op: Operation, samples: Mapping[str, list[dict[str, Any]]]) -> list[Probe]:
    def same(label: str, *params: tuple[str, str], session: str = "own") -> Probe:
        request = Request(op.path, params)
        return Probe(_name(op), label, {s: request for s in SIDES}, session, listed=True)

    probes = [
        same("page 1", ("page_size", PAGE_SIZE)),
        same("page 2 of 5", ("page", "2"), ("page_size", "5")),
        same("past the last page", ("page", "100000"), ("page_size", "5")),
        same("page 0 (malformed)", ("page", "0")),
        same("no session", session="none"),
        same("an invalid session", session="invalid"),
    ]
    if op.filters is None:
        return probes
    filters = _filters(op.filters)
    for name, kind, choices in filters:
        requests = {
            side: Request(
                op.path,
                (
                    (name, filter_value(name, kind, choices, samples[side])),
                    ("page_size", PAGE_SIZE),
                ),
            )
            for side in SIDES
        }
        probes.append(Probe(_name(op), f"filter {name}", requests, listed=True))
    malformed = next((f for f in filters if f[1] in (INT32, INT32_ARRAY) and not f[2]), None)
    if malformed is None:
        malformed = next((f for f in filters if f[1] == DATETIME), None)
    if malformed is not None:
        probes.append(
            same(f"a malformed filter ({malformed[0]}={MALFORMED})", (malformed[0], MALFORMED))
        )
    return probes


def _record_probes(op: Operation, ids: Mapping[str, str | None], parent: str) -> list[Probe]:
    (param,) = routes.parameters(op.path)

    def at(value: str) -> Request:
        return Request(op.path.replace("{" + param + "}", value))

    probes = []
    if all(ids[side] is not None for side in SIDES):
        probes.append(
            Probe(_name(op), f"one record (of {parent})", {s: at(str(ids[s])) for s in SIDES})
        )
        probes.append(
            Probe(_name(op), "no session", {s: at(str(ids[s])) for s in SIDES}, session="none")
        )
    probes.append(Probe(_name(op), "a missing id", {s: at(MISSING_ID) for s in SIDES}))
    probes.append(
        Probe(_name(op), f"a malformed id ({MALFORMED})", {s: at(MALFORMED) for s in SIDES})
    )
    return probes


def _parent_list(op: Operation, lists: Mapping[str, Operation]) -> str | None:
    """The list route whose records give ``op``'s one path parameter: the literal prefix
    (``/api/invoices`` for ``/api/invoices/{id}``), else the one its name names
    (``customer_id``: ``/api/customers``)."""
    params = routes.parameters(op.path)
    if len(params) != 1:
        return None
    prefix = op.path.split("/{", 1)[0]
    if prefix in lists:
        return prefix
    stem = params[0].lower().removesuffix("_id").removesuffix("id").rstrip("_")
    for path in (f"/api/{stem}s", f"/api/{stem}"):
        if path in lists:
            return path
    return None


# --- what one side answered ----------------------------------------------------------------

_NOT_JSON = object()


@dataclass
class Answer:
    status: int
    content_type: str
    total: bool  # an X-Total-Count header
    body: Any


class Side:
    """One API (the mock or the upstream) as the battery sends to it."""

    def __init__(self, name: str, base_url: str, credentials: Credentials, timeout_s: float):
        self.name = name
        self.client = Upstream(base_url, credentials, timeout_s=timeout_s, retries=2)
        self.base_url = self.client.base_url
        self.bare = httpx.AsyncClient(timeout=httpx.Timeout(timeout_s), trust_env=False)
        self.gate = asyncio.Semaphore(CONCURRENCY)

    async def get(self, request: Request, session: str = "own") -> Answer:
        async with self.gate:
            try:
                if session == "own":
                    response = await self.client.request("GET", request.path, params=request.params)
                else:
                    headers = {"Session-Id": INVALID_SESSION} if session == "invalid" else {}
                    response = await self.bare.get(
                        self.base_url + request.path,
                        params=list(request.params),
                        headers=headers,
                    )
            except UpstreamError as error:
                raise DriftError(f"the {self.name} did not answer: {error.message}") from None
            except httpx.HTTPError as error:
                raise DriftError(
                    f"the {self.name} did not answer GET {self.base_url}{request.path}: "
                    f"{type(error).__name__}"
                ) from None
        try:
            body = msgspec.json.decode(response.content) if response.content else None
        except msgspec.DecodeError:
            body = _NOT_JSON
        return Answer(
            response.status_code,
            "".join(response.headers.get("content-type", "").lower().split()),
            "x-total-count" in response.headers,
            body,
        )

    async def aclose(self) -> None:
        await self.client.aclose()
        await self.bare.aclose()


# --- shapes ---------------------------------------------------------------------------------


@dataclass
class Seen:
    """What one field (a path such as ``results[].addresses[].street``) looked like."""

    types: set[str] = field(default_factory=set)
    formats: set[str] = field(default_factory=set)  # of date-time strings: 'dddd-dd-ddTdd:dd'
    keys: set[str] = field(default_factory=set)  # of an object: its fields
    count: int = 0  # values seen
    nulls: int = 0  # of them null


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "not JSON"


def observe(value: Any, path: str, shapes: dict[str, Seen]) -> None:
    """Add ``value``'s shape, at every depth, to ``shapes``."""
    seen = shapes.setdefault(path, Seen())
    kind = json_type(value)
    seen.types.add(kind)
    seen.count += 1
    seen.nulls += kind == "null"
    if kind == "string" and _DATE.match(value):
        seen.formats.add(_DIGIT.sub("d", value))
    elif kind == "object":
        seen.keys.update(value)
        for key, item in value.items():
            observe(item, f"{path}.{key}" if path else key, shapes)
    elif kind == "array":
        for item in value:
            observe(item, f"{path}[]", shapes)


# --- differences ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Difference:
    kind: str
    operation: str
    where: str  # the field's path, the probe's label or the header's name
    mock: str
    upstream: str

    def to_dict(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "operation": self.operation,
            "where": self.where,
            "mock": self.mock,
            "upstream": self.upstream,
        }


def _types(seen: Seen) -> str:
    return " or ".join(sorted(seen.types))


def compare_shapes(
    operation: str,
    mock: Mapping[str, Seen],
    upstream: Mapping[str, Seen],
    *,
    listed: bool,
    errors: bool,
) -> list[Difference]:
    """The differences of shape between two sides' answers of one operation."""
    found: list[Difference] = []

    def add(kind: str, where: str, in_mock: str, in_upstream: str) -> None:
        if errors:
            kind = ERROR_SHAPE
        elif listed and "." not in where and "[]" not in where and kind in (MISSING, EXTRA):
            kind = ENVELOPE
        found.append(Difference(kind, operation, where or "(body)", in_mock, in_upstream))

    for path in sorted(set(mock) & set(upstream)):
        m, u = mock[path], upstream[path]
        if "object" in m.types and "object" in u.types:
            for key in sorted(u.keys - m.keys):
                child = f"{path}.{key}" if path else key
                add(MISSING, child, "absent", _types(upstream[child]))
            for key in sorted(m.keys - u.keys):
                child = f"{path}.{key}" if path else key
                add(EXTRA, child, _types(mock[child]), "absent")
        m_types, u_types = m.types - {"null"}, u.types - {"null"}
        if m_types and u_types and m_types != u_types:
            add(TYPE, path, _types(m), _types(u))
        elif bool(m_types) != bool(u_types) and _not_chance(*((m, u) if u_types else (u, m))):
            add(NULLABILITY, path, _types(m), _types(u))
        if m.formats and u.formats and not m.formats & u.formats:
            add(FORMAT, path, " or ".join(sorted(m.formats)), " or ".join(sorted(u.formats)))
    return found


def _not_chance(only_null: Seen, filled: Seen) -> bool:
    """Whether ``only_null`` showing nothing but nulls is no accident of the data, given
    how often ``filled`` fills the field (see ``NULLABILITY_CHANCE``)."""
    if min(only_null.count, filled.count) < NULLABILITY_SAMPLES:
        return False
    rate = min(1.0 - filled.nulls / filled.count, 0.99)
    return only_null.count * math.log1p(-rate) < math.log(NULLABILITY_CHANCE)


@dataclass
class Report:
    mock: str
    upstream: str
    probes: int
    differences: list[Difference]

    def ranked(self) -> list[tuple[str, list[Difference]]]:
        groups: dict[str, list[Difference]] = {}
        for difference in self.differences:
            groups.setdefault(difference.kind, []).append(difference)
        return [
            (kind, sorted(groups[kind], key=lambda d: (d.operation, d.where)))
            for kind in KINDS
            if kind in groups
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "mock": self.mock,
            "upstream": self.upstream,
            "probes": self.probes,
            "count": len(self.differences),
            "differences": [d.to_dict() for _, group in self.ranked() for d in group],
        }

    def table(self) -> str:
        """The report for people: a heading, then one block per kind of difference, most
        serious first, each a table of operation, where, mock and upstream."""
        head = (
            f"drift: {self.probes} requests to each side; mock {self.mock}, "
            f"upstream {self.upstream}"
        )
        if not self.differences:
            return f"{head}\nno differences\n"
        lines = [head, f"{len(self.differences)} differences", ""]
        rows = [("operation", "where", "mock", "upstream")]
        for kind, group in self.ranked():
            lines.append(f"{kind} ({len(group)})")
            table = [*rows, *((d.operation, d.where, d.mock, d.upstream) for d in group)]
            widths = [max(len(row[i]) for row in table) for i in range(3)]
            for row in table:
                cells = [row[i].ljust(widths[i]) for i in range(3)]
                lines.append("  " + "  ".join([*cells, row[3]]).rstrip())
            lines.append("")
        return "\n".join(lines)


# --- running it -----------------------------------------------------------------------------


def _results(answer: Answer) -> list[dict[str, Any]]:
    body = answer.body
    if answer.status == 200 and isinstance(body, dict) and isinstance(body.get("results"), list):
        return [item for item in body["results"] if isinstance(item, dict)]
    return []


async def run(mock: Side, upstream: Side) -> Report:
    """Send the battery to both sides and compare what came back."""
    sides = {"mock": mock, "upstream": upstream}
    reads = api_reads()
    lists = {op.path: op for op in reads if op.listed and not routes.parameters(op.path)}

    async def both(probe: Probe) -> dict[str, Answer]:
        answers = await asyncio.gather(
            *(sides[s].get(probe.requests[s], probe.session) for s in SIDES)
        )
        return dict(zip(SIDES, answers, strict=True))

    first = {
        path: Probe(
            _name(op),
            "first page",
            {s: Request(path, (("page_size", PAGE_SIZE),)) for s in SIDES},
            listed=True,
        )
        for path, op in lists.items()
    }
    first_answers = dict(
        zip(first, await asyncio.gather(*(both(p) for p in first.values())), strict=True)
    )
    samples = {
        path: {side: _results(answers[side]) for side in SIDES}
        for path, answers in first_answers.items()
    }
    probes: list[Probe] = []
    for path, op in lists.items():
        probes.extend(_list_probes(op, samples[path]))
    for op in reads:
        parent = _parent_list(op, lists)
        if parent is None or op.path in lists:
            continue
        ids: dict[str, str | None] = {}
        for side in SIDES:
            value = _record_value(samples[parent][side], "id")
            ids[side] = str(value) if isinstance(value, int) else None
        probes.extend(_record_probes(op, ids, parent))
    answered = await asyncio.gather(*(both(probe) for probe in probes))
    return compare(probes, answered, mock.base_url, upstream.base_url)


def _new_records(body: Any, seen: set[bytes]) -> Any:
    """A list answer with only the records not seen before in it: pages and filters return
    the same records again and again, and a record counted twice would make a field that
    is rarely filled look never filled (``NULLABILITY_CHANCE``)."""
    if not isinstance(body, dict) or not isinstance(body.get("results"), list):
        return body
    fresh = []
    for item in body["results"]:
        key = msgspec.json.encode(item)
        if key not in seen:
            seen.add(key)
            fresh.append(item)
    return {**body, "results": fresh}


def compare(
    probes: Sequence[Probe],
    answered: Sequence[Mapping[str, Answer]],
    mock_url: str,
    upstream_url: str,
) -> Report:
    """The report of a battery's answers (``answered[i]`` is ``probes[i]``'s)."""
    differences: list[Difference] = []
    shapes: dict[tuple[str, bool], dict[str, dict[str, Seen]]] = {}
    listed: dict[str, bool] = {}
    headers: dict[tuple[str, str], dict[str, set[str]]] = {}
    distinct: dict[tuple[str, str], set[bytes]] = {}
    for probe, answers in zip(probes, answered, strict=True):
        m, u = answers["mock"], answers["upstream"]
        listed[probe.operation] = probe.listed
        if m.status != u.status:
            differences.append(
                Difference(STATUS, probe.operation, probe.label, str(m.status), str(u.status))
            )
            continue
        is_error = m.status >= 400
        by_side = shapes.setdefault((probe.operation, is_error), {s: {} for s in SIDES})
        for side, answer in answers.items():
            if answer.body is not None:
                records = distinct.setdefault((probe.operation, side), set())
                observe(_new_records(answer.body, records), "", by_side[side])
            media = headers.setdefault((probe.operation, "Content-Type"), {s: set() for s in SIDES})
            media[side].add(answer.content_type or "(none)")
            if not is_error:
                total = headers.setdefault(
                    (probe.operation, "X-Total-Count"), {s: set() for s in SIDES}
                )
                total[side].add("present" if answer.total else "absent")
    for (operation, is_error), by_side in shapes.items():
        differences.extend(
            compare_shapes(
                operation,
                by_side["mock"],
                by_side["upstream"],
                listed=listed[operation],
                errors=is_error,
            )
        )
    for (operation, name), values in headers.items():
        if values["mock"] != values["upstream"]:
            differences.append(
                Difference(
                    HEADER,
                    operation,
                    name,
                    " or ".join(sorted(values["mock"])),
                    " or ".join(sorted(values["upstream"])),
                )
            )
    return Report(mock_url, upstream_url, len(probes), differences)


async def drift(
    upstream_url: str,
    mock_url: str,
    credentials: Credentials,
    timeout_s: float = 10.0,
) -> Report:
    """The drift of the mock at ``mock_url`` from the API at ``upstream_url``."""
    mock = Side("mock", mock_url, Credentials("drift", "drift", "drift", "drift"), timeout_s)
    upstream = Side("upstream", upstream_url, credentials, timeout_s)
    try:
        return await run(mock, upstream)
    finally:
        await mock.aclose()
        await upstream.aclose()


def with_mock(mock_url: str | None, work: Callable[[str], Coroutine[Any, Any, Report]]) -> Report:
    """Run ``work`` against the mock at ``mock_url``, or one started here for the while."""
    if mock_url:
        return asyncio.run(work(mock_url))
    from ..testing import MockServer

    with MockServer(auth="required") as server:
        return asyncio.run(work(server.url))


def kinds_of(differences: Iterable[Difference]) -> set[tuple[str, str, str]]:
    """``(kind, operation, where)`` of each difference (what tests compare)."""
    return {(d.kind, d.operation, d.where) for d in differences}


EXIT_SAME, EXIT_DRIFT, EXIT_CANNOT_RUN = 0, 1, 2


def command(
    upstream_url: str,
    mock_url: str | None = None,
    json_file: str | None = None,
    timeout_s: float = 10.0,
    environ: Mapping[str, str] | None = None,
) -> int:
    """``mockserver drift``: the table on stdout (and JSON in ``json_file``); 0 when nothing
    differs, 1 when something does, 2 when the battery cannot run (said in one line)."""
    try:
        credentials = Credentials.from_env(environ)
        report = with_mock(mock_url, lambda url: drift(upstream_url, url, credentials, timeout_s))
    except (DriftError, UpstreamConfigError) as error:
        print(f"mockserver drift: cannot run: {error}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    print(report.table(), end="")
    if json_file:
        text = json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
        try:
            with open(json_file, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as error:
            print(f"mockserver drift: cannot write {json_file}: {error.strerror}", file=sys.stderr)
            return EXIT_CANNOT_RUN
    return EXIT_DRIFT if report.differences else EXIT_SAME
