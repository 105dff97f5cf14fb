"""Every file name of the grid, in one place: rules, job functions, plots, reports and tests
take their paths from here, and nothing reads a grid value back out of a path.

Two trees. ``resources/`` holds what any config may share, content-addressed: a model's
description, a prepared data set and a fitted recycler carry a ``{key}``, a digest of the
settings they are made from (:mod:`prompt_recycling.keys`), so that two configs that agree on
them reuse one file and two that differ never overwrite each other. ``results/{run}/`` holds
one config's grid (``run`` in the config: ``default``, ``paper``, ...). Each path carries
exactly the grid values it depends on:

==========================================================================  =====================
pattern                                                                     depends on
==========================================================================  =====================
resources/models/{model}.{key}.json                                         model (its source)
resources/data/{dataset}.{key}/{split}.jsonl                                dataset (its source)
resources/recyclers/{source}__{target}/{method}.{key}/n{size}.safetensors   pair, method, size
resources/scores/{context}/{prompt}.json                                    what a score
                                                                            depends on (a cache)
results/{run}/prompts/{dataset}/{model}/seed{seed}/step-{step}.npy          dataset, model, seed,
                                                                            step
results/{run}/prompts/{dataset}/{model}/seed{seed}/history.csv              dataset, model, seed
results/{run}/pairs/{source}__{target}.json                                 pair (and the largest
                                                                            size)
results/{run}/recycled/{dataset}/{source}__{target}/seed{seed}/{method}/
    n{size}/step-{step}.npy                                                 all of them
results/{run}/evaluations/{dataset}/recycled/{source}__{target}/seed{seed}/
    n{size}/step-{step}.csv                                                 one cell: all but the
                                                                            method
results/{run}/evaluations/{dataset}/identity/{source}__{target}/seed{seed}.csv  dataset, pair, seed
results/{run}/evaluations/{dataset}/tuned/{model}/seed{seed}.csv            dataset, model, seed
results/{run}/evaluations/{dataset}/{baseline}/{model}.csv                  dataset, baseline,
                                                                            model
==========================================================================  =====================

With an init axis (``grid.inits``) every run's files lie one folder deeper, under its init:
``.../{model}/{init}/seed{seed}/...``, ``.../{source}__{target}/{init}/seed{seed}...``
(:func:`with_init`), and the random baseline is one per init (``random/{init}/{model}.csv``);
a grid without the axis keeps the names above.

Every evaluated cell is a file of its own that the aggregate asks for, written by the job of
its source run and pair (with the identity control), so a grid that grows (a word count, a step,
a seed) reruns the jobs whose cells it adds; their scores already made are read back from
``resources/scores/`` (:mod:`prompt_recycling.scorecache`). The tables, figures and report
are built under ``results/{run}/build/`` and then published, all together, to
``results/{run}/tables``, ``figures`` and ``report.md``: a build that fails leaves the last
published ones in place. The baselines are ``zero-shot``, ``random`` and ``null-prompt``. The
functions below fill a pattern; given ``"{seed}"``-style strings they return the pattern itself
with the other values filled in, which is how the rules declare wildcard outputs.
"""

from __future__ import annotations

SPLITS = ("train", "validation", "test")
BASELINES = ("zero-shot", "random", "null-prompt")

MODEL_INFO = "resources/models/{model}.{key}.json"
DATA_DIR = "resources/data/{dataset}.{key}"
DATA_SPLIT = DATA_DIR + "/{split}.jsonl"
DATA_MANIFEST = DATA_DIR + "/manifest.json"
RECYCLER = "resources/recyclers/{source}__{target}/{method}.{key}/n{size}.safetensors"
FINGERPRINTS = "resources/.fingerprints.json"  # content digests of local (path:) sources
SCORES = "resources/scores/{context}"  # scores by content, outside outputs: scorecache.py

RESULTS = "results/{run}"
STEP_FILE = "step-{step}.npy"  # a checkpoint's name inside its run folder (grid and CLI)
RUN = RESULTS + "/prompts/{dataset}/{model}/seed{seed}"
PROMPT = RUN + "/" + STEP_FILE
HISTORY = RUN + "/history.csv"
RESUME = RESULTS + "/prompts/{dataset}/{model}/.seed{seed}.resume"  # outside declared outputs
PAIR = RESULTS + "/pairs/{source}__{target}.json"
RECYCLED = (
    RESULTS + "/recycled/{dataset}/{source}__{target}/seed{seed}/{method}/n{size}/" + STEP_FILE
)
EVALUATIONS = RESULTS + "/evaluations/{dataset}"
EVAL_RECYCLED = EVALUATIONS + "/recycled/{source}__{target}/seed{seed}/n{size}/step-{step}.csv"
EVAL_IDENTITY = EVALUATIONS + "/identity/{source}__{target}/seed{seed}.csv"
EVAL_TUNED = EVALUATIONS + "/tuned/{model}/seed{seed}.csv"
EVAL_BASELINE = EVALUATIONS + "/{baseline}/{model}.csv"

