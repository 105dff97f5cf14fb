"""Concatenate the evaluation rows, pair descriptions and training histories into tables.

input.evaluations / models / pairs / histories (input.recycled: asked for, not read);
params.expected (rows per kind, from the plan);
output.csv / parquet / pairs / training.
"""

from prompt_recycling.analysis.tables import aggregate_all
from prompt_recycling.smk import logged

sm = snakemake  # noqa: F821
with logged(sm):
    table = aggregate_all(
        dict(sm.params.expected),
        list(sm.input.evaluations),
        list(sm.input.models),
        list(sm.input.pairs),
        list(sm.input.histories),
        dict(sm.output.items()),
    )
    print(f"{len(table)} rows")
