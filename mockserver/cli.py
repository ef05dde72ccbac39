"""``mockserver serve | validate``: the command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .scenarios import ScenarioError
from .settings import OPTIONS, Settings, SettingsError, defaults, from_sources


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mockserver",
        description="A mock of a Finnish ERP's REST API (customers and sales invoices).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser("serve", help="serve the mock API")
    default = defaults()
    for option in OPTIONS:
        serve.add_argument(
            option.flag,
            dest=option.name,
            default=None,
            action="append" if option.repeatable else "store",
            metavar=option.name.upper(),
            help=f"{option.help} (default: {default[option.name]!r}; env {option.env})",
        )
    validate = commands.add_parser(
        "validate",
        help="check scenario files without serving",
        description="Check scenario files (each on its own, records against the data they "
        "would be laid over) and print every problem as FILE:LINE:COLUMN: message. "
        "Exit status 1 if any file has a problem.",
    )
    validate.add_argument("files", nargs="+", metavar="FILE", help="a scenario file")
    return parser


def serve(settings: Settings) -> None:
    import uvicorn
    from starlette.applications import Starlette

    from .app import create_app
    from .scenarios import load_startup
    from .serving import Loading, run, settle_heap, uvicorn_config

    startup = load_startup(settings)  # ScenarioError here: an invalid one never opens the socket
    failures: list[BaseException] = []

    def ready(app: Starlette) -> None:
        settle_heap()
        dataset = app.state.mock.store.dataset
        print(
            f"mockserver: {len(dataset.customers)} customers, {len(dataset.invoices)} invoices "
            f"(seed {dataset.seed}) on http://{settings.host}:{settings.port}{settings.base_path}",
            file=sys.stderr,
            flush=True,
        )

    def failed(error: BaseException) -> None:
        failures.append(error)
        server.should_exit = True

    # The socket opens at once and answers 503 until the data are generated (serving.Loading).
    loading = Loading(lambda: create_app(settings, startup=startup), ready, failed)
    server = uvicorn.Server(uvicorn_config(loading, settings))
    loading.start()
    run(server)
    if failures:
        raise failures[0]


def validate(files: Sequence[str]) -> int:
    """Print every problem of each file (or ``FILE: ok``); 1 if any file has one. Records are
    checked against the data of the file's seed and size, defaulting to the settings of the
    ``MOCKSERVER_*`` variables."""
    from .scenarios import check_data, load_files

    try:
        settings = from_sources({})
    except SettingsError as error:
        print(f"mockserver: error: {error}", file=sys.stderr)
        return 2
    failed = False
    for file in files:
        try:
            check_data(settings, load_files([file]))
        except ScenarioError as error:
            failed = True
            for problem in error.problems:
                print(problem)
        else:
            print(f"{file}: ok")
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "serve":
        try:
            settings = from_sources(vars(args))
        except SettingsError as error:
            print(f"mockserver: error: {error}", file=sys.stderr)
            return 2
        try:
            serve(settings)
        except ScenarioError as error:
            for problem in error.problems:
                print(problem, file=sys.stderr)
            print("mockserver: error: the scenario is invalid; nothing served", file=sys.stderr)
            return 1
        except ValueError as error:
            print(f"mockserver: error: {error}", file=sys.stderr)
            return 2
        return 0
    if args.command == "validate":
        return validate(args.files)
    parser.error(f"unknown command {args.command!r}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
