"""Loading scenarios: ``load_files`` layers files (scalars of later files win, records merge
by id, rules append), ``load_text`` reads one document (a ``PUT /_mock/scenario`` body),
``load_sent`` confines one sent over HTTP; every problem is reported as
``FILE:LINE:COLUMN: message`` (1-based), all at once. And which data a scenario serves
(``data_size``, ``data_key``, ``build_dataset``): the generated data for its ``seed`` and
``data`` with its ``records`` laid over them. It knows nothing of a running server
(``scenarios``) nor of HTTP; ``scenarios`` re-exports all of it.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from . import records
from .datagen import generate
from .models import Customer, Invoice, SalesOrder
from .record_overlay import RecordProblems, overlay
from .records import Located, RefPolicy
from .routes import API_TEMPLATES, LIST_FILTERS
from .rules import ApiRoutes, Rule, compile_rule
from .scenario_names import (
    DEFAULT_SCENARIOS_DIR,
    ScenarioError,
    file_refs,
    find,
    is_name,
    sent_refs,
)
from .scenario_spec import (
    AuthSpec,
    DataSpec,
    RuleSpec,
    ScenarioSpec,
    check,
)
from .scenario_yaml import Document, Path, YamlProblems, parse
from .settings import Settings
from .store import Dataset

INVOICES_PER_CUSTOMER = 5
BODY_SOURCE = "<body>"


@dataclass(frozen=True)
class Scenario:
    """A loaded, valid scenario (possibly several layered files)."""

    spec: ScenarioSpec  # scalars and every rule as written; records are below
    rules: tuple[Rule, ...]
    customers: tuple[Located[Customer], ...]
    invoices: tuple[Located[Invoice], ...]
    replace: bool
    sources: tuple[str, ...]
    data_site: str | None = None
    orders: tuple[Located[SalesOrder], ...] = ()

    @property
    def name(self) -> str | None:
        return self.spec.name

    @property
    def has_records(self) -> bool:
        return self.replace or bool(self.customers) or bool(self.invoices) or bool(self.orders)

    @property
    def sets_data(self) -> bool:
        """Whether the scenario decides the data (its seed, size or records)."""
        return self.spec.seed is not None or self.spec.data is not None or self.has_records


# --- loading --------------------------------------------------------------------------------


@dataclass
class _Part:
    """One file, validated (``spec`` is None when it has problems)."""

    spec: ScenarioSpec | None
    rules: list[tuple[RuleSpec, Document, Path]]
    customers: list[Located[Customer]]
    invoices: list[Located[Invoice]]
    source: str
    data_site: str | None
    replace_site: str | None
    refs: RefPolicy | None = None  # where its rules' ``respond.$ref`` may read from
    orders: list[Located[SalesOrder]] = field(default_factory=list)


def load_files(
    paths: Sequence[str | os.PathLike[str]],
    scenarios_dir: str | None = None,
    *,
    confine: bool = False,
) -> Scenario:
    """The scenario of these files, each layered over the ones before it. An entry that is a
    name (``flaky-5xx``) is found in ``scenarios_dir`` (default ``./scenarios``), else among
    the shipped scenarios. A file's ``$ref`` paths are relative to the file; ``confine``
    (a file named over HTTP) keeps them inside the folders ``sent_refs`` allows."""
    problems: list[str] = []
    parts: list[_Part] = []
    sources: list[str] = []
    folder = scenarios_dir or DEFAULT_SCENARIOS_DIR
    for path in paths:
        source = os.fspath(path)
        if is_name(source):
            try:
                source = find(source, folder)
            except ScenarioError as error:
                problems.extend(error.problems)
                if os.path.isfile(source):  # a file without a suffix: a path says so
                    problems.append(f"(To load the file {source} here, write ./{source}.)")
                continue
        sources.append(source)
        try:
            with open(source, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) else "it is not UTF-8 text"
            problems.append(f"{source}:1:1: cannot read the scenario: {reason}")
            continue
        refs = file_refs(source, folder if confine else None)
        as_json = True if source.lower().endswith(".json") else None
        part = _read_part(text, source, refs, problems, as_json)
        if part is not None:
            parts.append(part)
    return _combine(parts, problems, sources)


def load_text(
    text: str,
    source: str = "<scenario>",
    base_dir: str | None = None,
    *,
    refs: RefPolicy | None = None,
    as_json: bool | None = None,
) -> Scenario:
    """The scenario in ``text`` (YAML or JSON: ``as_json`` True or False decides, None
    reads JSON when the text starts with ``{`` or ``[``); ``$ref`` paths are relative to
    ``base_dir`` (default: the working directory), or follow ``refs``."""
    problems: list[str] = []
    part = _read_part(text, source, refs or RefPolicy((base_dir or ".",)), problems, as_json)
    return _combine([part] if part is not None else [], problems, [source])


def load_sent(text: str, settings: Settings, *, as_json: bool | None = None) -> Scenario:
    """A scenario sent over HTTP (``PUT /_mock/scenario``): ``$ref`` confined as
    ``sent_refs`` says, and its data no larger than ``settings.max_records``."""
    scenario = load_text(text, BODY_SOURCE, refs=sent_refs(settings.scenarios_dir), as_json=as_json)
    check_size(settings, scenario)
    return scenario


def check_size(settings: Settings, scenario: Scenario) -> None:
    """ScenarioError, before anything is generated, if a scenario from over HTTP asks for
    more customers and invoices than ``--max-records``. Only ``data:`` counts: a scenario
    that only changes the seed regenerates the server's own size."""
    if scenario.spec.data is None:
        return
    _, customers, invoices = data_size(settings, scenario)
    limit = settings.max_records
    if customers + invoices > limit:
        raise ScenarioError(
            [
                f"{scenario.data_site}: data: {customers} customers and {invoices} invoices "
                f"are {customers + invoices} records, more than the {limit} a scenario sent "
                "over HTTP may generate (the server's --max-records)"
            ]
        )


def _read_part(
    text: str, source: str, refs: RefPolicy, problems: list[str], as_json: bool | None = None
) -> _Part | None:
    try:
        document = parse(text, source, as_json=as_json)
    except YamlProblems as error:
        problems.extend(error.problems)
        return None
    value = document.value
    if not isinstance(value, dict):
        problems.append(
            f"{document.where(())}: a scenario is a mapping of keys (name, rules, records, ...)"
        )
        return None
    before = len(problems)
    spec, found = check(value, ScenarioSpec, document)
    problems.extend(found)
    rules: list[tuple[RuleSpec, Document, Path]] = []
    raw_rules = value.get("rules")
    if isinstance(raw_rules, list):
        for index, raw in enumerate(raw_rules):
            rule, _ = check(raw, RuleSpec, document, ("rules", index))
            if rule is not None:
                rules.append((rule, document, ("rules", index)))
    customers: list[Located[Customer]] = []
    invoices: list[Located[Invoice]] = []
    orders: list[Located[SalesOrder]] = []
    raw_records = value.get("records")
    if isinstance(raw_records, dict):
        kinds: tuple[tuple[str, list[Located[Any]]], ...] = (
            ("customers", customers),
            ("invoices", invoices),
            ("orders", orders),
        )
        for kind, into in kinds:
            found_records = records.read(
                kind, raw_records.get(kind), document, ("records", kind), refs, problems
            )
            records.duplicates(found_records, kind[:-1], problems)
            into.extend(found_records)
    if len(problems) > before:
        spec = None
    replace_site = None
    if isinstance(raw_records, dict) and "replace" in raw_records:
        replace_site = document.where(("records", "replace"))
    return _Part(
        spec=spec,
        rules=rules,
        customers=customers,
        invoices=invoices,
        source=source,
        data_site=document.where(("data",)) if "data" in value else None,
        replace_site=replace_site,
        refs=refs,
        orders=orders,
    )


def _last(*values: Any) -> Any:
    given = [value for value in values if value is not None]
    return given[-1] if given else None


def _compile_rules(
    parts: Sequence[_Part], problems: list[str]
) -> tuple[list[Rule], list[RuleSpec]]:
    """Every rule of every layer, numbered across the layers; rule names are unique."""
    compiled: list[Rule] = []
    rule_specs: list[RuleSpec] = []
    labels: dict[str, str] = {}
    routes = api_routes()
    for part in parts:
        for rule_spec, document, path in part.rules:
            rule = compile_rule(
                rule_spec, len(rule_specs), document, path, routes, problems, part.refs
            )
            rule_specs.append(rule_spec)
            if rule is None:
                continue
            if rule.label in labels:
                problems.append(
                    f"{rule.site}: the rule name '{rule.label}' is used twice (also at "
                    f"{labels[rule.label]})"
                )
            labels[rule.label] = rule.site
            compiled.append(rule)
    return compiled, rule_specs


def _combine(parts: Sequence[_Part], problems: list[str], sources: Sequence[str]) -> Scenario:
    compiled, rule_specs = _compile_rules(parts, problems)
    if problems:
        raise ScenarioError(problems, sources)
    specs = [part.spec for part in parts if part.spec is not None]
    customers: list[Located[Customer]] = []
    invoices: list[Located[Invoice]] = []
    orders: list[Located[SalesOrder]] = []
    for part in parts:
        customers = records.merge(customers, part.customers)
        invoices = records.merge(invoices, part.invoices)
        orders = records.merge(orders, part.orders)
    data_specs = [s.data for s in specs if s.data is not None]
    data = (
        DataSpec(
            customers=_last(*(d.customers for d in data_specs)),
            invoices=_last(*(d.invoices for d in data_specs)),
        )
        if data_specs
        else None
    )
    data_site = _last(*(part.data_site for part in parts))
    replace = bool(_last(*(s.records.replace for s in specs if s.records is not None)))
    replace_site = _last(*(part.replace_site for part in parts))
    if replace and data is not None:
        problems.append(
            f"{replace_site}: records.replace: true holds exactly the records; it cannot be "
            f"combined with data (given at {data_site})"
        )
    if data is not None and data.customers == 0 and (data.invoices or 0) > 0:
        problems.append(f"{data_site}: data: invoices need at least one customer")
    ttl = _last(*(s.auth.session_ttl_s for s in specs if s.auth is not None))
    clock = _last(*(s.clock for s in specs))
    if problems:
        raise ScenarioError(problems, sources)
    spec = ScenarioSpec(
        name=_last(*(s.name for s in specs)),
        description=_last(*(s.description for s in specs)),
        seed=_last(*(s.seed for s in specs)),
        data=data,
        rules=rule_specs,
        auth=AuthSpec(session_ttl_s=ttl) if ttl is not None else None,
        clock=clock,
    )
    return Scenario(
        spec=spec,
        rules=tuple(compiled),
        customers=tuple(customers),
        invoices=tuple(invoices),
        replace=replace,
        sources=tuple(part.source for part in parts),
        data_site=data_site,
        orders=tuple(orders),
    )


@functools.cache
def api_routes() -> ApiRoutes:
    """The API routes rules may name, from the route table (``mockserver.routes``)."""
    return ApiRoutes(API_TEMPLATES, LIST_FILTERS)


# --- which data a scenario serves -----------------------------------------------------------

DataKey = tuple[int, int, int, bytes]


def data_size(settings: Settings, scenario: Scenario | None) -> tuple[int, int, int]:
    """(seed, customers, invoices) of the generated data under ``scenario``."""
    if scenario is None:
        return settings.seed, settings.customers, settings.invoices
    spec = scenario.spec
    seed = spec.seed if spec.seed is not None else settings.seed
    if scenario.replace:
        return seed, 0, 0
    data = spec.data
    customers = settings.customers
    invoices = settings.invoices
    if data is not None and data.customers is not None:
        customers = data.customers
        invoices = INVOICES_PER_CUSTOMER * customers
    if data is not None and data.invoices is not None:
        invoices = data.invoices
    return seed, customers, invoices


def data_key(settings: Settings, scenario: Scenario | None) -> DataKey:
    """What identifies the data a scenario serves: sizes, seed and its exact records."""
    fingerprint = b""
    if scenario is not None and scenario.has_records:
        fingerprint = msgspec.json.encode(
            [
                scenario.replace,
                [item.record for item in scenario.customers],
                [item.record for item in scenario.invoices],
                [item.record for item in scenario.orders],
            ]
        )
    return (*data_size(settings, scenario), fingerprint)


def dice_seed(settings: Settings, scenario: Scenario | None) -> int:
    if scenario is not None and scenario.spec.seed is not None:
        return scenario.spec.seed
    return settings.seed


def build_dataset(
    settings: Settings, scenario: Scenario | None, generated: dict[tuple[int, int, int], Dataset]
) -> Dataset:
    """The data ``scenario`` serves; ``generated`` caches generated datasets by size."""
    size = data_size(settings, scenario)
    base = generated.get(size)
    if base is None:
        try:
            base = generate(*size)
        except ValueError as error:
            site = scenario.data_site if scenario is not None else None
            raise ScenarioError([f"{site or '<settings>'}: data: {error}"]) from None
        generated[size] = base
    if scenario is None or not scenario.has_records:
        return base
    try:
        return overlay(base, scenario.customers, scenario.invoices, scenario.orders)
    except RecordProblems as error:
        raise ScenarioError(error.problems, scenario.sources) from None


def check_data(settings: Settings, scenario: Scenario) -> None:
    """Raise ScenarioError if the scenario's data cannot be built (the records break
    referential integrity, or the sizes cannot be generated)."""
    build_dataset(settings, scenario, {})
