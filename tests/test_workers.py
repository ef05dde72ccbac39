"""``mockserver serve --workers N``: a supervisor that binds the port once and forks N worker
processes serving it. Every request on a fresh connection is answered, whichever worker takes
it; SIGTERM stops every worker and exits 0, leaving no process behind; a killed worker is
started again and the server keeps answering; a worker that keeps stopping as soon as it starts
stops the fleet with exit status 1 and one line; a SIGKILLed supervisor takes its workers with
it. ``serving.supervise`` is tested on its own too, in a small script, without a server."""

from __future__ import annotations

import importlib
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from redis_server import RedisServer

from mockserver import cli, serving
from mockserver.settings import Settings

WAIT_S = 60.0  # hang guards, not budgets


def _children(pid: int) -> set[int]:
    """The live child processes of ``pid`` (Linux's /proc; every thread's children)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.update(int(word) for word in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def _alive(pid: int) -> bool:
    """Running (a zombie, dead but not reaped by whoever adopted it, is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def _wait_for(condition: Callable[[], bool], what: str, log: Path) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"never {what}: {log.read_text()}")


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    """Processes a test starts; each killed at teardown, with every child it left."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        children = _children(process.pid)
        if process.poll() is None:
            process.kill()
        process.wait()
        for child in children:
            if _alive(child):
                os.kill(child, signal.SIGKILL)


def _popen(
    argv: list[str], log: Path, cwd: Path, started: list[subprocess.Popen[str]]
) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOCKSERVER_")}
    with log.open("w") as out:
        process = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT, text=True)  # fmt: skip
    started.append(process)
    return process


# --- serving.supervise, in a script -----------------------------------------------------------

SCRIPT = """
import os, sys, time
from pathlib import Path
from mockserver.serving import WorkersFailed, supervise

folder, mode = Path(sys.argv[1]), sys.argv[2]

def work(number: int) -> None:
    (folder / f"{number}-{os.getpid()}").touch()
    if mode == "die":
        sys.exit(3)
    time.sleep(3600)

try:
    supervise(int(sys.argv[3]), work)
except WorkersFailed as error:
    print(f"mockserver: error: {error}", file=sys.stderr)
    sys.exit(1)
