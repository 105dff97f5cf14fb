"""Grid shape, expected rows, size relations, parse-time checks; the grid plan imports no torch."""

import subprocess
import sys

import pytest

from prompt_recycling import paths
from prompt_recycling.checks import check_positions
from prompt_recycling.errors import RecyclingError
from prompt_recycling.pairs import size_relation
from prompt_recycling.plan import Grid
from prompt_recycling.rows import expected_counts


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
        "models": {m: {"source": {"path": m}} for m in "abc"},
        "datasets": {"d": {"source": {"path": "d"}, "format": "jsonl"}},
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
    assert len(g.recycler_files()) == 6 * 2 * 3


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
        ({"steps": [-5, 10]}, "grid.steps"),
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
    assert runs == {s: paths.prompt("d", "a", 1, s) for s in (0, 10, 20, 40)}
    items = g.recycled_items("d", "a", "b", 1)
    assert len(items) == len(g.recyclers) * len(g.cells())
    assert {i["prompt"] for i in items} <= set(runs.values())
    assert {i["recycler"] for i in items} == {
        p for m in g.recyclers for p in g.recyclers_of("a", "b", m).values()
    }
    assert len({i["recycled"] for i in items}) == len(items)  # one file per recycled prompt
    assert set(g.recycler_files()) == {
        p for a, b in g.pairs for m in g.recyclers for p in g.recyclers_of(a, b, m).values()
    }


def test_settings_the_rules_hand_out_take_overrides_and_schema_defaults():
    conf = config()
    conf["models"]["a"]["tuning"] = {"learning_rate": 0.5}
    conf["models"]["a"]["max_length"] = 40
    conf["models"]["a"]["placement"] = "after-cls"
    conf["datasets"]["d"]["template"] = "Review: {text}"
    conf["tuning"] = {"learning_rate": 0.1, "prompt_length": 7}
    g = Grid.from_config(conf)
    assert g.tuning("a") == {"learning_rate": 0.5, "prompt_length": 7}
    assert g.tuning("b") == {"learning_rate": 0.1, "prompt_length": 7}
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
        s: paths.prompt("d", "a", 0, s) for s in g.trained_steps
    }
    assert g.validation_checkpoints("d", "a", 0) == {
        s: paths.prompt("d", "a", 0, s) for s in (60, 80)
    }
    assert set(g.checkpoints("d", "a", 0)) == {0, 10, 20, 40}
    assert {i["step"] for i in g.recycled_items("d", "a", "b", 0)} == {0, 10, 20, 40}
    assert max(s for s, _ in g.cells()) == 40
    assert paths.prompt("d", "a", 0, 80) in g.prompt_files()
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
    conf["models"]["b"]["tuning"] = {"prompt_length": 7}
    g = Grid.from_config(conf)
    assert g.baselines("b") == ["zero-shot", "random", "null-prompt"]
    assert g.baselines("c") == ["zero-shot", "random"]
    assert g.null_prompt_targets == ["b"]
    files = g.evaluation_files()
    assert paths.eval_baseline("d", "null-prompt", "b") in files
    assert not any("null-prompt" in f and f.endswith("/c.csv") for f in files)
    assert g.expected_rows()["null-prompt"] == 2 * 1  # raw and calibrated, one target
    assert g.prompt_length("b") == 7
    assert Grid.from_config(config(random_prompts=0)).baselines("a") == ["zero-shot", "null-prompt"]
