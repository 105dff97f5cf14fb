"""Evaluate a model's own tuned prompts at every recycled step (test, and validation for
convergence) and at the validation steps (validation only).

input.model / data / validation (empty when not asked for) and step<N> (the checkpoints);
params.evaluation, reader, steps, validation_steps; output[0].
"""

from prompt_recycling.gridfiles import step_name
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
        checkpoints={s: sm.input[step_name(s)] for s in p.steps},
        output=sm.output[0],
        threads=sm.threads,
        validation_checkpoints={s: sm.input[step_name(s)] for s in p.validation_steps},
        init=getattr(w, "init", ""),  # a wildcard with an init axis only
    )
