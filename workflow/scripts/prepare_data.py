"""Fetch one data set and write its splits and manifest.

params.spec: the data set's config entry; output: the split files and the manifest.
"""

from prompt_recycling.fetch import prepare_data
from prompt_recycling.smk import logged

sm = snakemake  # noqa: F821
with logged(sm):
    name = sm.wildcards.dataset
    manifest = prepare_data({"datasets": {name: dict(sm.params.spec)}}, name)
    print({s: v["n"] for s, v in manifest["splits"].items()})
