"""Scenario rules, compiled once: which requests a rule matches, when it fires, what it does.

One module, though long, because it is one idea, a rule: its compiled forms (path segments,
query checks, latency, reply, fault) are made by ``compile_rule`` and read by the matching and
firing below (the middleware only applies the ``Outcome``), so each form sits beside the code
that makes it and the code that reads it.

Nothing here knows ASGI: the middleware (``api/scenario_rules.py``) describes a request as a
``RequestView`` and applies the ``Outcome``. Every dice roll comes from a ``random.Random``
seeded from (scenario seed, scope, tenant, rule index) through SHA-256, never ``hash()``, so
one seed and one request sequence fire the same rules with the same latencies on every run.
"""

from __future__ import annotations

import hashlib
import math
import os
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl

import msgspec

from . import records
from .binding import INT32_ARRAY, BindingError, FilterSpec, bind, parse_query
from .journal.redaction import names_secret
from .models import INT32_MAX, INT32_MIN
from .records import RefPolicy
from .scenario_spec import (
    METHODS,
    ErrorSpec,
    FaultSpec,
    LatencySpec,
    RespondSpec,
    RuleSpec,
    WhenSpec,
    display,
    suggestion,
)
from .scenario_yaml import Document, Path
from .wire import DENIED, INVALID, JSON_BYTES, SERVER_ERROR

JSON_TYPE = JSON_BYTES

# Messages of the shortcut errors (``error: 503``): the real API's where it has one.
DEFAULT_MESSAGES = {
    400: INVALID,
    401: DENIED,
    404: "The requested resource was not found.",
    429: "Too many requests. Try again later.",
    500: SERVER_ERROR,
    502: "The server received an invalid response from an upstream server.",
    503: "The service is unavailable.",
    504: "The server did not receive a timely response from an upstream server.",
}
DEFAULT_RETRY_AFTER_S = 1
SLOW_BODY_MS = 2000.0
SLOW_BODY_CHUNKS = 10


@dataclass(frozen=True)
class ApiRoutes:
    """The API's path templates (``/api/customers/{customer_id}``) and the filter model that
    binds each list route's query."""

    templates: tuple[str, ...]
    filters: Mapping[str, FilterSpec]


# --- paths ----------------------------------------------------------------------------------

_LITERAL, _NUMBER, _PARAM = 0, 1, 2


@dataclass(frozen=True)
class Segment:
    kind: int
    text: str = ""
    number: int = 0


def int32_segment(text: str) -> int | None:
    """The value a route's ``{id}`` binds from a path segment (as ``path_id`` does), or None."""
    stripped = text.strip()
    digits = stripped[1:] if stripped[:1] in "+-" else stripped
    if digits.isdigit() and digits.isascii():
        value = int(stripped)
        if INT32_MIN <= value <= INT32_MAX:
            return value
    return None


def _segments(template: str) -> tuple[Segment, ...]:
    parts = template.lower().rstrip("/").split("/")[1:]
    out: list[Segment] = []
    for part in parts:
        if part.startswith("{") and part.endswith("}") and len(part) > 2:
            out.append(Segment(_PARAM))
        elif (number := int32_segment(part)) is not None:
            out.append(Segment(_NUMBER, part, number))
        else:
            out.append(Segment(_LITERAL, part))
    return tuple(out)


def _fits(rule: tuple[Segment, ...], route: tuple[Segment, ...]) -> bool:
    """Whether some request matched by the rule's path would reach this route."""
    if len(rule) != len(route):
        return False
    for mine, theirs in zip(rule, route, strict=True):
        if theirs.kind == _PARAM:
            if mine.kind == _LITERAL:
                return False
        elif mine.kind != _LITERAL or mine.text != theirs.text:
            return False
    return True


