"""Recycle one source run onto one target: every cell with every method's recycler, scored,
and the identity control. input.source / target / data, step<N> (source checkpoints),
recycler_*; params.evaluation, reader (the target's), word_offset, cells_shape, methods, steps;
output.table_* / recycled_* (per cell) and output.identity.
"""

from prompt_recycling.gridfiles import cells_of, step_name
from prompt_recycling.jobs.recycled import evaluate_run
from prompt_recycling.settings import EvalConfig, ReaderConfig
from prompt_recycling.smk import logged

sm = snakemake  # noqa: F821
w, p = sm.wildcards, sm.params
files = {**dict(sm.input.items()), **dict(sm.output.items())}
with logged(sm):
    evaluate_run(
        dataset=w.dataset,
        seed=int(w.seed),
        source_json=sm.input.source,
        target_json=sm.input.target,
        split_file=sm.input.data,
        reader=ReaderConfig(**p.reader),
        evaluation=EvalConfig(**p.evaluation),
        word_offset=p.word_offset,
        cells=cells_of(p.cells_shape, p.methods, files),
        identity={step: files[step_name(step)] for step in p.steps},
        identity_table=sm.output.identity,
        threads=sm.threads,
        init=getattr(w, "init", ""),  # a wildcard with an init axis only
    )
