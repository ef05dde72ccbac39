"""The pytest plugin, run on test files of its own with ``pytester``: the ``mockserver`` and
``mock_api`` fixtures, the markers, the teardown report of unrouted and rejected requests
and the tenant deleted at teardown, and ``--mockserver-url`` (with its admin token, and a dead
URL that fails at once) / ``--mockserver-seed``."""

from __future__ import annotations

import socket
import subprocess
import sys

import httpx
import httpx2
import pytest

from mockserver.settings import Settings
from mockserver.testing import MockServer

pytest_plugins = ["pytester"]


@pytest.fixture(scope="module", autouse=True)
def _imported_before_pytester() -> None:
    """pytester removes the modules first imported during a test when the test ends. Import
    (and use) now what the inner runs use, so that no later test gets second copies of them
    (httpx2 maps only the exception classes of the httpcore2 it met first)."""
    import hypothesis  # noqa: F401

    import mockserver.strategies  # noqa: F401

    with MockServer(customers=1) as api:
        httpx.get(api.url + "/health")
        httpx2.get(api.url + "/health")


BASICS = """
import httpx2

servers = []


def test_writes(mock_api, mockserver):
    servers.append(mockserver)
    answer = httpx2.post(mock_api.url + "/api/customers", headers=mock_api.headers,
                         json={"name": "Oy Uusi", "email": "u@u.fi"})
    assert answer.status_code == 200
    assert len(mock_api.customers) == 201
    mock_api.assert_requested("POST", "/api/customers", json={"name": "Oy Uusi"}, times=1)


def test_sees_none_of_the_other_tests_writes(mock_api, mockserver):
    servers.append(mockserver)
    assert servers[0] is servers[1]
    assert len(mock_api.customers) == 200
    assert mock_api.requests().count == 0
    answer = httpx2.get(mock_api.url + "/api/auth/alive", headers=mock_api.headers)
    assert answer.status_code == 200


def test_logs_in_by_itself(mock_api):
    login = httpx2.post(mock_api.url + "/api/auth/login", json=mock_api.credentials)
    headers = {"Session-Id": login.json()["session_id"]}
    httpx2.post(mock_api.url + "/api/customers", headers=headers,
                json={"name": "Oy Oma", "email": "o@o.fi"})
    assert [c.name for c in mock_api.customers][-1] == "Oy Oma"
    assert [e.route for e in mock_api.requests()] == ["/api/auth/login", "/api/customers"]
"""

MISTAKES = """
import httpx2
import pytest


def test_wrong_url(mock_api):
    httpx2.get(mock_api.url + "/api/customer", headers=mock_api.headers)


def test_rejected_body(mock_api):
    httpx2.post(mock_api.url + "/api/customers", headers=mock_api.headers,
                json={"name": "Oy A"})


@pytest.mark.mock_allow_errors
def test_allowed(mock_api):
    httpx2.get(mock_api.url + "/api/customer", headers=mock_api.headers)


def test_a_missing_record_is_no_mistake(mock_api):
    answer = httpx2.get(mock_api.url + "/api/customers/9999", headers=mock_api.headers)
    assert answer.status_code == 404
"""


def test_mock_api_gives_each_test_a_fresh_logged_in_tenant(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_basics=BASICS)
    result = pytester.runpytest("--strict-markers", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_unrouted_and_rejected_requests_fail_the_test_at_teardown(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_mistakes=MISTAKES)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_wrong_url*",
            "mockserver: the code under test sent 1 request that the API would reject (mark "
            "the test with @pytest.mark.mock_allow_errors if that is intended):",
            "  #* GET /api/customer -> 404 (tenant 'test_wrong_url-*', *ms)",
            "      no route matches this method and path (did you mean /api/customers?)",
            "*ERROR at teardown of test_rejected_body*",
            "  #* POST /api/customers -> 400 (tenant 'test_rejected_body-*', *ms)",
            '      answer: {"Message":"The request is invalid.","ModelState":'
            '{"customer.email":["The email field is required."]}}',
            '      sent: {"name":"Oy A"}',
        ]
    )
    assert "test_allowed" not in result.stdout.str()


