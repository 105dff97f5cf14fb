"""Concatenate the evaluation rows, pair descriptions and training histories into tables.

snakemake.input.evaluations / models / pairs / histories; snakemake.params.validation;
snakemake.output.csv / parquet / pairs / training.
"""

from prompt_recycling.grid import Grid
from prompt_recycling.smk import logged
from prompt_recycling.tables import aggregate_all

sm = snakemake  # noqa: F821
with logged(sm):
    table = aggregate_all(
        Grid.from_config(sm.config),
        list(sm.input.evaluations),
        list(sm.input.models),
        list(sm.input.pairs),
        list(sm.input.histories),
        bool(sm.params.validation),
        dict(sm.output.items()),
    )
    print(f"{len(table)} rows")
