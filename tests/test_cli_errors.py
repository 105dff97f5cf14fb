"""Bad ``prompt-recycle`` calls: one line ``prompt-recycle: error: ...``, exit 2, nothing written.

Every call runs in an empty working folder. All files and folders under the test's folder (the
inputs, the working folder, and an output folder that holds a folder of the user's) and the tiny
models are snapshotted before the call, contents and modification times, and compared after it:
"nothing written" includes temporaries made and removed again.
"""

import errno
import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from prompt_recycling.examples import write_examples
from prompt_recycling.prompt_io import read_prompt

RECYCLE = [
    "recycle",
    "--source", "{src}",
    "--target", "{tgt}",
    "--prompt", "{in}/ok.npy",
    "--method", "v2v-lin",
    "--output", "{out}/r.npy",
    "--num-words", "300",
    "--word-offset", "100",
]  # fmt: skip
EVALUATE = [
    "evaluate",
    "--model", "{enc}",
    "--data", "{in}/data.jsonl",
    "--labels", "negative,positive",
    "--no-progress",
]  # fmt: skip
TUNE = ["tune", *EVALUATE[1:], "--steps", "2", "--prompt-length", "2", "--output-dir", "{out}/t"]
FETCH = ["fetch-model", "a", "--config", "{in}/ok.yaml", "--resources", "{out}/resources"]


def change(base: list[str], **flags) -> list[str]:
    """``base`` with flags replaced (``prompt_length="3"`` -> ``--prompt-length 3``), added, or
    dropped (value None)."""
    argv = list(base)
    for key, value in flags.items():
        flag = "--" + key.replace("_", "-")
        if flag in argv:
            i = argv.index(flag)
            argv[i : i + 2] = [] if value is None else [flag, value]
        elif value is not None:
            argv += [flag, value]
    return argv


def R(**flags):
    return change(RECYCLE, **flags)


def T(**flags):
    return change(TUNE, **flags)


def E(**flags):
    return change(EVALUATE, **flags)


def F(**flags):
    return change(FETCH, **flags)


CUDA = pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")

