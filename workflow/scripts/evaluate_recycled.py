"""Recycle one source run onto one target: every cell with every method's recycler, scored,
and the identity control.

input.source / target / data; params.evaluation, reader (the target's), word_offset, cells
(each: size, step, prompt, recyclers, recycled, table), identity ({step: checkpoint});
output.identity.
"""

from prompt_recycling.jobs.recycled import evaluate_run
from prompt_recycling.settings import EvalConfig, ReaderConfig
from prompt_recycling.smk import logged

sm = snakemake  # noqa: F821
w, p = sm.wildcards, sm.params
with logged(sm):
    evaluate_run(
        w.dataset,
        int(w.seed),
        sm.input.source,
        sm.input.target,
        sm.input.data,
        ReaderConfig(**p.reader),
        EvalConfig(**p.evaluation),
        p.word_offset,
        p.cells,
        {step: p.identity[step] for step in p.steps},
        sm.output.identity,
        sm.threads,
    )
