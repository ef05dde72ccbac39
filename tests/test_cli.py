"""``mockserver serve``: every flag and its ``MOCKSERVER_*`` variable (a flag beats its
variable), one clear line and a documented exit status for each failure (2 a bad value, 1 an
invalid scenario, 3 a port in use), ``--version`` and ``--help``, the README's options table
and exit codes, and ``python -m mockserver`` and the ``mockserver`` script serving for real."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from wheelhouse import wait_for_url

import mockserver
from mockserver import cli
from mockserver import settings as settings_module
from mockserver.settings import OPTIONS, Settings, SettingsError, defaults, shown_state


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[Settings]:
    """``cli.main`` runs for real up to the point of serving; the settings it would serve
    with are collected instead. No ``MOCKSERVER_*`` variable of the caller leaks in."""
    for name in list(os.environ):
        if name.startswith("MOCKSERVER_"):
            monkeypatch.delenv(name)
    collected: list[Settings] = []
    monkeypatch.setattr(cli, "serve", collected.append)
    return collected


CORE = {
    "host": "127.0.0.1",
    "port": 8080,
    "seed": 1,
    "customers": 200,
    "invoices": 1000,
    "base_path": "",
    "auth": "optional",
    "log_level": "info",
}


def _core(settings: Settings) -> dict[str, Any]:
    return {name: getattr(settings, name) for name in CORE}


def test_defaults(served: list[Settings]) -> None:
    assert cli.main(["serve"]) == 0
    assert _core(served[0]) == CORE


FLAG_CASES: list[tuple[str, str, str, Any]] = [
    ("--host", "0.0.0.0", "host", "0.0.0.0"),
    ("--port", "9000", "port", 9000),
    ("--port", "0", "port", 0),
    ("--seed", "42", "seed", 42),
    ("--seed", "-7", "seed", -7),
    ("--customers", "5", "customers", 5),
    ("--customers", "0", "customers", 0),
    ("--invoices", "12", "invoices", 12),
    ("--base-path", "/Lemonsoft30", "base_path", "/Lemonsoft30"),
    ("--base-path", "Lemonsoft30/", "base_path", "/Lemonsoft30"),
    ("--base-path", "/", "base_path", ""),
    ("--auth", "off", "auth", "off"),
    ("--auth", "REQUIRED", "auth", "required"),
    ("--log-level", "warning", "log_level", "warning"),
    ("--log-level", "Debug", "log_level", "debug"),
]


@pytest.mark.parametrize(("flag", "value", "name", "expected"), FLAG_CASES)
def test_each_flag(served: list[Settings], flag: str, value: str, name: str, expected: Any) -> None:
    assert cli.main(["serve", flag, value]) == 0
    assert _core(served[0]) == CORE | {name: expected}
    assert cli.main(["serve", f"{flag}={value}"]) == 0
    assert _core(served[1]) == CORE | {name: expected}


@pytest.mark.parametrize(("flag", "value", "name", "expected"), FLAG_CASES)
def test_each_environment_variable(
    served: list[Settings],
    monkeypatch: pytest.MonkeyPatch,
    flag: str,
    value: str,
    name: str,
    expected: Any,
) -> None:
    monkeypatch.setenv("MOCKSERVER_" + name.upper(), value)
    assert cli.main(["serve"]) == 0
    assert _core(served[0]) == CORE | {name: expected}


def test_a_flag_beats_its_variable(served: list[Settings], monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in (("PORT", "1"), ("SEED", "2"), ("CUSTOMERS", "3"), ("AUTH", "off"),
                        ("BASE_PATH", "/env"), ("LOG_LEVEL", "error"), ("HOST", "10.0.0.1"),
                        ("INVOICES", "4")):  # fmt: skip
        monkeypatch.setenv("MOCKSERVER_" + name, value)
    argv = ["serve", "--port", "9001", "--seed", "9", "--auth", "required",
            "--base-path", "/flag", "--host", "127.0.0.1"]  # fmt: skip
    assert cli.main(argv) == 0
    assert _core(served[0]) == CORE | {
        "port": 9001,
        "seed": 9,
        "auth": "required",
        "base_path": "/flag",
        "customers": 3,  # no flag: the variable
        "invoices": 4,
        "log_level": "error",
    }


def test_an_invalid_variable_is_not_read_when_its_flag_is_given(
    served: list[Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOCKSERVER_PORT", "not a port")
    assert cli.main(["serve", "--port", "9002"]) == 0
    assert served[0].port == 9002


INVALID_CASES: list[tuple[list[str], dict[str, str], str]] = [
    (["--port", "abc"], {}, "--port: 'abc' must be a whole number"),
    (["--port", "70000"], {}, "--port: '70000' must be between 0 and 65535"),
    (["--port", "-1"], {}, "--port: '-1' must not be negative"),
    (["--port", ""], {}, "--port: '' must be a whole number"),
    (["--seed", "1.5"], {}, "--seed: '1.5' must be a whole number"),
    (["--customers", "-5"], {}, "--customers: '-5' must not be negative"),
    (["--invoices", "many"], {}, "--invoices: 'many' must be a whole number"),
    (["--auth", "sometimes"], {}, "--auth: 'sometimes' must be one of off, optional, required"),
    (["--log-level", "loud"], {},
     "--log-level: 'loud' must be one of critical, error, warning, info, debug, trace"),
    (["--base-path", "/a b"], {}, "--base-path: '/a b' must be a URL path such as /Lemonsoft30"),
    (["--base-path", "/x?y"], {}, "--base-path: '/x?y' must be a URL path such as /Lemonsoft30"),
    ([], {"MOCKSERVER_PORT": "http"}, "MOCKSERVER_PORT: 'http' must be a whole number"),
    ([], {"MOCKSERVER_AUTH": "yes"},
     "MOCKSERVER_AUTH: 'yes' must be one of off, optional, required"),
    ([], {"MOCKSERVER_CUSTOMERS": "-1"}, "MOCKSERVER_CUSTOMERS: '-1' must not be negative"),
]  # fmt: skip


# --- the fleet's options: --state, --state-prefix, --workers, --fleet-log -------------------------

FLEET_CASES: list[tuple[str, str, str, Any]] = [
    ("--state", "memory", "state", "memory"),
    ("--state", " Memory ", "state", "memory"),
    ("--state", "redis://127.0.0.1:6379/0", "state", "redis://127.0.0.1:6379/0"),
    ("--state", "redis://redis.internal", "state", "redis://redis.internal"),
    ("--state", "redis://:pw@redis:6380/2", "state", "redis://:pw@redis:6380/2"),
    ("--state", "redis://fleet:pw@redis/0", "state", "redis://fleet:pw@redis/0"),
    ("--state", "rediss://:pw@cache.example.fi:6380/1", "state",
     "rediss://:pw@cache.example.fi:6380/1"),
    ("--state", "redis://[::1]:6379/0", "state", "redis://[::1]:6379/0"),
    ("--state", "unix:///run/redis/redis.sock?db=3", "state", "unix:///run/redis/redis.sock?db=3"),
    ("--state", "unix:///run/redis.sock", "state", "unix:///run/redis.sock"),
    ("--state-prefix", "team-a:ci_1.0", "state_prefix", "team-a:ci_1.0"),
    ("--state-prefix", "x" * 64, "state_prefix", "x" * 64),
    ("--workers", "1", "workers", 1),
    ("--workers", "4", "workers", 4),
    ("--fleet-log", "1", "fleet_log", 1),
    ("--fleet-log", "5000000", "fleet_log", 5_000_000),
]  # fmt: skip


def test_the_fleet_options_default_to_one_process_on_memory(served: list[Settings]) -> None:
    assert cli.main(["serve"]) == 0
    (settings,) = served
    assert (settings.state, settings.state_prefix, settings.workers, settings.fleet_log) == (
        "memory", "mockserver", 1, 1_000_000,
    )  # fmt: skip


@pytest.mark.parametrize(("flag", "value", "name", "expected"), FLEET_CASES)
def test_each_fleet_flag_and_variable(
    served: list[Settings],
    monkeypatch: pytest.MonkeyPatch,
    flag: str,
    value: str,
    name: str,
    expected: Any,
) -> None:
    assert cli.main(["serve", flag, value]) == 0
    monkeypatch.setenv("MOCKSERVER_" + name.upper(), value)
    assert cli.main(["serve"]) == 0
    assert [getattr(settings, name) for settings in served] == [expected, expected]


STATE_FORMS = (
    "must be memory or a Redis URL: redis://[:PASSWORD@]HOST:PORT/DB, "
    "rediss://[:PASSWORD@]HOST:PORT/DB or unix:///PATH/TO/redis.sock?db=N"
)

FLEET_INVALID_CASES: list[tuple[list[str], dict[str, str], str]] = [
    (["--state", "redis"], {}, f"--state: 'redis' {STATE_FORMS}"),
    (["--state", ""], {}, f"--state: '' {STATE_FORMS}"),
    (["--state", "http://h:6379/0"], {}, f"--state: 'http://h:6379/0' {STATE_FORMS}"),
    (["--state", "redis:///0"], {}, f"--state: 'redis:///0' {STATE_FORMS}"),
    (["--state", "redis://h:port/0"], {}, f"--state: 'redis://h:port/0' {STATE_FORMS}"),
    (["--state", "redis://h:70000/0"], {}, f"--state: 'redis://h:70000/0' {STATE_FORMS}"),
    (["--state", "redis://h/db1"], {}, f"--state: 'redis://h/db1' {STATE_FORMS}"),
    (["--state", "unix://h/x.sock"], {}, f"--state: 'unix://h/x.sock' {STATE_FORMS}"),
    (["--state", "unix:///x.sock?db=a"], {}, f"--state: 'unix:///x.sock?db=a' {STATE_FORMS}"),
    # a password in a bad URL is hidden in the error too
    (["--state", "redis://:hunter2@h:x/0"], {}, f"--state: 'redis://:***@h:x/0' {STATE_FORMS}"),
    ([], {"MOCKSERVER_STATE": "mongodb://u:hunter2@h/0"},
     f"MOCKSERVER_STATE: 'mongodb://u:***@h/0' {STATE_FORMS}"),
    (["--state-prefix", ""], {},
     "--state-prefix: '' must be 1 to 64 letters, digits, '-', '_', '.' or ':'"),
    (["--state-prefix", "a b"], {},
     "--state-prefix: 'a b' must be 1 to 64 letters, digits, '-', '_', '.' or ':'"),
    (["--state-prefix", "x" * 65], {},
     f"--state-prefix: '{'x' * 65}' must be 1 to 64 letters, digits, '-', '_', '.' or ':'"),
    (["--state-prefix", "ä"], {},
     "--state-prefix: 'ä' must be 1 to 64 letters, digits, '-', '_', '.' or ':'"),
    (["--workers", "0"], {}, "--workers: '0' must be between 1 and 1024"),
    (["--workers", "1025"], {}, "--workers: '1025' must be between 1 and 1024"),
    (["--workers", "two"], {}, "--workers: 'two' must be a whole number"),
    ([], {"MOCKSERVER_WORKERS": "-1"}, "MOCKSERVER_WORKERS: '-1' must not be negative"),
    (["--fleet-log", "0"], {}, "--fleet-log: '0' must be 1 or more"),
    (["--fleet-log", "1e6"], {}, "--fleet-log: '1e6' must be a whole number"),
]  # fmt: skip


@pytest.mark.parametrize(("argv", "env", "message"), INVALID_CASES + FLEET_INVALID_CASES)
def test_an_invalid_value_exits_2_with_one_line(
    served: list[Settings],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    env: dict[str, str],
    message: str,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert cli.main(["serve", *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"mockserver: error: {message}\n"
    assert "hunter2" not in captured.err  # a secret's bad value is never shown
    assert served == []


@pytest.fixture
def unserved(monkeypatch: pytest.MonkeyPatch) -> None:
    """``cli.serve`` runs for real, but must stop before it binds: binding fails the test."""
    for name in list(os.environ):
        if name.startswith("MOCKSERVER_"):
            monkeypatch.delenv(name)

    def listen(host: str, port: int) -> socket.socket:
        raise AssertionError("serve got as far as binding the port")

    monkeypatch.setattr(cli, "listen", listen)
    # A fleet's join (checked before the bind) answers at once: no Redis is asked here.
    monkeypatch.setattr("mockserver.fleet.join_fleet", lambda settings, startup: "epoch")


WORKERS_ON_MEMORY = (
    "mockserver: error: --workers {n} needs shared state: with --state memory each worker would "
    "hold its own data, sessions and journal; add --state redis://HOST:PORT/DB\n"
)


@pytest.mark.usefixtures("unserved")
@pytest.mark.parametrize(
    ("argv", "env", "n"),
    [
        (["--workers", "3"], {}, 3),
        (["--workers", "2", "--state", "memory"], {}, 2),
        ([], {"MOCKSERVER_WORKERS": "4"}, 4),
        (["--workers", "2"], {"MOCKSERVER_STATE": "redis://h:6379/0"}, None),  # the flag wins
    ],
)
def test_more_than_one_worker_on_memory_exits_2_before_anything_starts(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    env: dict[str, str],
    n: int | None,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    if n is None:  # --state from the variable: a fleet; serve goes on (to the guard's bind)
        with pytest.raises(AssertionError, match="binding the port"):
            cli.main(["serve", *argv])
        return
    assert cli.main(["serve", *argv]) == cli.EXIT_BAD_FLAG == 2
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", WORKERS_ON_MEMORY.format(n=n))


def test_settings_check_is_where_the_fleet_options_are_checked_together() -> None:
    Settings().check()
    Settings(workers=1, state="memory").check()
    Settings(workers=8, state="redis://h:6379/0").check()
    with pytest.raises(SettingsError) as error:
        Settings(workers=2).check()
    assert f"mockserver: error: {error.value}\n" == WORKERS_ON_MEMORY.format(n=2)


@pytest.mark.usefixtures("unserved")
def test_redis_state_without_the_redis_extra_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(settings_module, "_has_redis", lambda: False)
    assert cli.main(["serve", "--state", "redis://:hunter2@h:6379/0"]) == 2
    assert capsys.readouterr().err == (
        "mockserver: error: --state redis://:***@h:6379/0 needs the Redis client, the redis "
        "extra: pip install 'lemonsoft-mock[redis]'\n"
    )
    with pytest.raises(AssertionError, match="binding the port"):  # memory never needs it
        cli.main(["serve"])


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("memory", "memory"),
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("redis://:hunter2@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"),
        ("redis://fleet:hunter2@h/0", "redis://fleet:***@h/0"),
        ("redis://hunter2@h/0", "redis://***@h/0"),  # a password written as the user
        ("rediss://:hun@ter2@h:6380/1", "rediss://:***@h:6380/1"),  # an @ in it
        ("redis://:hun?ter2@h/0", "redis://:***@h/0"),  # a ? in it
        ("redis://:hun/ter2@h/0", "redis://:***@h/0"),  # a / in it
        ("unix:///run/redis.sock?db=1&password=hunter2", "unix:///run/redis.sock?db=1&password=***"),
        ("unix://:hunter2@/run/redis.sock?db=1", "unix://:***@/run/redis.sock?db=1"),
        ("not a url at all", "not a url at all"),
    ],
)  # fmt: skip
def test_shown_state_hides_the_password(url: str, shown: str) -> None:
    assert shown_state(url) == shown
    assert "hunter2" not in shown_state(url)


def test_help_and_reprs_never_show_a_state_password() -> None:
    env = {"MOCKSERVER_STATE": "redis://:hunter2@h:6379/0", "MOCKSERVER_WORKERS": "3"}
    result = _run(sys.executable, "-m", "mockserver", "serve", "--help", env=env)
    assert result.returncode == 0
    assert "hunter2" not in result.stdout + result.stderr
    text = " ".join(result.stdout.split())
    assert "(default: memory; env MOCKSERVER_STATE)" in text
    assert "a password in it is never shown" in text
    assert "hunter2" not in repr(Settings(state="redis://:hunter2@h/0"))


def test_two_workers_on_memory_is_a_one_line_exit_2_for_real() -> None:
    result = _run(sys.executable, "-m", "mockserver", "serve", "--workers", "2", "--state",
                  "memory", "--port", "0")  # fmt: skip
    assert result.returncode == 2
    assert result.stderr == WORKERS_ON_MEMORY.format(n=2)
    assert result.stdout == ""


# --- real processes -----------------------------------------------------------------------------


def _run(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("MOCKSERVER_")}
    return subprocess.run(
        argv, env=child_env | (env or {}), capture_output=True, text=True, timeout=30
    )


def test_python_dash_m_rejects_an_invalid_value_in_one_line() -> None:
    result = _run(sys.executable, "-m", "mockserver", "serve", "--port", "abc")
    assert result.returncode == 2
    assert result.stderr == "mockserver: error: --port: 'abc' must be a whole number\n"
    assert result.stdout == ""


def test_the_console_script_rejects_an_invalid_variable_in_one_line() -> None:
    script = Path(sys.executable).with_name("mockserver")
    result = _run(str(script), "serve", env={"MOCKSERVER_SEED": "x"})
    assert result.returncode == 2
    assert result.stderr == "mockserver: error: MOCKSERVER_SEED: 'x' must be a whole number\n"


def test_help_lists_every_flag_with_its_variable() -> None:
    result = _run(sys.executable, "-m", "mockserver", "serve", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for name in CORE:
        flag, variable = "--" + name.replace("_", "-"), "MOCKSERVER_" + name.upper()
        assert flag in text and variable in text


def test_an_unknown_flag_exits_2() -> None:
    result = _run(sys.executable, "-m", "mockserver", "serve", "--colour", "red")
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1].endswith("unrecognized arguments: --colour red")
    assert "Traceback" not in result.stderr


def test_python_dash_m_serves_with_every_flag(start_server: Any) -> None:
    server = start_server(
        "--host", "127.0.0.2", "--seed", "5", "--customers", "7", "--invoices", "3",
        "--base-path", "/Lemonsoft30", "--auth", "required", "--log-level", "info",
        host="127.0.0.2",
    )  # fmt: skip
    with httpx.Client(base_url=server.base_url, timeout=5.0) as http:
        health = http.get("/health").json()
        assert health == {"status": "ok", "seed": 5, "customers": 7, "invoices": 3}
        assert http.get("/Lemonsoft30/health").status_code == 200
        assert http.get("/api/customers").status_code == 404
        assert http.get("/Lemonsoft30/api/customers").status_code == 401
        login = {"UserName": "u", "Password": "p", "Database": "d", "ApiKey": "k"}
        session = http.post("/Lemonsoft30/api/auth/login", json=login).json()["session_id"]
        listed = http.get("/Lemonsoft30/api/customers", headers={"Session-Id": session})
        assert listed.status_code == 200
        assert listed.headers["x-total-count"] == "7"
        assert listed.headers["content-type"] == "application/json; charset=utf-8"
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{server.port}/health", timeout=1.0)
    log = server.log.read_text()
    assert "7 customers, 3 invoices (seed 5)" in log
    assert '"GET /Lemonsoft30/api/customers HTTP/1.1" 200' in log  # info: access log


def test_variables_configure_a_real_server_and_flags_beat_them(
    start_server: Any, pick_port: Any
) -> None:
    env_port, flag_port = pick_port(), pick_port()
    server = start_server(
        "--port", str(flag_port), "--customers", "4",
        env={"MOCKSERVER_PORT": str(env_port), "MOCKSERVER_CUSTOMERS": "9",
             "MOCKSERVER_INVOICES": "2", "MOCKSERVER_SEED": "3", "MOCKSERVER_AUTH": "off",
             "MOCKSERVER_LOG_LEVEL": "warning"},
        port=flag_port,
    )  # fmt: skip
    health = httpx.get(server.base_url + "/health", timeout=5.0).json()
    assert health == {"status": "ok", "seed": 3, "customers": 4, "invoices": 2}
    unknown_session = {"Session-Id": "nope"}  # auth off: ignored
    customers = httpx.get(server.base_url + "/api/customers", headers=unknown_session)
    assert customers.status_code == 200
    assert customers.json()["result_count"] == 4
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{env_port}/health", timeout=1.0)
    assert "/api/customers" not in server.log.read_text()  # warning: no access log


def test_one_seed_serves_byte_identical_lists_in_two_processes(start_server: Any) -> None:
    args = ("--seed", "11", "--customers", "30", "--invoices", "20", "--log-level", "warning")
    first, second = start_server(*args), start_server(*args)
    for path in ("/api/customers?page_size=30", "/api/invoices?page_size=20",
                 "/api/customers/base?page_size=30"):  # fmt: skip
        one = httpx.get(first.base_url + path, timeout=5.0)
        other = httpx.get(second.base_url + path, timeout=5.0)
        assert one.status_code == 200
        assert one.content == other.content


# --- version, help, exit codes ------------------------------------------------------------------


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"mockserver {mockserver.__version__}\n"


def test_serve_help_describes_the_command_with_honest_defaults(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MOCKSERVER_ADMIN_TOKEN", "s3cret-token")
    with pytest.raises(SystemExit) as exited:
        cli.main(["serve", "--help"])
    assert exited.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "Serve the mock API" in text
    assert "(default: ())" not in text and "(default: '')" not in text
    assert "(default: none; env MOCKSERVER_SCENARIO)" in text
    assert "(default: none; env MOCKSERVER_BASE_PATH)" in text
    assert "s3cret-token" not in text
    default = defaults()
    for option in OPTIONS:
        value = default[option.name]
        shown = "none; never shown" if option.secret and not value else str(value or "none")
        assert f"(default: {shown}; env {option.env})" in text, option.name
    for code in range(4):
        assert f" {code} " in text.partition("exit status:")[2]


def test_a_port_in_use_exits_3_in_one_line() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _run(sys.executable, "-m", "mockserver", "serve", "--port", str(port))
    assert result.returncode == 3
    assert result.stderr == (
        f"mockserver: error: cannot listen on 127.0.0.1:{port}: the port is already in use\n"
    )
    assert result.stdout == ""


def test_an_invalid_scenario_exits_1_before_listening(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("rules: [{eror: 503}]\n")
    result = _run(sys.executable, "-m", "mockserver", "serve", "--scenario", str(broken))
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "mockserver: error: the scenario is invalid; nothing served"
    )
    assert "Traceback" not in result.stderr


def test_port_0_serves_on_the_port_the_start_up_line_names(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOCKSERVER_")}
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "mockserver", "serve", "--port", "0", "--customers", "3",
             "--log-level", "warning"],
            env=env, cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        url = wait_for_url(process, log)
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url) and not url.endswith(":0")
        assert httpx.get(url + "/health", timeout=5).json()["customers"] == 3
    finally:
        process.terminate()
        assert process.wait(30) == 0


README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_the_readme_table_lists_every_option_with_its_variable_and_default() -> None:
    rows = {
        cells[0].strip("`"): cells
        for line in README.splitlines()
        if line.startswith("| `--")
        for cells in [[cell.strip() for cell in line.strip("|").split("|")]]
    }
    default = defaults()
    assert set(rows) == {option.flag for option in OPTIONS}
    for option in OPTIONS:
        _, variable, shown, _ = rows[option.flag]
        assert variable == f"`{option.env}`"
        value = default[option.name]
        assert shown == ("(none)" if value in ((), "") else f"`{value}`"), option.name


def test_the_readme_documents_every_exit_status() -> None:
    documented = README.partition("**Exit status**")[2].partition("\n\n")[0]
    for code, meaning in ((0, "stopped cleanly"), (1, "a scenario is invalid"),
                          (2, "a bad flag"), (3, "the server cannot listen")):  # fmt: skip
        assert f"`{code}` {meaning}" in " ".join(documented.split())
