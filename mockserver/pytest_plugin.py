"""The pytest plugin, registered through the ``pytest11`` entry point: installing the package is
enough.

Fixtures: ``mockserver`` (session scope) is one server for the run, started on first use;
``mock_api`` (function scope) is a fresh tenant on it, logged in, whose journal view starts
with the test. At teardown ``mock_api`` deletes its tenant (so a long run never meets the
server's ``--max-tenants``) and fails the test with a report when the code under test sent a
request that matched no route, that the API rejected (400, 413, 415), or that called an
operation of the vendor's API the mock does not implement (a 501), unless the test is marked
``mock_allow_errors``.

Markers: ``mock_data(customers=, invoices=, seed=)`` and ``mock_scenario(NAME_OR_PATH)`` give
a test a server with that data or scenario (one per distinct choice, shared by the tests
that make it, each still in its own tenant). A scenario name resolves as the server resolves
it: in the scenarios folder first, then among the scenarios shipped with the package.

Options: ``--mockserver-url URL`` runs against a server that already runs (tests that need
``mock_data`` or ``mock_scenario`` are skipped there: those need a server of their own), with
``--mockserver-admin-token`` (or ``MOCKSERVER_ADMIN_TOKEN``) for its admin routes;
``--mockserver-seed N``; ini ``mockserver_scenarios_dir`` (default ``scenarios``).

This module imports the server only when a fixture first runs (``mockserver.testing.pool``,
imported inside ``_mockserver_pool``): pytest loads the plugin in every run of a project that
installed the package, and a run that never uses the mock should pay neither for uvicorn and
the app nor for their import-time effects.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from .settings import OPTIONS

if TYPE_CHECKING:
    from .testing import MockServer, MockTenant, RemoteMockServer
    from .testing.pool import ServerPool

_TOKEN_ENV = next(option.env for option in OPTIONS if option.name == "admin_token")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockserver", "mock ERP API server")
    group.addoption(
        "--mockserver-url",
        default=None,
        metavar="URL",
        help="run against this already running mock server instead of starting one "
        "(include its base path, e.g. http://localhost:8080/Lemonsoft30)",
    )
    group.addoption(
        "--mockserver-admin-token",
        default=None,
        metavar="TOKEN",
        help="admin token of the server of --mockserver-url, sent with its admin requests "
        f"(default: {_TOKEN_ENV})",
    )
    group.addoption(
        "--mockserver-seed",
        type=int,
        default=None,
        metavar="N",
        help="seed of the data of the servers the plugin starts (default: MOCKSERVER_SEED or 1)",
    )
    parser.addini(
        "mockserver_scenarios_dir",
        "folder of the scenarios that @pytest.mark.mock_scenario(NAME) names",
        default="scenarios",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mock_data(customers=N, invoices=N, seed=N): serve this test data of this size and "
        "seed (invoices default to five per customer)",
    )
    config.addinivalue_line(
        "markers",
        "mock_scenario(name): serve this test with a scenario: a name (the scenarios folder "
        "first, then the scenarios shipped with mockserver) or a path relative to the test file",
    )
    config.addinivalue_line(
        "markers",
        "mock_allow_errors: do not fail the test when its requests matched no route, "
        "were rejected by validation or called an operation the mock does not implement",
    )


def _tenant_name(item: pytest.Item) -> str:
    """A readable, unique tenant per test: ``test_sync-3f2a9c1d``."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", item.name).strip("-")[:40]
    return f"{slug}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def _mockserver_pool(pytestconfig: pytest.Config) -> Iterator[ServerPool]:
    from .testing.pool import ServerPool  # the one import of the server: see the docstring

    pool = ServerPool(pytestconfig)
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture(scope="session")
def mockserver(_mockserver_pool: ServerPool) -> MockServer | RemoteMockServer:
    """The run's mock server: started on first use (``--mockserver-url``: that server)."""
    return _mockserver_pool.default()


@pytest.fixture
def mock_api(request: pytest.FixtureRequest, _mockserver_pool: ServerPool) -> Iterator[MockTenant]:
    """A fresh tenant for this test, logged in: ``mock_api.url``, ``mock_api.database`` (log
    in with it), ``mock_api.headers``, ``requests()``, ``assert_requested()``,
    ``customers``, ``invoices``, ``add_customers()``, ``reset()``, ``delete()``."""
    item = request.node
    server = _mockserver_pool.for_test(item)
    tenant = server.tenant(_tenant_name(item))
    yield tenant
    try:
        allowed = item.get_closest_marker("mock_allow_errors") is not None
        report = "" if allowed else tenant.problems()
    finally:
        tenant.delete()  # frees the tenant: its data, sessions and journal entries
    if report:
        pytest.fail(report, pytrace=False)
