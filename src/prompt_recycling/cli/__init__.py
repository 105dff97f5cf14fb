"""``prompt-recycle``: the command-line interface.

Every failure that is the user's input is one line ``prompt-recycle: error: ...`` on stderr and
exit code 2, raised before anything is written: argparse errors (with ranges checked by the
argument types of :mod:`.inputs`), the package's own :class:`RecyclingError`, and the exception
types in which libraries report unreadable input (:func:`prompt_recycling.errors.bad_input_message`,
the one place that maps them). Any other exception is a bug and keeps its traceback. Subcommands:
:mod:`.commands` (recycle, fetch-model, prepare-data, demo), :mod:`.tuning` (tune, evaluate),
:mod:`.grid` (status, repair); :mod:`.outputs` says where a command may write.
"""

from __future__ import annotations

import argparse

from prompt_recycling import __version__
from prompt_recycling.cli.commands import add_demo, add_fetch, add_recycle
from prompt_recycling.cli.grid import add_repair, add_status
from prompt_recycling.cli.tuning import add_evaluate, add_tune
from prompt_recycling.errors import bad_input_message

PROG = "prompt-recycle"


class _Parser(argparse.ArgumentParser):
    """argparse whose usage errors are one line too (the usage is one ``--help`` away)."""

    def error(self, message: str):
        self.exit(2, f"{PROG}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Recycle soft prompts between frozen models.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    add_recycle(sub)
    add_tune(sub)
    add_evaluate(sub)
    add_fetch(sub)
    add_demo(sub)
    add_status(sub)
    add_repair(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        args.run(args)
    except Exception as exc:
        message = bad_input_message(exc)
        if message is None:
            raise  # a bug: keep the traceback
        parser.exit(2, f"{PROG}: error: {message}\n")
    return 0
