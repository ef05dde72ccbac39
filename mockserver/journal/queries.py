"""The journal's query and assertion language: ``RequestFilter`` (what to look for),
``select`` and ``assert_requested`` over entries, and the readable reports of what did not
match or what the API rejected.

It works on ``Entry`` values wherever they came from (this process's journal, or a remote
one over ``GET /_mock/requests``), so it knows nothing of the buffer or of HTTP serving.
Values a test expects for a secret (a ``Session-Id`` header, a ``Password`` in a JSON body) are
redacted the way the journal redacts what it keeps, both to compare and to show in reports.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, overload

import msgspec

from ..routes import route_path
from .buffer import Entry
from .redaction import header_text, redact_document

ABSENT: Any = object()
_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::(int|str))?\}")
_INDEX_SUFFIX = re.compile(r"\[\d*\]$")
_PREFIX = "filter."


def _path_pattern(path: str) -> re.Pattern[str]:
    """A path, literal or a template: ``{name}`` (or ``{name:int}``) matches one integer
    segment, as every id in this API is one; ``{name:str}`` matches any one segment."""
    normal = route_path(path)
    parts: list[str] = []
    position = 0
    for match in _PARAM.finditer(normal):
        parts.append(re.escape(normal[position : match.start()]))
        parts.append(r"[^/]+" if match.group(2) == "str" else r"[+-]?\d+")
        position = match.end()
    parts.append(re.escape(normal[position:]))
    # API paths (and a base path before them) route case-insensitively; others do not.
    flags = re.IGNORECASE if "/api/" in normal.lower() else 0
    return re.compile("".join(parts), flags)


def _param_name(key: str) -> str:
    """A query name as ASP.NET binds it: ``filter.`` prefix optional, case-insensitive,
    ``k[]`` and ``k[0]`` the same as ``k``."""
    name = key.lower()
    if name.startswith(_PREFIX):
        name = name[len(_PREFIX) :]
    return _INDEX_SUFFIX.sub("", name)


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _json_subset(expected: Any, actual: Any, where: str, problems: list[str]) -> None:
    """Objects match when every expected key matches (extra keys are fine); lists match item
    by item and must have the same length; anything else must be equal."""
    if isinstance(expected, Mapping):
        if not isinstance(actual, Mapping):
            problems.append(f"{where or 'body'}: expected an object, got {_short(actual)}")
            return
        for key, value in expected.items():
            path = f"{where}.{key}" if where else str(key)
            if key not in actual:
                problems.append(f"{path}: missing (expected {_short(value)})")
            else:
                _json_subset(value, actual[key], path, problems)
    elif isinstance(expected, list | tuple):
        if not isinstance(actual, list) or len(actual) != len(expected):
            problems.append(f"{where or 'body'}: expected {_short(expected)}, got {_short(actual)}")
            return
        for i, (value, item) in enumerate(zip(expected, actual, strict=True)):
            _json_subset(value, item, f"{where}[{i}]", problems)
    elif not _same_kind(expected, actual) or expected != actual:
        problems.append(f"{where or 'body'}: expected {_short(expected)}, got {_short(actual)}")


def _same_kind(expected: Any, actual: Any) -> bool:
    """JSON-wise the same type: ``1`` and ``1.0`` are both numbers, ``True`` is not ``1``."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual)
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return True
    return type(expected) is type(actual)


