"""Publish a finished build: copy each built table, figure and the report to where the reader
looks (each file replaced atomically), after every one of them was built.

input[i] is published as output[i] (:func:`prompt_recycling.paths.published` lists the built and
the published files in one order).
"""

from prompt_recycling.fsutil import publish
from prompt_recycling.smk import logged

sm = snakemake  # noqa: F821
with logged(sm):
    pairs = dict(zip(sm.input, sm.output, strict=True))
    print(f"published {len(publish(pairs))} files")
