"""Zero-shot, random-prompt or null-prompt baseline of one model on one dataset.

input.model / data; params.evaluation, reader, tuning (random: how the model's prompts start;
null-prompt: the prompt length), random_prompts (how many); wildcards.baseline ("zero-shot" |
"random" | "null-prompt"); output[0].
"""

from prompt_recycling.jobs.scoring import evaluate_baseline
from prompt_recycling.settings import EvalConfig, ReaderConfig, TuneConfig, build
from prompt_recycling.smk import logged

sm = snakemake  # noqa: F821
w, p = sm.wildcards, sm.params
with logged(sm):
    evaluate_baseline(
        dataset=w.dataset,
        baseline=w.baseline,
        model_json=sm.input.model,
        split_file=sm.input.data,
        reader=ReaderConfig(**p.reader),
        evaluation=EvalConfig(**p.evaluation),
        tune=build(TuneConfig, p.tuning),
        random_prompts=p.random_prompts,
        output=sm.output[0],
        threads=sm.threads,
    )
