"""Reading a scenario (or a record file) as plain values that remember where each came from.

YAML: PyYAML's composer gives nodes with marks; the values are built here rather than by
PyYAML's constructor so that every value and every mapping key keeps its line and column, so
that mapping keys stay the text that was written (``yes:`` is the key "yes", not True), so that
timestamps stay strings (the models parse date-times themselves, with the API's messages), and
so that a duplicate key is a problem instead of a silent overwrite.

JSON is read as JSON (``1e3`` is a number, ``"\\ud83d\\ude00"`` one emoji), by a small reader
built on the standard library's own string and number scanners, with the same marks and the
same duplicate-key check. A text is JSON when the caller says so (a ``.json`` file, an
``application/json`` body) or when it starts with ``{`` or ``[`` and reads as JSON; a text
that only looks like JSON (YAML flow style, ``{rules: [...]}``) is read as YAML.

``parse_plain_json`` is the fast lane for big record files: the standard library's C decoder
gives plain values, marking only the whole value and each item of a top-level list; it steps
aside (None) for anything the marking reader would report, which then says exactly where.

Both readers refuse what would make later steps fail or explode: nesting deeper than
``MAX_DEPTH``, aliases that expand to more than ``MAX_ALIASED`` values, and strings holding a
lone UTF-16 surrogate (which no UTF-8 answer can carry). Nothing here knows what a scenario
means; ``scenario_spec`` checks the values.
"""

from __future__ import annotations

import contextlib
import json
import json.scanner
import re
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Path = tuple[str | int, ...]
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
MAX_DEPTH = 64  # mappings and lists inside each other; real scenarios use fewer than 10
MAX_ALIASED = 100_000  # values YAML aliases may add (a "billion laughs" would add 10**9)
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass
class Document:
    """One file's values, with the 1-based (line, column) of every value and mapping key."""

    source: str
    value: Any
    marks: dict[Path, tuple[int, int]] = field(default_factory=dict)
    key_marks: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: Path) -> str:
        """``FILE:LINE:COLUMN`` of the value at ``path``, or of its nearest enclosing value."""
        for end in range(len(path), -1, -1):
            mark = self.marks.get(path[:end])
            if mark is not None:
                return f"{self.source}:{mark[0]}:{mark[1]}"
        return f"{self.source}:1:1"

    def where_key(self, path: Path) -> str:
        """``FILE:LINE:COLUMN`` of the mapping key that leads to ``path``."""
        mark = self.key_marks.get(path)
        return f"{self.source}:{mark[0]}:{mark[1]}" if mark else self.where(path)


