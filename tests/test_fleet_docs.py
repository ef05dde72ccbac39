"""docs/fleet.md and its deployment examples (deploy/) are right, without Docker or a cluster.

The compose file and the Kubernetes manifest parse and hold what the page says they hold
(three replicas, health checks, persistence, the state URL naming the Redis service, a load
balancer that asks /health). Every flag and ``MOCKSERVER_*`` variable they and the page use
is one ``mockserver serve`` has. Then each example's own Redis command, health checks and
variables are run here: a ``redis-server`` with the example's arguments, the example's
health checks against it and against two mock processes started with the example's
variables; they form one fleet. ``docker-compose config`` and ``haproxy -c`` check the files
(scripts/test installs Debian's packages; where they are missing the checks skip, and fail
where CI is set).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from ports import free_port
from redis_server import RedisServer

from mockserver.fleet.middleware import FULL, NOT_ACKNOWLEDGED, UNAVAILABLE
from mockserver.settings import OPTIONS, Settings, SettingsError

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
DOC_PATH = ROOT / "docs" / "fleet.md"
DOC = DOC_PATH.read_text(encoding="utf-8")
COMPOSE_PATH = DEPLOY / "compose.yaml"
KUBERNETES_PATH = DEPLOY / "kubernetes.yaml"
HAPROXY_PATH = DEPLOY / "haproxy.cfg"
COMPOSE: dict[str, Any] = yaml.safe_load(COMPOSE_PATH.read_text(encoding="utf-8"))
OBJECTS: list[dict[str, Any]] = list(yaml.safe_load_all(KUBERNETES_PATH.read_text("utf-8")))
HAPROXY = HAPROXY_PATH.read_text(encoding="utf-8")
FILES = [DOC_PATH, COMPOSE_PATH, KUBERNETES_PATH, HAPROXY_PATH]

REPLICAS = 3
IMAGE_PYTHON = "/opt/mockserver/bin/python"
ENV_NAMES = {option.env for option in OPTIONS}


def _service(name: str) -> dict[str, Any]:
    service: dict[str, Any] = COMPOSE["services"][name]
    return service


def _object(kind: str, name: str) -> dict[str, Any]:
    (found,) = (o for o in OBJECTS if o["kind"] == kind and o["metadata"]["name"] == name)
    return found


def _container(kind: str, name: str) -> dict[str, Any]:
    (container,) = _object(kind, name)["spec"]["template"]["spec"]["containers"]
    return dict(container)


# --- the page ------------------------------------------------------------------------------------


def test_the_readme_links_the_page() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "](docs/fleet.md)" in readme


_EXCERPT = re.compile(r"<!-- from: (?P<file>\S+) -->\n```\w*\n(?P<code>.*?\n)```", re.S)


def test_every_excerpt_is_verbatim_from_its_file() -> None:
    excerpts = list(_EXCERPT.finditer(DOC))
    assert {m["file"] for m in excerpts} == {
        "deploy/compose.yaml",
        "deploy/haproxy.cfg",
        "deploy/kubernetes.yaml",
    }
    for match in excerpts:
        text = (ROOT / match["file"]).read_text(encoding="utf-8")
        assert match["code"] in text, f"not in {match['file']}:\n{match['code']}"


def test_the_messages_shown_are_the_servers() -> None:
    assert FULL.format(limit=1_000_000) in DOC
    shown = re.search(r'\{"Message":"(The mock\'s shared state is unavailable: .*?)"\}', DOC)
    assert shown is not None
    reason = shown[1].removeprefix("The mock's shared state is unavailable: ").split(". Nothing")[0]
    assert shown[1] == UNAVAILABLE.format(reason=reason)
    assert f'"reason":"{reason}"' in DOC  # /health's reason is the same
    quoted = re.search(r'"(was logged but .*? take effect)"', DOC.replace("\n", " "))
    assert quoted is not None and quoted[1] in NOT_ACKNOWLEDGED
    with pytest.raises(SettingsError) as caught:
        Settings(workers=3).check()
    assert f"mockserver: error: {caught.value}\n" in DOC


# --- every flag and variable is mockserver's ---------------------------------------------------

# Flags of other programs the page and the examples use, and which program.
FOREIGN = {
    "--appendonly": "redis-server",
    "--appendfsync": "redis-server",
    "--requirepass": "redis-server",
    "--port": "redis-server (also mockserver's)",
    "--build": "docker compose up",
    "--wait": "docker compose up",
    "--scale": "docker compose up",
    "--from-literal": "kubectl create secret",
}
_FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


@pytest.fixture(scope="module")
def serve_flags() -> set[str]:
    shown = subprocess.run([sys.executable, "-m", "mockserver", "serve", "--help"],
                           capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
    return set(_FLAG.findall(shown.stdout))


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_every_flag_used_is_one_serve_has(path: Path, serve_flags: set[str]) -> None:
    used = set(_FLAG.findall(path.read_text(encoding="utf-8")))
    unknown = sorted(used - serve_flags - set(FOREIGN))
    assert unknown == [], f"{path.name} uses flags mockserver serve does not have"


def test_the_fleets_flags_are_all_on_the_page(serve_flags: set[str]) -> None:
    for flag in ("--state", "--state-prefix", "--workers", "--fleet-log"):
        assert flag in serve_flags
        assert f"`{flag}`" in DOC


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_every_variable_used_is_an_option(path: Path) -> None:
    used = set(re.findall(r"\bMOCKSERVER_[A-Z_]+", path.read_text(encoding="utf-8")))
    assert sorted(used - ENV_NAMES) == []


# --- docker compose ------------------------------------------------------------------------------


def test_compose_runs_three_replicas_of_the_repositorys_image() -> None:
    mock = _service("mock")
    assert mock["deploy"]["replicas"] == REPLICAS
    context = (COMPOSE_PATH.parent / mock["build"]["context"]).resolve()
    assert context == ROOT
    assert (context / mock["build"].get("dockerfile", "Dockerfile")).is_file()
    assert "ports" not in mock  # reached through the load balancer only


def test_compose_redis_keeps_its_data_and_has_a_password() -> None:
    redis = _service("redis")
    assert redis["image"].startswith("redis:7")
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--requirepass") + 1].startswith("${REDIS_PASSWORD")
    (volume,) = redis["volumes"]
    name, target = volume.split(":")
    assert target == "/data"  # the image's working folder: the append-only file
    assert name in COMPOSE["volumes"]
    assert "ports" not in redis  # private to the compose network


def test_compose_state_url_names_the_redis_service() -> None:
    env = _service("mock")["environment"]
    url = re.compile(r"redis://:\$\{REDIS_PASSWORD[^}]*\}@redis:6379/\d+")
    assert url.fullmatch(env["MOCKSERVER_STATE"])
    assert "redis" in COMPOSE["services"]
    for name in ("MOCKSERVER_SEED", "MOCKSERVER_CUSTOMERS", "MOCKSERVER_INVOICES"):
        assert env[name].isdigit()
    assert env["MOCKSERVER_ADMIN_TOKEN"].startswith("${MOCKSERVER_ADMIN_TOKEN")


def test_compose_starts_each_service_once_the_one_before_is_healthy() -> None:
    assert _service("mock")["depends_on"] == {"redis": {"condition": "service_healthy"}}
    assert _service("lb")["depends_on"] == {"mock": {"condition": "service_healthy"}}
    redis_check = _service("redis")["healthcheck"]["test"]
    assert redis_check[0] == "CMD-SHELL" and "redis-cli ping" in redis_check[1]
    mock_check = _service("mock")["healthcheck"]["test"]
    assert mock_check[:2] == ["CMD", IMAGE_PYTHON]  # the image has no curl or wget
    assert "/health" in mock_check[-1]


def test_the_load_balancer_mounts_its_config_and_publishes_its_port() -> None:
    lb = _service("lb")
    assert lb["image"].startswith("haproxy:")
    (mount,) = lb["volumes"]
    source, target, mode = mount.split(":")
    assert (COMPOSE_PATH.parent / source).resolve() == HAPROXY_PATH
    assert target == "/usr/local/etc/haproxy/haproxy.cfg" and mode == "ro"
    (published,) = lb["ports"]
    port = int(published.split(":")[1])
    assert re.search(rf"^\s+bind :{port}$", HAPROXY, re.M)


def test_haproxy_sends_requests_only_to_healthy_replicas() -> None:
    backend = HAPROXY.split("\nbackend mock\n")[1]
    lines = [line.strip() for line in backend.splitlines()]
    assert "option httpchk" in lines
    assert "http-check send meth GET uri /health" in lines
    assert "http-check expect status 200" in lines
    (default,) = (line.split() for line in lines if line.startswith("default-server"))
    assert "check" in default
    assert default[default.index("resolvers") + 1] == "docker"
    assert re.search(r"^resolvers docker$", HAPROXY, re.M)
    (template,) = (line.split() for line in lines if line.startswith("server-template"))
    assert template[2] == str(REPLICAS)
    host, port = template[3].split(":")
    assert host == "mock" and host in COMPOSE["services"]
    assert port == "8080"  # the image's MOCKSERVER_PORT


def _tool(name: str) -> str:
    """A validator on the PATH (scripts/test installs Debian's); missing: a skip, and a
    failure where CI is set."""
    found = shutil.which(name)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is missing in CI: scripts/test installs Debian's package")
        pytest.skip(f"{name} is not installed (apt-get install {name}); CI runs this test")
    return found


def test_haproxy_accepts_its_config() -> None:
    done = subprocess.run([_tool("haproxy"), "-c", "-f", str(HAPROXY_PATH)],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_docker_compose_accepts_the_file() -> None:
    # Debian's docker-compose (1.29) checks a file against the Compose Specification without
    # a Docker engine; the compose plugin of a Docker install does the same where present.
    docker = shutil.which("docker")
    plugin = (
        docker is not None
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    )
    command = [docker, "compose"] if plugin and docker else [_tool("docker-compose")]
    env = {**os.environ, "REDIS_PASSWORD": "abc123", "MOCKSERVER_ADMIN_TOKEN": "token"}
    done = subprocess.run([*command, "-f", str(COMPOSE_PATH), "config", "--quiet"],
                          capture_output=True, text=True, env=env, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


# --- Kubernetes ----------------------------------------------------------------------------------


def test_kubernetes_holds_the_objects_the_page_names() -> None:
    kinds = sorted((o["apiVersion"], o["kind"], o["metadata"]["name"]) for o in OBJECTS)
    assert kinds == [
        ("apps/v1", "Deployment", "mockserver"),
        ("apps/v1", "StatefulSet", "redis"),
        ("v1", "Secret", "mockserver"),
        ("v1", "Service", "mockserver"),
        ("v1", "Service", "redis"),
    ]
    for kind, name in (("Deployment", "mockserver"), ("StatefulSet", "redis")):
        spec = _object(kind, name)["spec"]
        labels = spec["template"]["metadata"]["labels"]
        assert spec["selector"]["matchLabels"].items() <= labels.items()
        assert _object("Service", name)["spec"]["selector"].items() <= labels.items()
        (container,) = spec["template"]["spec"]["containers"]
        assert container["resources"]["requests"]
    assert _object("StatefulSet", "redis")["spec"]["serviceName"] == "redis"


def test_kubernetes_runs_three_ready_replicas() -> None:
    assert _object("Deployment", "mockserver")["spec"]["replicas"] == REPLICAS
    mock = _container("Deployment", "mockserver")
    ports = {port["name"]: port["containerPort"] for port in mock["ports"]}
    assert ports == {"http": 8080}
    assert mock["readinessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    # liveness must not be /health: it is 503 while Redis is away, when restarts do not help
    assert mock["livenessProbe"]["tcpSocket"] == {"port": "http"}
    (service_port,) = _object("Service", "mockserver")["spec"]["ports"]
    assert service_port["targetPort"] == "http"


def test_kubernetes_redis_keeps_its_data() -> None:
    redis = _container("StatefulSet", "redis")
    assert redis["image"].startswith("redis:7")
    args = redis["args"]
    assert args[args.index("--appendonly") + 1] == "yes"
    assert args[args.index("--requirepass") + 1] == "$(REDIS_PASSWORD)"
    (mount,) = redis["volumeMounts"]
    assert mount["mountPath"] == "/data"
    (claim,) = _object("StatefulSet", "redis")["spec"]["volumeClaimTemplates"]
    assert claim["metadata"]["name"] == mount["name"]
    (redis_port,) = _object("Service", "redis")["spec"]["ports"]
    assert redis_port["port"] == 6379


def test_kubernetes_state_url_comes_from_the_secret_and_names_the_redis_service() -> None:
    env = _container("Deployment", "mockserver")["env"]
    names = [entry["name"] for entry in env]
    state = next(entry["value"] for entry in env if entry["name"] == "MOCKSERVER_STATE")
    assert state == "redis://:$(REDIS_PASSWORD)@redis:6379/0"
    assert names.index("REDIS_PASSWORD") < names.index("MOCKSERVER_STATE")  # $(...) expands
    secret = _object("Secret", "mockserver")["stringData"]
    for container in (_container("Deployment", "mockserver"), _container("StatefulSet", "redis")):
        for entry in container["env"]:
            ref = entry.get("valueFrom", {}).get("secretKeyRef")
            if ref is not None:
                assert ref["name"] == "mockserver" and ref["key"] in secret


# --- the examples, run here --------------------------------------------------------------------


@dataclass
class Example:
    """What an example deploys, in this test's terms."""

    redis_args: list[str]  # after redis-server
    redis_probe: str  # a shell command; its redis-cli is this test's
    redis_env: dict[str, str]
    mock_env: dict[str, str]  # @redis:6379 replaced by this test's Redis
    mock_probe: list[str] | None  # argv; None: an HTTP GET of /health (Kubernetes' httpGet)


PASSWORD = "0123456789abcdef0123456789abcdef"
TOKEN = "an-admin-token"


def _compose_value(text: str) -> str:
    """Compose's interpolation of ``${NAME}``, ``${NAME:?message}`` and ``$$``."""
    values = {"REDIS_PASSWORD": PASSWORD, "MOCKSERVER_ADMIN_TOKEN": TOKEN}
    text = re.sub(r"\$\{(\w+)(?::?[?-][^}]*)?\}", lambda m: values[m[1]], text)
    return text.replace("$$", "$")


def _compose_example() -> Example:
    redis = _service("redis")
    mock = _service("mock")
    return Example(
        redis_args=[_compose_value(word) for word in redis["command"][1:]],
        redis_probe=redis["healthcheck"]["test"][1],
        redis_env={k: _compose_value(v) for k, v in redis["environment"].items()},
        mock_env={k: _compose_value(v) for k, v in mock["environment"].items()},
        mock_probe=mock["healthcheck"]["test"][1:],
    )


def _kubernetes_env(container: dict[str, Any]) -> dict[str, str]:
    """A container's variables as the kubelet sets them: the Secret's keys (with this test's
    values, as its comment asks), ``$(NAME)`` expanded."""
    secret = {"redis-password": PASSWORD, "admin-token": TOKEN}
    assert set(_object("Secret", "mockserver")["stringData"]) == set(secret)
    env: dict[str, str] = {}
    for entry in container["env"]:
        if "valueFrom" in entry:
            env[entry["name"]] = secret[entry["valueFrom"]["secretKeyRef"]["key"]]
        else:
            env[entry["name"]] = re.sub(r"\$\((\w+)\)", lambda m: env[m[1]], entry["value"])
    return env


def _kubernetes_example() -> Example:
    redis = _container("StatefulSet", "redis")
    redis_env = _kubernetes_env(redis)
    command = redis["readinessProbe"]["exec"]["command"]
    assert command[:2] == ["sh", "-c"]
    return Example(
        redis_args=[re.sub(r"\$\((\w+)\)", lambda m: redis_env[m[1]], a) for a in redis["args"]],
        redis_probe=command[2],
        redis_env=redis_env,
        mock_env=_kubernetes_env(_container("Deployment", "mockserver")),
        mock_probe=None,
    )


class ExampleRedis(RedisServer):
    """This test's redis-server, with the example's arguments after its own (the later
    wins) and a PING that authenticates."""

    def __init__(self, args: list[str], password: str) -> None:
        super().__init__()
        self.extra = args
        self.password = password

    def argv(self) -> list[str]:
        return [*super().argv(), *self.extra]

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1.0) as conn:
                conn.sendall(f"AUTH {self.password}\r\nPING\r\n".encode())
                answer = b""
                while answer.count(b"\r\n") < 2:
                    chunk = conn.recv(64)
                    if not chunk:
                        break
                    answer += chunk
                return answer == b"+OK\r\n+PONG\r\n"
        except OSError:
            return False


