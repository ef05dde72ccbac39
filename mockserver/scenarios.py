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

A name (``flaky-5xx``: no folder, no suffix) is found in the user's scenarios folder, then
among the scenarios shipped in ``data/scenarios``, by every loader here, so every way of
choosing a scenario takes names alike. Scenarios from the command line are trusted; one sent
over HTTP (``load_sent``, or a file ``X-Mock-Scenario`` names) may ``$ref`` only inside the
folders ``sent_refs`` allows and ask for at most ``--max-records`` generated records
(``check_size``). ``off_loop`` runs builds in daemon threads nothing ever waits for. What
knows HTTP (status codes, headers, the event loop's requests) is ``api/``'s business.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import functools
import os
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import msgspec

from . import records
from .datagen import generate
from .models import Customer, Invoice
from .records import Located, RecordProblems, RefPolicy
from .routes import API_TEMPLATES, LIST_FILTERS
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
SUFFIXES = (".yaml", ".yml", ".json")
# The example scenarios and the record files they name, shipped inside the package.
SHIPPED_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "scenarios")
SHIPPED_FIXTURES = os.path.join(os.path.dirname(SHIPPED_DIR), "fixtures")
DEFAULT_SCENARIOS_DIR = Settings.scenarios_dir


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


# --- names: the user's folder first, then the shipped examples -------------------------------


def is_name(text: str) -> bool:
    """Whether ``text`` names a scenario (``flaky-5xx``) rather than a file: no folder, no
    suffix."""
    return _NAME.fullmatch(text) is not None and not text.lower().endswith(SUFFIXES)


@dataclass(frozen=True)
class Available:
    """A scenario a name reaches."""

    name: str
    path: str
    shipped: bool
    shadows_shipped: bool = False  # a user's file of the same name as a shipped one


def _named_files(folder: str) -> dict[str, str]:
    """Name -> file of the scenarios in ``folder`` (the first suffix of SUFFIXES wins)."""
    try:
        entries = sorted(os.listdir(folder))
    except OSError:
        return {}
    found: dict[str, str] = {}
    for suffix in SUFFIXES:
        for entry in entries:
            name = entry[: -len(suffix)]
            if entry.endswith(suffix) and is_name(name) and name not in found:
                path = os.path.join(folder, entry)
                if os.path.isfile(path):
                    found[name] = path
    return found


def available(scenarios_dir: str | None = None) -> list[Available]:
    """Every scenario a name reaches: the user's folder's, then the shipped ones it does not
    shadow; each group by name."""
    user = _named_files(scenarios_dir or DEFAULT_SCENARIOS_DIR)
    shipped = _named_files(SHIPPED_DIR)
    return [
        *(Available(n, p, False, n in shipped) for n, p in sorted(user.items())),
        *(Available(n, p, True) for n, p in sorted(shipped.items()) if n not in user),
    ]


def summary(path: str) -> str:
    """One line about a scenario file: the first sentence of its ``description``, else its
    first comment line (an editor's ``yaml-language-server`` line aside)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        value = parse(text, path, as_json=True if path.lower().endswith(".json") else None).value
    except (OSError, UnicodeDecodeError, YamlProblems):
        return "(cannot be read: see mockserver validate)"
    description = value.get("description") if isinstance(value, dict) else None
    if isinstance(description, str) and description.strip():
        line = " ".join(description.split())
        first, period, _ = line.partition(". ")
        return first + "." if period else line
    for raw in text.splitlines():
        comment = raw.strip()
        if not comment.startswith("#"):
            if comment:
                break
            continue
        comment = comment.lstrip("#").strip()
        if comment and not comment.startswith("yaml-language-server"):
            return comment
    return ""


def find(name: str, scenarios_dir: str | None = None) -> str:
    """The file of the scenario called ``name``: ``NAME.yaml`` (``.yml``, ``.json``) in the
    user's folder, else the shipped one; ScenarioError (listing the names) if neither."""
    folder = scenarios_dir or DEFAULT_SCENARIOS_DIR
    for directory in (folder, SHIPPED_DIR):
        for suffix in SUFFIXES:
            path = os.path.join(directory, name + suffix)
            if os.path.isfile(path):
                return path
    raise ScenarioError([unknown_name(name, folder)])


