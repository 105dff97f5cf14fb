"""Grid shape, expected rows, size relations, parse-time checks; the grid plan imports no torch."""

import subprocess
import sys
from pathlib import Path

import pytest

from prompt_recycling import paths
from prompt_recycling.analysis.rows import expected_counts
from prompt_recycling.checks import check_positions
from prompt_recycling.errors import RecyclingError
from prompt_recycling.pairs import size_relation
from prompt_recycling.plan import Grid


def config(**grid):
    base = {
        "datasets": ["d"],
        "models": ["a", "b", "c"],
        "recyclers": ["v2v-lin", "lin-comb"],
        "steps": [0, 10, 20, 40],
        "vocab_sizes": [100, 200, 400],
        "default_vocab_size": 400,
        "seeds": 2,
        "random_prompts": 3,
    }
    base.update(grid)
    return {
        "models": {m: {"source": {"hub": f"org/{m}"}} for m in "abc"},
        "datasets": {"d": {"source": {"hub": "org/d"}, "format": "hub-imdb"}},
        "grid": base,
    }


def test_paper_sweep_shares_the_corner_cell_and_full_is_the_product():
    paper = Grid.from_config(config())
    assert paper.cells() == [(0, 400), (10, 400), (20, 400), (40, 100), (40, 200), (40, 400)]
    full = Grid.from_config(config(sweep="full"))
    assert len(full.cells()) == 12


def test_default_pairs_are_all_ordered_pairs_and_rows_add_up():
    g = Grid.from_config(config())
    assert len(g.pairs) == 6
    widths = {"a": 8, "b": 8, "c": 16}  # identity control for a->b and b->a only
    # every evaluation is written as it is and calibrated (the default): two rows
    assert expected_counts(g.expected_rows(), widths) == {
        "recycled": 2 * 1 * 6 * 2 * 2 * 6,
        "identity": 2 * 1 * 2 * 2 * 4,
        "tuned": 2 * 3 * 2 * 4 * 2,  # test and validation
        "zero-shot": 2 * 3,
        "random": 2 * 9,
        "null-prompt": 2 * 3,  # the models' architecture is unset: encoders until fetched
    }
    assert g.expected_rows(validation=False)["tuned"] == 2 * 3 * 2 * 4
    raw = config()
    raw["evaluation"] = {"calibrate": False}
    assert Grid.from_config(raw).expected_rows()["zero-shot"] == 3
    assert len(g.recycler_files()) == 6 * 2 * 3  # pairs x methods x sizes: one file each


def test_prompt_plus_text_longer_than_the_positions_is_a_parse_time_error(tmp_path):
    (tmp_path / "config.json").write_text(
        '{"model_type": "mpnet", "max_position_embeddings": 514, "pad_token_id": 1}'
    )
    conf = config()
    conf["tuning"] = {"prompt_length": 100}
    conf["evaluation"] = {"max_length": 412}
    check_positions(Grid.from_config(conf), lambda m: tmp_path)  # 512 fits
    conf["evaluation"] = {"max_length": 413}
    with pytest.raises(RecyclingError, match="'tuning.prompt_length'.*513 tokens.*512 positions"):
        check_positions(Grid.from_config(conf), lambda m: tmp_path)
    check_positions(Grid.from_config(conf), lambda m: None)  # not on disk yet: the job checks


def test_the_grid_plan_imports_neither_torch_nor_transformers():
    code = (
        "import sys; from prompt_recycling.plan import Grid; import prompt_recycling.fetch; "
        "import prompt_recycling.checks, prompt_recycling.settings, prompt_recycling.paths; "
        "assert 'torch' not in sys.modules and 'transformers' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    "source,target,kind",
    [
        ({"width": 384, "params": 17e6}, {"width": 384, "params": 22e6}, "same-size"),
        ({"width": 384, "params": 22e6}, {"width": 768, "params": 109e6}, "small->large"),
        ({"width": 768, "params": 109e6}, {"width": 384, "params": 22e6}, "large->small"),
        ({"width": 768, "params": 100e6}, {"width": 768, "params": 300e6}, "small->large"),
    ],
)
def test_size_relation(source, target, kind):
    assert size_relation(source, target) == kind


