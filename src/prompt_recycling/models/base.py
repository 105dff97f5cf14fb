"""The part every architecture shares: a frozen model, its tokenizer, the verbalizers, device and
precision, and the prompt checks and embedding helpers the architectures build on.

**Every condition sees the same text.** ``max_length`` is the budget of the *text* tokens
(template and special tokens included); a prompt of length P is added on top, so zero-shot,
random, tuned and recycled prompts all see exactly the same tokens of every example. A prompt
that would push the input past the model's positions is an error (:meth:`check_fits`), never a
silent cut of the text. Batches are padded to their longest member only.

The model's own parameters are frozen (``requires_grad=False``) and it runs in eval mode (no
dropout): the prompt is the only trained parameter.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from prompt_recycling.device import autocast, pick_device, resolve_bf16
from prompt_recycling.errors import RecyclingError
from prompt_recycling.modelinfo import check_fits, usable_positions

DEFAULT_TEMPLATES = {"seq2seq": "{text}", "causal": "{text}\nSentiment:", "encoder": "{text}"}


def detect_architecture(config) -> str:
    """Architecture from a transformers config."""
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
    """Common part: a frozen model, its tokenizer, the verbalizers, device and precision.

    ``bf16``: true, false, ``"auto"`` (bf16 where the device computes it natively) or
    ``"checked"``: where bf16 is native, evaluation screens in bf16 and decides in fp32
    (:func:`prompt_recycling.evaluate.score`); ``checked`` then holds true."""

    architecture = ""

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
        # "checked": bf16 screen, fp32 decisions (evaluate.score), where bf16 is native
        checked = bf16 == "checked"
        bf16 = resolve_bf16("auto" if checked else bf16, self.device)  # "auto": where native
        self.checked = checked and bf16
        self.model = model.to(self.device).eval().requires_grad_(False)
        self.tokenizer = tokenizer
        self.labels = list(labels)
        self.template = template or DEFAULT_TEMPLATES[self.architecture]
        self.max_length = max_length
        self.bf16 = bf16 and not self.checked  # checked: the labels as fp32 reads them
        if tokenizer.pad_token_id is None:  # GPT-2 style tokenizers: pad with EOS, masked anyway
            tokenizer.pad_token = tokenizer.eos_token
        self._prepare_labels()
        self.bf16 = bf16

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

    def label_token_counts(self) -> torch.Tensor | None:
        """Tokens of each label's verbalizer as scored (L,), whose log-likelihoods sum to the
        label's score; None where a score is no log-likelihood (encoders)."""
        return None

    def _prepare_labels(self) -> None: ...

    def _check_label_ids(self, ids: list[list[int]]) -> None:
        """Refuse verbalizers the model cannot tell apart, given each label's token ids as the
        adapter scores them: two labels with the same ids (``Positive`` and ``positive`` on an
        uncased tokenizer) or a label of nothing but the unknown token (two emoji outside the
        vocabulary): their scores would differ by float noise only."""
        tok = self.tokenizer
        unk = tok.unk_token_id
        special = set(tok.all_special_ids) - {unk}  # [CLS], [SEP], EOS: not the label's own
        seen: dict[tuple[int, ...], str] = {}
        for label, seq in zip(self.labels, ids, strict=True):
            # the label's own pieces: no special tokens, no bare word boundary (T5's "▁")
            content = [i for i in seq if i not in special and (i == unk or tok.decode([i]).strip())]
            if not content:
                raise RecyclingError(f"label {label!r} tokenizes to nothing (ids {list(seq)})")
            if unk is not None and all(i == unk for i in content):
                raise RecyclingError(
                    f"label {label!r} is only the unknown token {tok.unk_token!r} (ids "
                    f"{list(seq)}) of this tokenizer: choose a verbalizer its vocabulary holds"
                )
            if tuple(seq) in seen:
                raise RecyclingError(
                    f"labels {seen[tuple(seq)]!r} and {label!r} tokenize to the same ids "
                    f"{list(seq)}: the model cannot tell them apart; choose distinct verbalizers"
                )
            seen[tuple(seq)] = label

    def _scores(self, prompt, ids) -> torch.Tensor:
        raise NotImplementedError

    def _pair_score(self, prompt, text, label) -> torch.Tensor:
        raise NotImplementedError


def token_logprobs(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """log p(target) per position: logits (..., V), targets (...) -> (...)."""
    return F.log_softmax(logits.float(), dim=-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
