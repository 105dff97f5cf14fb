"""Tune one prompt run; writes every step checkpoint and the training history.

snakemake.input.model (model JSON), snakemake.input.train (train split),
snakemake.wildcards.dataset / seed, snakemake.params.steps, snakemake.output.prompts
(checkpoints in step order) / history, threads.
"""

from pathlib import Path

from prompt_recycling.jobs import train_prompts
from prompt_recycling.smk import logged

sm = snakemake  # noqa: F821
with logged(sm):
    train_prompts(
        sm.config,
        sm.input.model,
        str(Path(sm.input.train).parent),
        sm.wildcards.dataset,
        int(sm.wildcards.seed),
        list(sm.params.steps),
        list(sm.output.prompts),
        sm.output.history,
        sm.threads,
    )
