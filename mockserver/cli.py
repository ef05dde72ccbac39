"""``mockserver serve | validate | scenarios | routes``: the command line, help, exit codes.

It parses flags, reports problems in one line each, and maps every failure to a documented exit
status (``EXIT_CODES``); serving itself is ``serving``'s business, and what a flag means is
``settings``'s.
"""

from __future__ import annotations

import argparse
import errno
import socket
import sys
from collections.abc import Sequence

import uvicorn
from starlette.applications import Starlette

from . import __version__, route_list
from .api.guard import STARTUP_NOTICE, is_loopback_host
from .app import create_app
from .bridge import drift_cli, record_cli
from .scenarios import (
    Scenario,
    ScenarioError,
    available,
    check_data,
    load_files,
    load_startup,
    summary,
)
from .serving import Loading, WorkersFailed, run, settle_heap, supervise, uvicorn_config
from .settings import (
    OPTIONS,
    Option,
    Settings,
    SettingsError,
    defaults,
    from_sources,
    shown_state,
)

EXIT_OK, EXIT_INVALID_SCENARIO, EXIT_BAD_FLAG, EXIT_CANNOT_BIND = 0, 1, 2, 3
EXIT_WORKERS_FAILED = 1  # serve --workers: a worker keeps stopping right after it starts
EXIT_CODES = """\
exit status:
  0  served until stopped (SIGINT or SIGTERM), or every file valid
  1  a scenario is invalid (every problem printed as FILE:LINE:COLUMN: message), or
     a worker of --workers keeps stopping as soon as it starts
  2  a flag or MOCKSERVER_* variable has a bad value, or an unknown flag
  3  cannot listen on the host and port (in use, or not an address of this machine)"""


class CannotBind(OSError):
    """The server's socket cannot be bound; the message is one clear line."""


def _shown_default(option: Option, value: object) -> str:
    """The default as a person reads it: no Python reprs (``()``, ``''``). Defaults are never
    secret, what is given may be: a secret option without a default says it is never shown
    (one with a default, ``--state memory``, says so in its help)."""
    if option.secret and value in ((), "", None):
        return "none; never shown"
    if value is False or value in ((), "", None):
        return "none"
    return str(value)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mockserver",
        description="A mock of a Finnish ERP's REST API (customers and sales invoices).",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"mockserver {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="serve the mock API",
        description="Serve the mock API: generated customers and invoices (one seed, "
        "byte-identical data), optionally shaped by scenario files. Every flag also reads "
        "its MOCKSERVER_* variable; a flag beats its variable, which beats the default.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    default = defaults()
    for option in OPTIONS:
        shown = (
            f"{option.help} (default: {_shown_default(option, default[option.name])}; "
            f"env {option.env})"
        )
        if option.switch:
            serve.add_argument(
                option.flag, dest=option.name, default=None, action="store_const",
                const="true", help=shown,
            )  # fmt: skip
            continue
        serve.add_argument(
            option.flag,
            dest=option.name,
            default=None,
            action="append" if option.repeatable else "store",
            metavar=option.name.upper(),
            help=shown,
        )
    validate = commands.add_parser(
        "validate",
        help="check scenario files without serving",
        description="Check scenario files (each on its own, records against the data they "
        "would be laid over) and print every problem as FILE:LINE:COLUMN: message. "
        "Exit status 1 if any file has a problem.",
    )
    validate.add_argument(
        "files", nargs="+", metavar="FILE", help="a scenario file, or a scenario's name"
    )
    listing = commands.add_parser(
        "scenarios",
        help="list the scenarios a name reaches",
        description="List the scenario names that --scenario, MOCKSERVER_SCENARIO, "
        "X-Mock-Scenario and the pytest marker accept, one line each: those in the scenarios "
        "folder first, then the examples the package ships (a file in the folder with a "
        "shipped example's name takes its place).",
    )
    listing.add_argument(
        "--scenarios-dir",
        dest="scenarios_dir",
        default=None,
        metavar="SCENARIOS_DIR",
        help="folder of your scenarios (default: ./scenarios; env MOCKSERVER_SCENARIOS_DIR)",
    )
    routes_command = commands.add_parser(
        "routes",
        help="list every operation of the vendor's API: mocked, passed through or not mocked",
        description="List every operation of the vendor's API (from the catalogue of its "
        "published client) as mocked, passed through (with --upstream) or not mocked (answers "
        "501), then the mock's own routes.",
    )
    routes_command.add_argument(
        "--upstream", default=None, metavar="UPSTREAM", help="as serve --upstream"
    )
    routes_command.add_argument(
        "--upstream-writes", dest="upstream_writes", default=None, action="store_const",
        const="true", help="as serve --upstream-writes",
    )  # fmt: skip
    routes_command.add_argument("--json", action="store_true", help="print JSON")
    record_cli.add_parser(commands)
    drift_cli.add_parser(commands)
    return parser


