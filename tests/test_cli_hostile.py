"""``prompt-recycle`` never writes over its inputs, into a model folder, or over a file it did not
write; it refuses prompts it cannot use and label lists that contradict a prepared split; what it
writes is readable as the umask allows.

Refusals are checked as in ``test_cli_errors``: one line, exit 2, and every file and folder under
the test's folder and the tiny models unchanged (contents and modification times).
"""

import json
import os
import shutil

import numpy as np
import pytest
import torch
from test_cli_errors import E, R, T, check_refused, one_error_line
from test_cli_errors import world as world  # the fixture: in/, out/, an empty working folder
from tinygrid import dataset_entry

from prompt_recycling.examples import write_examples
from prompt_recycling.fsutil import LEDGER, record, written_here
from prompt_recycling.prompt_io import MAX_ROW_NORM, read_prompt, write_prompt

LABELS = ["negative", "positive"]

# (id, argv, what the one line must say); {in}, {out}, {src}, {tgt}, {enc} are filled in.
CASES = [
    # the output is one of the inputs, however spelled
    ("output is the prompt", R(output="{in}/ok.npy"), "is the input --prompt {in}/ok.npy"),
    ("output ./ spelling", R(output="{in}/../in/./ok.npy"), "is the input --prompt"),
    ("output symlink to prompt", R(output="{out}/link.npy"), "is the input --prompt"),
    ("output hard link to prompt", R(output="{out}/hard.npy"), "is the input --prompt"),
    ("output adapter holds prompt", R(prompt="{out}/adapter", output="{out}/adapter"), "is the"),
    (
        "output folder holds prompt",
        R(prompt="{out}/adapter/adapter_model.safetensors", output="{out}/adapter"),
        "holds the input --prompt {out}/adapter/adapter_model.safetensors",
    ),
    (
        "tune checkpoint is data",
        T(data="{in}/step-2.npy", output_dir="{in}"),
        "is the input --data {in}/step-2.npy",
    ),
    # model folders
    (
        "output is target weights",
        R(output="{tgt}/model.safetensors"),
        "--output {tgt}/model.safetensors lies inside the --target model folder {tgt}",
    ),
    ("output in source", R(output="{src}/new.npy"), "lies inside the --source model folder"),
    (
        "output in another model",
        R(output="{in}/model/p.npy"),
        "lies inside the model folder {in}/model;",
    ),
    ("tune into the model", T(output_dir="{enc}"), "lies inside the --model model folder {enc}"),
    (
        "state in the model",
        T(state_dir="{enc}", save_every="1"),
        "--state-dir {enc}/state.pt lies inside the",
    ),
    ("adapter is the target", R(output="{tgt}"), "--output {tgt} is the --target model folder"),
    ("tune under the model", T(output_dir="{enc}/t"), "lies inside the --model model folder"),
    (
        "resources in a model",
        ["prepare-data", "d", "--config", "{in}/data.yaml", "--resources", "{in}/model/res"],
        "lies inside the model folder {in}/model",
    ),  # fmt: skip
    # files this tool did not write
    ("user's .npy", R(output="{out}/user.npy"), "{out}/user.npy exists and was not written by"),
    ("user's .safetensors", R(output="{out}/user.safetensors"), "exists and was not written by"),
    ("user's symlink", R(output="{out}/elsewhere.npy"), "exists and was not written by"),
    (
        "ledger names it, content changed",
        R(output="{out}/changed.npy"),
        "{out}/changed.npy exists and was not written by prompt-recycle",
    ),
    (
        "user's step file",
        T(output_dir="{out}/run"),
        "--output-dir: {out}/run/step-2.npy exists and was not written by prompt-recycle",
    ),
    (
        "user's state.pt",
        T(state_dir="{out}/state"),
        "--state-dir: {out}/state/state.pt exists and is not the resume state",
    ),
    (
        "user's data folder",
        ["prepare-data", "d", "--config", "{in}/data.yaml", "--resources", "{out}/res"],
        "{out}/res/data/d is not empty and holds no manifest.json",
    ),
    # prompts that cannot be used
    ("prompt 1e30 (recycle)", R(prompt="{in}/huge.npy"), "prompt {in}/huge.npy has mean row norm"),
    ("prompt 1e30 (evaluate)", E(prompt="{in}/huge-32.npy"), f"beyond {MAX_ROW_NORM:g}"),
    ("prompt near float32 max", E(prompt="{in}/max.safetensors"), "mean row norm 1.7e+39, beyond"),
    ("prompt 0 rows (recycle)", R(prompt="{in}/empty.npy"), "prompt {in}/empty.npy is empty"),
    ("prompt 0 rows (evaluate)", E(prompt="{in}/empty-32.npy"), "shape (0, 32)"),
    ("prompt 0 columns", E(prompt="{in}/thin.npy"), "prompt {in}/thin.npy is empty: shape (3, 0)"),
    # labels against a prepared split's label names
    (
        "labels swapped (evaluate)",
        E(data="{in}/prep/test.jsonl", labels="positive,negative"),
        "--labels positive,negative differ from the labels negative,positive of the prepared "
        "split --data {in}/prep/test.jsonl ({in}/prep/manifest.json)",
    ),
    (
        "labels swapped (tune)",
        T(data="{in}/prep/train.jsonl", labels="positive,negative"),
        "give --labels negative,positive",
    ),
    (
        "labels renamed",
        E(data="{in}/prep/validation.jsonl", labels="bad,good"),
        "--labels bad,good differ from the labels negative,positive",
    ),
]


