"""Grid shape, expected rows, pair kinds, parse-time checks; the grid plan imports no torch."""

import subprocess
import sys

import pytest

from prompt_recycling.errors import RecyclingError
from prompt_recycling.grid import Grid, check_positions, pair_kind


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
    assert g.expected_rows(widths) == {
        "recycled": 1 * 6 * 2 * 2 * 6,
        "identity": 1 * 2 * 2 * 4,
        "tuned": 3 * 2 * 4 * 2,  # test and validation
        "zero-shot": 3,
        "random": 9,
    }
    assert g.expected_rows(widths, validation=False)["tuned"] == 3 * 2 * 4
    assert len(g.recycler_files()) == 6 * 2 * 3


def test_prompt_plus_text_longer_than_the_positions_is_a_parse_time_error(tmp_path):
    (tmp_path / "config.json").write_text(
        '{"model_type": "mpnet", "max_position_embeddings": 514, "pad_token_id": 1}'
    )
    conf = config()
    conf["tuning"] = {"prompt_length": 100}
    conf["evaluation"] = {"max_length": 412}
    check_positions(conf, Grid.from_config(conf), lambda m: tmp_path)  # 512 fits
    conf["evaluation"] = {"max_length": 413}
    with pytest.raises(RecyclingError, match="'tuning.prompt_length'.*513 tokens.*512 positions"):
        check_positions(conf, Grid.from_config(conf), lambda m: tmp_path)
    check_positions(conf, Grid.from_config(conf), lambda m: None)  # not on disk yet: the job checks


def test_the_grid_plan_imports_neither_torch_nor_transformers():
    code = (
        "import sys; from prompt_recycling.grid import Grid; import prompt_recycling.fetch; "
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
def test_pair_kind(source, target, kind):
    assert pair_kind(source, target) == kind


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
    ],
)
def test_grid_errors_name_the_key(edit, key):
    with pytest.raises(RecyclingError, match=f"'{key}'"):
        Grid.from_config(config(**edit))
