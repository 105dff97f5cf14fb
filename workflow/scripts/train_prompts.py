"""Tune one prompt run; writes every step checkpoint and the training history.

input.model / train; params.tuning (the tuning block with the model's overrides), reader,
steps, checkpoints ({step: file}, the declared outputs), state (resume folder); output.history.
"""

from prompt_recycling.jobs.training import train_prompts
from prompt_recycling.settings import ReaderConfig, TuneConfig, build, fold_seed
from prompt_recycling.smk import logged

sm = snakemake  # noqa: F821
w, p = sm.wildcards, sm.params
with logged(sm):
    seed = int(w.seed)
    init_seed = fold_seed(seed, w.model)
    tune = build(TuneConfig, p.tuning, steps=list(p.steps), seed=seed, init_seed=init_seed)
    train_prompts(
        w.dataset,
        sm.input.model,
        sm.input.train,
        ReaderConfig(**p.reader),
        tune,
        dict(p.checkpoints),
        p.state,
        sm.output.history,
        sm.threads,
    )
