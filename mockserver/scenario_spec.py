"""The scenario format, defined once: msgspec Structs that the loader validates against and
that ``mockserver/scenario.schema.json`` is generated from.

``check`` validates a whole document and reports *every* problem (msgspec stops at the first):
it walks the Structs' annotations itself, reporting each unknown key (with a suggestion),
each missing key and each bad value, and leaves single scalar values to msgspec. Rules that
tie fields together (a ``normal`` latency needs ``mean_ms`` and ``stddev_ms``) live in each
Struct's ``__post_init__`` so that ``msgspec.convert`` enforces them too.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import msgspec
from msgspec import UNSET, Meta, UnsetType

from . import models
from .clock import EARLIEST, LATEST, out_of_range
from .scenario_yaml import Document, Path
from .validation import error_parts, fields_by_name

NonNegInt = Annotated[int, Meta(ge=0, le=models.INT32_MAX)]
PosInt = Annotated[int, Meta(ge=1, le=models.INT32_MAX)]
Millis = Annotated[float, Meta(ge=0)]
Probability = Annotated[float, Meta(ge=0, le=1)]
Scalar = str | int | float | bool
HeaderValue = str | int | float

Distribution = Literal["fixed", "uniform", "normal", "lognormal"]
FaultKind = Literal[
    "connection_reset", "empty_response", "malformed_json", "truncated_body", "slow_body"
]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")


class Spec(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """Base of every part of the format: unknown keys are errors."""


class DataSpec(Spec):
    """Size of the generated dataset (defaults: the server's --customers and --invoices;
    when only ``customers`` is given, five invoices per customer)."""

    customers: NonNegInt | None = None
    invoices: NonNegInt | None = None


def _record_item(model: str) -> dict[str, Any]:
    """The JSON Schema of a record entry: a ``$ref`` to a file, or the model with an id."""
    return {
        "anyOf": [
            {"$ref": "#/$defs/RecordFile"},
            {"allOf": [{"$ref": f"#/$defs/{model}"}, {"required": ["id"]}]},
        ]
    }


CustomerItem = Annotated[dict[str, Any], Meta(extra_json_schema=_record_item("Customer"))]
InvoiceItem = Annotated[dict[str, Any], Meta(extra_json_schema=_record_item("Invoice"))]
OrderItem = Annotated[dict[str, Any], Meta(extra_json_schema=_record_item("SalesOrder"))]


class RecordFile(Spec):
    """``{$ref: FILE}``: the records of a YAML or JSON file (one record, or a list of them),
    the path relative to the file that names it."""

    ref: str = msgspec.field(name="$ref")


class RecordsSpec(Spec):
    """Exact records: each overlays field by field the generated record with its ``id`` or
    is added; with ``replace: true`` the data holds these records only. ``orders`` are sales
    orders (``POST /api/invoices/order/{number}`` invoices one): the generated data hold
    none."""

    replace: bool | None = None
    customers: list[CustomerItem] = []
    invoices: list[InvoiceItem] = []
    orders: list[OrderItem] = []


class AuthSpec(Spec):
    """Sessions: ``session_ttl_s`` is how long a login or renew lasts (default 1800)."""

    session_ttl_s: Annotated[float, Meta(gt=0)] | None = None


class ClockSpec(Spec):
    """The server's clock while the scenario is active (``mockserver.clock``): ``now`` (UTC
    when it names no offset), standing still unless ``frozen: false``."""

    now: datetime
    frozen: bool = True

    def __post_init__(self) -> None:
        moment = self.now if self.now.tzinfo is not None else self.now.replace(tzinfo=UTC)
        if not EARLIEST <= moment < LATEST:
            raise ValueError(out_of_range(moment))


class MatchSpec(Spec):
    """Which requests a rule applies to; every given condition must hold."""

    method: Annotated[
        str | list[str] | None, Meta(description="GET, POST, PUT, ... (or a list of them)")
    ] = None
    path: Annotated[
        str | None,
        Meta(
            description="An API route without the base path, e.g. /api/customers/{customer_id}"
            " (a {param} matches an integer segment) or /api/customers/42"
        ),
    ] = None
    query: Annotated[
        dict[str, Scalar | list[Scalar]] | None,
        Meta(
            description="Filter values the request must bind (prefix filter. optional, names "
            "case-insensitive); a list parameter must contain every value given"
        ),
    ] = None
    headers: Annotated[
        dict[str, HeaderValue] | None,
        Meta(description="Header values (names case-insensitive)"),
    ] = None
    body: Annotated[
        dict[str, Any] | None,
        Meta(description="Fields the JSON body must have, with these values"),
    ] = None
    tenant: Annotated[
        str | None, Meta(description="The tenant: the Database the session logged in with")
    ] = None


class WhenSpec(Spec):
    """When a matching request fires the rule (all given conditions must hold); counters
    are per rule and per tenant."""

    probability: Annotated[
        Probability | None, Meta(description="Chance of firing, drawn on every match")
    ] = None
    every: Annotated[PosInt | None, Meta(description="Fire on the n-th, 2n-th, ... match")] = None
    first: Annotated[PosInt | None, Meta(description="Fire on matches 1..n")] = None
    after: Annotated[NonNegInt | None, Meta(description="Fire from match n+1 on")] = None
    times: Annotated[PosInt | None, Meta(description="Fire at most n times")] = None

    def __post_init__(self) -> None:
        if all(
            value is None
            for value in (self.probability, self.every, self.first, self.after, self.times)
        ):
            raise ValueError(
                "give at least one of probability, every, first, after, times "
                "(or leave `when` out to fire on every match)"
            )


_LATENCY_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # distribution: (required, optional)
    "fixed": (("ms",), ()),
    "uniform": (("min_ms", "max_ms"), ()),
    "normal": (("mean_ms", "stddev_ms"), ("min_ms", "max_ms")),
    "lognormal": (("median_ms", "sigma"), ("max_ms",)),
}


class LatencySpec(Spec):
    """A delay before the answer, in milliseconds: fixed (``ms``), ``uniform`` (``min_ms``,
    ``max_ms``), ``normal`` (``mean_ms``, ``stddev_ms``, optional ``min_ms``/``max_ms``) or
    ``lognormal`` (``median_ms``, ``sigma``, optional cap ``max_ms``)."""

    distribution: Distribution = "fixed"
    ms: Millis | None = None
    min_ms: Millis | None = None
    max_ms: Millis | None = None
    mean_ms: Millis | None = None
    stddev_ms: Millis | None = None
    median_ms: Annotated[float, Meta(gt=0)] | None = None
    sigma: Millis | None = None

    def __post_init__(self) -> None:
        required, optional = _LATENCY_FIELDS[self.distribution]
        given = [
            name
            for name in ("ms", "min_ms", "max_ms", "mean_ms", "stddev_ms", "median_ms", "sigma")
            if getattr(self, name) is not None
        ]
        missing = [name for name in required if name not in given]
        extra = [name for name in given if name not in required and name not in optional]
        if missing:
            raise ValueError(
                f"a {self.distribution} latency needs {' and '.join(required)}"
                f" (missing: {', '.join(missing)})"
            )
        if extra:
            raise ValueError(
                f"a {self.distribution} latency takes "
                f"{', '.join((*required, *optional))}, not {', '.join(extra)}"
            )
        if self.min_ms is not None and self.max_ms is not None and self.min_ms > self.max_ms:
            raise ValueError("min_ms must not be greater than max_ms")


class ErrorSpec(Spec):
    """An answer instead of the real one. Without ``body``, an ASP.NET-shaped
    ``{"Message": ...}`` for the status; a 429 gets ``Retry-After: 1`` unless told
    otherwise; a 401 ends the caller's session unless ``invalidate_session: false``."""

    status: Annotated[int, Meta(ge=200, le=599)]
    body: Any | UnsetType = UNSET
    headers: dict[str, HeaderValue] = {}
    retry_after_s: NonNegInt | None = None
    invalidate_session: bool | None = None


