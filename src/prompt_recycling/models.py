"""Frozen models that score labels for a batch of texts, with an optional soft prompt.

One adapter per model kind, all with the same interface::

    adapter = load_adapter(model_dir, labels=["negative", "positive"])
    ids = adapter.encode(texts)              # token ids per text: tokenize once per job
    scores = adapter.score_ids(prompt, ids)  # (B, L), differentiable w.r.t. prompt (P, E)
    scores = adapter.scores(prompt, texts)   # the same, tokenizing on the fly

**Every condition sees the same text.** ``max_length`` is the budget of the *text* tokens
(template and special tokens included); a prompt of length P is added on top, so zero-shot,
random, tuned and recycled prompts all see exactly the same tokens of every example. A prompt
that would push the input past the model's positions is an error (:meth:`check_fits`), never a
silent cut of the text. Batches are padded to their longest member only.

Training minimises cross-entropy over these label scores (rank-classification loss) and
evaluation takes their argmax, so the two always score labels the same way. The model's own
parameters are frozen (``requires_grad=False``) and it runs in eval mode (no dropout): the
prompt is the only trained parameter.

Kinds:
- ``seq2seq`` (T5): the prompt is prepended to the encoder input; a label's score is the decoder
  log-likelihood of its verbalizer tokens (EOS included, as T5 targets). The encoder runs once
  per example and the decoder scores all labels of a batch in one call.
- ``causal`` (GPT-2, Llama/Qwen style): the prompt is prepended to the input embeddings of
  ``template.format(text=...)``, and a label's score is the log-likelihood of its verbalizer as
  the continuation (``label_prefix + label``). When every verbalizer is a single token the
  scores come from the last input position only: one hidden state per example goes through the
  LM head, never the full-vocabulary logits of the whole sequence.
- ``encoder`` (BERT/MPNet sentence encoders, no LM head): the prompt is inserted after the first
  special token; the text is mean-pooled over the non-prompt positions (so the prompt acts only
  through attention) and compared by cosine with each label's embedding (the same frozen model
  encoding the verbalizer, no prompt); ``temperature`` x cosine are the scores. No trainable head.
"""

from __future__ import annotations

import contextlib
import os
import types
from pathlib import Path

import torch
import torch.nn.functional as F

from prompt_recycling.device import autocast, pick_device, resolve_bf16
from prompt_recycling.errors import RecyclingError
from prompt_recycling.modelinfo import check_fits, usable_positions

KINDS = ("seq2seq", "causal", "encoder")
DEFAULT_TEMPLATES = {"seq2seq": "{text}", "causal": "{text}\nSentiment:", "encoder": "{text}"}


def detect_kind(config) -> str:
    """Model kind from a transformers config."""
    if getattr(config, "is_encoder_decoder", False):
        return "seq2seq"
    archs = config.architectures or []
    if any(a.endswith(("ForCausalLM", "LMHeadModel")) for a in archs):
        return "causal"
    if not archs:
        from transformers.models.auto.modeling_auto import (
            MODEL_FOR_CAUSAL_LM_MAPPING_NAMES as CAUSAL,
        )
        from transformers.models.auto.modeling_auto import (
            MODEL_FOR_MASKED_LM_MAPPING_NAMES as MASKED,
        )

        if config.model_type in CAUSAL and config.model_type not in MASKED:
            return "causal"
    return "encoder"