def list_routes(flags: dict[str, str | None], as_json: bool) -> int:
    """Print every vendor operation with what the mock does with it (``route_list``)."""
    try:
        settings = from_sources(flags)
    except SettingsError as error:
        print(f"mockserver: error: {error}", file=sys.stderr)
        return EXIT_BAD_FLAG
    rows = route_list.route_rows(settings)
    render = route_list.render_json if as_json else route_list.render_text
    sys.stdout.write(render(rows))
    return EXIT_OK


def list_scenarios(flags: dict[str, str | None]) -> int:
    """Print each scenario name a name reaches, with where it comes from and one line
    about it."""
    try:
        folder = from_sources(flags).scenarios_dir
    except SettingsError as error:
        print(f"mockserver: error: {error}", file=sys.stderr)
        return EXIT_BAD_FLAG
    found = available(folder)
    rows = [
        (
            entry.name,
            "shipped" if entry.shipped else folder + (" (over shipped)" * entry.shadows_shipped),
            summary(entry.path),
        )
        for entry in found
    ]
    name_width = max((len(row[0]) for row in rows), default=0)
    origin_width = max((len(row[1]) for row in rows), default=0)
    for name, origin, about in rows:
        print(f"{name:<{name_width}}  {origin:<{origin_width}}  {about}".rstrip())
    return EXIT_OK