@dataclass
class Replica:
    process: subprocess.Popen[str]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def replicas(tmp_path: Path) -> Iterator[list[Replica]]:
    started: list[Replica] = []
    yield started
    for replica in started:
        if replica.process.poll() is None:
            replica.process.terminate()
    for replica in started:
        try:
            replica.process.wait(15)
        except subprocess.TimeoutExpired:
            replica.process.kill()
            replica.process.wait()


def _start(replicas: list[Replica], env: dict[str, str], folder: Path) -> Replica:
    port = free_port()
    base = {key: value for key, value in os.environ.items() if not key.startswith("MOCKSERVER_")}
    base.update(env, MOCKSERVER_HOST="127.0.0.1", MOCKSERVER_PORT=str(port),
                MOCKSERVER_LOG_LEVEL="warning")  # fmt: skip
    log = folder / f"replica-{len(replicas)}.log"
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "mockserver", "serve"], env=base,
                                   cwd=folder, stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT, text=True)  # fmt: skip
    replica = Replica(process, port, log)
    replicas.append(replica)
    return replica


def _healthy(replica: Replica, example: Example) -> bool:
    if example.mock_probe is None:
        try:
            return httpx.get(replica.url + "/health", timeout=2).status_code == 200
        except httpx.TransportError:
            return False
    argv = [word.replace("127.0.0.1:8080", f"127.0.0.1:{replica.port}")
            for word in example.mock_probe]  # fmt: skip
    assert argv[0] == IMAGE_PYTHON
    argv[0] = sys.executable
    return subprocess.run(argv, capture_output=True, timeout=10).returncode == 0


