"""The pytest plugin, registered through the ``pytest11`` entry point: installing the package is
enough.

Fixtures: ``mockserver`` (session scope) is one server for the run, started on first use;
``mock_api`` (function scope) is a fresh tenant on it, logged in, whose journal view starts
with the test. At teardown ``mock_api`` drops its tenant and fails the test with a report
when the code under test sent a request that matched no route or that the API rejected
(400, 413, 415), unless the test is marked ``mock_allow_errors``.

Markers: ``mock_data(customers=, invoices=, seed=)`` and ``mock_scenario(NAME_OR_PATH)`` give
a test a server with that data or scenario (one per distinct choice, shared by the tests
that make it, each still in its own tenant).

Options: ``--mockserver-url URL`` runs against a server that already runs (tests that need
``mock_data`` or ``mock_scenario`` are skipped there: those need a server of their own);
``--mockserver-seed N``; ini ``mockserver_scenarios_dir`` (default ``scenarios``).
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    # Imported when a fixture first runs, so that pytest runs which never use the mock do
    # not pay for uvicorn and the app at start-up.
    from .testing import MockServer, MockTenant, RemoteMockServer

_DATA_KEYS = ("customers", "invoices", "seed")
_INVOICES_PER_CUSTOMER = 5  # as MockServer(customers=N) implies
_SCENARIO_SUFFIXES = (".yaml", ".yml", ".json")


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
        "mock_scenario(name): serve this test with a scenario: NAME.yaml in the scenarios "
        "folder, or a path relative to the test file",
    )
    config.addinivalue_line(
        "markers",
        "mock_allow_errors: do not fail the test when its requests matched no route or "
        "were rejected by validation",
    )


class ServerPool:
    """The servers of one test run: the default one and one per distinct ``mock_data`` /
    ``mock_scenario`` choice, each started on first use and stopped at the end."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.url: str | None = config.getoption("mockserver_url")
        seed = config.getoption("mockserver_seed")
        if seed is None:
            seed = int(os.environ.get("MOCKSERVER_SEED", "1"))
        self.seed: int = seed
        self._local: dict[tuple[Any, ...], MockServer] = {}
        self._remote: RemoteMockServer | None = None

    def default(self) -> MockServer | RemoteMockServer:
        if self.url is not None:
            if self._remote is None:
                from .testing import RemoteMockServer

                remote = RemoteMockServer(self.url)
                remote.wait_ready()
                self._remote = remote
            return self._remote
        return self._server(self.seed, None, None, None)

    def _server(
        self, seed: int, customers: int | None, invoices: int | None, scenario: Path | None
    ) -> MockServer:
        key = (seed, customers, invoices, scenario)
        server = self._local.get(key)
        if server is None:
            from .testing import MockServer

            server = MockServer(
                seed=seed,
                customers=customers,
                invoices=invoices,
                scenario=scenario,
            )
            server.start()
            self._local[key] = server
        return server

    def for_test(self, item: pytest.Item) -> MockServer | RemoteMockServer:
        """The server this test's markers ask for."""
        data = item.get_closest_marker("mock_data")
        scenario = item.get_closest_marker("mock_scenario")
        if data is None and scenario is None:
            return self.default()
        if self.url is not None:
            used = " and ".join(m.name for m in (data, scenario) if m is not None)
            pytest.skip(f"{used} needs a server the plugin starts; not with --mockserver-url")
        values = _data_values(data)
        customers = values.get("customers")
        invoices = values.get("invoices")
        if customers is not None and invoices is None:
            invoices = _INVOICES_PER_CUSTOMER * customers
        path = self._scenario_path(item, scenario) if scenario is not None else None
        return self._server(values.get("seed", self.seed), customers, invoices, path)

    def _scenario_path(self, item: pytest.Item, marker: pytest.Mark) -> Path:
        if len(marker.args) != 1 or not isinstance(marker.args[0], str | Path) or marker.kwargs:
            raise pytest.UsageError(
                f"{item.nodeid}: use @pytest.mark.mock_scenario('name') with one name or path"
            )
        name = str(marker.args[0])
        root = Path(str(self.config.rootpath))
        folder = root / str(self.config.getini("mockserver_scenarios_dir"))
        if "/" in name or "\\" in name or name.endswith(_SCENARIO_SUFFIXES):
            candidates = [Path(str(item.path)).parent / name, root / name, folder / name]
        else:
            candidates = [folder / (name + suffix) for suffix in _SCENARIO_SUFFIXES]
        for candidate in candidates:
            if candidate.is_file():
                return candidate.resolve()
        looked = ", ".join(str(c) for c in candidates)
        raise pytest.UsageError(f"{item.nodeid}: no scenario {name!r} (looked for {looked})")

    def close(self) -> None:
        servers, self._local = list(self._local.values()), {}
        for server in servers:
            server.stop()


def _data_values(marker: pytest.Mark | None) -> dict[str, int]:
    if marker is None:
        return {}
    unknown = sorted(set(marker.kwargs) - set(_DATA_KEYS))
    if marker.args or unknown:
        raise pytest.UsageError(
            "use @pytest.mark.mock_data(customers=N, invoices=N, seed=N) with keywords only"
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
        )
    values: dict[str, int] = {}
    for key, value in marker.kwargs.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise pytest.UsageError(f"mock_data({key}=...) must be a whole number >= 0")
        values[key] = value
    return values


def _tenant_name(item: pytest.Item) -> str:
    """A readable, unique tenant per test: ``test_sync-3f2a9c1d``."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "-", item.name).strip("-")[:40]
    return f"{slug}-{uuid.uuid4().hex[:8]}"


def _known_routes() -> list[str]:
    from .app import api_routes

    return [path for route in api_routes() if (path := getattr(route, "path", None))]


@pytest.fixture(scope="session")
def _mockserver_pool(pytestconfig: pytest.Config) -> Iterator[ServerPool]:
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
    ``customers``, ``invoices``, ``add_customers()``, ``reset()``."""
    item = request.node
    server = _mockserver_pool.for_test(item)
    name = _tenant_name(item)
    tenant = server.tenant(name)
    yield tenant
    try:
        allowed = item.get_closest_marker("mock_allow_errors") is not None
        report = "" if allowed else tenant.problems(_known_routes())
    finally:
        server.reset(name)  # frees the tenant's copy of the data
    if report:
        pytest.fail(report, pytrace=False)
