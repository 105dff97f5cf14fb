"""Rank-classification evaluation of a prompt (or none: zero-shot) on labelled examples.

An evaluation job scores many prompts on the same examples, so the examples are tokenized once
(:func:`encode_examples`) and scored in batches of similar length: sorted by length, each batch
padded only to its own longest member, the scores put back in input order. No compute is spent
on padding beyond the few tokens between neighbours in the sorted order.

**bf16 screen, fp32 decisions** (an adapter with ``checked`` set, ``evaluation.bf16:
checked``): every example is scored in bf16, then scored again in fp32 where the bf16 scores
could decide otherwise. The decision margin is the top label's score minus the runner-up's, as
is and after each calibration shift. The :data:`CHECK_SAMPLE` closest calls (the smallest bf16
margins) are scored in fp32 first; then every example whose bf16 margin is within
:data:`CHECK_SAFETY` times the largest margin error seen so far, until no more are. So every
example left in bf16 has a margin of at least 4x every error measured, and its prediction is
the fp32 prediction unless its own bf16 error is that much larger than all of those.
(bf16's error hardly grows with the margin: on the default grid's prompts their correlation over
the examples is 0.02 to 0.12, so the closest calls measure it about as a random sample would,
at no extra fp32 cost.)
``bench/bf16_conclusions.py --mode checked`` counts the predictions that differ from fp32 over a
whole grid; ``bench/bench_screen.py`` times the screen against fp32.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

import numpy as np
import torch

from prompt_recycling.errors import RecyclingError
from prompt_recycling.examples import Example
from prompt_recycling.models import ModelAdapter
from prompt_recycling.progress import bar as progress_bar
from prompt_recycling.settings import EvalConfig

CHECK_SAMPLE = 32  # closest calls scored in both precisions first: bf16's margin error
CHECK_SAFETY = 4.0  # rescored in fp32: bf16 margin within this many times that error


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


def _score_into(out, adapter, data, prompt, indices, batch_size, progress=False, desc=""):
    """Scores of the examples ``indices`` (length-sorted batches) written into ``out``."""
    batches = length_batches([len(data.ids[i]) for i in indices], batch_size)
    for batch in progress_bar(batches, desc=desc, disable=not progress):
        idx = indices[batch]
        out[torch.from_numpy(idx)] = adapter.score_ids(prompt, [data.ids[i] for i in idx]).cpu()


def _checked(adapter) -> bool:
    """Whether the adapter screens in bf16 and decides in fp32."""
    return bool(getattr(adapter, "checked", False) and adapter.bf16)


@contextmanager
def fp32(adapter: ModelAdapter):
    """Within the block the adapter scores in fp32."""
    before, adapter.bf16 = adapter.bf16, False
    try:
        yield adapter
    finally:
        adapter.bf16 = before


def decision_margins(scores: torch.Tensor, shifts: Sequence[torch.Tensor] = ()) -> torch.Tensor:
    """Per example (N,), the smallest gap between the top two label scores, over the scores
    as they are and minus each shift (L,) (the calibration biases)."""
    gaps = []
    for shift in [torch.zeros(scores.shape[1]), *shifts]:
        top = (scores - shift).topk(2, dim=-1).values
        gaps.append(top[:, 0] - top[:, 1])
    return torch.stack(gaps).min(0).values


def _margin_error(screen: torch.Tensor, exact: torch.Tensor, idx: np.ndarray) -> float:
    """The largest error, over examples ``idx``, of a difference between two label scores
    (which bounds the error of every decision margin, calibrated or not)."""
    if not len(idx):
        return 0.0
    delta = screen[idx] - exact[idx]  # (n, L)
    return float((delta.max(-1).values - delta.min(-1).values).max())


def _recheck(screen, adapter, data, prompt, batch_size, shifts) -> torch.Tensor:
    """fp32 scores where the bf16 ``screen`` could decide otherwise (see the module)."""
    n = len(data)
    margins = decision_margins(screen, shifts).numpy()
    seen = np.sort(np.argsort(margins, kind="stable")[:CHECK_SAMPLE])  # the closest calls
    exact = screen.clone()
    with fp32(adapter):
        _score_into(exact, adapter, data, prompt, seen, batch_size)
        while True:  # until every margin not rescored is CHECK_SAFETY x every error seen
            margin = CHECK_SAFETY * _margin_error(screen, exact, seen)
            near = np.setdiff1d(np.flatnonzero(margins <= margin), seen)
            if not len(near):
                break
            _score_into(exact, adapter, data, prompt, near, batch_size)
            seen = np.union1d(seen, near)
    print(f"bf16 screen: {len(seen)} of {n} scored again in fp32 (recheck margin {margin:.3g})")
    return exact


def score(
    adapter: ModelAdapter,
    data: EncodedExamples | Sequence[Example],
    prompt: torch.Tensor | None = None,
    batch_size: int = EvalConfig.batch_size,
    progress: bool = True,
    shifts: Sequence[torch.Tensor] = (),
) -> torch.Tensor:
    """Label scores (N, L) in input order, computed in length-sorted batches. A ``checked``
    adapter screens in bf16 and rescores in fp32 where a decision could change; ``shifts``:
    the calibration biases (L,) whose decisions must hold too."""
    data = _encoded(adapter, data)
    out = torch.empty(len(data), len(adapter.labels))
    everything = np.arange(len(data))
    with torch.inference_mode():
        _score_into(out, adapter, data, prompt, everything, batch_size, progress, "evaluating")
        if _checked(adapter):
            out = _recheck(out, adapter, data, prompt, batch_size, shifts)
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
    batch_size: int = EvalConfig.batch_size,
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
    with torch.inference_mode(), fp32(adapter) if _checked(adapter) else nullcontext():
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
    batch_size: int = EvalConfig.batch_size,
    content_free: EncodedExamples | None = None,
    progress: bool = False,
) -> dict[bool, dict]:
    """``{False: result}`` as :func:`evaluate` gives it and, with ``content_free`` inputs,
    ``True``: the same scores after contextual calibration (one scoring pass for both). The
    calibrated result also holds the content-free label distribution (``content_free``)."""
    data = _encoded(adapter, data)
    bias = None if content_free is None else content_free_bias(adapter, content_free, prompt)
    shifts = () if bias is None else (bias,)
    scores = score(adapter, data, prompt, batch_size, progress, shifts)
    out = {False: summarize(scores.argmax(-1).numpy(), data.labels, adapter.labels)}
    if bias is not None:
        out[True] = summarize((scores - bias).argmax(-1).numpy(), data.labels, adapter.labels)
        out[True]["content_free"] = dict(zip(adapter.labels, bias.exp().tolist(), strict=True))
    return out


def evaluate(
    adapter: ModelAdapter,
    data: EncodedExamples | Sequence[Example],
    prompt: torch.Tensor | None = None,
    batch_size: int = EvalConfig.batch_size,
    progress: bool = True,
) -> dict:
    """Accuracy, n, per-class accuracy, label shares (keyed by verbalizer) and predictions."""
    return evaluate_calibrated(adapter, data, prompt, batch_size, None, progress)[False]