@pytest.mark.parametrize(
    "edit,key",
    [
        ({"datasets": ["nope"]}, "grid.datasets"),
        ({"models": ["a", "zz"]}, "grid.models"),
        ({"pairs": [["a", "a"]]}, "grid.pairs"),
        ({"default_vocab_size": 7}, "grid.default_vocab_size"),
        ({"sweep": "diagonal"}, "grid.sweep"),
        ({"random_prompts": -2}, "grid.random_prompts"),
        ({"steps": [0]}, "grid.steps"),
        ({"steps": [-5, 10]}, "grid.steps.0"),  # the schema's minimum
        ({"validation_steps": [40]}, "grid.validation_steps"),  # not after the last step
        ({"validation_steps": [80, 60]}, "grid.validation_steps"),
        ({"validation_steps": [80, 80]}, "grid.validation_steps"),
    ],
)
def test_grid_errors_name_the_key(edit, key):
    with pytest.raises(RecyclingError, match=f"'{key}'"):
        Grid.from_config(config(**edit))


def test_each_rule_is_handed_the_files_it_declares():
    g = Grid.from_config(config())
    runs = g.checkpoints("d", "a", 1)
    assert runs == {s: paths.prompt("default", "d", "a", 1, s) for s in (0, 10, 20, 40)}
    cells = [c for c in g.recycled_cells() if c[:4] == ("d", "a", "b", 1)]
    assert [(step, n) for *_, n, step in cells] == g.cells()
    cell = g.recycled_cell("d", "a", "b", 1, 400, 10)
    assert cell["prompt"] == runs[10]
    assert set(cell["recyclers"]) == set(cell["recycled"]) == set(g.recyclers)
    assert cell["recyclers"]["lin-comb"] == g.recycler_file("a", "b", "lin-comb", 400)
    # one evaluated file per cell, one recycled prompt per method and cell, all asked for
    evaluations = g.evaluation_files()
    assert len(set(evaluations)) == len(evaluations)
    recycled = [f for f in evaluations if "/recycled/" in f]
    assert len(recycled) == len(g.pairs) * len(g.seeds) * len(g.cells())
    assert len(set(g.recycled_files())) == len(recycled) * len(g.recyclers)
    assert set(g.recycler_files()) == {
        g.recycler_file(a, b, m, n) for a, b in g.pairs for m in g.recyclers for n in g.sizes_used()
    }


def test_results_go_under_the_run_and_shared_files_carry_their_content_key():
    g = Grid.from_config(config())
    assert g.run == "default" and all(f.startswith("results/default/") for f in g.prompt_files())
    paper = config()
    paper["run"] = "paper"
    paper["grid"]["seeds"] = 3
    h = Grid.from_config(paper)
    assert all(f.startswith("results/paper/") for f in h.evaluation_files())
    # the same models, data and recycler settings: the same shared files
    assert h.recycler_files() == g.recycler_files()
    assert h.model_file("a") == g.model_file("a") and h.data_file("d", "train") == g.data_file(
        "d", "train"
    )
    # a recycler's settings, a model's source, a data set's splits: new files
    epochs = config()
    epochs["recycling"] = {"v2v-nn": {"epochs": 3}}
    nn = Grid.from_config({**epochs, "grid": {**epochs["grid"], "recyclers": ["v2v-nn"]}})
    default_nn = Grid.from_config(
        {**config(), "grid": {**config()["grid"], "recyclers": ["v2v-nn"]}}
    )
    assert nn.recycler_files()[0] != default_nn.recycler_files()[0]
    written = config()
    written["recycling"] = {"v2v-nn": {"epochs": 25}}  # the default, written out: no change
    assert Grid.from_config(written).keys.recycler("a", "b", "v2v-nn") == default_nn.keys.recycler(
        "a", "b", "v2v-nn"
    )
    moved = config()
    moved["models"]["a"]["source"] = {"hub": "org/a", "revision": "v2"}
    m = Grid.from_config(moved)
    assert m.model_file("a") != g.model_file("a") and m.model_file("b") == g.model_file("b")
    assert m.recycler_file("a", "b", "v2v-lin", 100) != g.recycler_file("a", "b", "v2v-lin", 100)
    assert m.recycler_file("b", "c", "v2v-lin", 100) == g.recycler_file("b", "c", "v2v-lin", 100)
    split = config()
    split["datasets"]["d"]["splits"] = {"train": 10}
    split["datasets"]["d"]["title"] = "renamed"  # cosmetic
    assert Grid.from_config(split).data_file("d", "test") != g.data_file("d", "test")
    titled = config()
    titled["datasets"]["d"]["title"] = "renamed"
    titled["datasets"]["d"]["template"] = "Review: {text}"  # read by the jobs, not by preparing
    assert Grid.from_config(titled).data_file("d", "test") == g.data_file("d", "test")
    with pytest.raises(RecyclingError, match="'run'"):
        Grid.from_config({**config(), "run": "../elsewhere"})


