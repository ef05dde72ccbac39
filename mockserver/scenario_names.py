"""Scenario names and files: which file a name (``flaky-5xx``: no folder, no suffix) reaches,
the user's scenarios folder first, then the scenarios shipped in ``data/scenarios``; the list
of them (``mockserver scenarios``); where a scenario's ``$ref`` may read from (``sent_refs``);
and ``ScenarioError``, the error of every scenario loader, since finding a name is where
loading first fails. It knows files and folders, not what a scenario says (``scenario_load``)
nor the running server (``scenarios``); ``scenarios`` re-exports all of it.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from .records import RefPolicy
from .scenario_yaml import YamlProblems, parse
from .settings import Settings

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
SUFFIXES = (".yaml", ".yml", ".json")
# The example scenarios and the record files they name, shipped inside the package.
SHIPPED_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "scenarios")
SHIPPED_FIXTURES = os.path.join(os.path.dirname(SHIPPED_DIR), "fixtures")
DEFAULT_SCENARIOS_DIR = Settings.scenarios_dir


class ScenarioError(Exception):
    """An invalid scenario: ``problems`` are ``FILE:LINE:COLUMN: message`` lines, in the
    order of the files and, within a file, of lines and columns."""

    def __init__(self, problems: Sequence[str], sources: Sequence[str] = ()) -> None:
        ordered = _in_order(problems, sources)
        super().__init__("\n".join(ordered))
        self.problems = ordered


_SITE = re.compile(r"^(.*?):(\d+):(\d+): ")


def _in_order(problems: Sequence[str], sources: Sequence[str]) -> list[str]:
    """Scenario files first (in their order), then the record files they name."""
    files: dict[str, int] = {source: index for index, source in enumerate(sources)}

    def key(problem: str) -> tuple[int, int, int]:
        site = _SITE.match(problem)
        if site is None:
            return (len(files), 0, 0)
        file = files.setdefault(site.group(1), len(files))
        return (file, int(site.group(2)), int(site.group(3)))

    return sorted(problems, key=key)


# --- names: the user's folder first, then the shipped examples -------------------------------


def is_name(text: str) -> bool:
    """Whether ``text`` names a scenario (``flaky-5xx``) rather than a file: no folder, no
    suffix."""
    return _NAME.fullmatch(text) is not None and not text.lower().endswith(SUFFIXES)


@dataclass(frozen=True)
class Available:
    """A scenario a name reaches."""

    name: str
    path: str
    shipped: bool
    shadows_shipped: bool = False  # a user's file of the same name as a shipped one


def _named_files(folder: str) -> dict[str, str]:
    """Name -> file of the scenarios in ``folder`` (the first suffix of SUFFIXES wins)."""
    try:
        entries = sorted(os.listdir(folder))
    except OSError:
        return {}
    found: dict[str, str] = {}
    for suffix in SUFFIXES:
        for entry in entries:
            name = entry[: -len(suffix)]
            if entry.endswith(suffix) and is_name(name) and name not in found:
                path = os.path.join(folder, entry)
                if os.path.isfile(path):
                    found[name] = path
    return found


def available(scenarios_dir: str | None = None) -> list[Available]:
    """Every scenario a name reaches: the user's folder's, then the shipped ones it does not
    shadow; each group by name."""
    user = _named_files(scenarios_dir or DEFAULT_SCENARIOS_DIR)
    shipped = _named_files(SHIPPED_DIR)
    return [
        *(Available(n, p, False, n in shipped) for n, p in sorted(user.items())),
        *(Available(n, p, True) for n, p in sorted(shipped.items()) if n not in user),
    ]


def summary(path: str) -> str:
    """One line about a scenario file: the first sentence of its ``description``, else its
    first comment line (an editor's ``yaml-language-server`` line aside)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        value = parse(text, path, as_json=True if path.lower().endswith(".json") else None).value
    except (OSError, UnicodeDecodeError, YamlProblems):
        return "(cannot be read: see mockserver validate)"
    description = value.get("description") if isinstance(value, dict) else None
    if isinstance(description, str) and description.strip():
        line = " ".join(description.split())
        first, period, _ = line.partition(". ")
        return first + "." if period else line
    for raw in text.splitlines():
        comment = raw.strip()
        if not comment.startswith("#"):
            if comment:
                break
            continue
        comment = comment.lstrip("#").strip()
        if comment and not comment.startswith("yaml-language-server"):
            return comment
    return ""


def find(name: str, scenarios_dir: str | None = None) -> str:
    """The file of the scenario called ``name``: ``NAME.yaml`` (``.yml``, ``.json``) in the
    user's folder, else the shipped one; ScenarioError (listing the names) if neither."""
    folder = scenarios_dir or DEFAULT_SCENARIOS_DIR
    for directory in (folder, SHIPPED_DIR):
        for suffix in SUFFIXES:
            path = os.path.join(directory, name + suffix)
            if os.path.isfile(path):
                return path
    raise ScenarioError([unknown_name(name, folder)])


def unknown_name(name: str, folder: str) -> str:
    names = [entry.name for entry in available(folder)]
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    return (
        f"There is no scenario named '{name}' (in {folder} or among the shipped ones).{hint} "
        f"The scenarios are: {', '.join(names) or 'none'}."
    )


# --- where $ref may read from ---------------------------------------------------------------


def _roots(scenarios_dir: str) -> tuple[str, ...]:
    """Where a scenario sent over HTTP may ``$ref``: the scenarios folder, the fixtures
    folder beside it, and the shipped scenarios and fixtures (real paths)."""
    folder = os.path.abspath(scenarios_dir)
    beside = os.path.join(os.path.dirname(folder), "fixtures")
    return tuple(
        dict.fromkeys(
            os.path.realpath(path) for path in (folder, beside, SHIPPED_DIR, SHIPPED_FIXTURES)
        )
    )


def sent_refs(scenarios_dir: str) -> RefPolicy:
    """The ``$ref`` policy of a scenario sent over HTTP (``PUT /_mock/scenario``): paths
    relative to the scenarios folder, else to the shipped scenarios' folder (so a shipped
    example's text works as sent), confined to ``_roots``."""
    return RefPolicy((scenarios_dir, SHIPPED_DIR), _roots(scenarios_dir))


def file_refs(path: str, confine_to: str | None) -> RefPolicy:
    base = os.path.dirname(path) or "."
    return RefPolicy((base,), None if confine_to is None else _roots(confine_to))
