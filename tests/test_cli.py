"""The ``prompt-recycle recycle`` command end to end on two tiny saved models."""

import numpy as np
import pytest

from prompt_recycling.prompt_io import read_prompt


def args(pair, prompt, out, *extra):
    return [
        "recycle",
        "--source",
        str(pair["source"]),
        "--target",
        str(pair["target"]),
        "--prompt",
        str(prompt),
        "--output",
        str(out),
        "--num-words",
        "300",
        "--word-offset",
        "100",
        *extra,
    ]


@pytest.mark.parametrize("method", ["v2v-lin", "lin-comb", "v2v-nn"])
def test_recycle_end_to_end(tmp_path, tiny_pair, cli, method):
    prompt = np.random.default_rng(0).uniform(-0.5, 0.5, size=(4, 16)).astype(np.float32)
    np.save(tmp_path / "p.npy", prompt)
    code, out, _ = cli(args(tiny_pair, tmp_path / "p.npy", tmp_path / "r.npy", "--method", method))
    assert code == 0
    # 1225 source pieces minus 5 specials are shared; 1200 pseudo-words + 5 "##" pieces are words
    assert "1220 shared pieces, 1205 English word pieces, 300 selected" in out
    assert f"{method}: fit error" in out
    recycled = read_prompt(tmp_path / "r.npy")
    assert recycled.shape == (4, 24)
    if method != "v2v-nn":  # the target embeddings are a planted linear map of the source's
        np.testing.assert_allclose(recycled, prompt @ tiny_pair["planted"], atol=1e-4)


def test_peft_adapter_trained_on_source_loads_on_target_after_recycling(tmp_path, tiny_pair, cli):
    from peft import PeftModel, PromptTuningConfig, get_peft_model
    from transformers import AutoModel

    src_model = AutoModel.from_pretrained(tiny_pair["source"])
    cfg = PromptTuningConfig(task_type="FEATURE_EXTRACTION", num_virtual_tokens=5)
    get_peft_model(src_model, cfg).save_pretrained(tmp_path / "src_adapter")
    code, out, err = cli(
        args(tiny_pair, tmp_path / "src_adapter", tmp_path / "tgt_adapter", "--method", "v2v-lin")
    )
    assert code == 0, err
    tgt_model = PeftModel.from_pretrained(
        AutoModel.from_pretrained(tiny_pair["target"]), tmp_path / "tgt_adapter"
    )
    weight = tgt_model.prompt_encoder["default"].embedding.weight
    assert tuple(weight.shape) == (5, 24)
    source_prompt = read_prompt(tmp_path / "src_adapter")
    np.testing.assert_allclose(
        weight.detach().numpy(), source_prompt @ tiny_pair["planted"], atol=1e-4
    )


def bad_cases(tmp_path, tiny_pair):
    rng = np.random.default_rng(0)
    np.save(tmp_path / "ok.npy", rng.normal(size=(3, 16)).astype(np.float32))
    np.save(tmp_path / "wide.npy", rng.normal(size=(3, 20)).astype(np.float32))
    np.save(tmp_path / "cube.npy", rng.normal(size=(2, 3, 16)).astype(np.float32))
    nan = rng.normal(size=(3, 16)).astype(np.float32)
    nan[0, 0] = np.nan
    np.save(tmp_path / "nan.npy", nan)
    return {
        "width": (["--prompt", tmp_path / "wide.npy"], "prompt width 20 does not match the source"),
        "not 2-D": (["--prompt", tmp_path / "cube.npy"], "must be a 2-D"),
        "nan": (["--prompt", tmp_path / "nan.npy"], "NaN or inf"),
        "too many words": (["--num-words", "5000"], "asked for 5000 words after skipping 100"),
        "method": (["--method", "magic"], "invalid choice: 'magic'"),
        "parent": (["--output", tmp_path / "no" / "r.npy"], "does not exist"),
    }


@pytest.mark.parametrize("case", ["width", "not 2-D", "nan", "too many words", "method", "parent"])
def test_bad_input_gives_one_line_error_and_writes_nothing(tmp_path, tiny_pair, cli, case):
    override, message = bad_cases(tmp_path, tiny_pair)[case]
    argv = args(tiny_pair, tmp_path / "ok.npy", tmp_path / "r.npy")
    if "--method" not in override:
        argv += ["--method", "v2v-lin"]
    for flag, value in zip(override[::2], override[1::2], strict=True):
        if flag in argv:
            argv[argv.index(flag) + 1] = str(value)
        else:
            argv += [flag, str(value)]
    code, out, err = cli(argv)
    assert code == 2
    assert message in err
    assert len([line for line in err.splitlines() if "error" in line]) == 1
    assert not (tmp_path / "r.npy").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_no_shared_words(tmp_path, cli):
    from prompt_recycling.tiny import save_tiny_bert, wordpiece_vocab

    a = save_tiny_bert(tmp_path / "a", wordpiece_vocab(0, extra=["alpha", "beta"]), hidden=8)
    b = save_tiny_bert(
        tmp_path / "b", wordpiece_vocab(0, extra=["gamma"])[:5] + ["gamma"], hidden=8
    )
    np.save(tmp_path / "p.npy", np.zeros((2, 8), np.float32))
    code, _, err = cli(
        [
            "recycle",
            "--source",
            str(a),
            "--target",
            str(b),
            "--prompt",
            str(tmp_path / "p.npy"),
            "--method",
            "v2v-lin",
            "--output",
            str(tmp_path / "r.npy"),
        ]
    )
    assert code == 2 and "share no pieces" in err


def test_help_explains_every_option(cli):
    code, out, _ = cli(["recycle", "--help"])
    assert code == 0
    for flag in [
        "--source",
        "--target",
        "--prompt",
        "--method",
        "--num-words",
        "--word-offset",
        "--seed",
        "--output",
    ]:
        assert flag in out


def test_demo_runs_and_linear_methods_recover_the_planted_prompt(capsys):
    from prompt_recycling.demo import run_demo

    errors = run_demo()
    assert errors["v2v-lin"] < 0.01 and errors["lin-comb"] < 0.01
    assert abs(errors["v2v-lin"] - errors["lin-comb"]) < 1e-6
    assert "selected" in capsys.readouterr().out
