"""Read and write soft prompts (P, E) as ``.npy``, ``.safetensors`` or a PEFT adapter directory.

A PEFT prompt-tuning adapter directory holds ``adapter_config.json`` (a ``PromptTuningConfig``)
and ``adapter_model.safetensors`` with one tensor ``prompt_embeddings`` of shape
(num_virtual_tokens · num_transformer_submodules, token_dim). Recycling maps rows, so all rows
are recycled, and the written adapter keeps the source adapter's settings with ``token_dim`` and
the base model changed to the target's: ``PeftModel.from_pretrained(target_model, out_dir)``
then loads it without the size-mismatch error a source adapter would give. An existing adapter
folder is replaced in one atomic step; any other non-empty folder is refused, never deleted.
With ``ledger=True`` (the command line) an existing ``.npy`` or ``.safetensors`` file is replaced
only if the folder's ledger says this tool wrote it (:func:`prompt_recycling.fsutil.record`).

A prompt that is read must be usable: finite, at least one row, and rows of a sane size (mean
L2 norm at most :data:`MAX_ROW_NORM`, orders of magnitude above the norms of embedding rows and
tuned prompts: values that large overflow the models' scores).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import numpy as np

from prompt_recycling.errors import RecyclingError
from prompt_recycling.fsutil import atomic_path, check_parent, check_replaceable, recorded

MAX_ROW_NORM = 1e4  # mean row norm beyond which a prompt read is refused as degenerate
PEFT_WEIGHTS = "adapter_model.safetensors"
PEFT_KEY = "prompt_embeddings"
SAFETENSORS_KEY = "prompt"


def _format(path: Path, for_writing: bool) -> str:
    if path.suffix == ".npy":
        return "npy"
    if path.suffix == ".safetensors":
        return "safetensors"
    if path.is_dir() or (for_writing and not path.suffix):
        return "peft"
    raise RecyclingError(
        f"cannot tell the prompt format of {path}: use a .npy or .safetensors file "
        f"or a PEFT adapter directory"
    )


def check_output(path: str | os.PathLike, ledger: bool = False) -> Path:
    """Fail unless a prompt can be written at ``path`` without destroying anything of the user's.

    Checked before any work, so a bad path costs nothing: the parent must be a writable folder
    and the format known from the path. A PEFT adapter path may be missing, an empty folder or an
    existing adapter folder (one with ``adapter_config.json``, which is replaced); any other
    folder is not ours to replace, and a file where a folder goes (or the reverse) is refused.
    With ``ledger``, an existing file is replaced only if this tool wrote it.
    """
    path = check_parent(path)
    parent = path.absolute().parent
    if not os.access(parent, os.W_OK | os.X_OK):
        raise RecyclingError(f"output directory {parent} is not writable (for {path})")
    fmt = _format(path, for_writing=True)
    if fmt != "peft":
        if path.is_dir():
            raise RecyclingError(f"output {path} is a folder; a .{fmt} prompt is written as a file")
        if ledger:
            check_replaceable(path)
        return path
    if path.exists() and not path.is_dir():
        raise RecyclingError(f"output {path} is a file; a PEFT adapter is written as a folder")
    if path.is_dir() and any(path.iterdir()) and not (path / "adapter_config.json").is_file():
        raise RecyclingError(
            f"output folder {path} is not empty and holds no adapter_config.json; refusing to "
            f"replace it (name a new folder, or a .npy or .safetensors file)"
        )
    return path


def check_prompt(prompt, name: str = "prompt") -> np.ndarray:
    prompt = np.asarray(prompt)
    if prompt.ndim != 2:
        raise RecyclingError(
            f"{name} must be a 2-D (length, width) array, got shape {prompt.shape}"
        )
    if not np.issubdtype(prompt.dtype, np.floating):
        raise RecyclingError(f"{name} must hold floating-point values, got {prompt.dtype}")
    if 0 in prompt.shape:
        raise RecyclingError(f"{name} is empty: shape {prompt.shape}, no values")
    if not np.isfinite(prompt).all():
        raise RecyclingError(f"{name} contains NaN or inf values")
    return prompt


def check_row_norm(prompt: np.ndarray, name: str = "prompt") -> np.ndarray:
    """Fail if the mean L2 norm of the rows exceeds :data:`MAX_ROW_NORM` (computed in float64,
    so that float32 values near their limit do not overflow to inf)."""
    norm = float(np.linalg.norm(prompt.astype(np.float64), axis=1).mean())
    if not norm <= MAX_ROW_NORM:
        raise RecyclingError(
            f"{name} has mean row norm {norm:.3g}, beyond {MAX_ROW_NORM:g}: not a usable prompt "
            f"(embedding rows and tuned prompts are orders of magnitude smaller)"
        )
    return prompt


def read_prompt(path: str | os.PathLike) -> np.ndarray:
    """Read a prompt as a float32 (P, E) array from .npy, .safetensors or a PEFT directory."""
    path = Path(path)
    if not path.exists():
        raise RecyclingError(f"prompt file {path} does not exist")
    fmt = _format(path, for_writing=False)
    try:
        if fmt == "npy":
            prompt = np.load(path, allow_pickle=False)
        elif fmt == "safetensors":
            from safetensors.numpy import load_file

            tensors = load_file(str(path))
            key = SAFETENSORS_KEY if SAFETENSORS_KEY in tensors else PEFT_KEY
            if key not in tensors and len(tensors) == 1:
                key = next(iter(tensors))
            if key not in tensors:
                raise RecyclingError(
                    f"{path} holds tensors {sorted(tensors)}; expected one named "
                    f"{SAFETENSORS_KEY!r} or {PEFT_KEY!r}"
                )
            prompt = tensors[key]
        else:
            prompt = _read_peft(path)
    except RecyclingError:
        raise
    except Exception as exc:
        raise RecyclingError(f"cannot read prompt {path}: {exc}") from None
    prompt = check_prompt(prompt, name=f"prompt {path}")
    return check_row_norm(prompt, name=f"prompt {path}").astype(np.float32)


def _read_peft(path: Path) -> np.ndarray:
    from peft import PeftConfig
    from peft.utils import load_peft_weights

    config = PeftConfig.from_pretrained(str(path))
    if config.peft_type != "PROMPT_TUNING":
        raise RecyclingError(f"{path} is a {config.peft_type} adapter, not a prompt-tuning one")
    weights = load_peft_weights(str(path), device="cpu")
    return weights[PEFT_KEY].float().numpy()


def write_prompt(
    prompt,
    path: str | os.PathLike,
    *,
    base_model: str | None = None,
    like: str | os.PathLike | None = None,
    task_type: str | None = None,
    ledger: bool = False,
) -> Path:
    """Write a (P, E) prompt atomically; the format follows the path (see module docstring).

    ``path`` is checked first (:func:`check_output`): a folder that is not a PEFT adapter is
    never replaced; with ``ledger``, nor a file this tool did not write, and the written file is
    entered in its folder's ledger.

    For a PEFT directory: ``like`` is a source PEFT adapter whose settings are copied;
    ``base_model`` names the model the adapter is for; ``task_type`` is used when there is no
    ``like`` adapter (default ``CAUSAL_LM``).
    """
    prompt = check_prompt(prompt).astype(np.float32)
    path = check_output(path, ledger)
    fmt = _format(path, for_writing=True)
    if fmt == "peft":
        _write_peft(prompt, path, base_model, like, task_type)
        return path
    with recorded([path]) if ledger else contextlib.nullcontext(), atomic_path(path) as tmp:
        if fmt == "npy":
            with open(tmp, "wb") as f:
                np.save(f, prompt)
        else:
            from safetensors.numpy import save_file

            save_file({SAFETENSORS_KEY: prompt}, str(tmp))
    return path


def _write_peft(prompt, path: Path, base_model, like, task_type) -> None:
    import torch
    from peft import PeftConfig, PromptTuningConfig
    from safetensors.torch import save_file

    if like is not None and Path(like).is_dir():
        config = PeftConfig.from_pretrained(str(like))
    else:
        config = PromptTuningConfig(
            task_type=task_type or "CAUSAL_LM", num_virtual_tokens=len(prompt)
        )
        config.num_transformer_submodules = 1
    submodules = config.num_transformer_submodules or 1
    if len(prompt) != config.num_virtual_tokens * submodules:
        raise RecyclingError(
            f"prompt has {len(prompt)} rows but the adapter expects "
            f"{config.num_virtual_tokens} virtual tokens x {submodules} submodules"
        )
    config.token_dim = int(prompt.shape[1])
    config.inference_mode = True
    if base_model is not None:
        config.base_model_name_or_path = str(base_model)
    with atomic_path(path, directory=True) as tmp:
        config.save_pretrained(str(tmp))
        # The same file PeftModel.save_pretrained writes for prompt tuning.
        save_file({PEFT_KEY: torch.from_numpy(prompt)}, str(tmp / PEFT_WEIGHTS), {"format": "pt"})
