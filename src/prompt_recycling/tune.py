"""Prompt tuning on a frozen model, with checkpoints at chosen steps and exact resume.

Only the prompt (P, E) is trained. Batches are a pure function of (seed, step): the examples are
shuffled per epoch with a generator seeded by (seed, epoch), so a resumed run draws exactly the
batches an uninterrupted run would. The resume state (prompt, optimizer state, step) lives in
``state_dir``, apart from the declared checkpoint files, and is written atomically every
``save_every`` steps; a killed run restarts from the last saved state and ends with the same
prompt, bit for bit on CPU.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from prompt_recycling.data import Example
from prompt_recycling.errors import RecyclingError
from prompt_recycling.fsutil import atomic_path
from prompt_recycling.models import ModelAdapter
from prompt_recycling.prompt_io import write_prompt

INITS = ("random-uniform", "sampled-vocab", "class-label")
OPTIMIZERS = ("adafactor", "adam")


@dataclass
class TuneConfig:
    """Prompt-tuning settings (defaults: the authors' released code where it says)."""

    prompt_length: int = 100
    init: str = "random-uniform"  # one of INITS
    init_range: float = 0.5  # random-uniform: U(-r, r)
    vocab_sample_size: int = 5000  # sampled-vocab / class-label: draw from the first ids
    optimizer: str = "adafactor"  # one of OPTIMIZERS
    learning_rate: float = 0.3
    weight_decay: float = 1e-5
    batch_size: int = 32
    steps: list[int] = field(default_factory=lambda: [2000, 5000, 10000, 20000])
    seed: int = 0
    save_every: int = 100  # resume-state frequency, in steps

    def validate(self) -> None:
        if self.init not in INITS:
            raise RecyclingError(f"unknown init {self.init!r}; expected one of {INITS}")
        if self.optimizer not in OPTIMIZERS:
            raise RecyclingError(f"unknown optimizer {self.optimizer!r}; expected {OPTIMIZERS}")
        if not self.steps or any(s <= 0 for s in self.steps):
            raise RecyclingError(f"steps must be positive, got {self.steps}")
        if any(b <= a for a, b in zip(self.steps, self.steps[1:], strict=False)):
            raise RecyclingError(f"steps must be strictly increasing, got {self.steps}")
        for key in ("prompt_length", "batch_size", "save_every"):
            if getattr(self, key) <= 0:
                raise RecyclingError(f"{key} must be positive, got {getattr(self, key)}")

    def fingerprint(self) -> str:
        keep = {k: v for k, v in asdict(self).items() if k != "save_every"}
        return hashlib.sha1(json.dumps(keep, sort_keys=True).encode()).hexdigest()


def checkpoint_path(output_dir: str | os.PathLike, step: int) -> Path:
    return Path(output_dir) / f"step-{step}.npy"


def init_prompt(adapter: ModelAdapter, config: TuneConfig) -> torch.Tensor:
    """Initial prompt (P, E), float32, on CPU."""
    gen = torch.Generator().manual_seed(config.seed)
    p, table = config.prompt_length, adapter.embedding_table.detach().float().cpu()
    if config.init == "random-uniform":
        r = config.init_range
        return (torch.rand(p, table.shape[1], generator=gen) * 2 - 1) * r
    special = set(adapter.tokenizer.all_special_ids)
    pool = [i for i in range(min(config.vocab_sample_size, len(table))) if i not in special]
    rows = torch.tensor(pool)[torch.randint(len(pool), (p,), generator=gen)]
    prompt = table[rows].clone()
    if config.init == "class-label":
        for i, label in enumerate(adapter.labels[:p]):
            ids = adapter.tokenizer(label, add_special_tokens=False).input_ids
            prompt[i] = table[ids].mean(0)  # multi-piece labels: mean of their pieces
    return prompt


def batch_indices(n: int, batch_size: int, seed: int, step: int) -> list[int]:
    """Example indices of (1-based) ``step``: consecutive slices of per-epoch permutations."""
    out, start = [], (step - 1) * batch_size
    while len(out) < batch_size:
        epoch, pos = divmod(start + len(out), n)
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed * 100_003 + epoch))
        take = min(batch_size - len(out), n - pos)
        out.extend(perm[pos : pos + take].tolist())
    return out


