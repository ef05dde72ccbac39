"""``mockserver record``: customers and invoices of a real upstream, written as a scenario the
mock serves (``records: {replace: true}``) with its record files.

It pages through the upstream's customers, then their invoices, as a real client does
(``upstream.Upstream``), fetches each record on its own when the lists leave fields out, keeps
only the fields the mock's models know, anonymizes (``anonymize``, unless told not to) and
writes ``DIR/scenario.yaml``, ``DIR/customers/NNNN.json`` and ``DIR/invoices/NNNN.json``
(a thousand records a file, in id order, one record a line). The same upstream and seed give
byte-identical files. The recording replaces an earlier one in ``DIR`` only once it is
complete, and is then checked with the mock's own scenario loader.

It knows the upstream client, the models' field names and the scenario format; it knows
nothing of the mock's HTTP app, and it never writes a credential anywhere.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

import httpx
import msgspec

from ..models import Customer, Invoice, Model
from ..scenarios import ScenarioError, check_data, load_files
from ..settings import Settings
from ..validation import shape
from .anonymize import Anonymizer
from .upstream import Credentials, Upstream, UpstreamError

CUSTOMERS_PATH = "/api/customers"
INVOICES_PATH = "/api/invoices"
RECORDS_PER_FILE = 1000
SAMPLE = 3  # records fetched one by one to see whether the lists leave fields out
PER_CUSTOMER_LIMIT = 200  # up to this many customers, their invoices are asked for by number
HEADER = "# Recorded by `mockserver record`"
DETAILS = ("auto", "always", "never")
# Sums the mock computes from the recorded invoices (a recorded value that differed, as a
# real ERP's "due" moves with today's date, would make the scenario invalid).
COMPUTED_CUSTOMER_FIELDS = ("open_invoice_sum", "due_invoice_sum")
_REFERENCES = ("customer_number", "delivery_customer_number", "orderer_customer_number")


class RecordError(Exception):
    """The recording cannot be made as asked (a bad option or output folder)."""


@dataclass(frozen=True)
class RecordOptions:
    upstream: str
    out: Path
    seed: int = 1
    customers: int | None = None
    modified_after: str | None = None
    filters: tuple[tuple[str, str], ...] = ()
    invoice_filters: tuple[tuple[str, str], ...] = ()
    anonymize: bool = True
    keep_companies: bool = False
    page_size: int = 100
    details: str = "auto"
    timeout_s: float = 10.0
    check: bool = True  # load the recording with the mock's own loader once written

    @property
    def subset(self) -> bool:
        return self.customers is not None or self.modified_after is not None or bool(self.filters)


@dataclass
class Recording:
    """What a recording holds and what it had to change."""

    customers: int = 0
    invoices: int = 0
    requests: int = 0
    seconds: float = 0.0
    dropped_invoices: int = 0  # they named customers outside the recorded ones
    filled: dict[str, int] = field(default_factory=dict)  # required fields the upstream left empty
    left_out: set[str] = field(default_factory=set)  # fields the mock's models do not know
    detailed: list[str] = field(default_factory=list)  # kinds fetched one record at a time
    anonymized: dict[str, int] = field(default_factory=dict)
    scenario: Path | None = None
    problems: list[str] = field(default_factory=list)  # the mock's loader's, if any


class Progress:
    """Counts and rate on one line of ``stream``, redrawn at most ten times a second; silent
    when ``stream`` is not a terminal."""

    def __init__(self, stream: TextIO | None = None, *, enabled: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = self.stream.isatty() if enabled is None else enabled
        self._started = time.monotonic()
        self._drawn = 0.0

    def start(self) -> None:
        self._started = time.monotonic()

    def update(self, what: str, count: int, total: int | None, *, final: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not final and now - self._drawn < 0.1:
            return
        self._drawn = now
        rate = count / max(now - self._started, 1e-6)
        of = f"/{total:,}" if total is not None else ""
        line = f"\rmockserver record: {what} {count:,}{of} ({rate:,.0f}/s)"
        self.stream.write(line + ("\n" if final else "\x1b[K"))
        self.stream.flush()


# --- fetching ---------------------------------------------------------------------------------


class _Fetcher:
    def __init__(self, upstream: Upstream, options: RecordOptions, progress: Progress) -> None:
        self.upstream = upstream
        self.options = options
        self.progress = progress
        self.requests = 0

    async def pages(
        self, path: str, params: Sequence[tuple[str, str]], what: str, limit: int | None = None
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        size = self.options.page_size if limit is None else min(self.options.page_size, limit)
        self.progress.start()
        async for page in self.upstream.pages(path, params, page_size=max(1, size)):
            self.requests += 1
            out.extend(page)
            self.progress.update(what, len(out), limit)
            if limit is not None and len(out) >= limit:
                break
        else:
            self.requests += 1  # the empty page that ended it
        return out[:limit] if limit is not None else out

    async def one(self, path: str, record_id: Any) -> dict[str, Any]:
        response = await self.upstream.request("GET", f"{path}/{record_id}")
        self.requests += 1
        if response.status_code != 200:
            raise UpstreamError(
                "protocol",
                f"GET {path}/{record_id} answered HTTP {response.status_code}",
                status=response.status_code,
            )
        try:
            record = msgspec.json.decode(response.content)
        except msgspec.DecodeError:
            record = None
        if not isinstance(record, dict):
            raise UpstreamError("protocol", f"GET {path}/{record_id} answered no JSON object")
        return record

    async def complete(
        self, path: str, records: list[dict[str, Any]], what: str, recording: Recording
    ) -> list[dict[str, Any]]:
        """The records as ``GET path/{id}`` answers them, when the list leaves anything out
        (``details`` auto: judged on the first few; always; never)."""
        mode = self.options.details
        if mode == "never" or not records:
            return records
        if mode == "auto":
            sample = records[:SAMPLE]
            singles = [await self.one(path, record.get("id")) for record in sample]
            if not any(
                _missing(listed, single) for listed, single in zip(sample, singles, strict=True)
            ):
                return records
        recording.detailed.append(what)
        out: list[dict[str, Any]] = []
        self.progress.start()
        for record in records:
            out.append(await self.one(path, record.get("id")))
            self.progress.update(f"{what} one by one", len(out), len(records))
        return out


def _missing(listed: Any, single: Any) -> bool:
    """Whether ``single`` holds a value (at any depth) where ``listed`` has none."""
    if isinstance(single, dict):
        if not isinstance(listed, dict):
            return True
        return any(
            _missing(listed.get(key), value)
            for key, value in single.items()
            if value not in (None, [], {}, "")
        )
    if isinstance(single, list):
        if not isinstance(listed, list) or len(listed) < len(single):
            return True
        return any(_missing(a, b) for a, b in zip(listed, single, strict=False))
    return listed is None and single is not None


async def fetch(
    upstream: Upstream, options: RecordOptions, progress: Progress, recording: Recording
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The customers and invoices to record, each in id order, one per id."""
    fetcher = _Fetcher(upstream, options, progress)
    params = list(options.filters)
    if options.modified_after is not None:
        params.append(("modified_after", options.modified_after))
    customers = await fetcher.pages(CUSTOMERS_PATH, params, "customers", options.customers)
    progress.update("customers", len(customers), None, final=True)
    customers = _by_id(await fetcher.complete(CUSTOMERS_PATH, customers, "customers", recording))
    numbers: set[int] = {c["number"] for c in customers if isinstance(c.get("number"), int)}
    invoice_params = list(options.invoice_filters)
    if options.subset and len(numbers) <= PER_CUSTOMER_LIMIT:
        invoices: list[dict[str, Any]] = []
        for number in sorted(numbers):
            query = [*invoice_params, ("customer_number", str(number))]
            invoices.extend(await fetcher.pages(INVOICES_PATH, query, "invoices"))
    else:
        invoices = await fetcher.pages(INVOICES_PATH, invoice_params, "invoices")
    progress.update("invoices", len(invoices), None, final=True)
    kept = [
        invoice
        for invoice in invoices
        if invoice.get("customer_number") in numbers
        and all(invoice.get(name) in numbers or invoice.get(name) is None for name in _REFERENCES)
    ]
    recording.dropped_invoices = len({i.get("id") for i in invoices}) - len(
        {i.get("id") for i in kept}
    )
    invoices = _by_id(await fetcher.complete(INVOICES_PATH, kept, "invoices", recording))
    recording.requests = fetcher.requests
    return customers, invoices


