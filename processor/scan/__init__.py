"""The parts of `vendor-errors scan` (processor/commands/scan.py holds the command itself).

options: argument types and their checks; selection: which events the user asked for;
summary: what the table counts; table: the table; follow: `--follow`, reading files as they
grow; output: `--output FILE`, written atomically.
"""
