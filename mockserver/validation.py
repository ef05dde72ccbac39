"""Request bodies read the way the real server reads them: Json.NET's reader under ASP.NET Web
API's JSON formatter, then ASP.NET's validation attributes, each answering in its own words.

One module, though long, because it is one idea: reading a body as Json.NET does. Most of its
length is locating a failing value in the raw text and wording each failure as Json.NET or
ASP.NET would, which only ``decode_body`` uses. The model introspection (about 100 lines) is
how ``decode_body`` reads a model, shared with the other readers of models (``binding``,
``models``, ``records``); it is the part that could move out if this module grows.

``decode_body(raw, cls, param)`` answers the model or raises ``BodyError``, whose
``model_state`` maps field paths from the parameter (``customer.contacts[0].email``; the
parameter alone for a body that cannot be read as JSON) to messages:

- what the JSON reader refuses, as Json.NET says it, with the path, line and position of the
  value as the client sent it: ``Could not convert string to integer: abc. Path 'group',
  line 1, position 15.``, ``Unexpected character encountered while parsing value: x. Path
  '', line 1, position 1.``, ``The reader's MaxDepth of 256 has been exceeded. ...``; and
  .NET's ``Unable to translate bytes [FF] at index 9 from specified code page to Unicode.``
  for a body that is not UTF-8;
- what validation refuses, as ASP.NET's attributes say it: ``The name field is required.``
  (missing, null, empty or white space), ``The field accounts must be a string or array type
  with a maximum length of '1000'.``, ``The field circulation_type must be between 0 and 1.``.

Which values are refused is the models' schema (the published document), stricter than
Json.NET: where Json.NET would quietly convert a value the schema does not allow (a number
for a string, ``"12"`` for an integer), the answer is Json.NET's conversion error (``Error
converting value 5 to type 'System.String'.``). As in Json.NET, property names match
case-insensitively, unknown properties are ignored, a bare date reads as its midnight and a
lone UTF-16 surrogate escape reads as U+FFFD.

The mock's own bound, so that a 1 MiB body never becomes more than a few MiB of records: a
list holds at most ``MAX_ITEMS`` items and a body's lists ``MAX_TOTAL_ITEMS`` together, both
refused before any record is built.

Also the one home of model introspection (``field_specs``, ``shape``, ``fields_by_name``,
``required_fields``) and of reading msgspec's validation errors (``error_parts``). Knows
msgspec Structs and JSON text; nothing of HTTP, nor of what the models mean (``models``
imports this module, never the reverse).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, TypeVar

import msgspec

MAX_DEPTH: Final = 256  # ASP.NET Web API's JSON formatter: BaseJsonMediaTypeFormatter.MaxDepth
MAX_ITEMS: Final = 1000  # items in one list of a body
MAX_TOTAL_ITEMS: Final = 2000  # items in all the lists of one body together

S = TypeVar("S", bound=msgspec.Struct)


class BodyError(Exception):
    """An invalid request body; ``model_state`` maps field paths to messages."""

    def __init__(self, model_state: dict[str, list[str]]) -> None:
        super().__init__(model_state)
        self.model_state = model_state


# --- ASP.NET's validation messages ------------------------------------------------------------

# At least one character that is not white space as .NET's char.IsWhiteSpace (and so ASP.NET's
# [Required]) sees it. The OpenAPI document states it for the login fields.
NOT_BLANK = r"[^\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
_not_blank = re.compile(NOT_BLANK)


def is_blank(text: str) -> bool:
    """Empty or white space only: what ``[Required]`` refuses."""
    return _not_blank.search(text) is None


def required_message(name: str) -> str:
    """ASP.NET's ``[Required]`` on a missing, null, empty or white-space value."""
    return f"The {name} field is required."


def max_length_message(name: str, limit: int = MAX_ITEMS) -> str:
    """ASP.NET's ``[MaxLength]``."""
    return f"The field {name} must be a string or array type with a maximum length of '{limit}'."


def range_message(name: str, low: object, high: object) -> str:
    """ASP.NET's ``[Range]``."""
    return f"The field {name} must be between {low} and {high}."


