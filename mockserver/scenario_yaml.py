"""Reading a scenario (or a record file) as plain values that remember where each came from.

PyYAML's composer gives nodes with marks; the values are built here rather than by PyYAML's
constructor so that every value and every mapping key keeps its line and column, so that
mapping keys stay the text that was written (``yes:`` is the key "yes", not True), so that
timestamps stay strings (the models parse date-times themselves, with the API's messages),
and so that a duplicate key is a problem instead of a silent overwrite. JSON is read by the
same code: it is (for these purposes) YAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Path = tuple[str | int, ...]
_TIMESTAMP = "tag:yaml.org,2002:timestamp"


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
    """The text is not YAML, or has duplicate keys; ``problems`` are ``FILE:LINE:COL: ...``."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def parse(text: str, source: str) -> Document:
    """The document in ``text`` (YAML or JSON); an empty text is an empty mapping."""
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
    document = Document(source, {})
    if node is None:
        return document
    problems: list[str] = []
    document.value = _build(node, (), document, problems, _Constructor())
    if problems:
        raise YamlProblems(problems)
    return document


class _Constructor(SafeConstructor):
    """PyYAML's safe scalar rules (ints, floats, booleans, null), one scalar at a time."""


def _mark(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _build(
    node: Node, path: Path, document: Document, problems: list[str], constructor: _Constructor
) -> Any:
    document.marks[path] = _mark(node)
    if isinstance(node, MappingNode):
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                line, column = _mark(key_node)
                problems.append(f"{document.source}:{line}:{column}: a key must be plain text")
                continue
            key = str(key_node.value)
            if key in mapping:
                line, column = _mark(key_node)
                problems.append(f"{document.source}:{line}:{column}: duplicate key '{key}'")
                continue
            document.key_marks[(*path, key)] = _mark(key_node)
            mapping[key] = _build(value_node, (*path, key), document, problems, constructor)
        return mapping
    if isinstance(node, SequenceNode):
        return [
            _build(item, (*path, index), document, problems, constructor)
            for index, item in enumerate(node.value)
        ]
    assert isinstance(node, ScalarNode)
    if node.tag == _TIMESTAMP:
        return node.value
    try:
        return constructor.construct_object(node, deep=True)
    except ConstructorError as error:
        line, column = _mark(node)
        problems.append(f"{document.source}:{line}:{column}: {error.problem}")
        return None
