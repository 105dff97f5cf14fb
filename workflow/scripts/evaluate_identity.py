"""Score a pair's source prompts on the target as they are (the identity control; no rows
when the widths differ).

input.source / target / data / prompts; params.evaluation, reader (the target's), steps,
checkpoints ({step: source checkpoint}); output[0].
"""

from prompt_recycling.jobs.scoring import evaluate_identity
from prompt_recycling.settings import EvalConfig, ReaderConfig
from prompt_recycling.smk import logged

sm = snakemake  # noqa: F821
w, p = sm.wildcards, sm.params
with logged(sm):
    evaluate_identity(
        w.dataset,
        int(w.seed),
        sm.input.source,
        sm.input.target,
        sm.input.data,
        ReaderConfig(**p.reader),
        EvalConfig(**p.evaluation),
        {step: p.checkpoints[step] for step in p.steps},
        sm.output[0],
        sm.threads,
    )
