"""A scenario's exact records: read (inline or from files), validated with the API's own
models and messages, and merged by id across layered files. Sales orders (``orders``) exist
only as records: the generated data hold none. Laying them over the generated data, with the
data's integrity kept, is ``record_overlay``'s.

A JSON record file is first read as plain values (``parse_plain_json``, marking only where each
record starts) and validated from them; only a file with a problem is read again, marking every
value, so that each problem says exactly where it is.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import msgspec
from msgspec import UNSET

from .models import (
    BodyError,
    Customer,
    Invoice,
    Model,
    SalesOrder,
    decode_body,
    given_fields,
)
from .scenario_spec import RecordFile, check, display
from .scenario_yaml import (
    Document,
    Path,
    YamlProblems,
    looks_like_json,
    parse,
    parse_plain_json,
)
from .validation import shape

R = TypeVar("R", Customer, Invoice, SalesOrder)
PARAMS: dict[str, tuple[type[Model], str]] = {
    "customers": (Customer, "customer"),
    "invoices": (Invoice, "invoice"),
    "orders": (SalesOrder, "order"),
}


@dataclass(frozen=True)
class Located(Generic[R]):
    """A validated record (the fields it gave; the rest UNSET) and where it was written."""

    record: R
    site: str


# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RefPolicy:
    """Where ``$ref`` files come from. A relative ``$ref`` is tried against each of ``bases``
    in turn (the first that exists wins). ``roots`` None trusts the scenario (a file given on
    the command line): any path, absolute or not. Otherwise (a scenario sent over HTTP) the
    ``$ref`` must be relative and resolve, symlinks followed, inside one of ``roots`` (real
    paths); anything else is refused with one fixed message, before the file is looked at,
    so the answer never tells whether a file exists or what it holds."""

    bases: tuple[str, ...]
    roots: tuple[str, ...] | None = None

    def allows(self, path: str) -> bool:
        if self.roots is None:
            return True
        real = os.path.realpath(path)
        return any(os.path.commonpath((real, root)) == root for root in self.roots)


REF_REFUSED = "$ref must name a file inside the scenarios folder or the fixtures folder beside it"


def read(
    kind: str, items: Any, document: Document, path: Path, refs: RefPolicy, problems: list[str]
) -> list[Located[Any]]:
    """The records of ``records.<kind>``: each a mapping or ``{$ref: FILE}``."""
    cls, param = PARAMS[kind]
    out: list[Located[Any]] = []
    if not isinstance(items, list):
        return out  # the structural check has reported it
    for index, item in enumerate(items):
        at = (*path, index)
        if isinstance(item, dict) and "$ref" in item:
            ref, ref_problems = check(item, RecordFile, document, at)
            problems.extend(ref_problems)
            if ref is not None:
                out.extend(_read_file(ref.ref, cls, param, document, at, refs, problems))
        elif isinstance(item, dict):
            located = validate(item, cls, param, document, at, problems)
            if located is not None:
                out.append(located)
    return out


def _ref_file(ref: str, refs: RefPolicy) -> tuple[str | None, str]:
    """The file a ``$ref`` names (None: refused) and how problems show it."""
    trusted = refs.roots is None
    if not trusted and (not ref or "\x00" in ref or os.path.isabs(ref)):
        return None, ref
    candidates = [os.path.normpath(os.path.join(base, ref)) for base in refs.bases]
    for candidate in candidates:
        if not refs.allows(candidate):
            return None, ref
    found = next((c for c in candidates if os.path.exists(c)), candidates[0])
    return found, found if trusted else ref


ref_file = _ref_file  # the same policy for a rule's ``respond.$ref`` (``mockserver.rules``)


def _read_file(
    ref: str,
    cls: type[Model],
    param: str,
    document: Document,
    at: Path,
    refs: RefPolicy,
    problems: list[str],
) -> list[Located[Any]]:
    file, shown_file = _ref_file(ref, refs)
    where = f"{document.where((*at, '$ref'))}: {display(at)}.$ref"
    if file is None:
        problems.append(f"{where}: {REF_REFUSED}")
        return []
    try:
        with open(file, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError, ValueError) as error:
        reason = (
            error.strerror
            if isinstance(error, OSError)
            else "it is not UTF-8 text"
            if isinstance(error, UnicodeDecodeError)
            else "not a file name"
        )
        problems.append(f"{where}: cannot read {shown_file}: {reason}")
        return []
    as_json = True if file.endswith(".json") else None
    if as_json or looks_like_json(text):
        # The common case (a recorded file of 1,000 records) read fast, without the mark of
        # every value; a file with any problem is read again, marking every value, to say
        # exactly where each problem is.
        plain = parse_plain_json(text, file, nesting_bounded=True)
        if plain is not None:
            found: list[str] = []
            out = _records_of(plain, cls, param, file, found)
            if not found:
                return out
    try:
        records = parse(text, file, as_json=as_json)
    except YamlProblems as error:
        problems.extend(error.problems)
        return []
    return _records_of(records, cls, param, file, problems)


def _records_of(
    records: Document, cls: type[Model], param: str, file: str, problems: list[str]
) -> list[Located[Any]]:
    """The validated records of a record file (one record or a list of them)."""
    value = records.value
    entries: list[tuple[Any, Path]]
    if isinstance(value, dict):
        entries = [(value, ())]
    elif isinstance(value, list):
        entries = [(item, (index,)) for index, item in enumerate(value)]
    else:
        problems.append(f"{file}:1:1: a record file holds one record or a list of records")
        return []
    out: list[Located[Any]] = []
    for item, path in entries:
        if isinstance(item, dict) and "$ref" in item:
            problems.append(f"{records.where(path)}: a record file cannot $ref another file")
            continue
        located = validate(item, cls, param, records, path, problems)
        if located is not None:
            out.append(located)
    return out


def validate(
    value: Any, cls: type[Model], param: str, document: Document, path: Path, problems: list[str]
) -> Located[Any] | None:
    """One record: no unknown fields, then the API's own validation and messages, and an id."""
    where = document.where(path)
    if not isinstance(value, dict):
        problems.append(f"{where}: {param}: a record is a mapping of fields")
        return None
    if not _all_known(value, cls):
        _unknown_fields(value, cls, path, param, document, problems)
        return None
    try:
        record = decode_body(msgspec.json.encode(value), cls, param)
    except BodyError as error:
        for key, messages in error.model_state.items():
            at = document.where((*path, *_field_path(key, param)))
            # Json.NET's line and position are those of the JSON the record was re-encoded
            # to, not of the file: the problem's own FILE:LINE:COLUMN says where it is.
            problems.extend(f"{at}: {key}: {_IN_BODY.sub('.', message)}" for message in messages)
        return None
    if getattr(record, "id", None) in (UNSET, None):
        problems.append(f"{where}: {param}.id: The id field is required.")
        return None
    return Located(record, where)


