"""Evaluate a model's own tuned prompts at every step (test, and validation for convergence).

snakemake.input.model / data / prompts; snakemake.params.steps / validation; snakemake.output[0].
"""

from pathlib import Path

from prompt_recycling.jobs import evaluate_tuned
from prompt_recycling.smk import logged

sm = snakemake  # noqa: F821
with logged(sm):
    evaluate_tuned(
        sm.config,
        sm.wildcards.dataset,
        sm.input.model,
        int(sm.wildcards.seed),
        str(Path(sm.input.data).parent),
        list(sm.input.prompts),
        sm.params.steps,
        sm.output[0],
        validation=bool(sm.params.validation),
        threads=sm.threads,
    )
