"""Editing a finished grid: every edit plans exactly the jobs it must, and after a run the
results table equals, byte for byte, a run of the edited config from nothing.

The smallest grid (tinygrid.small_grid) is run once; then each edit of a matrix (grow every
axis, shrink two, change a tuning, an evaluation and a recycling key, two edits at once) is
planned against it (``snakemake -n``: the jobs a run would start, by rule). Four of them are
then run for real, one after the other (a word count added and removed; a seed and the
learning rate at once, and back): each run's jobs are counted from its log and its table is
compared with a from-nothing run of the same config, made in a second folder under a run name
of its own (so those share that folder's content-addressed models, data and recyclers, and
nothing of the edited one). Removing a model or a pair, and the analysis and figure keys,
are planned against the larger finished grid of test_workflow.py.
"""

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml
from tinygrid import make_tiny_grid, small_grid

pytestmark = pytest.mark.slow  # the workflow tier: Snakemake runs (docs/development.md, "Tests")


def jobs_planned(text: str) -> dict[str, int]:
    """The 'Job stats' table of a dry run's text, as {rule: count} (empty when nothing is
    left)."""
    if "Job stats:" not in text:
        return {}
    counts = {}
    for line in text.split("Job stats:")[1].splitlines()[3:]:
        parts = line.split()
        if len(parts) != 2 or not parts[1].isdigit():
            break
        counts[parts[0]] = int(parts[1])
    counts.pop("total", None)
    return counts


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
    "-step": lambda c: c["grid"].update(steps=[2]),
    "-recycler": lambda c: c["grid"].update(recyclers=["v2v-lin"]),
    "tuning": lambda c: c["tuning"].update(learning_rate=0.2),
    "model-tuning": lambda c: c["models"]["tiny-a"].update(tuning={"batch_size": 3}),
    "evaluation": lambda c: c["evaluation"].update(calibrate=False),
    "recycling": lambda c: c["recycling"]["v2v-nn"].update(epochs=3),
    "inits": lambda c: c["grid"].update(inits=["sampled-vocab", "class-label"]),
}


def counts(**jobs) -> dict[str, int]:
    return {**jobs, "aggregate": 1}


TRAINED = dict(train_prompts=2, evaluate_tuned=2)  # a run retrained
# all of one model in one pair: its description, its run, the pair's fits, the recycling job of
# its run, the target's baselines (a model added with a pair, or a model's weights replaced)
ONE_MODEL = dict(
    fetch_model=1,
    train_prompts=1,
    evaluate_tuned=1,
    describe_pair=1,
    fit_recyclers=2,
    evaluate_recycled=1,
    evaluate_baseline=2,
)

# Planned against the finished base grid: (state, the jobs it must run). A state is the set
# of features on; "-step" and "-recycler" remove one from the base. evaluate_recycled is one
# job per source run and pair (its cells and the identity control): any edit of its cells
# reruns it, and its scores made before are read back from the score cache.
MATRIX = [
    # fits (two recyclers) for 100 words, the run's recycling job (one more cell), and the
    # pairs' description (it covers the largest word count)
    ({"size"}, counts(fit_recyclers=2, describe_pair=1, evaluate_recycled=1)),
    # a training job writes every checkpoint: the runs retrain, and every prompt of theirs is
    # scored again
    ({"step"}, counts(**TRAINED, evaluate_recycled=1)),
    ({"seed"}, counts(**TRAINED, evaluate_recycled=1)),
    # a recycler: its fit, and the recycling job (it scores all recyclers with one model load)
    ({"recycler"}, counts(fit_recyclers=1, evaluate_recycled=1)),
    # the reverse pair: its fits and recycling job, and tiny-a's baselines (now a target)
    (
        {"pair"},
        counts(describe_pair=1, fit_recyclers=2, evaluate_recycled=1, evaluate_baseline=2),
    ),
    ({"dataset"}, counts(prepare_data=1, **TRAINED, evaluate_recycled=1, evaluate_baseline=2)),
    ({"model"}, counts(**ONE_MODEL)),
    ({"-step"}, counts(**TRAINED, evaluate_recycled=1)),  # steps [2]: one cell left
    ({"-recycler"}, counts(evaluate_recycled=1)),
    # the learning rate: every prompt, not the baselines (they take the init settings only)
    ({"tuning"}, counts(**TRAINED, evaluate_recycled=1)),
    # one model's own tuning setting: its run and what reads it, not the models' descriptions
    ({"model-tuning"}, counts(train_prompts=1, evaluate_tuned=1, evaluate_recycled=1)),
    ({"evaluation"}, counts(evaluate_tuned=2, evaluate_recycled=1, evaluate_baseline=2)),
    # more v2v-nn epochs: a new file (its key), the job that reads it
    ({"recycling"}, counts(fit_recyclers=1, evaluate_recycled=1)),
    # an init axis: every run (the tuning block's init among them) under a folder of its init,
    # so every run trains and is scored again; the fits and the zero-shot and null baselines stay
    ({"inits"}, counts(train_prompts=4, evaluate_tuned=4, evaluate_recycled=2)),
    # the grown seed 0 and the new seed 1
    ({"size", "seed"}, counts(fit_recyclers=2, describe_pair=1, **TRAINED, evaluate_recycled=2)),
    ({"recycler", "tuning"}, counts(fit_recyclers=1, **TRAINED, evaluate_recycled=1)),
]

# Run for real, in this order: (state after the edit, the jobs it runs).
CHAIN = [
    ({"size"}, counts(fit_recyclers=2, describe_pair=1, evaluate_recycled=1)),
    # removed: the table shrinks; the recycling job reruns, its scores all read back
    (set(), counts(describe_pair=1, evaluate_recycled=1)),
    ({"seed", "tuning"}, counts(train_prompts=4, evaluate_tuned=4, evaluate_recycled=2)),
    (set(), counts(**TRAINED, evaluate_recycled=1)),  # the old rate again: seed 0 retrained
]


