"""`vendor-errors`: the command line. Each sub-command lives in processor/commands/."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any

from vendor_errors.catalog.model import VENDORS
from vendor_errors.processor import __version__
from vendor_errors.processor.suggestions import closest, did_you_mean

# Imported lazily so `vendor-errors scan` does not pay for Kafka and OpenTelemetry imports.
COMMANDS = ("scan", "run", "catalog")

# Shell functions the completion scripts call for values that are not files (see scan's
# --vendor). The list is the catalog's closed set of vendors.
_COMPLETION_PREAMBLE = {
    "bash": f'_vendor_errors_vendors() {{\n  compgen -W "{" ".join(VENDORS)}" -- "$1"\n}}\n',
}

# The shells the README documents, all in shtab.SUPPORTED_SHELLS (a test holds them there).
SHELLS = ("bash", "zsh", "tcsh")

EPILOG = """\
Run 'vendor-errors COMMAND --help' for a command's options.
Tab completion: vendor-errors --print-completion bash|zsh|tcsh (see the README).
"""


class PrintCompletion(argparse.Action):
    """`--print-completion SHELL`, as `shtab.add_argument_to` makes it, with shtab imported only
    when it is used: its imports (importlib.metadata, email, zipfile, logging, OpenSSL) cost
    every other command ~9 MiB of resident memory."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        import shtab

        print(shtab.complete(parser, values, preamble=_COMPLETION_PREAMBLE.get(values, "")))
        parser.exit(0)


class Parser(argparse.ArgumentParser):
    """argparse with 'did you mean ...?' for a mistyped choice or sub-command.

    (Python 3.14's `suggest_on_error` does this for choices; on 3.11 it is done here.)"""

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        try:
            super()._check_value(action, value)  # type: ignore[misc]
        except argparse.ArgumentError as exc:
            choices = [str(choice) for choice in action.choices or ()]
            hint = did_you_mean(str(value), choices)
            if not hint:
                raise
            raise argparse.ArgumentError(action, f"{exc.message}{hint}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="vendor-errors",
        description=(
            "Find the error codes that messaging vendors (Dynamics 365, Salesforce, Pipedrive, "
            "8x8, Webex Connect) return, in application logs; say which vendor, which code, "
            "and whether retrying will help."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--print-completion",
        choices=SHELLS,
        action=PrintCompletion,
        help="print the shell's tab-completion script and exit",
    )
    # Not required here: a missing command is reported in main(), after unknown options (a
    # mistyped `--version` should be suggested, not drowned by "COMMAND is required").
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"vendor_errors.processor.commands.{name}")
        module.add_parser(sub)
    return parser


def _chosen(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    """The innermost (sub-)parser the command line chose: `vendor-errors catalog show` ->
    the parser of `show`."""
    while True:
        subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subparsers:
            return parser
        name = getattr(args, subparsers[0].dest, None)
        if name not in subparsers[0].choices:
            return parser
        parser = subparsers[0].choices[name]


def _options(parser: argparse.ArgumentParser) -> list[str]:
    return [option for action in parser._actions for option in action.option_strings]


def parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """`parser.parse_args`, but an unknown option gets the closest known one suggested."""
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        chosen = _chosen(parser, args)
        hints = {}
        for word in unknown:
            if word.startswith("-") and word != "-":
                match = closest(word.split("=", 1)[0], _options(chosen))
                if match is not None:
                    hints[word] = match
        if len(hints) == 1:
            more = f" (did you mean {next(iter(hints.values()))}?)"
        else:
            more = "".join(f"; {word}: did you mean {match}?" for word, match in hints.items())
        chosen.error(f"unrecognized arguments: {' '.join(unknown)}{more}")
    if args.command is None:
        parser.error(f"a COMMAND is required: one of {', '.join(COMMANDS)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parse(parser, argv)
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
