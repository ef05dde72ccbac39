"""Scenarios: how the mock misbehaves and which records it holds, from YAML (or JSON).

``load_files`` layers files (scalars of later files win, records merge by id, rules append),
``load_text`` reads one document (a ``PUT /_mock/scenario`` body), ``activate`` makes a
scenario the server's active one atomically. ``install`` wires a server's ``State`` at
start-up. Every problem is reported as ``FILE:LINE:COLUMN: message`` (1-based), all at once,
and nothing is applied unless everything is valid.

A scenario's data are the generated data for its ``seed`` and ``data`` (each defaulting to
the server's settings) with its ``records`` laid over them. Activating a scenario whose data
differ from the running data builds a new store (every tenant starts afresh); otherwise the
store, and what the tenants wrote, stay.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec

from . import records
from .datagen import generate
from .models import Customer, Invoice
from .records import Located, RecordProblems
from .rules import ApiRoutes, Rule, RuleBook, compile_rule
from .scenario_spec import (
    AuthSpec,
    DataSpec,
    RuleSpec,
    ScenarioSpec,
    check,
)
from .scenario_yaml import Document, Path, YamlProblems, parse
from .settings import Settings
from .store import Dataset, Store

ACTIVE_SCOPE = "active"
INVOICES_PER_CUSTOMER = 5
BODY_SOURCE = "<body>"
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


class ScenarioError(Exception):
    """An invalid scenario: ``problems`` are ``FILE:LINE:COLUMN: message`` lines, in the
    order of the files and, within a file, of lines and columns."""

    def __init__(self, problems: Sequence[str], sources: Sequence[str] = ()) -> None:
        ordered = _in_order(problems, sources)
        super().__init__("\n".join(ordered))
        self.problems = ordered


_SITE = re.compile(r"^(.*?):(\d+):(\d+): ")


def _in_order(problems: Sequence[str], sources: Sequence[str]) -> list[str]:
    """Scenario files first (in their order), then the record files they name."""
    files: dict[str, int] = {source: index for index, source in enumerate(sources)}

    def key(problem: str) -> tuple[int, int, int]:
        site = _SITE.match(problem)
        if site is None:
            return (len(files), 0, 0)
        file = files.setdefault(site.group(1), len(files))
        return (file, int(site.group(2)), int(site.group(3)))

    return sorted(problems, key=key)


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

    @property
    def name(self) -> str | None:
        return self.spec.name

    @property
    def has_records(self) -> bool:
        return self.replace or bool(self.customers) or bool(self.invoices)

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


def load_files(paths: Sequence[str | os.PathLike[str]]) -> Scenario:
    """The scenario of these files, each layered over the ones before it."""
    problems: list[str] = []
    parts: list[_Part] = []
    for path in paths:
        source = os.fspath(path)
        try:
            with open(source, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as error:
            reason = error.strerror if isinstance(error, OSError) else "it is not UTF-8 text"
            problems.append(f"{source}:1:1: cannot read the scenario: {reason}")
            continue
        part = _read_part(text, source, os.path.dirname(source) or ".", problems)
        if part is not None:
            parts.append(part)
    return _combine(parts, problems, [os.fspath(path) for path in paths])


def load_text(text: str, source: str = "<scenario>", base_dir: str | None = None) -> Scenario:
    """The scenario in ``text`` (YAML or JSON); ``$ref`` paths are relative to ``base_dir``
    (default: the working directory)."""
    problems: list[str] = []
    part = _read_part(text, source, base_dir or ".", problems)
    return _combine([part] if part is not None else [], problems, [source])


def _read_part(text: str, source: str, base_dir: str, problems: list[str]) -> _Part | None:
    try:
        document = parse(text, source)
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
    raw_records = value.get("records")
    if isinstance(raw_records, dict):
        for kind, into in (("customers", customers), ("invoices", invoices)):
            found_records = records.read(
                kind, raw_records.get(kind), document, ("records", kind), base_dir, problems
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
            rule = compile_rule(rule_spec, len(rule_specs), document, path, routes, problems)
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
    for part in parts:
        customers = records.merge(customers, part.customers)
        invoices = records.merge(invoices, part.invoices)
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
    if problems:
        raise ScenarioError(problems, sources)
    spec = ScenarioSpec(
        name=_last(*(s.name for s in specs)),
        description=_last(*(s.description for s in specs)),
        seed=_last(*(s.seed for s in specs)),
        data=data,
        rules=rule_specs,
        auth=AuthSpec(session_ttl_s=ttl) if ttl is not None else None,
    )
    return Scenario(
        spec=spec,
        rules=tuple(compiled),
        customers=tuple(customers),
        invoices=tuple(invoices),
        replace=replace,
        sources=tuple(part.source for part in parts),
        data_site=data_site,
    )


_CONVERTOR = re.compile(r"\{(\w+):[^}]*\}")


@functools.cache
def api_routes() -> ApiRoutes:
    """The API routes rules may name, read once from the application's route table."""
    from starlette.routing import Route

    from .app import api_routes as routes
    from .filters import CUSTOMER_FILTER, INVOICE_FILTER

    templates = tuple(
        dict.fromkeys(_CONVERTOR.sub(r"{\1}", r.path) for r in routes() if isinstance(r, Route))
    )
    filters = {
        "/api/customers": CUSTOMER_FILTER,
        "/api/customers/base": CUSTOMER_FILTER,
        "/api/invoices": INVOICE_FILTER,
    }
    return ApiRoutes(templates, filters)


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
        return records.overlay(base, scenario.customers, scenario.invoices)
    except RecordProblems as error:
        raise ScenarioError(error.problems, scenario.sources) from None


