"""Evaluate a model's own tuned prompts at every recycled step (test, and validation for
convergence) and at the validation steps (validation only).

input.model / data / validation (empty when not asked for); params.evaluation, reader,
steps, validation_steps, checkpoints and validation_checkpoints ({step: file}); output[0].
"""

from prompt_recycling.jobs.scoring import evaluate_tuned
from prompt_recycling.settings import EvalConfig, ReaderConfig
from prompt_recycling.smk import logged

sm = snakemake  # noqa: F821
w, p = sm.wildcards, sm.params
with logged(sm):
    evaluate_tuned(
        w.dataset,
        int(w.seed),
        sm.input.model,
        sm.input.data,
        sm.input.validation or None,
        ReaderConfig(**p.reader),
        EvalConfig(**p.evaluation),
        {step: p.checkpoints[step] for step in p.steps},
        sm.output[0],
        sm.threads,
        validation_checkpoints={
            step: p.validation_checkpoints[step] for step in p.validation_steps
        },
    )
