"""Reliability tables from the results table.

snakemake.input[0] (evaluations.csv); snakemake.output.csv / md / tex.
"""

from prompt_recycling.analysis import read_table, write_reliability
from prompt_recycling.smk import logged

sm = snakemake  # noqa: F821
with logged(sm):
    write_reliability(read_table(sm.input[0]), sm.output.csv, sm.output.md, sm.output.tex)
