"""Paired comparisons, reliability and convergence tables, and the findings.

snakemake.input[0] (evaluations.parquet); snakemake.params.analysis (seed, tolerance);
snakemake.output.comparisons / reliability / reliability_md / reliability_tex / findings /
findings_md / convergence / recyclers(_md) / predictor(_md).
"""

from prompt_recycling.analysis.beyond import analyse
from prompt_recycling.analysis.rows import read_table
from prompt_recycling.smk import logged

sm = snakemake  # noqa: F821
with logged(sm):
    found = analyse(read_table(sm.input[0]), dict(sm.output.items()), **sm.params.analysis)
    for f in found:
        print(f"{f.label}: {f.verdict}")