def check_data(settings: Settings, scenario: Scenario) -> None:
    """Raise ScenarioError if the scenario's data cannot be built (the records break
    referential integrity, or the sizes cannot be generated)."""
    build_dataset(settings, scenario, {})


# --- the running server's scenarios ---------------------------------------------------------


class NamedScenarioError(Exception):
    """``X-Mock-Scenario`` names no usable scenario; ``messages`` say why."""

    def __init__(self, messages: Sequence[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = list(messages)


@dataclass
class _Named:
    stamp: tuple[int, int]  # the file's mtime and size when it was read
    scenario: Scenario
    book: RuleBook
    store: Store | None  # None: the running store


@dataclass
class Prepared:
    """Everything ``activate`` will swap in, built before anything changes."""

    scenario: Scenario | None
    key: DataKey
    store: Store | None  # None: keep the running store
    book: RuleBook
    ttl_s: float
    generated: dict[tuple[int, int, int], Dataset]


@dataclass
class Runtime:
    """``State.scenario``: the start-up and active scenarios, the active rules' counters,
    the named scenarios of ``X-Mock-Scenario`` and the generated datasets they share."""

    settings: Settings
    startup: Scenario | None
    base_ttl_s: float
    active: Scenario | None = None
    book: RuleBook = field(default_factory=lambda: RuleBook((), 0, ACTIVE_SCOPE))
    key: DataKey | None = None
    generated: dict[tuple[int, int, int], Dataset] = field(default_factory=dict)
    named: dict[str, _Named] = field(default_factory=dict)

    def reset(self, tenant: str | None) -> None:
        """``State.reset`` hook: rule counters (and named scenarios' data) start afresh."""
        self.book.reset(tenant)
        for entry in list(self.named.values()):
            entry.book.reset(tenant)
            if entry.store is not None:
                entry.store.reset(tenant)

    def context(self, name: str | None) -> tuple[RuleBook, Store | None]:
        """The rules (and, if it sets data, the store) a request works with: the active
        scenario's, or those of the scenario ``X-Mock-Scenario`` names."""
        if name is None:
            return self.book, None
        entry = self._named(name)
        return entry.book, entry.store

    def _named(self, name: str) -> _Named:
        folder = self.settings.scenarios_dir
        if not _NAME.fullmatch(name):
            raise NamedScenarioError(
                [f"'{name}' is not a scenario name (letters, digits, '_', '-' and '.')"]
            )
        path = os.path.join(folder, name + ".yaml")
        try:
            status = os.stat(path)
        except OSError:
            raise NamedScenarioError(
                [f"There is no scenario named '{name}' ({path} does not exist)."]
            ) from None
        stamp = (status.st_mtime_ns, status.st_size)
        entry = self.named.get(name)
        if entry is not None and entry.stamp == stamp:
            return entry
        try:
            scenario = load_files([path])
            if scenario.spec.auth is not None:
                raise NamedScenarioError(
                    [
                        f"The scenario '{name}' sets auth, which applies to the whole server: "
                        "activate it with PUT /_mock/scenario or --scenario instead."
                    ]
                )
            store = None
            if scenario.sets_data:
                # Built here, on first use; a copy of the cache, as ``prepare`` may be
                # reading it from a worker thread.
                generated = dict(self.generated)
                store = Store(build_dataset(self.settings, scenario, generated))
                self.generated = generated
        except ScenarioError as error:
            raise NamedScenarioError(error.problems) from None
        book = RuleBook(scenario.rules, dice_seed(self.settings, scenario), f"named:{name}")
        entry = self.named[name] = _Named(stamp, scenario, book, store)
        return entry


def runtime_of(state: Any) -> Runtime:
    runtime = state.scenario
    assert isinstance(runtime, Runtime), "the scenarios are installed by create_app"
    return runtime


def load_startup(settings: Settings) -> Scenario | None:
    """The scenario of ``--scenario`` / ``MOCKSERVER_SCENARIO`` (None without one)."""
    return load_files(settings.scenario) if settings.scenario else None


def install(state: Any, startup: Scenario | None) -> None:
    """Wire the scenarios into a new server's ``State``. ``state.store`` holds the generated
    data of ``data_size(settings, startup)``; the start-up records are laid over it here."""
    settings: Settings = state.settings
    runtime = Runtime(settings, startup, base_ttl_s=state.sessions.ttl_s)
    size = data_size(settings, startup)
    runtime.generated[size] = state.store.dataset
    runtime.key = (*size, b"")
    state.scenario = runtime
    state.on_reset.append(runtime.reset)
    activate(state, startup)


def prepare(state: Any, scenario: Scenario | None) -> Prepared:
    """Build what activating ``scenario`` needs without changing anything (safe to run in a
    worker thread); ScenarioError if its data cannot be built."""
    runtime = runtime_of(state)
    settings = runtime.settings
    key = data_key(settings, scenario)
    store = None
    generated = runtime.generated
    if key != runtime.key:
        generated = dict(generated)
        store = Store(build_dataset(settings, scenario, generated), clock=state.store.clock)
        # Keep the start-up data and the new data generated; drop the rest.
        keep = {data_size(settings, runtime.startup), key[:3]}
        generated = {size: dataset for size, dataset in generated.items() if size in keep}
    ttl = runtime.base_ttl_s
    if scenario is not None and scenario.spec.auth is not None:
        ttl = scenario.spec.auth.session_ttl_s or ttl
    book = RuleBook(
        scenario.rules if scenario is not None else (), dice_seed(settings, scenario), ACTIVE_SCOPE
    )
    return Prepared(scenario, key, store, book, ttl, generated)


def apply(state: Any, prepared: Prepared) -> None:
    """Swap in a prepared scenario: plain assignments, nothing that can fail half-way."""
    runtime = runtime_of(state)
    if prepared.store is not None:
        state.store = prepared.store
    runtime.generated = prepared.generated
    runtime.active = prepared.scenario
    runtime.book = prepared.book
    runtime.key = prepared.key
    state.sessions.ttl_s = prepared.ttl_s


def activate(state: Any, scenario: Scenario | None) -> None:
    """Make ``scenario`` the active one atomically (None: back to the start-up scenarios).
    Rule counters start afresh; data whose seed, size or records differ are rebuilt, which
    resets every tenant. Raises ScenarioError, changing nothing, if the data cannot be built."""
    runtime = runtime_of(state)
    apply(state, prepare(state, scenario if scenario is not None else runtime.startup))


def describe(state: Any) -> dict[str, Any]:
    """What ``GET /_mock/scenario`` shows: the active scenario, its data and its rules with
    their counters per tenant."""
    runtime = runtime_of(state)
    scenario = runtime.active
    dataset = state.store.dataset
    counts = runtime.book.counts()
    spec = scenario.spec if scenario is not None else None
    return {
        "active": scenario is not None,
        "startup": scenario is not None and scenario is runtime.startup,
        "name": spec.name if spec else None,
        "description": spec.description if spec else None,
        "sources": list(scenario.sources) if scenario else [],
        "seed": runtime.book.seed if scenario else runtime.settings.seed,
        "data": {"customers": len(dataset.customers), "invoices": len(dataset.invoices)},
        "records": {
            "replace": scenario.replace if scenario else False,
            "customers": [item.record.id for item in scenario.customers] if scenario else [],
            "invoices": [item.record.id for item in scenario.invoices] if scenario else [],
        },
        "auth": {"session_ttl_s": state.sessions.ttl_s},
        "rules": [
            {
                "name": rule.label,
                "at": rule.site,
                "rule": msgspec.to_builtins(rule.spec),
                "counters": counts[rule.label],
            }
            for rule in runtime.book.rules
        ],
    }