def config_of(base: dict, state: set, run: str = "default") -> dict:
    config = yaml.safe_load(yaml.safe_dump(base))  # a deep copy
    for feature in sorted(state):
        FEATURES[feature](config)
    config["run"] = run
    return config


def snakemake(work: Path, config: dict | None, name: str, *extra: str) -> str:
    """Snakemake on ``config`` (written to ``<name>.yaml``; None: that file as it is), with the
    aggregate as target; returns its log."""
    path = work / f"{name}.yaml"
    if config is not None:
        path.write_text(yaml.safe_dump(config))
    args = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile")]
    args += ["--configfile", str(path), "--cores", "2", *extra, "aggregate"]
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
    return "_".join(sorted(state)) or "base"


@pytest.mark.xdist_group("both-cores")  # runs grids on both cores: never beside the kill -9 test
def test_each_edit_reruns_what_it_must_and_ends_as_a_run_from_nothing(tmp_path):
    base = base_config(tmp_path)
    edited, fresh = tmp_path / "edited", tmp_path / "fresh"
    edited.mkdir()
    fresh.mkdir()
    # the from-nothing runs of the chain's new states, in the background, one after another
    states = [s for s, _ in CHAIN if s]
    script = " && ".join(
        f"{sys.executable} -m snakemake -s {ROOT / 'Snakefile'} --configfile {name_of(s)}.yaml "
        f"--cores 1 aggregate > {name_of(s)}.log 2>&1"
        for s in states
    )
    for s in states:
        path = fresh / f"{name_of(s)}.yaml"
        path.write_text(yaml.safe_dump(config_of(base, s, run=name_of(s))))
    background = subprocess.Popen(["bash", "-c", script], cwd=fresh)
    try:
        snakemake(edited, config_of(base, set()), "base")
        original = table_text(edited, "default")
        planned = [
            (name_of(s), jobs_planned(snakemake(edited, config_of(base, s), name_of(s), "-n")))
            for s, _ in MATRIX
        ]
        ran, tables = [], []
        for state, _ in CHAIN:
            ran.append(
                (
                    name_of(state),
                    jobs_run(snakemake(edited, config_of(base, state), name_of(state))),
                )
            )
            tables.append((name_of(state), table_text(edited, "default")))
        assert background.wait(timeout=900) == 0, "a from-nothing run failed"
    finally:
        background.kill()
    print("\n".join(f"{name}: {jobs}" for name, jobs in planned + ran))
    assert planned == [(name_of(s), jobs) for s, jobs in MATRIX]
    assert ran == [(name_of(s), jobs) for s, jobs in CHAIN]
    for i, (name, text) in enumerate(tables):
        expected = table_text(fresh, name) if name != "base" else original
        assert text == expected, f"after edit {i + 1} of the chain ({name})"

    check_damage_is_seen_and_repaired(edited, original)
    check_a_local_source_is_tracked_by_content(edited, base)


def check_damage_is_seen_and_repaired(work: Path, original: str) -> None:
    """A deleted evaluation and a cut recycler: Snakemake alone does not remake them; status
    names them; repair reruns their jobs and what reads them, and the table is the same again."""
    args = ["-s", str(ROOT / "Snakefile"), "--configfile", "base.yaml", "--cores", "2"]
    assert "Nothing to be done" in snakemake(work, None, "base", "-n")
    cell = "results/default/evaluations/tiny-sst/recycled/tiny-a__tiny-b/seed0/n50/step-0.csv"
    (work / cell).unlink()
    assert "Nothing to be done" in snakemake(work, None, "base", "-n")  # unseen by Snakemake
    cli = [sys.executable, "-m", "prompt_recycling.cli"]

    def status() -> str:
        done = subprocess.run(
            [*cli, "status", "--cores", "2", "--", *args, "aggregate"],
            cwd=work,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert "prompt-recycle repair" in done.stdout and "the grid is complete" not in done.stdout
        return done.stdout

    assert f"{cell}: missing" in status()
    # a cut recycler is newer than the cells that read it: Snakemake would rescore them with
    # it as it is (the deleted cell among them), and leave it cut
    recycler = next((work / "resources/recyclers").rglob("v2v-nn.*/n50.safetensors"))
    recycler.write_bytes(recycler.read_bytes()[:-100])
    assert "fit_recyclers" not in jobs_planned(snakemake(work, None, "base", "-n"))
    assert str(recycler.relative_to(work)) in status()
    done = subprocess.run(
        [*cli, "repair", "--", *args, "aggregate"], cwd=work, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert jobs_run(done.stdout + done.stderr) == counts(fit_recyclers=1, evaluate_recycled=1)
    assert table_text(work, "default") == original


def check_a_local_source_is_tracked_by_content(work: Path, base: dict) -> None:
    """A path: model touched plans nothing; its weights replaced in place, everything that
    reads it."""
    folder = Path(base["models"]["tiny-b"]["source"]["path"])
    for f in folder.iterdir():
        os.utime(f)
    assert "Nothing to be done" in snakemake(work, None, "base", "-n")
    weights = folder / "model.safetensors"
    from safetensors.numpy import load_file, save_file

    tensors = load_file(weights)
    name = next(k for k in tensors if k.endswith("layer.0.output.dense.bias"))
    tensors[name] = tensors[name] + 0.5
    save_file(tensors, weights, metadata={"format": "pt"})
    assert jobs_planned(snakemake(work, None, "base", "-n")) == counts(**ONE_MODEL)