def too_many_items_message() -> str:
    return (
        f"The request body holds more than {MAX_TOTAL_ITEMS} list items in all; "
        f"at most {MAX_TOTAL_ITEMS} are accepted."
    )


# --- model introspection ----------------------------------------------------------------------

SCALAR, LIST, STRUCT, DATETIME = 0, 1, 2, 3


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One field of a model as a JSON body carries it."""

    attr: str
    name: str  # the JSON name
    kind: int  # SCALAR, LIST, STRUCT or DATETIME
    nested: type[msgspec.Struct] | None  # the model of a struct field or of a list's items
    scalar: type | None  # int, float, bool, str or datetime; None for a list or a struct
    required: bool
    nullable: bool
    low: int | None = None  # an integer's bounds
    high: int | None = None


_specs: dict[type, tuple[FieldSpec, ...]] = {}
_shapes: dict[type, tuple[tuple[str, str, int, Any], ...]] = {}
_required: dict[type, tuple[str, ...]] = {}
_by_name: dict[type, dict[str, msgspec.structs.FieldInfo]] = {}


def field_specs(cls: type[msgspec.Struct]) -> tuple[FieldSpec, ...]:
    """Every field of ``cls``, computed once per model."""
    specs = _specs.get(cls)
    if specs is None:
        info = msgspec.inspect.type_info(cls)
        assert isinstance(info, msgspec.inspect.StructType)
        specs = _specs[cls] = tuple(_spec(field) for field in info.fields)
    return specs


def _spec(field: msgspec.inspect.Field) -> FieldSpec:
    kind, nested, nullable = SCALAR, None, False
    scalar: type | None = None
    low = high = None
    declared = field.type
    members = declared.types if isinstance(declared, msgspec.inspect.UnionType) else (declared,)
    for member in members:
        if isinstance(member, msgspec.inspect.Metadata):
            member = member.type
        if isinstance(member, msgspec.inspect.NoneType):
            nullable = True
        elif isinstance(member, msgspec.inspect.ListType):
            kind = LIST
            if isinstance(member.item_type, msgspec.inspect.StructType):
                nested = member.item_type.cls
        elif isinstance(member, msgspec.inspect.StructType):
            kind, nested = STRUCT, member.cls
        elif isinstance(member, msgspec.inspect.DateTimeType):
            kind, scalar = DATETIME, datetime
        elif isinstance(member, msgspec.inspect.IntType):
            scalar, low, high = int, member.ge, member.le
        elif isinstance(member, msgspec.inspect.FloatType):
            scalar = float
        elif isinstance(member, msgspec.inspect.BoolType):
            scalar = bool
        elif isinstance(member, msgspec.inspect.StrType):
            scalar = str
    return FieldSpec(
        field.name, field.encode_name, kind, nested, scalar, field.required, nullable, low, high
    )


def shape(cls: type[msgspec.Struct]) -> tuple[tuple[str, str, int, Any], ...]:
    """(attribute, JSON name, kind, nested model) for every field: what walking a record
    needs, as plain tuples (the record paths unpack them per field)."""
    found = _shapes.get(cls)
    if found is None:
        found = _shapes[cls] = tuple((s.attr, s.name, s.kind, s.nested) for s in field_specs(cls))
    return found


def required_fields(cls: type[msgspec.Struct]) -> tuple[str, ...]:
    """The JSON names of the fields a body must carry."""
    found = _required.get(cls)
    if found is None:
        found = _required[cls] = tuple(s.name for s in field_specs(cls) if s.required)
    return found


def fields_by_name(cls: type[msgspec.Struct]) -> dict[str, msgspec.structs.FieldInfo]:
    """msgspec's description of every field, by JSON name."""
    found = _by_name.get(cls)
    if found is None:
        found = _by_name[cls] = {f.encode_name: f for f in msgspec.structs.fields(cls)}
    return found


# --- msgspec's validation errors --------------------------------------------------------------


def error_parts(error: msgspec.ValidationError) -> tuple[str, str]:
    """msgspec's ``"message - at `$.path`"`` as the message and the path after the ``$``
    (``""`` for the value itself, else ``.name`` and ``[index]`` steps)."""
    text = str(error)
    message, found, where = text.rpartition(" - at `$")
    if not found:
        return text, ""
    return message, where.removesuffix("`")


