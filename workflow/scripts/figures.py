"""Figures from the results table alone.

snakemake.input[0] (evaluations.csv); snakemake.params.style / titles; snakemake.output
(PNG and PDF files, all in one folder).
"""

from pathlib import Path

from prompt_recycling.analysis import read_table
from prompt_recycling.plots import plot_all
from prompt_recycling.smk import logged

sm = snakemake  # noqa: F821
with logged(sm):
    written = plot_all(
        read_table(sm.input[0]),
        str(Path(sm.output[0]).parent),
        dict(sm.params.style),
        dict(sm.params.titles),
    )
    print("\n".join(map(str, written)))
