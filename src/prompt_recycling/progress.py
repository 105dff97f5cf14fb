"""Progress bars for terminals and for logs.

On a terminal a bar redraws in place (tqdm). Anywhere else (a Snakemake job's log, a SLURM
output file, a pipe) a redrawn bar would pile up carriage returns and escape codes on one line,
so the bar prints plain lines instead: one at most every ``LOG_INTERVAL`` seconds and one at
the end. Torch-free; tqdm is imported when a bar is made.
"""

from __future__ import annotations

import re
import sys

LOG_INTERVAL = 30.0  # seconds between two lines of a bar in a log
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class _Lines:
    """A file for tqdm that turns each redraw into a line: no carriage returns, no escape
    codes, no blank lines."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text: str) -> None:
        for part in _ANSI.sub("", text).replace("\r", "\n").split("\n"):
            if part.strip():
                self.stream.write(part.rstrip() + "\n")

    def flush(self) -> None:
        self.stream.flush()


def bar(iterable=None, desc: str | None = None, *, stream=None, **options):
    """A tqdm bar on ``stream`` (default stderr): redrawn in place on a terminal, plain lines
    every :data:`LOG_INTERVAL` seconds elsewhere. ``options`` go to tqdm."""
    from tqdm.auto import tqdm

    stream = sys.stderr if stream is None else stream
    if not (hasattr(stream, "isatty") and stream.isatty()):
        options.update(
            file=_Lines(stream),
            mininterval=max(options.get("mininterval", 0.0), LOG_INTERVAL),
            maxinterval=2 * LOG_INTERVAL,
            ascii=True,
            ncols=100,
            dynamic_ncols=False,
        )
    else:
        options.setdefault("file", stream)
    return tqdm(iterable, desc=desc, **options)
