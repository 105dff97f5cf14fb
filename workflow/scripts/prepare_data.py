"""Fetch one data set and write its splits and manifest.

snakemake.wildcards.dataset; snakemake.output: the split files and manifest.
"""

from prompt_recycling.fetch import prepare_data
from prompt_recycling.smk import logged

with logged(snakemake):  # noqa: F821
    manifest = prepare_data(snakemake.config, snakemake.wildcards.dataset)  # noqa: F821
    print({s: v["n"] for s, v in manifest["splits"].items()})
