"""Grid shape, expected rows, pair kinds, and the results/reliability/report computations."""

import pandas as pd
import pytest

from prompt_recycling.analysis import aggregate, reliability
from prompt_recycling.errors import RecyclingError
from prompt_recycling.grid import Grid, pair_kind
from prompt_recycling.report import findings


def config(**grid):
    base = {
        "datasets": ["d"],
        "models": ["a", "b", "c"],
        "recyclers": ["v2v-lin", "lin-comb"],
        "steps": [10, 20, 40],
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
    assert paper.cells() == [(10, 400), (20, 400), (40, 100), (40, 200), (40, 400)]
    full = Grid.from_config(config(sweep="full"))
    assert len(full.cells()) == 9


def test_default_pairs_are_all_ordered_pairs_and_rows_add_up():
    g = Grid.from_config(config())
    assert len(g.pairs) == 6
    assert g.expected_rows() == {
        "recycled": 1 * 6 * 2 * 2 * 5,
        "tuned": 3 * 2 * 3,
        "zero-shot": 3,
        "random": 9,
    }
    assert len(g.recycler_files()) == 6 * 2 * 3


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
    ],
)
def test_grid_errors_name_the_key(edit, key):
    with pytest.raises(RecyclingError, match=f"'{key}'"):
        Grid.from_config(config(**edit))


def rows():
    """A hand-made results table: target t (zero-shot 0.6, random 0.5), source s."""
    base = {
        "dataset": "d",
        "source": None,
        "method": None,
        "vocab_size": None,
        "step": None,
        "seed": None,
        "random_index": None,
        "pair_kind": None,
        "n": 10,
    }
    out = [
        {**base, "kind": "zero-shot", "model": "t", "accuracy": 0.6},
        {**base, "kind": "random", "model": "t", "accuracy": 0.4, "random_index": 0},
        {**base, "kind": "random", "model": "t", "accuracy": 0.6, "random_index": 1},
    ]
    for step, acc in ((10, 0.9), (20, 0.7)):
        out.append(
            {**base, "kind": "tuned", "model": "t", "step": step, "seed": 0, "accuracy": acc}
        )
        out.append(
            {**base, "kind": "tuned", "model": "s", "step": step, "seed": 0, "accuracy": 0.8}
        )
    for step, acc in ((10, 0.7), (20, 0.55)):
        out.append(
            {
                **base,
                "kind": "recycled",
                "model": "t",
                "source": "s",
                "method": "v2v-lin",
                "vocab_size": 100,
                "step": step,
                "seed": 0,
                "pair_kind": "same-size",
                "accuracy": acc,
            }
        )
    return out


def write(tmp_path, data, name="a.csv"):
    pd.DataFrame(data).to_csv(tmp_path / name, index=False)
    return str(tmp_path / name)


def test_aggregate_checks_missing_and_duplicated_rows(tmp_path):
    files = [write(tmp_path, rows())]
    expected = {"recycled": 2, "tuned": 4, "zero-shot": 1, "random": 2}
    table = aggregate(files, expected, str(tmp_path / "t.csv"))
    assert len(table) == 9
    with pytest.raises(RecyclingError, match="recycled: expected 3 rows, found 2"):
        aggregate(files, {**expected, "recycled": 3}, str(tmp_path / "t.csv"))
    dup = write(tmp_path, rows()[:1], "dup.csv")
    with pytest.raises(RecyclingError, match="share their grid coordinates"):
        aggregate([*files, dup], {**expected, "zero-shot": 2}, str(tmp_path / "t.csv"))


def test_reliability_numbers(tmp_path):
    table = pd.DataFrame(rows())
    rel = reliability(table).iloc[0]
    assert rel.n == 2 and rel.beats_zero_shot == 0.5 and rel.beats_random == 1.0
    assert rel.mean_accuracy == pytest.approx(0.625)
    assert rel.mean_gain_over_zero_shot == pytest.approx(0.025)
    assert rel.re_tuned == pytest.approx(0.8) and rel.source_tuned == pytest.approx(0.8)


def test_findings_follow_the_numbers():
    text = "\n".join(findings(pd.DataFrame(rows())))
    assert "50.0% of 2 recycled prompts beat zero-shot" in text
    assert "F3" in text and "10: 100.0%, 20: 0.0%" in text
    # recyclability falls with steps here: F3 is supported; F1 (50%, not more) is not
    f3 = next(line for line in findings(pd.DataFrame(rows())) if "F3" in line)
    assert f3.endswith("Supported by this run.")
    f1 = next(line for line in findings(pd.DataFrame(rows())) if "F1" in line)
    assert "Not supported" in f1
