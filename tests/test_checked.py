"""Evaluation with ``bf16: checked``: a bf16 screen whose predictions, raw and calibrated, are
the fp32 predictions. bf16 errors are simulated (seeded noise on the scores whenever the adapter
computes in bf16), so that the tests do not depend on how large real bf16 errors are on a tiny
model, nor on the CPU having bf16."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
import torch

from prompt_recycling import device
from prompt_recycling.evaluate import (
    encode_content_free,
    encode_examples,
    evaluate_calibrated,
    fp32,
)
from prompt_recycling.examples import Example
from prompt_recycling.jobs.common import precision
from prompt_recycling.models import load_adapter
from prompt_recycling.tiny import pseudo_words

LABELS = ["negative", "positive"]


@pytest.fixture(scope="module")
def many_texts():
    """300 examples: more than the sample the recheck margin is measured on."""
    rng = np.random.default_rng(1)
    words = pseudo_words(150)
    return [
        Example(" ".join(rng.choice(words, size=int(rng.integers(2, 9)))), i % 2)
        for i in range(300)
    ]


def simulate_bf16(adapter, scale: float, outside: float = 1.0, sample=()):
    """Score in fp32, plus, when the adapter is set to bf16, noise uniform in [-scale, scale]
    fixed per example (``outside`` times larger for examples not in ``sample``)."""
    clean = adapter.score_ids

    def score_ids(prompt, ids):
        noisy = adapter.bf16
        with fp32(adapter):
            out = clean(prompt, ids)
        if noisy:
            for row, seq in enumerate(ids):
                gen = torch.Generator().manual_seed(zlib.crc32(str(seq).encode()))
                size = scale * (1.0 if tuple(seq) in sample else outside)
                out[row] += (torch.rand(out.shape[1], generator=gen) * 2 - 1) * size
        return out

    adapter.score_ids = score_ids


def setup(tiny_models, texts, monkeypatch, checked: bool):
    monkeypatch.setattr(device, "native_bf16", lambda _: True)
    adapter = load_adapter(tiny_models["encoder"], LABELS, bf16="checked" if checked else True)
    data = encode_examples(adapter, texts)
    free = encode_content_free(adapter, ["", "N/A", "nothing"])
    return adapter, data, free


def margins_of(adapter, data, prompt) -> np.ndarray:
    with fp32(adapter):
        scores = evaluate_scores(adapter, data, prompt)
    return (scores[:, 1] - scores[:, 0]).abs().numpy()


def evaluate_scores(adapter, data, prompt):
    from prompt_recycling.evaluate import score

    return score(adapter, data, prompt, 16, progress=False)


def predictions(adapter, data, prompt, free) -> dict:
    out = evaluate_calibrated(adapter, data, prompt, 16, free)
    return {k: out[k]["predictions"] for k in (False, True)}


def test_a_checked_adapter_predicts_what_fp32_predicts(tiny_models, many_texts, monkeypatch):
    prompt = torch.randn(3, 32) * 0.3
    plain, data, free = setup(tiny_models, many_texts, monkeypatch, checked=False)
    scale = float(np.median(margins_of(plain, data, prompt)))  # flips many decisions
    with fp32(plain):
        exact = predictions(plain, data, prompt, free)
    simulate_bf16(plain, scale)
    screened = predictions(plain, data, prompt, free)
    assert (screened[False] != exact[False]).sum() > 10  # the simulated bf16 errs

    checked, data, free = setup(tiny_models, many_texts, monkeypatch, checked=True)
    simulate_bf16(checked, scale)
    got = predictions(checked, data, prompt, free)
    for calibrated in (False, True):
        np.testing.assert_array_equal(got[calibrated], exact[calibrated])
    assert precision(checked) == "bf16-checked" and precision(plain) == "bf16"


def test_the_recheck_margin_widens_for_errors_larger_than_the_samples(
    tiny_models, many_texts, monkeypatch, capsys
):
    """Examples outside the measured sample err 5x more: the margin must grow."""
    from prompt_recycling.evaluate import CHECK_SAMPLE

    prompt = torch.randn(3, 32) * 0.3
    checked, data, free = setup(tiny_models, many_texts, monkeypatch, checked=True)
    with fp32(checked):
        exact = predictions(checked, data, prompt, free)
    scale = float(np.quantile(margins_of(checked, data, prompt), 0.1))
    gen = np.random.default_rng(0)
    sample = gen.choice(len(data), CHECK_SAMPLE, replace=False)  # the evaluation's own draw
    simulate_bf16(checked, scale, outside=5.0, sample={tuple(data.ids[i]) for i in sample})
    got = predictions(checked, data, prompt, free)
    for calibrated in (False, True):
        np.testing.assert_array_equal(got[calibrated], exact[calibrated])
    margin = float(capsys.readouterr().out.split("recheck margin ")[-1].split(")")[0])
    assert margin > 4 * 2 * scale  # beyond what the sample alone would have set


def test_checked_is_fp32_where_bf16_is_not_native(tiny_models, monkeypatch):
    monkeypatch.setattr(device, "native_bf16", lambda _: False)
    adapter = load_adapter(tiny_models["encoder"], LABELS, bf16="checked")
    assert (adapter.bf16, adapter.checked, precision(adapter)) == (False, False, "fp32")