print("supervisor: stopped", file=sys.stderr)
"""


def _started(folder: Path) -> list[tuple[int, int]]:
    """(worker number, pid) of every worker start, as the script's workers note them, in the
    order they started (pids may wrap around)."""
    paths = sorted(folder.iterdir(), key=lambda path: (path.stat().st_mtime_ns, path.name))
    names = (path.name.partition("-") for path in paths)
    return [(int(number), int(pid)) for number, _, pid in names]


def _supervisor(
    tmp_path: Path, processes: list[subprocess.Popen[str]], *args: str
) -> tuple[subprocess.Popen[str], Path, Path]:
    """The script's supervisor running with ``args``; its workers' folder and its log."""
    script, folder, log = tmp_path / "supervisor.py", tmp_path / "starts", tmp_path / "log"
    script.write_text(textwrap.dedent(SCRIPT))
    folder.mkdir()
    process = _popen([sys.executable, str(script), str(folder), *args], log, tmp_path, processes)
    return process, folder, log


def test_supervise_restarts_a_killed_worker_and_stops_all_on_sigterm(
    tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    process, folder, log = _supervisor(tmp_path, processes, "sleep", "3")
    _wait_for(lambda: len(_started(folder)) == 3, "started 3 workers", log)
    first = sorted(_started(folder))
    assert [number for number, _ in first] == [1, 2, 3]
    assert _children(process.pid) == {pid for _, pid in first}
    (_, victim) = first[1]
    os.kill(victim, signal.SIGKILL)
    _wait_for(lambda: len(_started(folder)) == 4, "started worker 2 again", log)
    (again,) = set(_started(folder)) - set(first)
    assert again[0] == 2
    assert _children(process.pid) == {first[0][1], again[1], first[2][1]}
    process.send_signal(signal.SIGTERM)
    assert process.wait(WAIT_S) == 0
    assert log.read_text().splitlines() == [
        f"mockserver: worker 2/3 (pid {victim}) was killed by signal 9 (SIGKILL); "
        "starting it again",
        "supervisor: stopped",
    ]
    for _, pid in [*first, again]:
        assert not _alive(pid)


def test_supervise_gives_up_on_a_worker_that_keeps_stopping_at_once(
    tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    process, folder, log = _supervisor(tmp_path, processes, "die", "1")
    assert process.wait(WAIT_S) == 1
    starts = _started(folder)
    assert len(starts) == serving.MAX_QUICK_DEATHS
    lines = log.read_text().splitlines()
    assert lines == [
        *(f"mockserver: worker 1/1 (pid {pid}) exited with status 3; starting it again"
          for _, pid in starts[:-1]),
        f"mockserver: error: worker 1/1 stopped {serving.MAX_QUICK_DEATHS} times in a row "
        f"within {serving.QUICK_S:g} s of starting (last time it exited with status 3); "
        "every worker is stopped",
    ]  # fmt: skip


def test_the_command_exits_1_when_the_workers_keep_failing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in list(os.environ):
        if name.startswith("MOCKSERVER_"):
            monkeypatch.delenv(name)

    def supervise(count: int, work: Callable[[int], None]) -> None:
        assert count == 2
        raise serving.WorkersFailed("worker 1/2 stopped 5 times in a row (...)")

    monkeypatch.setattr(cli, "supervise", supervise)
    monkeypatch.setattr("mockserver.fleet.join_fleet", lambda settings, startup: "epoch")
    argv = ["serve", "--workers", "2", "--state", "redis://127.0.0.1:1/0", "--port", "0"]
    assert cli.main(argv) == cli.EXIT_WORKERS_FAILED == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        "mockserver: error: worker 1/2 stopped 5 times in a row (...)"
    )


# --- mockserver serve --workers 2 on Redis --------------------------------------------------------


def _ready_lines(log: Path) -> list[str]:
    return [line for line in log.read_text().splitlines() if "[worker " in line and " on " in line]


def test_two_workers_serve_one_port_restart_and_stop_cleanly(
    redis_server: RedisServer, tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    log = tmp_path / "serve.log"
    argv = [sys.executable, "-m", "mockserver", "serve", "--workers", "2", "--state",
            redis_server.url, "--port", "0", "--customers", "20", "--invoices", "10",
            "--log-level", "warning"]  # fmt: skip
    process = _popen(argv, log, tmp_path, processes)
    _wait_for(lambda: len(_ready_lines(log)) == 2 or process.poll() is not None,
              "had 2 ready workers", log)  # fmt: skip
    assert process.poll() is None, log.read_text()
    first = log.read_text().splitlines()[0]
    found = re.fullmatch(
        r"mockserver: 2 worker processes share http://127\.0\.0\.1:(\d+) \(state (\S+)\)", first
    )
    assert found, first
    port, shown = int(found.group(1)), found.group(2)
    assert port != 0
    assert shown == redis_server.url
    for number in (1, 2):
        assert any(
            line.startswith(f"mockserver[worker {number}/2]: 20 customers, 10 invoices (seed 1) "
                            f"on http://127.0.0.1:{port} (state {redis_server.url})")
            for line in _ready_lines(log)
        ), log.read_text()  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    workers = _children(process.pid)
    assert len(workers) == 2

    def answered(count: int) -> list[int]:
        # a new connection each: the kernel hands them to whichever worker accepts first
        return [httpx.get(base + "/api/customers?page_size=5", timeout=10).status_code
                for _ in range(count)]  # fmt: skip

    assert answered(200) == [200] * 200

    victim = min(workers)
    os.kill(victim, signal.SIGKILL)
    _wait_for(lambda: len(_ready_lines(log)) == 3, "restarted the killed worker", log)
    restarted = _children(process.pid)
    assert len(restarted) == 2 and victim not in restarted and max(workers) in restarted
    assert re.search(
        rf"^mockserver: worker [12]/2 \(pid {victim}\) was killed by signal 9 \(SIGKILL\); "
        r"starting it again$", log.read_text(), re.M,
    )  # fmt: skip
    assert answered(200) == [200] * 200

    process.send_signal(signal.SIGTERM)
    assert process.wait(WAIT_S) == 0, log.read_text()
    for pid in workers | restarted:
        assert not _alive(pid)
    assert "Traceback" not in log.read_text()


def test_a_killed_supervisor_takes_its_workers_with_it(
    redis_server: RedisServer, tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    log = tmp_path / "serve.log"
    argv = [sys.executable, "-m", "mockserver", "serve", "--workers", "2", "--state",
            redis_server.url, "--port", "0", "--customers", "5", "--invoices", "5",
            "--log-level", "warning"]  # fmt: skip
    process = _popen(argv, log, tmp_path, processes)
    _wait_for(lambda: len(_ready_lines(log)) == 2, "had 2 ready workers", log)
    workers = _children(process.pid)
    assert len(workers) == 2
    process.kill()
    process.wait()
    _wait_for(lambda: not any(_alive(pid) for pid in workers), "stopped the workers", log)


def test_the_password_of_the_state_url_is_never_printed(
    redis_server: RedisServer, tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    """Redis with a password: the start-up lines show ``:***@``."""
    redis_server.client().config_set("requirepass", "s3cret-pw")
    url = f"redis://:s3cret-pw@127.0.0.1:{redis_server.port}/0"
    log = tmp_path / "serve.log"
    argv = [sys.executable, "-m", "mockserver", "serve", "--workers", "2", "--state", url,
            "--port", "0", "--customers", "5", "--invoices", "5"]  # fmt: skip
    process = _popen(argv, log, tmp_path, processes)
    _wait_for(lambda: len(_ready_lines(log)) == 2, "had 2 ready workers", log)
    port = int(re.findall(r"127\.0\.0\.1:(\d+)", log.read_text())[0])
    assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=10).status_code == 200
    process.send_signal(signal.SIGTERM)
    assert process.wait(WAIT_S) == 0
    text = log.read_text()
    assert f"redis://:***@127.0.0.1:{redis_server.port}/0" in text
    assert "s3cret-pw" not in text


def _fleet_wired() -> bool:
    try:
        importlib.import_module("mockserver.fleet")
    except ImportError:
        return False
    return True


@pytest.mark.skipif(not _fleet_wired(), reason="fleet backend not wired yet")
def test_a_login_on_one_worker_is_valid_on_every_worker(
    redis_server: RedisServer, tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    """With ``--auth required`` every request on a fresh connection (any worker) accepts the
    session one worker made, and sees the write another worker acknowledged."""
    log = tmp_path / "serve.log"
    argv = [sys.executable, "-m", "mockserver", "serve", "--workers", "2", "--state",
            redis_server.url, "--port", "0", "--customers", "5", "--invoices", "5",
            "--auth", "required", "--log-level", "warning"]  # fmt: skip
    process = _popen(argv, log, tmp_path, processes)
    _wait_for(lambda: len(_ready_lines(log)) == 2, "had 2 ready workers", log)
    port = int(re.findall(r"127\.0\.0\.1:(\d+)", log.read_text())[0])
    base = f"http://127.0.0.1:{port}"
    login = {"UserName": "u", "Password": "p", "Database": "fleet", "ApiKey": "k"}
    session = httpx.post(base + "/api/auth/login", json=login, timeout=10).json()["session_id"]
    headers = {"Session-Id": session}
    created = httpx.post(base + "/api/customers", headers=headers, timeout=10,
                         json={"name": "Jaettu Oy", "email": "info@jaettu.fi"})  # fmt: skip
    assert created.status_code == 200, created.text
    for _ in range(50):
        listed = httpx.get(base + "/api/customers?page_size=1", headers=headers, timeout=10)
        assert listed.status_code == 200, listed.text
        assert listed.headers["x-total-count"] == "6"
    process.send_signal(signal.SIGTERM)
    assert process.wait(WAIT_S) == 0


def test_settings_of_a_fleet() -> None:
    """What ``--workers 2 --state redis://...`` reads as (and ``check`` lets through)."""
    settings = Settings(workers=2, state="redis://127.0.0.1:6379/0")
    settings.check()
    assert "redis://" not in repr(settings)  # a password must never reach a repr either
