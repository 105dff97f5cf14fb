"""The ``status`` and ``repair`` subcommands: a grid's progress, and its damaged outputs rerun."""

from __future__ import annotations

import os
import shlex
import subprocess

from prompt_recycling.cli.inputs import check_input, int_at_least

SNAKEMAKE_ARGS = "Arguments after -- go to Snakemake (e.g. -- --configfile config/cpu-full.yaml)."


def _grid_arguments(p) -> None:
    """What status and repair both take: the grid's folder and Snakemake's arguments."""
    p.add_argument("--directory", default=".", help="the grid's working folder (default: here)")
    p.add_argument("snakemake_args", nargs="*", metavar="SNAKEMAKE_ARG")


def add_status(sub) -> None:
    p = sub.add_parser(
        "status",
        help="how far a grid is: jobs per stage done, running and left, and time left",
        description="Asks Snakemake (its DAG of the grid, no lock: a running grid is left alone) "
        "in the grid's folder and prints, per stage, the jobs done, running and left, with a rough "
        "time left from the finished jobs' benchmarks, then the outputs of the jobs done that "
        "are missing, empty or cut short (which Snakemake does not notice) and the repair "
        "command. " + SNAKEMAKE_ARGS,
    )
    _grid_arguments(p)
    p.add_argument(
        "--cores",
        type=int_at_least(1),
        default=os.cpu_count() or 1,
        help="cores the rest runs on, for the time left (default: this machine's)",
    )
    p.set_defaults(run=_run_status)


def _run_status(args) -> None:
    from prompt_recycling import status

    check_input("--directory", args.directory, "folder")
    every, pending, damaged = status.grid_state(args.snakemake_args, args.directory)
    states = status.job_states(every, pending, status.incomplete_outputs(args.directory))
    seconds = status.seconds_per_job(args.directory, status.run_of(pending))
    repair = status.repair_hint(args.snakemake_args, args.directory)
    left = status.time_left(pending, seconds, args.cores)
    print(status.status_table(states, seconds, args.cores, damaged, repair, left))


def add_repair(sub) -> None:
    p = sub.add_parser(
        "repair",
        help="rerun the jobs whose outputs are missing, empty or cut short, and what follows",
        description="Finds, as status does, the outputs of the jobs Snakemake takes as done "
        "that are missing, empty or unreadable (a deleted or truncated intermediate file goes "
        "unnoticed by Snakemake while what is made from it exists) and runs snakemake "
        "--forcerun on them: their jobs and everything downstream rerun, nothing else. Give "
        "the arguments the grid runs with (--profile, --configfile, --cores...). " + SNAKEMAKE_ARGS,
    )
    _grid_arguments(p)
    p.add_argument(
        "-n", "--dry-run", action="store_true", help="pass -n to Snakemake: show the plan only"
    )
    p.set_defaults(run=_run_repair)


def _run_repair(args) -> None:
    from prompt_recycling import status

    check_input("--directory", args.directory, "folder")
    _, _, damaged = status.grid_state(args.snakemake_args, args.directory)
    if not damaged:
        print("nothing is damaged: no job to rerun")
        return
    for path, why in damaged:
        print(f"damaged: {path}: {why}")
    cmd = status.repair_command([p for p, _ in damaged], args.snakemake_args, args.dry_run)
    print(f"running: {shlex.join(cmd)}", flush=True)
    done = subprocess.run(cmd, cwd=args.directory)
    if done.returncode:
        raise SystemExit(done.returncode)