def path_matches(segments: tuple[Segment, ...], path_parts: Sequence[str]) -> bool:
    if len(segments) != len(path_parts):
        return False
    for segment, part in zip(segments, path_parts, strict=True):
        if segment.kind == _LITERAL:
            if segment.text != part and segment.text != part.lower():
                return False
        else:
            value = int32_segment(part)
            if value is None or (segment.kind == _NUMBER and value != segment.number):
                return False
    return True


# --- effects --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Latency:
    distribution: str
    ms: float = 0.0
    low: float = 0.0
    high: float = math.inf
    mean: float = 0.0
    spread: float = 0.0

    def sample(self, rng: random.Random) -> float:
        """One delay in milliseconds."""
        if self.distribution == "fixed":
            return self.ms
        if self.distribution == "uniform":
            return rng.uniform(self.low, self.high)
        if self.distribution == "normal":
            drawn = rng.gauss(self.mean, self.spread)
        else:  # lognormal: ``mean`` is log(median), ``spread`` is sigma
            drawn = rng.lognormvariate(self.mean, self.spread)
        return min(max(drawn, self.low), self.high)


def _latency(spec: LatencySpec) -> Latency:
    if spec.distribution == "fixed":
        return Latency("fixed", ms=float(spec.ms or 0.0))
    if spec.distribution == "uniform":
        return Latency("uniform", low=float(spec.min_ms or 0.0), high=float(spec.max_ms or 0.0))
    high = math.inf if spec.max_ms is None else float(spec.max_ms)
    if spec.distribution == "normal":
        return Latency(
            "normal",
            low=float(spec.min_ms or 0.0),
            high=high,
            mean=float(spec.mean_ms or 0.0),
            spread=float(spec.stddev_ms or 0.0),
        )
    assert spec.median_ms is not None
    return Latency(
        "lognormal", high=high, mean=math.log(spec.median_ms), spread=float(spec.sigma or 0.0)
    )


@dataclass(frozen=True)
class Reply:
    """An error answer, ready to send."""

    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    invalidate_session: bool


def default_message(status: int) -> str:
    known = DEFAULT_MESSAGES.get(status)
    if known is not None:
        return known
    try:
        return HTTPStatus(status).phrase + "."
    except ValueError:
        return f"The server answered {status}."


def _reply(spec: int | ErrorSpec) -> Reply:
    if isinstance(spec, int):
        spec = ErrorSpec(status=spec)
    if spec.body is msgspec.UNSET:
        body = msgspec.json.encode({"Message": default_message(spec.status)})
    else:
        body = msgspec.json.encode(spec.body)
    given = {name.lower(): (name, str(value)) for name, value in spec.headers.items()}
    if spec.retry_after_s is not None:
        given["retry-after"] = ("Retry-After", str(spec.retry_after_s))
    elif spec.status == 429 and "retry-after" not in given:
        given["retry-after"] = ("Retry-After", str(DEFAULT_RETRY_AFTER_S))
    given.setdefault("content-type", ("Content-Type", JSON_TYPE.decode()))
    given["content-length"] = ("Content-Length", str(len(body)))
    headers = tuple(
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in given.values()
    )
    invalidate = (
        spec.invalidate_session if spec.invalidate_session is not None else spec.status == 401
    )
    return Reply(spec.status, headers, body, invalidate)


@dataclass(frozen=True)
class Fault:
    kind: str
    duration_ms: float = SLOW_BODY_MS
    chunks: int = SLOW_BODY_CHUNKS
    keep_bytes: int | None = None
    body: bytes | None = None


def _fault(spec: str | FaultSpec) -> Fault:
    if isinstance(spec, str):
        return Fault(spec)
    return Fault(
        spec.type,
        duration_ms=SLOW_BODY_MS if spec.duration_ms is None else float(spec.duration_ms),
        chunks=spec.chunks or SLOW_BODY_CHUNKS,
        keep_bytes=spec.keep_bytes,
        body=None if spec.body is None else spec.body.encode(),
    )


# --- rules ----------------------------------------------------------------------------------


Problem = Callable[[Path, str], None]  # reports a problem at a path of the document


