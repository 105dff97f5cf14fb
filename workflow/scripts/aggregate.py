"""Concatenate the evaluation rows into the results table, checking the row count.

snakemake.input (evaluation CSVs), snakemake.params.expected ({kind: rows}),
snakemake.output.csv / parquet.
"""

from prompt_recycling.analysis import aggregate
from prompt_recycling.smk import logged

sm = snakemake  # noqa: F821
with logged(sm):
    table = aggregate(list(sm.input), dict(sm.params.expected), sm.output.csv, sm.output.parquet)
    print(f"{len(table)} rows")
