"""Describe how alike a pair's vocabulary tables are; fail if it shares too few words.

snakemake.input.source / target (model JSONs), snakemake.params.sizes, snakemake.output[0].
"""

from prompt_recycling.jobs import describe_pair
from prompt_recycling.smk import logged

sm = snakemake  # noqa: F821
with logged(sm):
    describe_pair(sm.config, sm.input.source, sm.input.target, list(sm.params.sizes), sm.output[0])
