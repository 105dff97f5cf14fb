"""Recycle and evaluate every prompt of one dataset x pair x seed (one model load).

snakemake.input.source / target / data; snakemake.wildcards.dataset / source / target / seed;
snakemake.output.table (rows) and snakemake.output.prompts (recycled prompts).
"""

from pathlib import Path

from prompt_recycling.jobs import evaluate_recycled, recycled_items
from prompt_recycling.smk import logged

sm = snakemake  # noqa: F821
w = sm.wildcards
with logged(sm):
    from prompt_recycling.grid import Grid

    items = recycled_items(Grid.from_config(sm.config), w.dataset, w.source, w.target, int(w.seed))
    evaluate_recycled(
        sm.config,
        w.dataset,
        sm.input.source,
        sm.input.target,
        int(w.seed),
        str(Path(sm.input.data).parent),
        items,
        sm.output.table,
        sm.threads,
    )
