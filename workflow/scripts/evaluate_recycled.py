"""Recycle one source checkpoint with each method's recycler and score it (one cell).

input.source / target / data / prompt; params.evaluation, reader (the target's), word_offset,
recyclers and recycled ({method: file}); wildcards.size / step; output.table.
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
        int(w.size),
        int(w.step),
        sm.input.source,
        sm.input.target,
        sm.input.data,
        ReaderConfig(**p.reader),
        EvalConfig(**p.evaluation),
        p.word_offset,
        sm.input.prompt,
        {m: p.recyclers[m] for m in p.methods},
        {m: p.recycled[m] for m in p.methods},
        sm.output.table,
        sm.threads,
    )