_IN_BODY = re.compile(r", line \d+, position \d+\.$")
_PATH_PART = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


def _field_path(key: str, param: str) -> Path:
    """``customer.contacts[0].customer_id`` as the path (``contacts``, 0, ``customer_id``)."""
    rest = key[len(param) :] if key.startswith(param) else ""
    return tuple(int(index) if index else name for name, index in _PATH_PART.findall(rest))


_model_fields_cache: dict[type, dict[str, type[Model] | None]] = {}


def _model_fields(cls: type[Model]) -> dict[str, type[Model] | None]:
    """Each field's JSON name and the model nested in it (directly or in a list), if any."""
    fields = _model_fields_cache.get(cls)
    if fields is None:
        fields = _model_fields_cache[cls] = {name: nested for _, name, _, nested in shape(cls)}
    return fields


_nested_cache: dict[type, tuple[tuple[str, type[Model]], ...]] = {}


def _all_known(value: dict[str, Any], cls: type[Model]) -> bool:
    """Whether every field is one of the model's (and so within each nested model): the
    common case at C speed (set views); ``_unknown_fields`` then says what is not."""
    fields = _model_fields(cls)
    if not value.keys() <= fields.keys():
        return False
    nested = _nested_cache.get(cls)
    if nested is None:
        nested = _nested_cache[cls] = tuple(
            (name, model) for name, model in fields.items() if model is not None
        )
    for name, model in nested:
        item = value.get(name)
        if isinstance(item, dict):
            if not _all_known(item, model):
                return False
        elif isinstance(item, list):
            for element in item:
                if isinstance(element, dict) and not _all_known(element, model):
                    return False
    return True


def _unknown_fields(
    value: dict[str, Any],
    cls: type[Model],
    path: Path,
    shown: str,
    document: Document,
    problems: list[str],
) -> None:
    """The API ignores unknown fields; a scenario must not (a typo would do nothing)."""
    fields = _model_fields(cls)
    for key, item in value.items():
        if key not in fields:
            close = difflib.get_close_matches(key, list(fields), n=1, cutoff=0.6)
            hint = (
                f"; did you mean '{close[0]}'?" if close else f"; {cls.__name__} has no such field"
            )
            problems.append(
                f"{document.where_key((*path, key))}: {shown}: unknown field '{key}'{hint}"
            )
            continue
        nested = fields[key]
        if nested is None:
            continue
        if isinstance(item, dict):
            _unknown_fields(item, nested, (*path, key), f"{shown}.{key}", document, problems)
        elif isinstance(item, list):
            for index, element in enumerate(item):
                if isinstance(element, dict):
                    _unknown_fields(
                        element,
                        nested,
                        (*path, key, index),
                        f"{shown}.{key}[{index}]",
                        document,
                        problems,
                    )


def merge(earlier: Sequence[Located[R]], later: Sequence[Located[R]]) -> list[Located[R]]:
    """Records of a later layer overlay, field by field, those of an earlier one with the
    same id; the order is that of first appearance."""
    by_id: dict[Any, Located[R]] = {item.record.id: item for item in earlier}
    for item in later:
        previous = by_id.get(item.record.id)
        if previous is None:
            by_id[item.record.id] = item
        else:
            record = msgspec.structs.replace(previous.record, **given_fields(item.record))
            by_id[item.record.id] = Located(record, item.site)
    return list(by_id.values())


def duplicates(items: Sequence[Located[Any]], param: str, problems: list[str]) -> None:
    """Within one file, an id given twice is a mistake (layers merge; one file does not)."""
    seen: dict[Any, str] = {}
    for item in items:
        record_id = item.record.id
        if record_id in seen:
            problems.append(
                f"{item.site}: {param} {record_id} is given twice (also at {seen[record_id]})"
            )
        else:
            seen[record_id] = item.site