# (id, argv, what the one line must say[, marks]); {in}, {out}, {src}, {tgt}, {enc} are filled in.
CASES = [
    # recycle: inputs
    ("prompt missing", R(prompt="{in}/no.npy"), "--prompt {in}/no.npy does not exist"),
    ("prompt corrupt .npy", R(prompt="{in}/corrupt.npy"), "cannot read prompt {in}/corrupt.npy"),
    (
        "prompt truncated .safetensors",
        R(prompt="{in}/cut.safetensors"),
        "cannot read prompt {in}/cut.safetensors",
    ),
    ("prompt format", R(prompt="{in}/p.txt"), "cannot tell the prompt format of {in}/p.txt"),
    ("prompt folder not an adapter", R(prompt="{in}/empty"), "cannot read prompt {in}/empty"),
    ("source missing", R(source="{in}/nomodel"), "--source {in}/nomodel does not exist"),
    ("source is a file", R(source="{in}/ok.npy"), "--source {in}/ok.npy is a file, not a folder"),
    ("target not a model", R(target="{in}/empty"), "--target {in}/empty holds no config.json"),
    (
        "target config corrupt",
        R(target="{in}/badconfig"),
        "cannot load the config or tokenizer of {in}/badconfig",
    ),
    ("source weights corrupt", R(source="{in}/badweights"), "unreadable safetensors file"),
    # recycle: the output, checked before any model is read
    ("output format", R(output="{out}/r.txt"), "cannot tell the prompt format of {out}/r.txt"),
    (
        "output parent missing",
        R(output="{out}/no/r.npy"),
        "output directory {out}/no does not exist",
    ),
    (
        "output parent is a file",
        R(output="{out}/plainfile/r.npy"),
        "output directory {out}/plainfile is not a directory",
    ),
    (
        "output is a user's folder",
        R(output="{out}/mine"),
        "output folder {out}/mine is not empty and holds no adapter_config.json",
    ),
    (
        "output .npy is a folder",
        R(output="{out}/folder.npy"),
        "output {out}/folder.npy is a folder",
    ),
    ("output adapter is a file", R(output="{out}/plainfile"), "output {out}/plainfile is a file"),
    # recycle: ranges and usage
    ("num-words 0", R(num_words="0"), "argument --num-words: must be >= 1, got 0"),
    (
        "num-words not a number",
        R(num_words="many"),
        "argument --num-words: expected an integer, got 'many'",
    ),
    ("word-offset -1", R(word_offset="-1"), "argument --word-offset: must be >= 0, got -1"),
    ("seed -1", R(seed="-1"), "argument --seed: must be in [0, 2147483647], got -1"),
    ("method", R(method="magic"), "argument --method: invalid choice: 'magic'"),
    ("output missing", R(output=None), "the following arguments are required: --output"),
    ("too many words", R(num_words="5000"), "asked for 5000 words after skipping 100"),
    # tune / evaluate: ranges and devices, checked by argparse
    ("max-length 4", T(max_length="4"), "argument --max-length: must be >= 8, got 4"),
    ("lr 0", T(lr="0"), "argument --lr: must be > 0, got 0"),
    ("lr nan", T(lr="nan"), "argument --lr: must be > 0, got nan"),
    ("threads 0", T(threads="0"), "argument --threads: must be >= 1, got 0"),
    ("batch-size 0", E(batch_size="0"), "argument --batch-size: must be >= 1, got 0"),
    ("batch-size -8", T(batch_size="-8"), "argument --batch-size: must be >= 1, got -8"),
    ("prompt-length 0", T(prompt_length="0"), "argument --prompt-length: must be >= 1, got 0"),
    ("save-every 0", T(save_every="0"), "argument --save-every: must be >= 1, got 0"),
    ("steps not integers", T(steps="1,x"), "argument --steps: expected comma-separated integers"),
    ("steps decreasing", T(steps="5,3"), "TuneConfig.steps = [5, 3]: must be strictly increasing"),
    ("device nonsense", E(device="gpu0"), "argument --device: unknown device 'gpu0'"),
    ("device cuda:99", E(device="cuda:99"), "argument --device: 'cuda:99'"),
    (
        "device cuda",
        E(device="cuda"),
        "argument --device: 'cuda': CUDA is not available",
        CUDA,  # a mark: skipped where there is CUDA
    ),
    ("device meta", E(device="meta"), "argument --device: device type 'meta' is not supported"),
    (
        "template without {text}",
        E(template="Review:"),
        "argument --template: 'Review:' must contain {text}",
    ),
    (
        "template other field",
        E(template="{text} {label}"),
        "argument --template: '{text} {label}' must contain {text} once",
    ),
    (
        "template bad braces",
        E(template="{text"),
        "argument --template: '{text' is not a format string",
    ),
    ("architecture", E(architecture="rnn"), "argument --architecture: invalid choice: 'rnn'"),
    # tune / evaluate: files
    ("data missing", E(data="{in}/no.jsonl"), "--data {in}/no.jsonl does not exist"),
    ("data is a folder", E(data="{in}/empty"), "--data {in}/empty is a folder, not a file"),
    ("data not UTF-8", E(data="{in}/binary.jsonl"), "--data {in}/binary.jsonl: not UTF-8 text"),
    ("data not JSON lines", E(data="{in}/p.txt"), "{in}/p.txt:1: expected a JSON object"),
    ("one label", E(labels="positive"), "need at least two distinct labels"),
    ("model missing", T(model="{in}/nomodel"), "--model {in}/nomodel does not exist"),
    ("evaluate prompt missing", E(prompt="{in}/no.npy"), "--prompt {in}/no.npy does not exist"),
    (
        "output-dir is a file",
        T(output_dir="{out}/plainfile"),
        "--output-dir {out}/plainfile is a file, not a folder",
    ),
    (
        "output-dir under a file",
        T(output_dir="{out}/plainfile/t"),
        "--output-dir {out}/plainfile/t: {out}/plainfile is a file",
    ),
    (
        "state-dir is a file",
        T(state_dir="{out}/plainfile"),
        "--state-dir {out}/plainfile is a file, not a folder",
    ),
    # fetch-model / prepare-data
    ("config missing", F(config="{in}/no.yaml"), "--config {in}/no.yaml does not exist"),
    ("config is a folder", F(config="{in}/empty"), "--config {in}/empty is a folder, not a file"),
    (
        "config invalid YAML",
        F(config="{in}/bad.yaml"),
        "--config {in}/bad.yaml: invalid YAML: expected ',' or ']'",
    ),
    (
        "config a list",
        F(config="{in}/list.yaml"),
        "--config {in}/list.yaml must hold a YAML mapping, not a list",
    ),
    (
        "config not UTF-8",
        F(config="{in}/binary.jsonl"),
        "--config {in}/binary.jsonl: not UTF-8 text",
    ),
    (
        "config models a list",
        F(config="{in}/models-list.yaml"),
        "--config {in}/models-list.yaml: 'models' must map names",
    ),
    (
        "model not in config",
        ["fetch-model", "zzz", *FETCH[2:]],
        "no model named 'zzz' in the config",
    ),
    ("model path missing", FETCH, "models.a: path {in}/nomodel does not exist"),
    (
        "data set not in config",
        ["prepare-data", "zzz", *FETCH[2:]],
        "no dataset named 'zzz' in the config",
    ),
    (
        "resources is a file",
        F(resources="{out}/plainfile"),
        "--resources {out}/plainfile is a file",
    ),
    ("find-links missing", F(find_links="{in}/wheels"), "--find-links {in}/wheels does not exist"),
    # usage
    ("no command", [], "the following arguments are required: command"),
    ("unknown command", ["recylce"], "argument command: invalid choice: 'recylce'"),
    ("unknown flag", R(verbose="1"), "unrecognized arguments: --verbose 1"),
]


