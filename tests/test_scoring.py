"""The evaluation jobs on tiny models: the null-prompt control, the validation-only steps of a
tuned run and the placement every row carries."""

import json

import numpy as np
import pytest

from prompt_recycling.analysis.rows import read_table
from prompt_recycling.errors import RecyclingError
from prompt_recycling.jobs.scoring import evaluate_baseline, evaluate_tuned
from prompt_recycling.models.encoder import DEFAULT_PLACEMENT
from prompt_recycling.prompt_io import write_prompt
from prompt_recycling.settings import EvalConfig, ReaderConfig, TuneConfig

LABELS = ["negative", "positive"]
EVAL = EvalConfig(batch_size=8, content_free=("N/A", "nothing"))  # calibrated too


@pytest.fixture(scope="module")
def job_files(tiny_models, tiny_texts, tmp_path_factory):
    """Model descriptions (as fetch_model writes them) and test / validation splits."""
    root = tmp_path_factory.mktemp("jobs")
    infos = {}
    for kind, widths in (("encoder", 32), ("causal", 16)):
        info = {"name": f"tiny-{kind}", "location": str(tiny_models[kind])}
        info |= {"architecture": kind, "width": widths, "params": 0}
        infos[kind] = root / f"{kind}.json"
        infos[kind].write_text(json.dumps(info))
    splits = {}
    for split, part in (("test", tiny_texts[:24]), ("validation", tiny_texts[24:40])):
        splits[split] = root / f"{split}.jsonl"
        splits[split].write_text(
            "".join(json.dumps({"text": ex.text, "label": ex.label}) + "\n" for ex in part)
        )
    return root, infos, splits


def baseline_of(job_files, model: str, baseline: str, out, tune=None) -> None:
    """One baseline evaluation of a tiny model on the test split, no random prompts."""
    _, infos, splits = job_files
    evaluate_baseline(
        dataset="d",
        baseline=baseline,
        model_json=str(infos[model]),
        split_file=str(splits["test"]),
        reader=ReaderConfig(LABELS, 32),
        evaluation=EVAL,
        tune=tune or TuneConfig(prompt_length=4),
        random_prompts=0,
        output=str(out),
    )


def test_the_null_prompt_is_zero_shot_with_the_default_placement(job_files):
    root = job_files[0]
    out = {}
    for baseline in ("zero-shot", "null-prompt"):
        out[baseline] = root / f"{baseline}.csv"
        baseline_of(job_files, "encoder", baseline, out[baseline])
    null, zero = (read_table(out[b]) for b in ("null-prompt", "zero-shot"))
    assert list(null.condition) == ["null-prompt"] * 2 and list(null.calibrated) == [False, True]
    assert set(null.placement) == set(zero.placement) == {DEFAULT_PLACEMENT}
    # after-cls-fixed: the masked prompt's slots change nothing (raw and calibrated)
    assert list(null.predictions) == list(zero.predictions)
    assert np.allclose(null.accuracy, zero.accuracy)


def test_the_null_prompt_of_a_non_encoder_names_the_key(job_files):
    root = job_files[0]
    with pytest.raises(RecyclingError, match=r"'models.tiny-causal.architecture'.*causal"):
        baseline_of(job_files, "causal", "null-prompt", root / "never.csv")
    assert not (root / "never.csv").exists()


def test_other_architectures_leave_the_placement_empty(job_files):
    out = job_files[0] / "causal-zero-shot.csv"
    baseline_of(job_files, "causal", "zero-shot", out, TuneConfig())
    assert (read_table(out).placement == "").all()


def test_validation_steps_are_scored_on_the_validation_split_only(job_files):
    root, infos, splits = job_files
    rng = np.random.default_rng(0)
    files = {}
    for step in (0, 5, 10):
        files[step] = root / f"step-{step}.npy"
        write_prompt(rng.normal(size=(3, 32)).astype(np.float32), files[step])
    out = root / "tuned.csv"
    evaluate_tuned(
        dataset="d",
        seed=0,
        model_json=str(infos["encoder"]),
        split_file=str(splits["test"]),
        validation_file=str(splits["validation"]),
        reader=ReaderConfig(LABELS, 32, placement="after-text"),
        evaluation=EVAL,
        checkpoints={s: str(files[s]) for s in (0, 5)},
        output=str(out),
        validation_checkpoints={10: str(files[10])},
        init="class-label",  # a run of an init axis: its rows say so
    )
    table = read_table(out)
    assert (table.init == "class-label").all()
    raw = table[~table.calibrated]
    assert sorted(raw[raw.split == "test"].step) == [0, 5]
    assert sorted(raw[raw.split == "validation"].step) == [0, 5, 10]
    assert (table.condition == "tuned").all() and (table.placement == "after-text").all()
    with pytest.raises(RecyclingError, match="validation steps"):
        evaluate_tuned(
            dataset="d",
            seed=0,
            model_json=str(infos["encoder"]),
            split_file=str(splits["test"]),
            validation_file=None,
            reader=ReaderConfig(LABELS, 32),
            evaluation=EVAL,
            checkpoints={0: str(files[0])},
            output=str(root / "never.csv"),
            validation_checkpoints={10: str(files[10])},
        )


def test_random_prompts_of_an_init_axis_are_drawn_from_that_init_and_carry_it(job_files):
    root, infos, splits = job_files
    rows = {}
    for init in ("random-uniform", "class-label"):
        out = root / f"random-{init}.csv"
        evaluate_baseline(
            dataset="d",
            baseline=f"random/{init}",
            model_json=str(infos["encoder"]),
            split_file=str(splits["test"]),
            reader=ReaderConfig(LABELS, 32),
            evaluation=EVAL,
            tune=TuneConfig(prompt_length=4, init=init),
            random_prompts=2,
            output=str(out),
        )
        rows[init] = read_table(out)
    for init, table in rows.items():
        assert (table.condition == "random").all() and (table.init == init).all()
        assert sorted(table.random_index) == [0, 0, 1, 1]
    zero = root / "zero-shot-plain.csv"
    baseline_of(job_files, "encoder", "zero-shot", zero)
    assert (read_table(zero).init == "").all()  # no axis, no init