@dataclass(frozen=True)
class QueryCheck:
    name: str  # the filter field (a raw check: the parameter's name, lower-cased)
    expected: Any  # a raw check: the texts the parameter must have, in order
    is_array: bool
    raw: bool = False  # a path no filter model binds: the query's texts, compared as sent


@dataclass(frozen=True)
class Rule:
    index: int
    label: str
    site: str  # FILE:LINE:COLUMN of the rule
    spec: RuleSpec
    methods: frozenset[str] | None
    segments: tuple[Segment, ...] | None
    filter: FilterSpec | None
    query: tuple[QueryCheck, ...]
    headers: tuple[tuple[str, str], ...]
    body: dict[str, Any] | None
    tenant: str | None
    when: WhenSpec | None
    latency: Latency | None
    reply: Reply | None
    fault: Fault | None


def compile_rule(
    spec: RuleSpec,
    index: int,
    document: Document,
    path: Path,
    routes: ApiRoutes,
    problems: list[str],
    refs: RefPolicy | None = None,
) -> Rule | None:
    """The rule ``spec`` ready to match, or None after adding its problems. ``refs``: where
    a ``respond.$ref`` may read from (None: nowhere)."""
    before = len(problems)
    match = spec.match
    where = document.where

    def problem(at: Path, message: str) -> None:
        problems.append(f"{where(at)}: {display(at)}: {message}")

    answers = spec.respond is not None  # a recorded answer: any API path, any query
    reply = None if spec.error is None else _reply(spec.error)
    if spec.respond is not None:
        reply = _respond(spec.respond, refs, document, (*path, "respond"), problem)
    methods: frozenset[str] | None = None
    segments: tuple[Segment, ...] | None = None
    filter_spec: FilterSpec | None = None
    query: list[QueryCheck] = []
    headers: tuple[tuple[str, str], ...] = ()
    if match is not None:
        mpath = (*path, "match")
        if match.method is not None:
            methods = _compile_methods(match.method, (*mpath, "method"), problem)
        if match.path is not None:
            segments, filter_spec = _compile_path(
                match.path, (*mpath, "path"), routes, problem, any_api_path=answers
            )
        if match.query is not None and answers and filter_spec is None and segments is not None:
            query = _raw_query(match.query)
        elif match.query is not None:
            query = _compile_query(match.query, filter_spec, match.path, mpath, document, problems)
        if match.headers is not None:
            headers = tuple((name.lower(), str(value)) for name, value in match.headers.items())
    if len(problems) > before:
        return None
    return Rule(
        index=index,
        label=spec.name if spec.name is not None else f"rules[{index}]",
        site=where(path),
        spec=spec,
        methods=methods,
        segments=segments,
        filter=filter_spec,
        query=tuple(query),
        headers=headers,
        body=match.body if match is not None else None,
        tenant=match.tenant if match is not None else None,
        when=spec.when,
        latency=None if spec.latency is None else _latency(spec.latency),
        reply=reply,
        fault=None if spec.fault is None else _fault(spec.fault),
    )


def _compile_methods(method: str | list[str], at: Path, problem: Problem) -> frozenset[str]:
    given = (
        [(method, at)]
        if isinstance(method, str)
        else [(name, (*at, number)) for number, name in enumerate(method)]
    )
    for name, where in given:
        if name.upper() not in METHODS:
            hint = suggestion(name.upper(), METHODS, "methods")
            problem(where, f"'{name}' is not an HTTP method{hint}")
    return frozenset(name.upper() for name, _ in given)


