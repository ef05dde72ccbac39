"""``mockserver record``'s command line: its flags, help and exit codes.

Kept apart from ``record`` so that building the parser for another command imports no HTTP
client; the recording itself is ``record``'s business. Credentials come only from the
``MOCKSERVER_UPSTREAM_*`` variables: a flag would show a password in the process list.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_INVALID, EXIT_BAD_FLAG, EXIT_UPSTREAM = 0, 1, 2, 3
EXIT_CODES = """\
credentials: MOCKSERVER_UPSTREAM_USERNAME, MOCKSERVER_UPSTREAM_PASSWORD,
  MOCKSERVER_UPSTREAM_DATABASE and MOCKSERVER_UPSTREAM_APIKEY (never written anywhere).
Only GET requests (and the login) are sent upstream.

exit status:
  0  recorded: DIR/scenario.yaml is ready for mockserver serve --scenario
  1  recorded, but the mock's scenario loader finds problems in it (printed)
  2  a bad flag, missing credentials, or an --out folder that is not a recording
  3  the upstream failed (cannot connect, timeout, TLS, login refused, a bad answer)"""


def add_parser(commands: Any) -> None:
    """The ``record`` subcommand on ``commands`` (argparse's subparsers)."""
    parser = commands.add_parser(
        "record",
        help="record an upstream ERP's customers and invoices as a scenario",
        description="Page through the upstream's customers and their invoices as a real client "
        "does and write them as a scenario (DIR/scenario.yaml, records in replace mode, and "
        "its record files). Personal data are anonymized by default: replaced by generated "
        "Finnish values that stay valid and consistent, the same for the same --seed. Ids, "
        "numbers, dates, amounts, VAT rates and references stay exactly as recorded.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--upstream",
        metavar="URL",
        default=None,
        help="the upstream API's base URL with its prefix, e.g. "
        "https://erp.example.fi/Lemonsoft30 (default: MOCKSERVER_UPSTREAM)",
    )
    parser.add_argument("--out", metavar="DIR", required=True, help="folder to write into")
    parser.add_argument(
        "--seed", type=int, default=1, help="seed of the anonymization (default: 1)"
    )
    parser.add_argument(
        "--customers", type=int, metavar="N", help="record only the first N customers"
    )
    parser.add_argument(
        "--modified-after", metavar="DATE", help="only customers modified after DATE"
    )
    parser.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a customer list filter (repeatable), e.g. --filter is_customer=1",
    )
    parser.add_argument(
        "--invoice-filter",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an invoice list filter (repeatable), e.g. --invoice-filter "
        "invoice_date_after=2024-01-01",
    )
    parser.add_argument(
        "--keep-companies",
        action="store_true",
        help="keep company names, business ids, VAT numbers and their domains",
    )
    parser.add_argument(
        "--keep-personal-data",
        action="store_true",
        help="do not anonymize at all (the files hold personal data: a warning says so)",
    )
    parser.add_argument(
        "--details",
        choices=("auto", "always", "never"),
        default="auto",
        help="fetch each record on its own: auto (when the lists leave fields out), "
        "always, never (default: auto)",
    )
    parser.add_argument(
        "--page-size", type=int, default=100, metavar="N", help="page size (default: 100)"
    )
    parser.add_argument(
        "--no-check",
        dest="check",
        action="store_false",
        help="do not load the recording with the mock's scenario loader once written "
        "(that check takes about as long as serving it would take to start)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="timeout of each upstream request (default: 10)",
    )


def main(args: argparse.Namespace) -> int:
    from .record import (
        RecordError,
        RecordOptions,
        check_date,
        check_filter,
        run,
        summary,
    )
    from .upstream import Credentials, UpstreamConfigError, UpstreamError

    def fail(message: str, status: int) -> int:
        print(f"mockserver: error: {message}", file=sys.stderr)
        return status

    upstream = args.upstream or os.environ.get("MOCKSERVER_UPSTREAM", "")
    if not upstream:
        return fail("record needs --upstream URL (or MOCKSERVER_UPSTREAM)", EXIT_BAD_FLAG)
    for name in ("customers", "page_size"):
        value = getattr(args, name)
        if value is not None and value < 1:
            flag = "--" + name.replace("_", "-")
            return fail(f"{flag} must be 1 or more, not {value}", EXIT_BAD_FLAG)
    if not args.timeout > 0:
        return fail(f"--timeout must be positive, not {args.timeout}", EXIT_BAD_FLAG)
    try:
        options = RecordOptions(
            upstream=upstream,
            out=Path(args.out),
            seed=args.seed,
            customers=args.customers,
            modified_after=(
                check_date(args.modified_after) if args.modified_after is not None else None
            ),
            filters=tuple(check_filter(text, "--filter") for text in args.filter),
            invoice_filters=tuple(
                check_filter(text, "--invoice-filter") for text in args.invoice_filter
            ),
            anonymize=not args.keep_personal_data,
            keep_companies=args.keep_companies,
            page_size=args.page_size,
            details=args.details,
            timeout_s=args.timeout,
            check=args.check,
        )
        credentials = Credentials.from_env()
        recording = run(options, credentials)
    except (RecordError, UpstreamConfigError) as error:
        return fail(str(error), EXIT_BAD_FLAG)
    except UpstreamError as error:
        return fail(f"the upstream failed ({error.kind}): {error.message}", EXIT_UPSTREAM)
    except KeyboardInterrupt:
        return fail("interrupted; nothing was written", EXIT_UPSTREAM)
    for line in summary(recording, options):
        print(line, file=sys.stderr)
    if recording.problems:
        for problem in recording.problems:
            print(problem, file=sys.stderr)
        return fail(
            "the recording was written, but the mock cannot serve it as it is (above)",
            EXIT_INVALID,
        )
    return EXIT_OK
