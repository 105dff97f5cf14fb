"""Where the command line may write: never over one of the command's inputs, never into a
model folder, never over a file it did not write.

These checks run before anything is read or written. An existing ``.npy`` / ``.safetensors``
output is replaced only if the ledger of its folder (:data:`prompt_recycling.fsutil.LEDGER`)
records that this tool wrote it, with the content it wrote; an existing PEFT adapter folder is
replaced (:func:`prompt_recycling.prompt_io.check_output`); anything else is refused.
"""

from __future__ import annotations

import os
from pathlib import Path

from prompt_recycling.errors import RecyclingError

WEIGHTS = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
    "tf_model.h5",
    "flax_model.msgpack",
)
TOKENIZER = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "vocab.txt",
    "vocab.json",
    "merges.txt",
    "spiece.model",
    "sentencepiece.bpe.model",
)


def is_model_folder(folder: Path) -> bool:
    """A transformers model: weights, or a ``config.json`` with weights or tokenizer files."""
    if not folder.is_dir():
        return False
    if any((folder / name).is_file() for name in WEIGHTS):
        return True
    return (folder / "config.json").is_file() and any(
        (folder / name).is_file() for name in TOKENIZER
    )


def _within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _spellings(path: str | os.PathLike) -> list[Path]:
    """The path as given (absolute) and with every symbolic link resolved."""
    return list(dict.fromkeys((Path(os.path.abspath(path)), Path(path).resolve())))


def _same(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_destination(flag: str, path: str, inputs=(), models=()) -> None:
    """Fail unless ``path`` (a file or folder the command writes) is clear of its inputs and of
    model folders.

    ``inputs``: ``(flag, path)`` of what the command reads; ``path`` may not be one of them
    (whatever the spelling: ``./``, ``..``, a symbolic or hard link), lie inside an input
    folder, or hold an input. ``models``: ``(flag, model)``; ``path`` may not lie in a local
    model's folder, nor in any folder that holds a model (:func:`is_model_folder`).
    """
    mine = _spellings(path)
    for in_flag, in_path in inputs:
        if not in_path:
            continue
        theirs = _spellings(in_path)
        if any(a == b for a in mine for b in theirs) or _same(mine[0], theirs[0]):
            relation = "is"
        elif any(_within(a, b) for a in mine for b in theirs):
            relation = "lies inside"
        elif any(_within(b, a) for a in mine for b in theirs):
            relation = "holds"
        else:
            continue
        raise RecyclingError(
            f"{flag} {path} {relation} the input {in_flag} {in_path}; refusing to write over "
            f"an input"
        )
    for model_flag, model in models:
        folders = _spellings(model) if Path(model).is_dir() else []
        if any(_within(a, b) for a in mine for b in folders):
            where = "is" if any(a in folders for a in mine) else "lies inside"
            raise RecyclingError(
                f"{flag} {path} {where} the {model_flag} model folder {model}; refusing to "
                f"write into a model"
            )
    for spelling in mine:
        folder = next((f for f in (spelling, *spelling.parents) if is_model_folder(f)), None)
        if folder is not None:
            where = "is" if folder == spelling else "lies inside"
            raise RecyclingError(
                f"{flag} {path} {where} the model folder {folder}; refusing to write into a model"
            )


def check_resume_state(flag: str, state_file: Path) -> None:
    """An existing ``state.pt`` where a tuning run keeps its resume state must be one."""
    if not (state_file.exists() or state_file.is_symlink()):
        return
    import torch

    try:
        state = torch.load(state_file, map_location="cpu", weights_only=True)
    except Exception:
        state = None
    ours = isinstance(state, dict) and {"prompt", "optimizer", "step"} <= state.keys()
    if not ours or state_file.is_symlink():
        raise RecyclingError(
            f"{flag}: {state_file} exists and is not the resume state of a tuning run; "
            f"refusing to replace it (move it away, or name another --state-dir)"
        )
