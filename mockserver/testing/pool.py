"""The servers of one pytest run, for the pytest plugin (``mockserver.pytest_plugin``): the
default one (local, or the ``--mockserver-url`` one) and one per distinct ``mock_data`` /
``mock_scenario`` choice.

It turns markers and options into ``MockServer`` / ``RemoteMockServer`` arguments, and their
failures into pytest outcomes (a usage error, or a failure that names the unreachable URL).
Scenario names are passed to the server untouched: it resolves them as every other way of
naming a scenario does.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from ..scenarios import ScenarioError
from .local import MockServer
from .remote import MockServerUnreachable, RemoteMockServer

_DATA_KEYS = ("customers", "invoices", "seed")
_SCENARIO_SUFFIXES = (".yaml", ".yml", ".json")


class ServerPool:
    """The servers of one test run: the default one and one per distinct ``mock_data`` /
    ``mock_scenario`` choice, each started on first use and stopped at the end."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.url: str | None = config.getoption("mockserver_url")
        # None: RemoteMockServer reads the server's own variable, MOCKSERVER_ADMIN_TOKEN
        self.admin_token: str | None = config.getoption("mockserver_admin_token")
        seed = config.getoption("mockserver_seed")
        if seed is None:
            seed = int(os.environ.get("MOCKSERVER_SEED", "1"))
        self.seed: int = seed
        self._local: dict[tuple[Any, ...], MockServer] = {}
        self._remote: RemoteMockServer | None = None
        self._unreachable: str | None = None  # why the remote server failed: fail fast after

    def default(self) -> MockServer | RemoteMockServer:
        if self.url is not None:
            return self._remote_server(self.url)
        return self._server(self.seed, None, None, None)

    def _remote_server(self, url: str) -> RemoteMockServer:
        if self._unreachable is not None:
            pytest.fail(self._unreachable, pytrace=False)
        if self._remote is None:
            remote = RemoteMockServer(url, admin_token=self.admin_token)
            try:
                remote.wait_ready()
            except (MockServerUnreachable, RuntimeError, TimeoutError) as error:
                self._unreachable = f"mockserver (--mockserver-url): {error}"
                pytest.fail(self._unreachable, pytrace=False)
            self._remote = remote
        return self._remote

    def _server(
        self, seed: int, customers: int | None, invoices: int | None, scenario: str | None
    ) -> MockServer:
        key = (seed, customers, invoices, scenario)
        server = self._local.get(key)
        if server is None:
            folder = Path(str(self.config.rootpath)) / str(
                self.config.getini("mockserver_scenarios_dir")
            )
            server = MockServer(
                seed=seed,
                customers=customers,
                invoices=invoices,
                scenario=scenario,
                scenarios_dir=folder,
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
        name = self._scenario(item, scenario) if scenario is not None else None
        seed = values.get("seed", self.seed)
        try:
            return self._server(seed, values.get("customers"), values.get("invoices"), name)
        except ScenarioError as error:
            raise pytest.UsageError(f"{item.nodeid}: " + "\n".join(error.problems)) from None

    def _scenario(self, item: pytest.Item, marker: pytest.Mark) -> str:
        """The marker's scenario as the loader takes it: a bare name as it is (the loader
        looks in the scenarios folder, then among the shipped scenarios); a path found
        beside the test file or under the rootdir as that file."""
        if len(marker.args) != 1 or not isinstance(marker.args[0], str | Path) or marker.kwargs:
            raise pytest.UsageError(
                f"{item.nodeid}: use @pytest.mark.mock_scenario('name') with one name or path"
            )
        name = str(marker.args[0])
        if "/" in name or "\\" in name or name.endswith(_SCENARIO_SUFFIXES):
            root = Path(str(self.config.rootpath))
            for candidate in (Path(str(item.path)).parent / name, root / name):
                if candidate.is_file():
                    return str(candidate.resolve())
        return name

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
