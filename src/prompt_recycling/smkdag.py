"""A grid's jobs as Snakemake plans them, read from its DAG object rather than from printed text.

``python -m prompt_recycling.smkdag OUT.json [snakemake arguments]`` runs Snakemake's own
command line (so every argument a user gives ``snakemake`` means what it means there: a
profile, ``--configfile``, targets) in its ``--dag`` mode, which builds the DAG without taking
the lock or running anything, and writes, instead of the DOT graph, every job of the DAG as
JSON: ``{"rule", "outputs", "inputs", "needrun"}``. ``needrun`` is Snakemake's own decision
(a missing or older output, changed params, code or inputs); jobs already done are in the DAG
too, so one call gives the whole grid and what is left of it. Torch-free; it touches one
internal of Snakemake (the workflow's DAG, built by ``printdag``), so a Snakemake that changes it
fails here loudly instead of being misread.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def jobs_of(dag) -> list[dict]:
    """Every job of a built Snakemake DAG: rule, outputs, inputs and whether it needs to run."""
    return [
        {
            "rule": job.rule.name,
            "outputs": [str(f) for f in job.output],
            "inputs": [str(f) for f in job.input],
            "needrun": bool(dag.needrun(job)),
        }
        for job in dag.jobs
    ]


def main(argv: list[str]) -> None:
    from snakemake import cli
    from snakemake.workflow import Workflow

    out, args = Path(argv[0]), argv[1:]

    def write_jobs(workflow) -> None:  # in place of printing the DOT graph
        workflow._prepare_dag(forceall=False, ignore_incomplete=True, lock_warn_only=True)
        workflow._build_dag()
        tmp = out.with_name(out.name + ".part")
        tmp.write_text(json.dumps(jobs_of(workflow.dag)))
        tmp.replace(out)

    Workflow.printdag = write_jobs
    cli.main([*args, "--dag", "--nolock"])


if __name__ == "__main__":
    main(sys.argv[1:])
