"""Frozen models that score labels for a batch of texts, with an optional soft prompt.

One adapter per architecture, all with the same interface::

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
from prompt_recycling.models.base import DEFAULT_TEMPLATES, ModelAdapter, detect_architecture
from prompt_recycling.models.causal import CausalAdapter
from prompt_recycling.models.encoder import EncoderAdapter
from prompt_recycling.models.seq2seq import Seq2SeqAdapter, folding_cross_attention
from prompt_recycling.settings import ARCHITECTURES, EvalConfig

__all__ = [
    "ADAPTERS",
    "DEFAULT_TEMPLATES",
    "ARCHITECTURES",
    "CausalAdapter",
    "EncoderAdapter",
    "ModelAdapter",
    "Seq2SeqAdapter",
    "folding_cross_attention",
    "detect_architecture",
    "load_adapter",
]

ADAPTERS = {cls.architecture: cls for cls in (Seq2SeqAdapter, CausalAdapter, EncoderAdapter)}


def auto_class(architecture: str):
    """The transformers class that loads a model of this architecture."""
    from transformers import AutoModel, AutoModelForCausalLM, AutoModelForSeq2SeqLM

    return {"seq2seq": AutoModelForSeq2SeqLM, "causal": AutoModelForCausalLM}.get(
        architecture, AutoModel
    )


def load_adapter(
    model: str | os.PathLike,
    labels: list[str],
    architecture: str | None = None,
    template: str | None = None,
    max_length: int = EvalConfig.max_length,
    device: str | None = None,
    bf16: bool | str = False,
    **options,
) -> ModelAdapter:
    """Load a frozen model as a label-scoring adapter (``architecture`` detected if not given).

    ``options``: the adapter's own settings, e.g. ``temperature`` and ``placement`` (encoders).
    """
    from transformers import AutoConfig, AutoTokenizer

    from prompt_recycling.embeddings import resolve_model_dir

    model_dir = resolve_model_dir(model)
    config = AutoConfig.from_pretrained(model_dir)
    architecture = architecture or detect_architecture(config)
    if architecture not in ADAPTERS:
        raise RecyclingError(
            f"unknown architecture {architecture!r}; expected one of {ARCHITECTURES}"
        )
    placement = options.pop("placement", None)  # None: the encoder's default
    if placement is not None:
        if architecture != "encoder":
            raise RecyclingError(
                f"placement {placement!r} applies to encoder models only; "
                f"{architecture} models put the prompt first"
            )
        options["placement"] = placement
    net = auto_class(architecture).from_pretrained(Path(model_dir))
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    return ADAPTERS[architecture](
        net,
        tokenizer,
        labels,
        template=template,
        max_length=max_length,
        device=device,
        bf16=bf16,
        **options,
    )
