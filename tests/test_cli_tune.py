"""``prompt-recycle tune`` and ``evaluate`` from the command line, including a real kill -9."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from prompt_recycling.examples import write_examples


@pytest.fixture
def data(tmp_path, tiny_texts):
    write_examples(tiny_texts, tmp_path / "train.jsonl")
    return tmp_path / "train.jsonl"


def common(model, data):
    return [
        "--model",
        str(model),
        "--data",
        str(data),
        "--labels",
        "negative,positive",
        "--no-progress",
        "--batch-size",
        "8",
    ]


def test_tune_then_evaluate(tiny_models, data, tmp_path, cli):
    model = tiny_models["encoder"]
    code, out, err = cli(
        [
            "tune",
            *common(model, data),
            "--steps",
            "3,6",
            "--prompt-length",
            "4",
            "--output-dir",
            str(tmp_path / "p"),
        ]
    )
    assert code == 0, err
    assert "step 6:" in out
    code, out, err = cli(
        ["evaluate", *common(model, data), "--prompt", str(tmp_path / "p" / "step-6.npy")]
    )
    assert code == 0, err
    result = json.loads(out)
    assert result["n"] == 48 and 0.0 <= result["accuracy"] <= 1.0
    code, out, _ = cli(["evaluate", *common(model, data)])  # zero-shot
    assert code == 0 and json.loads(out)["n"] == 48
    prompt = ["--prompt", str(tmp_path / "p" / "step-6.npy"), "--calibrate"]
    code, out, err = cli(["evaluate", *common(model, data), *prompt, "--content-free", "N/A|"])
    assert code == 0, err
    both = json.loads(out)
    assert both["accuracy"] == result["accuracy"]  # the raw readout is unchanged
    calibrated = both["calibrated"]
    assert calibrated["n"] == 48 and sum(calibrated["content_free"].values()) == pytest.approx(1)


def test_labels_given_as_strings_in_the_data(tiny_models, tmp_path, cli):
    (tmp_path / "d.jsonl").write_text(
        '{"text": "good movie", "label": "positive"}\n{"text": "bad movie", "label": 0}\n'
    )
    code, out, err = cli(["evaluate", *common(tiny_models["encoder"], tmp_path / "d.jsonl")])
    assert code == 0, err
    assert json.loads(out)["n"] == 2


@pytest.mark.parametrize("case", ["label", "empty", "steps", "width"])
def test_bad_input(tiny_models, data, tmp_path, cli, case):
    model = tiny_models["encoder"]
    if case == "label":
        (tmp_path / "d.jsonl").write_text('{"text": "meh", "label": "neutral"}\n')
        argv, message = ["evaluate", *common(model, tmp_path / "d.jsonl")], "'neutral' is neither"
    elif case == "empty":
        (tmp_path / "d.jsonl").write_text("\n")
        argv, message = ["evaluate", *common(model, tmp_path / "d.jsonl")], "holds no examples"
    elif case == "steps":
        argv = ["tune", *common(model, data), "--steps", "5,3", "--output-dir", str(tmp_path / "o")]
        message = "strictly increasing"
    else:
        np.save(tmp_path / "p.npy", np.zeros((3, 7), np.float32))
        argv = ["evaluate", *common(model, data), "--prompt", str(tmp_path / "p.npy")]
        message = "does not fit the model"
    code, _, err = cli(argv)
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_kill_9_then_rerun_ends_with_the_same_prompt(tiny_models, data, tmp_path):
    def cmd(out):
        return [
            sys.executable,
            "-m",
            "prompt_recycling.cli",
            "tune",
            *common(tiny_models["seq2seq"], data),
            "--steps",
            "20,150",
            "--prompt-length",
            "3",
            "--save-every",
            "5",
            "--threads",
            "1",
            "--output-dir",
            str(out),
        ]

    subprocess.run(cmd(tmp_path / "full"), check=True, capture_output=True)
    proc = subprocess.Popen(
        cmd(tmp_path / "part"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    state = tmp_path / ".part.resume" / "state.pt"
    deadline = time.time() + 120
    while not (tmp_path / "part" / "step-20.npy").exists() and time.time() < deadline:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert state.exists() and not (tmp_path / "part" / "step-150.npy").exists()
    subprocess.run(cmd(tmp_path / "part"), check=True, capture_output=True)
    for step in (20, 150):
        np.testing.assert_array_equal(
            np.load(tmp_path / "full" / f"step-{step}.npy"),
            np.load(tmp_path / "part" / f"step-{step}.npy"),
        )
    assert not state.exists()


@pytest.mark.parametrize("change", ["--data", "--model"])
def test_tune_does_not_resume_a_state_of_other_data_or_another_model(
    tiny_models, tiny_texts, data, tmp_path, cli, monkeypatch, change
):
    """Interrupted on one model and data set, then run again with another: the saved state is
    not taken up (the message says why) and the prompt is that of a run from scratch."""
    from prompt_recycling import tune

    def argv(model, data, out):
        return [
            "tune",
            *common(model, data),
            "--steps",
            "6",
            "--save-every",
            "3",
            "--prompt-length",
            "2",
            "--output-dir",
            str(out),
        ]

    norm, calls = tune.row_norm, []

    def interrupt_at_step_5(prompt):
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return norm(prompt)

    monkeypatch.setattr(tune, "row_norm", interrupt_at_step_5)
    with pytest.raises(KeyboardInterrupt):
        cli(argv(tiny_models["encoder"], data, tmp_path / "p"))
    monkeypatch.setattr(tune, "row_norm", norm)
    assert (tmp_path / ".p.resume" / "state.pt").exists()
    model, other = tiny_models["encoder"], data
    if change == "--data":
        flipped = [type(ex)(ex.text, 1 - ex.label) for ex in tiny_texts]
        other = tmp_path / "flipped.jsonl"
        write_examples(flipped, other)
    else:
        model = tiny_models["causal"]
    code, _, err = cli(argv(model, other, tmp_path / "p"))
    assert code == 0, err
    why = "other training data" if change == "--data" else "other model weights"
    assert "not resuming" in err and why in err and "starts fresh" in err, err
    code, _, err = cli(argv(model, other, tmp_path / "fresh"))
    assert code == 0, err
    np.testing.assert_array_equal(
        np.load(tmp_path / "p" / "step-6.npy"), np.load(tmp_path / "fresh" / "step-6.npy")
    )


def test_grid_model_starts_from_the_grids_initial_prompt_for_the_seed(
    tiny_models, data, tmp_path, cli
):
    """The grid folds a model's name into its initial prompt's seed; ``--grid-model`` does too,
    so that ``tune --seed 2 --grid-model a`` starts where the grid's seed-2 run of ``a`` does."""
    from prompt_recycling.models import load_adapter
    from prompt_recycling.settings import TuneConfig, run_seeds
    from prompt_recycling.tune import init_prompt

    model = tiny_models["encoder"]
    base = ["tune", *common(model, data), "--steps", "0,1", "--prompt-length", "4", "--seed", "2"]
    for name, extra in (("grid", ["--grid-model", "a"]), ("plain", [])):
        code, _, err = cli([*base, *extra, "--output-dir", str(tmp_path / name)])
        assert code == 0, err
    adapter = load_adapter(str(model), ["negative", "positive"])
    config = TuneConfig(prompt_length=4, steps=[0, 1], **run_seeds(2, "a"))
    grids = init_prompt(adapter, config).detach().numpy()
    np.testing.assert_array_equal(np.load(tmp_path / "grid" / "step-0.npy"), grids)
    assert not np.array_equal(np.load(tmp_path / "plain" / "step-0.npy"), grids)
