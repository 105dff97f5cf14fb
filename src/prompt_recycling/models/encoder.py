"""``encoder`` (BERT/MPNet sentence encoders, no LM head) scoring: the soft prompt is spliced into
the input (where: ``placement``); the text is mean-pooled over the non-prompt positions (so the
prompt acts only through attention) and compared by cosine with each label's embedding (the same
frozen model encoding the verbalizer, no prompt); ``temperature`` x cosine are the scores. No
trainable head.

Placements (``[CLS] text [SEP]`` is the zero-shot input, ``P`` the prompt), measured by
``bench/placement.py`` on the default MiniLMs (``bench/results/placement.md``):

- ``after-cls-fixed`` (default): ``[CLS] P text [SEP]`` with explicit position ids: the text
  keeps its zero-shot positions and every prompt token shares [CLS]'s position. An untrained
  prompt scores within ~2 points of zero-shot (+0.3 / +2.4) and tuning gains hold. Needs a
  model whose forward takes ``position_ids``; exact for absolute positions (BERT) only: MPNet's
  relative attention bias still sees the text moved (use ``after-text`` there).
- ``after-cls``: ``[CLS] P text [SEP]`` with positions in sequence order, so every text token
  sits P positions later than in zero-shot: the earlier default. An untrained prompt
  costs 4.5-6 points before it carries anything.
- ``after-text``: ``[CLS] text [SEP] P``. Every text token keeps its zero-shot position (and
  order: exact for MPNet too); the prompt takes the next P positions. For BERT this equals
  ``after-cls`` with the prompt given the positions after the text. Untrained: -2 points.
- ``before-sep``: ``[CLS] text P [SEP]``: only [SEP] moves. Untrained: -3 to -4 points.

With ``prompt_masked`` set (:meth:`masked_prompt`), the prompt positions get attention mask 0:
the prompt is there but nothing attends to it (the null-prompt control). With ``after-text``
and ``after-cls-fixed`` that is exactly zero-shot; with ``after-cls`` it isolates the cost of
moving the text.
"""

from __future__ import annotations

from contextlib import contextmanager

import torch
import torch.nn.functional as F

from prompt_recycling.device import autocast
from prompt_recycling.errors import RecyclingError
from prompt_recycling.models.base import ModelAdapter
from prompt_recycling.settings import PLACEMENTS  # the schema's models.<name>.placement enum

DEFAULT_PLACEMENT = "after-cls-fixed"  # chosen by bench/placement.py: bench/results/placement.md
# position-id offset of models that count positions from padding_idx + 1 (RoBERTa, MPNet)
_OFFSET_FROM_PADDING = ("roberta", "xlm-roberta", "camembert", "mpnet")


def splice(x: torch.Tensor, insert: torch.Tensor, at: torch.Tensor) -> torch.Tensor:
    """Insert ``insert[b]`` before ``x[b, at[b]]`` for every row b.

    x (B, T, ...), insert (B, P, ...), at (B,) long in [0, T] -> (B, T+P, ...).
    """
    (b, t), p = x.shape[:2], insert.shape[1]
    j = torch.arange(t + p, device=x.device)[None]  # (1, T+P) output positions
    at = at.to(x.device)[:, None]  # (B, 1)
    # index into cat([x, insert]): x before `at`, then the inserted rows, then x's rest
    src = torch.where(j < at, j, torch.where(j < at + p, t + j - at, j - p))  # (B, T+P)
    src = src.view(b, t + p, *[1] * (x.ndim - 2)).expand(b, t + p, *x.shape[2:])
    return torch.cat([x, insert.to(x.dtype)], dim=1).gather(1, src)


