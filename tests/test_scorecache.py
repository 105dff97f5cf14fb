"""The score cache: a prompt's results come back equal, anything they depend on changes the
context, and an entry that cannot be read is scored again."""

from __future__ import annotations

import numpy as np
import pytest

from prompt_recycling.scorecache import ScoreCache, context, prompt_digest


def results(seed: int) -> dict:
    rng = np.random.default_rng(seed)
    pred = rng.integers(0, 2, 40)
    out = {
        "accuracy": float(rng.random()),
        "n": 40,
        "per_class_accuracy": {"negative": 0.25, "positive": None},
        "label_shares": {"negative": 0.4, "positive": 0.6},
        "predictions": pred.astype(np.int64),
    }
    return {False: out, True: {**out, "content_free": {"negative": 0.3, "positive": 0.7}}}


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return ScoreCache("c0ffee")


def test_a_prompt_scored_once_is_read_back_equal(cache):
    prompt = np.arange(12, dtype=np.float32).reshape(3, 4)
    calls = []

    def score(p):
        calls.append(p)
        return results(0)

    first = cache.results(prompt, score)
    again = cache.results(prompt.copy(), score)
    assert len(calls) == 1 and (cache.hits, cache.misses) == (1, 1)
    for calibrated in (False, True):
        got, want = again[calibrated]["predictions"], first[calibrated]["predictions"]
        np.testing.assert_array_equal(got, want)
        assert got.dtype == np.int64
        rest = {k: v for k, v in again[calibrated].items() if k != "predictions"}
        assert rest == {k: v for k, v in first[calibrated].items() if k != "predictions"}
    other = prompt.copy()
    other[0, 0] += 1e-6  # another prompt, however close
    cache.results(other, score)
    assert len(calls) == 2


def test_an_unreadable_entry_is_scored_again(cache):
    prompt = np.ones((2, 4), dtype=np.float32)
    cache.results(prompt, lambda p: results(0))
    entry = cache.folder / f"{prompt_digest(prompt)}.json"
    entry.write_text(entry.read_text()[:50])  # cut short
    got = cache.results(prompt, lambda p: results(1))
    np.testing.assert_array_equal(got[False]["predictions"], results(1)[False]["predictions"])
    assert cache.misses == 2


def test_the_context_changes_with_every_input(tiny_models):
    from prompt_recycling.models import load_adapter

    adapter = load_adapter(tiny_models["encoder"], ["negative", "positive"])
    model = {"files": {"model.safetensors": {"sha256": "a" * 64}}}
    base = (model, "b" * 64, {"labels": ["negative", "positive"]}, {"batch_size": 8}, "fp32")
    key = context(*base, adapter)
    changed = [
        ({"files": {"model.safetensors": {"sha256": "c" * 64}}}, *base[1:]),
        (model, "d" * 64, *base[2:]),
        (*base[:2], {"labels": ["positive", "negative"]}, *base[3:]),
        (*base[:3], {"batch_size": 16}, base[4]),
        (*base[:4], "bf16-checked"),
    ]
    keys = {context(*c, adapter) for c in changed}
    assert key not in keys and len(keys) == len(changed)
    assert context(*base, adapter) == key
