# Config -> grid, wildcard constraints and target lists. Logic lives in prompt_recycling.grid.
import re
from pathlib import Path

from snakemake.exceptions import WorkflowError

from prompt_recycling.errors import RecyclingError
from prompt_recycling.grid import Grid, check_vocab_sizes, prompt_path, recycled_path
from prompt_recycling.resources import model_location

try:
    GRID = Grid.from_config(config)
    check_vocab_sizes(
        config,
        GRID,
        lambda m: (
            model_location(config, m)
            if Path(model_location(config, m)).is_dir()
            else None
        ),
    )
except RecyclingError as exc:
    raise WorkflowError(str(exc)) from None


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
TABLES = [
    "results/tables/evaluations.csv",
    "results/tables/evaluations.parquet",
    "results/tables/reliability.csv",
    "results/tables/reliability.md",
    "results/tables/reliability.tex",
]
FIGURE_NAMES = [
    f"{stem}{facet}"
    for stem in ("recyclability_vs_steps", "performance_vs_words")
    for facet in ("", "_by_pair_kind")
]
FIGURES = [f"results/figures/{n}.{ext}" for n in FIGURE_NAMES for ext in ("png", "pdf")]


def model_json(name):
    return f"resources/models/{name}.json"


def data_split(split):
    return f"resources/data/{{dataset}}/{split}.jsonl"


def recycled_inputs(w):
    """Source checkpoints and fitted recyclers needed by one evaluate_recycled job."""
    steps = sorted({step for step, _ in GRID.cells()})
    return {
        "source": model_json(w.source),
        "target": model_json(w.target),
        "data": f"resources/data/{w.dataset}/{EVAL_SPLIT}.jsonl",
        "prompts": [prompt_path(w.dataset, w.source, w.seed, s) for s in steps],
        "recyclers": [
            f"results/recyclers/{w.source}__{w.target}/{m}/n{n}.safetensors"
            for m in GRID.recyclers
            for n in GRID.sizes_used()
        ],
    }
