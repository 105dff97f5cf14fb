"""Figures from the results tables alone.

snakemake.input.table; snakemake.params.style / titles / analysis / counts (the captions');
snakemake.output (PNG and PDF files, all in one folder; points: the prompts behind each point).
"""

from pathlib import Path

from prompt_recycling.analysis.plots import caption_mismatches, plot_all
from prompt_recycling.analysis.rows import read_table
from prompt_recycling.smk import logged

sm = snakemake  # noqa: F821
with logged(sm):
    written = plot_all(
        read_table(sm.input.table),
        str(Path(sm.output[0]).parent),
        dict(sm.params.style),
        dict(sm.params.titles),
        seed=sm.params.analysis.get("seed", 0),
    )
    print("\n".join(map(str, written)))
    for mismatch in caption_mismatches(sm.output.points, dict(sm.params.counts)):
        print(f"warning: {mismatch}")