_STEP = re.compile(r"\.([^.\[]+)|\[(\d+)\]")


def _steps(where: str) -> list[str | int]:
    return [name if name else int(index) for name, index in _STEP.findall(where) if name or index]


# --- decoding -----------------------------------------------------------------------------------


def _whole_number(text: str) -> float | int:
    """The mock binds ``2.0`` to an integer property (JSON Schema counts it as an integer):
    a JSON number with no fraction decodes as an int, which msgspec still accepts wherever a
    float is expected."""
    value = float(text)
    return int(value) if value.is_integer() else value


_decoder = msgspec.json.Decoder(float_hook=_whole_number)
_BOM = b"\xef\xbb\xbf"
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def decode_body(raw: bytes, cls: type[S], param: str) -> S:
    """Validate a JSON request body against ``cls``; raise ``BodyError`` naming the field."""
    if raw.startswith(_BOM):
        raw = raw[3:]  # .NET's reader skips a UTF-8 byte order mark
    if not raw.strip():
        raise BodyError({param: [required_message(param)]})
    raw = _lone_surrogates_replaced(raw)
    try:
        value = _decoder.decode(raw)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError) as error:
        # RecursionError: nested deeper than the interpreter's stack allows
        raise BodyError({param: [_unreadable(raw, cls, error)]}) from None
    if _may_nest_too_deep(raw) and _depth(raw) > MAX_DEPTH:
        raise BodyError({param: [_too_deep(raw)]})
    if not isinstance(value, dict):
        if value is None:
            raise BodyError({param: [required_message(param)]})
        spot = _locate(raw, [])
        message, at = _conversion(_Target(STRUCT, cls), raw, spot)
        assert at is not None  # a body of the wrong kind is the reader's error
        raise BodyError({param: [_json_net(message, spot.shown, raw, at)]})
    fold = _Fold()
    try:
        folded = fold.fold(value, cls, param)
    except _TooManyItems:
        raise BodyError({param: [too_many_items_message()]}) from None
    model_state = fold.problems
    if fold.refused:
        raise BodyError(model_state)
    try:
        record = msgspec.convert(folded, cls)
    except msgspec.ValidationError as error:
        key, message = _translated(error, cls, raw, param)
        model_state.setdefault(key, [message])
        # msgspec stops at the first problem; ASP.NET names every missing required field of
        # the body, so at least those of the top level are all reported.
        for name in required_fields(cls):
            if name not in folded:
                model_state.setdefault(f"{param}.{name}", [required_message(name)])
        raise BodyError(model_state) from None
    if model_state:
        raise BodyError(model_state)
    return record


# Any \uD800-\uDFFF escape: only then can a lone surrogate be there (cheap to rule out).
_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")
# Escaped backslashes first (so "\\ud800" is text, not an escape), then pairs, then singles.
_ESCAPES = re.compile(
    rb"\\\\|\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2}"
    rb"|\\u[dD][89a-fA-F][0-9a-fA-F]{2}"
)


def _lone_surrogates_replaced(raw: bytes) -> bytes:
    """Json.NET reads an unpaired surrogate escape as U+FFFD; msgspec refuses it. Same length,
    so every byte offset stays where it was."""
    if _SURROGATE.search(raw) is None:
        return raw
    return _ESCAPES.sub(lambda m: b"\\ufffd" if len(m[0]) == 6 else m[0], raw)


class _TooManyItems(Exception):
    pass


