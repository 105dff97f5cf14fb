"""Fit the recycler of one pair, method and vocabulary size.

input.source / target (model descriptions); params.settings (the method's), word_offset,
held_out (words for the held-out error); output[0]; threads.
"""

from prompt_recycling.jobs.fitting import fit_recyclers
from prompt_recycling.smk import logged

sm = snakemake  # noqa: F821
with logged(sm):
    fit_recyclers(
        source_json=sm.input.source,
        target_json=sm.input.target,
        method=sm.wildcards.method,
        settings=dict(sm.params.settings),
        word_offset=sm.params.word_offset,
        outputs={int(sm.wildcards.size): sm.output[0]},
        threads=sm.threads,
        held_out=sm.params.held_out,
    )
