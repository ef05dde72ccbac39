"""The ``mockserver drift`` command line: its flags, help and exit codes. What it does is
``drift``'s (imported only when the command runs: serving never loads httpx for it)."""

from __future__ import annotations

import argparse
import os
import sys
import textwrap

DRIFT_EXIT_CODES = """\
exit status:
  0  no difference
  1  differences found (the table on stdout; --json FILE for machines)
  2  the battery cannot run (credentials missing, the upstream or mock unreachable)"""


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "drift",
        help="compare the mock with the real API, read-only",
        description=textwrap.fill(
            "Send the same read-only battery (list pages, every filter, one record "
            "of each resource, a missing id, malformed input, no or an invalid session) to the "
            "real API and to the mock, and report what a client could notice: statuses, fields "
            "at every depth, JSON types, nullability, date-time forms, error bodies, headers. "
            "Never values. Only GET requests (and one login each) are sent. Credentials come "
            "from MOCKSERVER_UPSTREAM_USERNAME, _PASSWORD, _DATABASE and _APIKEY. "
            "See docs/drift.md.",
            width=88,
        ),
        epilog=DRIFT_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--upstream",
        default=None,
        metavar="URL",
        help="base URL of the real API with its prefix, e.g. https://erp.example.fi/Lemonsoft30 "
        "(default: env MOCKSERVER_UPSTREAM)",
    )
    parser.add_argument(
        "--mock",
        default=None,
        metavar="URL",
        help="a running mock's base URL (default: one started here, --auth required)",
    )
    parser.add_argument(
        "--json", dest="json_file", default=None, metavar="FILE", help="also write JSON here"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="seconds each request may take (default: 10)",
    )


def main(args: argparse.Namespace) -> int:
    upstream = args.upstream or os.environ.get("MOCKSERVER_UPSTREAM", "")
    if not upstream:
        print("mockserver drift: cannot run: give --upstream URL", file=sys.stderr)
        return 2
    from .drift import command

    return command(upstream, args.mock, args.json_file, args.timeout)
