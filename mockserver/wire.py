"""Facts of the wire that several modules must agree on, each written once: the real API's
error messages, the media type of every JSON answer, the header names the mock reads and
writes, and the keys of ``scope["state"]`` through which the handlers, the scenario rules and
the request journal tell each other what happened to a request.

Plain constants only: this module imports nothing and knows nothing of how a request is
served. Header names come as written in the documentation (``X-Mock-Tenant``), lower-cased
(how ASGI carries them) and as bytes (how the raw header lists hold them).
"""

from __future__ import annotations

# --- media types ----------------------------------------------------------------------------

JSON = "application/json; charset=utf-8"
JSON_BYTES = JSON.encode()

# --- the real API's messages ----------------------------------------------------------------

DENIED = "Authorization has been denied for this request."
INVALID = "The request is invalid."
SERVER_ERROR = "An error has occurred."
STARTING = "The server is starting: its data and scenarios are loading."
NOT_FOUND = "No HTTP resource was found that matches the request URI '{}'."
METHOD_NOT_ALLOWED = "The requested resource does not support http method '{}'."


def not_found(path: str) -> str:
    """The 404 message of a request no route matched."""
    return NOT_FOUND.format(path)


def method_not_allowed(method: str) -> str:
    """The 405 message of a method the matched path does not answer."""
    return METHOD_NOT_ALLOWED.format(method)


# The 501 of an operation of the vendor's API the mock does not implement (mockserver.vendor).
NOT_MOCKED = (
    "{} {} ({}) is an operation of the Lemonsoft API that this mock does not implement. To "
    "provide it, serve with --upstream URL to pass it through to a real server, or add a "
    "scenario rule for it that answers with respond:."
)


def not_mocked(method: str, template: str, name: str) -> str:
    """The 501 message of an operation the mock knows of but does not implement."""
    return NOT_MOCKED.format(method, template, name)


# --- headers ----------------------------------------------------------------------------------

SESSION_HEADER_NAME = "Session-Id"
SESSION_HEADER = SESSION_HEADER_NAME.lower()
SESSION_HEADER_BYTES = SESSION_HEADER.encode()

TENANT_HEADER_NAME = "X-Mock-Tenant"  # selects a tenant without a session
TENANT_HEADER = TENANT_HEADER_NAME.lower()
TENANT_HEADER_BYTES = TENANT_HEADER.encode()

SCENARIO_HEADER_NAME = "X-Mock-Scenario"  # applies a named scenario to one request
SCENARIO_HEADER = SCENARIO_HEADER_NAME.lower()
SCENARIO_HEADER_BYTES = SCENARIO_HEADER.encode()

JOURNAL_HEADER_NAME = "X-Mock-Journal"  # "off": the request stays out of the journal
JOURNAL_HEADER = JOURNAL_HEADER_NAME.lower()
JOURNAL_HEADER_BYTES = JOURNAL_HEADER.encode()
JOURNAL_OFF = "off"

TOTAL_HEADER_NAME = "X-Total-Count"  # a list's total over all pages
TOTAL_HEADER = TOTAL_HEADER_NAME.lower()
TOTAL_HEADER_BYTES = TOTAL_HEADER.encode()

# --- scope["state"] keys --------------------------------------------------------------------

TENANT_KEY = "tenant"  # the tenant's name, once a handler resolved it
INVALID_KEY = "mock_invalid"  # the API's validation rejected the input (400, 413, 415)
UNROUTED_KEY = "mock_unrouted"  # no route matched (404, 405)
UNMOCKED_KEY = "mock_unmocked"  # a known operation of the vendor's the mock does not implement
STORE_KEY = "mock_store"  # the store of a named scenario that sets its own data
RULES_KEY = "mock_rules_fired"  # the labels of the scenario rules that fired
FAULT_KEY = "mock_fault"  # the connection fault a scenario rule delivered
UPSTREAM_KEY = "mock_upstream"  # the bridge passed the request through to the upstream