def _compile_path(
    text: str, at: Path, routes: ApiRoutes, problem: Problem, any_api_path: bool = False
) -> tuple[tuple[Segment, ...] | None, FilterSpec | None]:
    """The path's segments and the filter model of the list route it names (if one). With
    ``any_api_path`` (a ``respond`` rule) any path under ``/api/`` is allowed: the vendor's
    routes the mock does not implement too."""
    if not text.startswith("/"):
        problem(at, f"'{text}' must start with '/' (e.g. /api/customers)")
        return None, None
    segments = _segments(text)
    fitting = [t for t in routes.templates if _fits(segments, _segments(t))]
    if not fitting and any_api_path and text.lower().startswith("/api/"):
        return segments, None
    if not fitting:
        problem(
            at,
            f"'{text}' is not an API route (write paths without the base path)"
            + suggestion(
                text.lower().rstrip("/"),
                routes.templates,
                "routes",
                too_many="`mockserver routes` lists them",
            ),
        )
        return None, None
    filters = {id(routes.filters[t]): routes.filters[t] for t in fitting if t in routes.filters}
    return segments, next(iter(filters.values())) if len(filters) == 1 else None


def _query_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _compile_query(
    query: Mapping[str, Any],
    spec: FilterSpec | None,
    path: str | None,
    mpath: Path,
    document: Document,
    problems: list[str],
) -> list[QueryCheck]:
    at = (*mpath, "query")
    if spec is None:
        listing = "/api/customers, /api/customers/base or /api/invoices"
        reason = "needs match.path" if path is None else f"cannot match: {path} takes no query"
        problems.append(
            f"{document.where(at)}: {display(at)}: {reason} (query matching is "
            f"for the list routes {listing})"
        )
        return []
    checks: list[QueryCheck] = []
    for key, value in query.items():
        name = key[7:] if key[:7].lower() == "filter." else key
        lowered = name.lower()
        kind = spec.kinds.get(lowered)
        if kind is None:
            problems.append(
                f"{document.where_key((*at, key))}: {display(at)}: unknown query parameter "
                f"'{key}'" + suggestion(lowered, list(spec.names.values()), "parameters")
            )
            continue
        is_array = kind == INT32_ARRAY
        values = value if isinstance(value, list) else [value]
        if isinstance(value, list) and not is_array:
            problems.append(
                f"{document.where((*at, key))}: {display((*at, key))}: "
                f"{spec.names[lowered]} takes one value, not a list"
            )
            continue
        try:
            bound = bind([(lowered, _query_text(v)) for v in values], spec)
        except BindingError as error:
            for messages in error.model_state.values():
                for message in messages:
                    problems.append(
                        f"{document.where((*at, key))}: {display((*at, key))}: {message}"
                    )
            continue
        field_name = spec.names[lowered]
        if field_name not in bound:
            problems.append(
                f"{document.where((*at, key))}: {display((*at, key))}: an empty value never "
                "matches (an empty query value counts as absent)"
            )
            continue
        checks.append(QueryCheck(field_name, bound[field_name], is_array))
    return checks


def _raw_query(query: Mapping[str, Any]) -> list[QueryCheck]:
    """A ``respond`` rule's query on a path no filter model binds: each named parameter
    (name case-insensitive) must have exactly these values, as text, in order."""
    checks: list[QueryCheck] = []
    for key, value in query.items():
        values = value if isinstance(value, list) else [value]
        checks.append(
            QueryCheck(key.lower(), tuple(_query_text(v) for v in values), False, raw=True)
        )
    return checks


MAX_RESPOND_BYTES = 16 * 1024 * 1024  # of a ``respond.$ref`` file


def _respond(
    spec: RespondSpec, refs: RefPolicy | None, document: Document, at: Path, problem: Problem
) -> Reply | None:
    """A ``respond``'s answer: its JSON ``body`` encoded, or its ``$ref`` file's bytes."""
    body = b""
    if spec.ref is not None:
        ref_at = (*at, "$ref")
        file = None if refs is None else records.ref_file(spec.ref, refs)[0]
        if file is None:
            problem(ref_at, records.REF_REFUSED)
            return None
        try:
            if os.path.getsize(file) > MAX_RESPOND_BYTES:
                problem(ref_at, f"{spec.ref} is larger than {MAX_RESPOND_BYTES} bytes")
                return None
            with open(file, "rb") as handle:
                body = handle.read()
        except (OSError, ValueError) as error:
            reason = error.strerror if isinstance(error, OSError) else "not a file name"
            problem(ref_at, f"cannot read {spec.ref}: {reason}")
            return None
    elif spec.body is not msgspec.UNSET:
        body = msgspec.json.encode(spec.body)
    if spec.status in (204, 304):
        body = b""  # these answers have no body
    given = {name.lower(): (name, str(value)) for name, value in spec.headers.items()}
    given.setdefault("content-type", ("Content-Type", JSON_TYPE.decode()))
    given["content-length"] = ("Content-Length", str(len(body)))
    headers = tuple(
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in given.values()
    )
    return Reply(spec.status, headers, body, False)


