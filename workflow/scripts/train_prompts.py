"""Tune one prompt run; writes every step checkpoint and the training history.

input.model / train; params.tuning (the tuning block with the model's overrides), reader,
steps, state (resume folder); output.step<N> (one checkpoint per step) and output.history.
"""

from prompt_recycling.gridfiles import step_name
from prompt_recycling.jobs.training import train_prompts
from prompt_recycling.settings import ReaderConfig, TuneConfig, build, run_seeds
from prompt_recycling.smk import logged

sm = snakemake  # noqa: F821
w, p = sm.wildcards, sm.params
with logged(sm):
    tune = build(TuneConfig, p.tuning, steps=list(p.steps), **run_seeds(int(w.seed), w.model))
    train_prompts(
        dataset=w.dataset,
        model_json=sm.input.model,
        train_split=sm.input.train,
        reader=ReaderConfig(**p.reader),
        tune=tune,
        checkpoints={s: sm.output[step_name(s)] for s in p.steps},
        state_dir=p.state,
        history=sm.output.history,
        threads=sm.threads,
    )
