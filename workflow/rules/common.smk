# Config -> grid plan, wildcard constraints, target lists and what each rule hands its job.
# Logic lives in prompt_recycling.plan (the plan), .paths (file names) and .checks.
import re
from pathlib import Path

from snakemake.settings.types import DeploymentMethod

from prompt_recycling import paths
from prompt_recycling.condaenv import deployable
from prompt_recycling.checks import plan
from prompt_recycling.configcheck import check_files, config_errors_exit
from prompt_recycling.keys import KEY_LENGTH, MODEL_FETCH_KEYS
from prompt_recycling.analysis.summary import run_summary
from prompt_recycling.fsutil import code_digest

# One line naming the key (snakemake.utils.validate would print the whole schema): reads the
# config files again strictly (Snakemake's reader lets a repeated key win and reads 1:40 as
# 100), fills the schema's defaults into the config, then builds and checks the grid.
with config_errors_exit():
    check_files(workflow.configfiles)
    GRID = plan(config)

# The analysis and plotting code's digest, a param of the rules after the aggregate: a new
# version of it redraws the tables, figures and report (Snakemake's code trigger sees only
# the adapter scripts), and nothing before them.
ANALYSIS_CODE = code_digest(
    sorted((Path(paths.__file__).parent / "analysis").rglob("*.py"))
)


def _alternatives(values):
    return "|".join(re.escape(str(v)) for v in values)


wildcard_constraints:
    run=re.escape(GRID.run),
    dataset=_alternatives(GRID.datasets),
    model=_alternatives(GRID.tuned_models),
    source=_alternatives(GRID.sources),
    target=_alternatives(GRID.targets),
    method=_alternatives(GRID.recyclers),
    key=r"[0-9a-f]{%d}" % KEY_LENGTH,
    seed=r"\d+",
    step=r"\d+",
    size=r"\d+",
    baseline=_alternatives(
        [*paths.BASELINES, *(paths.random_baseline(i) for i in GRID.inits)]
    ),
    init=_alternatives(GRID.inits),  # a folder only with an init axis (grid.inits)


ENV = {
    "cpu": "../../envs/prompt-recycling.yaml",
    "gpu": "../../envs/prompt-recycling-gpu.yaml",
}[config["environment"]]
if DeploymentMethod.CONDA in workflow.deployment_settings.deployment_method:
    # Snakemake deploys a copy of the env file elsewhere: its pip paths made absolute first
    ENV = str(
        deployable(Path(workflow.basedir) / ENV[len("../../") :], ".snakemake/envs")
    )
RUN = GRID.run
EVAL_SPLIT = config["evaluation"]["split"]
VALIDATION = config["evaluation"]["validation"]
TABLES = paths.tables(RUN)
BUILT = paths.tables(RUN, built=True)
COSMETIC = (
    "title",
)  # printed by figures and the report only: never a rerun of the rest


def entry(section, name):
    """A model's or data set's config entry minus its cosmetic keys (a changed source, template
    or setting reruns the jobs that use it, a renamed title does not)."""
    return {k: v for k, v in config[section][name].items() if k not in COSMETIC}


def model_entries(name):
    """What a model's fetch reads of its entry and of the model it converts with: source,
    conversion and architecture (a tuning or reading setting is no rerun of the fetch).
    """
    reference = (entry("models", name).get("convert") or {}).get("onnx-bert") or {}
    names = [name] + ([reference["reference"]] if "reference" in reference else [])
    return {
        n: {k: v for k, v in entry("models", n).items() if k in MODEL_FETCH_KEYS}
        for n in names
    }


def keyed(kind, *names):
    """The key a shared resource's wildcards must carry: the config's (a path of another
    config's resource is not this config's to make)."""

    def check(w):
        want = getattr(GRID.keys, kind)(*[getattr(w, n) for n in names])
        if w.key != want:
            raise ValueError(
                f"{kind} {'/'.join(getattr(w, n) for n in names)}: key {w.key} is not this "
                f"config's ({want}); ask for the grid's targets, not for another config's files"
            )
        return want

    return check


def model_file(wildcard):
    return lambda w: GRID.model_file(getattr(w, wildcard))


def eval_split(w):
    return GRID.data_file(w.dataset, EVAL_SPLIT)


def train_split(w):
    return GRID.data_file(w.dataset, "train")


def validation_split(w):
    return GRID.data_file(w.dataset, "validation") if VALIDATION else []


def run_init(w):
    """The init of a run's job (a wildcard with an init axis; None without one)."""
    return getattr(w, "init", None)


def tuned_inputs(w):
    """The model, the splits, and by name (step0, step20, ...) the recycled and validation
    checkpoints."""
    return {
        "model": GRID.model_file(w.model),
        "data": eval_split(w),
        "validation": validation_split(w),
        **GRID.tuned_inputs(w.dataset, w.model, w.seed, run_init(w)),
    }


def recycled_inputs(w):
    """The models, the split, and by name the source run's checkpoints and every cell's
    fitted recyclers."""
    return {
        "source": GRID.model_file(w.source),
        "target": GRID.model_file(w.target),
        "data": eval_split(w),
        **GRID.recycled_inputs(w.dataset, w.source, w.target, w.seed, run_init(w)),
    }
