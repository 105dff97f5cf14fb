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


def test_the_recheck_margin_widens_for_errors_larger_than_the_closest_calls(
    tiny_models, many_texts, monkeypatch, capsys
):
    """Examples beyond the closest calls err 3x more: the margin must grow past them, and every
    example left in bf16 has a margin of 4x every error seen."""
    from prompt_recycling.evaluate import CHECK_SAFETY, CHECK_SAMPLE, decision_margins

    prompt = torch.randn(3, 32) * 0.3
    checked, data, free = setup(tiny_models, many_texts, monkeypatch, checked=True)
    with fp32(checked):
        exact = predictions(checked, data, prompt, free)
        exact_scores = evaluate_scores(checked, data, prompt)
    margins = margins_of(checked, data, prompt)
    scale = float(margins.max() / 40)
    closest = np.argsort(margins)[: 2 * CHECK_SAMPLE]  # beyond these, errors 3x larger
    simulate_bf16(checked, scale, outside=3.0, sample={tuple(data.ids[i]) for i in closest})
    got = predictions(checked, data, prompt, free)
    for calibrated in (False, True):
        np.testing.assert_array_equal(got[calibrated], exact[calibrated])

    capsys.readouterr()
    scores = evaluate_scores(checked, data, prompt)  # raw only: no calibration shifts
    said = capsys.readouterr().out
    rescored = int(said.split("bf16 screen: ")[-1].split(" of")[0])
    margin = float(said.split("recheck margin ")[-1].split(")")[0])
    assert margin > CHECK_SAFETY * 2 * scale  # beyond what the closest calls alone would set
    checked.checked = False
    screen = evaluate_scores(checked, data, prompt)  # the bf16 screen itself
    screen_margins = decision_margins(screen).numpy()
    # the closest calls and every margin within the recheck margin: a prefix of the examples
    # ordered by screen margin, which ends at the printed margin (3 digits: to its rounding)
    order = np.argsort(screen_margins, kind="stable")
    assert CHECK_SAMPLE < rescored < len(data)
    again = np.sort(order[:rescored])
    assert screen_margins[order[rescored - 1]] <= margin * (1 + 5e-3)
    assert screen_margins[order[rescored]] > margin * (1 - 5e-3)
    np.testing.assert_allclose(scores[again], exact_scores[again], atol=1e-5)
    left = np.setdiff1d(np.arange(len(data)), again)
    np.testing.assert_array_equal(scores[left], screen[left])
    delta = (screen - exact_scores)[again]
    worst = float((delta.max(-1).values - delta.min(-1).values).max())
    assert margin == pytest.approx(CHECK_SAFETY * worst, rel=5e-3)  # printed to 3 digits
    assert screen_margins[left].min() > CHECK_SAFETY * worst


def test_checked_is_fp32_where_bf16_is_not_native(tiny_models, monkeypatch):
    monkeypatch.setattr(device, "native_bf16", lambda _: False)
    adapter = load_adapter(tiny_models["encoder"], LABELS, bf16="checked")
    assert (adapter.bf16, adapter.checked, precision(adapter)) == (False, False, "fp32")


def test_cpu_kind_names_the_model_and_its_vector_and_bf16_sets(monkeypatch, tmp_path):
    """Benchmark reports name the CPU they ran on: its model name and which of AVX2, AVX-512,
    AVX-512 BF16 and AMX it has; without /proc/cpuinfo, what ``platform`` says."""
    import builtins

    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(
        "processor\t: 0\nmodel name\t: Some CPU 9000\nflags\t\t: fpu sse avx2 amx_bf16 amx_tile\n"
    )
    real_open = builtins.open

    def fake_open(path, *args, **kwargs):
        if path == "/proc/cpuinfo":
            return real_open(cpuinfo, *args, **kwargs)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", fake_open)
    assert device.cpu_kind() == "Some CPU 9000 (avx2, amx_bf16)"
    assert device.native_bf16(torch.device("cpu"))  # the same reading of the file: AMX
    cpuinfo.unlink()  # no such file: platform's answer, and no native bf16
    monkeypatch.setattr("platform.processor", lambda: "x86_64-ish")
    assert device.cpu_kind() == "x86_64-ish"
    assert not device.native_bf16(torch.device("cpu"))