@pytest.fixture
def world(tmp_path, tiny_pair, tiny_models, tiny_texts, monkeypatch):
    """Inputs in in/, an output folder out/ with things of the user's, an empty working dir."""
    src, tgt, enc = tiny_pair["source"], tiny_pair["target"], tiny_models["encoder"]
    inp, out, cwd = tmp_path / "in", tmp_path / "out", tmp_path / "cwd"
    for folder in (inp, out, cwd, inp / "empty", out / "mine", out / "folder.npy"):
        folder.mkdir()
    np.save(inp / "ok.npy", np.random.default_rng(0).normal(size=(3, 16)).astype(np.float32))
    (inp / "corrupt.npy").write_bytes(b"\x93NUMPY\x01\x00garbage")
    (inp / "cut.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{")
    (inp / "p.txt").write_text("1 2 3\n")
    (inp / "binary.jsonl").write_bytes(bytes(range(128, 256)))
    write_examples(tiny_texts[:8], inp / "data.jsonl")
    (inp / "bad.yaml").write_text("models: [a, b\n")
    (inp / "list.yaml").write_text("- models\n")
    (inp / "models-list.yaml").write_text("models: [a, b]\n")
    (inp / "ok.yaml").write_text(
        json.dumps({"models": {"a": {"source": {"path": "{in}/nomodel"}}}})
    )
    (inp / "ok.yaml").write_text((inp / "ok.yaml").read_text().replace("{in}", str(inp)))
    shutil.copytree(src, inp / "badconfig")
    (inp / "badconfig" / "config.json").write_text("{not json")
    shutil.copytree(src, inp / "badweights")
    (inp / "badweights" / "model.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}")
    (out / "mine" / "notes.txt").write_text("three years of work\n")
    (out / "plainfile").write_text("mine too\n")
    monkeypatch.chdir(cwd)
    names = {"in": inp, "out": out, "src": src, "tgt": tgt, "enc": enc}
    return SimpleNamespace(
        roots=[tmp_path, src, tgt, enc],
        fill=lambda text: _fill(text, names),
        inp=inp,
        out=out,
        src=src,
        tgt=tgt,
        planted=tiny_pair["planted"],
    )


def _fill(text: str, names: dict) -> str:
    """Put the folders in for ``{in}``, ``{out}``, ...; other braces (templates) stay."""
    for key, value in names.items():
        text = text.replace("{" + key + "}", str(value))
    return text


def snapshot(roots) -> dict:
    """Every path under ``roots``: kind, modification time and (for files) content."""
    state = {}
    for root in roots:
        for p in [Path(root), *sorted(Path(root).rglob("*"))]:
            st = p.lstat()
            state[str(p)] = (p.is_dir(), st.st_mtime_ns, p.read_bytes() if p.is_file() else None)
    return state


def one_error_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("prompt-recycle: error: "), err
    return lines[0]


def _params():
    for name, argv, message, *marks in CASES:
        yield pytest.param(argv, message, id=name, marks=marks)