class _Fold:
    """Renames keys to the model's names as Json.NET binds them (case-insensitively, unknown
    ones dropped), and checks what msgspec cannot: list sizes before their items are walked,
    and ``[Required]`` strings that are empty or white space."""

    def __init__(self) -> None:
        self.items = 0
        self.refused = False  # a list over its bound: the body is never converted
        self.problems: dict[str, list[str]] = {}

    def fold(self, value: dict[str, Any], cls: type[msgspec.Struct], where: str) -> dict[str, Any]:
        names = _lower_names(cls)
        out: dict[str, Any] = {}
        for key, item in value.items():
            target = names.get(key.lower())
            if target is None:
                continue  # unknown fields are ignored, as Json.NET does
            name, kind, nested, blank_checked = target
            if name in out and key != name:
                continue  # an exact-case key wins over a case-folded duplicate
            if kind == LIST:
                if type(item) is list:
                    if len(item) > MAX_ITEMS:
                        self.refused = True
                        self.problems[f"{where}.{name}"] = [max_length_message(name)]
                        continue
                    self.items += len(item)
                    if self.items > MAX_TOTAL_ITEMS:
                        raise _TooManyItems
                    if nested is not None:
                        item = [
                            self.fold(element, nested, f"{where}.{name}[{index}]")
                            if type(element) is dict
                            else element
                            for index, element in enumerate(item)
                        ]
            elif kind == STRUCT:
                if type(item) is dict and nested is not None:
                    item = self.fold(item, nested, f"{where}.{name}")
            elif kind == DATETIME:
                if type(item) is str and _DATE_ONLY.match(item):
                    item += "T00:00:00"  # Json.NET reads a bare ISO date as its midnight
            elif blank_checked and type(item) is str and is_blank(item):
                self.problems[f"{where}.{name}"] = [required_message(name)]
            out[name] = item
        return out


_lower_cache: dict[type, dict[str, tuple[str, int, Any, bool]]] = {}


def _lower_names(cls: type[msgspec.Struct]) -> dict[str, tuple[str, int, Any, bool]]:
    names = _lower_cache.get(cls)
    if names is None:
        names = _lower_cache[cls] = {
            spec.name.lower(): (
                spec.name,
                spec.kind,
                spec.nested,
                spec.required and spec.scalar is str,
            )
            for spec in field_specs(cls)
        }
    return names


# --- nesting ------------------------------------------------------------------------------------

_STRING = rb'"[^"\\]*(?:\\.[^"\\]*)*"'
_STRINGS = re.compile(_STRING, re.DOTALL)
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
_PARENTHESES = bytes.maketrans(b"[]{}", b"()()")


def _may_nest_too_deep(raw: bytes) -> bool:
    return raw.count(b"[") + raw.count(b"{") > MAX_DEPTH


def _depth(raw: bytes) -> int:
    """How deep valid JSON text nests, up to ``MAX_DEPTH + 1``: with the strings gone and
    the brackets left alone, each pass drops the innermost pairs (C speed, where counting
    bracket by bracket would be Python's)."""
    brackets = _STRINGS.sub(b"", raw).translate(_PARENTHESES, _NOT_BRACKETS)
    depth = 0
    while brackets and depth <= MAX_DEPTH:
        brackets = brackets.replace(b"()", b"")
        depth += 1
    return depth


def _too_deep(raw: bytes) -> str:
    path, _, at = _scan(raw, len(raw), deepest=MAX_DEPTH)
    return _json_net(f"The reader's MaxDepth of {MAX_DEPTH} has been exceeded.", path, raw, at + 1)


# --- Json.NET's messages ------------------------------------------------------------------------

_NEWLINE = "\r\n"  # Environment.NewLine of the real server (Windows)
_SPECIAL = frozenset(".'/\"[]() \t\n\r\f\b\\\x85\u2028\u2029")


def _json_path(steps: list[str | int]) -> str:
    """Json.NET's path: ``contacts[0].email``, ``['odd key']``."""
    out = ""
    for step in steps:
        if isinstance(step, int):
            out += f"[{step}]"
        elif _SPECIAL.isdisjoint(step):
            out += f".{step}" if out else step
        else:
            escaped = step.replace("\\", "\\\\").replace("'", "\\'")
            out += f"['{escaped}']"
    return out


def _line_position(raw: bytes, offset: int) -> tuple[int, int]:
    """Json.NET's line (from 1) and position: the UTF-16 characters read on that line."""
    head = raw[:offset]
    line = head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n") + 1
    start = max(head.rfind(b"\n"), head.rfind(b"\r")) + 1
    column = len(head[start:].decode("utf-8", "replace").encode("utf-16-le")) // 2
    return line, column


def _json_net(message: str, steps: list[str | int], raw: bytes, offset: int) -> str:
    """A Json.NET reader or serializer message with its path and place (JsonPosition)."""
    if not message.endswith(_NEWLINE):
        message = message.strip()
        if not message.endswith("."):
            message += "."
        message += " "
    line, position = _line_position(raw, offset)
    return f"{message}Path '{_json_path(steps)}', line {line}, position {position}."


