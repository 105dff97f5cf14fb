"""Tune one prompt run; writes every step checkpoint.

snakemake.input.model (model JSON), snakemake.input.train (train split),
snakemake.wildcards.dataset / seed, snakemake.output (checkpoints in step order), threads.
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
        list(sm.output),
        sm.threads,
    )