def _wait_healthy(replica: Replica, example: Example) -> None:
    deadline = time.monotonic() + 60  # a hang guard, not a budget
    while time.monotonic() < deadline:
        assert replica.process.poll() is None, replica.log.read_text()
        if _healthy(replica, example):
            return
        time.sleep(0.1)
    raise AssertionError(f"never healthy: {replica.log.read_text()}")


EXAMPLES = {"compose": _compose_example, "kubernetes": _kubernetes_example}


_JOIN_REFUSED = re.compile(r"^mockserver: error: cannot join the fleet on .*$", re.M)


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_example_runs_here_as_one_fleet(
    name: str, tmp_path: Path, replicas: list[Replica]
) -> None:
    """The example's Redis arguments, health checks and variables, run here: two replicas
    form one fleet on its Redis, and a third with other data is refused as the page says."""
    import redis as redis_py

    example = EXAMPLES[name]()
    with ExampleRedis(example.redis_args, PASSWORD) as redis:
        client = redis_py.Redis(port=redis.port, password=PASSWORD, decode_responses=True)
        assert client.config_get("appendonly") == {"appendonly": "yes"}
        with pytest.raises(redis_py.AuthenticationError):
            redis_py.Redis(port=redis.port).ping()
        # Redis's health check: PONG with the example's password, a failure without it
        redis_cli = shutil.which("redis-cli")
        if redis_cli is not None:
            probe = example.redis_probe.replace("redis-cli", f"{redis_cli} -p {redis.port}")
            env = {**os.environ, **example.redis_env}
            assert subprocess.run(["sh", "-c", probe], env=env, timeout=10).returncode == 0
            del env["REDISCLI_AUTH"]
            assert subprocess.run(["sh", "-c", probe], env=env, timeout=10).returncode != 0

        assert "@redis:6379/" in example.mock_env["MOCKSERVER_STATE"]
        here = f"@127.0.0.1:{redis.port}/"
        env = {**example.mock_env}
        env["MOCKSERVER_STATE"] = env["MOCKSERVER_STATE"].replace("@redis:6379/", here)
        first, second = (_start(replicas, env, tmp_path) for _ in range(2))
        for replica in (first, second):
            _wait_healthy(replica, example)
            log = replica.log.read_text()
            assert f"(state redis://:***{here}0)" in log
            assert PASSWORD not in log

        # one fleet: a login and a write on one replica, seen on the other
        api = env.get("MOCKSERVER_BASE_PATH", "") + "/api"
        login = {"UserName": "u", "Password": "p", "Database": "fleet", "ApiKey": "k"}
        sid = httpx.post(first.url + api + "/auth/login", json=login, timeout=10)
        session = {"Session-Id": sid.json()["session_id"]}
        change = {"name": "Uusi Nimi Oy", "email": "info@uusinimi.fi"}
        put = httpx.put(first.url + api + "/customers/1", json=change, headers=session, timeout=10)
        assert put.status_code == 200, put.text
        read = httpx.get(second.url + api + "/customers/1", headers=session, timeout=10)
        assert (read.status_code, read.json()["name"]) == (200, "Uusi Nimi Oy")
        # the admin API wants the example's token on every replica
        journal = httpx.get(second.url + "/_mock/requests?tenant=fleet", timeout=10,
                            headers={"Authorization": f"Bearer {TOKEN}"})  # fmt: skip
        assert journal.status_code == 200
        assert {e["method"] for e in journal.json()["requests"]} == {"POST", "PUT", "GET"}
        assert httpx.get(second.url + "/_mock/tenants", timeout=10).status_code == 401

        # a process with other data refuses to join, in the line the page shows
        seed = env["MOCKSERVER_SEED"]
        other = _start(replicas, {**env, "MOCKSERVER_SEED": str(int(seed) + 1)}, tmp_path)
        assert other.process.wait(30) == 2
        (shown,) = _JOIN_REFUSED.findall(DOC)
        expected = shown.replace("@redis:6379/", here).replace(
            "seed 1 (this process: 2)", f"seed {seed} (this process: {int(seed) + 1})"
        )
        assert expected in other.log.read_text()
