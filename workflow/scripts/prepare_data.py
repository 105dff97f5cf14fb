"""Fetch one data set and write its splits and manifest.

params.spec: the data set's config entry; params.folder: where the splits go (the folder of
the declared outputs, named by the data set's content key); output: the split files and the
manifest.
"""

from prompt_recycling.fetch import prepare_data
from prompt_recycling.smk import logged

sm = snakemake  # noqa: F821
with logged(sm):
    name = sm.wildcards.dataset
    config = {"datasets": {name: dict(sm.params.spec)}}
    manifest = prepare_data(config, name, out=sm.params.folder)
    print({s: v["n"] for s, v in manifest["splits"].items()})
