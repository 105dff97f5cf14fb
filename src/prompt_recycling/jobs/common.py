"""What the jobs share: a model's description file, the frozen model with a data set's
verbalizers, a prepared split's examples."""

from __future__ import annotations

import json
import time
from pathlib import Path

from prompt_recycling.settings import ReaderConfig

_CHECKED: set[str] = set()  # model descriptions whose folder this process has checked


def model_info(path: str) -> dict:
    """A model's description (``resources/models/<name>.<key>.json``: name, location,
    architecture, width, parameter count, the manifest of its files), written by
    :func:`prompt_recycling.jobs.fetching.describe_model`; the model's folder is checked against
    the manifest first (:func:`prompt_recycling.verify.check_folder`)."""
    from prompt_recycling.verify import check_folder

    info = json.loads(Path(path).read_text())
    if "files" in info and path not in _CHECKED:  # once per process: a job reads it repeatedly
        fix = f"fetch it again: snakemake --forcerun {path} (a path: source: put its files back)"
        check_folder(info["folder"], info["files"], f"model {info['name']!r}", fix)
        _CHECKED.add(path)
    return info


def load_model(model_json: str, reader: ReaderConfig, bf16: bool | str = False):
    """The frozen model that reads with ``reader``; logs how long loading took."""
    from prompt_recycling.models import load_adapter

    start = time.perf_counter()
    adapter = load_adapter(
        model_info(model_json)["location"],
        list(reader.labels),
        architecture=reader.architecture,
        template=reader.template,
        max_length=reader.max_length,
        bf16=bf16,
        placement=reader.placement,  # None: the encoder's default (other architectures: none)
    )
    print(f"timing: model load {time.perf_counter() - start:.2f} s")
    return adapter


def read_split(path: str, reader: ReaderConfig):
    """A prepared split's examples, once its bytes are checked against the sha256 its data
    set's manifest recorded (:func:`prompt_recycling.verify.check_split`)."""
    from prompt_recycling.examples import read_examples
    from prompt_recycling.verify import check_split

    check_split(path)
    return read_examples(path, list(reader.labels))


def precision(adapter) -> str:
    """``fp32``, ``bf16`` or ``bf16-checked`` (bf16 screen, fp32 decisions)."""
    return "bf16-checked" if adapter.checked else "bf16" if adapter.bf16 else "fp32"


def placement(adapter) -> str:
    """Where an encoder puts the prompt (its resolved placement); empty for other models."""
    return getattr(adapter, "placement", None) or ""