def test_a_path_source_enters_its_key_through_its_content(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "weights.bin").write_bytes(b"one")
    conf = config()
    conf["models"]["a"]["source"] = {"path": str(folder)}
    cache = str(tmp_path / "fingerprints.json")

    def key():
        g = Grid.from_config(conf)
        g.keys._cache = cache
        return g.keys.model("a")

    first = key()
    import os

    os.utime(folder / "weights.bin", ns=(1, 1))  # touched: the same content, the same key
    assert key() == first
    (folder / "weights.bin").write_bytes(b"two")  # replaced in place: a new key
    assert key() != first
    conf["models"]["a"]["source"] = {"path": str(tmp_path / "gone")}
    with pytest.raises(RecyclingError, match="'models.a.source.path'"):
        key()


def test_settings_the_rules_hand_out_take_overrides_and_schema_defaults():
    conf = config()
    conf["models"]["a"]["tuning"] = {"learning_rate": 0.5}
    conf["models"]["a"]["max_length"] = 40
    conf["models"]["a"]["placement"] = "after-cls"
    conf["datasets"]["d"]["template"] = "Review: {text}"
    conf["tuning"] = {"learning_rate": 0.1, "prompt_length": 7}
    g = Grid.from_config(conf)
    base = Grid.from_config(config()).tuning("a")  # the schema's defaults, filled in
    assert base["batch_size"] == 32 and "loss" not in base  # added later: out at its default
    assert g.tuning("a") == {**base, "learning_rate": 0.5, "prompt_length": 7}
    assert g.tuning("b") == {**base, "learning_rate": 0.1, "prompt_length": 7}
    assert g.reader("a", "d") == {
        "labels": ["negative", "positive"],  # the schema's default
        "template": "Review: {text}",
        "architecture": None,
        "max_length": 40,
        "placement": "after-cls",
    }
    assert g.reader("b", "d")["placement"] is None  # the encoder's default
    assert g.reader("b", "d")["max_length"] == 128  # evaluation.max_length's schema default


def test_validation_steps_are_trained_and_scored_on_validation_only():
    g = Grid.from_config(config(validation_steps=[60, 80]))
    assert g.steps == (0, 10, 20, 40) and g.trained_steps == (0, 10, 20, 40, 60, 80)
    # training writes them; nothing recycles them or scores them on the test split
    assert g.trained_checkpoints("d", "a", 0) == {
        s: paths.prompt("default", "d", "a", 0, s) for s in g.trained_steps
    }
    assert g.validation_checkpoints("d", "a", 0) == {
        s: paths.prompt("default", "d", "a", 0, s) for s in (60, 80)
    }
    assert set(g.checkpoints("d", "a", 0)) == {0, 10, 20, 40}
    assert {step for *_, step in g.recycled_cells()} == {0, 10, 20, 40}
    assert max(s for s, _ in g.cells()) == 40
    assert paths.prompt("default", "d", "a", 0, 80) in g.prompt_files()
    assert len(g.prompt_files()) == 3 * 2 * 6
    # per run: 4 steps on test and validation, 2 on validation only; raw and calibrated
    assert g.expected_rows()["tuned"] == 2 * 3 * 2 * (4 * 2 + 2)
    assert g.expected_rows(validation=False)["tuned"] == 2 * 3 * 2 * 4
    assert g.counts() == Grid.from_config(config()).counts()  # what the findings pool over
    # without validation scoring nothing would read them: not trained either
    off = config(validation_steps=[60, 80])
    off["evaluation"] = {"validation": False}
    assert Grid.from_config(off).trained_steps == (0, 10, 20, 40)
    assert Grid.from_config(config()).validation_steps == ()  # the schema's default: none