class RespondSpec(Spec):
    """A whole answer instead of the mock's, on any API path (also one the mock does not
    implement): ``status``, a JSON ``body`` or a file (``$ref``, relative to the scenario,
    sent byte for byte), and ``headers`` (``Content-Type`` defaults to JSON).
    ``serve --upstream-record`` writes these rules."""

    status: Annotated[int, Meta(ge=200, le=599)]
    body: Any | UnsetType = UNSET
    ref: str | None = msgspec.field(default=None, name="$ref")
    headers: dict[str, HeaderValue] = {}

    def __post_init__(self) -> None:
        if self.body is not UNSET and self.ref is not None:
            raise ValueError("a respond has a body or a $ref, not both")


class FaultSpec(Spec):
    """A broken answer: ``slow_body`` takes ``duration_ms`` (default 2000) and ``chunks``
    (default 10); ``truncated_body`` takes ``keep_bytes`` (default: half the body);
    ``malformed_json`` takes ``body`` (default: the real body cut in half)."""

    type: FaultKind
    duration_ms: Millis | None = None
    chunks: PosInt | None = None
    keep_bytes: NonNegInt | None = None
    body: str | None = None

    def __post_init__(self) -> None:
        allowed = {
            "slow_body": ("duration_ms", "chunks"),
            "truncated_body": ("keep_bytes",),
            "malformed_json": ("body",),
        }.get(self.type, ())
        extra = [
            name
            for name in ("duration_ms", "chunks", "keep_bytes", "body")
            if getattr(self, name) is not None and name not in allowed
        ]
        if extra:
            takes = f"takes only {', '.join(allowed)}" if allowed else "takes no options"
            raise ValueError(f"the fault {self.type} {takes}, not {', '.join(extra)}")


