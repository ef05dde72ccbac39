"""The request journal: every request the server answered, kept in a buffer bounded in
entries and bytes with its secrets redacted (``buffer``, ``redaction``), the language that
finds requests again and explains misses (``queries``), and the parameters of
``GET /_mock/requests`` (``admin_query``).

The ASGI middleware that records requests lives with the other middleware, in
``mockserver.journal_middleware``: this package knows no HTTP framework. The
``scope["state"]`` keys and the journal header are ``mockserver.wire``'s, re-exported here for
the modules that import them from the journal.
"""

from ..routes import ADMIN_PREFIX, route_path
from ..wire import FAULT_KEY, INVALID_KEY, JOURNAL_HEADER, RULES_KEY, TENANT_KEY, UNROUTED_KEY
from .admin_query import FilterError, filter_from_query
from .buffer import (
    DEFAULT_BYTES,
    DEFAULT_SIZE,
    MAX_BODY,
    MAX_RESPONSE_BODY,
    Entry,
    Journal,
    Row,
    header_dict,
)
from .queries import (
    ABSENT,
    RequestFilter,
    Requests,
    assert_requested,
    explain,
    problem_report,
    select,
)
from .redaction import MASK, SECRET_HEADERS, SECRET_KEYS, redact_body, session_tag

__all__ = [
    "ABSENT",
    "ADMIN_PREFIX",
    "DEFAULT_BYTES",
    "DEFAULT_SIZE",
    "FAULT_KEY",
    "INVALID_KEY",
    "JOURNAL_HEADER",
    "MASK",
    "MAX_BODY",
    "MAX_RESPONSE_BODY",
    "RULES_KEY",
    "SECRET_HEADERS",
    "SECRET_KEYS",
    "TENANT_KEY",
    "UNROUTED_KEY",
    "Entry",
    "FilterError",
    "Journal",
    "RequestFilter",
    "Requests",
    "Row",
    "assert_requested",
    "explain",
    "filter_from_query",
    "header_dict",
    "problem_report",
    "redact_body",
    "route_path",
    "select",
    "session_tag",
]