def listen(host: str, port: int) -> socket.socket:
    """The server's socket, bound (as uvicorn binds one: IPv6 when the host has a colon,
    ``SO_REUSEADDR``), so that a port in use is one line and exit status 3 before anything
    starts, and ``--port 0`` tells which port it got."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        reason = error.strerror or str(error)
        if error.errno == errno.EADDRINUSE:
            reason = "the port is already in use"
        raise CannotBind(f"cannot listen on {host}:{port}: {reason}") from None
    return sock


# Connections that wait for a worker to accept them (uvicorn's own default backlog).
BACKLOG = 2048


def serve(settings: Settings) -> None:
    settings.check()  # options that do not go together (--workers 3 on memory): exit status 2
    startup = load_startup(settings)  # ScenarioError here: an invalid one never opens the socket
    if settings.upstream:  # missing credentials: one line and exit status 2, nothing served
        from .bridge.upstream import Credentials

        Credentials.from_env()
    if settings.state != "memory":  # a fleet it may not join: one line, exit 2, nothing served
        from .fleet import join_fleet

        join_fleet(settings, startup)
    sock = listen(settings.host, settings.port)  # CannotBind: nothing started either
    port = sock.getsockname()[1]
    if not settings.admin_token and not is_loopback_host(settings.host):
        print(STARTUP_NOTICE, file=sys.stderr, flush=True)
    with sock:
        if settings.workers == 1:  # this process serves: no fork, no supervisor
            _serve_on(sock, port, settings, startup, "mockserver")
            return
        # Several processes: this one binds and listens (so a connection waits in the backlog
        # until a worker accepts it) and supervises; each worker builds its own application
        # after the fork (serving.supervise) and serves the inherited socket.
        sock.listen(BACKLOG)
        print(
            f"mockserver: {settings.workers} worker processes share "
            f"http://{settings.host}:{port}{settings.base_path} "
            f"(state {shown_state(settings.state)})",
            file=sys.stderr,
            flush=True,
        )
        count = settings.workers

        def work(number: int) -> None:
            _serve_on(sock, port, settings, startup, f"mockserver[worker {number}/{count}]")

        supervise(count, work)


def _serve_on(
    sock: socket.socket, port: int, settings: Settings, startup: Scenario | None, name: str
) -> None:
    """Build the application (in a thread, serving 503s meanwhile) and serve it on ``sock``
    until SIGINT or SIGTERM, in this process; ``name`` starts its lines."""
    failures: list[BaseException] = []

    def ready(app: Starlette) -> None:
        settle_heap()
        dataset = app.state.mock.store.dataset
        shared = "" if settings.state == "memory" else f" (state {shown_state(settings.state)})"
        print(
            f"{name}: {len(dataset.customers)} customers, {len(dataset.invoices)} invoices "
            f"(seed {dataset.seed}) on http://{settings.host}:{port}{settings.base_path}{shared}",
            file=sys.stderr,
            flush=True,
        )

    def failed(error: BaseException) -> None:
        failures.append(error)
        server.should_exit = True

    # The socket opens at once and answers 503 until the data are generated (serving.Loading).
    loading = Loading(lambda: create_app(settings, startup=startup), ready, failed)
    server = uvicorn.Server(uvicorn_config(loading, settings.with_changes(port=port)))
    loading.start()
    try:
        run(server, [sock])
    finally:  # also when run ends with SystemExit (a signal): a fleet's process leaves it
        if loading.app is not None:
            loading.app.state.mock.close()
    if failures:
        raise failures[0]


def validate(files: Sequence[str]) -> int:
    """Print every problem of each file (or ``FILE: ok``); 1 if any file has one. Records are
    checked against the data of the file's seed and size, defaulting to the settings of the
    ``MOCKSERVER_*`` variables."""
    try:
        settings = from_sources({})
    except SettingsError as error:
        print(f"mockserver: error: {error}", file=sys.stderr)
        return EXIT_BAD_FLAG
    failed = False
    for file in files:
        try:
            check_data(settings, load_files([file], settings.scenarios_dir))
        except ScenarioError as error:
            failed = True
            for problem in error.problems:
                print(problem)
        else:
            print(f"{file}: ok")
    return EXIT_INVALID_SCENARIO if failed else EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "serve":
        try:
            settings = from_sources(vars(args))
        except SettingsError as error:
            print(f"mockserver: error: {error}", file=sys.stderr)
            return EXIT_BAD_FLAG
        try:
            serve(settings)
        except ScenarioError as error:
            for problem in error.problems:
                print(problem, file=sys.stderr)
            print("mockserver: error: the scenario is invalid; nothing served", file=sys.stderr)
            return EXIT_INVALID_SCENARIO
        except CannotBind as error:
            print(f"mockserver: error: {error}", file=sys.stderr)
            return EXIT_CANNOT_BIND
        except WorkersFailed as error:
            print(f"mockserver: error: {error}", file=sys.stderr)
            return EXIT_WORKERS_FAILED
        except ValueError as error:
            print(f"mockserver: error: {error}", file=sys.stderr)
            return EXIT_BAD_FLAG
        return EXIT_OK
    if args.command == "validate":
        return validate(args.files)
    if args.command == "scenarios":
        return list_scenarios({"scenarios_dir": args.scenarios_dir})
    if args.command == "routes":
        flags = {"upstream": args.upstream, "upstream_writes": args.upstream_writes}
        return list_routes(flags, args.json)
    if args.command == "record":
        return record_cli.main(args)
    if args.command == "drift":
        return drift_cli.main(args)
    parser.error(f"unknown command {args.command!r}")
    return EXIT_BAD_FLAG


if __name__ == "__main__":
    sys.exit(main())
