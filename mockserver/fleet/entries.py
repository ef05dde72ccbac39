"""One entry of the fleet's log: a state-changing request as every process replays it.

An entry holds what the application below the fleet's middleware reads of a request (method,
path, query, headers, body) and what the answering process pinned for it (the time and the
id a login draws: ``mockserver.replay.Pin``). Credentials are masked before an entry leaves
the process, as the journal masks them: the admin's bearer token and cookies are dropped
(the guard checked them before the request was logged); a secret field of a JSON body becomes
a value of its shape (``***`` for a non-blank string), so every check a handler makes answers
as for the secret (a login takes any non-blank value); only a scenario rule that matches on a
secret keeps it (``mask=False``). Encoded
with msgpack, as a tuple. Knows nothing of Redis or of the state.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import Any

import msgspec

from ..journal.redaction import hints_secret, redact_document
from ..replay import Pin

# Headers an entry never carries: they authorized the request on the process that took it.
DROPPED_HEADERS = frozenset((b"authorization", b"proxy-authorization", b"cookie"))


class Entry(msgspec.Struct, array_like=True, frozen=True):
    method: str
    path: str
    raw_path: bytes
    query: bytes
    root_path: str
    headers: list[tuple[bytes, bytes]]
    body: bytes
    now: int  # epoch seconds: the pinned time of the request
    seconds: float  # the pinned base-clock seconds
    session_id: str  # the id a login in this request gets
    origin: str  # the process that took the request
    token: str  # the origin's own mark, to find its waiting client again

    @property
    def pin(self) -> Pin:
        return Pin(datetime.fromtimestamp(self.now, UTC), self.seconds, self.session_id)


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(Entry)


def masked(body: bytes) -> bytes:
    """``body`` with each secret of a JSON body replaced by a value of its shape
    (``redaction._same_shape``): every check a handler makes answers as for the secret
    itself, so the replay's outcome is the origin's. A body that is not JSON stays as it is
    (no handler takes a secret from one)."""
    if not body or not hints_secret(body):
        return body
    try:
        document = msgspec.json.decode(body)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return body
    redacted, changed = redact_document(document, keep_shape=True)
    return msgspec.json.encode(redacted) if changed else body


def entry_of(
    scope: MutableMapping[str, Any],
    body: bytes,
    pin: Pin,
    origin: str,
    token: str,
    mask: bool = True,
) -> tuple[Entry, bytes]:
    """The entry of a request (its scope as the fleet's middleware sees it) and its bytes.
    ``mask=False`` keeps the body's secrets: for a scenario rule that matches on them."""
    headers = [(k, v) for k, v in scope["headers"] if k not in DROPPED_HEADERS]
    kept = masked(body) if mask else body
    entry = Entry(
        method=scope["method"],
        path=scope["path"],
        raw_path=scope.get("raw_path") or scope["path"].encode(),
        query=scope.get("query_string", b""),
        root_path=scope.get("root_path", ""),
        headers=headers,
        body=kept,
        now=int(pin.now.timestamp()),
        seconds=pin.seconds,
        session_id=pin.session_id,
        origin=origin,
        token=token,
    )
    return entry, _encoder.encode(entry)


def decode(data: bytes) -> Entry:
    return _decoder.decode(data)
