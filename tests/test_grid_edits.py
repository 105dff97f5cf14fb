"""Editing a finished grid: every edit reruns exactly the jobs it must, and the results table
then equals, row for row and byte for byte, a run of the edited config from nothing.

One working folder goes through a chain of edits (grow and shrink every axis, change a tuning,
an evaluation and a recycling key, two edits at once); after each, Snakemake runs, the jobs it
ran are counted by rule, and its table is compared with a from-nothing run of the same config.
The from-nothing runs live in a second folder, one run name each (so they share that folder's
models, data and fitted recyclers, which are content-addressed, and nothing of the edited
folder); they run in the background while the chain goes on. The analysis and figure keys,
which change no table, are edited in test_workflow.py.
"""

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml
from tinygrid import make_tiny_grid, small_grid

pytestmark = pytest.mark.slow  # the workflow tier: Snakemake runs (README, "Tests")

ROOT = Path(__file__).resolve().parents[1]
TABLE = "results/{run}/build/tables/evaluations.csv"


def base_config(root: Path) -> dict:
    """The smallest grid with every axis: one data set, one pair, two recyclers, two steps,
    one word count, one seed, no random prompts."""
    config = small_grid(yaml.safe_load(make_tiny_grid(root).read_text()))
    # a second data set: the same examples in another order, under another name
    data = root / "data/tiny-sst"
    other = root / "data/tiny-other"
    other.mkdir()
    for split in ("train", "validation", "test"):
        lines = (data / f"{split}.jsonl").read_text().splitlines()
        (other / f"{split}.jsonl").write_text("\n".join(reversed(lines)) + "\n")
    config["datasets"]["tiny-other"] = {"source": {"path": str(other)}, "format": "jsonl"}
    return config


# Each feature is one edit of the base config.
FEATURES = {
    "size": lambda c: c["grid"].update(vocab_sizes=[50, 100]),
    "step": lambda c: c["grid"].update(steps=[0, 2, 4]),
    "seed": lambda c: c["grid"].update(seeds=2),
    "recycler": lambda c: c["grid"].update(recyclers=["v2v-lin", "v2v-nn", "lin-comb"]),
    "pair": lambda c: c["grid"].update(pairs=[["tiny-a", "tiny-b"], ["tiny-b", "tiny-a"]]),
    "dataset": lambda c: c["grid"].update(datasets=["tiny-sst", "tiny-other"]),
    "model": lambda c: c["grid"].update(
        models=["tiny-a", "tiny-b", "tiny-big"],
        pairs=[["tiny-a", "tiny-b"], ["tiny-b", "tiny-big"]],
    ),
    "tuning": lambda c: c["tuning"].update(learning_rate=0.2),
    "evaluation": lambda c: c["evaluation"].update(calibrate=False),
    "recycling": lambda c: c["recycling"]["v2v-nn"].update(epochs=3),
}

