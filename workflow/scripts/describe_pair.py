"""Describe how alike a pair's vocabulary tables are; fail if it shares too few words.

input.source / target (model descriptions); params.word_offset / max_size; output[0].
"""

from prompt_recycling.jobs.fitting import describe_pair
from prompt_recycling.smk import logged

sm = snakemake  # noqa: F821
with logged(sm):
    p = sm.params
    describe_pair(
        source_json=sm.input.source,
        target_json=sm.input.target,
        word_offset=p.word_offset,
        max_size=p.max_size,
        output=sm.output[0],
    )
