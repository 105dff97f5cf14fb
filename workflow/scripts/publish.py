"""Publish a finished build: copy each built table, figure and the report to where the reader
looks (each file replaced atomically), after every one of them was built.

params.pairs: {built file: published file}.
"""

from prompt_recycling.fsutil import publish
from prompt_recycling.smk import logged

sm = snakemake  # noqa: F821
with logged(sm):
    print(f"published {len(publish(dict(sm.params.pairs)))} files")