class ModelAdapter:
    """Common part: a frozen model, its tokenizer, the verbalizers, device and precision."""

    kind = ""

    def __init__(
        self,
        model,
        tokenizer,
        labels: list[str],
        template: str | None = None,
        max_length: int = 256,
        device: str | torch.device | None = None,
        bf16: bool = False,
    ) -> None:
        if "{text}" not in (template or "{text}"):
            raise RecyclingError(f"template {template!r} must contain '{{text}}'")
        self.device = pick_device(device) if not isinstance(device, torch.device) else device
        bf16 = resolve_bf16(bf16, self.device)  # "auto": where the device has native bf16
        self.model = model.to(self.device).eval().requires_grad_(False)
        self.tokenizer = tokenizer
        self.labels = list(labels)
        self.template = template or DEFAULT_TEMPLATES[self.kind]
        self.max_length = max_length
        self.bf16 = bf16
        if tokenizer.pad_token_id is None:  # GPT-2 style tokenizers: pad with EOS, masked anyway
            tokenizer.pad_token = tokenizer.eos_token
        self._prepare_labels()

    @property
    def embedding_table(self) -> torch.Tensor:
        """Input embeddings (V, E)."""
        return self.model.get_input_embeddings().weight

    @property
    def embed_dim(self) -> int:
        return int(self.embedding_table.shape[1])

    def _check_prompt(self, prompt: torch.Tensor | None) -> torch.Tensor | None:
        if prompt is None:
            return None
        if prompt.ndim != 2 or prompt.shape[1] != self.embed_dim:
            raise RecyclingError(
                f"prompt shape {tuple(prompt.shape)} does not fit the model: expected "
                f"(length, {self.embed_dim})"
            )
        self.check_fits(len(prompt))
        return prompt.to(self.device)

    def _embed(self, ids: torch.Tensor, prompt: torch.Tensor | None, at: int = 0):
        """Embed ids (B, T) and insert the prompt (P, E) at position ``at`` -> (B, P+T, E)."""
        emb = self.model.get_input_embeddings()(ids)
        if prompt is None:
            return emb
        p = prompt.to(emb.dtype).unsqueeze(0).expand(len(ids), -1, -1)
        return torch.cat([emb[:, :at], p, emb[:, at:]], dim=1)

    @staticmethod
    def _insert_mask(mask: torch.Tensor, n: int, at: int = 0, value: int = 1) -> torch.Tensor:
        fill = torch.full((len(mask), n), value, dtype=mask.dtype, device=mask.device)
        return torch.cat([mask[:, :at], fill, mask[:, at:]], dim=1)

    def format(self, texts: list[str]) -> list[str]:
        return [self.template.format(text=t) for t in texts]

    @property
    def positions(self) -> int | None:
        """Input positions the model can take (None: no limit, e.g. T5's relative positions)."""
        return usable_positions(self.model.config.to_dict())

    def check_fits(self, prompt_length: int) -> None:
        """Error unless a prompt of ``prompt_length`` plus ``max_length`` text tokens fits."""
        check_fits(prompt_length, self.max_length, self.positions)

    def encode(self, texts: list[str]) -> list[list[int]]:
        """Token ids of each text as the model reads it (template applied, truncated to
        ``max_length`` tokens); the prompt is inserted later and never shortens the text."""
        raise NotImplementedError

    def score_ids(self, prompt: torch.Tensor | None, ids: list[list[int]]) -> torch.Tensor:
        """Label scores (B, L) for encoded texts (:meth:`encode`) with ``prompt`` (P, E)."""
        prompt = self._check_prompt(prompt)
        with autocast(self.device, self.bf16):
            return self._scores(prompt, ids).float()

    def scores(self, prompt: torch.Tensor | None, texts: list[str]) -> torch.Tensor:
        """Label scores (B, L) for ``texts`` with ``prompt`` (P, E) or no prompt."""
        return self.score_ids(prompt, self.encode(texts))

    def _pad(self, seqs: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        """Right-pad to the longest sequence of the batch -> ids (B, T), mask (B, T)."""
        width = max(map(len, seqs))
        pad = self.tokenizer.pad_token_id
        ids = torch.tensor([s + [pad] * (width - len(s)) for s in seqs], device=self.device)
        mask = torch.tensor(
            [[1] * len(s) + [0] * (width - len(s)) for s in seqs], device=self.device
        )
        return ids, mask

    def pair_score(self, prompt: torch.Tensor | None, text: str, label: int) -> float:
        """Reference scorer: one forward pass for one (example, label) pair. Slow by design;
        used to check :meth:`scores` and as the naive baseline of the benchmarks."""
        prompt = self._check_prompt(prompt)
        with torch.inference_mode(), autocast(self.device, self.bf16):
            return float(self._pair_score(prompt, text, label))

    def _prepare_labels(self) -> None: ...

    def _scores(self, prompt, ids) -> torch.Tensor:
        raise NotImplementedError

    def _pair_score(self, prompt, text, label) -> torch.Tensor:
        raise NotImplementedError


def _token_logprobs(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """log p(target) per position: logits (..., V), targets (...) -> (...)."""
    return F.log_softmax(logits.float(), dim=-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)


# Seq2seq decoders that see positions only through relative distances (T5's relative attention
# bias), so the labels of an example can sit side by side in one decoder row (Seq2SeqAdapter)
_RELATIVE_DECODERS = ("t5", "mt5", "umt5")
# ... and those whose cross-attention is a T5Attention, for _folded_cross_attention
_T5_ATTENTION = ("t5", "mt5")


def _block_causal_mask(n_blocks: int, size: int, dtype, device) -> torch.Tensor:
    """Additive (1, 1, n·k, n·k) mask: causal within each of ``n_blocks`` blocks of ``size``
    positions, nothing across blocks."""
    pos = torch.arange(n_blocks * size, device=device)
    ok = (pos[:, None] // size == pos[None, :] // size) & (pos[:, None] >= pos[None, :])
    mask = torch.zeros(ok.shape, dtype=dtype, device=device)
    return mask.masked_fill(~ok, torch.finfo(dtype).min)[None, None]


def _folded_cross_attention(
    self, hidden_states, mask=None, key_value_states=None, position_bias=None, **kwargs
):
    """``T5Attention.forward`` for cross-attention with the K and V projections folded into the
    query and output side: softmax(q·Wk·Hᵀ)·H·Wvᵀ instead of softmax(q·(H·Wk)ᵀ)·(H·Wv), the
    same numbers in another order. Per example and layer it costs about T·(I + heads·S)·E
    multiply-adds instead of S·E·I (T decoder and S encoder positions, I = heads·d_kv): far
    fewer when a few label positions read a long input."""
    if mask is not None and not isinstance(mask, torch.Tensor):  # e.g. a flex BlockMask
        return type(self).forward(
            self, hidden_states, mask, key_value_states, position_bias, **kwargs
        )
    b, t, _ = hidden_states.shape
    enc = key_value_states  # (B, S, E)
    nh, d = self.n_heads, self.key_value_proj_dim
    wk = self.k.weight.view(nh, d, -1)  # (H, D, E)
    wv = self.v.weight.view(nh, d, -1)  # (H, D, E)
    q = self.q(hidden_states).view(b * t, nh, d).transpose(0, 1)  # (H, B·T, D)
    qk = (q @ wk).view(nh, b, t, -1).transpose(0, 1).reshape(b, nh * t, -1)  # (B, H·T, E)
    scores = (qk @ enc.transpose(1, 2)).view(b, nh, t, -1)  # (B, H, T, S): T5 does not scale
    if position_bias is not None:
        scores = scores + position_bias
    if mask is not None:  # (B, 1, T, S), boolean (sdpa) or additive (eager)
        if mask.dtype == torch.bool:
            scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
        else:
            scores = scores + mask
    probs = F.softmax(scores.float(), dim=-1).type_as(scores)
    ctx = (probs.view(b, nh * t, -1) @ enc).view(b, nh, t, -1)  # (B, H, T, E)
    ctx = ctx.transpose(0, 1).reshape(nh, b * t, -1)  # (H, B·T, E)
    out = (ctx @ wv.transpose(1, 2)).transpose(0, 1).reshape(b, t, nh * d)  # (B, T, H·D)
    return self.o(out), position_bias, None


@contextlib.contextmanager
def _folding_cross_attention(decoder):
    """Run the decoder's cross-attention as :func:`_folded_cross_attention` inside the block.
    Relies on transformers' T5 internals (5.x): ``decoder.block[i].layer[1].EncDecAttention``
    is a ``T5Attention`` (``q``, ``k``, ``v``, ``o``, ``n_heads``, ``key_value_proj_dim``) called
    as (hidden_states, mask=, key_value_states=, position_bias=, cache=) and returning
    (output, position_bias, weights)."""
    modules = [block.layer[1].EncDecAttention for block in decoder.block]
    before = [module.__dict__.get("forward") for module in modules]  # a hook's wrapper, if any
    for module in modules:
        module.forward = types.MethodType(_folded_cross_attention, module)
    try:
        yield
    finally:
        for module, forward in zip(modules, before, strict=True):
            if forward is None:
                del module.forward  # back to the class's forward
            else:
                module.forward = forward


class Seq2SeqAdapter(ModelAdapter):
    """T5-style scorer: one encoder pass per example, one decoder call for all labels.

    The L labels of an example sit side by side in ONE decoder row of L·K positions, each label
    causal within its own block (a custom 4D decoder mask): the decoder reads each example's
    encoder states once, not once per label. This is exact for T5 because its decoder sees
    positions only through relative distances, the same within a block as in a row of its own.
    The cross-attention then runs folded (:func:`_folded_cross_attention`), so the encoder
    states are never projected to keys and values at all. Other seq2seq models get one decoder
    row per (example, label) pair.
    """

    kind = "seq2seq"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        model_type = self.model.config.model_type
        self.side_by_side = model_type in _RELATIVE_DECODERS
        self.fold_cross_attention = model_type in _T5_ATTENTION

    def _prepare_labels(self):
        ids = [self.tokenizer(label).input_ids for label in self.labels]  # ends with EOS
        k = max(map(len, ids))
        pad = self.tokenizer.pad_token_id
        self.label_ids = torch.tensor([x + [pad] * (k - len(x)) for x in ids], device=self.device)
        self.label_mask = torch.tensor(
            [[1] * len(x) + [0] * (k - len(x)) for x in ids], device=self.device
        )

    def encode(self, texts):
        # T5 targets end with EOS and so do its inputs: truncation keeps the EOS
        return self.tokenizer(
            self.format(texts), truncation=True, max_length=self.max_length
        ).input_ids

    def _encode(self, prompt, ids):
        ids, mask = self._pad(ids)  # (B, T)
        emb = self._embed(ids, prompt)  # (B, P+T, E)
        if prompt is not None:
            mask = self._insert_mask(mask, len(prompt))
        hidden = self.model.get_encoder()(inputs_embeds=emb, attention_mask=mask).last_hidden_state
        return hidden, mask

    def _decode(self, hidden, mask, targets, inputs, decoder_mask=None):
        """log p of ``targets`` (N, T) after decoder ``inputs`` (N, T) given encoder states
        (N, S, E) -> (N, T); ``decoder_mask`` (N, 1, T, T) replaces the causal mask if given."""
        from transformers.modeling_outputs import BaseModelOutput

        out = self.model(
            encoder_outputs=BaseModelOutput(last_hidden_state=hidden),
            attention_mask=mask,
            decoder_input_ids=inputs,
            decoder_attention_mask=decoder_mask,
            use_cache=False,
        )
        return _token_logprobs(out.logits, targets)

    def _cross_attention(self, positions: int, sources: int):
        """Folded cross-attention where it is cheaper for ``positions`` decoder positions per
        row against ``sources`` encoder positions; the model's own otherwise."""
        cfg = self.model.config
        inner = cfg.num_heads * cfg.d_kv
        # multiply-adds per row and layer over E: folded vs K/V projections
        cheaper = positions * (inner + cfg.num_heads * sources) < sources * inner
        if self.fold_cross_attention and cheaper:
            return _folding_cross_attention(self.model.get_decoder())
        return contextlib.nullcontext()

    def _scores(self, prompt, ids):
        hidden, mask = self._encode(prompt, ids)  # (B, S, E), (B, S): encoder once per example
        b, (n_labels, k) = len(ids), self.label_ids.shape
        inputs = self.model._shift_right(self.label_ids)  # (L, K): start token + label[:-1]
        if self.side_by_side:  # one row per example: (B, L·K) positions
            blocks = _block_causal_mask(n_labels, k, hidden.dtype, self.device)
            with self._cross_attention(n_labels * k, hidden.shape[1]):
                logp = self._decode(
                    hidden,
                    mask,
                    self.label_ids.view(1, -1).expand(b, -1),
                    inputs.view(1, -1).expand(b, -1),
                    blocks.expand(b, -1, -1, -1),  # (B, 1, L·K, L·K)
                )
        else:  # one row per (example, label) pair: (B·L, K) positions
            logp = self._decode(
                hidden.repeat_interleave(n_labels, 0),
                mask.repeat_interleave(n_labels, 0),
                self.label_ids.repeat(b, 1),
                inputs.repeat(b, 1),
            )
        return (logp.view(b, n_labels, k) * self.label_mask).sum(-1)  # (B, L)

    def _pair_score(self, prompt, text, label):
        """The model's own decoder on one label, no side-by-side layout, no folding."""
        hidden, mask = self._encode(prompt, self.encode([text]))
        target = self.label_ids[label : label + 1, : int(self.label_mask[label].sum())]
        return self._decode(hidden, mask, target, self.model._shift_right(target)).sum()


class CausalAdapter(ModelAdapter):
    kind = "causal"

    def __init__(self, *args, label_prefix: str = " ", **kwargs):
        self.label_prefix = label_prefix
        super().__init__(*args, **kwargs)

    def _prepare_labels(self):
        tok = self.tokenizer
        self.label_tokens = [
            tok(self.label_prefix + label, add_special_tokens=False).input_ids
            for label in self.labels
        ]
        if any(not t for t in self.label_tokens):
            raise RecyclingError(f"a label of {self.labels} tokenizes to nothing")
        self.single_token = all(len(t) == 1 for t in self.label_tokens)
        head, _, tail = self.template.partition("{text}")
        self._head = tok(head, add_special_tokens=False).input_ids if head else []
        self._tail = tok(tail, add_special_tokens=False).input_ids if tail else []
        bos = tok.bos_token_id
        # Llama-style tokenizers prepend BOS; GPT-2's does not. Follow the tokenizer.
        self._bos = [bos] if bos is not None and tok("a").input_ids[:1] == [bos] else []

    def encode(self, texts):
        """BOS + head + text (truncated so the whole fits max_length) + tail, per text."""
        budget = max(self.max_length - len(self._bos) - len(self._head) - len(self._tail), 1)
        bodies = self.tokenizer(list(texts), add_special_tokens=False).input_ids
        return [self._bos + self._head + body[:budget] + self._tail for body in bodies]

    def _hidden(self, prompt, seqs: list[list[int]]):
        """Right-padded sequences behind the prompt -> last hidden states (N, P+T, H), mask."""
        ids, mask = self._pad(seqs)
        emb = self._embed(ids, prompt)
        if prompt is not None:
            mask = self._insert_mask(mask, len(prompt))
        base = self.model.base_model  # the transformer without the LM head
        hidden = base(inputs_embeds=emb, attention_mask=mask).last_hidden_state
        return hidden, mask

    def _continuation_logprobs(self, prompt, prefixes, continuations):
        """Sum of log p(continuation | prompt, prefix) for each pair of lists -> (N,)."""
        p = 0 if prompt is None else len(prompt)
        seqs = [a + b for a, b in zip(prefixes, continuations, strict=True)]
        hidden, _ = self._hidden(prompt, seqs)
        k = max(map(len, continuations))
        # position of the hidden state that predicts continuation token j of row i
        pos = torch.tensor(
            [
                [p + len(a) - 1 + min(j, len(b) - 1) for j in range(k)]
                for a, b in zip(prefixes, continuations, strict=True)
            ],
            device=self.device,
        )
        targets = torch.tensor(
            [b + [b[-1]] * (k - len(b)) for b in continuations], device=self.device
        )
        valid = torch.tensor(
            [[1.0] * len(b) + [0.0] * (k - len(b)) for b in continuations], device=self.device
        )
        h = hidden.gather(1, pos.unsqueeze(-1).expand(-1, -1, hidden.shape[-1]))  # (N, K, H)
        logits = self.model.get_output_embeddings()(h)  # (N, K, V): K positions only
        return (_token_logprobs(logits, targets) * valid).sum(-1)

    def _scores(self, prompt, prefixes):
        b, n_labels = len(prefixes), len(self.labels)
        if self.single_token:
            # one forward per example; the last input position predicts every label
            hidden, mask = self._hidden(prompt, prefixes)
            last = mask.sum(1) - 1  # (B,) index of the last real position
            h = hidden[torch.arange(b, device=self.device), last]  # (B, H)
            logits = self.model.get_output_embeddings()(h)  # (B, V)
            ids = torch.tensor([t[0] for t in self.label_tokens], device=self.device)
            return F.log_softmax(logits.float(), dim=-1)[:, ids]  # (B, L)
        rows = [(pre, lab) for pre in prefixes for lab in self.label_tokens]
        logp = self._continuation_logprobs(prompt, *zip(*rows, strict=True))
        return logp.view(b, n_labels)

    def general_scores(self, prompt, texts) -> torch.Tensor:
        """The multi-token continuation scorer, also for single-token labels (for checks)."""
        prompt = self._check_prompt(prompt)
        prefixes = self.encode(texts)
        rows = [(pre, lab) for pre in prefixes for lab in self.label_tokens]
        with autocast(self.device, self.bf16):
            logp = self._continuation_logprobs(prompt, *zip(*rows, strict=True))
        return logp.float().view(len(texts), len(self.labels))

    def _pair_score(self, prompt, text, label):
        seq = self.encode([text])[0] + self.label_tokens[label]
        emb = self._embed(torch.tensor([seq], device=self.device), prompt)
        logits = self.model(inputs_embeds=emb).logits[0]  # (P+T, V): the plain, full way
        n = len(self.label_tokens[label])
        p = 0 if prompt is None else len(prompt)
        start = p + len(seq) - n
        targets = torch.tensor(self.label_tokens[label], device=self.device)
        return _token_logprobs(logits[start - 1 : start - 1 + n], targets).sum()


class EncoderAdapter(ModelAdapter):
    kind = "encoder"

    def __init__(self, *args, temperature: float = 20.0, **kwargs):
        self.temperature = temperature
        super().__init__(*args, **kwargs)

    def encode(self, texts):
        return self._tokenize(self.format(texts))

    def _tokenize(self, texts):
        """[CLS] text [SEP] ids, at most ``max_length`` of them: the prompt comes on top."""
        return self.tokenizer(list(texts), truncation=True, max_length=self.max_length).input_ids

    def _pooled(self, prompt, ids):
        """Mean of the last hidden states over the non-prompt, non-pad positions -> (B, H)."""
        ids, mask = self._pad(ids)  # (B, T)
        pool = mask
        emb = self._embed(ids, prompt, at=1)  # after the first special token: (B, P+T, E)
        if prompt is not None:
            mask = self._insert_mask(mask, len(prompt), at=1)
            pool = self._insert_mask(pool, len(prompt), at=1, value=0)
        hidden = self.model(inputs_embeds=emb, attention_mask=mask).last_hidden_state
        pool = pool.unsqueeze(-1).to(hidden.dtype)  # (B, P+T, 1)
        return (hidden * pool).sum(1) / pool.sum(1).clamp(min=1e-9)

    def _prepare_labels(self):
        with torch.no_grad(), autocast(self.device, self.bf16):
            emb = self._pooled(None, self._tokenize(self.labels))
        self.label_embeddings = F.normalize(emb.float(), dim=-1)  # (L, H)

    def _scores(self, prompt, ids):
        pooled = F.normalize(self._pooled(prompt, ids).float(), dim=-1)
        return self.temperature * pooled @ self.label_embeddings.T  # (B, L)

    def _pair_score(self, prompt, text, label):
        pooled = F.normalize(self._pooled(prompt, self.encode([text])).float(), dim=-1)[0]
        label_ids = self._tokenize([self.labels[label]])
        label_emb = F.normalize(self._pooled(None, label_ids).float(), dim=-1)[0]
        return self.temperature * pooled @ label_emb


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