# The chain: (state after the edit, the jobs it must run). A state is the set of features on.
# Words: fits (two recyclers) for 100 words and the one cell at the last step; the pair's
# description (it covers the largest word count) and the aggregate.
CHAIN = [
    ({"size"}, dict(fit_recyclers=2, describe_pair=1, evaluate_recycled=1, aggregate=1)),
    (set(), dict(describe_pair=1, aggregate=1)),
    # a step: both training runs (one more checkpoint; the others come out bit-identical, so
    # the cells that read them stay), the tuned and identity evaluations, the new cell
    (
        {"step"},
        dict(
            train_prompts=2,
            evaluate_tuned=2,
            evaluate_identity=1,
            evaluate_recycled=1,
            aggregate=1,
        ),
    ),
    (set(), dict(train_prompts=2, evaluate_tuned=2, evaluate_identity=1, aggregate=1)),
    # a seed: two new runs and everything of theirs; dropping it again only re-aggregates
    (
        {"seed"},
        dict(
            train_prompts=2,
            evaluate_tuned=2,
            evaluate_identity=1,
            evaluate_recycled=2,
            aggregate=1,
        ),
    ),
    (set(), dict(aggregate=1)),
    # a recycler: its fit and every cell (a cell scores all recyclers with one model load)
    ({"recycler"}, dict(fit_recyclers=1, evaluate_recycled=2, aggregate=1)),
    (set(), dict(evaluate_recycled=2, aggregate=1)),
    # the reverse pair: tiny-a becomes a target (its baselines)
    (
        {"pair"},
        dict(
            describe_pair=1,
            fit_recyclers=2,
            evaluate_recycled=2,
            evaluate_identity=1,
            evaluate_baseline=2,
            aggregate=1,
        ),
    ),
    (set(), dict(aggregate=1)),
    (
        {"dataset"},
        dict(
            prepare_data=1,
            train_prompts=2,
            evaluate_tuned=2,
            evaluate_identity=1,
            evaluate_recycled=2,
            evaluate_baseline=2,
            aggregate=1,
        ),
    ),
    (set(), dict(aggregate=1)),
    # a model with a pair of its own (tiny-b -> tiny-big): everything of the new pair
    (
        {"model"},
        dict(
            fetch_model=1,
            train_prompts=1,
            describe_pair=1,
            fit_recyclers=2,
            evaluate_recycled=2,
            evaluate_identity=1,
            evaluate_tuned=1,
            evaluate_baseline=2,
            aggregate=1,
        ),
    ),
    (set(), dict(aggregate=1)),
    # settings: the learning rate retrains and rescores every prompt (not the baselines);
    # no calibration rescores everything; more v2v-nn epochs refit it and rescore the cells
    (
        {"tuning"},
        dict(
            train_prompts=2,
            evaluate_tuned=2,
            evaluate_identity=1,
            evaluate_recycled=2,
            aggregate=1,
        ),
    ),
    (
        {"tuning", "evaluation"},
        dict(
            evaluate_tuned=2,
            evaluate_identity=1,
            evaluate_recycled=2,
            evaluate_baseline=2,
            aggregate=1,
        ),
    ),
    (
        {"tuning", "evaluation", "recycling"},
        dict(fit_recyclers=1, evaluate_recycled=2, aggregate=1),
    ),
    # two at once: a word count and a seed
    (
        {"tuning", "evaluation", "recycling", "size", "seed"},
        dict(
            fit_recyclers=2,
            describe_pair=1,
            train_prompts=2,
            evaluate_tuned=2,
            evaluate_identity=1,
            evaluate_recycled=1 + 3,
            aggregate=1,
        ),
    ),
    # and back to the base in one edit: every setting reverted, the word count and seed gone
    # (the old recyclers' files are still there: no fit)
    (
        set(),
        dict(
            describe_pair=1,
            train_prompts=2,
            evaluate_tuned=2,
            evaluate_identity=1,
            evaluate_recycled=2,
            evaluate_baseline=2,
            aggregate=1,
        ),
    ),
]


def config_of(base: dict, state: set, run: str = "default") -> dict:
    config = yaml.safe_load(yaml.safe_dump(base))  # a deep copy
    for feature in sorted(state):
        FEATURES[feature](config)
    config["run"] = run
    return config


def snakemake(work: Path, config: dict, name: str, background: bool = False):
    path = work / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config))
    args = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile")]
    args += ["--configfile", str(path), "--cores", "2", "aggregate"]
    if background:
        return subprocess.Popen(args, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    done = subprocess.run(args, cwd=work, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout + done.stderr


def jobs_run(log: str) -> dict[str, int]:
    """Rules of the jobs a Snakemake run started, counted (its log names each as ``rule X:``)."""
    return dict(Counter(re.findall(r"^(?:local)?rule (\w+):$", log, re.M)))


def table_text(work: Path, run: str) -> str:
    """The aggregated table with the run's folder taken out of the prompt paths."""
    return (work / TABLE.format(run=run)).read_text().replace(f"results/{run}/", "results/RUN/")


def name_of(state: set) -> str:
    return "-".join(sorted(state)) or "base"


def test_each_edit_reruns_what_it_must_and_ends_as_a_run_from_nothing(tmp_path):
    base = base_config(tmp_path)
    edited, fresh = tmp_path / "edited", tmp_path / "fresh"
    edited.mkdir()
    fresh.mkdir()
    # the from-nothing runs, one after the other in the background (each its own run name)
    states = [set()] + [state for state, _ in CHAIN]
    unique = list({name_of(s): s for s in states}.values())
    script = " && ".join(
        f"{sys.executable} -m snakemake -s {ROOT / 'Snakefile'} --configfile {name_of(s)}.yaml "
        f"--cores 1 aggregate > {name_of(s)}.log 2>&1"
        for s in unique
    )
    for s in unique:
        (fresh / f"{name_of(s)}.yaml").write_text(
            yaml.safe_dump(config_of(base, s, run=name_of(s)))
        )
    background = subprocess.Popen(["bash", "-c", script], cwd=fresh)

    snakemake(edited, config_of(base, set()), "base")
    tables = [("base", table_text(edited, "default"))]
    ran = []
    for state, expected in CHAIN:
        log = snakemake(edited, config_of(base, state), name_of(state))
        ran.append((name_of(state), jobs_run(log), expected))
        tables.append((name_of(state), table_text(edited, "default")))
    try:
        assert background.wait(timeout=900) == 0, "a from-nothing run failed"
    finally:
        background.kill()
    print("\n".join(f"{name}: {jobs}" for name, jobs, _ in ran))
    assert [(name, jobs) for name, jobs, _ in ran] == [(n, e) for n, _, e in ran]
    for i, (name, text) in enumerate(tables):
        assert text == table_text(fresh, name), f"after edit {i}: {name}"