def unknown_name(name: str, folder: str) -> str:
    names = [entry.name for entry in available(folder)]
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    return (
        f"There is no scenario named '{name}' (in {folder} or among the shipped ones).{hint} "
        f"The scenarios are: {', '.join(names) or 'none'}."
    )


# --- where $ref may read from ---------------------------------------------------------------


def _roots(scenarios_dir: str) -> tuple[str, ...]:
    """Where a scenario sent over HTTP may ``$ref``: the scenarios folder, the fixtures
    folder beside it, and the shipped scenarios and fixtures (real paths)."""
    folder = os.path.abspath(scenarios_dir)
    beside = os.path.join(os.path.dirname(folder), "fixtures")
    return tuple(
        dict.fromkeys(
            os.path.realpath(path) for path in (folder, beside, SHIPPED_DIR, SHIPPED_FIXTURES)
        )
    )


def sent_refs(scenarios_dir: str) -> RefPolicy:
    """The ``$ref`` policy of a scenario sent over HTTP (``PUT /_mock/scenario``): paths
    relative to the scenarios folder, else to the shipped scenarios' folder (so a shipped
    example's text works as sent), confined to ``_roots``."""
    return RefPolicy((scenarios_dir, SHIPPED_DIR), _roots(scenarios_dir))


def _file_refs(path: str, confine_to: str | None) -> RefPolicy:
    base = os.path.dirname(path) or "."
    return RefPolicy((base,), None if confine_to is None else _roots(confine_to))


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
        refs = _file_refs(source, folder if confine else None)
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
    raw_records = value.get("records")
    if isinstance(raw_records, dict):
        for kind, into in (("customers", customers), ("invoices", invoices)):
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
    name: str
    stamp: tuple[str, int, int]  # the file, its mtime and size when it was read
    scenario: Scenario
    book: RuleBook
    store: Store | None  # None: the running store
    generated: dict[tuple[int, int, int], Dataset] | None  # the cache, until registered


@dataclass
class Prepared:
    """Everything ``activate`` will swap in, built before anything changes."""

    scenario: Scenario | None
    key: DataKey | None
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

    def context(self, name: str | None) -> tuple[RuleBook, Store | None] | PendingNamed:
        """The rules (and, if it sets data, the store) a request works with: the active
        scenario's, or those of the scenario ``X-Mock-Scenario`` names. A named scenario
        whose data are not built yet comes back as ``PendingNamed``: build it (off the event
        loop) and ``register`` it. NamedScenarioError if the name reaches no valid scenario."""
        if name is None:
            return self.book, None
        if not is_name(name):
            raise NamedScenarioError(
                [
                    f"'{name}' is not a scenario name (letters, digits, '_', '-' and '.', "
                    f"without a suffix such as {', '.join(SUFFIXES)})"
                ]
            )
        folder = self.settings.scenarios_dir
        try:
            path = find(name, folder)
            status = os.stat(path)
        except (ScenarioError, OSError):
            raise NamedScenarioError([unknown_name(name, folder)]) from None
        stamp = (path, status.st_mtime_ns, status.st_size)
        entry = self.named.get(name)
        if entry is not None and entry.stamp == stamp:
            return entry.book, entry.store
        try:
            # A file named over HTTP: its $ref stay inside the folders a sent scenario may
            # read, and its data within --max-records, as for PUT /_mock/scenario.
            scenario = load_files([path], folder, confine=True)
            check_size(self.settings, scenario)
        except ScenarioError as error:
            raise NamedScenarioError(error.problems) from None
        if scenario.spec.auth is not None:
            raise NamedScenarioError(
                [
                    f"The scenario '{name}' sets auth, which applies to the whole server: "
                    "activate it with PUT /_mock/scenario or --scenario instead."
                ]
            )
        pending = PendingNamed(name, stamp, scenario, self.settings, dict(self.generated))
        if scenario.sets_data:
            return pending
        return self.register(pending.rules_only())

    def register(self, entry: _Named) -> tuple[RuleBook, Store | None]:
        """Keep a named scenario built by ``PendingNamed.build`` (on the event loop)."""
        self.named[entry.name] = entry
        if entry.generated is not None:
            self.generated = entry.generated
            entry.generated = None
        return entry.book, entry.store


