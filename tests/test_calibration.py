"""Contextual calibration: known answers with a scorer whose bias is set by hand, the rows it
writes, and the calibrated baselines each calibrated recycled prompt is compared with."""

import numpy as np
import pandas as pd
import pytest
import torch

from prompt_recycling.analysis.comparisons import comparisons, pooled
from prompt_recycling.analysis.rows import read_table, row, rows_of, write_rows
from prompt_recycling.errors import RecyclingError
from prompt_recycling.evaluate import (
    EncodedExamples,
    content_free_bias,
    encode_content_free,
    evaluate_calibrated,
)
from prompt_recycling.settings import EvalConfig


class BiasedScorer:
    """Label scores = (evidence for the gold label) + a bias towards 'positive' that the prompt
    adds; a content-free input (id 0) carries no evidence, so it shows the bias alone."""

    labels = ["negative", "positive"]

    def __init__(self, bias: float):
        self.bias = bias

    def encode(self, texts):
        return [[0] if t in ("", "N/A", "[MASK]") else [1 + len(t) % 2] for t in texts]

    def score_ids(self, prompt, ids):
        sign = torch.tensor([{0: 0.0, 1: -1.0, 2: 1.0}[x[0]] for x in ids])
        shift = self.bias if prompt is not None else 0.0
        return torch.stack([-sign, sign + shift], dim=1)


TEXTS = ["ab", "a", "abcd", "abc"] * 25  # even length: negative (id 1), odd: positive (id 2)
GOLD = np.array([len(t) % 2 for t in TEXTS])


def data(adapter):
    return EncodedExamples(adapter.encode(TEXTS), GOLD)


def test_a_prompt_that_moves_every_example_to_one_label_is_recovered_by_calibration():
    adapter = BiasedScorer(bias=5.0)
    free = encode_content_free(adapter, ["", "N/A", "[MASK]"])
    prompt = torch.zeros(2, 4)
    out = evaluate_calibrated(adapter, data(adapter), prompt, batch_size=7, content_free=free)
    assert out[False]["accuracy"] == 0.5  # every example 'positive'
    assert out[False]["label_shares"]["positive"] == 1.0
    assert out[True]["accuracy"] == 1.0  # the bias divided out: every example right
    # the content-free distribution is the softmax of the bias: p(positive) = sigmoid(5)
    assert out[True]["content_free"]["positive"] == pytest.approx(1 / (1 + np.exp(-5)))
    bias = content_free_bias(adapter, free, prompt)
    assert torch.allclose(bias.exp().sum(), torch.tensor(1.0))


def test_without_a_bias_calibration_changes_nothing_and_without_inputs_it_is_off():
    adapter = BiasedScorer(bias=0.0)
    free = encode_content_free(adapter, ["N/A"])
    out = evaluate_calibrated(adapter, data(adapter), None, 16, free)
    assert (out[False]["predictions"] == out[True]["predictions"]).all()
    assert list(evaluate_calibrated(adapter, data(adapter), None, 16, None)) == [False]
    with pytest.raises(RecyclingError, match="content-free"):
        encode_content_free(adapter, [])

    class NoSpecialTokens(BiasedScorer):  # "" is no token at all: it cannot be scored
        def encode(self, texts):
            return [[] if t == "" else x for t, x in zip(texts, super().encode(texts), strict=True)]

    bare = NoSpecialTokens(bias=1.0)
    assert len(encode_content_free(bare, ["", "N/A"])) == 1
    with pytest.raises(RecyclingError, match="with a token"):
        encode_content_free(bare, [""])
    with pytest.raises(RecyclingError, match="content_free"):
        EvalConfig(calibrate=True, content_free=())
    assert EvalConfig().calibrate and EvalConfig().content_free == "random-words"
    with pytest.raises(RecyclingError, match="random-words"):
        EvalConfig(content_free="N/A")  # one string: a list was meant
    with pytest.raises(RecyclingError, match="is not"):
        encode_content_free(adapter, "N/A")


def test_rows_carry_the_calibration_flag_and_old_tables_read_as_raw(tmp_path):
    adapter = BiasedScorer(bias=5.0)
    free = encode_content_free(adapter, ["N/A"])
    results = evaluate_calibrated(adapter, data(adapter), torch.zeros(1, 4), 16, free)
    rows = rows_of(results, GOLD, dataset="d", condition="zero-shot", split="test", model="m")
    write_rows(rows, tmp_path / "e.csv")
    table = read_table(tmp_path / "e.csv")
    assert table.calibrated.tolist() == [False, True]
    assert table.accuracy.tolist() == [0.5, 1.0]
    old = pd.read_csv(tmp_path / "e.csv").drop(columns=["calibrated"])
    old.iloc[:1].to_csv(tmp_path / "old.csv", index=False)
    assert read_table(tmp_path / "old.csv").calibrated.tolist() == [False]


def _result(correct: np.ndarray) -> dict:
    from prompt_recycling.evaluate import summarize

    gold = np.arange(len(correct)) % 2
    return summarize(np.where(correct, gold, 1 - gold), gold, ["negative", "positive"])


def test_a_calibrated_recycled_prompt_is_compared_with_the_calibrated_baselines():
    n = 200
    gold = np.arange(n) % 2
    base = {"dataset": "d", "split": "test", "model": "t"}
    first = lambda k: np.arange(n) < k  # noqa: E731
    rows = []
    for cal, zs, rec in ((False, 120, 100), (True, 150, 170)):
        rows.append(row(_result(first(zs)), gold, **base, condition="zero-shot", calibrated=cal))
        rows.append(
            row(
                _result(first(rec)),
                gold,
                **base,
                condition="recycled",
                source="s",
                size_relation="same-size",
                method="v2v-lin",
                vocab_size=10,
                step=5,
                seed=0,
                same_as="",
                calibrated=cal,
            )
        )
    comp = comparisons(pd.DataFrame(rows)).set_index("calibrated")
    assert comp.loc[False, "gain_zero_shot"] == pytest.approx(-0.1)  # raw vs raw zero-shot
    assert comp.loc[True, "gain_zero_shot"] == pytest.approx(0.1)  # cal vs cal
    assert (comp.method == "v2v-lin").all()  # calibration is a column, not a method name
    assert comp.loc[True, "correct"].sum() == 170
    comp = comp.reset_index()
    assert pooled(comp).calibrated.tolist() == [False]  # the paper's findings: raw only
    assert pooled(comp, calibrated=True).calibrated.tolist() == [True]
    assert len(pooled(comp, calibrated=None)) == 2


def test_random_words_are_whole_common_words_of_the_models_own_vocabulary(tiny_models):
    from transformers import AutoTokenizer

    from prompt_recycling.vocab import random_word_texts

    for kind in ("seq2seq", "causal", "encoder"):
        tok = AutoTokenizer.from_pretrained(tiny_models[kind])
        texts = random_word_texts(tok, count=5, length=4, seed=1)
        assert len(texts) == 5 and all(len(t.split()) == 4 for t in texts)
        words = {w for t in texts for w in t.split()}
        assert all(w.isalpha() and w.isascii() and len(w) >= 3 for w in words)
        assert texts == random_word_texts(tok, count=5, length=4, seed=1)  # seeded
        assert texts != random_word_texts(tok, count=5, length=4, seed=2)
        # each word is one whole-word piece of the vocabulary: it reads back as itself
        for w in words:
            assert tok.decode(tok(w, add_special_tokens=False).input_ids).strip() == w