def _short(value: Any, limit: int = 80) -> str:
    try:
        text = msgspec.json.encode(value).decode()
    except (TypeError, msgspec.EncodeError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class RequestFilter:
    """What to look for; every given criterion must hold.

    ``path`` matches literally or as a template (``/api/customers/{customer_id}``), after the
    base path and a trailing slash are stripped. ``query``, ``json`` and ``headers`` match as
    subsets: the request may carry more. ``status`` is one code or a collection of codes.

    Secrets are redacted on the way in, as the journal redacts what it keeps: an expected
    ``Session-Id`` compares by its tag (so it still finds that session's requests), an
    expected ``Authorization`` or JSON ``Password``/``ApiKey`` only by presence (``"***"``);
    neither appears in the filter's ``repr`` or in a report.
    """

    method: str | None = None
    path: str | None = None
    tenant: str | None = None
    status: int | Collection[int] | None = None
    query: Mapping[str, Any] | None = None
    json: Any = ABSENT
    headers: Mapping[str, str] | None = None
    rule: str | None = None
    since: int | None = None
    _pattern: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.path is not None:
            object.__setattr__(self, "_pattern", _path_pattern(self.path))
        if self.headers is not None:
            redacted = {name: header_text(name, value) for name, value in self.headers.items()}
            object.__setattr__(self, "headers", redacted)
        if self.json is not ABSENT:
            object.__setattr__(self, "json", redact_document(self.json)[0])

    def mismatches(self, entry: Entry) -> list[str]:
        """Why ``entry`` does not match, one reason per criterion; empty when it matches."""
        problems: list[str] = []
        if self.method is not None and entry.method.upper() != self.method.upper():
            problems.append(f"method: expected {self.method.upper()}, got {entry.method}")
        if self._pattern is not None and not (
            self._pattern.fullmatch(entry.route)
            or self._pattern.fullmatch(entry.path.rstrip("/") or "/")
        ):
            problems.append(f"path: expected {self.path}, got {entry.path}")
        if self.tenant is not None and entry.tenant != self.tenant:
            problems.append(f"tenant: expected {self.tenant!r}, got {entry.tenant!r}")
        if self.status is not None:
            wanted = {self.status} if isinstance(self.status, int) else set(self.status)
            if entry.status not in wanted:
                shown = " or ".join(str(s) for s in sorted(wanted))
                problems.append(f"status: expected {shown}, got {entry.status}")
        if self.rule is not None and self.rule not in entry.rules:
            problems.append(f"rule: expected {self.rule!r} to fire, fired {list(entry.rules)}")
        if self.since is not None and entry.seq <= self.since:
            problems.append(f"seq: expected after #{self.since}, got #{entry.seq}")
        if self.query is not None:
            problems.extend(self._query_mismatches(entry))
        if self.headers is not None:
            for name, value in self.headers.items():
                got = entry.headers.get(name.lower())
                if got != value:
                    problems.append(f"header {name}: expected {value!r}, got {got!r}")
        if self.json is not ABSENT:
            try:
                body = entry.json()
            except ValueError:
                problems.append(f"json: expected {_short(self.json)}, body is not JSON")
            else:
                _json_subset(self.json, body, "", problems)
        return problems

    def _query_mismatches(self, entry: Entry) -> list[str]:
        assert self.query is not None
        sent: dict[str, list[str]] = {}
        for key, values in entry.params.items():
            sent.setdefault(_param_name(key), []).extend(values)
        problems: list[str] = []
        for key, value in self.query.items():
            got = sent.get(_param_name(key), [])
            wanted = [_as_text(v) for v in value] if isinstance(value, list | tuple) else None
            if wanted is not None:
                missing = [w for w in wanted if w not in got]
                if missing:
                    problems.append(f"query {key}: expected {wanted}, got {got}")
            elif _as_text(value) not in got:
                shown = f"got {got}" if got else "not sent"
                problems.append(f"query {key}: expected {_as_text(value)!r}, {shown}")
        return problems

    def matches(self, entry: Entry) -> bool:
        return not self.mismatches(entry)

    def describe(self) -> str:
        """``GET /api/customers with query {"page": 2}`` for messages."""
        words = [self.method.upper() if self.method else "any method", self.path or "any path"]
        extra = []
        if self.query is not None:
            extra.append(f"query {_short(dict(self.query))}")
        if self.json is not ABSENT:
            extra.append(f"JSON body {_short(self.json)}")
        if self.headers is not None:
            extra.append(f"headers {_short(dict(self.headers))}")
        if self.tenant is not None:
            extra.append(f"tenant {self.tenant!r}")
        if self.status is not None:
            extra.append(f"status {self.status}")
        if self.rule is not None:
            extra.append(f"rule {self.rule!r}")
        return " ".join(words) + (" with " + ", ".join(extra) if extra else "")


class Requests:
    """A list of journal entries, oldest first: ``count``, ``first``, ``last``, indexing."""

    def __init__(self, entries: Sequence[Entry]) -> None:
        self._entries = list(entries)

    @property
    def count(self) -> int:
        return len(self._entries)

    @property
    def first(self) -> Entry:
        if not self._entries:
            raise IndexError("no requests matched")
        return self._entries[0]

    @property
    def last(self) -> Entry:
        if not self._entries:
            raise IndexError("no requests matched")
        return self._entries[-1]

    def __len__(self) -> int:
        return len(self._entries)

    def __bool__(self) -> bool:
        return bool(self._entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self._entries)

    @overload
    def __getitem__(self, index: int) -> Entry: ...
    @overload
    def __getitem__(self, index: slice) -> Requests: ...
    def __getitem__(self, index: int | slice) -> Entry | Requests:
        if isinstance(index, slice):
            return Requests(self._entries[index])
        return self._entries[index]

    def __repr__(self) -> str:
        lines = "".join(f"\n  {e.describe()}" for e in self._entries)
        return f"<Requests count={self.count}>{lines}"


def select(entries: Sequence[Entry], criteria: RequestFilter) -> Requests:
    return Requests([e for e in entries if criteria.matches(e)])


def assert_requested(
    entries: Sequence[Entry], criteria: RequestFilter, times: int | None = None
) -> Requests:
    """The matching entries; ``AssertionError`` with a readable report unless there are
    exactly ``times`` of them (at least one when ``times`` is None)."""
    found = select(entries, criteria)
    if (times is None and found.count >= 1) or found.count == times:
        return found
    raise AssertionError(explain(entries, criteria, times, found))


def explain(
    entries: Sequence[Entry], criteria: RequestFilter, times: int | None, found: Requests
) -> str:
    """Expected versus recorded, with the nearest requests and why each did not match."""
    expected = "at least once" if times is None else _times(times)
    lines = [f"Expected {criteria.describe()} {expected}; it was requested {_times(found.count)}."]
    if found:
        lines.append("Matching requests:")
        lines.extend(f"  {e.describe()}" for e in found)
    others = [e for e in entries if not criteria.matches(e)]
    if others:
        ranked = sorted(others, key=lambda e: (len(criteria.mismatches(e)), -e.seq))[:5]
        lines.append("Nearest other requests:")
        for entry in ranked:
            lines.append(f"  {entry.describe()}")
            lines.extend(f"      {reason}" for reason in criteria.mismatches(entry))
    elif not entries:
        lines.append("The journal holds no requests.")
    return "\n".join(lines)


def _times(n: int) -> str:
    return {0: "never", 1: "once", 2: "twice"}.get(n, f"{n} times")


def problem_report(entries: Sequence[Entry], known_routes: Sequence[str] = ()) -> str:
    """A readable report of the requests that matched no route, were rejected by
    validation, or called an operation of the vendor's the mock does not implement; empty
    when there are none."""
    problems = [e for e in entries if e.rejected]
    if not problems:
        return ""
    lines = [
        f"mockserver: the code under test sent {_plural(len(problems), 'request')} that "
        "the API would reject (mark the test with @pytest.mark.mock_allow_errors if that "
        "is intended):"
    ]
    for entry in problems:
        lines.append(f"  {entry.describe()}")
        if not entry.routed:
            reason = "no route matches this method and path"
            close = difflib.get_close_matches(entry.route, known_routes, n=1, cutoff=0.6)
            if close:
                reason += f" (did you mean {close[0]}?)"
            lines.append(f"      {reason}")
        elif entry.unmocked:
            lines.append(
                "      the mock does not implement this operation of the API (it answered 501): "
                "serve with --upstream URL to pass it through, or add a scenario rule with respond:"
            )
        elif entry.response_body:
            lines.append(f"      answer: {entry.response_body.decode('utf-8', 'replace')}")
        if entry.body:
            shown = entry.text if len(entry.text) <= 500 else entry.text[:497] + "..."
            lines.append(f"      sent: {shown}")
        elif entry.note:
            lines.append(f"      sent: {entry.note}")
    return "\n".join(lines)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
