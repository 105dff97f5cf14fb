"""Tune one prompt run; writes every step checkpoint and the training history.

input.model / train; params.tuning (the tuning block with the model's overrides), reader,
checkpoints ({step: file}, the declared outputs), state (resume folder); output.history.
"""

from prompt_recycling.jobs.training import train_prompts
from prompt_recycling.settings import ReaderConfig, TuneConfig, build, fold_seed
from prompt_recycling.smk import logged

sm = snakemake  # noqa: F821
w, p = sm.wildcards, sm.params
with logged(sm):
    seed = int(w.seed)
    steps = sorted(p.checkpoints)
    tune = build(TuneConfig, p.tuning, steps=steps, seed=seed, init_seed=fold_seed(seed, w.model))
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