def test_null_prompt_is_planned_for_encoder_targets_only():
    conf = config(pairs=[["a", "b"], ["b", "c"]])
    conf["models"]["c"]["architecture"] = "causal"
    conf["models"]["b"]["architecture"] = "encoder"
    conf["tuning"] = {"prompt_length": 7}
    g = Grid.from_config(conf)
    assert g.baselines("b") == ["zero-shot", "random", "null-prompt"]
    assert g.baselines("c") == ["zero-shot", "random"]
    assert g.null_prompt_targets == ["b"]
    files = g.evaluation_files()
    assert paths.eval_baseline("default", "d", "null-prompt", "b") in files
    assert not any("null-prompt" in f and f.endswith("/c.csv") for f in files)
    assert g.expected_rows()["null-prompt"] == 2 * 1  # raw and calibrated, one target
    assert g.prompt_length("b") == 7
    assert Grid.from_config(config(random_prompts=0)).baselines("a") == ["zero-shot", "null-prompt"]


def test_shipped_configs_run_side_by_side_and_share_their_resources():
    """The default and cpu-full runs write to their own folders and reuse one fetched model and
    one fitted recycler wherever their settings agree."""
    import yaml

    from prompt_recycling.locate import data_file, model_file

    root = Path(__file__).resolve().parents[1]
    default, full = (
        Grid.from_config(yaml.safe_load((root / f"config/{name}.yaml").read_text()))
        for name in ("config", "cpu-full")
    )
    assert (default.run, full.run) == ("default", "cpu-full")
    assert not set(default.evaluation_files()) & set(full.evaluation_files())
    assert default.model_file("minilm-l6") == full.model_file("minilm-l6")
    # cpu-full splits RT polarity 8,000 / 1,000 (the default 8,500 / 500): its own folder,
    # where the two once overwrote each other's splits
    assert default.data_file("rt-polarity", "test") != full.data_file("rt-polarity", "test")
    shared = set(default.recycler_files()) & set(full.recycler_files())
    assert default.recycler_file("minilm-l3", "minilm-l6", "v2v-nn", 4000) in shared
    assert model_file("minilm-l6", root) == root / default.model_file("minilm-l6")
    assert data_file("rt-polarity", "test", root) == root / default.data_file("rt-polarity", "test")


def test_a_models_jobs_get_its_declared_memory_and_the_schemas_default_otherwise():
    """``models.<name>.mem_mb``: the memory of one attempt of a job that loads the model."""
    from prompt_recycling.settings import defaults

    c = config()
    c["models"]["b"]["mem_mb"] = 16000
    g = Grid.from_config(c)
    assert g.mem_mb("b") == 16000
    assert g.mem_mb("a") == defaults("models", "*")["mem_mb"] == 8000


def test_a_tuning_setting_added_later_is_left_out_of_the_jobs_at_its_default():
    """A finished grid trained with today's loss: the jobs' params stay as they were, so it
    does not rerun; another loss is a change the training jobs see."""
    base = Grid.from_config(config()).tuning("a")
    c = config()
    c["tuning"] = {"learning_rate": 0.03, "loss": "rank", "dropout": False}
    assert Grid.from_config(c).tuning("a") == {**base, "learning_rate": 0.03}
    c = config()
    c["tuning"] = {"learning_rate": 0.03, "loss": "lm", "dropout": "model"}
    assert Grid.from_config(c).tuning("a") == {
        **base,
        "learning_rate": 0.03,
        "loss": "lm",
        "dropout": "model",
    }
    c = config()
    c["tuning"] = {"init_range": 0.5, "vocab_sample_size": 5000, "weight_decay": 0.00001}
    assert Grid.from_config(c).tuning("a") == base  # once literals of the code, now the schema's
    c["tuning"]["vocab_sample"] = "english-words"  # what the inits drew from before the option
    assert Grid.from_config(c).tuning("a") == base
    c["tuning"]["vocab_sample"] = "first-rows"
    assert Grid.from_config(c).tuning("a") == {**base, "vocab_sample": "first-rows"}
    # v2v-nn's init and loss: today's, written out, keep its fitted files; the released code's
    # are new ones
    today = Grid.from_config(config()).keys.recycler("a", "b", "v2v-nn")
    c["recycling"] = {"v2v-nn": {"init": "pytorch", "loss": "mse"}}
    assert Grid.from_config(c).keys.recycler("a", "b", "v2v-nn") == today
    c["recycling"] = {"v2v-nn": {"init": "lecun-normal", "loss": "half-mse"}}
    assert Grid.from_config(c).keys.recycler("a", "b", "v2v-nn") != today