def check_refused(world, cli, argv, message) -> None:
    """The call ``argv`` (placeholders filled) exits 2 with one line holding ``message``, prints
    nothing else and leaves every file under ``world.roots`` as it was."""
    before = snapshot(world.roots)
    code, out, err = cli([world.fill(a) for a in argv])
    line = one_error_line(err)
    print(line)  # pytest -rP lists the messages
    assert code == 2
    assert world.fill(message) in line
    assert out == ""
    assert snapshot(world.roots) == before


@pytest.mark.parametrize(("argv", "message"), list(_params()))
def test_bad_call_is_one_line_exit_2_and_writes_nothing(world, cli, argv, message):
    check_refused(world, cli, argv, message)


def test_the_users_folder_is_refused_and_left_intact(world, cli):
    code, _, err = cli([world.fill(a) for a in R(output="{out}/mine")])
    assert code == 2 and "refusing to replace it" in one_error_line(err)
    assert [p.name for p in (world.out / "mine").iterdir()] == ["notes.txt"]
    assert (world.out / "mine" / "notes.txt").read_text() == "three years of work\n"


def test_an_existing_adapter_folder_is_replaced_and_never_missing(world, cli, monkeypatch):
    from peft import PeftModel, PromptTuningConfig, get_peft_model
    from transformers import AutoModel

    from prompt_recycling import fsutil

    cfg = PromptTuningConfig(task_type="FEATURE_EXTRACTION", num_virtual_tokens=5)
    source = get_peft_model(AutoModel.from_pretrained(world.src), cfg)
    source.save_pretrained(world.inp / "adapter")
    argv = [world.fill(a) for a in R(prompt="{in}/adapter", output="{out}/adapter")]
    assert cli(argv)[0] == 0
    (world.out / "adapter" / "old.txt").write_text("from the last run\n")

    swaps = []
    exchange = fsutil.exchange

    def spy(a, b):
        swaps.append((Path(a).is_dir(), Path(b).is_dir()))
        exchange(a, b)
        swaps.append((Path(a).is_dir(), Path(b).is_dir()))

    monkeypatch.setattr(fsutil, "exchange", spy)
    code, out, err = cli(change(argv, method="lin-comb"))
    assert code == 0, err
    assert swaps == [(True, True), (True, True)]  # one exchange: the path always held a folder
    assert not (world.out / "adapter" / "old.txt").exists()
    assert sorted(p.name for p in world.out.iterdir()) == [
        "adapter", "folder.npy", "mine", "plainfile"
    ]  # fmt: skip
    target = PeftModel.from_pretrained(AutoModel.from_pretrained(world.tgt), world.out / "adapter")
    weight = target.prompt_encoder["default"].embedding.weight.detach().numpy()
    np.testing.assert_allclose(
        weight, read_prompt(world.inp / "adapter") @ world.planted, atol=1e-4
    )


def test_an_empty_folder_may_take_an_adapter(world, cli):
    (world.out / "fresh").mkdir()
    argv = [world.fill(a) for a in R(output="{out}/fresh")]
    code, _, err = cli(argv)
    assert code == 0, err
    assert read_prompt(world.out / "fresh").shape == (3, 24)


def test_unreadable_inputs(world, cli, monkeypatch):
    """Permissions cannot be taken away from root, so the checks are made to fail."""
    import os

    import prompt_recycling.examples

    data = world.fill("{in}/data.jsonl")
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: str(p) != data and real_access(p, mode))
    code, _, err = cli([world.fill(a) for a in EVALUATE])
    assert code == 2 and f"--data {data} is not readable" in one_error_line(err)
    monkeypatch.undo()

    def denied(path, labels):
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(prompt_recycling.examples, "read_examples", denied)
    code, _, err = cli([world.fill(a) for a in EVALUATE])
    assert code == 2 and one_error_line(err).endswith(f"--data {data}: Permission denied")


def test_a_bug_keeps_its_traceback(world, cli, monkeypatch):
    import prompt_recycling.transfer

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(prompt_recycling.transfer, "recycle_file", broken)
    with pytest.raises(ZeroDivisionError):
        cli([world.fill(a) for a in RECYCLE])


def test_version(cli):
    from prompt_recycling import __version__

    code, out, err = cli(["--version"])
    assert code == 0 and out.strip() == f"prompt-recycle {__version__}"
