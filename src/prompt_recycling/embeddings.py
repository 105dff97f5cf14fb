"""Read a model's tokenizer and input-embedding table, and nothing more.

The embedding matrix is read straight out of the checkpoint (``safetensors`` files are memory
mapped and only the one tensor is copied); the rest of the weights are never loaded. Which
tensor holds the input embeddings is found by building the model skeleton on the ``meta``
device (no memory) and asking it for ``get_input_embeddings()``, so any architecture that
transformers knows works, whatever its parameter-name prefix.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from prompt_recycling.errors import RecyclingError


@dataclass
class VocabTable:
    """A tokenizer and its model's input-embedding rows, shape (V, E)."""

    tokenizer: object
    embeddings: np.ndarray
    config: object = None  # the transformers config of the model

    @property
    def width(self) -> int:
        return int(self.embeddings.shape[1])


def resolve_model_dir(model: str | os.PathLike, revision: str | None = None) -> Path:
    """A local model directory, or the snapshot of a Hub id at ``revision`` (a branch, tag or
    commit; default the main branch), for users who have the Hub."""
    path = Path(model)
    if path.is_dir():
        return path
    if path.exists() or str(model).startswith((".", "/")):
        raise RecyclingError(f"model {model} is not a directory")
    try:
        from huggingface_hub import snapshot_download

        return Path(
            snapshot_download(
                str(model),
                revision=revision,
                allow_patterns=["*.json", "*.safetensors", "*.model", "*.txt", "*.bin"],
            )
        )
    except Exception as exc:
        raise RecyclingError(
            f"model {model!r} is neither a local directory nor reachable on the Hub "
            f"({type(exc).__name__}); pass a local model directory"
        ) from None


def _embedding_suffix(config) -> str:
    """Parameter name of the input embedding weight, e.g. 'embeddings.word_embeddings.weight'."""
    import torch
    from transformers import AutoModel

    with torch.device("meta"):
        model = AutoModel.from_config(config)
    weight = model.get_input_embeddings().weight
    for name, param in model.named_parameters(remove_duplicate=False):
        if param is weight:
            return name
    raise RecyclingError(f"cannot locate the input embeddings of a {config.model_type} model")


def _find_key(keys, suffix: str) -> str | None:
    parts = suffix.split(".")
    # Checkpoints may add or drop a base-model prefix ("bert.", "model."): match the longest
    # tail of the parameter name, then shorter tails down to "<module>.weight".
    for start in range(len(parts) - 1):
        tail = ".".join(parts[start:])
        hits = [k for k in keys if k == tail or k.endswith("." + tail)]
        if len(hits) == 1:
            return hits[0]
    return None


def read_embeddings(model_dir: str | os.PathLike, config=None) -> np.ndarray:
    """The input-embedding table (V, E) of a saved transformers model, float32."""
    from transformers import AutoConfig

    model_dir = Path(model_dir)
    suffix = _embedding_suffix(config or AutoConfig.from_pretrained(model_dir))
    index = model_dir / "model.safetensors.index.json"
    files = sorted(model_dir.glob("*.safetensors"))
    if index.exists():
        weight_map = json.loads(index.read_text())["weight_map"]
        key = _find_key(weight_map, suffix)
        files = [model_dir / weight_map[key]] if key else []
    for file in files:
        from safetensors import safe_open

        with safe_open(str(file), framework="pt") as f:
            key = _find_key(list(f.keys()), suffix)
            if key:
                return f.get_tensor(key).float().numpy()
    for file in sorted(model_dir.glob("pytorch_model*.bin")):
        import torch

        state = torch.load(file, map_location="cpu", mmap=True, weights_only=True)
        key = _find_key(list(state), suffix)
        if key:
            return state[key].float().numpy()
    raise RecyclingError(f"no input-embedding weight ({suffix}) found in {model_dir}")


def load_vocab_table(model: str | os.PathLike) -> VocabTable:
    """Tokenizer and input embeddings of a local model directory or Hub id."""
    from transformers import AutoConfig, AutoTokenizer

    model_dir = resolve_model_dir(model)
    try:
        config = AutoConfig.from_pretrained(model_dir)
        tokenizer = AutoTokenizer.from_pretrained(model_dir)
    except Exception as exc:
        raise RecyclingError(f"cannot load the config or tokenizer of {model}: {exc}") from None
    return VocabTable(tokenizer, read_embeddings(model_dir, config), config)
