"""tuning.loss: lm is a language model's own teacher-forced loss on the gold verbalizer."""

import pytest
import torch

from prompt_recycling.errors import RecyclingError
from prompt_recycling.models import load_adapter
from prompt_recycling.settings import TuneConfig
from prompt_recycling.tune import training_loss, tune_prompt

LABELS = ["negative", "positive"]


def transformers_loss(kind, adapter, prompt, texts, gold) -> torch.Tensor:
    """The model's own loss (``labels=``) with the prompt before the input: the verbalizer
    (with EOS) as the seq2seq target; for causal models, appended to the input, every other
    position ignored (-100)."""
    model, emb = adapter.model, adapter.model.get_input_embeddings()
    rows, targets = [], []
    for ids, g in zip(adapter.encode(texts), gold.tolist(), strict=True):
        if kind == "seq2seq":
            rows.append(ids)
            targets.append(adapter.tokenizer(LABELS[g]).input_ids)
        else:
            cont = adapter.label_tokens[g]
            rows.append(ids + cont)
            targets.append([-100] * (len(prompt) + len(ids)) + cont)
    width = max(map(len, rows))
    pad = adapter.tokenizer.pad_token_id or 0
    ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows])
    mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows])
    embeds = torch.cat([prompt.expand(len(rows), -1, -1), emb(ids)], 1)
    mask = torch.cat([torch.ones(len(rows), len(prompt), dtype=mask.dtype), mask], 1)
    k = max(map(len, targets))
    if kind == "causal":  # right-padded inputs: the labels pad with the ignored index
        k = embeds.shape[1]
    labels = torch.tensor([t + [-100] * (k - len(t)) for t in targets])
    return model(inputs_embeds=embeds, attention_mask=mask, labels=labels).loss


@pytest.mark.parametrize("kind", ["seq2seq", "causal"])
def test_lm_loss_equals_the_models_own_loss(kind, tiny_models, tiny_texts):
    adapter = load_adapter(tiny_models[kind], LABELS, architecture=kind)
    prompt = torch.randn(3, adapter.embed_dim, generator=torch.Generator().manual_seed(0))
    batch = tiny_texts[:8]
    texts, gold = [e.text for e in batch], torch.tensor([e.label for e in batch])
    scores = adapter.score_ids(prompt, adapter.encode(texts))
    ours = training_loss(scores, gold, "lm", adapter.label_token_counts())
    with torch.no_grad():
        theirs = transformers_loss(kind, adapter, prompt, texts, gold)
    torch.testing.assert_close(ours.detach(), theirs, rtol=1e-5, atol=1e-5)
    rank = training_loss(scores, gold, "rank")
    assert not torch.isclose(ours, rank)  # a different objective from the 2-way one


def test_lm_loss_is_refused_for_encoders(tiny_models, tiny_texts, tmp_path):
    adapter = load_adapter(tiny_models["encoder"], LABELS)
    config = TuneConfig(prompt_length=2, steps=[1], loss="lm")
    with pytest.raises(RecyclingError, match="tuning.loss: lm needs a language model"):
        tune_prompt(adapter, tiny_texts, config, tmp_path / "p", progress=False)