def _strings(value):
    """Every string inside a param's value (dicts, lists, nested)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _strings(v)


def planned_jobs(tmp_path) -> list:
    """The jobs Snakemake plans for a tiny grid with every kind of job (validation steps and
    two seeds), from the parsed workflow (Snakemake's API, a dry run)."""
    import yaml
    from snakemake.api import SnakemakeApi
    from snakemake.settings.enums import Quietness
    from snakemake.settings.types import (
        ConfigSettings,
        DAGSettings,
        OutputSettings,
        ResourceSettings,
        StorageSettings,
    )
    from tinygrid import make_tiny_grid, small_grid

    config = small_grid(yaml.safe_load(make_tiny_grid(tmp_path, seeds=2).read_text()))
    config["grid"].update(validation_steps=[4], random_prompts=1)
    config["evaluation"]["validation"] = True
    (tmp_path / "grid.yaml").write_text(yaml.safe_dump(config))
    root = Path(__file__).resolve().parents[1]
    with SnakemakeApi(OutputSettings(quiet={Quietness.ALL})) as api:
        workflow = api.workflow(
            resource_settings=ResourceSettings(cores=1),
            config_settings=ConfigSettings(configfiles=[tmp_path / "grid.yaml"]),
            storage_settings=StorageSettings(),
            workdir=tmp_path,
            snakefile=root / "Snakefile",
        )
        workflow.dag(DAGSettings()).execute_workflow(executor="dryrun")
        return list(workflow._workflow.dag.jobs)  # the planned jobs (no public accessor)


def test_no_job_is_handed_a_declared_file_as_a_param(tmp_path):
    """Files reach a job's script by name, as declared inputs and outputs, once: no param
    repeats one (the parsed workflow's jobs of a grid with every kind of job, validation steps
    and two seeds). The rules after the aggregate carry the analysis code's digest, so that a
    new version of it redraws the tables, figures and report."""
    from prompt_recycling.fsutil import code_digest

    jobs = planned_jobs(tmp_path)
    analysis = Path(__file__).resolve().parents[1] / "src/prompt_recycling/analysis"
    digest = code_digest(sorted(analysis.rglob("*.py")))
    by_rule = {job.rule.name: job for job in jobs}
    assert all(by_rule[r].params.code == digest for r in ("analyse", "figures", "write_report"))
    assert not any("code" in job.params.keys() for job in jobs if job.rule.name == "aggregate")
    rules = {job.rule.name for job in jobs}
    assert {"train_prompts", "evaluate_recycled", "evaluate_tuned", "evaluate_baseline"} <= rules
    repeated = [
        f"{job.rule.name}.params.{name}: {text}"
        for job in jobs
        for name, value in job.params.items()
        for text in _strings(value)
        if text in {*map(str, job.input), *map(str, job.output)}
    ]
    assert repeated == []
    recycled = next(job for job in jobs if job.rule.name == "evaluate_recycled")
    assert {"table_s2_n50", "recycled_v2v-nn_s2_n50", "identity"} <= set(recycled.output.keys())
    assert {"step0", "step2", "recycler_v2v-lin_s2_n50"} <= set(recycled.input.keys())


def test_a_path_data_set_is_read_at_parse_until_it_is_prepared(tmp_path, monkeypatch):
    """Every parse (each SLURM job's too) checks a local data set against the config; once it is
    prepared under its current key the parse no longer reads it."""
    import os

    import yaml
    from tinygrid import make_tiny_grid

    from prompt_recycling import examples
    from prompt_recycling.checks import check_config

    config = yaml.safe_load(make_tiny_grid(tmp_path).read_text())
    monkeypatch.chdir(tmp_path)
    reads = []
    real = examples.read_examples
    monkeypatch.setattr(examples, "read_examples", lambda *a, **k: reads.append(a) or real(*a, **k))
    grid = Grid.from_config(config)
    check_config(config, grid)
    assert len(reads) == 3  # the jsonl folder's three splits
    manifest = Path(grid.data_file(grid.datasets[0], "train")).with_name("manifest.json")
    os.makedirs(manifest.parent)
    manifest.write_text("{}")
    check_config(config, grid)
    assert len(reads) == 3
    config["datasets"][grid.datasets[0]]["max_eval"] = 7  # another key: read again
    grid = Grid.from_config(config)
    check_config(config, grid)
    assert len(reads) == 6


def test_an_init_axis_runs_each_seed_once_per_init_in_a_folder_of_its_own():
    plain = Grid.from_config(config())
    g = Grid.from_config(config(inits=["random-uniform", "class-label"]))
    assert plain.inits == () and plain.init_values() == (None,)
    # without the axis a run's files are named as before it existed
    assert plain.checkpoints("d", "a", 1)[10] == "results/default/prompts/d/a/seed1/step-10.npy"
    assert g.checkpoints("d", "a", 1, "class-label")[10] == (
        "results/default/prompts/d/a/class-label/seed1/step-10.npy"
    )
    assert paths.with_init(paths.RESUME).endswith("/{model}/{init}/.seed{seed}.resume")
    assert paths.with_init(paths.EVAL_IDENTITY).endswith(
        "/{source}__{target}/{init}/seed{seed}.csv"
    )
    assert all("/{init}/seed{seed}/" in p for p in g.training_outputs().values())
    assert all("/{init}/seed{seed}/" in p for p in g.run_outputs().values())
    assert not any("{init}" in p for p in plain.run_outputs().values())
    # each init trains with its own init, over the tuning block and a model's override
    raw = config(inits=["random-uniform", "class-label"])
    raw["models"]["a"]["tuning"] = {"init": "sampled-vocab"}
    g2 = Grid.from_config(raw)
    assert g2.tuning("a")["init"] == "sampled-vocab"
    assert g2.tuning("a", "class-label")["init"] == "class-label"
    # random prompts are drawn per init, the way that init's runs start
    assert g.baselines("a") == [
        "zero-shot",
        "random/random-uniform",
        "random/class-label",
        "null-prompt",
    ]
    assert g.baseline_tuning("random/class-label", "a")["init"] == "class-label"
    raw = config(inits=["random-uniform", "class-label"])
    raw["tuning"] = {"vocab_sample": "first-rows"}  # drawn from the same rows as the runs
    assert Grid.from_config(raw).baseline_tuning("random/class-label", "a")["vocab_sample"] == (
        "first-rows"
    )
    assert g.baseline_tuning("random", "a") == plain.init_settings("a")
    assert g.baseline_tuning("zero-shot", "a") == {}
    assert paths.baseline_parts("random/class-label") == ("random", "class-label")
    assert paths.baseline_parts("zero-shot") == ("zero-shot", None)
    # twice the runs: every row of a run, and the random prompts; zero-shot and null once
    one, two = plain.expected_rows(), g.expected_rows()
    for kind in ("recycled", "tuned", "random", "identity_per_pair"):
        assert two[kind] == 2 * one[kind]
    assert two["zero-shot"] == one["zero-shot"] and two["null-prompt"] == one["null-prompt"]
    files = g.evaluation_files()
    assert len(set(files)) == len(files)
    assert len(files) == 2 * len(plain.evaluation_files()) - 2 * 3  # zero-shot, null once
    assert len(set(g.prompt_files())) == 2 * len(plain.prompt_files())
    assert len(set(g.recycled_files())) == 2 * len(plain.recycled_files())
    assert g.counts()["runs"] == 2 * plain.counts()["runs"] and g.counts()["inits"] == 2
    assert "inits" not in plain.counts()  # a grid without the axis: its params as before


@pytest.mark.parametrize("inits", [["zeros"], [], ["class-label", "class-label"]])
def test_a_bad_init_axis_names_its_key(inits):
    with pytest.raises(RecyclingError, match=r"'grid\.inits(\.0)?'"):
        Grid.from_config(config(inits=inits))