class RuleSpec(Spec):
    """One rule: what it matches, when it fires, and what it does (a latency, plus an error,
    a fault or a recorded answer)."""

    name: str | None = None
    match: MatchSpec | None = None
    when: WhenSpec | None = None
    latency: LatencySpec | None = None
    error: Annotated[int, Meta(ge=200, le=599)] | ErrorSpec | None = None
    fault: FaultKind | FaultSpec | None = None
    respond: RespondSpec | None = None

    def __post_init__(self) -> None:
        answers = [a for a in (self.error, self.fault, self.respond) if a is not None]
        if self.latency is None and not answers:
            raise ValueError("a rule needs a latency, an error, a fault or a respond")
        if len(answers) > 1:
            given = " and ".join(
                name
                for name, value in (
                    ("an error", self.error),
                    ("a fault", self.fault),
                    ("a respond", self.respond),
                )
                if value is not None
            )
            raise ValueError(f"a rule has one of an error, a fault or a respond, not {given}")


class ScenarioSpec(Spec):
    """A scenario: how the mock misbehaves and which records it holds."""

    schema: str | None = msgspec.field(default=None, name="$schema")
    name: str | None = None
    description: str | None = None
    seed: Annotated[
        int | None,
        Meta(description="Seed of the generated data and of every dice roll (default: --seed)"),
    ] = None
    data: DataSpec | None = None
    records: RecordsSpec | None = None
    rules: list[RuleSpec] = []
    auth: AuthSpec | None = None
    clock: ClockSpec | None = None


# --- validation that reports every problem --------------------------------------------------


def display(path: Path) -> str:
    """``rules[0].latency.ms`` for a path."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


def check(
    value: Any, cls: type[Spec], document: Document, path: Path = ()
) -> tuple[Any, list[str]]:
    """``value`` converted to ``cls`` and no problems, or None and every problem found."""
    problems: list[str] = []
    _check(value, cls, path, document, problems)
    if problems:
        return None, problems
    try:
        return msgspec.convert(value, cls), []
    except msgspec.ValidationError as error:  # pragma: no cover - the walk found nothing
        return None, [f"{document.where(path)}: {_message(error, path)}"]


def _problem(document: Document, path: Path, message: str, problems: list[str]) -> None:
    shown = display(path)
    problems.append(f"{document.where(path)}: {shown + ': ' if shown else ''}{message}")


def _message(error: msgspec.ValidationError, path: Path) -> str:
    message, inner = error_parts(error)
    shown = display(path)
    if inner:
        shown = shown + inner if shown else inner.lstrip(".")
    return f"{shown}: {message}" if shown else message


def _unannotate(tp: Any) -> Any:
    while get_origin(tp) is Annotated:
        tp = get_args(tp)[0]
    return tp


def _members(tp: Any) -> list[Any]:
    base = _unannotate(tp)
    if get_origin(base) in (Union, types.UnionType):
        return [_unannotate(member) for member in get_args(base)]
    return [base]


def _is_struct(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, msgspec.Struct)


_fields = fields_by_name


def suggestion(word: str, choices: Sequence[str], what: str, *, too_many: str | None = None) -> str:
    """ "; did you mean 'x'?" or "; the WHAT are: a, b, c" (or, past 20 choices and when
    given, ``too_many``: where to find them, rather than a wall of names)."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return f"; did you mean '{close[0]}'?"
    if too_many is not None and len(choices) > 20:
        return f"; {too_many}"
    return f"; the {what} are: {', '.join(choices)}"


