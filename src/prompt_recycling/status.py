"""How far a grid is: jobs per stage done, running and left, and a rough time left.

Snakemake decides: its DAG of the grid (:mod:`.smkdag`) holds every job, each with its
outputs, inputs and whether Snakemake would run it (a changed config included); the outputs
of jobs running now (or killed) carry an ``incomplete`` record under ``.snakemake/``; the
benchmark files of finished jobs give each rule's mean seconds per job. No lock is taken: a
running grid is left alone. The outputs of the jobs Snakemake takes as done are read for
damage (:mod:`.damage`): a missing or cut-short intermediate file goes unnoticed by Snakemake
while what is made from it exists; ``--forcerun`` on those files reruns their jobs and
everything downstream. Torch-free.
"""

from __future__ import annotations

import base64
import csv
import heapq
import json
import shlex
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import NamedTuple

from prompt_recycling.damage import damaged_outputs
from prompt_recycling.errors import RecyclingError

STAGES = (  # rule -> stage, in the order a grid runs
    ("fetch_model", "fetch"),
    ("prepare_data", "fetch"),
    ("train_prompts", "prompts"),
    ("describe_pair", "recyclers"),
    ("fit_recyclers", "recyclers"),
    ("evaluate_baseline", "evaluations"),
    ("evaluate_tuned", "evaluations"),
    ("evaluate_recycled", "evaluations"),
    ("aggregate", "report"),
    ("analyse", "report"),
    ("figures", "report"),
    ("write_report", "report"),
    ("publish", "report"),
)


class Job(NamedTuple):
    """One job of the grid's DAG: its rule, outputs and inputs."""

    rule: str
    outputs: list[str]
    inputs: list[str]


def dag_jobs(snakemake_args: list[str], workdir: str | Path = ".") -> list[dict]:
    """Every job of the grid's DAG as Snakemake builds it for these arguments, each with
    Snakemake's own ``needrun`` (:mod:`prompt_recycling.smkdag`), taking no lock."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "jobs.json"
        cmd = [sys.executable, "-m", "prompt_recycling.smkdag", str(out), "--cores", "1"]
        cmd += snakemake_args  # the user's last: theirs win
        done = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=600)
        if not out.exists():  # Snakemake's own message, from its first error line on
            lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
            first = next((i for i, x in enumerate(lines) if "Error" in x or "Exception" in x), -1)
            why = "\n".join(lines[first:][:8]) if lines else "?"
            raise RecyclingError(f"snakemake could not plan the grid: {why}")
        return json.loads(out.read_text())


def done_outputs(every: list[Job], pending: list[Job]) -> list[str]:
    """Outputs of the jobs of ``every`` that ``pending`` (what is left) does not list: the
    files Snakemake takes as done, in order, each once."""
    left = {out for job in pending for out in job.outputs}
    return list(dict.fromkeys(out for job in every for out in job.outputs if out not in left))


def grid_state(
    snakemake_args: list[str], workdir: str | Path = "."
) -> tuple[dict[str, int], list[Job], list[tuple[str, str]]]:
    """Every job per rule, the jobs left (rule, outputs), and the damaged outputs of the jobs
    done (``(path, why)``), from Snakemake's DAG and a read of those outputs. A job is left
    when Snakemake would run it or an output of it is incomplete (running now, or killed)."""
    incomplete = incomplete_outputs(workdir)
    jobs = dag_jobs(snakemake_args, workdir)
    every = [Job(j["rule"], j["outputs"], j["inputs"]) for j in jobs]
    pending = [
        job
        for job, j in zip(every, jobs, strict=True)
        if j["needrun"] or incomplete & set(job.outputs)
    ]
    damaged = damaged_outputs(done_outputs(every, pending), workdir)
    return dict(Counter(job.rule for job in every)), pending, damaged


def repair_command(damaged: list[str], snakemake_args: list[str], dry: bool = False) -> list[str]:
    """``snakemake`` rerunning the jobs that write ``damaged`` and everything downstream of
    them, nothing else. The user's arguments come first: targets among them are not taken
    for ``--forcerun``'s files."""
    cmd = [sys.executable, "-m", "snakemake", *snakemake_args, *(["-n"] if dry else [])]
    return [*cmd, "--forcerun", *damaged]


def repair_hint(snakemake_args: list[str], workdir: str | Path = ".") -> str:
    """The ``prompt-recycle repair`` command for the grid that status was asked about."""
    where = [] if str(workdir) == "." else ["--directory", str(workdir)]
    return shlex.join(
        ["prompt-recycle", "repair", *where, *(["--", *snakemake_args] if snakemake_args else [])]
    )


def damaged_section(damaged: list[tuple[str, str]], repair: str, show: int = 10) -> str:
    """The damaged outputs (the first ``show``) and the command that reruns their jobs."""
    lines = [f"damaged: {len(damaged)} output(s) of jobs done; the grid is not complete"]
    lines += [f"  {path}: {why}" for path, why in damaged[:show]]
    if len(damaged) > show:
        lines.append(f"  ... and {len(damaged) - show} more")
    lines.append(f"repair (reruns their jobs and what depends on them): {repair}")
    return "\n".join(lines)


def incomplete_outputs(workdir: str | Path = ".") -> set[str]:
    """Outputs of jobs that started and did not finish (running now, or killed)."""
    root = Path(workdir) / ".snakemake" / "incomplete"
    out = set()
    for f in root.rglob("*") if root.is_dir() else []:
        if f.is_file():
            code = "".join(part.removeprefix("@") for part in f.relative_to(root).parts)
            try:
                out.add(base64.urlsafe_b64decode(code).decode())
            except (ValueError, UnicodeDecodeError):
                continue
    return out


