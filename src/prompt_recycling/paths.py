"""Every file name of the grid, in one place: rules, job functions, plots, reports and tests
take their paths from here, and nothing reads a grid value back out of a path.

Each path carries exactly the grid values it depends on:

=======================================================================  =========================
pattern                                                                  depends on
=======================================================================  =========================
resources/models/{model}.json                                            model (where, how large)
resources/data/{dataset}/{split}.jsonl                                   dataset
results/prompts/{dataset}/{model}/seed{seed}/step-{step}.npy             dataset, model, seed, step
results/prompts/{dataset}/{model}/seed{seed}/history.csv                 dataset, model, seed
results/pairs/{source}__{target}.json                                    pair
results/recyclers/{source}__{target}/{method}/n{size}.safetensors        pair, method, size
results/recycled/{dataset}/{source}__{target}/seed{seed}/{method}/
    n{size}/step-{step}.npy                                              all of them
results/evaluations/{dataset}/recycled/{source}__{target}/seed{seed}.csv  dataset, pair, seed
results/evaluations/{dataset}/tuned/{model}/seed{seed}.csv               dataset, model, seed
results/evaluations/{dataset}/{baseline}/{model}.csv                     dataset, baseline, model
=======================================================================  =========================

A fitted recycler depends on neither data set nor step, so one fit serves all of them. A run's
checkpoints past the last recycled step (``grid.validation_steps``) are prompt files like the
others: they depend on the same values. The baselines are ``zero-shot``, ``random`` and
``null-prompt``. The
functions below fill a pattern; given ``"{seed}"``-style strings they return the pattern itself
with the other values filled in, which is how the rules declare wildcard outputs.
"""

from __future__ import annotations

SPLITS = ("train", "validation", "test")
BASELINES = ("zero-shot", "random", "null-prompt")

MODEL_INFO = "resources/models/{model}.json"
DATA_SPLIT = "resources/data/{dataset}/{split}.jsonl"
DATA_MANIFEST = "resources/data/{dataset}/manifest.json"
STEP_FILE = "step-{step}.npy"  # a checkpoint's name inside its run folder (grid and CLI)
RUN = "results/prompts/{dataset}/{model}/seed{seed}"
PROMPT = RUN + "/" + STEP_FILE
HISTORY = RUN + "/history.csv"
RESUME = "results/prompts/{dataset}/{model}/.seed{seed}.resume"  # outside declared outputs
PAIR = "results/pairs/{source}__{target}.json"
RECYCLER = "results/recyclers/{source}__{target}/{method}/n{size}.safetensors"
RECYCLED = "results/recycled/{dataset}/{source}__{target}/seed{seed}/{method}/n{size}/" + STEP_FILE
EVAL_RECYCLED = "results/evaluations/{dataset}/recycled/{source}__{target}/seed{seed}.csv"
EVAL_TUNED = "results/evaluations/{dataset}/tuned/{model}/seed{seed}.csv"
EVAL_BASELINE = "results/evaluations/{dataset}/{baseline}/{model}.csv"

TABLE_DIR = "results/tables"
TABLES = {
    "evaluations": f"{TABLE_DIR}/evaluations.csv",
    "evaluations_parquet": f"{TABLE_DIR}/evaluations.parquet",
    "pairs": f"{TABLE_DIR}/pairs.csv",
    "training": f"{TABLE_DIR}/training.csv",
    "comparisons": f"{TABLE_DIR}/comparisons.csv",
    "reliability": f"{TABLE_DIR}/reliability.csv",
    "reliability_md": f"{TABLE_DIR}/reliability.md",
    "reliability_tex": f"{TABLE_DIR}/reliability.tex",
    "reliability_html": f"{TABLE_DIR}/reliability.html",
    "findings": f"{TABLE_DIR}/findings.csv",
    "findings_md": f"{TABLE_DIR}/findings.md",
    "findings_html": f"{TABLE_DIR}/findings.html",
    "convergence": f"{TABLE_DIR}/convergence.csv",
    "recyclers": f"{TABLE_DIR}/recyclers.csv",
    "recyclers_md": f"{TABLE_DIR}/recyclers.md",
    "recyclers_html": f"{TABLE_DIR}/recyclers.html",
    "predictor": f"{TABLE_DIR}/predictor.csv",
    "predictor_md": f"{TABLE_DIR}/predictor.md",
    "predictor_html": f"{TABLE_DIR}/predictor.html",
}
FIGURE_DIR = "results/figures"
FIGURE_FORMATS = ("png", "pdf")
FIG_STEPS = "recyclability_vs_steps"
FIG_STEPS_BY_SIZE = "recyclability_vs_steps_by_size"
FIG_WORDS = "performance_vs_words"
FIG_WORDS_BY_SIZE = "performance_vs_words_by_size"
FIG_LABEL_BIAS = "label_bias"
FIG_RECYCLERS = "recyclers_by_size"
FIG_PREDICTOR = "recyclability_predictor"
FIGURE_NAMES = (
    FIG_STEPS,
    FIG_STEPS_BY_SIZE,
    FIG_WORDS,
    FIG_WORDS_BY_SIZE,
    FIG_LABEL_BIAS,
    FIG_RECYCLERS,
    FIG_PREDICTOR,
)
REPORT = "results/report.md"


def model_info(model: str) -> str:
    return MODEL_INFO.format(model=model)


def data_split(dataset: str, split: str) -> str:
    return DATA_SPLIT.format(dataset=dataset, split=split)


def step_file(step: int) -> str:
    return STEP_FILE.format(step=step)


def prompt(dataset: str, model: str, seed, step) -> str:
    return PROMPT.format(dataset=dataset, model=model, seed=seed, step=step)


def history(dataset: str, model: str, seed) -> str:
    return HISTORY.format(dataset=dataset, model=model, seed=seed)


def resume_state(dataset: str, model: str, seed) -> str:
    return RESUME.format(dataset=dataset, model=model, seed=seed)


def pair(source: str, target: str) -> str:
    return PAIR.format(source=source, target=target)


def recycler(source: str, target: str, method: str, size) -> str:
    return RECYCLER.format(source=source, target=target, method=method, size=size)


def recycled(dataset, source, target, seed, method, size, step) -> str:
    return RECYCLED.format(
        dataset=dataset,
        source=source,
        target=target,
        seed=seed,
        method=method,
        size=size,
        step=step,
    )


def eval_recycled(dataset: str, source: str, target: str, seed) -> str:
    return EVAL_RECYCLED.format(dataset=dataset, source=source, target=target, seed=seed)


def eval_tuned(dataset: str, model: str, seed) -> str:
    return EVAL_TUNED.format(dataset=dataset, model=model, seed=seed)


def eval_baseline(dataset: str, baseline: str, model: str) -> str:
    return EVAL_BASELINE.format(dataset=dataset, baseline=baseline, model=model)


def figure(name: str, fmt: str) -> str:
    return f"{FIGURE_DIR}/{name}.{fmt}"


def figures(fmt: str | None = None) -> list[str]:
    """Every figure file (of one format, or all)."""
    formats = FIGURE_FORMATS if fmt is None else (fmt,)
    return [figure(n, f) for n in FIGURE_NAMES for f in formats]
