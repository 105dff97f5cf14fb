"""Paired comparisons, reliability and convergence tables, and the findings.

snakemake.input[0] (evaluations.parquet); snakemake.params.analysis (seed, tolerance);
snakemake.output.comparisons / reliability / reliability_md / reliability_tex / findings /
findings_md / convergence.
"""

from prompt_recycling.rows import read_table
from prompt_recycling.smk import logged
from prompt_recycling.tables import write_analysis

sm = snakemake  # noqa: F821
with logged(sm):
    found = write_analysis(read_table(sm.input[0]), dict(sm.output.items()), **sm.params.analysis)
    for f in found:
        print(f"{f.id}: {f.verdict}")
