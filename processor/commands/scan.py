"""`vendor-errors scan` (placeholder until its issue lands)."""

from __future__ import annotations

import argparse
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("scan", help="not yet available")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    print("vendor-errors scan: not implemented yet", file=sys.stderr)
    return 2