class YamlProblems(Exception):
    """The text is not YAML (or JSON), or has duplicate keys; ``problems`` are
    ``FILE:LINE:COL: ...``."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class _JsonSyntax(YamlProblems):
    """The text is not JSON at all (rather than JSON with a problem in it)."""


def looks_like_json(text: str) -> bool:
    """Whether the text starts (after blanks) with ``{`` or ``[``."""
    return text.lstrip(" \t\r\n\ufeff")[:1] in ("{", "[")


def parse(text: str, source: str, *, as_json: bool | None = None) -> Document:
    """The document in ``text``; an empty text is an empty mapping. ``as_json``: True reads
    JSON only, False YAML only, None (the default) JSON when the text looks like it and
    reads as it, else YAML."""
    if as_json is None and looks_like_json(text):
        try:
            return _parse_json(text, source)
        except _JsonSyntax as json_error:
            try:
                return _parse_yaml(text, source)
            except YamlProblems:
                raise json_error from None  # it looked like JSON: say what is wrong as JSON
    if as_json:
        return _parse_json(text, source)
    return _parse_yaml(text, source)


# --- JSON, fast: plain values first ----------------------------------------------------------


class _Unplain(Exception):
    """The text needs the marking reader (a duplicate key, ``NaN``, anything unusual)."""


def _plain_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping = dict(pairs)
    if len(mapping) != len(pairs):
        raise _Unplain  # a duplicate key: the marking reader says where
    return mapping


def _no_constant(name: str) -> Any:
    raise _Unplain  # NaN, Infinity: not JSON


_PLAIN_DECODER = json.JSONDecoder(object_pairs_hook=_plain_object, parse_constant=_no_constant)
_STRING_TEXT = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
# A surrogate's escape (or an escaped backslash's "u": the marking reader sorts it out).
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _blank_end(text: str, position: int) -> int:
    match = _BLANK.match(text, position)
    assert match is not None  # it matches nothing at worst
    return match.end()


def _nests_deeper(text: str, limit: int) -> bool:
    """Whether valid JSON text nests more than ``limit`` deep: with the strings gone, each
    pass drops the innermost bracket pairs (C speed, where counting one by one is Python's)."""
    if text.count("[") + text.count("{") <= limit:
        return False
    brackets = _NOT_BRACKETS.sub("", _STRING_TEXT.sub("", text))
    brackets = brackets.replace("[", "(").replace("{", "(").replace("]", ")").replace("}", ")")
    for _ in range(limit):
        shorter = brackets.replace("()", "")
        if not shorter:
            return False
        brackets = shorter
    return True


def parse_plain_json(text: str, source: str, *, nesting_bounded: bool = False) -> Document | None:
    """The JSON document in ``text`` read by the standard library's C decoder, with the marks
    of the whole value and of each item of a top-level list only: for a file of many records,
    ten times faster than ``parse``. None when the text needs ``parse`` to read it or to say
    exactly what is wrong (not JSON, a duplicate key, a UTF-16 surrogate escape, nesting
    deeper than ``MAX_DEPTH``, an empty text). Where ``parse`` would report a problem, this
    returns None; its values are otherwise the same as ``parse``'s. ``nesting_bounded``: the
    caller checks every value against models that nest far less than ``MAX_DEPTH`` (and
    turns to ``parse`` when one does not fit), so the depth check, which costs as much as the
    decoding, is left out."""
    if _SURROGATE_ESCAPE.search(text) is not None or (
        not text.isascii() and _SURROGATE.search(text) is not None
    ):
        return None  # an emoji written as a pair, or a lone half: the marking reader joins
    start = 1 if text.startswith("\ufeff") else 0
    line_starts = [0]
    line_starts.extend(m.end() for m in re.finditer("\n", text))

    def mark(position: int) -> tuple[int, int]:
        line = bisect_right(line_starts, position)
        return line, position - line_starts[line - 1] + 1

    document = Document(source, None)
    decode, blank = _PLAIN_DECODER.raw_decode, _blank_end
    try:
        position = blank(text, start)
        if position == len(text) or (not nesting_bounded and _nests_deeper(text, MAX_DEPTH)):
            return None
        document.marks[()] = mark(position)
        if not text.startswith("[", position):
            document.value, position = decode(text, position)
        else:
            items: list[Any] = []
            position = blank(text, position + 1)
            if not text.startswith("]", position):
                while True:
                    document.marks[(len(items),)] = mark(position)
                    item, position = decode(text, position)
                    items.append(item)
                    position = blank(text, position)
                    if text.startswith("]", position):
                        break
                    if not text.startswith(",", position):
                        return None
                    position = blank(text, position + 1)
            position += 1
            document.value = items
        if blank(text, position) != len(text):
            return None
    except (_Unplain, ValueError, RecursionError):
        return None
    return document


# --- text: what no answer could carry -------------------------------------------------------


def _text(value: str, where: tuple[int, int], source: str, problems: list[str]) -> str:
    """``value`` with UTF-16 surrogate pairs (as JSON and YAML escapes write an emoji) joined;
    a lone surrogate is a problem."""
    if _SURROGATE.search(value) is None:
        return value
    try:
        return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le")
    except UnicodeDecodeError:
        lone = _SURROGATE.search(value)
        assert lone is not None
        problems.append(
            f"{source}:{where[0]}:{where[1]}: the text holds a lone UTF-16 surrogate "
            f"(\\u{ord(lone.group()):04x}), which is not a character; write the character "
            "itself or both halves of its pair"
        )
        return value


def _too_deep(source: str, where: tuple[int, int]) -> str:
    return f"{source}:{where[0]}:{where[1]}: values are nested more than {MAX_DEPTH} levels deep"


# --- YAML -----------------------------------------------------------------------------------


def _parse_yaml(text: str, source: str) -> Document:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = error.problem or error.context or "not YAML"
        if problem.startswith("but ") and error.context:
            problem = f"{error.context}, {problem}"
        if problem.endswith("but got '{'"):
            problem += " (quote a path template inside {...}: path: '/api/customers/{id}')"
        raise YamlProblems([f"{source}:{line}:{column}: invalid YAML: {problem}"]) from None
    except yaml.YAMLError as error:  # a reader error (e.g. a control character) has no mark
        raise YamlProblems([f"{source}:1:1: invalid YAML: {error}"]) from None
    except RecursionError:  # PyYAML's composer recurses once per level
        raise YamlProblems([_too_deep(source, (1, 1))]) from None
    document = Document(source, {})
    if node is None:
        return document
    builder = _YamlBuilder(document)
    with contextlib.suppress(_Abandon):  # its problem is recorded
        document.value = builder.build(node, (), 0)
    if builder.problems:
        raise YamlProblems(builder.problems)
    return document


class _Constructor(SafeConstructor):
    """PyYAML's safe scalar rules (ints, floats, booleans, null), one scalar at a time."""


class _Abandon(Exception):
    """The document cannot be read further (its problem is recorded)."""


def _mark(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _YamlBuilder:
    def __init__(self, document: Document) -> None:
        self.document = document
        self.problems: list[str] = []
        self.constructor = _Constructor()
        self.seen: set[int] = set()
        self.aliased = 0

    def build(self, node: Node, path: Path, depth: int) -> Any:
        document, problems = self.document, self.problems
        mark = _mark(node)
        if id(node) in self.seen:  # an alias: the anchored node again
            self.aliased += 1
            if self.aliased > MAX_ALIASED:
                problems.append(
                    f"{document.source}:{mark[0]}:{mark[1]}: aliases expand to more than "
                    f"{MAX_ALIASED} values"
                )
                raise _Abandon
        else:
            self.seen.add(id(node))
        document.marks[path] = mark
        if isinstance(node, MappingNode | SequenceNode) and depth >= MAX_DEPTH:
            problems.append(_too_deep(document.source, mark))
            raise _Abandon
        if isinstance(node, MappingNode):
            mapping: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key_mark = _mark(key_node)
                if not isinstance(key_node, ScalarNode):
                    problems.append(
                        f"{document.source}:{key_mark[0]}:{key_mark[1]}: a key must be plain text"
                    )
                    continue
                key = _text(str(key_node.value), key_mark, document.source, problems)
                if key in mapping:
                    problems.append(
                        f"{document.source}:{key_mark[0]}:{key_mark[1]}: duplicate key '{key}'"
                    )
                    continue
                document.key_marks[(*path, key)] = key_mark
                mapping[key] = self.build(value_node, (*path, key), depth + 1)
            return mapping
        if isinstance(node, SequenceNode):
            return [
                self.build(item, (*path, index), depth + 1) for index, item in enumerate(node.value)
            ]
        assert isinstance(node, ScalarNode)
        if node.tag == _TIMESTAMP:
            return node.value
        try:
            value = self.constructor.construct_object(node, deep=True)
        except ConstructorError as error:
            problems.append(f"{document.source}:{mark[0]}:{mark[1]}: {error.problem}")
            return None
        if isinstance(value, str):
            return _text(value, mark, document.source, problems)
        return value


# --- JSON -----------------------------------------------------------------------------------

_BLANK = re.compile(r"[ \t\n\r]*")
_NUMBER = json.scanner.NUMBER_RE
_LITERALS: dict[str, Any] = {"true": True, "false": False, "null": None}
_DECODER = json.JSONDecoder()  # strict: no control characters inside strings


class _JsonError(Exception):
    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


def _parse_json(text: str, source: str) -> Document:
    document = Document(source, {})
    reader = _JsonReader(text, document)
    start = 1 if text.startswith("\ufeff") else 0
    try:
        position = reader.blank(start)
        if position == len(text):
            return document  # an empty text, as in YAML: an empty mapping
        document.value, position = reader.value(position, (), 0)
        position = reader.blank(position)
        if position != len(text):
            raise _JsonError("extra data after the JSON value", position)
    except _JsonError as error:
        line, column = reader.line_column(error.position)
        raise _JsonSyntax([f"{source}:{line}:{column}: invalid JSON: {error.message}"]) from None
    except _Abandon:  # its problem is recorded
        pass
    if reader.problems:
        raise YamlProblems(reader.problems)
    return document


class _JsonReader:
    """RFC 8259 JSON, read with the standard library's scanners, noting every value's mark."""

    def __init__(self, text: str, document: Document) -> None:
        self.text = text
        self.document = document
        self.problems: list[str] = []
        self.line_starts = [0]
        self.line_starts.extend(m.end() for m in re.finditer("\n", text))

    def line_column(self, position: int) -> tuple[int, int]:
        line = bisect_right(self.line_starts, position)
        return line, position - self.line_starts[line - 1] + 1

    def blank(self, position: int) -> int:
        match = _BLANK.match(self.text, position)
        assert match is not None
        return match.end()

    def string(self, position: int) -> tuple[str, int]:
        try:
            value, end = _DECODER.raw_decode(self.text, position)  # at the opening quote
        except json.JSONDecodeError as error:
            raise _JsonError(error.msg.lower(), error.pos) from None
        return _text(value, self.line_column(position), self.document.source, self.problems), end

    def value(self, position: int, path: Path, depth: int) -> tuple[Any, int]:
        text, document = self.text, self.document
        mark = self.line_column(position)
        document.marks[path] = mark
        char = text[position : position + 1]
        if char in ("{", "[") and depth >= MAX_DEPTH:
            self.problems.append(_too_deep(document.source, mark))
            raise _Abandon
        if char == "{":
            return self.mapping(position + 1, path, depth)
        if char == "[":
            return self.sequence(position + 1, path, depth)
        if char == '"':
            return self.string(position)
        number = _NUMBER.match(text, position)
        if number is not None:
            integer, fraction, exponent = number.groups()
            if fraction or exponent:
                return float(integer + (fraction or "") + (exponent or "")), number.end()
            return int(integer), number.end()
        for word, literal in _LITERALS.items():
            if text.startswith(word, position):
                return literal, position + len(word)
        raise _JsonError("expected a value" if char else "unexpected end of the text", position)

    def mapping(self, position: int, path: Path, depth: int) -> tuple[dict[str, Any], int]:
        text, document = self.text, self.document
        mapping: dict[str, Any] = {}
        position = self.blank(position)
        if text.startswith("}", position):
            return mapping, position + 1
        while True:
            if not text.startswith('"', position):
                raise _JsonError("expected a key in double quotes", position)
            key_mark = self.line_column(position)
            key, position = self.string(position)
            position = self.blank(position)
            if not text.startswith(":", position):
                raise _JsonError("expected ':' after the key", position)
            position = self.blank(position + 1)
            if key in mapping:
                self.problems.append(
                    f"{document.source}:{key_mark[0]}:{key_mark[1]}: duplicate key '{key}'"
                )
                # Read (and drop) its value where its marks cannot shadow the first one's.
                _, position = self.value(position, (*path, "", len(self.problems)), depth + 1)
            else:
                document.key_marks[(*path, key)] = key_mark
                mapping[key], position = self.value(position, (*path, key), depth + 1)
            position = self.blank(position)
            if text.startswith("}", position):
                return mapping, position + 1
            if not text.startswith(",", position):
                raise _JsonError("expected ',' or '}'", position)
            position = self.blank(position + 1)

    def sequence(self, position: int, path: Path, depth: int) -> tuple[list[Any], int]:
        text = self.text
        items: list[Any] = []
        position = self.blank(position)
        if text.startswith("]", position):
            return items, position + 1
        while True:
            item, position = self.value(position, (*path, len(items)), depth + 1)
            items.append(item)
            position = self.blank(position)
            if text.startswith("]", position):
                return items, position + 1
            if not text.startswith(",", position):
                raise _JsonError("expected ',' or ']'", position)
            position = self.blank(position + 1)
