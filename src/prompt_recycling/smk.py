"""Helpers for the thin ``workflow/scripts`` adapters."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator


@contextlib.contextmanager
def logged(snakemake) -> Iterator[None]:
    """Send stdout and stderr of the job (progress bars included) to its ``log:`` file."""
    path = snakemake.log[0] if snakemake.log else None
    if path is None:
        yield
        return
    started = _process_age()
    begin = time.perf_counter()
    with (
        open(path, "w", buffering=1) as log,
        contextlib.redirect_stdout(log),
        contextlib.redirect_stderr(log),
    ):
        try:
            yield
        except Exception as exc:
            print(f"error: {exc}", file=sys.stderr)
            raise
        print(f"timing: start-up {started:.2f} s, job {time.perf_counter() - begin:.2f} s")


def _process_age() -> float:
    """Seconds since this process started (interpreter start and imports so far)."""
    try:
        with open("/proc/self/stat") as f:
            start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")
