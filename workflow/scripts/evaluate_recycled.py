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
        dataset=w.dataset,
        seed=int(w.seed),
        source_json=sm.input.source,
        target_json=sm.input.target,
        split_file=sm.input.data,
        reader=ReaderConfig(**p.reader),
        evaluation=EvalConfig(**p.evaluation),
        word_offset=p.word_offset,
        cells=p.cells,
        identity={step: p.identity[step] for step in p.steps},
        identity_table=sm.output.identity,
        threads=sm.threads,
    )
