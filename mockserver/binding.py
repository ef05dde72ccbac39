"""ASP.NET-style query binding.

The real API binds its filter models the way ASP.NET Web API does, and real clients rely on
it: ``filter.page`` and ``page`` both bind (but once any ``filter.``-prefixed key is present,
only prefixed keys do), names are case-insensitive, a repeated scalar key keeps its first
value, an empty value counts as absent, and an array arrives as repeated keys (``k=1&k=2``),
as the bracket form axios sends (``k[]=1&k[]=2``) or indexed (``k[0]=1&k[1]=2``, up to the
first gap). A value that does not parse is a 400 whose ``ModelState`` key is the parameter
as it was sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from .models import INT32_MAX, INT32_MIN, Model
from .validation import DATETIME as DATETIME_FIELD
from .validation import LIST, field_specs

PREFIX = "filter."
_INDEXED = re.compile(r"^(.*)\[(\d*)\]$", re.ASCII)
# ASCII only: .NET's int parse takes no other script's digits, which Python's \d would.
_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$", re.ASCII)
_AT_LEAST_ONE = ("page", "page_size")

# Kinds of bindable field.
STRING, INT32, DATETIME, INT32_ARRAY = "string", "int32", "date-time", "int32[]"


class BindingError(Exception):
    """A query value that does not bind; ``model_state`` maps the parameter to messages."""

    def __init__(self, model_state: dict[str, list[str]]) -> None:
        super().__init__(model_state)
        self.model_state = model_state


@dataclass(frozen=True)
class FilterSpec:
    """How to bind one filter model: its lower-cased field names and their kinds."""

    model: type[Model]
    kinds: dict[str, str]  # lower-cased name -> kind
    names: dict[str, str]  # lower-cased name -> field name
    choices: dict[str, tuple[int, ...]]  # lower-cased name -> the only values allowed
    arrays: tuple[str, ...] = ()  # lower-cased names of the array fields, in field order


def filter_spec(
    model: type[Model], choices: dict[str, tuple[int, ...]] | None = None
) -> FilterSpec:
    """Read the bindable fields of a filter model from its type annotations, once.

    ``page`` and ``page_size``, where the model has them, must be at least 1; ``choices``
    restricts other integer fields to a few values (``has_email``: 0 or 1)."""
    kinds: dict[str, str] = {}
    names: dict[str, str] = {}
    for field in field_specs(model):
        if field.kind == LIST:
            kind = INT32_ARRAY
        elif field.kind == DATETIME_FIELD:
            kind = DATETIME
        else:
            kind = INT32 if field.scalar is int else STRING
        kinds[field.name.lower()] = kind
        names[field.name.lower()] = field.name
    arrays = tuple(name for name, kind in kinds.items() if kind == INT32_ARRAY)
    return FilterSpec(
        model=model, kinds=kinds, names=names, choices=dict(choices or {}), arrays=arrays
    )


def parse_query(query_string: bytes | str) -> list[tuple[str, str]]:
    """The query's key/value pairs in order, blanks kept (they count as absent later)."""
    if isinstance(query_string, bytes):
        # Clients that skip percent-encoding send UTF-8; an invalid byte must not fail here.
        query_string = query_string.decode("utf-8", "replace")
    if "%" in query_string or "+" in query_string:
        return parse_qsl(query_string, keep_blank_values=True)
    # Nothing to unquote (the common case): split as parse_qsl does, without its overhead.
    return [
        (key, value)
        for key, _, value in (part.partition("=") for part in query_string.split("&") if part)
    ]


def bind(pairs: Iterable[tuple[str, str]], spec: FilterSpec) -> dict[str, Any]:
    """Bind query pairs to the filter fields of ``spec``; absent fields are left out."""
    pairs = list(pairs)
    prefixed = False
    for key, _ in pairs:
        if key[:7].lower() == PREFIX:
            prefixed = True
            break
    kinds = spec.kinds
    # field -> (sent key, value) for scalars; for arrays, plain values and indexed values
    scalars: dict[str, tuple[str, str]] = {}
    plain: dict[str, list[tuple[str, str]]] = {}
    indexed: dict[str, dict[int, tuple[str, str]]] = {}
    for key, value in pairs:
        if not value:
            continue  # an empty value counts as absent, whatever the key
        name = key
        if prefixed:
            if name[:7].lower() != PREFIX:
                continue
            name = name[7:]
        index: int | None = None
        bracket = _INDEXED.match(name) if name[-1:] == "]" else None
        if bracket:
            name = bracket.group(1)
            if bracket.group(2):
                index = int(bracket.group(2))
        field = name.lower()
        kind = kinds.get(field)
        if kind is None:
            continue
        if kind == INT32_ARRAY:
            if index is None:
                plain.setdefault(field, []).append((key, value))
            else:
                indexed.setdefault(field, {}).setdefault(index, (key, value))
        elif bracket is None and field not in scalars:
            scalars[field] = (key, value)

    errors: dict[str, list[str]] = {}
    bound: dict[str, Any] = {}
    for field, (key, value) in scalars.items():
        try:
            converted = _convert(value, kinds[field])
            if field in _AT_LEAST_ONE and converted < 1:
                raise ValueError(
                    f"The value '{value}' is not valid for {field}: it must be 1 or more."
                )
            allowed = spec.choices.get(field)
            if allowed is not None and converted not in allowed:
                raise ValueError(
                    f"The value '{value}' is not valid for {field}: use "
                    + " or ".join(str(choice) for choice in allowed)
                    + "."
                )
            bound[spec.names[field]] = converted
        except ValueError as error:
            errors[key] = [str(error)]
    if plain or indexed:
        for field in spec.arrays:
            items: list[tuple[str, str]] = []
            if field in indexed:
                position = indexed[field]
                i = 0
                while i in position:
                    items.append(position[i])
                    i += 1
            if not items:
                items = plain.get(field, [])
            if not items:
                continue
            values: list[int] = []
            for key, value in items:
                try:
                    values.append(_int32(value))
                except ValueError as error:
                    errors[key] = [str(error)]
            bound[spec.names[field]] = values
    if errors:
        raise BindingError(errors)
    return bound


def _convert(value: str, kind: str) -> Any:
    if kind == INT32:
        return _int32(value)
    if kind == DATETIME:
        return parse_datetime(value)
    return value


def _int32(value: str) -> int:
    if not (value.isascii() and value.isdigit()) and not _INTEGER.match(value):
        raise ValueError(f"The value '{value}' is not a valid integer.")
    number = int(value)
    if not INT32_MIN <= number <= INT32_MAX:
        raise ValueError(f"The value '{value}' is outside the range of a 32-bit integer.")
    return number


def parse_datetime(value: str) -> datetime:
    """An ISO 8601 date or date-time; no zone means UTC."""
    text = value.strip()
    try:
        if not text or not text[0].isdigit():
            raise ValueError
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
    except (ValueError, OverflowError):
        # OverflowError: a moment near year 1 or 9999 whose offset carries it out of range
        raise ValueError(f"The value '{value}' is not a valid ISO 8601 date-time.") from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment
