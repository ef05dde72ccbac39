"""The wheel, installed the way a user installs it: into a fresh virtualenv that already holds
a typical project's pins (FastAPI on an older starlette, an older uvicorn and Faker, newer
msgspec and PyYAML), with pip.

pip must change none of those pins; the installed ``mockserver`` command must serve, on
uvicorn 0.50 and with whatever Faker the project has, the very dataset tests/test_digest.py
pins; and the wheel must carry every file of the package (scenarios, fixtures, value pools,
the schema), since the checkout is not there after ``pip install``. Its runtime dependencies
are ranges, and the lock files CI and the image install still satisfy pyproject.toml.
"""

from __future__ import annotations

import email
import re
import subprocess
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from test_digest import DIGEST, served_digest
from wheelhouse import DISTRIBUTION, ROOT, Venv, new_venv, wait_for_url, wheel

from mockserver import __version__

# A FastAPI project's pins, as issue 10 found them: each must survive the install untouched.
USER_PINS = {
    "fastapi": "0.165.0",
    "starlette": "1.8.0",
    "uvicorn": "0.50.0",
    "faker": "38.2.0",
    "msgspec": "0.23.0",
    "pyyaml": "6.0.4",
}


@dataclass(frozen=True)
class UserProject:
    venv: Venv
    before: dict[str, str]
    after: dict[str, str]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> UserProject:
    venv = new_venv(tmp_path_factory.mktemp("user-project") / "venv", with_pip=True)
    venv.pip("install", "--quiet", *(f"{name}=={version}" for name, version in USER_PINS.items()))
    before = venv.freeze()
    venv.pip("install", "--quiet", wheel())
    return UserProject(venv, before, venv.freeze())


def test_the_wheel_carries_every_file_of_the_package() -> None:
    with zipfile.ZipFile(wheel()) as archive:
        shipped = {name for name in archive.namelist() if name.startswith("mockserver/")}
    package = ROOT / "mockserver"
    files = {
        path.relative_to(ROOT).as_posix()
        for path in package.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }
    assert files - shipped == set()
    for needed in ("mockserver/py.typed", "mockserver/scenario.schema.json",
                   "mockserver/data/scenarios/flaky-5xx.yaml",
                   "mockserver/data/fixtures/customers/acme.yaml"):  # fmt: skip
        assert needed in shipped


def test_its_runtime_dependencies_are_ranges() -> None:
    with zipfile.ZipFile(wheel()) as archive:
        (metadata,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        message = email.message_from_bytes(archive.read(metadata))
    assert message["Name"] == DISTRIBUTION
    assert message["Version"] == __version__
    runtime = [Requirement(r) for r in message.get_all("Requires-Dist") or []]
    runtime = [r for r in runtime if r.marker is None or "extra" not in str(r.marker)]
    assert runtime, "no runtime dependency at all?"
    for requirement in runtime:
        operators = {spec.operator for spec in requirement.specifier}
        assert operators == {">=", "<"}, f"a tested lower bound and an upper one: {requirement}"
    assert "faker" not in {r.name.lower() for r in runtime}, "Faker is build-only"


def test_installing_it_changes_none_of_the_projects_pins(project: UserProject) -> None:
    for name, version in USER_PINS.items():
        assert project.before[name] == version
    changed = {
        name: (version, project.after.get(name))
        for name, version in project.before.items()
        if project.after.get(name) != version
    }
    assert changed == {}, "pip changed what the project had installed"
    assert project.after[DISTRIBUTION] == __version__
    project.venv.pip("check")


def test_its_command_serves_the_pinned_dataset(project: UserProject, tmp_path: Path) -> None:
    mockserver = str(project.venv.bin / "mockserver")
    version = subprocess.run([mockserver, "--version"], capture_output=True, text=True,
                             env=project.venv.env(), timeout=60)  # fmt: skip
    assert version.stdout == f"mockserver {__version__}\n"
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [mockserver, "serve", "--port", "0", "--log-level", "warning"],
            cwd=tmp_path, env=project.venv.env(), stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
    try:
        url = wait_for_url(process, log)
        with httpx.Client(base_url=url, timeout=30) as http:

            def fetch(path: str) -> bytes:
                answer = http.get(path)
                assert answer.status_code == 200, (path, answer.text)
                return answer.content

            assert served_digest(fetch) == DIGEST
    finally:
        process.terminate()
        assert process.wait(30) == 0, log.read_text()
    assert "Traceback" not in log.read_text()


def _pins(lock: Path) -> dict[str, str]:
    found = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", lock.read_text(encoding="utf-8"), re.M)
    return {canonicalize_name(name): version for name, version in found}


@pytest.mark.parametrize("extra", ["runtime", "test"])
def test_the_lock_files_satisfy_pyproject(extra: str) -> None:
    """requirements/*.lock are regenerated (scripts/lock) whenever pyproject.toml's
    requirements change: every requirement there holds for the version its lock pins. The
    runtime lock holds the redis extra too (the container serves --state redis://...); an
    extra naming the project's own (test: ``lemonsoft-mock[redis]``) stands for that one's."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]

    def expanded(texts: list[str]) -> list[Requirement]:
        found: list[Requirement] = []
        for text in texts:
            requirement = Requirement(text)
            if canonicalize_name(requirement.name) == DISTRIBUTION:
                for name in sorted(requirement.extras):
                    found += expanded(extras[name])
            else:
                found.append(requirement)
        return found

    wanted = expanded([*project["dependencies"], *extras["redis"]])
    if extra == "test":
        wanted += expanded(extras["test"])
    assert "redis" in {canonicalize_name(r.name) for r in wanted}
    pins = _pins(ROOT / "requirements" / f"{extra}.lock")
    for requirement in wanted:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} is not in requirements/{extra}.lock"
        assert requirement.specifier.contains(pins[name], prereleases=True), (requirement, pins)
