"""``mockserver serve | validate``: the command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

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
            metavar=option.name.upper(),
            help=f"{option.help} (default: {default[option.name]!r}; env {option.env})",
        )
    return parser


def serve(settings: Settings) -> None:
    import uvicorn

    from .app import create_app
    from .datagen import generate
    from .serving import uvicorn_config

    dataset = generate(settings.seed, settings.customers, settings.invoices)
    app = create_app(settings, dataset=dataset)
    print(
        f"mockserver: {settings.customers} customers, {settings.invoices} invoices "
        f"(seed {settings.seed}) on http://{settings.host}:{settings.port}{settings.base_path}",
        file=sys.stderr,
        flush=True,
    )
    uvicorn.Server(uvicorn_config(app, settings)).run()


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
        except ValueError as error:
            print(f"mockserver: error: {error}", file=sys.stderr)
            return 2
        return 0
    parser.error(f"unknown command {args.command!r}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