def _by_id(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per id (the last answer wins: paging a changing upstream may repeat one),
    in id order; records without an integer id cannot be records of a scenario."""
    by_id = {r["id"]: r for r in records if isinstance(r.get("id"), int)}
    return [by_id[key] for key in sorted(by_id)]


# --- shaping for the mock ---------------------------------------------------------------------


_fields: dict[type[Model], tuple[dict[str, Any], dict[str, type[Model]]]] = {}


def _fields_of(cls: type[Model]) -> tuple[dict[str, Any], dict[str, type[Model]]]:
    """Every field's JSON name and the model nested in it, and those with one."""
    found = _fields.get(cls)
    if found is None:
        every = {name: nested for _, name, _, nested in shape(cls)}
        found = _fields[cls] = (every, {k: v for k, v in every.items() if v is not None})
    return found


def known_fields(
    value: dict[str, Any], cls: type[Model], where: str, left_out: set[str]
) -> dict[str, Any]:
    """``value`` with only the fields the model knows (at every depth); the others are noted
    in ``left_out`` as ``model.path``. A scenario refuses unknown fields. ``value`` itself
    when nothing is left out."""
    fields, nested_fields = _fields_of(cls)
    out = value
    if not fields.keys() >= value.keys():
        left_out.update(f"{where}.{key}" for key in value.keys() - fields.keys())
        out = {key: item for key, item in value.items() if key in fields}
    for key, nested in nested_fields.items():
        item = out.get(key)
        if isinstance(item, dict):
            new: Any = known_fields(item, nested, f"{where}.{key}", left_out)
        elif isinstance(item, list):
            new = [
                known_fields(element, nested, f"{where}.{key}", left_out)
                if isinstance(element, dict)
                else element
                for element in item
            ]
            if all(a is b for a, b in zip(new, item, strict=True)):
                new = item
        else:
            continue
        if new is not item:
            if out is value:
                out = dict(value)
            out[key] = new
    return out


def _required(customer: dict[str, Any], filled: dict[str, int]) -> dict[str, Any]:
    """The mock requires a customer's ``name`` and ``email`` (as its API's bodies do): an
    upstream customer without one gets a placeholder (``example.invalid`` can never be
    anyone's address)."""
    record_id = customer.get("id")
    for name, placeholder in (
        ("name", f"Customer {record_id}"),
        ("email", f"customer-{record_id}@example.invalid"),
    ):
        value = customer.get(name)
        if not isinstance(value, str) or not value.strip():
            customer[name] = placeholder
            filled[name] = filled.get(name, 0) + 1
    return customer


def shaped(
    customers: list[dict[str, Any]],
    invoices: list[dict[str, Any]],
    options: RecordOptions,
    recording: Recording,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The records as the scenario holds them: known fields only, computed sums left out,
    required fields filled, anonymized unless told not to."""
    left_out = recording.left_out
    out_customers = []
    for customer in customers:
        record = dict(known_fields(customer, Customer, "customer", left_out))
        for name in COMPUTED_CUSTOMER_FIELDS:
            record.pop(name, None)
        out_customers.append(record)
    out_invoices = [known_fields(invoice, Invoice, "invoice", left_out) for invoice in invoices]
    if options.anonymize:
        anonymizer = Anonymizer(options.seed, keep_companies=options.keep_companies)
        for record in out_customers:
            anonymizer.collect_customer(record)
        for record in out_invoices:
            anonymizer.collect_invoice(record)
        recording.anonymized = anonymizer.settle().counts
        out_customers = [anonymizer.customer(record) for record in out_customers]
        out_invoices = [anonymizer.invoice(record) for record in out_invoices]
    out_customers = [_required(record, recording.filled) for record in out_customers]
    return out_customers, out_invoices


# --- writing ----------------------------------------------------------------------------------


def _chunks(records: list[dict[str, Any]]) -> list[bytes]:
    encoder = msgspec.json.Encoder()
    files = []
    for start in range(0, len(records), RECORDS_PER_FILE):
        lines = [encoder.encode(record) for record in records[start : start + RECORDS_PER_FILE]]
        files.append(b"[\n" + b",\n".join(lines) + b"\n]\n")
    return files


def scenario_text(
    options: RecordOptions, customer_files: int, invoice_files: int, recording: Recording
) -> str:
    how = (
        f"anonymized with seed {options.seed}"
        + (", company names and business ids kept" if options.keep_companies else "")
        if options.anonymize
        else "NOT anonymized: it holds the upstream's personal data"
    )
    lines = [
        f"{HEADER} ({how}):",
        f"# {recording.customers} customers and {recording.invoices} invoices. Serve it with",
        "#   mockserver serve --scenario PATH/TO/THIS/scenario.yaml",
        "# open_invoice_sum and due_invoice_sum are computed by the mock from the invoices.",
        "name: recorded",
        "description: "
        + json.dumps(
            f"Customers and invoices recorded from an upstream ERP ({how}).", ensure_ascii=False
        ),
        "records:",
        "  replace: true",
    ]
    for kind, count in (("customers", customer_files), ("invoices", invoice_files)):
        if count == 0:
            lines.append(f"  {kind}: []")
            continue
        lines.append(f"  {kind}:")
        lines.extend(f"    - $ref: {kind}/{index:04d}.json" for index in range(1, count + 1))
    return "\n".join(lines) + "\n"


def _check_out(out: Path) -> None:
    """``out`` may be new, empty, or an earlier recording (replaced whole); nothing else."""
    if not out.exists():
        return
    if not out.is_dir():
        raise RecordError(f"--out {out}: it exists and is not a folder")
    entries = set(os.listdir(out))
    if not entries:
        return
    scenario = out / "scenario.yaml"
    try:
        first = scenario.read_text(encoding="utf-8").split("\n", 1)[0]
    except (OSError, UnicodeDecodeError):
        first = ""
    if not first.startswith(HEADER) or not entries <= {"scenario.yaml", "customers", "invoices"}:
        raise RecordError(
            f"--out {out}: the folder holds files that are not an earlier recording; "
            "give a new or empty folder"
        )


def write(
    out: Path,
    customers: list[dict[str, Any]],
    invoices: list[dict[str, Any]],
    options: RecordOptions,
    recording: Recording,
) -> Path:
    """Write the scenario into a folder beside ``out``, then put it in ``out``'s place (an
    earlier recording there is removed only once the new one is complete)."""
    _check_out(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.parent / f".{out.name}.partial-{os.getpid()}"
    shutil.rmtree(partial, ignore_errors=True)
    try:
        customer_files = _chunks(customers)
        invoice_files = _chunks(invoices)
        for kind, files in (("customers", customer_files), ("invoices", invoice_files)):
            (partial / kind).mkdir(parents=True)
            for index, data in enumerate(files, start=1):
                (partial / kind / f"{index:04d}.json").write_bytes(data)
        text = scenario_text(options, len(customer_files), len(invoice_files), recording)
        (partial / "scenario.yaml").write_text(text, encoding="utf-8")
        if out.exists():
            old = out.parent / f".{out.name}.old-{os.getpid()}"
            out.rename(old)
            partial.rename(out)
            shutil.rmtree(old)
        else:
            partial.rename(out)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return out / "scenario.yaml"


# --- the whole recording ----------------------------------------------------------------------


async def record(
    options: RecordOptions,
    credentials: Credentials,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    progress: Progress | None = None,
) -> Recording:
    """Record the upstream into ``options.out``; UpstreamError when the upstream fails,
    RecordError when the output folder cannot be used. Only GETs (and the login) are sent."""
    _check_out(options.out)
    progress = progress if progress is not None else Progress()
    recording = Recording()
    started = time.monotonic()
    upstream = Upstream(
        options.upstream, credentials, timeout_s=options.timeout_s, transport=transport
    )
    try:
        customers, invoices = await fetch(upstream, options, progress, recording)
    finally:
        await upstream.aclose()
    recording.customers, recording.invoices = len(customers), len(invoices)
    customers, invoices = shaped(customers, invoices, options, recording)
    recording.scenario = write(options.out, customers, invoices, options, recording)
    recording.seconds = time.monotonic() - started
    if options.check:
        recording.problems = problems(recording.scenario)
    return recording


def problems(scenario: Path) -> list[str]:
    """What the mock's own scenario loader finds wrong with the recording (nothing, unless
    the upstream's data break a rule the mock holds, e.g. an invoice total that is not the
    sum of its rows)."""
    try:
        check_data(Settings(), load_files([str(scenario)]))
    except ScenarioError as error:
        return list(error.problems)
    return []


def check_date(value: str) -> str:
    """``--modified-after``: a date or date-time as ISO 8601 writes it."""
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise RecordError(
            f"--modified-after {value!r} is not a date (write 2024-01-31 or 2024-01-31T12:00:00Z)"
        ) from None
    return value


def check_filter(text: str, flag: str) -> tuple[str, str]:
    """``KEY=VALUE`` of ``--filter`` / ``--invoice-filter``; paging keys are the recorder's."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise RecordError(f"{flag} {text!r}: write KEY=VALUE, e.g. {flag} is_customer=1")
    if key.lower().removeprefix("filter.") in ("page", "page_size"):
        raise RecordError(f"{flag} {text!r}: paging is the recorder's (see --page-size)")
    return key, value


