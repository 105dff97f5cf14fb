"""``causal`` (GPT-2, Llama/Qwen style) scoring: the prompt is prepended to the input embeddings of
``template.format(text=...)``, and a label's score is the log-likelihood of its verbalizer as the
continuation (``label_prefix + label``). When every verbalizer is a single token the scores come
from the last input position only: one hidden state per example goes through the LM head, never
the full-vocabulary logits of the whole sequence.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from prompt_recycling.device import autocast
from prompt_recycling.models.base import ModelAdapter, token_logprobs


class CausalAdapter(ModelAdapter):
    architecture = "causal"

    def __init__(self, *args, label_prefix: str = " ", **kwargs):
        self.label_prefix = label_prefix
        super().__init__(*args, **kwargs)

    def _prepare_labels(self):
        tok = self.tokenizer
        self.label_tokens = [
            tok(self.label_prefix + label, add_special_tokens=False).input_ids
            for label in self.labels
        ]
        self._check_label_ids(self.label_tokens)
        self.single_token = all(len(t) == 1 for t in self.label_tokens)
        head, _, tail = self.template.partition("{text}")
        self._head = tok(head, add_special_tokens=False).input_ids if head else []
        self._tail = tok(tail, add_special_tokens=False).input_ids if tail else []
        bos = tok.bos_token_id
        # Llama-style tokenizers prepend BOS; GPT-2's does not. Follow the tokenizer.
        self._bos = [bos] if bos is not None and tok("a").input_ids[:1] == [bos] else []

    def label_token_counts(self):
        return torch.tensor([len(t) for t in self.label_tokens], device=self.device)

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
        return (token_logprobs(logits, targets) * valid).sum(-1)

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
        return token_logprobs(logits[start - 1 : start - 1 + n], targets).sum()
