"""Zero-shot or random-prompt baseline of one model on one dataset.

snakemake.input.model / data; snakemake.params.baseline ("zero-shot" | "random");
snakemake.output[0].
"""

from pathlib import Path

from prompt_recycling.jobs import evaluate_baseline
from prompt_recycling.smk import logged

sm = snakemake  # noqa: F821
with logged(sm):
    evaluate_baseline(
        sm.config,
        sm.wildcards.dataset,
        sm.input.model,
        str(Path(sm.input.data).parent),
        sm.params.baseline,
        sm.output[0],
        sm.threads,
    )