_DOTNET = {
    int: "System.Int32",
    float: "System.Double",
    bool: "System.Boolean",
    str: "System.String",
    datetime: "System.DateTime",
}


@dataclass(frozen=True, slots=True)
class _Target:
    """What a value was read into: a scalar field, a list or a model."""

    kind: int
    model: type[msgspec.Struct] | None = None  # the model, or the list's item model
    spec: FieldSpec | None = None  # the field (None: the body itself or a list item)

    def type_name(self) -> str:
        spec = self.spec
        if self.kind == LIST:
            item = self.model.__name__ if self.model is not None else "System.Object"
            return f"System.Collections.Generic.List`1[{item}]"
        if self.kind == STRUCT or spec is None or spec.scalar is None:
            return self.model.__name__ if self.model is not None else "System.Object"
        name = _DOTNET[spec.scalar]
        return f"System.Nullable`1[{name}]" if spec.nullable and spec.scalar is not str else name


def _target(cls: type[msgspec.Struct], steps: list[str | int]) -> _Target | None:
    """What the value at ``steps`` (names matched as the fold matches them, and indexes)
    is read into."""
    found = _Target(STRUCT, cls)
    for step in steps:
        if isinstance(step, int):
            if found.kind != LIST:
                return None
            found = _Target(STRUCT, found.model)
            continue
        if found.kind != STRUCT or found.model is None:
            return None
        spec = _specs_by_lower(found.model).get(step.lower())
        if spec is None:
            return None
        found = _Target(spec.kind, spec.nested, spec)
    return found


_lower_specs: dict[type, dict[str, FieldSpec]] = {}


def _specs_by_lower(cls: type[msgspec.Struct]) -> dict[str, FieldSpec]:
    found = _lower_specs.get(cls)
    if found is None:
        found = _lower_specs[cls] = {spec.name.lower(): spec for spec in field_specs(cls)}
    return found


def _display(raw: bytes, start: int, end: int) -> str:
    """A JSON value as Json.NET shows it in "Error converting value {0}": strings quoted,
    null as ``{null}``, booleans and numbers as .NET prints them."""
    token = raw[start:end]
    first = token[:1]
    if first == b'"':
        return f'"{msgspec.json.decode(token)}"'
    if first == b"n":
        return "{null}"
    if first in (b"t", b"f"):
        return "True" if first == b"t" else "False"
    number = msgspec.json.decode(token)
    if isinstance(number, int):
        return str(number)
    if number != number or number in (float("inf"), float("-inf")):
        return "Infinity" if number > 0 else "-Infinity" if number < 0 else "NaN"
    if number.is_integer() and abs(number) < 1e15:
        return str(int(number))
    text = repr(number).upper()
    mantissa, _, exponent = text.partition("E")
    if exponent:
        sign = "-" if exponent.startswith("-") else "+"
        text = f"{mantissa.removesuffix('.0')}E{sign}{exponent.lstrip('+-').zfill(2)}"
    return text


_INTEGER_TEXT = re.compile(r"\s*[+-]?\d+\s*")
_DOUBLE_TEXT = re.compile(r"\s*[+-]?(\d[\d,]*\.?\d*|\.\d+)([eE][+-]?\d+)?\s*")
_WORDS = {int: "integer", float: "double", bool: "boolean", datetime: "DateTime"}


def _readable_text(scalar: type | None, text: str) -> bool:
    """Whether Json.NET would read this JSON string into the scalar type (so that only the
    schema refuses it): int.TryParse, double.TryParse, bool.TryParse as .NET has them."""
    if text == "":
        return True  # Json.NET reads an empty string as null
    if scalar is int:
        return _INTEGER_TEXT.fullmatch(text) is not None and -(2**31) <= int(text) < 2**31
    if scalar is float:
        return _DOUBLE_TEXT.fullmatch(text) is not None
    if scalar is bool:
        return text.strip().lower() in ("true", "false")
    return scalar is str


@dataclass(frozen=True, slots=True)
class _Spot:
    """Where a value sits in the body: its bytes and its Json.NET path as sent."""

    start: int
    end: int
    shown: list[str | int]