def seconds_per_job(workdir: str | Path = ".", run: str | None = None) -> dict[str, float]:
    """Mean wall seconds of a finished job, per rule, from its benchmark files:
    ``benchmarks/<rule>/...`` (shared resources) and ``benchmarks/<run>/<rule>/...`` (a run's
    jobs; with ``run``, that run's only: another run's models may be larger or smaller)."""
    rules = {rule for rule, _ in STAGES}
    times = defaultdict(list)
    root = Path(workdir) / "benchmarks"
    for f in root.rglob("*.tsv"):
        parts = f.relative_to(root).parts
        if parts[0] in rules:
            rule = parts[0]
        elif len(parts) > 2 and parts[1] in rules and run in (None, parts[0]):
            rule = parts[1]
        else:
            continue
        rows = list(csv.DictReader(f.open(), delimiter="\t"))
        times[rule] += [float(r["s"]) for r in rows if r.get("s")]
    return {rule: sum(v) / len(v) for rule, v in times.items() if v}


def run_of(jobs: list[Job]) -> str | None:
    """The run the jobs belong to: the folder under ``results/`` their outputs are in."""
    for job in jobs:
        for out in job.outputs:
            parts = Path(out).parts
            if len(parts) > 2 and parts[0] == "results":
                return parts[1]
    return None


def job_states(
    every: dict[str, int], pending: list[Job], incomplete: set[str]
) -> dict[str, dict[str, int]]:
    """Per rule: jobs ``done`` (not pending), ``running`` (pending, an output incomplete) and
    ``left``; ``every``: all jobs per rule, ``pending``: what a dry run would still run."""
    running = Counter(job.rule for job in pending if incomplete & set(job.outputs))
    todo = Counter(job.rule for job in pending)
    return {
        rule: {
            "done": n - todo[rule],
            "running": running[rule],
            "left": todo[rule] - running[rule],
        }
        for rule, n in every.items()
        if rule != "all"  # the default target, not a job
    }


def time_left(pending: list[Job], seconds: dict[str, float], cores: int) -> float:
    """Seconds until the ``pending`` jobs are done on ``cores`` job slots, each job taking its
    rule's mean seconds (0 for a rule with no finished job yet) and starting once the jobs
    that write its inputs are done: a list schedule, the job with the longest chain after it
    first. Jobs running now are taken as starting now."""
    writer = {out: i for i, job in enumerate(pending) for out in job.outputs}
    after = [set() for _ in pending]  # the jobs waiting on each job
    waits = [0] * len(pending)
    for i, job in enumerate(pending):
        for j in {writer[x] for x in job.inputs if x in writer} - {i}:
            after[j].add(i)
            waits[i] += 1
    took = [seconds.get(job.rule, 0.0) for job in pending]
    chain = [0.0] * len(pending)  # a job's own time plus the longest chain after it
    for i in reversed(_topological(after, list(waits))):
        chain[i] = took[i] + max((chain[k] for k in after[i]), default=0.0)
    ready = [(-chain[i], i) for i in range(len(pending)) if not waits[i]]
    heapq.heapify(ready)
    running, now, free = [], 0.0, max(cores, 1)
    while ready or running:
        while ready and free:
            _, i = heapq.heappop(ready)
            heapq.heappush(running, (now + took[i], i))
            free -= 1
        now, i = heapq.heappop(running)
        free += 1
        for k in after[i]:
            waits[k] -= 1
            if not waits[k]:
                heapq.heappush(ready, (-chain[k], k))
    return now


def _topological(after: list[set[int]], waits: list[int]) -> list[int]:
    order = [i for i, w in enumerate(waits) if not w]
    for i in order:  # grows while it is read
        for k in after[i]:
            waits[k] -= 1
            if not waits[k]:
                order.append(k)
    return order


def status_table(
    states: dict[str, dict[str, int]],
    seconds: dict[str, float],
    cores: int,
    damaged: list[tuple[str, str]] = (),
    repair: str = "prompt-recycle repair",
    left_s: float | None = None,
) -> str:
    """The stages as a table, with a rough time left (``left_s``: :func:`time_left`; without
    it, the jobs' mean seconds spread over ``cores``; stages with no finished job yet:
    unknown), then the ``damaged`` outputs with the ``repair`` command: the grid is not
    complete while any is."""
    order = [rule for rule, _ in STAGES] + sorted(set(states) - {r for r, _ in STAGES})
    stage_of = dict(STAGES)
    lines = ["stage        rule                 done  running  left", "-" * 54]
    totals = {"done": 0, "running": 0, "left": 0}
    spread, unknown = 0.0, []
    for rule in order:
        if rule not in states:
            continue
        s = states[rule]
        for k in totals:
            totals[k] += s[k]
        stage = stage_of.get(rule, "-")
        lines.append(f"{stage:12} {rule:20} {s['done']:4d} {s['running']:8d} {s['left']:5d}")
        pending = s["left"] + s["running"]
        if pending:
            if rule in seconds:
                spread += pending * seconds[rule] / max(cores, 1)
            else:
                unknown.append(rule)
    lines.append("-" * 54)
    lines.append(
        f"{'all':12} {'':20} {totals['done']:4d} {totals['running']:8d} {totals['left']:5d}"
    )
    if totals["left"] + totals["running"]:
        left = spread if left_s is None else left_s
        eta = f"about {left / 60:.0f} min on {cores} core(s)"
        lines.append(
            f"time left: {eta}"
            + (f", plus {', '.join(unknown)} (no finished job yet)" if unknown else "")
        )
    elif not damaged:
        lines.append("the grid is complete")
    if damaged:
        lines.append(damaged_section(list(damaged), repair))
    return "\n".join(lines)