def _optimizer(params, config: TuneConfig):
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=config.learning_rate, weight_decay=config.weight_decay)
    from transformers.optimization import Adafactor

    # T5X settings of the paper: constant lr, decay 0.8, no parameter scaling, no momentum.
    return Adafactor(
        params,
        lr=config.learning_rate,
        decay_rate=-0.8,
        weight_decay=config.weight_decay,
        scale_parameter=False,
        relative_step=False,
        warmup_init=False,
        beta1=None,
    )


def _weights_digest(model) -> str:
    h = hashlib.sha1()
    for name, param in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(param.detach().cpu().contiguous().view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def tune_prompt(
    adapter: ModelAdapter,
    train: list[Example],
    config: TuneConfig,
    output_dir: str | os.PathLike,
    state_dir: str | os.PathLike | None = None,
    progress: bool = True,
    on_step: Callable[[int, float], None] | None = None,
) -> dict[int, Path]:
    """Train a prompt; write ``step-<k>.npy`` into ``output_dir`` at each configured step.

    Args:
        adapter: the frozen model (see :mod:`prompt_recycling.models`).
        train: training examples.
        config: settings; validated here.
        output_dir: where the checkpoint files go (created if missing).
        state_dir: resume state; default ``<output_dir>/../.<name>.resume``.
        on_step: called after every step with (step, loss); for logging and tests.

    Returns:
        ``{step: checkpoint path}`` for every configured step.
    """
    from tqdm.auto import tqdm

    config.validate()
    if not train:
        raise RecyclingError("no training examples")
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    state_dir = Path(state_dir or output_dir.parent / f".{output_dir.name}.resume")
    state_file = state_dir / "state.pt"
    digest_before = _weights_digest(adapter.model)

    prompt = torch.nn.Parameter(init_prompt(adapter, config).to(adapter.device))
    opt = _optimizer([prompt], config)
    start = 0
    if state_file.exists():
        state = torch.load(state_file, map_location=adapter.device, weights_only=True)
        done = all(
            checkpoint_path(output_dir, s).exists() for s in config.steps if s <= state["step"]
        )
        if state.get("fingerprint") == config.fingerprint() and done:
            with torch.no_grad():
                prompt.copy_(state["prompt"])
            opt.load_state_dict(state["optimizer"])
            start = state["step"]
    last = config.steps[-1]
    todo = set(config.steps)
    bar = tqdm(total=last, initial=start, desc="prompt tuning", disable=not progress)
    for step in range(start + 1, last + 1):
        idx = batch_indices(len(train), config.batch_size, config.seed, step)
        batch = [train[i] for i in idx]
        labels = torch.tensor([ex.label for ex in batch], device=adapter.device)
        loss = F.cross_entropy(adapter.scores(prompt, [ex.text for ex in batch]), labels)
        if not torch.isfinite(loss):
            raise RecyclingError(f"training loss became {loss.item()} at step {step}; stopping")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        bar.update(1)
        bar.set_postfix(loss=f"{loss.item():.4f}")
        if step in todo:
            write_prompt(prompt.detach().float().cpu().numpy(), checkpoint_path(output_dir, step))
        if step % config.save_every == 0 and step < last:
            _save_state(state_file, prompt, opt, step, config)
        if on_step is not None:
            on_step(step, loss.item())
    bar.close()
    if _weights_digest(adapter.model) != digest_before:
        raise RecyclingError("the frozen model's weights changed during prompt tuning")
    state_file.unlink(missing_ok=True)
    if state_dir.exists() and not any(state_dir.iterdir()):
        state_dir.rmdir()
    return {s: checkpoint_path(output_dir, s) for s in config.steps}


def _save_state(path: Path, prompt, opt, step: int, config: TuneConfig) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "prompt": prompt.detach().clone(),
        "optimizer": opt.state_dict(),
        "step": step,
        "fingerprint": config.fingerprint(),
    }
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def load_prompt_tensor(path: str | os.PathLike) -> torch.Tensor:
    from prompt_recycling.prompt_io import read_prompt

    return torch.from_numpy(np.ascontiguousarray(read_prompt(path)))
