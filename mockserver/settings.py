"""One Settings object for the server: command-line flags, ``MOCKSERVER_*`` variables, defaults.

Every option is declared once in ``OPTIONS``; the command line, the environment and the
README's table are all read from it. A flag beats its environment variable, which beats the
default.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any
from urllib.parse import urlsplit

AUTH_MODES = ("off", "optional", "required")
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


class SettingsError(ValueError):
    """An option value that cannot be used; the message is one clear line."""


def _port(text: str) -> int:
    value = _count(text)
    if not 0 <= value <= 65535:
        raise ValueError("must be between 0 and 65535")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError("must be a whole number") from None
    if value < 0:
        raise ValueError("must not be negative")
    return value


def _seed(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError("must be a whole number") from None


def _base_path(text: str) -> str:
    text = text.strip()
    if not text or text == "/":
        return ""
    if not text.startswith("/"):
        text = "/" + text
    if "?" in text or "#" in text or " " in text:
        raise ValueError("must be a URL path such as /Lemonsoft30")
    return text.rstrip("/")


def _choice(choices: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = text.strip().lower()
        if value not in choices:
            raise ValueError("must be one of " + ", ".join(choices))
        return value

    return parse


def _text(text: str) -> str:
    return text


def _paths(text: str) -> tuple[str, ...]:
    return tuple(part for part in text.split(os.pathsep) if part)


def _switch(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("", "0", "false", "no", "off"):
        return False
    raise ValueError("must be true or false (1/0, yes/no, on/off)")


def _upstream_url(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            "must be an http:// or https:// URL, e.g. https://erp.example.fi/Lemonsoft30"
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError(
            "must be a base URL without credentials, query or fragment "
            "(credentials come from the MOCKSERVER_UPSTREAM_* variables)"
        )
    return text.rstrip("/")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError("must be a number of seconds") from None
    if not 0 < value <= 3600:
        raise ValueError("must be more than 0 and at most 3600 seconds")
    return value


@dataclass(frozen=True)
class Option:
    name: str  # attribute of Settings; flag --name-with-dashes; env MOCKSERVER_NAME
    parse: Callable[[str], Any]
    help: str
    repeatable: bool = False
    secret: bool = False  # never shown (help, logs): a value people must not leak
    switch: bool = False  # a flag without a value (--upstream-writes); its variable: true/false

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def env(self) -> str:
        return "MOCKSERVER_" + self.name.upper()


OPTIONS: tuple[Option, ...] = (
    Option("host", _text, "interface to listen on"),
    Option("port", _port, "port to listen on (0 picks a free one)"),
    Option("seed", _seed, "seed of the generated data: one seed, byte-identical data"),
    Option("customers", _count, "number of generated customers"),
    Option("invoices", _count, "number of generated invoices"),
    Option("base_path", _base_path, "prefix of every API route, e.g. /Lemonsoft30"),
    Option("auth", _choice(AUTH_MODES), "session checking: off, optional or required"),
    Option("log_level", _choice(LOG_LEVELS), "server log level"),
    Option("journal_size", _count, "requests kept in the request journal (0: none)"),
    Option(
        "scenario",
        _paths,
        "scenario file loaded at start-up; repeat the flag (or separate paths with "
        f"'{os.pathsep}' in the variable) to layer files",
        repeatable=True,
    ),
    Option("scenarios_dir", _text, "folder of the scenarios that X-Mock-Scenario names"),
    Option(
        "admin_token",
        _text,
        "bearer token every admin request (/_mock/...) must send; without one, admin routes "
        "answer loopback clients only",
        secret=True,
    ),
    Option("journal_bytes", _count, "bytes of requests kept in the journal; oldest go first"),
    Option("max_tenants", _count, "tenants the server holds at once (0: no limit)"),
    Option("max_sessions", _count, "live sessions kept; the oldest is evicted past it"),
    Option(
        "max_records",
        _count,
        "customers + invoices a scenario sent over HTTP may ask to generate",
    ),
    # The bridge (mockserver.bridge): routes the mock does not implement go to a real API.
    Option(
        "upstream",
        _upstream_url,
        "base URL of a real API (with its prefix, e.g. https://erp.example.fi/Lemonsoft30) "
        "that answers the API paths the mock does not implement; credentials from "
        "MOCKSERVER_UPSTREAM_USERNAME, _PASSWORD, _DATABASE, _APIKEY",
    ),
    Option(
        "upstream_writes",
        _switch,
        "also pass writes (POST, PUT, DELETE...) through to --upstream; without it only GETs go",
        switch=True,
    ),
    Option(
        "upstream_record",
        _text,
        "folder where every answer passed through is saved as a scenario (scenario.yaml) "
        "that serve --scenario replays without the upstream",
    ),
    Option("upstream_timeout", _seconds, "seconds each upstream request may take (502/504 after)"),
)


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    seed: int = 1
    customers: int = 200
    invoices: int = 1000
    base_path: str = ""
    auth: str = "optional"
    log_level: str = "info"
    journal_size: int = 1000
    scenario: tuple[str, ...] = ()
    scenarios_dir: str = "./scenarios"
    admin_token: str = field(default="", repr=False)
    journal_bytes: int = 64 * 1024 * 1024
    max_tenants: int = 1000
    max_sessions: int = 100_000
    max_records: int = 200_000
    upstream: str = ""
    upstream_writes: bool = False
    upstream_record: str = ""
    upstream_timeout: float = 10.0

    def with_changes(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def defaults() -> dict[str, Any]:
    return {f.name: f.default for f in fields(Settings)}


def from_sources(
    flags: Mapping[str, str | Sequence[str] | None], environ: Mapping[str, str] | None = None
) -> Settings:
    """Settings from flag values (None where not given), then ``MOCKSERVER_*``, then defaults."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for option in OPTIONS:
        raw = flags.get(option.name)
        source = option.flag
        if raw is None and option.env in environ:
            raw, source = environ[option.env], option.env
        if raw is None:
            continue
        if not isinstance(raw, str):  # a repeated flag: one value each time
            raw = os.pathsep.join(raw)
        try:
            values[option.name] = option.parse(raw)
        except ValueError as error:
            raise SettingsError(f"{source}: {raw!r} {error}") from None
    return Settings(**values)
