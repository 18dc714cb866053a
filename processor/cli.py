"""`vendor-errors`: the command line. Each sub-command lives in processor/commands/."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from vendor_errors.processor import __version__

# Imported lazily so `vendor-errors scan` does not pay for Kafka and OpenTelemetry imports.
COMMANDS = ("scan", "run", "catalog")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vendor-errors",
        description=(
            "Find the error codes that messaging vendors (Dynamics 365, Salesforce, Pipedrive, "
            "8x8, Webex Connect) return, in application logs; say which vendor, which code, "
            "and whether retrying will help."
        ),
        epilog="Run 'vendor-errors COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        module = importlib.import_module(f"vendor_errors.processor.commands.{name}")
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `vendor-errors scan ... | head`: the reader left; that is not an error.
        sys.stderr.close()
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
