"""Recycle and evaluate every prompt of one dataset x pair x seed (one model load), and the
source prompts as they are (identity control) when the pair's widths agree.

input.source / target / data; params.evaluation, reader (the target's), word_offset, methods,
cells, recycled (prompts, source checkpoints, recyclers), identity ({step: source checkpoint}).
"""

from prompt_recycling.jobs.scoring import evaluate_recycled
from prompt_recycling.settings import EvalConfig, ReaderConfig
from prompt_recycling.smk import logged

sm = snakemake  # noqa: F821
w, p = sm.wildcards, sm.params
with logged(sm):
    evaluate_recycled(
        w.dataset,
        int(w.seed),
        sm.input.source,
        sm.input.target,
        sm.input.data,
        ReaderConfig(**p.reader),
        EvalConfig(**p.evaluation),
        p.word_offset,
        list(p.recycled),
        [(m, step, size) for m in p.methods for step, size in p.cells],
        dict(p.identity),
        sm.output.table,
        sm.threads,
    )