def _check(value: Any, tp: Any, path: Path, document: Document, problems: list[str]) -> None:
    members = _members(tp)
    struct = next((m for m in members if _is_struct(m)), None)
    if struct is not None and isinstance(value, dict):
        _check_struct(value, struct, path, document, problems)
        return
    if isinstance(value, str):
        literal = next((m for m in members if get_origin(m) is Literal), None)
        if literal is not None and str not in members:
            allowed = [str(choice) for choice in get_args(literal)]
            if value not in allowed:
                message = f"'{value}' is not allowed" + suggestion(value, allowed, "choices")
                _problem(document, path, message, problems)
            return
    if isinstance(value, list):
        sequence = next((m for m in members if get_origin(m) is list), None)
        if sequence is not None:
            (item_type,) = get_args(sequence)
            for index, item in enumerate(value):
                _check(item, item_type, (*path, index), document, problems)
            return
    if isinstance(value, dict):
        mapping = next((m for m in members if get_origin(m) is dict), None)
        if mapping is not None:
            _, item_type = get_args(mapping)
            for key, item in value.items():
                _check(item, item_type, (*path, key), document, problems)
            return
    try:
        msgspec.convert(value, tp)
    except msgspec.ValidationError as error:
        problems.append(f"{document.where(path)}: {_message(error, path)}")


def _check_struct(
    value: dict[str, Any],
    cls: type[msgspec.Struct],
    path: Path,
    document: Document,
    problems: list[str],
) -> None:
    fields = _fields(cls)
    before = len(problems)
    for key in value:
        if key not in fields:
            message = f"unknown key '{key}'" + suggestion(key, list(fields), "keys")
            shown = display(path)
            problems.append(
                f"{document.where_key((*path, key))}: {shown + ': ' if shown else ''}{message}"
            )
    for name, info in fields.items():
        if info.required and name not in value:
            _problem(document, path, f"missing key '{name}'", problems)
    for key, item in value.items():
        given = fields.get(key)
        if given is not None:
            _check(item, given.type, (*path, key), document, problems)
    if len(problems) == before:
        try:
            msgspec.convert(value, cls)
        except msgspec.ValidationError as error:
            problems.append(f"{document.where(path)}: {_message(error, path)}")


# --- the published JSON Schema --------------------------------------------------------------


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file, from the same Structs the loader uses. Record
    models forbid unknown keys here because the loader does (the API itself ignores them)."""
    (root, *_), components = msgspec.json.schema_components(
        [ScenarioSpec, RecordFile, models.Customer, models.Invoice, models.SalesOrder],
        ref_template="#/$defs/{name}",
    )
    for name, component in components.items():
        model = getattr(models, name, None)
        if isinstance(model, type) and issubclass(model, models.Model):
            component["additionalProperties"] = False
        if "description" in component:  # a docstring: one line of plain text for editors
            text = " ".join(component["description"].split())
            component["description"] = text.replace("``", "`")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "mockserver scenario",
        "description": "How the mock misbehaves and which records it holds; see docs/scenarios.md.",
        **root,
        "$defs": dict(sorted(components.items())),
    }


def schema_text() -> str:
    """The committed ``scenario.schema.json``, byte for byte."""
    import json

    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