def test_markers_give_a_server_with_that_data_or_scenario(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".yaml",
        **{
            "scenarios/down": "rules:\n"
            "  - name: down\n"
            "    match: {path: /api/invoices}\n"
            "    error: 503\n"
        },
    )
    pytester.makepyfile(
        test_markers="""
        import httpx2
        import pytest

        servers = {}


        @pytest.mark.mock_data(customers=5, seed=9)
        def test_small(mock_api):
            servers["small"] = mock_api.server
            assert (len(mock_api.customers), len(mock_api.invoices)) == (5, 25)
            assert mock_api.server.settings.seed == 9


        @pytest.mark.mock_data(customers=5, seed=9)
        def test_same_choice_same_server(mock_api):
            assert mock_api.server is servers["small"]


        @pytest.mark.mock_data(customers=2, invoices=3)
        def test_invoices_given(mock_api):
            assert (len(mock_api.customers), len(mock_api.invoices)) == (2, 3)


        @pytest.mark.mock_scenario("down")
        def test_named_scenario(mock_api):
            answer = httpx2.get(mock_api.url + "/api/invoices", headers=mock_api.headers)
            assert answer.status_code == 503
            assert mock_api.requests(rule="down").count == 1


        @pytest.mark.mock_scenario("scenarios/down.yaml")
        def test_scenario_path(mock_api):
            answer = httpx2.get(mock_api.url + "/api/invoices", headers=mock_api.headers)
            assert answer.status_code == 503


        @pytest.mark.mock_scenario("flaky-5xx")
        def test_shipped_scenario(mock_api):
            statuses = [
                httpx2.get(mock_api.url + "/api/customers", headers=mock_api.headers).status_code
                for _ in range(3)
            ]
            assert statuses == [503, 503, 200]


        def test_default(mock_api):
            assert len(mock_api.customers) == 200
            answer = httpx2.get(mock_api.url + "/api/invoices", headers=mock_api.headers)
            assert answer.status_code == 200


        @pytest.mark.mock_scenario("missing")
        def test_missing_scenario(mock_api):
            pass


        @pytest.mark.mock_data(customers="many")
        def test_bad_data(mock_api):
            pass
        """
    )
    result = pytester.runpytest("--strict-markers", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=7, errors=2)
    result.stdout.fnmatch_lines(
        [
            "*test_missing_scenario: There is no scenario named 'missing' (in */scenarios or "
            "among the shipped ones)*The scenarios are: down, acme-overlay, *",
            "*mock_data(customers=...) must be a whole number >= 0*",
        ]
    )


def test_mockserver_seed_sets_the_seed(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_seed="""
        import httpx2

        def test_seed(mockserver):
            assert httpx2.get(mockserver.url + "/health").json()["seed"] == 7
        """
    )
    result = pytester.runpytest("--mockserver-seed", "7", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_the_same_tests_run_against_a_running_server(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_basics=BASICS, test_mistakes=MISTAKES)
    pytester.makepyfile(
        test_remote="""
        import pytest

        from mockserver.testing import RemoteMockServer


        def test_is_remote(mockserver):
            assert isinstance(mockserver, RemoteMockServer)


        @pytest.mark.mock_data(customers=5)
        def test_needs_its_own_server(mock_api):
            pass
        """
    )
    with MockServer(customers=200) as api:
        result = pytester.runpytest(
            "--mockserver-url", api.url, "-p", "no:cacheprovider", "-rs", "--durations=5"
        )
        tenants = sorted(api.state.store.tenants)
        leftover = api.requests().count
    result.assert_outcomes(passed=8, errors=2, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_wrong_url*",
            "      no route matches this method and path (did you mean /api/customers?)",
            "*SKIPPED*mock_data needs a server the plugin starts; not with --mockserver-url*",
        ]
    )
    assert tenants in ([], ["default"])  # every test's tenant was dropped at its teardown
    assert leftover == 0


