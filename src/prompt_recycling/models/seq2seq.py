"""``seq2seq`` (T5) scoring: the prompt is prepended to the encoder input; a label's score is the
decoder log-likelihood of its verbalizer tokens (EOS included, as T5 targets). The encoder runs
once per example and the decoder scores all labels of a batch in one call.

The labels of an example sit side by side in one decoder row, and T5's cross-attention can run
folded (:func:`_folded_cross_attention`): the helpers for both live here, next to the adapter
that relies on T5's internals for them.
"""

from __future__ import annotations

import contextlib
import types

import torch
import torch.nn.functional as F

from prompt_recycling.models.base import ModelAdapter, token_logprobs

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
def folding_cross_attention(decoder):
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

    architecture = "seq2seq"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        model_type = self.model.config.model_type
        self.side_by_side = model_type in _RELATIVE_DECODERS
        self.fold_cross_attention = model_type in _T5_ATTENTION

    def _prepare_labels(self):
        ids = [self.tokenizer(label).input_ids for label in self.labels]  # ends with EOS
        self._check_label_ids(ids)
        k = max(map(len, ids))
        pad = self.tokenizer.pad_token_id
        self.label_ids = torch.tensor([x + [pad] * (k - len(x)) for x in ids], device=self.device)
        self.label_mask = torch.tensor(
            [[1] * len(x) + [0] * (k - len(x)) for x in ids], device=self.device
        )

    def label_token_counts(self):
        return self.label_mask.sum(1)

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
        return token_logprobs(out.logits, targets)

    def _cross_attention(self, positions: int, sources: int):
        """Folded cross-attention where it is cheaper for ``positions`` decoder positions per
        row against ``sources`` encoder positions; the model's own otherwise."""
        cfg = self.model.config
        inner = cfg.num_heads * cfg.d_kv
        # multiply-adds per row and layer over E: folded vs K/V projections
        cheaper = positions * (inner + cfg.num_heads * sources) < sources * inner
        if self.fold_cross_attention and cheaper:
            return folding_cross_attention(self.model.get_decoder())
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
