# Config -> grid plan, wildcard constraints, target lists and what each rule hands its job.
# Logic lives in prompt_recycling.plan (the plan), .paths (file names) and .checks.
import re

from prompt_recycling import paths
from prompt_recycling.checks import plan
from prompt_recycling.configcheck import config_errors_exit

# One line naming the key (snakemake.utils.validate would print the whole schema); fills the
# schema's defaults into the config, then builds and checks the grid.
with config_errors_exit():
    GRID = plan(config)


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
    baseline=_alternatives(paths.BASELINES),


ENV = {
    "cpu": "../../envs/prompt-recycling.yaml",
    "gpu": "../../envs/prompt-recycling-gpu.yaml",
}[config["environment"]]
EVAL_SPLIT = config["evaluation"]["split"]
VALIDATION = config["evaluation"]["validation"]
TABLES = list(paths.TABLES.values())
FIGURES = paths.figures()
COSMETIC = (
    "title",
)  # printed by figures and the report only: never a rerun of the rest


def entry(section, name):
    """A model's or data set's config entry minus its cosmetic keys (a changed source, template
    or setting reruns the jobs that use it, a renamed title does not)."""
    return {k: v for k, v in config[section][name].items() if k not in COSMETIC}


def model_entries(name):
    """The entries a model's fetch reads: its own and that of the model it converts with."""
    reference = (entry("models", name).get("convert") or {}).get("onnx-bert") or {}
    names = [name] + ([reference["reference"]] if "reference" in reference else [])
    return {n: entry("models", n) for n in names}


def eval_split(w):
    return paths.data_split(w.dataset, EVAL_SPLIT)


def run_checkpoints(model_wildcard):
    """``{step: prompt file}`` of the recycled steps of the run named by the wildcards
    (``model`` or ``source``)."""
    return lambda w: GRID.checkpoints(w.dataset, getattr(w, model_wildcard), w.seed)


def validation_checkpoints(w):
    """``{step: prompt file}`` past the last recycled step (scored on validation only)."""
    return GRID.validation_checkpoints(w.dataset, w.model, w.seed)


def trained_checkpoints(w):
    """``{step: prompt file}`` of every checkpoint one training run writes."""
    return GRID.trained_checkpoints(w.dataset, w.model, w.seed)


def recycled_items(w):
    return GRID.recycled_items(w.dataset, w.source, w.target, w.seed)


def recycled_inputs(w):
    """Source checkpoints and fitted recyclers one evaluate_recycled job reads."""
    items = recycled_items(w)
    return {
        "source": paths.model_info(w.source),
        "target": paths.model_info(w.target),
        "data": eval_split(w),
        "prompts": sorted(
            {i["prompt"] for i in items} | set(run_checkpoints("source")(w).values())
        ),
        "recyclers": sorted({i["recycler"] for i in items}),
    }