def _unexpected(raw: bytes, at: int) -> str:
    return f"Unexpected character encountered while parsing value: {_char(raw, at)}."


def _conversion(target: _Target, raw: bytes, spot: _Spot) -> tuple[str, int | None]:
    """Json.NET's (or ASP.NET's) message for a value the schema refuses, and the byte offset
    its position counts to (None: a validation message, which has no position). A typed
    read refusing the first character has stepped past it; a conversion refuses a value
    read whole."""
    start, end = spot.start, spot.end
    first = raw[start : start + 1]
    converting = f"Error converting value {{}} to type '{target.type_name()}'."
    if first not in (b"{", b"["):
        converting = converting.format(_display(raw, start, end))
    if target.kind in (STRUCT, LIST):
        if target.kind == STRUCT and first == b"[":
            return _cannot_deserialize("array", target.type_name()), start + 1
        if target.kind == LIST and first == b"{":
            return _cannot_deserialize("object", target.type_name()), end
        return converting, end
    spec = target.spec
    assert spec is not None
    scalar = spec.scalar
    if first in (b"{", b"["):
        return _unexpected(raw, start), start + 1
    if first == b"n":
        return (required_message(spec.name), None) if scalar is str else (converting, end)
    if first == b'"':
        text: str = msgspec.json.decode(raw[start:end])
        if _readable_text(scalar, text):
            return converting, end
        return f"Could not convert string to {_WORDS.get(scalar or str, 'string')}: {text}.", end
    if first in (b"t", b"f"):
        return (converting, end) if scalar is str else (_unexpected(raw, start), start + 1)
    if scalar is datetime:  # a number
        return _unexpected(raw, start), start + 1
    if scalar is int:
        token = raw[start:end].decode("ascii")
        number = msgspec.json.decode(raw[start:end])
        if isinstance(number, float) and not number.is_integer():
            return f"Input string '{token}' is not a valid integer.", end
        if -(2**31) <= int(number) < 2**31:  # an Int32 the field's narrower range refuses
            return range_message(spec.name, spec.low, spec.high), None
        if isinstance(number, float):
            return f"Input string '{token}' is not a valid integer.", end
        return f"JSON integer {token} is too large or small for an Int32.", end
    return converting, end


def _cannot_deserialize(found: str, type_name: str) -> str:
    """Json.NET's message for an array read into an object, or an object read into a list."""
    if found == "array":
        wanted = 'JSON object (e.g. {"name":"value"})'
        fix = (
            "change the deserialized type to an array or a type that implements a collection "
            "interface (e.g. ICollection, IList) like List<T> that can be deserialized from a "
            "JSON array. JsonArrayAttribute can also be added to the type to force it to "
            "deserialize from a JSON array."
        )
        sample = "[1,2,3]"
    else:
        wanted = "JSON array (e.g. [1,2,3])"
        fix = (
            "change the deserialized type so that it is a normal .NET type (e.g. not a "
            "primitive type like integer, not a collection type like array or List<T>) that "
            "can be deserialized from a JSON object. JsonObjectAttribute can also be added to "
            "the type to force it to deserialize from a JSON object."
        )
        sample = '{"name":"value"}'
    return (
        f"Cannot deserialize the current JSON {found} (e.g. {sample}) into type '{type_name}' "
        f"because the type requires a {wanted} to deserialize correctly.{_NEWLINE}"
        f"To fix this error either change the JSON to a {wanted} or {fix}{_NEWLINE}"
    )


def _translated(
    error: msgspec.ValidationError, cls: type[msgspec.Struct], raw: bytes, param: str
) -> tuple[str, str]:
    """The ModelState key and message of msgspec's first validation error."""
    message, where = error_parts(error)
    key = param + where
    if message.startswith("Object missing required field `"):
        name = message.split("`")[1]
        return f"{key}.{name}", required_message(name)
    steps = _steps(where)
    target = _target(cls, steps)
    spot = _locate(raw, steps)
    if target is None or spot is None:  # pragma: no cover - every model path is found
        return key, message + "."
    text, at = _conversion(target, raw, spot)
    if at is None:
        return key, text
    shown = spot.shown
    if target.kind == LIST and raw[spot.start : spot.start + 1] == b"{":
        # Json.NET has read the object's first property name before it gives up
        first = _first_member(raw, spot.start)
        if first is not None:
            shown, at = [*shown, first[0]], first[1]
    return key, _json_net(text, shown, raw, at)


