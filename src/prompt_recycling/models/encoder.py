"""``encoder`` (BERT/MPNet sentence encoders, no LM head) scoring: the prompt is inserted after the
first special token; the text is mean-pooled over the non-prompt positions (so the prompt acts
only through attention) and compared by cosine with each label's embedding (the same frozen model
encoding the verbalizer, no prompt); ``temperature`` x cosine are the scores. No trainable head.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from prompt_recycling.device import autocast
from prompt_recycling.models.base import ModelAdapter


class EncoderAdapter(ModelAdapter):
    architecture = "encoder"

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
