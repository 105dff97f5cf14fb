# Config -> grid, wildcard constraints and target lists. Logic lives in prompt_recycling.grid.
import re
from pathlib import Path

from prompt_recycling.configcheck import config_errors_exit
from prompt_recycling.grid import (
    Grid,
    check_config,
    check_positions,
    history_path,
    pair_path,
    prompt_path,
    recycled_path,
    recycler_path,
)
from prompt_recycling.fetch import model_location


def _local_model(name):
    location = model_location(config, name)
    return location if Path(location).is_dir() else None


with config_errors_exit():
    GRID = Grid.from_config(config)
    check_config(config, GRID)
    check_positions(config, GRID, _local_model)


def _alternatives(values):
    return "|".join(re.escape(str(v)) for v in values)


wildcard_constraints:
    dataset=_alternatives(GRID.datasets),
    model=_alternatives(GRID.tuned_models),
    source=_alternatives(GRID.sources),
    target=_alternatives(GRID.targets),
    method=_alternatives(GRID.recyclers),
    seed=r"\d+",
    step=r"\d+",
    size=r"\d+",
    baseline="zero-shot|random",


ENV = "../../envs/prompt-recycling.yaml"
SPLITS = ["train", "validation", "test"]
EVAL_SPLIT = config["evaluation"]["split"]
VALIDATION = config["evaluation"]["validation"]
TABLES = [
    "results/tables/evaluations.csv",
    "results/tables/evaluations.parquet",
    "results/tables/pairs.csv",
    "results/tables/training.csv",
    "results/tables/comparisons.csv",
    "results/tables/reliability.csv",
    "results/tables/reliability.md",
    "results/tables/reliability.tex",
    "results/tables/reliability.html",
    "results/tables/findings.csv",
    "results/tables/findings.md",
    "results/tables/findings.html",
    "results/tables/convergence.csv",
]
FIGURE_NAMES = [
    "recyclability_vs_steps",
    "recyclability_vs_steps_by_pair_kind",
    "performance_vs_words",
    "performance_vs_words_by_pair_kind",
    "label_bias",
]
FIGURES = [f"results/figures/{n}.{ext}" for n in FIGURE_NAMES for ext in ("png", "pdf")]


COSMETIC = (
    "title",
)  # printed by figures and the report only: never a rerun of the rest


def job_spec(section, name):
    """A model's or data set's entry as job parameters, minus its cosmetic keys (a changed
    source, template or setting reruns the jobs that use it, a renamed title does not).
    """
    return {k: v for k, v in config[section][name].items() if k not in COSMETIC}


def model_json(name):
    return f"resources/models/{name}.json"


def data_split(split):
    return f"resources/data/{{dataset}}/{split}.jsonl"


def recycled_inputs(w):
    """Source checkpoints and fitted recyclers needed by one evaluate_recycled job."""
    return {
        "source": model_json(w.source),
        "target": model_json(w.target),
        "data": f"resources/data/{w.dataset}/{EVAL_SPLIT}.jsonl",
        "prompts": [prompt_path(w.dataset, w.source, w.seed, s) for s in GRID.steps],
        "recyclers": [
            recycler_path(w.source, w.target, m, n)
            for m in GRID.recyclers
            for n in GRID.sizes_used()
        ],
    }