class EncoderAdapter(ModelAdapter):
    architecture = "encoder"

    def __init__(
        self,
        *args,
        temperature: float = 20.0,
        placement: str | None = None,
        prompt_masked: bool = False,
        **kwargs,
    ):
        self.temperature = temperature
        self.placement = placement or DEFAULT_PLACEMENT
        if self.placement not in PLACEMENTS:
            raise RecyclingError(
                f"encoder placement {self.placement!r}: expected one of {list(PLACEMENTS)}"
            )
        self.prompt_masked = prompt_masked
        super().__init__(*args, **kwargs)
        if self.placement == "after-cls-fixed":
            self._check_position_ids()

    def _check_position_ids(self) -> None:
        import inspect

        if "position_ids" not in inspect.signature(self.model.forward).parameters:
            raise RecyclingError(
                f"placement 'after-cls-fixed' (the default) needs a model that takes "
                f"position_ids; {type(self.model).__name__} does not: set the model's "
                f"placement to 'after-text'"
            )

    @contextmanager
    def masked_prompt(self):
        """Within the block, prompt positions get attention mask 0 (the null-prompt control):
        ``with adapter.masked_prompt(): adapter.score_ids(torch.zeros(P, E), ids)``."""
        before, self.prompt_masked = self.prompt_masked, True
        try:
            yield self
        finally:
            self.prompt_masked = before

    def encode(self, texts):
        return self._tokenize(self.format(texts))

    def _tokenize(self, texts):
        """[CLS] text [SEP] ids, at most ``max_length`` of them: the prompt comes on top."""
        return self.tokenizer(list(texts), truncation=True, max_length=self.max_length).input_ids

    def _text_positions(self, width: int) -> torch.Tensor:
        """The position ids a model gives an unprompted padded batch of ``width`` -> (width,)."""
        offset = 0
        if self.model.config.model_type in _OFFSET_FROM_PADDING:
            offset = self.model.config.pad_token_id + 1
        return torch.arange(width, device=self.device) + offset

    def _inputs(self, prompt, ids):
        """Model inputs with the prompt spliced in -> embeddings (B, P+T, E), attention mask
        and pooling mask (B, P+T), position ids (B, P+T) or None (the model's own)."""
        ids, mask = self._pad(ids)  # (B, T)
        emb = self.model.get_input_embeddings()(ids)  # (B, T, E)
        if prompt is None:
            return emb, mask, mask, None
        b, p = len(ids), len(prompt)
        lengths = mask.sum(1)  # (B,) [CLS] text [SEP]
        at = {
            "after-cls": torch.ones_like(lengths),
            "after-cls-fixed": torch.ones_like(lengths),
            "after-text": lengths,
            "before-sep": lengths - 1,
        }[self.placement]
        emb = splice(emb, prompt.unsqueeze(0).expand(b, -1, -1), at)
        seen = mask.new_full((b, p), 0 if self.prompt_masked else 1)
        pool = splice(mask, torch.zeros_like(seen), at)
        mask = splice(mask, seen, at)
        positions = None
        if self.placement == "after-cls-fixed":  # text as in zero-shot, prompt at [CLS]'s
            text = self._text_positions(ids.shape[1]).expand(b, -1)  # (B, T)
            positions = splice(text, text[:, :1].expand(b, p), at)
        return emb, mask, pool, positions

    def _pooled(self, prompt, ids):
        """Mean of the last hidden states over the non-prompt, non-pad positions -> (B, H)."""
        emb, mask, pool, positions = self._inputs(prompt, ids)
        extra = {} if positions is None else {"position_ids": positions}
        hidden = self.model(inputs_embeds=emb, attention_mask=mask, **extra).last_hidden_state
        pool = pool.unsqueeze(-1).to(hidden.dtype)  # (B, P+T, 1)
        return (hidden * pool).sum(1) / pool.sum(1).clamp(min=1e-9)

    def _prepare_labels(self):
        ids = self._tokenize(self.labels)
        self._check_label_ids(ids)
        with torch.no_grad(), autocast(self.device, self.bf16):
            emb = self._pooled(None, ids)
        self.label_embeddings = F.normalize(emb.float(), dim=-1)  # (L, H)

    def _scores(self, prompt, ids):
        pooled = F.normalize(self._pooled(prompt, ids).float(), dim=-1)
        return self.temperature * pooled @ self.label_embeddings.T  # (B, L)

    def _pair_score(self, prompt, text, label):
        pooled = F.normalize(self._pooled(prompt, self.encode([text])).float(), dim=-1)[0]
        label_ids = self._tokenize([self.labels[label]])
        label_emb = F.normalize(self._pooled(None, label_ids).float(), dim=-1)[0]
        return self.temperature * pooled @ label_emb