# --- a request, as the rules see it ---------------------------------------------------------

_NO_JSON = object()


@dataclass
class RequestView:
    method: str
    parts: Sequence[str]  # the API path's segments, base path stripped, lower-cased
    query_string: bytes
    headers: Mapping[str, str]  # lower-cased names, first value of each
    tenant: str
    body: bytes | None = None  # read only when a rule matches on it
    _bound: dict[int, dict[str, Any] | None] = field(default_factory=dict)
    _json: Any = _NO_JSON
    _raw: dict[str, tuple[str, ...]] | None = None

    def raw_query(self) -> dict[str, tuple[str, ...]]:
        """The query's values by lower-cased name, as sent (for paths no filter binds)."""
        if self._raw is None:
            values: dict[str, list[str]] = {}
            text = self.query_string.decode("utf-8", "replace")  # as ``parse_query`` reads it
            for key, value in parse_qsl(text, keep_blank_values=True):
                values.setdefault(key.lower(), []).append(value)
            self._raw = {key: tuple(found) for key, found in values.items()}
        return self._raw

    def bound(self, spec: FilterSpec) -> dict[str, Any] | None:
        """The query bound to ``spec`` (None when it does not bind: that request is a 400)."""
        key = id(spec)
        if key not in self._bound:
            try:
                self._bound[key] = bind(parse_query(self.query_string), spec)
            except BindingError:
                self._bound[key] = None
        return self._bound[key]

    def json(self) -> Any:
        """The body as JSON; None (matching no ``match.body``) when it is not JSON, not
        UTF-8, or nested too deeply to decode: the API itself answers such a body."""
        if self._json is _NO_JSON:
            try:
                self._json = msgspec.json.decode(self.body or b"")
            except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
                self._json = None
        return self._json


