"""What the journal never keeps: passwords, API keys, session ids and authorization headers.

A request's ``Password`` and ``ApiKey`` (any key case, at any depth of a JSON body) become
``"***"``; an ``Authorization`` header's value becomes ``"***"``; a ``Session-Id`` header's value
becomes a short stable tag (``sha256:`` and 8 hex digits of its SHA-256), so the requests of one
session can still be told apart. A body that names such a key but is not JSON is not kept.

Redaction is meant to run once, when a request is recorded, and to cost nothing for requests
that carry no secret: a body is parsed only when its bytes name a secret key (or hold a JSON
escape that could spell one). This module knows bytes and JSON documents, nothing of HTTP
servers or of the journal's buffer.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import msgspec

from ..wire import SESSION_HEADER_BYTES

MASK = "***"
SECRET_KEYS = frozenset({"password", "apikey"})  # JSON keys, compared in lower case
AUTHORIZATION_HEADER = b"authorization"
SECRET_HEADERS = frozenset({SESSION_HEADER_BYTES, AUTHORIZATION_HEADER})  # as ASGI has them

# Bytes that must be present for a body to hold a secret key: the key itself, or a JSON
# ``\u`` escape, with which ``"Pass\u0077ord"`` spells one without its letters.
_HINT = re.compile(rb"(?i)password|apikey|\\u")
_KEY_NAMED = re.compile(rb"(?i)password|apikey")
_MASK_BYTES = MASK.encode()


@lru_cache(maxsize=4096)
def session_tag(session_id: bytes) -> str:
    """``sha256:ab12cd34``: the same for every request of one session, and no way back."""
    return "sha256:" + hashlib.sha256(session_id).hexdigest()[:8]


_AUTHORIZATION_PAIR = (AUTHORIZATION_HEADER, _MASK_BYTES)
_SESSION_PAIRS: dict[bytes, tuple[bytes, bytes]] = {}  # session id -> its header as kept
_SESSION_PAIRS_MAX = 4096


def redacted_pair(pair: tuple[bytes, bytes]) -> tuple[bytes, bytes]:
    """A raw header whose name is in ``SECRET_HEADERS``, as the journal keeps it. The pair of
    a session is cached: its requests come one after another and all pay the same hash."""
    name, value = pair
    if name != SESSION_HEADER_BYTES:
        return _AUTHORIZATION_PAIR
    kept = _SESSION_PAIRS.get(value)
    if kept is None:
        if len(_SESSION_PAIRS) >= _SESSION_PAIRS_MAX:
            _SESSION_PAIRS.clear()
        kept = _SESSION_PAIRS[value] = (name, session_tag(value).encode())
    return kept


def header_text(name: str, value: str) -> str:
    """A header's value as the journal keeps it, for text: e.g. a header a test expects
    (``Session-Id: abc``), so that it compares with (and is shown like) what was kept."""
    key = name.lower().encode("latin-1", "replace")
    if key in SECRET_HEADERS:
        pair = redacted_pair((key, value.encode("latin-1", "replace")))
        return pair[1].decode("latin-1")
    return value


def _same_shape(value: Any) -> Any:
    """A secret value masked so that whatever checks it (required, blank, its type) answers
    as for the value itself: a non-blank string becomes ``"***"``, a number 0, a container
    empty; blank strings, booleans and nulls hold no secret and stay."""
    if isinstance(value, str):
        return MASK if value.strip() else value
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return 0
    if isinstance(value, float):
        return 0.0
    return {} if isinstance(value, Mapping) else []


def redact_document(document: Any, keep_shape: bool = False) -> tuple[Any, bool]:
    """``document`` (decoded JSON) with the value of every secret key, at any depth, replaced
    by ``"***"`` (with ``keep_shape``, by a value of its shape: ``_same_shape``), and whether
    anything was. Iterative: a deeply nested body cannot exhaust the stack. The original is
    not changed: the containers are copies."""
    changed = False
    root: list[Any] = [document]
    stack: list[tuple[Any, Any, Any]] = [(root, 0, document)]  # (parent, slot, value)
    while stack:
        parent, slot, value = stack.pop()
        if isinstance(value, Mapping):
            copy = dict(value)
            for key, item in value.items():
                if isinstance(key, str) and key.lower() in SECRET_KEYS:
                    copy[key] = _same_shape(item) if keep_shape else MASK
                    changed = True
                elif isinstance(item, Mapping | list | tuple):
                    stack.append((copy, key, item))
            parent[slot] = copy
        elif isinstance(value, list | tuple):
            items = list(value)
            for index, item in enumerate(items):
                if isinstance(item, Mapping | list | tuple):
                    stack.append((items, index, item))
            parent[slot] = items
    return (root[0], True) if changed else (document, False)


def hints_secret(body: bytes) -> bool:
    """Whether ``body`` may hold a secret key (the cheap test before parsing it)."""
    return _HINT.search(body) is not None


def names_secret(document: Any) -> bool:
    """Whether a secret key appears anywhere in ``document`` (decoded JSON, or a scenario
    rule's body pattern)."""
    stack = [document]
    while stack:
        value = stack.pop()
        if isinstance(value, Mapping):
            for key, item in value.items():
                if isinstance(key, str) and key.lower() in SECRET_KEYS:
                    return True
                stack.append(item)
        elif isinstance(value, list | tuple):
            stack.extend(value)
    return False


def redact_body(body: bytes) -> tuple[bytes, str | None]:
    """The body as the journal keeps it, and a note when it could not be kept.

    A body without a hint of a secret is returned as it is (the common case: one regular
    expression scan). A JSON body holding secret keys comes back re-encoded with them
    masked; a body that names a secret key but is not JSON (a form, a body cut at the
    journal's 64 KiB) is not kept at all: ``b""`` and the note ``<redacted: N bytes>``."""
    if not body or _HINT.search(body) is None:
        return body, None
    try:
        document = msgspec.json.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        if _KEY_NAMED.search(body) is None:
            return body, None  # only an escape-like sequence, in a body that is not JSON
        return b"", f"<redacted: {len(body)} bytes>"
    redacted, changed = redact_document(document)
    return (msgspec.json.encode(redacted), None) if changed else (body, None)
