"""Fit the recyclers of one pair and method, one per vocabulary size.

input.source / target (model descriptions); params.settings (the method's), word_offset,
held_out (words for the held-out error), sizes, recyclers ({size: file}, the declared outputs);
threads.
"""

from prompt_recycling.jobs.fitting import fit_recyclers
from prompt_recycling.smk import logged

sm = snakemake  # noqa: F821
with logged(sm):
    fit_recyclers(
        sm.input.source,
        sm.input.target,
        sm.wildcards.method,
        dict(sm.params.settings),
        sm.params.word_offset,
        {size: sm.params.recyclers[size] for size in sm.params.sizes},
        sm.threads,
        held_out=sm.params.held_out,
    )
