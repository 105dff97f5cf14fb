"""Recycle and evaluate every prompt of one dataset x pair x seed (one model load), and the
source prompts as they are (identity control) when the pair's widths agree.

snakemake.input.source / target / data; snakemake.wildcards.dataset / source / target / seed;
snakemake.output.table (rows) and snakemake.output.prompts (recycled prompts).
"""

from pathlib import Path

from prompt_recycling.grid import Grid
from prompt_recycling.jobs import evaluate_recycled, identity_items, recycled_items
from prompt_recycling.smk import logged

sm = snakemake  # noqa: F821
w = sm.wildcards
with logged(sm):
    grid = Grid.from_config(sm.config)
    evaluate_recycled(
        sm.config,
        w.dataset,
        sm.input.source,
        sm.input.target,
        int(w.seed),
        str(Path(sm.input.data).parent),
        recycled_items(grid, w.dataset, w.source, w.target, int(w.seed)),
        identity_items(grid, w.dataset, w.source, int(w.seed)),
        sm.output.table,
        sm.threads,
    )
