"""`vendor-errors run` (placeholder until its issue lands)."""

from __future__ import annotations

import argparse
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("run", help="not yet available")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    print("vendor-errors run: not implemented yet", file=sys.stderr)
    return 2
