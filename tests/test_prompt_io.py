import numpy as np
import pytest
import torch

from prompt_recycling.errors import RecyclingError
from prompt_recycling.prompt_io import read_prompt, write_prompt


@pytest.mark.parametrize("name", ["p.npy", "p.safetensors"])
def test_file_round_trip(tmp_path, name):
    prompt = np.random.default_rng(0).normal(size=(5, 16)).astype(np.float32)
    write_prompt(prompt, tmp_path / name)
    np.testing.assert_array_equal(read_prompt(tmp_path / name), prompt)
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


def test_peft_adapter_round_trip_loads_with_peft(tmp_path, tiny_pair):
    from peft import PeftModel
    from transformers import AutoModel

    prompt = np.random.default_rng(0).normal(size=(6, 24)).astype(np.float32)
    out = tmp_path / "adapter"
    write_prompt(prompt, out, base_model=str(tiny_pair["target"]), task_type="FEATURE_EXTRACTION")
    np.testing.assert_array_equal(read_prompt(out), prompt)
    model = PeftModel.from_pretrained(AutoModel.from_pretrained(tiny_pair["target"]), out)
    loaded = model.prompt_encoder["default"].embedding.weight.detach()
    torch.testing.assert_close(loaded, torch.from_numpy(prompt), rtol=0, atol=0)


def test_rewriting_a_peft_directory_replaces_it_atomically(tmp_path):
    out = tmp_path / "adapter"
    write_prompt(np.zeros((2, 4), np.float32), out)
    write_prompt(np.ones((3, 4), np.float32), out)
    assert read_prompt(out).shape == (3, 4)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adapter"]


def test_bad_prompt_files(tmp_path):
    np.save(tmp_path / "three_d.npy", np.zeros((2, 3, 4), np.float32))
    with pytest.raises(RecyclingError, match="must be a 2-D"):
        read_prompt(tmp_path / "three_d.npy")
    bad = np.zeros((2, 4), np.float32)
    bad[1, 1] = np.inf
    np.save(tmp_path / "inf.npy", bad)
    with pytest.raises(RecyclingError, match="NaN or inf"):
        read_prompt(tmp_path / "inf.npy")
    with pytest.raises(RecyclingError, match="does not exist"):
        read_prompt(tmp_path / "missing.npy")
    (tmp_path / "p.txt").write_text("1 2")
    with pytest.raises(RecyclingError, match="cannot tell the prompt format"):
        read_prompt(tmp_path / "p.txt")
    with pytest.raises(RecyclingError, match="does not exist"):
        write_prompt(np.zeros((2, 4), np.float32), tmp_path / "no" / "such" / "p.npy")
    with pytest.raises(RecyclingError, match="NaN or inf"):
        write_prompt(bad, tmp_path / "out.npy")
    assert not (tmp_path / "out.npy").exists()


def test_prompts_that_cannot_be_used_are_refused_at_reading(tmp_path):
    np.save(tmp_path / "no-rows.npy", np.zeros((0, 4), np.float32))
    with pytest.raises(RecyclingError, match=r"no-rows.npy is empty: shape \(0, 4\)"):
        read_prompt(tmp_path / "no-rows.npy")
    np.save(tmp_path / "huge.npy", np.full((2, 4), 1e30, np.float32))  # finite in float32
    with pytest.raises(RecyclingError, match=r"huge.npy has mean row norm 2e\+30, beyond 10000"):
        read_prompt(tmp_path / "huge.npy")


def test_the_row_norm_bound(tmp_path):
    from prompt_recycling.prompt_io import MAX_ROW_NORM

    rows = np.eye(3, 4, dtype=np.float32)  # unit rows
    np.save(tmp_path / "inside.npy", rows * 0.99 * MAX_ROW_NORM)
    assert read_prompt(tmp_path / "inside.npy").shape == (3, 4)
    np.save(tmp_path / "beyond.npy", rows * 1.01 * MAX_ROW_NORM)
    with pytest.raises(RecyclingError, match="mean row norm 1.01e\\+04"):
        read_prompt(tmp_path / "beyond.npy")


@pytest.mark.parametrize("name", ["p.npy", "p.safetensors", "adapter"])
def test_written_files_follow_the_umask(tmp_path, name):
    import os

    old = os.umask(0o027)
    try:
        write_prompt(np.ones((2, 4), np.float32), tmp_path / name)
    finally:
        os.umask(old)
    files = [tmp_path / name, *(tmp_path / name).glob("*")]
    modes = {p.name: p.stat().st_mode & 0o777 for p in files}
    assert modes == {p.name: 0o750 if p.is_dir() else 0o640 for p in files}
