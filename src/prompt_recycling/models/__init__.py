"""Frozen models that score labels for a batch of texts, with an optional soft prompt.

One adapter per model kind, all with the same interface::

    adapter = load_adapter(model_dir, labels=["negative", "positive"])
    ids = adapter.encode(texts)              # token ids per text: tokenize once per job
    scores = adapter.score_ids(prompt, ids)  # (B, L), differentiable w.r.t. prompt (P, E)
    scores = adapter.scores(prompt, texts)   # the same, tokenizing on the fly

Every condition sees the same text tokens, with the prompt on top of them (see
:mod:`prompt_recycling.models.base`). Training minimises cross-entropy over these label scores
(rank-classification loss) and evaluation takes their argmax, so the two always score labels
the same way.

Kinds, one module each:
- ``seq2seq`` (T5, :mod:`~prompt_recycling.models.seq2seq`): decoder log-likelihood of each
  verbalizer after the prompted encoder input, all labels of an example in one decoder row.
- ``causal`` (GPT-2, Llama/Qwen style, :mod:`~prompt_recycling.models.causal`): log-likelihood
  of each verbalizer as the continuation of the prompted text.
- ``encoder`` (BERT/MPNet sentence encoders, :mod:`~prompt_recycling.models.encoder`): cosine
  of the mean-pooled prompted text with each label's embedding, times a temperature.
"""

from __future__ import annotations

import os
from pathlib import Path

from prompt_recycling.errors import RecyclingError
from prompt_recycling.models.base import DEFAULT_TEMPLATES, KINDS, ModelAdapter, detect_kind
from prompt_recycling.models.causal import CausalAdapter
from prompt_recycling.models.encoder import EncoderAdapter
from prompt_recycling.models.seq2seq import Seq2SeqAdapter, _folding_cross_attention

__all__ = [
    "ADAPTERS",
    "DEFAULT_TEMPLATES",
    "KINDS",
    "CausalAdapter",
    "EncoderAdapter",
    "ModelAdapter",
    "Seq2SeqAdapter",
    "_folding_cross_attention",
    "detect_kind",
    "load_adapter",
]

ADAPTERS = {cls.kind: cls for cls in (Seq2SeqAdapter, CausalAdapter, EncoderAdapter)}


def load_adapter(
    model: str | os.PathLike,
    labels: list[str],
    kind: str | None = None,
    template: str | None = None,
    max_length: int = 256,
    device: str | None = None,
    bf16: bool | str = False,
    **kind_options,
) -> ModelAdapter:
    """Load a frozen model as a label-scoring adapter; ``kind`` is detected when not given."""
    from transformers import (
        AutoConfig,
        AutoModel,
        AutoModelForCausalLM,
        AutoModelForSeq2SeqLM,
        AutoTokenizer,
    )

    from prompt_recycling.embeddings import resolve_model_dir

    model_dir = resolve_model_dir(model)
    config = AutoConfig.from_pretrained(model_dir)
    kind = kind or detect_kind(config)
    if kind not in ADAPTERS:
        raise RecyclingError(f"unknown model kind {kind!r}; expected one of {KINDS}")
    loader = {"seq2seq": AutoModelForSeq2SeqLM, "causal": AutoModelForCausalLM}.get(kind, AutoModel)
    net = loader.from_pretrained(Path(model_dir))
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    return ADAPTERS[kind](
        net,
        tokenizer,
        labels,
        template=template,
        max_length=max_length,
        device=device,
        bf16=bf16,
        **kind_options,
    )