# --- JSON text that did not decode --------------------------------------------------------------

_MALFORMED = re.compile(r"JSON is malformed: (.*) \(byte (\d+)\)")
_NUMBER_CHARS = frozenset(b"+-.0123456789eE")


def _char(raw: bytes, at: int) -> str:
    return raw[at : at + 4].decode("utf-8", "ignore")[:1]


def _not_utf8(raw: bytes) -> str | None:
    """.NET's decoder message when the body is not UTF-8 (Web API reads it strictly)."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as error:
        shown = "".join(f"[{byte:02X}]" for byte in raw[error.start : error.end][:20])
        return (
            f"Unable to translate bytes {shown} at index {error.start} "
            "from specified code page to Unicode."
        )
    return None


def _unreadable(raw: bytes, cls: type[msgspec.Struct], error: Exception) -> str:
    """Json.NET's message for a body that is not JSON it can read."""
    bad_text = _not_utf8(raw)
    if bad_text is not None:
        return bad_text
    if isinstance(error, RecursionError):
        return _too_deep(raw)
    found = _MALFORMED.match(str(error))
    if found is None:  # "Input data was truncated"
        path, state, _ = _scan(raw, len(raw))
        message = {
            "string": 'Unterminated string. Expected delimiter: ".',
            "object": "Unexpected end when deserializing object.",
            "array": "Unexpected end when deserializing array.",
        }.get(state, "Unexpected end when reading JSON.")
        return _json_net(message, path, raw, len(raw))
    what, at = found[1], int(found[2])
    if what == "trailing characters":
        at -= 1  # msgspec counts that one in; Json.NET stops before it
    path, _, _ = _scan(raw, at)
    char = _char(raw, at)
    if what == "expected ':'":
        message = f"Invalid character after parsing property name. Expected ':' but got: {char}."
    elif what.startswith("expected ','"):
        message = f"After parsing a value an unexpected character was encountered: {char}."
    elif what == "trailing characters":
        message = f"Additional text encountered after finished reading JSON content: {char}."
    elif what in ("object keys must be strings", "trailing comma in object"):
        message = f"Invalid property identifier character: {char}."
    elif what == "invalid escape character in string":
        message = f"Bad JSON escape sequence: \\{_char(raw, at - 1)}."
    elif what == "invalid number":
        start = end = at
        while start > 0 and raw[start - 1] in _NUMBER_CHARS:
            start -= 1
        while end < len(raw) and raw[end] in _NUMBER_CHARS:
            end += 1
        token = raw[start:end].decode("ascii")
        return _json_net(f"Input string '{token}' is not a valid number.", path, raw, end)
    else:
        # A typed read (a scalar field) has stepped past the character; a plain read has not.
        target = _target(cls, path)
        scalar = target is not None and target.kind in (SCALAR, DATETIME)
        return _json_net(_unexpected(raw, at), path, raw, at + 1 if scalar else at)
    return _json_net(message, path, raw, at)


# --- finding things in JSON text ----------------------------------------------------------------

_TOKEN = re.compile(rb'[ \t\n\r]*(?:(")|([\[\]{}:,])|([^ \t\n\r\[\]{}:,"]+))')
_STRING_REST = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_VALUE_OR_BRACKET = re.compile(_STRING + rb"|[\[\]{}]", re.DOTALL)


def _token(raw: bytes, pos: int) -> tuple[int, int] | None:
    """The next token at or after ``pos`` (white space skipped): its start and end."""
    found = _TOKEN.match(raw, pos)
    if found is None:
        return None
    if found[1]:
        start = found.start(1)
        rest = _STRING_REST.match(raw, start + 1)
        return (start, rest.end()) if rest is not None else None
    group = 2 if found[2] else 3
    return found.start(group), found.end(group)


