"""The resume state of prompt tuning, keyed by everything the prompt depends on.

A saved state is taken up again only when it was made from the same inputs: the tuning settings
(save period aside), the frozen model's weights, the tokenized training data and its labels, the
reader (verbalizers and their token ids, template, text budget, prompt placement, precision) and
the code of the training loop. Each part is a digest of its own, so that a state that does not
match says which parts differ; tuning then starts fresh (the state is replaced at the next save)
and prints why, rather than continuing a prompt on other data or another model.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import torch

from prompt_recycling.fsutil import atomic_path, code_digest

PARTS = {
    "settings": "other tuning settings",
    "model": "other model weights",
    "data": "other training data or labels",
    "reader": "another reader (verbalizers, template, text budget, placement or precision)",
    "code": "another version of the training code",
}


def weights_digest(model) -> str:
    """sha1 of every tensor of ``model``'s state dict, names included."""
    h = hashlib.sha1()
    for name, param in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(param.detach().cpu().contiguous().view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def _digest(value) -> str:
    return hashlib.sha1(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def _code_digest(adapter) -> str:
    """The source of the training loop (``tune.py``), this module and the adapter's classes."""
    files = {Path(__file__).with_name("tune.py"), Path(__file__)}
    return code_digest(files, type(adapter).__mro__, "sha1")


def fingerprints(adapter, ids: list[list[int]], gold: torch.Tensor, config, weights: str) -> dict:
    """One digest per part of what a tuned prompt depends on (see the module's docstring).

    ``ids``: the tokenized training texts; ``gold``: their labels; ``weights``: the model's
    :func:`weights_digest` (computed once by the caller, which checks it again at the end)."""
    tokenize = adapter.tokenizer
    label_ids = [tokenize(label, add_special_tokens=False).input_ids for label in adapter.labels]
    reader = {
        "class": type(adapter).__name__,
        "labels": list(adapter.labels),
        "label_ids": label_ids,
        "template": adapter.template,
        "max_length": adapter.max_length,
        "placement": getattr(adapter, "placement", None),
        "bf16": adapter.bf16,
    }
    return {
        "settings": config.fingerprint(),
        "model": weights,
        "data": _digest([ids, gold.tolist()]),
        "reader": _digest(reader),
        "code": _code_digest(adapter),
    }


def load_state(path: Path, want: dict) -> dict | None:
    """The state saved at ``path`` if it was made from the inputs ``want`` describes, else None
    (printing which inputs differ)."""
    if not path.exists():
        return None
    state = torch.load(path, map_location="cpu", weights_only=True)
    have = state.get("fingerprints") or {}
    differ = [PARTS[part] for part in PARTS if have.get(part) != want[part]]
    if differ:
        step = state.get("step", "?")
        why = "; ".join(differ) if have else "an older format without input digests"
        print(
            f"not resuming from {path} (step {step}): it was saved for {why}; "
            "prompt tuning starts fresh",
            file=sys.stderr,
        )
        return None
    return state


def save_state(path: Path, prompt, opt, step: int, want: dict, written, history) -> None:
    """Write the resume state atomically (prompt, optimizer, step, checkpoints, history)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "prompt": prompt.detach().cpu().clone(),
        "optimizer": opt.state_dict(),
        "step": step,
        "fingerprints": dict(want),
        "checkpoints": dict(written),
        "history": list(history),
    }
    with atomic_path(path) as tmp:
        torch.save(state, tmp)
