"""Fit the recyclers of one pair and method, one per vocabulary size.

snakemake.input.source / target (model JSONs), snakemake.wildcards.method,
snakemake.params.sizes, snakemake.output (one .safetensors per size, same order), threads.
"""

from prompt_recycling.jobs import fit_recyclers
from prompt_recycling.smk import logged

sm = snakemake  # noqa: F821
with logged(sm):
    fit_recyclers(
        sm.config,
        sm.input.source,
        sm.input.target,
        sm.wildcards.method,
        list(sm.params.sizes),
        list(sm.output),
        sm.threads,
    )
