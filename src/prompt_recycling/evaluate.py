"""Rank-classification evaluation of a prompt (or none: zero-shot) on labelled examples.

An evaluation job scores many prompts on the same examples, so the examples are tokenized once
(:func:`encode_examples`) and scored in batches of similar length: sorted by length, each batch
padded only to its own longest member, the scores put back in input order. No compute is spent
on padding beyond the few tokens between neighbours in the sorted order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from prompt_recycling.errors import RecyclingError
from prompt_recycling.examples import Example
from prompt_recycling.models import ModelAdapter


@dataclass(frozen=True)
class EncodedExamples:
    """Examples as one model reads them: token ids per example and gold label indices."""

    ids: list[list[int]]
    labels: np.ndarray  # (N,) int

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def n_tokens(self) -> int:
        return sum(map(len, self.ids))


def encode_examples(adapter: ModelAdapter, examples: Sequence[Example]) -> EncodedExamples:
    """Tokenize once: the same ids serve every prompt scored in the job."""
    if not examples:
        raise RecyclingError("no examples to evaluate")
    ids = adapter.encode([ex.text for ex in examples])
    return EncodedExamples(ids, np.array([ex.label for ex in examples], dtype=np.int64))


def length_batches(lengths: Sequence[int], batch_size: int) -> list[np.ndarray]:
    """Indices grouped into batches of similar length, longest first (peak memory early)."""
    if batch_size <= 0:
        raise RecyclingError(f"batch size must be positive, got {batch_size}")
    order = np.argsort(-np.asarray(lengths), kind="stable")
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def _encoded(adapter, data) -> EncodedExamples:
    return data if isinstance(data, EncodedExamples) else encode_examples(adapter, data)


def score(
    adapter: ModelAdapter,
    data: EncodedExamples | Sequence[Example],
    prompt: torch.Tensor | None = None,
    batch_size: int = 32,
    progress: bool = True,
) -> torch.Tensor:
    """Label scores (N, L) in input order, computed in length-sorted batches."""
    from tqdm.auto import tqdm

    data = _encoded(adapter, data)
    out = torch.empty(len(data), len(adapter.labels))
    batches = length_batches([len(x) for x in data.ids], batch_size)
    with torch.inference_mode():
        for idx in tqdm(batches, desc="evaluating", disable=not progress):
            out[torch.from_numpy(idx)] = adapter.score_ids(prompt, [data.ids[i] for i in idx]).cpu()
    check_finite(out, prompt)
    return out


def check_finite(scores: torch.Tensor, prompt: torch.Tensor | None = None, what="example"):
    """Refuse label scores (N, L) that are NaN or infinite: their argmax is no prediction (NaN
    wins every comparison), so an accuracy computed from it would be meaningless."""
    bad = ~torch.isfinite(scores).all(-1)  # (N,)
    if bad.any():
        first = int(bad.nonzero()[0])
        cause = (
            "the prompt holds non-finite values"
            if prompt is not None and not torch.isfinite(prompt).all()
            else "the model's outputs are not finite"
        )
        raise RecyclingError(
            f"label scores of {int(bad.sum())} of {len(scores)} {what}s are not finite (the "
            f"first: {what} {first}, scores {scores[first].tolist()}): {cause}"
        )


def predict(
    adapter: ModelAdapter,
    data: EncodedExamples | Sequence[Example],
    prompt: torch.Tensor | None = None,
    batch_size: int = 32,
    progress: bool = True,
) -> torch.Tensor:
    """Predicted label indices (N,): argmax of the adapter's label scores."""
    return score(adapter, data, prompt, batch_size, progress).argmax(-1)


def summarize(predictions, gold, labels: list[str]) -> dict:
    """Accuracy, n, per-class accuracy and the share of examples predicted as each label."""
    from sklearn.metrics import accuracy_score, recall_score

    pred, gold = np.asarray(predictions), np.asarray(gold)
    classes = list(range(len(labels)))
    per_class = recall_score(gold, pred, labels=classes, average=None, zero_division=np.nan)
    shares = np.bincount(pred, minlength=len(labels)) / len(pred)
    return {
        "accuracy": float(accuracy_score(gold, pred)),
        "n": len(pred),
        "per_class_accuracy": {
            lab: (None if np.isnan(v) else float(v))
            for lab, v in zip(labels, per_class, strict=True)
        },
        "label_shares": {lab: float(v) for lab, v in zip(labels, shares, strict=True)},
        "predictions": pred.astype(np.int64),
    }


def content_free_bias(
    adapter: ModelAdapter, content_free: EncodedExamples, prompt: torch.Tensor | None = None
) -> torch.Tensor:
    """Contextual calibration (Zhao et al. 2021): log of the mean label distribution (L,) that
    the model gives, with ``prompt``, to content-free inputs ("N/A", "", ...). Subtracting it
    from an example's scores is their W = diag(p_cf)^-1 rescaling of the label probabilities."""
    with torch.inference_mode():
        scores = adapter.score_ids(prompt, content_free.ids).cpu().float()  # (C, L)
    check_finite(scores, prompt, "content-free input")
    probs = scores.softmax(-1)
    return probs.mean(0).clamp_min(1e-30).log()


def encode_content_free(adapter: ModelAdapter, texts: str | Sequence[str]) -> EncodedExamples:
    """Content-free inputs tokenized like every example (template applied); no labels.
    ``"random-words"``: :func:`prompt_recycling.vocab.random_word_texts` of the model's
    tokenizer. An input that is no token at all (``""`` with a template of only ``{text}`` and
    no special tokens) cannot be scored and is left out."""
    from prompt_recycling.settings import RANDOM_WORDS
    from prompt_recycling.vocab import random_word_texts

    if isinstance(texts, str):
        if texts != RANDOM_WORDS:
            raise RecyclingError(f"content-free inputs: {texts!r} is not {RANDOM_WORDS!r}")
        texts = random_word_texts(adapter.tokenizer)
    ids = [x for x in adapter.encode(list(texts)) if len(x)]
    if not ids:
        raise RecyclingError(
            f"calibration needs at least one content-free input with a token, got {list(texts)}"
        )
    return EncodedExamples(ids, np.zeros(len(ids), dtype=np.int64))


def evaluate_calibrated(
    adapter: ModelAdapter,
    data: EncodedExamples | Sequence[Example],
    prompt: torch.Tensor | None = None,
    batch_size: int = 32,
    content_free: EncodedExamples | None = None,
    progress: bool = False,
) -> dict[bool, dict]:
    """``{False: result}`` as :func:`evaluate` gives it and, with ``content_free`` inputs,
    ``True``: the same scores after contextual calibration (one scoring pass for both). The
    calibrated result also holds the content-free label distribution (``content_free``)."""
    data = _encoded(adapter, data)
    scores = score(adapter, data, prompt, batch_size, progress)
    out = {False: summarize(scores.argmax(-1).numpy(), data.labels, adapter.labels)}
    if content_free is not None:
        bias = content_free_bias(adapter, content_free, prompt)
        out[True] = summarize((scores - bias).argmax(-1).numpy(), data.labels, adapter.labels)
        out[True]["content_free"] = dict(zip(adapter.labels, bias.exp().tolist(), strict=True))
    return out


def evaluate(
    adapter: ModelAdapter,
    data: EncodedExamples | Sequence[Example],
    prompt: torch.Tensor | None = None,
    batch_size: int = 32,
    progress: bool = True,
) -> dict:
    """Accuracy, n, per-class accuracy, label shares (keyed by verbalizer) and predictions."""
    return evaluate_calibrated(adapter, data, prompt, batch_size, None, progress)[False]