def summary(recording: Recording, options: RecordOptions) -> list[str]:
    """What to tell the user once the files are written (stderr)."""
    rate = (recording.customers + recording.invoices) / max(recording.seconds, 1e-6)
    lines = [
        f"mockserver record: {recording.customers} customers and {recording.invoices} "
        f"invoices in {recording.seconds:.1f} s ({rate:,.0f} records/s, "
        f"{recording.requests} requests) -> {recording.scenario}"
    ]
    if recording.detailed:
        lines.append(
            f"mockserver record: the lists leave fields out; fetched each of the "
            f"{' and '.join(recording.detailed)} on its own"
        )
    if recording.dropped_invoices:
        lines.append(
            f"mockserver record: {recording.dropped_invoices} invoices left out: they name "
            "customers outside the recorded ones"
        )
    if recording.left_out:
        shown = ", ".join(sorted(recording.left_out)[:10])
        more = len(recording.left_out) - 10
        lines.append(
            "mockserver record: fields the mock does not model were left out: "
            + shown
            + (f" and {more} more" if more > 0 else "")
        )
    for name, count in sorted(recording.filled.items()):
        lines.append(
            f"mockserver record: {count} customers have no {name} upstream; the mock needs "
            "one, so they were given a placeholder"
        )
    if not options.anonymize:
        lines.append(WARNING_PERSONAL)
    return lines


WARNING_PERSONAL = (
    "mockserver record: warning: --keep-personal-data: the files hold the upstream's personal "
    "data (names, e-mails, phones, addresses, bank accounts) as recorded; keep them out of "
    "version control and share them only where that data may go"
)


def run(
    options: RecordOptions,
    credentials: Credentials,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    progress: Progress | None = None,
) -> Recording:
    """``record`` from synchronous code (the command line, tests)."""
    return asyncio.run(record(options, credentials, transport=transport, progress=progress))
