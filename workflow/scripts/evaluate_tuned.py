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
        dataset=w.dataset,
        seed=int(w.seed),
        model_json=sm.input.model,
        split_file=sm.input.data,
        validation_file=sm.input.validation or None,
        reader=ReaderConfig(**p.reader),
        evaluation=EvalConfig(**p.evaluation),
        checkpoints={step: p.checkpoints[step] for step in p.steps},
        output=sm.output[0],
        threads=sm.threads,
        validation_checkpoints={
            step: p.validation_checkpoints[step] for step in p.validation_steps
        },
    )