def _dead_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def test_a_dead_url_fails_every_test_at_once_naming_the_url(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_dead="""
        def test_one(mock_api):
            pass


        def test_two(mockserver):
            pass


        def test_without_the_mock():
            pass
        """
    )
    url = _dead_url()
    result = pytester.runpytest("--mockserver-url", url, "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=2)
    expected = (
        f"mockserver (--mockserver-url): cannot reach mock server at {url}: connection refused"
    )
    # Each test that used the mock errors with it; the one that did not passed (above). The
    # short summary may repeat the message (it does when CI is set), so count the reports.
    reports = [line for line in result.stdout.lines if line.strip() == expected]
    assert len(reports) == 2, result.stdout.str()
    result.stdout.fnmatch_lines(["*ERROR*test_one*", "*ERROR*test_two*"])
    assert "not healthy" not in result.stdout.str()
    assert "still loading" not in result.stdout.str()


TOKEN_TESTS = """
def test_reads_its_journal(mock_api):
    import httpx2

    httpx2.get(mock_api.url + "/api/customers", headers=mock_api.headers)
    assert mock_api.requests().count == 1
"""


@pytest.mark.parametrize("how", ["option", "environment"])
def test_the_admin_token_reaches_a_running_server(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    pytester.makepyfile(test_token=TOKEN_TESTS)
    with MockServer(customers=5, admin_token="t0k-plugin") as api:
        args = ["--mockserver-url", api.url, "-p", "no:cacheprovider"]
        if how == "option":
            args += ["--mockserver-admin-token", "t0k-plugin"]
        else:
            monkeypatch.setenv("MOCKSERVER_ADMIN_TOKEN", "t0k-plugin")
        result = pytester.runpytest(*args)
        tenants = sorted(api.state.store.tenants)
    result.assert_outcomes(passed=1)
    assert tenants == []


def test_without_the_admin_token_a_guarded_server_says_how_to_give_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MOCKSERVER_ADMIN_TOKEN", raising=False)
    pytester.makepyfile(test_token=TOKEN_TESTS)
    with MockServer(customers=5, admin_token="t0k-plugin") as api:
        url = api.url
        result = pytester.runpytest("--mockserver-url", url, "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            f"*GET {url}/_mock/requests answered 401: *(give the server's admin token: "
            "RemoteMockServer(url, admin_token=...), --mockserver-admin-token or "
            "MOCKSERVER_ADMIN_TOKEN)*"
        ]
    )


def test_each_tests_tenant_is_deleted_so_a_long_run_never_meets_max_tenants(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_many="""
        import httpx2
        import pytest


        @pytest.mark.parametrize("n", range(12))
        def test_writes(mock_api, n):
            answer = httpx2.post(mock_api.url + "/api/customers", headers=mock_api.headers,
                                 json={"name": f"Oy {n}", "email": "a@a.fi"})
            assert answer.status_code == 200
        """
    )
    settings = Settings(log_level="warning", max_tenants=2)
    with MockServer(customers=5, settings=settings) as api:
        result = pytester.runpytest("--mockserver-url", api.url, "-p", "no:cacheprovider")
        tenants = sorted(api.state.store.tenants)
        held = [name for name in ("default",) if api.state.sessions.holds(name)]
    result.assert_outcomes(passed=12)
    assert (tenants, held) == ([], [])


def test_loading_the_plugin_imports_no_server() -> None:
    """pytest loads the plugin in every run of a project that installed the package."""
    code = (
        "import sys\n"
        "import mockserver.pytest_plugin\n"
        "loaded = [m for m in ('uvicorn', 'starlette.routing', 'mockserver.testing') "
        "if m in sys.modules]\n"
        "print(loaded)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout == "[]\n"