@dataclass
class PendingNamed:
    """A named scenario that sets its own data, loaded and checked, its store not yet built."""

    name: str
    stamp: tuple[str, int, int]
    scenario: Scenario
    settings: Settings
    generated: dict[tuple[int, int, int], Dataset]  # a copy of the runtime's cache

    def build(self) -> _Named:
        """Build the store (safe in a worker thread: it changes nothing shared);
        NamedScenarioError if the data cannot be built."""
        scenario, settings = self.scenario, self.settings
        try:
            store = Store(build_dataset(settings, scenario, self.generated))
        except ScenarioError as error:
            raise NamedScenarioError(error.problems) from None
        book = RuleBook(scenario.rules, dice_seed(settings, scenario), f"named:{self.name}")
        return _Named(self.name, self.stamp, scenario, book, store, self.generated)

    def rules_only(self) -> _Named:
        book = RuleBook(
            self.scenario.rules, dice_seed(self.settings, self.scenario), f"named:{self.name}"
        )
        return _Named(self.name, self.stamp, self.scenario, book, None, None)


T = TypeVar("T")


async def off_loop(build: Callable[[], T]) -> T:
    """``build()`` in a daemon thread of its own, awaited. Cancelled (the server shutting
    down, the client gone), the caller returns at once and the build's result is dropped
    when it ends: nothing ever waits for a build, neither shutdown nor the interpreter's
    exit (a daemon thread is not joined)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():
            return  # cancelled meanwhile: the result is dropped
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        try:
            result, error = build(), None
        except BaseException as caught:  # handed to the awaiting task, whatever it is
            result, error = None, caught
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, name="mockserver-scenario-build", daemon=True).start()
    return await future


class _Lifetimes(Protocol):
    ttl_s: float  # the sessions' lifetime, which a scenario's auth may change


class Host(Protocol):
    """What the scenarios need of a server's state (``mockserver.state.State``, which builds
    its ``Runtime`` and calls ``install``): the store they may replace, the sessions'
    lifetime they may change, the reset hooks they join."""

    settings: Settings
    store: Store
    scenario: Runtime

    @property
    def sessions(self) -> _Lifetimes: ...

    @property
    def on_reset(self) -> list[Callable[[str | None], object]]: ...


def runtime_of(state: Host) -> Runtime:
    return state.scenario


def load_startup(settings: Settings) -> Scenario | None:
    """The scenario of ``--scenario`` / ``MOCKSERVER_SCENARIO`` (None without one)."""
    return load_files(settings.scenario, settings.scenarios_dir) if settings.scenario else None


def install(state: Host, startup: Scenario | None) -> None:
    """Wire the scenarios into a new server's state, whose ``scenario`` is a fresh
    ``Runtime`` for ``startup``. ``state.store`` holds the generated data of
    ``data_size(settings, startup)``; the start-up records are laid over it here."""
    runtime = state.scenario
    size = data_size(runtime.settings, startup)
    runtime.generated[size] = state.store.dataset
    runtime.key = (*size, b"")
    state.on_reset.append(runtime.reset)
    activate(state, startup)


def prepare(state: Host, scenario: Scenario | None) -> Prepared:
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


def apply(state: Host, prepared: Prepared) -> Prepared:
    """Swap in a prepared scenario: plain assignments, nothing that can fail half-way.
    Answers what was active before, ready to be swapped back (``apply(state, previous)``)
    if anything after the swap fails: the previous rules keep their counters, the previous
    store its tenants' data."""
    runtime = runtime_of(state)
    previous = Prepared(
        runtime.active,
        runtime.key,
        state.store,
        runtime.book,
        state.sessions.ttl_s,
        runtime.generated,
    )
    if prepared.store is not None:
        state.store = prepared.store
    runtime.generated = prepared.generated
    runtime.active = prepared.scenario
    runtime.book = prepared.book
    runtime.key = prepared.key
    state.sessions.ttl_s = prepared.ttl_s
    return previous


def activate(state: Host, scenario: Scenario | None) -> None:
    """Make ``scenario`` the active one atomically (None: back to the start-up scenarios).
    Rule counters start afresh; data whose seed, size or records differ are rebuilt, which
    resets every tenant. Raises ScenarioError, changing nothing, if the data cannot be built."""
    runtime = runtime_of(state)
    apply(state, prepare(state, scenario if scenario is not None else runtime.startup))


def describe(state: Host) -> dict[str, Any]:
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
