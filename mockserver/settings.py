"""One Settings object for the server: command-line flags, ``MOCKSERVER_*`` variables, defaults.

Every option is declared once in ``OPTIONS``; the command line, the environment and the
README's table are all read from it. A flag beats its environment variable, which beats the
default.
"""

from __future__ import annotations

import importlib.util
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any
from urllib.parse import parse_qsl, urlsplit

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


STATE_FORMS = (
    "memory or a Redis URL: redis://[:PASSWORD@]HOST:PORT/DB, rediss://[:PASSWORD@]HOST:PORT/DB "
    "or unix:///PATH/TO/redis.sock?db=N"
)
_PREFIX = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
MAX_WORKERS = 1024
REDIS_EXTRA = "pip install 'lemonsoft-mock[redis]'"


def shown_state(url: str) -> str:
    """``url`` as start-up lines and errors may show it: ``memory`` as it is, a Redis URL with
    its password (and any ``password=`` query value) replaced by ``***``.

    Written for any text, parseable or not: the error about a malformed ``--state`` must not
    print the password either. The user part (before ``@``) is split at its first ``:``; with
    no ``:`` it is all masked, since some write ``redis://PASSWORD@HOST``."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        return url
    user = ""
    if "@" in rest:  # the last @: a password may hold one (or a ? or a /) unencoded
        userinfo, _, rest = rest.rpartition("@")
        name, colon, _ = userinfo.partition(":")
        user = f"{name}:***@" if colon else "***@"
    query = ""
    if "?" in rest:
        rest, _, query = rest.partition("?")
        pairs = [
            (key, "***" if key.lower() == "password" else value)
            for key, _, value in (pair.partition("=") for pair in query.split("&"))
        ]
        query = "?" + "&".join(f"{key}={value}" if value else key for key, value in pairs)
    return f"{scheme}://{user}{rest}{query}"


def _state(text: str) -> str:
    text = text.strip()
    if text.lower() == "memory":
        return "memory"
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  (raises ValueError on a port that is not a number 0-65535)
    except ValueError:
        raise ValueError(f"must be {STATE_FORMS}") from None
    query = dict(parse_qsl(parts.query))
    if parts.scheme in ("redis", "rediss"):
        db = parts.path.lstrip("/")
        if not parts.hostname or not (db == "" or db.isdigit()) or parts.fragment:
            raise ValueError(f"must be {STATE_FORMS}")
    elif parts.scheme == "unix":
        if not parts.path.startswith("/") or parts.hostname or parts.fragment:
            raise ValueError(f"must be {STATE_FORMS}")
    else:
        raise ValueError(f"must be {STATE_FORMS}")
    if not query.get("db", "0").isdigit():
        raise ValueError(f"must be {STATE_FORMS}")
    return text


def _prefix(text: str) -> str:
    if not _PREFIX.fullmatch(text):
        raise ValueError("must be 1 to 64 letters, digits, '-', '_', '.' or ':'")
    return text


def _workers(text: str) -> int:
    value = _count(text)
    if not 1 <= value <= MAX_WORKERS:
        raise ValueError(f"must be between 1 and {MAX_WORKERS}")
    return value


def _positive(text: str) -> int:
    value = _count(text)
    if value < 1:
        raise ValueError("must be 1 or more")
    return value


@dataclass(frozen=True)
class Option:
    name: str  # attribute of Settings; flag --name-with-dashes; env MOCKSERVER_NAME
    parse: Callable[[str], Any]
    help: str
    repeatable: bool = False
    secret: bool = False  # never shown (help, logs): a value people must not leak
    switch: bool = False  # a flag without a value (--upstream-writes); its variable: true/false
    # how an error message shows a secret option's bad value (never as given)
    shown: Callable[[str], str] = lambda text: "***"

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
    # The fleet (issue 14): several worker processes and replicas sharing their state on Redis.
    Option(
        "state",
        _state,
        "where sessions, writes, tenants, scenarios and the journal live: memory (this process "
        "alone) or redis://[:PASSWORD@]HOST:PORT/DB (also rediss://..., "
        "unix:///PATH/TO/redis.sock?db=N), shared by every process using it; a password in "
        "it is never shown",
        secret=True,
        shown=shown_state,
    ),
    Option(
        "state_prefix",
        _prefix,
        "prefix of every key in Redis, so that two fleets can share one Redis (letters, "
        "digits, - _ . :)",
    ),
    Option(
        "workers",
        _workers,
        "worker processes serving the port (more than 1 needs --state redis://...)",
    ),
    Option(
        "fleet_log",
        _positive,
        "state changes (writes, logins, admin changes) the fleet keeps in Redis; past it, "
        "changes get a 507 until a reset",
    ),
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
    state: str = field(default="memory", repr=False)  # may hold a password: shown_state
    state_prefix: str = "mockserver"
    workers: int = 1
    fleet_log: int = 1_000_000

    def with_changes(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    def check(self) -> None:
        """What no single option can tell: options that do not go together, or what serving
        with them needs. ``mockserver serve`` calls it before anything starts; a
        ``SettingsError`` here is one line and exit status 2."""
        if self.workers > 1 and self.state == "memory":
            raise SettingsError(
                f"--workers {self.workers} needs shared state: with --state memory each worker "
                "would hold its own data, sessions and journal; add --state redis://HOST:PORT/DB"
            )
        if self.state != "memory" and not _has_redis():
            raise SettingsError(
                f"--state {shown_state(self.state)} needs the Redis client, the redis extra: "
                f"{REDIS_EXTRA}"
            )


def _has_redis() -> bool:
    """Whether redis-py is importable (found, not imported: serving imports it)."""
    return importlib.util.find_spec("redis") is not None


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
            shown = option.shown(raw) if option.secret else raw
            raise SettingsError(f"{source}: {shown!r} {error}") from None
    return Settings(**values)