def _same(expected: Any, actual: Any) -> bool:
    """JSON body matching: objects as subsets with case-insensitive keys (as Json.NET binds),
    lists item by item, scalars by value (a boolean only equals a boolean)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return False
        folded = {str(k).lower(): v for k, v in actual.items()}
        return all(
            str(k).lower() in folded and _same(v, folded[str(k).lower()])
            for k, v in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(_same(e, a) for e, a in zip(expected, actual, strict=True))
        )
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    return bool(expected == actual)


def matches(rule: Rule, request: RequestView) -> bool:
    if rule.methods is not None and request.method not in rule.methods:
        return False
    if rule.segments is not None and not path_matches(rule.segments, request.parts):
        return False
    if rule.tenant is not None and request.tenant != rule.tenant:
        return False
    for name, value in rule.headers:
        if request.headers.get(name) != value:
            return False
    if rule.query and rule.query[0].raw:
        sent = request.raw_query()
        return all(sent.get(check.name) == check.expected for check in rule.query) and (
            rule.body is None or _same(rule.body, request.json())
        )
    if rule.query:
        assert rule.filter is not None
        bound = request.bound(rule.filter)
        if bound is None:
            return False
        for check in rule.query:
            actual = bound.get(check.name)
            if actual is None:
                return False
            if check.is_array:
                if not set(check.expected) <= set(actual):
                    return False
            elif actual != check.expected:
                return False
    return rule.body is None or _same(rule.body, request.json())


# --- firing ---------------------------------------------------------------------------------


def dice(seed: int, scope: str, tenant: str, index: int) -> random.Random:
    """The generator of one rule for one tenant: a stable function of its inputs."""
    digest = hashlib.sha256(f"{seed}\x00{scope}\x00{tenant}\x00{index}".encode()).digest()
    return random.Random(int.from_bytes(digest[:16], "big"))


class Counter:
    """How often a rule matched and fired for one tenant, and its dice."""

    __slots__ = ("fired", "matched", "rng")

    def __init__(self, rng: random.Random) -> None:
        self.matched = 0
        self.fired = 0
        self.rng = rng


def fires(when: WhenSpec | None, counter: Counter) -> bool:
    """Count one match and decide. ``probability`` draws on every match (so the draws depend
    only on the number of matches); ``times`` caps the firings."""
    counter.matched += 1
    n = counter.matched
    ok = True
    if when is not None:
        if when.probability is not None:
            ok = counter.rng.random() < when.probability
        if when.every is not None and n % when.every:
            ok = False
        if when.first is not None and n > when.first:
            ok = False
        if when.after is not None and n <= when.after:
            ok = False
        if when.times is not None and counter.fired >= when.times:
            ok = False
    if ok:
        counter.fired += 1
    return ok


@dataclass
class Outcome:
    fired: list[str]
    latency_ms: float = 0.0
    reply: Reply | None = None
    fault: Fault | None = None


class RuleBook:
    """One scenario's rules in one scope (the active scenario, or one named by
    ``X-Mock-Scenario``), with their counters per tenant."""

    def __init__(self, rules: Sequence[Rule], seed: int, scope: str) -> None:
        self.rules = tuple(rules)
        self.seed = seed
        self.scope = scope
        self.needs_body = any(rule.body is not None for rule in self.rules)
        # A rule matching on a password or API key (a fleet then logs such bodies unmasked).
        self.matches_secrets = any(
            rule.body is not None and names_secret(rule.body) for rule in self.rules
        )
        self.counters: dict[tuple[str, int], Counter] = {}

    def counter(self, tenant: str, index: int) -> Counter:
        counter = self.counters.get((tenant, index))
        if counter is None:
            counter = self.counters[tenant, index] = Counter(
                dice(self.seed, self.scope, tenant, index)
            )
        return counter

    def reset(self, tenant: str | None = None) -> None:
        if tenant is None:
            self.counters.clear()
        else:
            self.counters = {key: c for key, c in self.counters.items() if key[0] != tenant}

    def may_match(self, method: str, parts: Sequence[str]) -> bool:
        """Whether any rule could match a request of this method and path, whatever its
        query, headers, tenant and body: a request no rule can match needs no evaluation."""
        return any(
            (rule.methods is None or method in rule.methods)
            and (rule.segments is None or path_matches(rule.segments, parts))
            for rule in self.rules
        )

    def evaluate(self, request: RequestView) -> Outcome:
        """Every matching rule counts the request; those that fire add their latency; the
        first error or fault in file order is the answer."""
        outcome = Outcome(fired=[])
        for rule in self.rules:
            if not matches(rule, request):
                continue
            counter = self.counter(request.tenant, rule.index)
            if not fires(rule.when, counter):
                continue
            outcome.fired.append(rule.label)
            if rule.latency is not None:
                outcome.latency_ms += rule.latency.sample(counter.rng)
            if outcome.reply is None and outcome.fault is None:
                outcome.reply, outcome.fault = rule.reply, rule.fault
        return outcome

    def counts(self) -> dict[str, dict[str, dict[str, int]]]:
        """``{rule label: {tenant: {"matched": n, "fired": m}}}``."""
        out: dict[str, dict[str, dict[str, int]]] = {rule.label: {} for rule in self.rules}
        labels = {rule.index: rule.label for rule in self.rules}
        for (tenant, index), counter in sorted(self.counters.items()):
            out[labels[index]][tenant] = {"matched": counter.matched, "fired": counter.fired}
        return out
