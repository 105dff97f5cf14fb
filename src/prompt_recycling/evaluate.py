"""Rank-classification evaluation of a prompt (or none: zero-shot) on labelled examples."""

from __future__ import annotations

import torch

from prompt_recycling.data import Example
from prompt_recycling.errors import RecyclingError
from prompt_recycling.models import ModelAdapter


def predict(
    adapter: ModelAdapter,
    examples: list[Example],
    prompt: torch.Tensor | None = None,
    batch_size: int = 32,
    progress: bool = True,
) -> torch.Tensor:
    """Predicted label indices (N,): argmax of the adapter's label scores, batched."""
    from tqdm.auto import tqdm

    if not examples:
        raise RecyclingError("no examples to evaluate")
    preds = []
    with torch.inference_mode():
        for start in tqdm(
            range(0, len(examples), batch_size), desc="evaluating", disable=not progress
        ):
            texts = [ex.text for ex in examples[start : start + batch_size]]
            preds.append(adapter.scores(prompt, texts).argmax(-1).cpu())
    return torch.cat(preds)


def evaluate(
    adapter: ModelAdapter,
    examples: list[Example],
    prompt: torch.Tensor | None = None,
    batch_size: int = 32,
    progress: bool = True,
) -> dict:
    """Accuracy, n and per-class accuracy (keyed by verbalizer) as a JSON-able dict."""
    preds = predict(adapter, examples, prompt, batch_size, progress)
    gold = torch.tensor([ex.label for ex in examples])
    correct = preds == gold
    per_class = {}
    for i, label in enumerate(adapter.labels):
        sel = gold == i
        per_class[label] = float(correct[sel].float().mean()) if sel.any() else None
    return {
        "accuracy": float(correct.float().mean()),
        "n": len(examples),
        "per_class_accuracy": per_class,
    }