@pytest.fixture
def hostile(world, tiny_texts):
    """``world`` with prompts that cannot be used, a prepared split, files and folders of the
    user's in out/, and a copy of a model."""
    from prompt_recycling.fetch.datasets import prepare_dataset

    inp, out = world.inp, world.out
    np.save(inp / "huge.npy", np.full((3, 16), 1e30, np.float32))  # for the source (16 wide)
    np.save(inp / "huge-32.npy", np.full((3, 32), 1e30, np.float32))  # for the encoder
    from safetensors.numpy import save_file

    save_file({"prompt": np.full((3, 32), 3e38, np.float32)}, str(inp / "max.safetensors"))
    np.save(inp / "empty.npy", np.zeros((0, 16), np.float32))
    np.save(inp / "empty-32.npy", np.zeros((0, 32), np.float32))
    np.save(inp / "thin.npy", np.zeros((3, 0), np.float32))
    shutil.copy(inp / "data.jsonl", inp / "step-2.npy")
    shutil.copytree(world.src, inp / "model")
    source = inp / "splits"
    source.mkdir()
    for name, part in (("train", (0, 32)), ("validation", (32, 40)), ("test", (40, 48))):
        write_examples(tiny_texts[slice(*part)], source / f"{name}.jsonl")
    spec = {"format": "jsonl", "labels": LABELS, "source": {"path": str(source)}}
    prepare_dataset("d", dataset_entry(**spec), source, inp / "prep")
    (inp / "data.yaml").write_text(json.dumps({"datasets": {"d": spec}}))
    write_prompt(np.ones((3, 16), np.float32), out / "adapter", task_type="FEATURE_EXTRACTION")
    (out / "link.npy").symlink_to(inp / "ok.npy")
    os.link(inp / "ok.npy", out / "hard.npy")
    (out / "elsewhere.npy").symlink_to(inp / "huge.npy")
    np.save(out / "user.npy", np.ones((3, 24), np.float32))
    (out / "user.safetensors").write_bytes(b"mine")
    np.save(out / "changed.npy", np.ones((3, 24), np.float32))
    (out / LEDGER).write_text(json.dumps({"files": {"changed.npy": "0" * 64}}))
    (out / "run").mkdir()
    np.save(out / "run" / "step-2.npy", np.ones((2, 32), np.float32))
    (out / "state").mkdir()
    torch.save({"weights": torch.ones(2)}, out / "state" / "state.pt")
    (out / "res" / "data" / "d").mkdir(parents=True)
    (out / "res" / "data" / "d" / "notes.txt").write_text("mine\n")
    return world


def _params():
    for name, argv, message in CASES:
        yield pytest.param(argv, message, id=name)


@pytest.mark.parametrize(("argv", "message"), list(_params()))
def test_refused_in_one_line_and_nothing_written(hostile, cli, argv, message):
    check_refused(hostile, cli, argv, message)


def test_its_own_output_is_replaced_and_recorded(hostile, cli):
    out = hostile.out / "r.npy"
    argv = [hostile.fill(a) for a in R(output=str(out))]
    assert cli(argv)[0] == 0
    first = out.stat().st_ino
    assert written_here(out)
    code, _, err = cli([*argv, "--method", "lin-comb"])
    assert code == 0, err
    assert out.stat().st_ino != first  # a new file renamed onto the path
    assert written_here(out) and read_prompt(out).shape == (3, 24)
    out.write_bytes(out.read_bytes())  # the same content, rewritten: still ours
    assert written_here(out)
    np.save(out, np.zeros((3, 24), np.float32))  # the user's own content now
    code, _, err = cli(argv)
    assert code == 2 and "exists and was not written by prompt-recycle" in one_error_line(err)
    np.testing.assert_array_equal(np.load(out), np.zeros((3, 24), np.float32))


def test_tune_reruns_over_its_own_checkpoints(hostile, cli):
    argv = [hostile.fill(a) for a in T(output_dir="{out}/t", steps="0,2")]
    assert cli(argv)[0] == 0
    assert json.loads((hostile.out / "t" / LEDGER).read_text())["files"].keys() == {
        "step-0.npy", "step-2.npy"
    }  # fmt: skip
    assert all(written_here(hostile.out / "t" / f"step-{k}.npy") for k in (0, 2))
    code, _, err = cli(argv)
    assert code == 0, err


def test_a_write_under_way_is_ours(tmp_path):
    """A run killed between writing a file and recording it finds the name marked, not lost."""
    path = tmp_path / "step-5.npy"
    record([path], pending=True)
    np.save(path, np.ones((2, 3), np.float32))  # killed here
    assert written_here(path)
    record([path])
    assert written_here(path)
    np.save(path, np.zeros((2, 3), np.float32))
    assert not written_here(path)
    path.unlink()
    record([path])
    assert not (tmp_path / LEDGER).exists()


def test_labels_in_the_split_order_are_accepted(hostile, cli):
    code, out, err = cli([hostile.fill(a) for a in E(data="{in}/prep/test.jsonl")])
    assert code == 0, err
    assert json.loads(out)["n"] == 8


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_outputs_follow_the_umask(hostile, cli, umask, mode):
    old = os.umask(umask)
    try:
        for name in ("r.safetensors", "r.npy", "fresh"):
            argv = [hostile.fill(a) for a in R(output=str(hostile.out / name))]
            code, _, err = cli(argv)
            assert code == 0, err
    finally:
        os.umask(old)
    for path in ("r.safetensors", "r.npy", "fresh/adapter_model.safetensors", LEDGER):
        assert (hostile.out / path).stat().st_mode & 0o777 == mode, path
    assert (hostile.out / "fresh").stat().st_mode & 0o777 == mode | (0o111 & ~umask)