BUILD = RESULTS + "/build"  # where the tables, figures and report are made before publishing
TABLE_NAMES = {
    "evaluations": "evaluations.csv",
    "evaluations_parquet": "evaluations.parquet",
    "pairs": "pairs.csv",
    "training": "training.csv",
    "comparisons": "comparisons.csv",
    "reliability": "reliability.csv",
    "reliability_md": "reliability.md",
    "reliability_tex": "reliability.tex",
    "reliability_html": "reliability.html",
    "findings": "findings.csv",
    "findings_md": "findings.md",
    "findings_html": "findings.html",
    "convergence": "convergence.csv",
    "recyclers": "recyclers.csv",
    "recyclers_md": "recyclers.md",
    "recyclers_html": "recyclers.html",
    "predictor": "predictor.csv",
    "predictor_md": "predictor.md",
    "predictor_html": "predictor.html",
}
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
COUNTED_FIGURES = (FIG_STEPS, FIG_STEPS_BY_SIZE, FIG_WORDS, FIG_WORDS_BY_SIZE)  # n per point
FIGURE_POINTS = "points.json"


def with_init(pattern: str) -> str:
    """``pattern`` of a grid with an init axis: a run's seed folder (or file) under ``{init}/``."""
    return pattern.replace("/seed{seed}", "/{init}/seed{seed}").replace(
        "/.seed{seed}", "/{init}/.seed{seed}"
    )


def _run_path(pattern: str, init, **values) -> str:
    return (pattern if init is None else with_init(pattern)).format(init=init, **values)


def random_baseline(init: str | None) -> str:
    """The random baseline's name (its folder): ``random``, or ``random/{init}`` on an axis."""
    return "random" if init is None else f"random/{init}"


def baseline_parts(baseline: str) -> tuple[str, str | None]:
    """(condition, init) of a baseline's name (:func:`random_baseline`)."""
    condition, _, init = baseline.partition("/")
    return condition, init or None


# ---- shared resources ------------------------------------------------------------------------
def model_info(model: str, key: str) -> str:
    return MODEL_INFO.format(model=model, key=key)


def data_dir(dataset: str, key: str) -> str:
    return DATA_DIR.format(dataset=dataset, key=key)


def data_split(dataset: str, key: str, split: str) -> str:
    return DATA_SPLIT.format(dataset=dataset, key=key, split=split)


def recycler(source: str, target: str, method: str, key: str, size) -> str:
    return RECYCLER.format(source=source, target=target, method=method, key=key, size=size)


# ---- one run's grid --------------------------------------------------------------------------
def step_file(step: int) -> str:
    return STEP_FILE.format(step=step)


def prompt(run: str, dataset: str, model: str, seed, step, init=None) -> str:
    return _run_path(PROMPT, init, run=run, dataset=dataset, model=model, seed=seed, step=step)


def history(run: str, dataset: str, model: str, seed, init=None) -> str:
    return _run_path(HISTORY, init, run=run, dataset=dataset, model=model, seed=seed)


def resume_state(run: str, dataset: str, model: str, seed, init=None) -> str:
    return _run_path(RESUME, init, run=run, dataset=dataset, model=model, seed=seed)


def pair(run: str, source: str, target: str) -> str:
    return PAIR.format(run=run, source=source, target=target)


def recycled(run, dataset, source, target, seed, method, size, step, init=None) -> str:
    values = dict(dataset=dataset, source=source, target=target, seed=seed, method=method)
    return _run_path(RECYCLED, init, run=run, size=size, step=step, **values)


def eval_recycled(run, dataset, source, target, seed, size, step, init=None) -> str:
    values = dict(dataset=dataset, source=source, target=target, seed=seed)
    return _run_path(EVAL_RECYCLED, init, run=run, size=size, step=step, **values)


def eval_identity(run: str, dataset: str, source: str, target: str, seed, init=None) -> str:
    values = dict(dataset=dataset, source=source, target=target, seed=seed)
    return _run_path(EVAL_IDENTITY, init, run=run, **values)


def score_cache(context: str) -> str:
    return SCORES.format(context=context)


def eval_tuned(run: str, dataset: str, model: str, seed, init=None) -> str:
    return _run_path(EVAL_TUNED, init, run=run, dataset=dataset, model=model, seed=seed)


def eval_baseline(run: str, dataset: str, baseline: str, model: str) -> str:
    return EVAL_BASELINE.format(run=run, dataset=dataset, baseline=baseline, model=model)


# ---- tables, figures and the report: built, then published -----------------------------------
def results_dir(run: str, built: bool = False) -> str:
    return (BUILD if built else RESULTS).format(run=run)


def tables(run: str, built: bool = False) -> dict[str, str]:
    """``{name: file}`` of every table (built: the copy the analysis writes)."""
    return {k: f"{results_dir(run, built)}/tables/{v}" for k, v in TABLE_NAMES.items()}


def figure_points(run: str, built: bool = False) -> str:
    """Per figure, the prompts behind each plotted point, counted from the rows plotted."""
    return f"{results_dir(run, built)}/figures/{FIGURE_POINTS}"


def figure(run: str, name: str, fmt: str, built: bool = False) -> str:
    return f"{results_dir(run, built)}/figures/{name}.{fmt}"


def figures(run: str, fmt: str | None = None, built: bool = False) -> list[str]:
    """Every figure file (of one format, or all)."""
    formats = FIGURE_FORMATS if fmt is None else (fmt,)
    return [figure(run, n, f, built) for n in FIGURE_NAMES for f in formats]


def report(run: str, built: bool = False) -> str:
    return f"{results_dir(run, built)}/report.md"


def published(run: str, built: bool = False) -> list[str]:
    """Everything a finished run shows its reader: tables, figures and the report."""
    return [
        *tables(run, built).values(),
        *figures(run, built=built),
        figure_points(run, built),
        report(run, built),
    ]