def _skip(raw: bytes, start: int) -> int:
    """The end of the value that starts at ``start``."""
    if raw[start : start + 1] not in (b"{", b"["):
        token = _token(raw, start)
        return token[1] if token is not None else len(raw)
    depth = 0
    for found in _VALUE_OR_BRACKET.finditer(raw, start):
        mark = found[0][:1]
        if mark in (b"{", b"["):
            depth += 1
        elif mark in (b"}", b"]"):
            depth -= 1
            if depth == 0:
                return found.end()
    return len(raw)


def _members(raw: bytes, start: int) -> list[tuple[str, int]]:
    """Each member of the object at ``start``: its name and where its value starts."""
    out: list[tuple[str, int]] = []
    token = _token(raw, start + 1)
    while token is not None and raw[token[0] : token[0] + 1] == b'"':
        name: str = msgspec.json.decode(raw[token[0] : token[1]])
        colon = _token(raw, token[1])
        if colon is None:
            break
        value = _token(raw, colon[1])
        if value is None:
            break
        out.append((name, value[0]))
        after = _token(raw, _skip(raw, value[0]))
        if after is None or raw[after[0] : after[0] + 1] != b",":
            break
        token = _token(raw, after[1])
    return out


def _first_member(raw: bytes, start: int) -> tuple[str, int] | None:
    """The first property name of the object at ``start`` and the end of its colon."""
    token = _token(raw, start + 1)
    if token is None or raw[token[0] : token[0] + 1] != b'"':
        return None
    colon = _token(raw, token[1])
    if colon is None:
        return None
    return msgspec.json.decode(raw[token[0] : token[1]]), colon[1]


def _locate(raw: bytes, steps: list[str | int]) -> _Spot:
    """Where the value at ``steps`` (model names, matched as the fold matched them, and
    indexes) sits in valid JSON text ``raw``."""
    first = _token(raw, 0)
    assert first is not None
    at = first[0]
    shown: list[str | int] = []
    for step in steps:
        if isinstance(step, int):
            element = _token(raw, at + 1)
            for _ in range(step):
                assert element is not None
                comma = _token(raw, _skip(raw, element[0]))
                assert comma is not None
                element = _token(raw, comma[1])
            assert element is not None
            at = element[0]
            shown.append(step)
            continue
        members = _members(raw, at)
        exact = [m for m in members if m[0] == step]
        folded = [m for m in members if m[0].lower() == step.lower()]
        name, at = exact[-1] if exact else folded[0]
        shown.append(name)
    return _Spot(at, _skip(raw, at), shown)


def _scan(raw: bytes, stop: int, deepest: int | None = None) -> tuple[list[str | int], str, int]:
    """Reads JSON text up to byte ``stop``, or up to the bracket that opens a container
    deeper than ``deepest``: Json.NET's path there, what is open there (``"string"``,
    ``"object"``, ``"array"`` or ``""``) and the byte where the reading stopped."""
    frames: list[list[Any]] = []  # [is an object, its key (None before one) or index]
    expecting_key = False
    pos = 0
    while True:
        token = _token(raw, pos)
        if token is None:
            found = _TOKEN.match(raw, pos)
            if found is not None and found[1] and found.start(1) < stop:
                return _path(frames), "string", found.start(1)  # an unterminated string
            break
        start, end = token
        if start >= stop:
            break
        mark = raw[start : start + 1]
        if mark in (b"{", b"["):
            _value_started(frames, expecting_key)
            if deepest is not None and len(frames) >= deepest:
                return _path(frames), "", start
            frames.append([mark == b"{", None if mark == b"{" else -1])
            expecting_key = mark == b"{"
        elif mark in (b"}", b"]"):
            if frames:
                frames.pop()
            expecting_key = False
        elif mark == b",":
            expecting_key = bool(frames) and frames[-1][0]
        elif mark == b'"' and expecting_key:
            frames[-1][1] = msgspec.json.decode(raw[start:end])
            expecting_key = False
        elif mark != b":":
            _value_started(frames, expecting_key)
        pos = end
    state = "" if not frames else "object" if frames[-1][0] else "array"
    return _path(frames), state, pos


def _value_started(frames: list[list[Any]], expecting_key: bool) -> None:
    if frames and not frames[-1][0]:
        frames[-1][1] += 1


def _path(frames: list[list[Any]]) -> list[str | int]:
    return [step for _, step in frames if step is not None and step != -1]
